/**
 * Scale benchmark: `npm run bench`. For 12, 100, 200 and 400 services it measures, each in a fresh process:
 *   (a) the floor: the Pulumi SDK under the mock runtime registering exactly the resources the program registers
 *       (same types, names, parents and inputs, as plain values, through the same @pulumi/kubernetes classes) —
 *       what those resources cost whatever code declares them; and, for reference, as many bare resources with tiny
 *       inputs and no Kubernetes classes;
 *   (b) the program: index.ts with that many services (the staging stack's services, repeated);
 *   (c) the policy pack over every object the program declared.
 * It prints time and peak memory with the ratios the goals are stated in: (b+c)/(a) <= 1.5, growth 400/200 <= 2.1,
 * peak memory <= 1 GiB at 200 services. A benchmark, not a test: it reports, it does not assert.
 * The program's input (the generated services) is made before its clock starts, as the floor's is read before its own.
 * BENCH_SIZES=12,100 limits the sizes. BENCH_RUNS=3 measures each size three times (in turn: program, floor, bare)
 * and reports the median of each figure: on a shared machine one run can be off by tens of percent. BENCH_CLOCK=cpu
 * times each span by the measuring process's CPU time instead of wall time (previewOfflineWorker.ts), which other work
 * on the machine moves far less; the table then says so. The load average before and after goes to standard error.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const WORKER = path.join(__dirname, "previewOfflineWorker.ts");
const SIZES = (process.env.BENCH_SIZES ?? "12,100,200,400").split(",").map(Number);
const RUNS = Math.max(1, Math.floor(Number(process.env.BENCH_RUNS ?? "1")) || 1);
const CLOCK = process.env.BENCH_CLOCK ?? "wall";
if (CLOCK !== "wall" && CLOCK !== "cpu") throw new Error(`BENCH_CLOCK must be wall or cpu (got "${CLOCK}")`);

interface Run {
    ms: number;
    policyMs?: number;
    resources: number;
    objects?: number;
    maxRssMiB: number;
}

function run(...args: string[]): Run {
    const out = execFileSync(process.execPath, ["--import", "tsx", WORKER, ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of each figure over several runs of one measurement (policyMs and objects when measured). */
function medianRun(runs: Run[]): Run {
    const of = (pick: (r: Run) => number | undefined) => {
        const values = runs.map(pick).filter((v): v is number => v !== undefined);
        return values.length ? median(values) : undefined;
    };
    return {
        ms: of((r) => r.ms)!,
        policyMs: of((r) => r.policyMs),
        resources: of((r) => r.resources)!,
        objects: of((r) => r.objects),
        maxRssMiB: of((r) => r.maxRssMiB)!,
    };
}

const load = () =>
    os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-bench-"));
const rows: { n: number; program: Run; replay: Run; bare: Run }[] = [];
try {
    process.stderr.write(
        `scale benchmark: ${SIZES.join(", ")} services, ${RUNS} run(s) each (each measurement in its own process); load average ${load()}\n`,
    );
    for (const n of SIZES) {
        const dump = path.join(tmp, `resources-${n}.json`);
        const runs: { program: Run; replay: Run; bare: Run }[] = [];
        for (let i = 0; i < RUNS; i++) {
            process.stderr.write(`  ${n} services${RUNS > 1 ? ` (run ${i + 1})` : ""}: program + policies...`);
            const program = run("program", String(n), dump);
            process.stderr.write(` ${program.resources} resources; floor (same resources)...`);
            const replay = run("replay", String(n), dump);
            process.stderr.write(" bare resources...");
            const bare = run("floor", String(program.resources));
            process.stderr.write(" done\n");
            runs.push({ program, replay, bare });
        }
        rows.push({
            n,
            program: medianRun(runs.map((r) => r.program)),
            replay: medianRun(runs.map((r) => r.replay)),
            bare: medianRun(runs.map((r) => r.bare)),
        });
    }
} finally {
    fs.rmSync(tmp, { recursive: true, force: true });
}
process.stderr.write(`load average after: ${load()}\n`);

const f = (n: number, d = 0) => n.toFixed(d);
const lines = [
    "| services | resources | floor ms (same resources) | bare ms | program ms | policies ms | (program+policies)/floor | floor MiB | program+policies MiB |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
];
const total = (r: Run) => r.ms + (r.policyMs ?? 0);
for (const { n, program, replay, bare } of rows) {
    lines.push(
        `| ${n} | ${program.resources} | ${f(replay.ms)} | ${f(bare.ms)} | ${f(program.ms)} | ${f(program.policyMs ?? 0)} | ${f(total(program) / replay.ms, 2)} | ${f(replay.maxRssMiB)} | ${f(program.maxRssMiB)} |`,
    );
}
const at = (n: number) => rows.find((r) => r.n === n);
const r200 = at(200);
const r400 = at(400);
if (r200 && r400) {
    lines.push(
        "",
        `growth 400/200: program+policies ${f(total(r400.program) / total(r200.program), 2)}x, floor ${f(r400.replay.ms / r200.replay.ms, 2)}x (goal <= 2.1x)`,
        `peak memory at 200 services: ${f(r200.program.maxRssMiB)} MiB (goal <= 1024 MiB)`,
    );
}
if (CLOCK === "cpu")
    lines.push("", `times: CPU time of each measuring process (BENCH_CLOCK=cpu), medians of ${RUNS} run(s)`);
process.stdout.write(`${lines.join("\n")}\n`);
