/**
 * The release timing of a configuration (healthy promotion, worst-case rollback, exposure), computed from the same
 * strategy and AnalysisTemplates the component renders, and the problems that make the component refuse it.
 */
import { checkTimingBudget, ReleaseTiming, rolloutTiming, TimingBudget, TimingProblem } from "../lib/releaseTiming";
import { releaseTemplates } from "./analysis";
import { releaseStrategy } from "./rollout";
import type { ReleaseSettings } from "./settings";

/** The timing figures the component exports. */
export interface ReleaseTimingSummary {
    strategy: string;
    healthyPromotionSeconds: number;
    waitsForPromotion: boolean;
    rollbackSeconds: number;
    maxExposurePercent: number;
    previousVersionRetainedSeconds: number;
}

/** The release timing of validated arguments, from the same specs the component renders. */
export function releaseTimingOf(s: ReleaseSettings): ReleaseTiming {
    const templates = Object.entries(releaseTemplates(s)).map(([name, spec]) => ({ metadata: { name }, spec }));
    return rolloutTiming({ strategy: releaseStrategy(s, "timing") }, templates);
}

/** Which argument to blame for a timing problem. */
const PROBLEM_FIELDS: Record<TimingProblem["code"], string> = {
    "pre-promotion-never-completes": "analysis",
    "post-promotion-never-completes": "analysis.slo.count",
    "no-automatic-rollback": "analysis.slo",
    "gate-cannot-fail": "analysis",
    "scale-down-before-gate": "retention.scaleDownDelaySeconds",
    "canary-completes-before-gate": "canary.steps",
};

/** Timing problems and budget overruns as argument errors (empty when the release is safe and within budget). */
export function checkReleaseTiming(timing: ReleaseTiming, budget: TimingBudget | undefined, prefix = ""): string[] {
    const errors = timing.problems.map((p) => `${prefix}${PROBLEM_FIELDS[p.code]}: ${p.message}`);
    if (budget) errors.push(...checkTimingBudget(timing, budget).map((m) => `${prefix}budget: ${m}`));
    return errors;
}

/** The figures of `timing` the component exports. */
export function timingSummary(timing: ReleaseTiming): ReleaseTimingSummary {
    return {
        strategy: timing.strategy,
        healthyPromotionSeconds: timing.healthyPromotionSeconds,
        waitsForPromotion: timing.waitsForPromotion,
        rollbackSeconds: timing.rollbackSeconds,
        maxExposurePercent: timing.maxExposurePercent,
        previousVersionRetainedSeconds: timing.previousVersionRetainedSeconds,
    };
}
