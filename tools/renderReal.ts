/**
 * Every object of a stack as the real engine and Kubernetes provider produce it: `pulumi up` into a throwaway local
 * backend with the provider's YAML rendering (`renderYamlToDirectory`), so no cluster is contacted. A second
 * `pulumi preview` on the same state then shows whether the program is stable (no changes on a re-run).
 *
 *   npm run render:real -- --stack <name> --out <dir> [--set KEY=VALUE]... [--set-secret KEY=VALUE]...
 *
 * Writes <dir>/manifests/ (the provider's own layout: 0-crd/ and 1-manifest/, one file an object) and
 * <dir>/render.json (steps of the up, and of the second preview). The folder is written beside <dir> first and moved
 * into place, so an existing <dir>/manifests stays whole until the new one is complete; a <dir>/manifests that
 * render:real did not write is never replaced.
 * Exit codes: 0 rendered (and the second preview showed no changes); 1 the second preview showed changes;
 * 2 usage, stack or config error, or the engine failed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { EngineRun, parseEvents } from "./engine/events";
import { createWorkspace, EngineUsageError, runCommand } from "./engine/workspace";
import { pairs, setRenderDirectory } from "./previewReal";

const USAGE =
    "usage: npm run render:real -- --stack <name> --out <dir> [--set KEY=VALUE]... [--set-secret KEY=VALUE]...";
/** Marks a manifests folder as render:real's own, so a later run may replace it. */
const MARKER = ".render-real";

export interface RealRender {
    stack: string;
    /** The folder the provider wrote the objects into. */
    manifests: string;
    up: EngineRun & { ms: number };
    /** The second preview on the same state: what would change on a re-run. */
    rerun: EngineRun & { ms: number };
}

/**
 * Runs `pulumi up` with YAML rendering into `manifestsDir` (which must not exist), then a second preview. Throws
 * `EngineUsageError` when the engine fails, with its error messages.
 */
export async function renderReal(opts: {
    stack: string;
    manifestsDir: string;
    set?: Record<string, string>;
    setSecret?: Record<string, string>;
    progress?: (line: string) => void;
}): Promise<RealRender> {
    const progress = opts.progress ?? (() => undefined);
    const ws = await createWorkspace({ stack: opts.stack, set: opts.set, setSecret: opts.setSecret });
    try {
        await setRenderDirectory(ws.pulumi, opts.stack, opts.manifestsDir);
        progress(`pulumi up (stack "${opts.stack}", YAML rendered to ${opts.manifestsDir})...`);
        const up = await ws.pulumi(["up", "--stack", opts.stack, "--yes", "--skip-preview", "--json"]);
        const upRun = parseEvents(up.stdout);
        if (up.code !== 0) {
            const why = upRun.errors.join("; ") || up.stderr.trim() || up.stdout.trim();
            throw new EngineUsageError(`pulumi up failed for stack "${opts.stack}": ${why}`);
        }
        progress(`second preview on the same state...`);
        const rerun = await ws.pulumi(["preview", "--stack", opts.stack, "--json"]);
        const rerunRun = parseEvents(rerun.stdout);
        if (rerun.code !== 0) {
            throw new EngineUsageError(`second pulumi preview failed: ${rerunRun.errors.join("; ") || rerun.stderr}`);
        }
        return {
            stack: opts.stack,
            manifests: opts.manifestsDir,
            up: { ...upRun, ms: up.ms },
            rerun: { ...rerunRun, ms: rerun.ms },
        };
    } finally {
        ws.dispose();
    }
}

/** Steps of a re-run that would change something. */
export function changesOf(run: EngineRun): Record<string, number> {
    return Object.fromEntries(Object.entries(run.steps).filter(([op]) => op !== "same"));
}

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                out: { type: "string" },
                set: { type: "string", multiple: true },
                "set-secret": { type: "string", multiple: true },
            },
            strict: true,
        }));
    } catch (e) {
        throw new EngineUsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (!values.stack || !values.out) throw new EngineUsageError(`--stack and --out are required\n${USAGE}`);
    const out = path.resolve(values.out);
    const target = path.join(out, "manifests");
    if (fs.existsSync(target) && !fs.existsSync(path.join(target, MARKER))) {
        throw new EngineUsageError(
            `${target} exists and was not written by render:real: move it away or pick another --out`,
        );
    }
    fs.mkdirSync(out, { recursive: true });
    const staging = fs.mkdtempSync(path.join(out, ".manifests-"));
    try {
        const result = await renderReal({
            stack: values.stack,
            manifestsDir: staging,
            set: pairs(values.set, "--set"),
            setSecret: pairs(values["set-secret"], "--set-secret"),
            progress: (line) => process.stderr.write(`${line}\n`),
        });
        fs.writeFileSync(path.join(staging, MARKER), `${values.stack}\n`);
        fs.rmSync(target, { recursive: true, force: true });
        fs.renameSync(staging, target);
        const summary = { ...result, manifests: target };
        fs.writeFileSync(path.join(out, "render.json"), `${JSON.stringify(summary, null, 2)}\n`);
        const changes = changesOf(result.rerun);
        if (result.up.urns.some((u) => u.includes("kubernetes:core/v1:Secret::"))) {
            process.stderr.write(
                `warning: ${target} holds Secrets with their decrypted values (the provider writes them): never commit it\n`,
            );
        }
        process.stderr.write(
            `rendered ${result.up.urns.length} resources to ${target} in ${(result.up.ms / 1000).toFixed(1)} s; ` +
                `second preview: ${Object.keys(changes).length === 0 ? "no changes" : JSON.stringify(changes)}\n`,
        );
        return Object.keys(changes).length === 0 ? 0 : 1;
    } finally {
        fs.rmSync(staging, { recursive: true, force: true });
    }
}

if (require.main === module) runCommand("render:real", main);
