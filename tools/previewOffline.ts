/**
 * Offline preview: what `pulumi preview --policy-pack policy-pack --policy-pack-config policy-pack/config/<stack>.json`
 * would report, without the Pulumi CLI, a cluster or a registry. Renders the stack under the mock runtime, runs the
 * whole policy pack (resource and stack policies) over every Kubernetes object it declares with the stack's policy
 * config, and reports resources by component, policy results and each service's release timing.
 *
 *   npm run preview:offline -- --stack <name> [--format text|markdown|json|sarif|junit] [--output FILE]
 *                              [--policy-config FILE] [--verify-signatures] [--set KEY=VALUE]... [--set-secret KEY=VALUE]...
 *
 * Image signatures are not verified offline (the stack's registry is not reachable here) unless
 * `--verify-signatures` is given; digest pinning and the registry allow-list are always checked.
 * JSON, SARIF 2.1.0 and JUnit XML carry, for every violation, its file (the stack file `Pulumi.<stack>.yaml`: the
 * objects come from the program run with that stack's config; the line of the service's entry for a release's
 * objects), policy, severity, enforcement level, remediation and the resource's URN (policy-pack/lib/reports.ts). `--output FILE` writes the report there; progress is on stderr.
 * Exit codes: 0 no mandatory violation; 1 mandatory violations; 2 usage, stack or config error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LineCounter, isMap, isSeq, parseDocument } from "yaml";
import { applyImageCliOptions } from "../policy-pack/images/cliOptions";
import { PolicyConfigError, PolicyEngine, Violation } from "../policy-pack/lib/engine";
import {
    FindingSeverity,
    ReportWriteError,
    junitReport,
    ruleOf,
    rulesOfPolicies,
    sarifReport,
    writeReport,
} from "../policy-pack/lib/reports";
import { allPolicies } from "../policy-pack/policies";
import { RenderResult, componentNamer, renderStack } from "./renderStack";
import type { ConfigOverrides } from "./engineConfig";
import { errorText, messageOf, parseToolArgs, UsageError } from "./stacks";

const ROOT = path.resolve(__dirname, "..");
const FORMATS = ["text", "markdown", "json", "sarif", "junit"] as const;
type Format = (typeof FORMATS)[number];
const USAGE =
    "usage: npm run preview:offline -- --stack <name> [--format text|markdown|json|sarif|junit] [--output FILE] [--policy-config FILE] [--verify-signatures] [--set KEY=VALUE]... [--set-secret KEY=VALUE]...";

export interface ServiceRelease {
    service: string;
    strategy: string;
    gates: string[];
    healthyPromotionSeconds: number;
    waitsForPromotion: boolean;
    rollbackSeconds: number;
    maxExposurePercent: number;
    previousVersionRetainedSeconds: number;
}

/** A violation of the preview: the engine's, with the stack file, the policy's severity and remediation, the URN. */
export interface PreviewViolation extends Violation {
    component: string;
    urn: string | null;
    severity: FindingSeverity;
    remediation: string;
}

export interface PreviewReport {
    stack: string;
    resources: number;
    objects: number;
    byComponent: Record<string, number>;
    policies: number;
    signaturesVerified: boolean;
    violations: PreviewViolation[];
    mandatory: number;
    advisory: number;
    services: ServiceRelease[];
}

/**
 * The policy config a stack's preview runs with: `policy-pack/config/<stack>.json` (or `policyConfig`), with image
 * signature verification off unless `verifySignatures`.
 */
export function loadPackConfig(
    stack: string,
    opts: { verifySignatures?: boolean; policyConfig?: string } = {},
): { configFile: string; config: unknown } {
    const configFile = path.resolve(opts.policyConfig ?? path.join(ROOT, "policy-pack", "config", `${stack}.json`));
    if (!fs.existsSync(configFile)) throw new UsageError(`no policy config for stack "${stack}" (${configFile})`);
    let rawConfig: unknown;
    try {
        rawConfig = JSON.parse(fs.readFileSync(configFile, "utf8"));
    } catch (e) {
        throw new UsageError(`${configFile}: not valid JSON: ${messageOf(e)}`);
    }
    return { configFile, config: applyImageCliOptions(rawConfig, { offline: !opts.verifySignatures }) };
}

