/**
 * The release gates: the AnalysisTemplates of a release (health score, smoke tests for blue/green, SLOs), built from
 * the settings by releaseAnalysis.ts. Pure; the Rollout's strategy (rollout.ts) references them by name.
 */
import type { IAnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import { healthScoreTemplate, MetricGate, sloTemplate, smokeTestTemplate } from "../releaseAnalysis";
import { RELEASE_CHECK_LABEL } from "./constants";
import type { Manifest } from "./model";
import { objectMeta, releaseNames } from "./names";
import type { ReleaseSettings } from "./settings";

/** An AnalysisTemplate spec as releaseAnalysis.ts builds it (its metrics are not typed there). */
export type AnalysisTemplateSpec = Record<string, unknown>;

/** The AnalysisTemplate specs of the release, by template name. */
export function releaseTemplates(s: ReleaseSettings): Record<string, AnalysisTemplateSpec> {
    const n = releaseNames(s.name);
    const out: Record<string, AnalysisTemplateSpec> = {
        [n.healthTemplate]: healthScoreTemplate(
            {
                ...s.sloSpec,
                threshold: s.scoreThreshold,
                weights: s.signalWeights,
                checks: s.checks,
                checkTraffic: s.checkTraffic && {
                    ...s.checkTraffic,
                    durationSeconds: checkTrafficSeconds(s.health, s.sloSpec.windowSeconds),
                    podLabels: { [RELEASE_CHECK_LABEL]: s.name },
                    // The service's own ServiceAccount, never the namespace's default; the Job mounts no token.
                    serviceAccountName: n.serviceAccount,
                },
            },
            s.health,
        ),
        [n.sloTemplate]: sloTemplate(s.sloSpec, s.slo),
    };
    if (s.smokeTest) {
        out[n.smokeTemplate] = smokeTestTemplate({
            ...s.smokeTest,
            podLabels: { [RELEASE_CHECK_LABEL]: s.name },
            serviceAccountName: n.serviceAccount,
        });
    }
    return out;
}

/** One AnalysisTemplate of the release: its name, its role (the Pulumi resource name suffix) and the object. */
export interface AnalysisTemplatePart {
    /** The template's name: `<service>-<role>`. */
    name: string;
    /** The template name without the service name: `health-score`, `smoke-tests`, `slo`. */
    role: string;
    object: Omit<Manifest<IAnalysisTemplate>, "spec"> & { spec: AnalysisTemplateSpec };
}

/** The release's AnalysisTemplate objects: health score, SLO, then smoke tests (blue/green). */
export function analysisTemplates(s: ReleaseSettings): AnalysisTemplatePart[] {
    return Object.entries(releaseTemplates(s)).map(([templateName, spec]) => ({
        name: templateName,
        role: templateName.slice(s.name.length + 1),
        object: {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AnalysisTemplate",
            metadata: objectMeta(s, templateName),
            spec,
        },
    }));
}

/**
 * How long the check traffic runs: until the gate's last measurement (initial delay, every measurement at its full
 * timeout, the intervals between them); for a background analysis (no count), one query window per run.
 */
function checkTrafficSeconds(gate: MetricGate, windowSeconds: number): number {
    if (gate.count === undefined) return windowSeconds;
    return (
        gate.initialDelaySeconds + gate.count * gate.timeoutSeconds + Math.max(0, gate.count - 1) * gate.intervalSeconds
    );
}
