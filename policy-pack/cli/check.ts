/**
 * Offline policy checker: runs the pack's policies over Kubernetes manifests without Pulumi.
 *
 *   npm run policy:check -- [--config FILE] [--policy NAME]... [--format text|json|sarif|junit] [--output FILE]
 *                           [--list] [--allowed-registry HOST[/PREFIX]]... [--offline] PATH...
 *
 * PATH is a YAML or JSON file (several documents allowed), a directory (searched recursively for *.yaml, *.yml and
 * *.json) or `-` for standard input. Exit status: 0 when no mandatory violation, 1 when there is one, 2 when the
 * input, the config or the command line is wrong (the message names the file and line).
 *
 * JSON, SARIF 2.1.0 (for code scanning) and JUnit XML carry, for every violation, its file, line, policy, severity,
 * enforcement level and remediation (see ../lib/reports.ts). --output FILE writes the report there; the summary then
 * goes to standard error, as it always does for SARIF and JUnit.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import {
    ManifestObject,
    PolicyConfigError,
    PolicyEngine,
    PolicyInfo,
    UnknownPolicyError,
    Violation,
    hasMandatory,
} from "../lib/engine";
import { ManifestError, loadManifests, manifestFiles } from "../lib/manifests";
import { IMAGE_CLI_USAGE, ImageOptionError, applyImageCliOptions } from "../images/cliOptions";
import { allPolicies } from "../policies";
import {
    Finding,
    ReportRule,
    ReportWriteError,
    junitReport,
    rulesOfPolicies,
    ruleOf,
    sarifReport,
    writeReport,
} from "../lib/reports";

const USAGE = `usage: npm run policy:check -- [--config FILE] [--policy NAME]... [--format text|json|sarif|junit]
                             [--output FILE] [--list] [--allowed-registry HOST[/PREFIX]]... [--offline] PATH...

  PATH            YAML/JSON file, directory (recursive) or - for standard input
  --config FILE   policy-pack config in Pulumi's format, e.g. policy-pack/config/prod.json
  --policy NAME   run only this policy (repeatable)
  --format FMT    text (default), json, sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML)
  --output FILE   write the report to FILE instead of standard output (the summary goes to standard error)
  --list          list the policies with their enforcement level and description
${IMAGE_CLI_USAGE}

exit status: 0 no mandatory violation, 1 mandatory violations, 2 bad input, config or usage`;

/** A user error: printed as one message, exit status 2. */
class UsageError extends Error {}

interface Io {
    stdout: (s: string) => void;
    stderr: (s: string) => void;
    stdin: NodeJS.ReadableStream;
}

/** Runs the checker with command-line arguments and returns the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
    try {
        return await run(argv, io);
    } catch (e) {
        if (
            e instanceof UsageError ||
            e instanceof ManifestError ||
            e instanceof ImageOptionError ||
            e instanceof ReportWriteError
        ) {
            io.stderr(`policy:check: ${e.message}\n`);
            return 2;
        }
        if (e instanceof UnknownPolicyError) {
            const names = e.unknown.map((n) => `"${n}"`).join(", ");
            io.stderr(
                `policy:check: unknown policy ${names}; valid names:\n${e.valid.map((n) => `  ${n}`).join("\n")}\n`,
            );
            return 2;
        }
        if (e instanceof PolicyConfigError) {
            io.stderr(`policy:check: invalid policy configuration:\n${e.errors.map((x) => `  - ${x}`).join("\n")}\n`);
            return 2;
        }
        throw e;
    }
}

async function run(argv: string[], io: Io): Promise<number> {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            allowPositionals: true,
            options: {
                config: { type: "string" },
                policy: { type: "string", multiple: true },
                format: { type: "string", default: "text" },
                output: { type: "string" },
                list: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
                "allowed-registry": { type: "string", multiple: true },
                offline: { type: "boolean", default: false },
            },
        });
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
        io.stdout(`${USAGE}\n`);
        return 0;
    }
    const format = values.format;
    if (!(FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${format}"`);
    }
    if (values.output === "") throw new UsageError("--output needs a file name");

    const config = applyImageCliOptions(values.config === undefined ? {} : readConfig(values.config), {
        allowedRegistries: values["allowed-registry"],
        offline: values.offline,
    });
    let engine: PolicyEngine;
    try {
        engine = new PolicyEngine({ config, only: values.policy });
    } catch (e) {
        if (e instanceof PolicyConfigError && values.config) {
            throw new PolicyConfigError(e.errors.map((x) => `${values.config}: ${x}`));
        }
        throw e;
    }

    if (values.list) {
        const selected = values.policy?.length ? new Set(values.policy) : undefined;
        const list = engine.policies.filter((p) => !selected || selected.has(p.name));
        if (format === "sarif" || format === "junit") throw new UsageError(`--list prints text or json, not ${format}`);
        writeReport(
            format === "json" ? `${JSON.stringify(list, null, 2)}\n` : formatList(list),
            values.output,
            io.stdout,
        );
        return 0;
    }
    if (positionals.length === 0) throw new UsageError(`no PATH given\n${USAGE}`);

    const objects: ManifestObject[] = [];
    for (const p of positionals) {
        // Each PATH must hold something: an empty file, a folder without manifests or a mistyped glob would
        // otherwise "pass" with nothing checked.
        const found = await loadManifests([p], io.stdin);
        if (found.length === 0) {
            const where = p === "-" ? "standard input" : p;
            throw new UsageError(
                `${where}: no Kubernetes object found (${describeEmpty(p)}); nothing would be checked, so this is an error`,
            );
        }
        objects.push(...found);
    }
    const violations = await engine.check(objects);
    const rules = rulesOfPolicies(allPolicies).filter((r) => engine.policies.some((p) => p.name === r.id));
    const summary = summaryOf(violations, objects);
    if (format === "text") {
        writeReport(formatText(violations, summary), values.output, io.stdout);
    } else {
        const findings = findingsOf(violations, rules);
        const ran = rules.filter((r) => {
            const info = engine.policies.find((p) => p.name === r.id);
            return info?.enforcementLevel !== "disabled" && (!values.policy?.length || values.policy.includes(r.id));
        });
        const text =
            format === "json"
                ? `${JSON.stringify(findings.map(jsonOf), null, 2)}\n`
                : format === "sarif"
                  ? sarifReport(TOOL, ran, findings)
                  : junitReport("policy:check", ran, findings);
        writeReport(text, values.output, io.stdout);
    }
    // The summary where it does not mix with a report: always for SARIF and JUnit, and whenever --output is given
    // (JSON on standard output stays the only output, as before).
    if (values.output !== undefined || format === "sarif" || format === "junit") io.stderr(`${summary}\n`);
    return hasMandatory(violations) ? 1 : 0;
}

/** Why PATH yielded nothing: no manifest file below a directory, or files without any object. */
function describeEmpty(p: string): string {
    if (p === "-") return "empty or only comments";
    const files = manifestFiles(p);
    if (files.length === 0) return "a directory with no *.yaml, *.yml or *.json file";
    return files.length === 1 && files[0] === p
        ? "the file is empty or only comments"
        : `${files.length} file(s), each empty or only comments`;
}

