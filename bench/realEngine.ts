/**
 * Real-engine benchmark: `npm run bench:engine`. For the staging stack as it is and with 200 generated services
 * (bench/previewOffline.ts's generator, the staging services repeated over 20 namespaces), it measures the wall time of
 *   - `preview:offline` (mock runtime + offline checker, one process),
 *   - `preview:real` with the policy pack and without it (the pack's overhead as a ratio),
 * and the peak resident memory of the analyzer (the Node.js process running the pack under the real engine), sampled
 * from /proc every 100 ms. The four add-ons are `existing`, as in the real-engine tests. A benchmark, not a test: it
 * reports, it does not assert. BENCH_ENGINE_SIZES=0,200 picks the sizes (0: the stack's own services).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { generatedServices } from "./previewOfflineWorker";
import { ENGINE_SET, ROOT, setArgs } from "../tools/engine/workspace";
import { previewReal } from "../tools/previewReal";

const SIZES = (process.env.BENCH_ENGINE_SIZES ?? "0,200").split(",").map(Number);

/** Highest VmRSS (MiB) seen, while `work` runs, of processes whose command line contains `marker`. */
async function peakRss<T>(marker: string, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
    let peakKiB = 0;
    const sample = () => {
        for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
            try {
                if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) continue;
                const rss = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
                if (rss) peakKiB = Math.max(peakKiB, Number(rss[1]));
            } catch {
                // The process ended between listing and reading.
            }
        }
    };
    const timer = setInterval(sample, 100);
    try {
        const result = await work();
        return { result, peakMiB: peakKiB / 1024 };
    } finally {
        clearInterval(timer);
    }
}

function offlinePreview(services?: unknown[]): number {
    const args = ["--import", "tsx", "tools/previewOffline.ts", "--stack", "staging", "--format", "json"];
    args.push(...setArgs(ENGINE_SET));
    if (services) args.push("--set", `services=${JSON.stringify(services)}`);
    const started = Date.now();
    const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "node"), args, {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    if (r.status !== 0 && r.status !== 1) throw new Error(`preview:offline failed: ${r.stderr}`);
    return Date.now() - started;
}

async function main(): Promise<void> {
    const staging = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");
    const rows: string[] = [];
    for (const n of SIZES) {
        const services = n > 0 ? generatedServices(n) : undefined;
        let stackYaml: string | undefined;
        if (services) {
            const doc = parse(staging);
            doc.config["zdp:services"] = services;
            stackYaml = stringify(doc);
        }
        const label = n > 0 ? `${n} services` : "staging";
        process.stderr.write(`${label}: preview:offline...`);
        const offlineMs = offlinePreview(services);
        process.stderr.write(` preview:real with the pack...`);
        const withPack = await peakRss("run-policy-pack", () =>
            previewReal({ stack: "staging", set: ENGINE_SET, stackYaml }),
        );
        if (withPack.result.errors.length > 0) throw new Error(withPack.result.errors.join("\n"));
        process.stderr.write(` without...`);
        const without = await previewReal({ stack: "staging", set: ENGINE_SET, stackYaml, noPolicy: true });
        process.stderr.write(" done\n");
        const real = withPack.result;
        rows.push(
            `| ${label} | ${real.urns.length} | ${(offlineMs / 1000).toFixed(1)} | ${(real.previewMs / 1000).toFixed(1)} | ` +
                `${(without.previewMs / 1000).toFixed(1)} | ${(real.previewMs / without.previewMs).toFixed(2)} | ` +
                `${withPack.peakMiB.toFixed(0)} |`,
        );
    }
    console.log(
        [
            "| stack | resources | preview:offline s | preview:real s | real, no pack s | pack overhead × | analyzer peak MiB |",
            "|---|---:|---:|---:|---:|---:|---:|",
            ...rows,
        ].join("\n"),
    );
}

main().catch((e) => {
    process.stderr.write(`bench:engine: ${(e as Error).message}\n`);
    process.exit(1);
});
