/**
 * The pull-request check with the real engine: `pulumi preview --policy-pack policy-pack --policy-pack-config
 * policy-pack/config/<stack>.json`, run by the Pulumi CLI, its Node.js language host and the Kubernetes provider that
 * `tools/engine/build.sh` builds, against a throwaway local backend. The provider renders YAML into a temporary folder
 * instead of contacting a cluster, so nothing outside this machine is touched.
 *
 *   npm run preview:real -- --stack <name> [--format text|json] [--policy-config FILE] [--verify-signatures]
 *                           [--no-policy] [--set KEY=VALUE]... [--set-secret KEY=VALUE]...
 *
 * Image signatures are checked as in `preview:offline`: only with `--verify-signatures` (the stack's registries are
 * not reachable here); digest pinning and the registry allow-list are always checked.
 * Exit codes, as `preview:offline`: 0 no mandatory violation; 1 mandatory violations; 2 usage, stack or config error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { applyImageCliOptions } from "../policy-pack/images/cliOptions";
import { EngineRun, mandatoryOf, parseEvents } from "./engine/events";
import { createWorkspace, EngineUsageError, ROOT, runCommand } from "./engine/workspace";

const USAGE =
    "usage: npm run preview:real -- --stack <name> [--format text|json] [--policy-config FILE] [--verify-signatures] [--no-policy] [--set KEY=VALUE]... [--set-secret KEY=VALUE]...";

export interface RealPreviewOptions {
    stack: string;
    policyConfig?: string;
    verifySignatures?: boolean;
    /** Run without the policy pack (to measure its cost). */
    noPolicy?: boolean;
    set?: Record<string, string>;
    setSecret?: Record<string, string>;
    /** The stack file's text instead of the repository's (benchmarks with generated services). */
    stackYaml?: string;
    progress?: (line: string) => void;
}

export interface RealPreviewReport extends EngineRun {
    stack: string;
    /** The CLI's exit code. */
    engineExitCode: number;
    /** Wall time of `pulumi preview`, milliseconds. */
    previewMs: number;
    mandatory: number;
    advisory: number;
}

/** The stack's policy config as the preview runs it (signature checks off unless asked for), written to `dir`. */
export function writePolicyConfig(dir: string, stack: string, opts: RealPreviewOptions): string {
    const source = path.resolve(opts.policyConfig ?? path.join(ROOT, "policy-pack", "config", `${stack}.json`));
    let raw: unknown;
    try {
        raw = JSON.parse(fs.readFileSync(source, "utf8"));
    } catch (e) {
        throw new EngineUsageError(`policy config ${source}: ${(e as Error).message}`);
    }
    const file = path.join(dir, "policy-config.json");
    fs.writeFileSync(file, JSON.stringify(applyImageCliOptions(raw, { offline: !opts.verifySignatures }), null, 2));
    return file;
}

/** `KEY=VALUE` pairs into a record; a pair without `=` is a usage error. */
export function pairs(values: string[] | undefined, flag: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of values ?? []) {
        const eq = v.indexOf("=");
        if (eq <= 0) throw new EngineUsageError(`${flag} takes KEY=VALUE (got "${v}")\n${USAGE}`);
        out[v.slice(0, eq)] = v.slice(eq + 1);
    }
    return out;
}

