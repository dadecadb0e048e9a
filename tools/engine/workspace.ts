/**
 * A throwaway workspace for the real Pulumi engine: the CLI, language host and Kubernetes provider that
 * `tools/engine/build.sh` builds into `.tools/`, a local file backend and a passphrase secrets provider in a temporary
 * folder, and a copy of the program (the engine writes the stack's encryption salt into its stack file, so the
 * repository's own files are never touched). Nothing here contacts a cluster or a registry: the program's provider
 * renders YAML into a folder.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..");
export const TOOLS_BIN = path.join(ROOT, ".tools", "bin");
export const PULUMI_HOME = path.join(ROOT, ".tools", "pulumi-home");

/**
 * The passphrase the example stacks' `secure:` values are encrypted with. It is published on purpose
 * (docs/real-engine.md): the ciphertext in `Pulumi.staging.yaml` and `Pulumi.prod.yaml` is a demo of how a service's
 * secret is carried, not a credential. A team's own stacks use their own secrets provider, and then
 * `PULUMI_CONFIG_PASSPHRASE` (or the provider's credentials) in the environment wins.
 */
export const EXAMPLE_STACKS_PASSPHRASE = "zdp-example-stacks";

/** A problem the user must fix (exit code 2, one line, no stack trace). */
export class EngineUsageError extends Error {}

/** What the program needs from the repository: everything else stays out of the engine's copy. */
const PROGRAM_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts", "components"];

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    /** Wall time in milliseconds. */
    ms: number;
}

export interface EngineWorkspace {
    /** The temporary folder (backend, program copy, event logs). */
    dir: string;
    /** The copy of the program the engine runs. */
    projectDir: string;
    stack: string;
    env: NodeJS.ProcessEnv;
    /** Runs `pulumi ARGS` in the program's copy. */
    pulumi(args: string[], opts?: { onStderr?: (chunk: string) => void }): Promise<CommandResult>;
    /** Deletes the temporary folder. */
    dispose(): void;
}

export interface WorkspaceOptions {
    stack: string;
    /** Plain config values, `KEY=VALUE` as `pulumi config set --path` takes them (KEY without a namespace: ours). */
    set?: Record<string, string>;
    /** Secret config values, as `pulumi config set --secret --path`. */
    setSecret?: Record<string, string>;
    /** The stack file's text, instead of the repository's `Pulumi.<stack>.yaml` (for tests of configuration rules). */
    stackYaml?: string;
}

/** Fails with the command to run when the toolchain has not been built. */
export function requireToolchain(): void {
    for (const bin of ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"]) {
        if (!fs.existsSync(path.join(TOOLS_BIN, bin))) {
            throw new EngineUsageError(
                `the real Pulumi toolchain is not built (${path.relative(ROOT, path.join(TOOLS_BIN, bin))} is missing); ` +
                    "build it with: tools/engine/build.sh",
            );
        }
    }
}

/** Runs a command to completion, collecting its output. */
export function run(
    command: string,
    args: string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; onStderr?: (chunk: string) => void },
): Promise<CommandResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => {
            stderr += d;
            opts.onStderr?.(d);
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, ms: Date.now() - started }));
    });
}

function copyProgram(to: string, stack: string, stackYaml?: string): void {
    fs.mkdirSync(to, { recursive: true });
    for (const name of PROGRAM_FILES) fs.cpSync(path.join(ROOT, name), path.join(to, name), { recursive: true });
    const stackFile = `Pulumi.${stack}.yaml`;
    if (stackYaml === undefined) fs.cpSync(path.join(ROOT, stackFile), path.join(to, stackFile));
    else fs.writeFileSync(path.join(to, stackFile), stackYaml);
    // The program resolves its packages from the repository's install (the pinned Node and SDK versions).
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(to, "node_modules"), "dir");
}

/** The key as `pulumi config set` takes it: namespaced, and quoted for `--path` when it has a path. */
function fullKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * Creates a workspace with the stack initialised in a fresh file backend. The stack's own file is used as it is;
 * `set` and `setSecret` are applied on top, as a user would with `pulumi config set`.
 */