function readConfig(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(`${file}: cannot read config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
        return text.trim() === "" ? {} : JSON.parse(text);
    } catch (e) {
        throw new UsageError(`${file}: invalid JSON: ${(e as Error).message}`);
    }
}

function formatList(list: readonly PolicyInfo[]): string {
    const width = Math.max(...list.map((p) => p.name.length));
    return (
        list
            .map((p) => {
                const cis = p.cis ? `CIS ${p.cis}` : "no CIS id";
                return `${p.name.padEnd(width)}  ${p.enforcementLevel.padEnd(9)}  ${p.kind.padEnd(8)}  ${cis}\n    ${p.description}`;
            })
            .join("\n") + "\n"
    );
}

const FORMATS = ["text", "json", "sarif", "junit"] as const;

/** The tool as SARIF names it. */
const TOOL = { name: "zdp-policy-check", version: packVersion() };

function packVersion(): string {
    // The pack's own version: the policies a SARIF run reports are those of this version.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../package.json") as { version: string }).version;
}

/** A violation with its policy's severity and remediation: what every machine-readable format reports. */
interface CheckFinding extends Finding {
    kind: string | null;
    namespace: string | null;
    name: string | null;
}

function findingsOf(violations: readonly Violation[], rules: readonly ReportRule[]): CheckFinding[] {
    return violations.map((v) => {
        const rule = ruleOf(rules, v.policy);
        const subject = v.kind ? `${v.kind} ${v.namespace ? `${v.namespace}/` : ""}${v.name ?? ""}`.trim() : undefined;
        return {
            file: v.file,
            line: v.line,
            policy: v.policy,
            severity: rule.severity,
            enforcementLevel: v.enforcementLevel,
            remediation: rule.remediation,
            message: v.message,
            subject,
            kind: v.kind,
            namespace: v.namespace,
            name: v.name,
        };
    });
}

/** The JSON form of a finding: the engine's violation plus line, severity and remediation. */
function jsonOf(f: CheckFinding): Record<string, unknown> {
    return {
        policy: f.policy,
        enforcementLevel: f.enforcementLevel,
        severity: f.severity,
        kind: f.kind,
        namespace: f.namespace,
        name: f.name,
        file: f.file,
        line: f.line,
        message: f.message,
        remediation: f.remediation,
    };
}

function summaryOf(violations: readonly Violation[], objects: readonly ManifestObject[]): string {
    const files = new Set(objects.map((o) => o.file)).size;
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const advisory = violations.length - mandatory;
    const scope = `${objects.length} object(s) from ${files} file(s)`;
    return violations.length
        ? `${mandatory} mandatory and ${advisory} advisory violation(s) in ${scope}.`
        : `No violations in ${scope}.`;
}

function formatText(violations: readonly Violation[], summary: string): string {
    const lines: string[] = [];
    for (const v of violations) {
        const where = v.file ? `${v.file}${v.line ? `:${v.line}` : ""}` : "(stack)";
        lines.push(`${where}: ${v.enforcementLevel.toUpperCase()} [${v.policy}]`, `    ${v.message}`);
    }
    lines.push(summary);
    return `${lines.join("\n")}\n`;
}

if (require.main === module) {
    main(process.argv.slice(2), {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
        stdin: process.stdin,
    }).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            // A bug, not a user error: one line (set ZDP_DEBUG=1 for the stack trace to report it).
            const detail =
                e instanceof Error ? (process.env.ZDP_DEBUG ? (e.stack ?? e.message) : e.message) : String(e);
            process.stderr.write(`policy:check: internal error: ${detail}\n`);
            process.exitCode = 2;
        },
    );
}
