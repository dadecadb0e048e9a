/**
 * The policy pack's checklist, generated from the policies themselves: their metadata (name, description, severity,
 * CIS control, remediation), their config schema, the level each stack's config (policy-pack/config/<stack>.json)
 * puts them at, as the engine resolves it, and their fixtures (policy-pack/policies/fixtures/<policy>/, or the reasoned
 * entry of without-fixtures.json). Listed in tools/docs.ts as a section of policy-pack/README.md. It only reads the
 * pack: nothing here is imported by it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyInfo, PolicyEngine } from "../policy-pack/lib/engine";
import { SHARED_TRUST_KEYS } from "../policy-pack/images/vulnerabilities";
import { allPolicies } from "../policy-pack/policies";
import { tableCell } from "./markdown";

const ROOT = path.resolve(__dirname, "..");
const PACK = path.join(ROOT, "policy-pack");
const FIXTURES = path.join(PACK, "policies", "fixtures");

/** Why a policy has no fixture folder, and the tests that stand in for it. */
interface WithoutFixtures {
    reason: string;
    tests: string[];
}

const cell = tableCell;
/** Inline code for a table cell (GFM tables need `|` escaped even inside code). */
const code = (s: string) => `\`${s.replace(/\|/g, "\\|")}\``;
/** A link from policy-pack/README.md to a path of the repository. */
const link = (text: string, fromRoot: string) => `[${text}](${path.relative(PACK, path.join(ROOT, fromRoot))})`;

/** The stacks with a policy config, and each policy's level there, as the offline engine (and Pulumi) resolve it. */
function levelsByStack(): { stack: string; levels: Map<string, string> }[] {
    const dir = path.join(PACK, "config");
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => {
            const config = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
            const engine = new PolicyEngine({ config });
            return {
                stack: f.replace(/\.json$/, ""),
                levels: new Map(engine.policies.map((p: PolicyInfo) => [p.name, p.enforcementLevel])),
            };
        });
}

/** The module that declares a policy: the one module of policies/ (besides the index) that exports the object. */
function moduleOf(policy: object): string {
    const dir = path.join(PACK, "policies");
    const found = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts") && f !== "index.ts")
        .filter((f) => Object.values(require(path.join(dir, f)) as object).includes(policy));
    if (found.length !== 1)
        throw new Error(`expected one module of policy-pack/policies/ to export the policy, found ${found.length}`);
    return `policy-pack/policies/${found[0]}`;
}

/**
 * A link to the policy's fixture folder (its files say their outcome; the count is left out so that adding a fixture
 * needs no regenerated README), or the tests that stand in for fixtures and a note saying why.
 */
function fixturesOf(name: string, without: Record<string, WithoutFixtures>): { cell: string; note?: string } {
    if (fs.existsSync(path.join(FIXTURES, name)))
        return { cell: link("fixtures", `policy-pack/policies/fixtures/${name}/`) };
    const entry = without[name];
    if (!entry) throw new Error(`policy ${name} has no fixtures/${name}/ and no entry in without-fixtures.json`);
    const tests = entry.tests.map((t) => link(path.basename(t), t)).join(", ");
    return { cell: `none: ${tests}`, note: `No fixtures: ${entry.reason}.` };
}

/** The generated section: one row per policy in checklist order, then what each checks and how to fix it. */
export async function policyReference(): Promise<string> {
    const stacks = levelsByStack();
    const without: Record<string, WithoutFixtures> = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "without-fixtures.json"), "utf8"),
    );
    const infos = new Map(new PolicyEngine().policies.map((p) => [p.name, p]));
    const isShared = (k: string) => (SHARED_TRUST_KEYS as readonly string[]).includes(k);
    const head = ["Policy", "Kind", "Severity", "CIS", ...stacks.map((s) => s.stack), "Config (besides `exemptions`)"];
    const rows: string[] = [`| ${head.join(" | ")} | Fixtures |`, `|${" --- |".repeat(head.length + 1)}`];
    const checks: string[] = [];
    const config: string[] = ["| Policy | Key | Default | Meaning |", "| --- | --- | --- | --- |"];
    let sharedBy: string | undefined;
    for (const p of allPolicies) {
        const info = infos.get(p.name)!;
        const module = moduleOf(p);
        const properties = Object.entries(p.configSchema?.properties ?? {}).filter(([k]) => k !== "exemptions");
        // The image policies share their trust and registry settings: documented once, under the first that has them.
        const shared = properties.filter(([k]) => isShared(k));
        const keys = [
            ...(shared.length > 0 ? [`${shared.length} image trust keys ([below](#configuration-keys))`] : []),
            ...properties.filter(([k]) => !isShared(k)).map(([k]) => code(k)),
        ];
        const fixtures = fixturesOf(p.name, without);
        rows.push(
            `| ${link(code(p.name), module)} | ${info.kind} | ${p.severity ?? ""} | ${info.cis ?? ""} | ` +
                `${stacks.map((s) => s.levels.get(p.name)).join(" | ")} | ${keys.join(", ")} | ${fixtures.cell} |`,
        );
        if (!p.remediationSteps) throw new Error(`policy ${p.name} has no remediationSteps: add them to its metadata`);
        const fix = p.remediationSteps.charAt(0).toUpperCase() + p.remediationSteps.slice(1);
        checks.push(
            `- **${code(p.name)}**: ${cell(p.description)} _Fix:_ ${cell(fix)}${fixtures.note ? ` ${fixtures.note}` : ""}`,
        );
        for (const [key, schema] of properties) {
            if (isShared(key) && sharedBy !== undefined) continue;
            const s = schema as { default?: unknown; description?: string };
            if (!s.description) throw new Error(`policy ${p.name}: config key ${key} has no description in its schema`);
            config.push(
                `| ${code(p.name)} | ${code(key)} | ${defaultOf(s.default, module)} | ${cell(s.description)} |`,
            );
        }
        if (shared.length > 0 && sharedBy !== undefined) {
            config.push(
                `| ${code(p.name)} | the ${shared.length} image trust keys | as for ${code(sharedBy)} | the same names ` +
                    `and meaning as for ${code(sharedBy)}: each policy gets only its own config, so the stack file repeats them |`,
            );
        }
        if (shared.length > 0) sharedBy ??= p.name;
    }
    return [
        `Stack columns: the level \`config/<stack>.json\` gives the policy there. Generated by \`npm run docs\`.`,
        "",
        ...rows,
        "",
        "What each policy checks, and the fix its violations name:",
        "",
        ...checks,
        "",
        "### Configuration keys",
        "",
        "Besides `exemptions`, which every policy takes ([Exemptions](#exemptions)). Defaults are the schema's; a stack's",
        "config may set others.",
        "",
        ...config,
    ].join("\n");
}

/** A schema default as a table cell: scalars as code, long lists and objects by a link to the schema that holds them. */
function defaultOf(value: unknown, module: string): string {
    if (value === undefined) return "none";
    const json = JSON.stringify(value);
    if (typeof value !== "object" || value === null || json.length <= 40) return code(json);
    const what = Array.isArray(value) ? `${value.length} ${value.length === 1 ? "entry" : "entries"}` : "an object";
    return `${what}, in ${link("the schema", module)}`;
}