/** Renders `stack` (with `set`/`setSecret` config overrides, as the render takes them) and runs the policy pack over it. */
export async function previewStack(
    stack: string,
    opts: ConfigOverrides & {
        verifySignatures?: boolean;
        policyConfig?: string;
        progress?: (line: string) => void;
    } = {},
): Promise<PreviewReport> {
    const progress = opts.progress ?? (() => undefined);
    progress(`rendering stack "${stack}" under the Pulumi SDK mock runtime...`);
    const result = await renderStack({ root: ROOT, stack, set: opts.set, setSecret: opts.setSecret });
    progress(`  ${result.resources.length} resources, ${result.objects.length} Kubernetes objects`);

    const { configFile, config } = loadPackConfig(stack, opts);
    const engine = new PolicyEngine({ config });
    progress(
        `running ${engine.policies.length} policies (${path.relative(process.cwd(), configFile)}) over ${result.objects.length} objects...`,
    );

    const component = componentNamer(result);
    const componentOfUrn = new Map(result.objectResources.map((r) => [r.urn, component(r)]));
    const violations = await engine.check(
        result.objects.map((object, i) => ({ object, file: result.objectResources[i].urn })),
    );
    const byComponent: Record<string, number> = {};
    for (const r of result.resources) byComponent[component(r)] = (byComponent[component(r)] ?? 0) + 1;
    const rules = rulesOfPolicies(allPolicies);
    const stackFile = `Pulumi.${stack}.yaml`;
    const serviceLines = serviceLinesOf(path.join(ROOT, stackFile));
    const withComponent = violations.map((v): PreviewViolation => {
        const rule = ruleOf(rules, v.policy);
        const component = componentOfUrn.get(v.file ?? "") ?? "(stack)";
        return {
            ...v,
            component,
            urn: v.file,
            file: stackFile,
            line: serviceLines.get(component) ?? null,
            severity: rule.severity,
            remediation: rule.remediation,
        };
    });
    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;
    progress(`  ${mandatory} mandatory, ${violations.length - mandatory} advisory`);
    return {
        stack,
        resources: result.resources.length,
        objects: result.objects.length,
        byComponent,
        policies: engine.policies.length,
        signaturesVerified: !!opts.verifySignatures,
        violations: withComponent,
        mandatory,
        advisory: violations.length - mandatory,
        services: servicesOf(result),
    };
}

/**
 * The line of each service's entry in the stack file's `zdp:services`, by the component it becomes
 * (`BlueGreenService "<namespace>-<name>"`): where a finding about a release is fixed. Other components have none.
 */
function serviceLinesOf(file: string): Map<string, number> {
    const lines = new Map<string, number>();
    const counter = new LineCounter();
    const doc = parseDocument(fs.readFileSync(file, "utf8"), { lineCounter: counter });
    const services = doc.getIn(["config", "zdp:services"], true);
    if (!isSeq(services)) return lines;
    for (const item of services.items) {
        if (!isMap(item) || !item.range) continue;
        const name = item.get("name");
        const namespace = item.get("namespace");
        if (typeof name === "string" && typeof namespace === "string") {
            lines.set(`BlueGreenService "${namespace}-${name}"`, counter.linePos(item.range[0]).line);
        }
    }
    return lines;
}

/** An Argo Rollouts analysis step: the templates it runs. */
interface RolloutAnalysis {
    templates?: { templateName?: string }[];
}

/** The parts of a Rollout's `spec.strategy` that name its gates. */
interface RolloutStrategy {
    blueGreen?: { prePromotionAnalysis?: RolloutAnalysis; postPromotionAnalysis?: RolloutAnalysis };
    canary?: { steps?: { analysis?: RolloutAnalysis }[]; analysis?: RolloutAnalysis };
}

/** Each service's strategy and gates (from its rendered Rollout) and timing (the component's own outputs). */
function servicesOf(result: RenderResult): ServiceRelease[] {
    // The program's `releaseTiming` output: each service's timing, as the component computed it.
    const timing = (result.outputs.releaseTiming ?? {}) as Record<string, Omit<ServiceRelease, "service" | "gates">>;
    const rollouts = new Map(
        result.objects
            .filter((o) => o.kind === "Rollout")
            .map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o.spec as { strategy?: RolloutStrategy }]),
    );
    const names = (a: RolloutAnalysis | undefined) => (a?.templates ?? []).map((x) => x.templateName as string);
    return Object.entries(timing).map(([service, t]) => {
        const strategy: RolloutStrategy = rollouts.get(service)?.strategy ?? {};
        const gates = strategy.blueGreen
            ? [
                  ...names(strategy.blueGreen.prePromotionAnalysis).map((n) => `pre: ${n}`),
                  ...names(strategy.blueGreen.postPromotionAnalysis).map((n) => `post: ${n}`),
              ]
            : [
                  ...(strategy.canary?.steps ?? []).flatMap((s) => names(s.analysis).map((n) => `step: ${n}`)),
                  ...names(strategy.canary?.analysis).map((n) => `background: ${n}`),
              ];
        return { service, gates, ...t, strategy: t.strategy };
    });
}

// The policy pack's version: the policies the SARIF run reports are those of this version.
const PACK_VERSION = (require("../policy-pack/package.json") as { version: string }).version;

const secs = (s: number) => (Number.isFinite(s) ? `${s} s` : "never");

/** The report's violations as findings of the shared report formats (SARIF, JUnit). */
function findingsOfReport(r: PreviewReport) {
    return r.violations.map((v) => ({
        file: v.file,
        line: v.line,
        policy: v.policy,
        severity: v.severity,
        enforcementLevel: v.enforcementLevel,
        remediation: v.remediation,
        message: v.message,
        subject: `${v.component}${v.urn ? ` (${v.urn})` : ""}`,
    }));
}

