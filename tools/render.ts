/**
 * Offline render: runs `index.ts` under the Pulumi SDK's mock runtime with a stack's configuration and writes what
 * the program declares. No Pulumi CLI, cluster or network is needed; the real CLI remains the way to deploy.
 *
 *   npm run render -- --stack staging --out out/staging [--preview] [--summary] [--set KEY=VALUE] [--set-secret KEY=VALUE]
 *
 * Writes <out>/manifests/<kind>-<namespace>-<name>.yaml (cluster-scoped: <kind>-<name>.yaml), one object each, and
 * <out>/resources.json (every registered resource with inputs and options). Secrets print as "[secret]". The out
 * folder is replaced as a whole and atomically, only when it holds nothing but an earlier render's files (listed in
 * <out>/.zdp-render), and by one run at a time: see renderOutput.ts.
 * Exit codes: 0 rendered; 2 usage, configuration or output-folder error (message names the problem, no stack trace).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import type { KubeObject } from "../policy-pack/lib/kubernetes";
import { renderStack, RenderResult, summarize } from "./renderStack";
import { RenderOutput, openOutput } from "./renderOutput";
import { errorText, parseToolArgs, UsageError } from "./stacks";

const ROOT = path.resolve(__dirname, "..");

interface CliArgs {
    stack: string;
    out?: string;
    preview: boolean;
    summary: boolean;
    set: Record<string, string>;
    setSecret: Record<string, string>;
}

const USAGE =
    "usage: npm run render -- --stack <name> [--out <dir>] [--preview] [--summary] [--set KEY=VALUE]... [--set-secret KEY=VALUE]...";

function parseArgs(argv: string[]): CliArgs {
    const { values, overrides, help } = parseToolArgs(
        argv,
        {
            stack: { type: "string" },
            out: { type: "string" },
            preview: { type: "boolean" },
            summary: { type: "boolean" },
        },
        USAGE,
    );
    if (help) {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
    }
    if (!values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    const out = values.out as string | undefined;
    return {
        stack: values.stack as string,
        out,
        preview: values.preview === true,
        // Without --out there is nothing else to show.
        summary: values.summary === true || !out,
        set: overrides.set ?? {},
        setSecret: overrides.setSecret ?? {},
    };
}

function fileNameOf(obj: KubeObject): string {
    const kind = String(obj.kind).toLowerCase();
    const ns = obj.metadata?.namespace;
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");
    return `${safe(kind)}-${ns ? `${safe(ns)}-` : ""}${safe(String(obj.metadata?.name))}.yaml`;
}

/**
 * Writes the render into the output folder opened (and locked) by {@link openOutput}: the folder is replaced as a
 * whole, atomically, and only when it holds nothing but an earlier render's files (see `renderOutput.ts`).
 */
export function writeRender(result: RenderResult, output: RenderOutput): void {
    const files = new Map<string, string>();
    for (const obj of result.objects) {
        const name = `manifests/${fileNameOf(obj)}`;
        // Two objects must never share a file: one would silently replace the other.
        if (files.has(name)) throw new UsageError(`two objects render to the same file ${name}; rename one of them`);
        files.set(name, stringify(obj, { lineWidth: 0 }));
    }
    files.set(
        "resources.json",
        `${JSON.stringify(
            {
                stack: result.stack,
                preview: result.preview,
                outputs: result.outputs,
                resources: result.resources,
            },
            null,
            2,
        )}\n`,
    );
    output.commit(files);
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    // Checked and locked before rendering: a wrong --out fails at once, and two runs cannot write one folder.
    const output = args.out ? openOutput(args.out) : undefined;
    process.stderr.write(
        `rendering stack "${args.stack}" offline (Pulumi SDK mock runtime${args.preview ? ", preview" : ""})...\n`,
    );
    const result = await renderStack({
        root: ROOT,
        stack: args.stack,
        preview: args.preview,
        set: args.set,
        setSecret: args.setSecret,
        onProgress: (n) => process.stderr.write(`  ${n} resources registered\r`),
    });
    process.stderr.write(
        `  ${result.resources.length} resources registered, ${result.objects.length} Kubernetes objects\n`,
    );
    if (args.out && output) {
        writeRender(result, output);
        process.stderr.write(
            `wrote ${path.join(args.out, "manifests")}/ and ${path.join(args.out, "resources.json")}\n`,
        );
    }
    if (args.summary) process.stdout.write(summarize(result));
}

main().catch((err: unknown) => {
    const known = err instanceof UsageError || pulumi.RunError.isInstance(err) || pulumi.ResourceError.isInstance(err);
    process.stderr.write(`error: ${errorText(err, known)}\n`);
    process.exit(known ? 2 : 1);
});
