/**
 * Shared test helper: the offline render CLI (`tools/render.ts`), run in a child process.
 *
 * The Pulumi SDK's runtime state is global, so one process can render the program only once. Tests that need the
 * rendered output of a stack therefore run the CLI (`process.execPath --import tsx tools/render.ts`) in a child
 * process, once per distinct stack + arguments per test run, into a temporary directory, and share the parsed result:
 *
 *     import { renderedStack } from "./helpers/renderedStack";
 *
 *     const prod = await renderedStack("prod");                             // rendered on first use, then cached
 *     const withAlerts = await renderedStack("prod", ["--set-secret", "alertWebhookUrl=https://hooks.example.test/x"]);
 *     prod.manifests;                       // [{ file: "manifests/namespace-shop.yaml", path, object }, ...]
 *     prod.resourcesJson.resources;         // every registered resource: urn, type, name, parent, inputs, ...
 *     prod.find("kubernetes:helm.sh/v4:Chart", "mesh-istiod");
 *
 * - `renderedStack(stack, extraArgs?)` resolves to a {@link RenderedStack} or rejects with the CLI's stderr when the
 *   render fails. Calls with the same stack and arguments share one render (and one promise), across spec files.
 * - `runRenderCli(args)` runs the CLI once, uncached, with exactly `args`, and never rejects for a non-zero exit:
 *   use it for exit codes and error messages.
 * - Temporary directories live under one per-process directory (`$TMPDIR/zdp-render-<pid>-*`) that is removed when
 *   the process exits or is stopped by SIGINT/SIGTERM/SIGHUP (or earlier with {@link cleanupRenders}); directories of
 *   processes that died without cleaning up (SIGKILL) are removed by the next run.
 *
 * Renders are bounded by {@link RENDER_TIMEOUT_MS} (a render that hangs fails instead of stalling the suite) and at
 * most {@link MAX_PARALLEL_RENDERS} run at once, so `Promise.all` over many renders is fine.
 *
 * For alerts on, pass {@link WITH_ALERTS} (a `--set-secret` of {@link TEST_WEBHOOK_URL}) so that spec files share the
 * render.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeObject } from "../../policy-pack/lib/kubernetes";
import type { RecordedResource } from "../../tools/mockRuntime";

/** Root of the repository (where `Pulumi.yaml` lives). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The render CLI the helper runs. */
export const RENDER_CLI = path.join(REPO_ROOT, "tools", "render.ts");
/** Upper bound for one render; the CLI takes a few seconds. */
export const RENDER_TIMEOUT_MS = 120_000;
/** Renders running at once: each is a full Node process, so no more than the machine has cores (at most 4). */
export const MAX_PARALLEL_RENDERS = Math.max(1, Math.min(4, os.availableParallelism()));

/**
 * A webhook URL that only tests use, for `--set-secret alertWebhookUrl=...`; tests assert it never appears in any
 * output. Share it (and {@link WITH_ALERTS}) so that spec files reuse one cached render.
 */
export const TEST_WEBHOOK_URL = "https://hooks.example.test/services/T0000/B0000/zdp-render-test-5e3c7a";
/** Extra render arguments turning alerts on with {@link TEST_WEBHOOK_URL} as a secret. */
export const WITH_ALERTS: readonly string[] = ["--set-secret", `alertWebhookUrl=${TEST_WEBHOOK_URL}`];

/** Outcome of one CLI run. */
export interface CliResult {
    /** Arguments given to `render.ts`. */
    args: string[];
    /** Exit code (`null` when killed by a signal, e.g. on timeout). */
    code: number | null;
    stdout: string;
    stderr: string;
}

/** One manifest file of a render. */
export interface RenderedManifest {
    /** Path relative to the render's output directory, e.g. `manifests/namespace-shop.yaml`. */
    file: string;
    /** Absolute path of the file (valid until the temporary directories are removed). */
    path: string;
    /** The single Kubernetes object the file holds. */
    object: KubeObject;
}

/** The content of `resources.json`. */
export interface ResourcesJson {
    stack: string;
    preview: boolean;
    outputs: Record<string, unknown>;
    resources: RecordedResource[];
}

/** A successful render of one stack, parsed. */
export interface RenderedStack extends CliResult {
    stack: string;
    /** The `--out` directory. */
    dir: string;
    /** Every file under `<dir>/manifests`, sorted by file name. */
    manifests: RenderedManifest[];
    resourcesJson: ResourcesJson;
    /** Every file the render wrote, relative to `dir` (manifests and resources.json). */
    files: string[];
    /** Recorded resources by type token and, optionally, logical name. */
    find(type: string, name?: string): RecordedResource[];
    /** Like {@link find} but exactly one must match; throws naming what was registered otherwise. */
    get(type: string, name: string): RecordedResource;
}

let baseDir: string | undefined;
const cache = new Map<string, Promise<RenderedStack>>();

/** Prefix of the per-process temporary directories: `zdp-render-<pid>-XXXXXX`. */
const TEMP_PREFIX = "zdp-render-";

/** The per-process temporary directory, created on first use and removed at exit. */
function tempBase(): string {
    if (baseDir === undefined) {
        sweepStaleDirs();
        baseDir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
        process.once("exit", cleanupRenders);
        // A run stopped by a signal never emits "exit": clean up, then, unless another listener (mocha's) handles the
        // signal, re-raise it so that the default action (terminating) still happens.
        for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
            process.once(signal, () => {
                cleanupRenders();
                if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
            });
        }
    }
    return baseDir;
}

/** Removes render directories left by test processes that no longer run (killed before they could clean up). */
function sweepStaleDirs(): void {
    for (const entry of fs.readdirSync(os.tmpdir())) {
        const pid = Number(new RegExp(`^${TEMP_PREFIX}(\\d+)-[^-]+$`).exec(entry)?.[1]);
        if (!Number.isInteger(pid) || pid === process.pid || isRunning(pid)) continue;
        fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
    }
}

