/**
 * Scale benchmark: `npm run bench`. For 12, 100, 200 and 400 services it measures, each in a fresh process:
 *   (a) the floor: the Pulumi SDK registering as many bare resources as the program registers, under the mock runtime;
 *   (b) the program: index.ts with that many services (the staging stack's services, repeated);
 *   (c) the policy pack over everything the program registered.
 * and prints time and peak memory with the ratios the goals are stated in: (b+c)/(a) <= 1.5, 400/200 growth <= 2.1,
 * peak memory <= 1 GiB at 200 services. A benchmark, not a test: it reports, it does not assert.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const WORKER = path.join(__dirname, "benchWorker.ts");
const SIZES = (process.env.BENCH_SIZES ?? "12,100,200,400").split(",").map(Number);

interface Run {
    ms: number;
    policyMs?: number;
    resources: number;
    objects?: number;
    maxRssMiB: number;
}

function run(mode: string, n: number): Run {
    const out = execFileSync(process.execPath, ["--import", "tsx", WORKER, mode, String(n)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.trim().split("\n").pop()!);
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);
const rows: { n: number; program: Run; floor: Run }[] = [];
process.stderr.write(`scale benchmark: ${SIZES.join(", ")} services (each measurement in its own process)\n`);
for (const n of SIZES) {
    process.stderr.write(`  ${n} services: program + policies...`);
    const program = run("program", n);
    process.stderr.write(` ${program.resources} resources; floor...`);
    const floor = run("floor", program.resources);
    process.stderr.write(" done\n");
    rows.push({ n, program, floor });
}

const lines = [
    "| services | resources | floor ms | program ms | policies ms | (prog+pol)/floor | floor MiB | program MiB |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|",
];
for (const { n, program, floor } of rows) {
    const total = program.ms + (program.policyMs ?? 0);
    lines.push(
        `| ${n} | ${program.resources} | ${fmt(floor.ms)} | ${fmt(program.ms)} | ${program.policyMs === undefined ? "     n/a" : fmt(program.policyMs)} | ${fmt(total / floor.ms, 2)} | ${fmt(floor.maxRssMiB)} | ${fmt(program.maxRssMiB)} |`,
    );
}
const at = (n: number) => rows.find((r) => r.n === n);
const r200 = at(200);
const r400 = at(400);
if (r200 && r400) {
    const t = (r: (typeof rows)[number]) => r.program.ms + (r.program.policyMs ?? 0);
    lines.push(
        "",
        `growth 400/200: program+policies ${(t(r400) / t(r200)).toFixed(2)}x, floor ${(r400.floor.ms / r200.floor.ms).toFixed(2)}x (goal <= 2.1x)`,
    );
    lines.push(`peak memory at 200 services: ${r200.program.maxRssMiB.toFixed(0)} MiB (goal <= 1024 MiB)`);
}
process.stdout.write(`${lines.join("\n")}\n`);
