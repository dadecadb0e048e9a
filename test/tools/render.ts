/**
 * Offline render: runs `index.ts` under the Pulumi SDK's mock runtime with a stack's configuration and writes what
 * the program declares. No Pulumi CLI, cluster or network is needed; the real CLI remains the way to deploy.
 *
 *   npm run render -- --stack staging --out out/staging [--preview] [--summary] [--set KEY=VALUE] [--set-secret KEY=VALUE]
 *
 * Writes <out>/manifests/<kind>-<namespace>-<name>.yaml (cluster-scoped: <kind>-<name>.yaml), one object each, and
 * <out>/resources.json (every registered resource with inputs and options). Secrets print as "[secret]".
 * Exit codes: 0 rendered; 2 usage or configuration error (message names the problem, no stack trace).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { renderStack, RenderResult, summarize } from "./renderStack";
import { UsageError } from "./stacks";

const ROOT = path.resolve(__dirname, "..", "..");

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
    const args: CliArgs = { stack: "", preview: false, summary: false, set: {}, setSecret: {} };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value\n${USAGE}`);
            return v;
        };
        const pair = (into: Record<string, string>) => {
            const v = value();
            const eq = v.indexOf("=");
            if (eq <= 0) throw new UsageError(`${a} takes KEY=VALUE (got "${v}")\n${USAGE}`);
            into[v.slice(0, eq)] = v.slice(eq + 1);
        };
        switch (a) {
            case "--stack":
                args.stack = value();
                break;
            case "--out":
                args.out = value();
                break;
            case "--preview":
                args.preview = true;
                break;
            case "--summary":
                args.summary = true;
                break;
            case "--set":
                pair(args.set);
                break;
            case "--set-secret":
                pair(args.setSecret);
                break;
            case "-h":
            case "--help":
                process.stdout.write(`${USAGE}\n`);
                process.exit(0);
            default:
                throw new UsageError(`unknown option "${a}"\n${USAGE}`);
        }
    }
    if (!args.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    if (!args.out && !args.summary) args.summary = true;
    return args;
}

function fileNameOf(obj: any): string {
    const kind = String(obj.kind).toLowerCase();
    const ns = obj.metadata?.namespace;
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");
    return `${safe(kind)}-${ns ? `${safe(ns)}-` : ""}${safe(String(obj.metadata?.name))}.yaml`;
}

export function writeRender(result: RenderResult, out: string): void {
    const manifests = path.join(out, "manifests");
    fs.rmSync(manifests, { recursive: true, force: true });
    fs.mkdirSync(manifests, { recursive: true });
    for (const obj of result.objects) {
        fs.writeFileSync(path.join(manifests, fileNameOf(obj)), stringify(obj, { lineWidth: 0 }));
    }
    fs.writeFileSync(
        path.join(out, "resources.json"),
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
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
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
    if (args.out) {
        writeRender(result, args.out);
        process.stderr.write(
            `wrote ${path.join(args.out, "manifests")}/ and ${path.join(args.out, "resources.json")}\n`,
        );
    }
    if (args.summary) process.stdout.write(summarize(result));
}

main().catch((err) => {
    const known = err instanceof UsageError || pulumi.RunError.isInstance(err) || pulumi.ResourceError.isInstance(err);
    process.stderr.write(`error: ${known ? err.message : (err?.stack ?? err)}\n`);
    process.exit(known ? 2 : 1);
});