/** Runs the real preview of `stack` and returns the engine's own results. */
export async function previewReal(opts: RealPreviewOptions): Promise<RealPreviewReport> {
    const progress = opts.progress ?? (() => undefined);
    progress(`setting up stack "${opts.stack}" in a throwaway local backend...`);
    const ws = await createWorkspace({
        stack: opts.stack,
        set: opts.set,
        setSecret: opts.setSecret,
        stackYaml: opts.stackYaml,
    });
    try {
        // The provider writes YAML instead of contacting a cluster.
        await setRenderDirectory(ws.pulumi, opts.stack, path.join(ws.dir, "rendered"));
        const args = ["preview", "--stack", opts.stack, "--json"];
        if (!opts.noPolicy) {
            args.push("--policy-pack", path.join(ROOT, "policy-pack"));
            args.push("--policy-pack-config", writePolicyConfig(ws.dir, opts.stack, opts));
        }
        progress(`running: pulumi ${args.join(" ")}`);
        const result = await ws.pulumi(args);
        const run = parseEvents(result.stdout);
        if (result.code !== 0 && run.policies.length === 0 && run.errors.length === 0) {
            run.errors.push(result.stderr.trim() || result.stdout.trim() || `pulumi preview exited ${result.code}`);
        }
        const mandatory = mandatoryOf(run).length;
        return {
            stack: opts.stack,
            ...run,
            engineExitCode: result.code,
            previewMs: result.ms,
            mandatory,
            advisory: run.policies.length - mandatory,
        };
    } finally {
        ws.dispose();
    }
}

/** Points the program's provider at `dir` (config `renderYamlToDirectory`). */
export async function setRenderDirectory(
    pulumi: (args: string[]) => Promise<{ code: number; stderr: string }>,
    stack: string,
    dir: string,
): Promise<void> {
    const r = await pulumi(["config", "set", "--stack", stack, "renderYamlToDirectory", dir]);
    if (r.code !== 0) throw new Error(`pulumi config set renderYamlToDirectory: ${r.stderr.trim()}`);
}

/** Exit code as `preview:offline`'s: a mandatory violation is 1; any other failure of the engine is 2. */
export function exitCodeOf(report: RealPreviewReport): number {
    if (report.mandatory > 0) return 1;
    if (report.engineExitCode !== 0 || report.errors.length > 0) return 2;
    return 0;
}

export function formatText(report: RealPreviewReport): string {
    const lines = [`Real preview of stack "${report.stack}" (${(report.previewMs / 1000).toFixed(1)} s)`];
    const steps = Object.entries(report.steps)
        .map(([op, n]) => `${n} ${op}`)
        .join(", ");
    lines.push(`  resources: ${report.urns.length} (${steps || "none"})`);
    for (const e of report.errors) lines.push(`  error: ${e}`);
    lines.push(`  policy results: ${report.mandatory} mandatory, ${report.advisory} advisory`);
    for (const p of report.policies) {
        lines.push(`  [${p.enforcementLevel}] ${p.policy}${p.resource ? ` (${p.resource})` : ""}: ${p.message}`);
    }
    const verdict = exitCodeOf(report);
    lines.push(verdict === 0 ? "PASS" : verdict === 1 ? "FAIL: mandatory policy violations" : "ERROR: see above");
    return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                stack: { type: "string" },
                format: { type: "string", default: "text" },
                "policy-config": { type: "string" },
                "verify-signatures": { type: "boolean", default: false },
                "no-policy": { type: "boolean", default: false },
                set: { type: "string", multiple: true },
                "set-secret": { type: "string", multiple: true },
            },
            strict: true,
        }));
    } catch (e) {
        throw new EngineUsageError(`${(e as Error).message}\n${USAGE}`);
    }
    if (!values.stack) throw new EngineUsageError(`--stack is required\n${USAGE}`);
    if (values.format !== "text" && values.format !== "json") {
        throw new EngineUsageError(`--format takes text or json (got "${values.format}")\n${USAGE}`);
    }
    const report = await previewReal({
        stack: values.stack,
        policyConfig: values["policy-config"],
        verifySignatures: values["verify-signatures"],
        noPolicy: values["no-policy"],
        set: pairs(values.set, "--set"),
        setSecret: pairs(values["set-secret"], "--set-secret"),
        progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${values.format === "json" ? JSON.stringify(report, null, 2) : formatText(report)}\n`);
    return exitCodeOf(report);
}

if (require.main === module) runCommand("preview:real", main);
