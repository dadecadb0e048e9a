/**
 * Release safety, judged at preview from the objects a stack declares: each Argo Rollout is evaluated with its
 * AnalysisTemplates by the same timing model the BlueGreenService component uses for its outputs
 * (components/lib/releaseTiming.ts, one implementation, copied into lib/ by `npm run sync:policy-pack`), and rejected when
 * - its modelled worst-case rollback (a bad release going live → production traffic back on the old version)
 *   exceeds the stack's budget,
 * - the old version can be scaled down before the post-promotion analysis can fail (rollback would not be instant),
 * - its first gate comes after a bad release can reach more than the allowed share of traffic,
 * - or no gate can roll a bad release back automatically.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { AnalysisTemplateLike, TimingInputError, checkTimingBudget, rolloutTiming } from "../lib/releaseTiming";
import { Exemption, PolicyDoc, configCompiler, configSchemaWith, reportObject } from "../lib/policyKit";
import { StackObject, guardUnknown, indexStack, reportUnknownResources } from "../lib/stack";

export interface ReleaseSafetyConfig {
    exemptions?: Exemption[];
    /** Budget for the worst-case rollback, seconds. */
    maxRollbackSeconds?: number;
    /** Largest share of production traffic (percent) a bad release may reach before a gate stops it. */
    maxExposurePercent?: number;
}

const DOC: PolicyDoc = {
    name: "release-safety",
    description:
        "Every Argo Rollout must roll a bad release back automatically within the stack's budget: worst-case " +
        "rollback time and first-gate exposure modelled from its strategy and AnalysisTemplates, and the previous " +
        "version kept running until the post-promotion analysis can no longer fail.",
    enforcementLevel: "mandatory",
    severity: "high",
    control: "Zero-downtime release budget",
    remediation:
        "shorten the gates' interval/count/failureLimit or initialDelay, add a pre-promotion or early canary " +
        "analysis, lower the first canary weight, or raise scaleDownDelaySeconds above the post-promotion analysis " +
        "duration (see docs/releases.md, Release timing).",
};

const compile = configCompiler((raw: ReleaseSafetyConfig) => ({
    exemptions: raw.exemptions ?? [],
    budget: { maxRollbackSeconds: raw.maxRollbackSeconds ?? 30, maxExposurePercent: raw.maxExposurePercent ?? 5 },
}));

/** Human form of seconds, Infinity included. */
const secs = (s: number) => (Number.isFinite(s) ? `${s} s` : "never");

export const releaseSafety: StackValidationPolicy = {
    name: DOC.name,
    description: DOC.description,
    enforcementLevel: DOC.enforcementLevel,
    severity: DOC.severity,
    remediationSteps: DOC.remediation,
    tags: ["kubernetes", "argo-rollouts", "release"],
    configSchema: configSchemaWith({
        maxRollbackSeconds: {
            type: "number",
            minimum: 0,
            default: 30,
            description:
                "Budget for the worst-case time from a bad release going live to traffic back on the old version.",
        },
        maxExposurePercent: {
            type: "number",
            minimum: 0,
            maximum: 100,
            default: 5,
            description: "Largest share of production traffic a bad release may reach before a gate stops it.",
        },
    }),
    validateStack: (args, reportViolation) => {
        const { exemptions, budget } = compile(args);
        const index = indexStack(args.resources);
        reportUnknownResources(reportViolation, index, DOC.name);
        const templates = new Map<string, AnalysisTemplateLike[]>();
        const rollouts: StackObject[] = [];
        for (const so of index.objects) {
            guardUnknown(reportViolation, so, () => {
                if (so.obj.kind === "Rollout") rollouts.push(so);
                else if (so.obj.kind === "AnalysisTemplate" || so.obj.kind === "ClusterAnalysisTemplate") {
                    const ns = so.obj.kind === "AnalysisTemplate" ? (so.obj.metadata?.namespace ?? "default") : "*";
                    templates.set(ns, [...(templates.get(ns) ?? []), so.obj as unknown as AnalysisTemplateLike]);
                }
            });
        }
        for (const so of rollouts) {
            guardUnknown(reportViolation, so, () => {
                const ns = so.obj.metadata?.namespace ?? "default";
                const available = [...(templates.get(ns) ?? []), ...(templates.get("*") ?? [])];
                let timing;
                try {
                    timing = rolloutTiming(so.obj, available);
                } catch (e) {
                    if (!(e instanceof TimingInputError)) throw e;
                    reportObject(
                        reportViolation,
                        DOC,
                        so.obj,
                        `its release timing cannot be modelled: ${e.message}.`,
                        exemptions,
                        so.urn,
                    );
                    return;
                }
                const problems = [...timing.problems.map((p) => p.message), ...checkTimingBudget(timing, budget)];
                if (problems.length === 0) return;
                const facts =
                    `(${timing.strategy}: worst-case rollback ${secs(timing.rollbackSeconds)}, ` +
                    `exposure before the first gate ${timing.maxExposurePercent}%, previous version kept ` +
                    `${timing.previousVersionRetainedSeconds} s)`;
                reportObject(
                    reportViolation,
                    DOC,
                    so.obj,
                    `${[...new Set(problems)].join("; ")} ${facts}.`,
                    exemptions,
                    so.urn,
                );
            });
        }
    },
};