export function formatReport(r: PreviewReport, format: Format): string {
    if (format === "json") return `${JSON.stringify(r, null, 2)}\n`;
    if (format === "sarif" || format === "junit") {
        const rules = rulesOfPolicies(allPolicies);
        return format === "sarif"
            ? sarifReport({ name: "zdp-preview-offline", version: PACK_VERSION }, rules, findingsOfReport(r), ROOT)
            : junitReport(`preview:offline ${r.stack}`, rules, findingsOfReport(r));
    }
    const md = format === "markdown";
    const lines: string[] = [];
    const verdict = r.mandatory > 0 ? `FAIL: ${r.mandatory} mandatory violation(s)` : "PASS: no mandatory violation";
    lines.push(
        md ? `### Offline preview of \`${r.stack}\`: ${verdict}` : `Offline preview of stack ${r.stack}: ${verdict}`,
    );
    lines.push(
        "",
        `${r.resources} resources, ${r.objects} Kubernetes objects, ${r.policies} policies, ${r.advisory} advisory. ` +
            `Image signatures ${r.signaturesVerified ? "verified against the registry" : "not verified (offline; pinning and registries checked)"}.`,
    );
    const table = (head: string[], rows: string[][]) => {
        if (md) {
            lines.push("", `| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
            for (const row of rows) lines.push(`| ${row.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
        } else {
            const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
            const fmt = (row: string[]) => `  ${row.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd();
            lines.push("", fmt(head), ...rows.map(fmt));
        }
    };
    lines.push("", md ? "#### Resources by component" : "Resources by component:");
    table(
        ["component", "resources"],
        Object.entries(r.byComponent)
            .sort()
            .map(([c, n]) => [c, String(n)]),
    );
    lines.push("", md ? "#### Releases" : "Releases:");
    table(
        [
            "service",
            "strategy",
            "gates",
            "healthy promotion",
            "worst-case rollback",
            "max exposure",
            "old version kept",
        ],
        r.services.map((s) => [
            s.service,
            s.strategy,
            s.gates.join(", "),
            `${secs(s.healthyPromotionSeconds)}${s.waitsForPromotion ? " + manual promotion" : ""}`,
            secs(s.rollbackSeconds),
            `${s.maxExposurePercent}%`,
            secs(s.previousVersionRetainedSeconds),
        ]),
    );
    for (const level of ["mandatory", "advisory"] as const) {
        const vs = r.violations.filter((v) => v.enforcementLevel === level);
        lines.push("", md ? `#### ${level} (${vs.length})` : `Policy results, ${level} (${vs.length}):`);
        if (vs.length === 0) lines.push(md ? "none" : "  none");
        for (const v of vs) {
            const what = v.kind ? `${v.kind} ${v.namespace ? `${v.namespace}/` : ""}${v.name}` : "stack";
            lines.push(
                md
                    ? `- **${v.policy}** (${v.component}) ${what}: ${v.message}`
                    : `  [${v.policy}] ${v.component}: ${v.message}`,
            );
        }
    }
    return `${lines.join("\n")}\n`;
}

function parseArgs(argv: string[]): ConfigOverrides & {
    stack: string;
    format: Format;
    verifySignatures: boolean;
    policyConfig?: string;
    output?: string;
} {
    const { values, overrides, help } = parseToolArgs(
        argv,
        {
            stack: { type: "string" },
            format: { type: "string" },
            "policy-config": { type: "string" },
            output: { type: "string" },
            "verify-signatures": { type: "boolean" },
        },
        USAGE,
    );
    if (help) {
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
    }
    const format = (values.format as string | undefined) ?? "text";
    if (!(FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got "${format}")\n${USAGE}`);
    }
    if (!values.stack) throw new UsageError(`--stack is required\n${USAGE}`);
    return {
        stack: values.stack as string,
        format: format as Format,
        verifySignatures: values["verify-signatures"] === true,
        policyConfig: values["policy-config"] as string | undefined,
        output: values.output as string | undefined,
        ...overrides,
    };
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const report = await previewStack(args.stack, {
        verifySignatures: args.verifySignatures,
        policyConfig: args.policyConfig,
        set: args.set,
        setSecret: args.setSecret,
        progress: (line) => process.stderr.write(`${line}\n`),
    });
    writeReport(formatReport(report, args.format), args.output, (s) => process.stdout.write(s));
    if (args.output !== undefined) process.stderr.write(`report written to ${args.output}\n`);
    process.exitCode = report.mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
    main().catch((err: unknown) => {
        const known =
            err instanceof UsageError ||
            err instanceof PolicyConfigError ||
            err instanceof ReportWriteError ||
            pulumi.RunError.isInstance(err) ||
            pulumi.ResourceError.isInstance(err);
        process.stderr.write(`error: ${errorText(err, known)}\n`);
        process.exit(known ? 2 : 1);
    });
}
