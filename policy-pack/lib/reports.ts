/**
 * Machine-readable reports shared by the command-line tools (`policy:check`, `preview:offline`, `scan:secrets`):
 * SARIF 2.1.0 for code scanning (built with node-sarif-builder on the SARIF object model of @types/sarif) and JUnit
 * XML for test dashboards (built with junit-report-builder). Every finding carries the same facts in every format:
 * file, line, policy, severity, enforcement level and remediation.
 *
 *   const rules = rulesOfPolicies(allPolicies);                // or the tool's own rules
 *   sarifReport({ name: "zdp-policy-check", version }, rules, findings)   // JSON text
 *   junitReport("policy:check", rules, findings)                         // XML text
 *
 * SARIF levels: a mandatory finding is `error`, an advisory one `warning`; each rule carries GitHub's numeric
 * `security-severity` (critical 9.5, high 8.0, medium 5.5, low 3.0) so code scanning ranks the alerts. In JUnit each
 * rule is a test suite; each finding a test case that fails when mandatory (an advisory one passes, its message in
 * system-out), and a rule without findings one passing case, so the report shows what ran.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policies } from "@pulumi/policy";
import junit from "junit-report-builder";
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from "node-sarif-builder";
import type { Result } from "sarif";

/** How bad a finding is: the policy's severity (@pulumi/policy's scale). */
export type FindingSeverity = "low" | "medium" | "high" | "critical";

/** What the reports know about a rule (a policy, or a scanner's rule). */
export interface ReportRule {
    id: string;
    description: string;
    severity: FindingSeverity;
    /** The level it is enforced at when nothing overrides it. */
    enforcementLevel: "advisory" | "mandatory";
    remediation: string;
    tags?: string[];
}

/** One finding, in the shape every format is made from. */
export interface Finding {
    /** Repository-relative (or as given) path of the file at fault; null when the finding has no file. */
    file: string | null;
    /** 1-based line in `file`; null when unknown. */
    line: number | null;
    column?: number;
    /** The rule's id (a policy name). */
    policy: string;
    severity: FindingSeverity;
    enforcementLevel: "advisory" | "mandatory";
    remediation: string;
    message: string;
    /** What the finding is about, for the report (`ClusterRole ops`, a resource URN, a commit). */
    subject?: string;
}

const SECURITY_SEVERITY: Record<FindingSeverity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

/** The rules of a set of policies: name, description, severity, level and remediation from their metadata. */
export function rulesOfPolicies(policies: Policies): ReportRule[] {
    return policies.map((p) => {
        if (!p.remediationSteps) throw new Error(`policy ${p.name} has no remediation steps`);
        return {
            id: p.name,
            description: p.description,
            severity: (p.severity ?? "medium") as FindingSeverity,
            enforcementLevel: p.enforcementLevel === "advisory" ? "advisory" : "mandatory",
            remediation: p.remediationSteps,
            tags: p.tags ? [...p.tags] : undefined,
        };
    });
}

/** A rule by id, or an error naming the id (a finding of an unknown rule is a bug, never a silent omission). */
export function ruleOf(rules: readonly ReportRule[], id: string): ReportRule {
    const rule = rules.find((r) => r.id === id);
    if (!rule) throw new Error(`no report rule "${id}" (known: ${rules.map((r) => r.id).join(", ")})`);
    return rule;
}

/** A file path as a SARIF artifact URI: relative to `root` when inside it, forward slashes, percent-encoded. */
export function artifactUri(file: string, root: string = process.cwd()): string {
    const rel = path.isAbsolute(file) ? path.relative(root, file) : file;
    const inside = rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
    const p = (inside ? rel : path.resolve(root, file)).split(path.sep).join("/");
    return inside ? encodeURI(p) : `file://${encodeURI(p)}`;
}

export interface ToolInfo {
    name: string;
    version: string;
    informationUri?: string;
}

