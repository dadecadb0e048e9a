/**
 * The real tools the gate and alert tests run: Debian's `prometheus` and `promtool`, and tools/gates (Argo Rollouts'
 * condition evaluation, built from the Go module proxy on demand). Missing tools fail the tests under CI and skip
 * them locally, with the way to install them.
 */
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../../..");
export const GATES_BIN = path.join(ROOT, ".tools/bin/gates");

/** `name` on PATH or in /usr/bin, or undefined. */
export function findTool(name: string): string | undefined {
    for (const dir of [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin"]) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** Fails under CI, skips locally: `ctx` is the mocha context of a `before` hook. */
export function requireTool(ctx: Mocha.Context, name: string, install: string): string {
    const found = findTool(name);
    if (found) return found;
    const message = `${name} is not installed (${install})`;
    if (process.env.CI) throw new Error(`${message}: CI must run this test`);
    console.warn(`      skipped: ${message}`);
    ctx.skip();
}

/** Builds tools/gates when its inputs changed (a second in the usual case); needs Go. */
export function buildGates(ctx: Mocha.Context): string {
    requireTool(ctx, "go", "install Go 1.26 or newer; tools/gates is built from the Go module proxy");
    execFileSync(path.join(ROOT, "tools/gates/build.sh"), { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    return GATES_BIN;
}

export type Phase = "Successful" | "Failed" | "Inconclusive" | "Error";

/** A metric's conditions and one query result, as Argo's Prometheus provider hands it over (a vector's values). */
export interface GateCase {
    successCondition?: string;
    failureCondition?: string;
    result: number[];
}

/** Argo's phase for every case, from tools/gates. */
export function evaluate(cases: readonly GateCase[]): { phase: Phase; error?: string }[] {
    const input = cases.map((c) => ({
        successCondition: c.successCondition ?? "",
        failureCondition: c.failureCondition ?? "",
        // JSON has no NaN or Infinity: the tool reads them as strings.
        result: c.result.map((v) => (Number.isFinite(v) ? v : String(v).replace(/^Infinity$/, "+Inf"))),
    }));
    const out = execFileSync(GATES_BIN, { input: JSON.stringify(input), timeout: 10_000 });
    return JSON.parse(out.toString()) as { phase: Phase; error?: string }[];
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

/** A Prometheus on 127.0.0.1 over a temporary data directory, optionally pre-filled from OpenMetrics text. */
export class PrometheusServer {
    private constructor(
        readonly url: string,
        private readonly child: ChildProcess,
        private readonly dir: string,
        private readonly log: () => string,
    ) {}

    static async start(opts: { openMetrics?: string; startupTimeoutMs?: number } = {}): Promise<PrometheusServer> {
        const prometheus = findTool("prometheus");
        const promtool = findTool("promtool");
        if (!prometheus || !promtool) throw new Error("prometheus and promtool must be installed");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-prometheus-"));
        const data = path.join(dir, "data");
        fs.mkdirSync(data);
        if (opts.openMetrics !== undefined) {
            const input = path.join(dir, "series.om");
            fs.writeFileSync(input, opts.openMetrics);
            execFileSync(promtool, ["tsdb", "create-blocks-from", "openmetrics", input, data], {
                stdio: ["ignore", "ignore", "pipe"],
                timeout: 60_000,
            });
        }
        const config = path.join(dir, "prometheus.yml");
        fs.writeFileSync(config, "global: {}\nscrape_configs: []\n");
        const port = await freePort();
        const child = spawn(
            prometheus,
            [
                `--config.file=${config}`,
                `--storage.tsdb.path=${data}`,
                `--web.listen-address=127.0.0.1:${port}`,
                "--storage.tsdb.retention.time=30d",
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        let stderr = "";
        child.stderr?.on("data", (b: Buffer) => {
            stderr = (stderr + b.toString()).slice(-4000);
        });
        const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, dir, () => stderr);
        const deadline = Date.now() + (opts.startupTimeoutMs ?? 10_000);
        for (;;) {
            if (child.exitCode !== null) {
                server.stop();
                throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
            }
            try {
                const res = await fetch(`${server.url}/-/ready`);
                if (res.ok) return server;
            } catch {
                // not listening yet
            }
            if (Date.now() > deadline) {
                server.stop();
                throw new Error(`prometheus was not ready within ${opts.startupTimeoutMs ?? 10_000} ms: ${stderr}`);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
    }

    /** An instant query at `time` (seconds) as Argo's provider reads it: the values of the vector, or the scalar. */
    async query(query: string, time: number): Promise<number[]> {
        const url = `${this.url}/api/v1/query?${new URLSearchParams({ query, time: String(time) })}`;
        const res = await fetch(url);
        const body = (await res.json()) as {
            status: string;
            error?: string;
            data?: { resultType: string; result: unknown };
        };
        if (body.status !== "success" || !body.data) throw new Error(`query failed: ${body.error}\n${query}`);
        if (body.data.resultType === "scalar") return [Number((body.data.result as [number, string])[1])];
        if (body.data.resultType !== "vector") throw new Error(`unexpected ${body.data.resultType} result`);
        return (body.data.result as { value: [number, string] }[]).map((s) => Number(s.value[1]));
    }

    stop(): void {
        if (this.child.exitCode === null) this.child.kill("SIGKILL");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }

    get stderr(): string {
        return this.log();
    }
}