function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        // EPERM: it runs, as another user.
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Removes every render directory of this process and forgets the cached renders. */
export function cleanupRenders(): void {
    if (baseDir !== undefined) fs.rmSync(baseDir, { recursive: true, force: true });
    baseDir = undefined;
    cache.clear();
}

/** A fresh empty directory under the per-process temporary directory. */
export function freshDir(prefix = "out"): string {
    return fs.mkdtempSync(path.join(tempBase(), `${prefix.replace(/[^A-Za-z0-9_.-]/g, "_")}-`));
}

let running = 0;
const waiting: (() => void)[] = [];

/** Runs `task` when fewer than {@link MAX_PARALLEL_RENDERS} renders are running. */
async function limited<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so `running` never exceeds the limit.
    if (running >= MAX_PARALLEL_RENDERS) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
        return await task();
    } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
    }
}

/** Runs the render CLI once with `args` (no caching, no `--out` added). Never rejects for a non-zero exit. */
export function runRenderCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    return limited(() => spawnRender(args, opts.timeoutMs ?? RENDER_TIMEOUT_MS));
}

function spawnRender(args: string[], timeoutMs: number): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", RENDER_CLI, ...args], {
            cwd: REPO_ROOT,
            // A clean environment for the program: no config or engine address leaking in from a real Pulumi run.
            env: withoutPulumiRuntimeEnv(process.env),
            stdio: ["ignore", "pipe", "pipe"],
            timeout: timeoutMs,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ args, code, stdout, stderr }));
    });
}

function withoutPulumiRuntimeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const out: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(env)) {
        if (
            k === "PULUMI_CONFIG" ||
            k === "PULUMI_CONFIG_SECRET_KEYS" ||
            k === "PULUMI_MONITOR" ||
            k === "PULUMI_ENGINE"
        ) {
            continue;
        }
        out[k] = v;
    }
    return out;
}

/**
 * Renders `stack` with the CLI into a temporary directory (adding `--out`), once per distinct stack + `extraArgs`
 * per process, and returns the parsed output. Rejects with the CLI's stderr if the render exits non-zero or writes
 * something unparsable.
 */
export function renderedStack(stack: string, extraArgs: readonly string[] = []): Promise<RenderedStack> {
    const key = JSON.stringify([stack, ...extraArgs]);
    let pending = cache.get(key);
    if (pending === undefined) {
        pending = render(stack, [...extraArgs]);
        cache.set(key, pending);
        // A failed render is not cached: the next caller gets a fresh attempt and its own error.
        pending.catch(() => cache.delete(key));
    }
    return pending;
}

async function render(stack: string, extraArgs: string[]): Promise<RenderedStack> {
    if (extraArgs.includes("--out")) throw new Error("renderedStack chooses the output directory; do not pass --out");
    const dir = freshDir(stack);
    const result = await runRenderCli(["--stack", stack, "--out", dir, ...extraArgs]);
    if (result.code !== 0) {
        throw new Error(
            `render of stack "${stack}" ${JSON.stringify(extraArgs)} exited ${result.code}:\n${result.stderr}`,
        );
    }
    return { ...result, stack, dir, ...readRenderDir(dir) };
}

/**
 * Parses a render output directory: every manifest file (exactly one object each) and `resources.json`. Exported for
 * tests that run the CLI themselves with {@link runRenderCli} and {@link freshDir}.
 */
export function readRenderDir(
    dir: string,
): Pick<RenderedStack, "manifests" | "resourcesJson" | "files" | "find" | "get"> {
    const manifestDir = path.join(dir, "manifests");
    const manifests = fs
        .readdirSync(manifestDir)
        .sort()
        .map((name): RenderedManifest => {
            const file = path.join("manifests", name);
            const full = path.join(dir, file);
            const docs = parseAllDocuments(fs.readFileSync(full, "utf8"));
            if (!Array.isArray(docs) || docs.length !== 1) {
                throw new Error(`${file}: expected exactly one YAML document`);
            }
            if (docs[0].errors.length > 0) throw new Error(`${file}: ${docs[0].errors[0].message}`);
            const object = docs[0].toJS();
            if (object === null || typeof object !== "object" || Array.isArray(object)) {
                throw new Error(`${file}: expected a mapping, got ${JSON.stringify(object)}`);
            }
            return { file, path: full, object };
        });
    const resourcesJson: ResourcesJson = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8"));
    const files = listFiles(dir);
    const resources = resourcesJson.resources;
    const find = (type: string, name?: string) =>
        resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    const get = (type: string, name: string) => {
        const found = find(type, name);
        if (found.length !== 1) {
            const names = find(type).map((r) => r.name);
            throw new Error(
                `expected one ${type} named ${name}, found ${found.length} (registered: ${names.join(", ") || "none"})`,
            );
        }
        return found[0];
    };
    return { manifests, resourcesJson, files, find, get };
}

/** Every file below `dir`, relative to it, sorted. Depth-bounded: a render writes two levels at most. */
export function listFiles(dir: string, maxDepth = 8): string[] {
    const out: string[] = [];
    const walk = (rel: string, depth: number) => {
        if (depth > maxDepth) throw new Error(`${dir}: deeper than ${maxDepth} levels`);
        for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = path.join(rel, entry.name);
            if (entry.isDirectory()) walk(child, depth + 1);
            else out.push(child);
        }
    };
    walk("", 0);
    return out.sort();
}

/** Names of the project's stacks (`Pulumi.<stack>.yaml` beside `Pulumi.yaml`), read from the directory. */
export function stackNames(): string[] {
    return fs
        .readdirSync(REPO_ROOT)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}