/** A SARIF 2.1.0 log with one run of `tool`: every rule, every finding. Returns the JSON text. */
export function sarifReport(
    tool: ToolInfo,
    rules: readonly ReportRule[],
    findings: readonly Finding[],
    root: string = process.cwd(),
): string {
    const builder = new SarifBuilder();
    const run = new SarifRunBuilder().initSimple({
        toolDriverName: tool.name,
        toolDriverVersion: tool.version,
        url: tool.informationUri,
    });
    for (const rule of rules) {
        const r = new SarifRuleBuilder().initSimple({
            ruleId: rule.id,
            shortDescriptionText: rule.description,
            fullDescriptionText: rule.description,
        });
        r.rule.name = rule.id;
        r.rule.help = { text: rule.remediation };
        r.rule.defaultConfiguration = { level: levelOf(rule.enforcementLevel) };
        r.rule.properties = {
            tags: [...new Set(["security", ...(rule.tags ?? [])])],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            severity: rule.severity,
            enforcementLevel: rule.enforcementLevel,
        };
        run.addRule(r);
    }
    for (const f of findings) {
        ruleOf(rules, f.policy);
        const r = new SarifResultBuilder();
        r.setRuleId(f.policy);
        r.setLevel(levelOf(f.enforcementLevel));
        r.setMessageText(f.subject ? `${f.subject}: ${f.message}` : f.message);
        if (f.file !== null) {
            r.result.locations = [
                {
                    physicalLocation: {
                        artifactLocation: { uri: artifactUri(f.file, root) },
                        region: {
                            startLine: f.line !== null && f.line >= 1 ? f.line : 1,
                            ...(f.column && f.column >= 1 ? { startColumn: f.column } : {}),
                        },
                    },
                },
            ];
        }
        r.result.properties = {
            file: f.file,
            line: f.line,
            policy: f.policy,
            severity: f.severity,
            enforcementLevel: f.enforcementLevel,
            remediation: f.remediation,
            ...(f.subject ? { subject: f.subject } : {}),
        };
        run.addResult(r);
    }
    builder.addRun(run);
    return `${builder.buildSarifJsonString({ indent: true })}\n`;
}

function levelOf(level: "advisory" | "mandatory"): Result.level {
    return level === "mandatory" ? "error" : "warning";
}

/** A JUnit XML report: one suite per rule, one case per finding (failing when mandatory). Returns the XML text. */
export function junitReport(name: string, rules: readonly ReportRule[], findings: readonly Finding[]): string {
    const builder = junit.newBuilder().name(name);
    for (const f of findings) ruleOf(rules, f.policy);
    for (const rule of rules) {
        const suite = builder
            .testSuite()
            .name(rule.id)
            .property("severity", rule.severity)
            .property("enforcementLevel", rule.enforcementLevel)
            .property("remediation", rule.remediation);
        const mine = findings.filter((f) => f.policy === rule.id);
        if (mine.length === 0) {
            suite.testCase().className(rule.id).name(`${rule.id}: no finding`);
            continue;
        }
        for (const f of mine) {
            const where = f.file === null ? "(no file)" : `${f.file}${f.line !== null ? `:${f.line}` : ""}`;
            const c = suite
                .testCase()
                .className(rule.id)
                .name(`${where}${f.subject ? ` ${f.subject}` : ""}`)
                .property("file", f.file ?? "")
                .property("line", f.line === null ? "" : String(f.line))
                .property("policy", f.policy)
                .property("severity", f.severity)
                .property("enforcementLevel", f.enforcementLevel)
                .property("remediation", f.remediation);
            if (f.file !== null) c.file(f.file);
            if (f.enforcementLevel === "mandatory") c.failure(f.message, f.severity);
            else c.standardOutput(`advisory: ${f.message}`);
        }
    }
    return `${builder.build()}\n`;
}

/**
 * Writes a report to `file` (creating its folder) or, without a file, to `stdout`. A report that cannot be written
 * is an error naming the file: a CI step must never upload an empty or stale report.
 */
export function writeReport(text: string, file: string | undefined, stdout: (s: string) => void): void {
    if (file === undefined) {
        stdout(text);
        return;
    }
    try {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, text);
    } catch (e) {
        throw new ReportWriteError(`--output ${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
}

/** The report could not be written. */
export class ReportWriteError extends Error {}
