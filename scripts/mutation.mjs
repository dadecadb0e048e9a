// @ts-check
/**
 * `npm run test:mutation [-- MODULE ...]`: one Stryker run per module of stryker.config.mjs (all of them by default),
 * then a table of the mutation scores, also appended to $GITHUB_STEP_SUMMARY when set (the scheduled workflow).
 * Exits non-zero when any module scores under the break threshold (or its run fails).
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import config, { MODULES } from "../stryker.config.mjs";

const root = join(import.meta.dirname, "..");
const requested = process.argv.slice(2);
const unknown = requested.filter((m) => !(m in MODULES));
if (unknown.length > 0) {
    console.error(`unknown module(s) ${unknown.join(", ")}; expected some of ${Object.keys(MODULES).join(", ")}`);
    process.exit(2);
}
const modules = requested.length > 0 ? requested : Object.keys(MODULES);

/** Score of a Stryker JSON report: detected / (detected + undetected), as Stryker computes it, ignored excluded. */
function scoreOf(/** @type {string} */ file) {
    const report = JSON.parse(readFileSync(file, "utf8"));
    const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, Ignored: 0, other: 0 };
    for (const f of Object.values(report.files)) {
        for (const m of /** @type {{ mutants: { status: string }[] }} */ (f).mutants) {
            if (m.status in counts) counts[/** @type {keyof typeof counts} */ (m.status)]++;
            else counts.other++;
        }
    }
    const detected = counts.Killed + counts.Timeout;
    const valid = detected + counts.Survived + counts.NoCoverage;
    return { ...counts, score: valid === 0 ? 100 : (100 * detected) / valid };
}

const rows = [];
let failed = false;
for (const name of modules) {
    console.log(`\n=== mutation testing ${name} (${MODULES[/** @type {keyof typeof MODULES} */ (name)].mutate})`);
    const started = Date.now();
    const run = spawnSync("stryker", ["run", "stryker.config.mjs"], {
        cwd: root,
        stdio: "inherit",
        env: { ...process.env, ZDP_MUTATION_MODULE: name },
    });
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    const report = join(root, "reports", "mutation", `${name}.json`);
    if (run.status !== 0) failed = true;
    if (!existsSync(report)) {
        rows.push(`| ${name} | run failed (exit ${run.status}) | | | | ${minutes} |`);
        continue;
    }
    const s = scoreOf(report);
    rows.push(
        `| ${MODULES[/** @type {keyof typeof MODULES} */ (name)].mutate} | ${s.score.toFixed(1)} % | ` +
            `${s.Killed + s.Timeout} | ${s.Survived} | ${s.NoCoverage} | ${s.Ignored} | ${minutes} |`,
    );
}

const table = [
    `Mutation scores (break under ${config.thresholds?.break} %)`,
    "",
    "| Module | Score | Killed | Survived | No coverage | Excluded | Minutes |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
].join("\n");
console.log(`\n${table}`);
if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, table);
process.exit(failed ? 1 : 0);