export async function createWorkspace(opts: WorkspaceOptions): Promise<EngineWorkspace> {
    requireToolchain();
    if (opts.stackYaml === undefined && !fs.existsSync(path.join(ROOT, `Pulumi.${opts.stack}.yaml`))) {
        throw new EngineUsageError(`unknown stack "${opts.stack}": there is no Pulumi.${opts.stack}.yaml`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-engine-"));
    const projectDir = path.join(dir, "project");
    copyProgram(projectDir, opts.stack, opts.stackYaml);
    // A stack file with an encryption salt holds ciphertext: its passphrase, else a new one made up for this run.
    const encrypted = /^encryptionsalt:/m.test(
        fs.readFileSync(path.join(projectDir, `Pulumi.${opts.stack}.yaml`), "utf8"),
    );
    const passphrase = encrypted
        ? (process.env.PULUMI_CONFIG_PASSPHRASE ?? EXAMPLE_STACKS_PASSPHRASE)
        : randomBytes(18).toString("base64");
    fs.mkdirSync(path.join(dir, "state"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        // The pinned Node (node_modules/.bin) runs the program and the policy pack, as under `npm run`.
        PATH: [TOOLS_BIN, path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME,
        PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        // `pulumi preview --json` then streams the engine's events, one a line (preview has no --event-log).
        PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true",
        NO_COLOR: "1",
    };
    const pulumi = (args: string[], o: { onStderr?: (chunk: string) => void } = {}) =>
        run(path.join(TOOLS_BIN, "pulumi"), [...args, "--non-interactive"], {
            cwd: projectDir,
            env,
            onStderr: o.onStderr,
        });
    const workspace: EngineWorkspace = {
        dir,
        projectDir,
        stack: opts.stack,
        env,
        pulumi,
        dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
    try {
        const init = await pulumi(["stack", "init", opts.stack, "--secrets-provider", "passphrase"]);
        if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stderr.trim() || init.stdout.trim()}`);
        const project: string = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).name;
        for (const [secret, values] of [
            [false, opts.set ?? {}],
            [true, opts.setSecret ?? {}],
        ] as const) {
            for (const [key, value] of Object.entries(values)) {
                const args = ["config", "set", "--stack", opts.stack, "--path", fullKey(project, key), value];
                if (secret) args.splice(2, 0, "--secret");
                const r = await pulumi(args);
                if (r.code !== 0) throw new EngineUsageError(`pulumi config set ${key}: ${r.stderr.trim()}`);
            }
        }
    } catch (e) {
        workspace.dispose();
        throw e;
    }
    return workspace;
}

/**
 * Runs a tool's `main` as a command: its exit code; a user mistake (`EngineUsageError`) as one line and exit 2; any
 * other failure as one line and exit 3 (the stack trace only with `ZDP_DEBUG=1`).
 */
export function runCommand(tool: string, main: (argv: string[]) => Promise<number>): void {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            const message = e instanceof Error ? e.message : String(e);
            if (e instanceof EngineUsageError) {
                process.stderr.write(`${tool}: ${message}\n`);
                process.exit(2);
            }
            const detail = process.env.ZDP_DEBUG === "1" && e instanceof Error ? `\n${e.stack}` : "";
            process.stderr.write(`${tool}: internal error: ${message} (ZDP_DEBUG=1 shows where)${detail}\n`);
            process.exit(3);
        },
    );
}

/**
 * Config the real-engine runs (tests, benchmarks) add to a stack: no chart repository is reachable here, so the
 * add-ons are marked existing.
 */
export const ENGINE_SET: Record<string, string> = {
    istio: "existing",
    argoRollouts: "existing",
    trivyOperator: "existing",
    falco: "existing",
};

/** `--set KEY=VALUE` arguments for the offline tools. */
export function setArgs(set: Record<string, string>): string[] {
    return Object.entries(set).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
}
