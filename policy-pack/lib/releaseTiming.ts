// Generated from components/lib/releaseTiming.ts by `npm run sync:policy-pack`: edit the source, then run it again.
/**
 * The release timing model: how long a healthy release takes to be fully promoted, how long a bad release can serve
 * production traffic before traffic is back on the previous version, and how much traffic it can reach first.
 *
 * Pure functions over plain data shaped like the Argo Rollouts objects (`Rollout.spec.strategy`, `AnalysisTemplate`),
 * so that the `BlueGreenService` component (which computes its outputs from the specs it renders) and a policy
 * (which evaluates a rendered Rollout and its AnalysisTemplates) use this one implementation.
 *
 * How Argo Rollouts runs an analysis (argo-rollouts `analysis/analysis.go`), which the formulas follow:
 * - A metric's first measurement starts `initialDelay` after the run starts. The next one starts `interval` after the
 *   previous one FINISHED; after a measurement that errored, the retry starts {@link ERROR_RETRY_SECONDS} later.
 * - Successful, failed and inconclusive measurements count towards `count`; errors do not.
 * - A metric fails when failed measurements exceed `failureLimit` (default 0), is inconclusive when inconclusive ones
 *   exceed `inconclusiveLimit` (default 0), errors when consecutive errors exceed `consecutiveErrorLimit` (default 4).
 * - A run ends as soon as one (non-dry-run) metric fails, errors or is inconclusive; otherwise when every metric has
 *   taken `count` measurements. A metric without `count` runs until the run is terminated (background analysis).
 * - The web provider marks a non-2xx answer (and a timeout) as an Error; a Job measurement fails when the Job fails.
 * - A measurement matching neither successCondition nor failureCondition is Inconclusive (`utils/evaluate`); a metric
 *   whose failureCondition is the constant `false` can only pass or be inconclusive (pause the release for a
 *   person), never fail: it cannot roll a bad release back, so the rollback figures leave it out, like dry-run ones.
 *
 * Symbols used below, per metric: d = initialDelay, I = interval, C = count, F = failureLimit,
 * E = consecutiveErrorLimit, T = the longest one measurement can take (web `timeoutSeconds`, default 10; prometheus
 * `timeout`, assumed 30 when unset; Job `activeDeadlineSeconds`, unbounded when unset), R = {@link ERROR_RETRY_SECONDS}.
 */

/** Argo Rollouts retries a measurement that errored after this many seconds, whatever the metric's interval. */
export const ERROR_RETRY_SECONDS = 10;
/** Argo Rollouts' default `consecutiveErrorLimit`. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** Argo Rollouts' web provider timeout when `timeoutSeconds` is unset. */
export const DEFAULT_WEB_TIMEOUT_SECONDS = 10;
/** Assumed upper bound of a Prometheus (or other provider's) query when the metric sets no timeout. */
export const DEFAULT_QUERY_TIMEOUT_SECONDS = 30;
/** Argo Rollouts' default blue/green `scaleDownDelaySeconds`. */
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;
/**
 * Assumed time from a failed analysis to production traffic on the previous version: the controller acting on the
 * AnalysisRun and the Service selector or VirtualService weight change reaching the Envoy proxies.
 */
export const TRAFFIC_SWITCH_SECONDS = 2;

/** Raised when an object cannot be evaluated (unresolved `{{args}}` in a timing field, missing template, ...). */
export class TimingInputError extends Error {}

/** What a metric's provider is, as far as timing goes. */
export type ProviderKind = "web" | "prometheus" | "job" | "other";

/** The timing-relevant fields of one metric, in seconds. */
export interface MetricTiming {
    name: string;
    provider: ProviderKind;
    /** Dry-run metrics are measured but never fail the run. */
    dryRun: boolean;
    /** False when the metric can only pass or pause the release (failureCondition `false`): it never rolls back. */
    canFail: boolean;
    initialDelaySeconds: number;
    intervalSeconds: number;
    /** Undefined: the metric runs until the run is terminated. */
    count: number | undefined;
    failureLimit: number;
    inconclusiveLimit: number;
    consecutiveErrorLimit: number;
    /** Longest one measurement can take (Infinity for a Job without a deadline). */
    measurementSeconds: number;
}

/** One analysis run (the metrics of every template a Rollout step or hook references, run together). */
export interface GateTiming {
    metrics: MetricTiming[];
}

/** A problem that makes the release unsafe or its timing unbounded; `code` is stable, `message` explains. */
export interface TimingProblem {
    code:
        | "pre-promotion-never-completes"
        | "post-promotion-never-completes"
        | "no-automatic-rollback"
        | "gate-cannot-fail"
        | "scale-down-before-gate"
        | "canary-completes-before-gate";
    message: string;
}

/** The model's answer for one Rollout. */
export interface ReleaseTiming {
    strategy: "blueGreen" | "canary";
    /**
     * Seconds from the new pods being ready to the release being fully promoted when every gate passes, counting
     * only automated waits (analysis and timed pauses). Infinity when an analysis that must pass never completes.
     */
    healthyPromotionSeconds: number;
    /** True when the release also waits for a person or pipeline to promote it (manual promotion, `pause: {}`). */
    waitsForPromotion: boolean;
    /**
     * Worst-case seconds from a bad release first receiving production traffic to production traffic being back on
     * the previous version (detection + {@link TRAFFIC_SWITCH_SECONDS}). 0 when the gates stop it before any
     * production traffic; Infinity when no gate can roll it back automatically.
     */
    rollbackSeconds: number;
    /** Largest share of production traffic (percent) a bad release reaches before the gates stop it. */
    maxExposurePercent: number;
    /** How long the previous version keeps running after the switch (scaleDownDelaySeconds). */
    previousVersionRetainedSeconds: number;
    problems: TimingProblem[];
}

export interface TimingOptions {
    /** Seconds from a failed gate to traffic on the previous version. Defaults to {@link TRAFFIC_SWITCH_SECONDS}. */
    switchSeconds?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading Argo fields

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * Seconds of an Argo duration: a Go duration string ("30s", "1m30s", "500ms") or, where Argo takes IntOrString
 * (`pause.duration`), a number of seconds or a numeric string. Throws {@link TimingInputError} otherwise.
 */
export function parseDurationSeconds(value: unknown, field = "duration"): number {
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
    if (typeof value === "string") {
        const s = value.trim();
        if (/^\d+$/.test(s)) return Number(s);
        const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
        let total = 0;
        let matched = 0;
        let m: RegExpExecArray | null;
        while ((m = re.exec(s)) !== null) {
            total += Number(m[1]) * UNIT_SECONDS[m[2]];
            matched = re.lastIndex;
        }
        if (s.length > 0 && matched === s.length) return total;
    }
    throw new TimingInputError(`${field}: cannot read ${JSON.stringify(value)} as a duration (such as "30s" or "1m")`);
}

/** An IntOrString count or limit as a non-negative integer; `undefined` stays undefined. */
export function parseCount(value: unknown, field: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
        throw new TimingInputError(`${field}: cannot read ${JSON.stringify(value)} as a non-negative integer`);
    }
    return n;
}

function record(v: unknown): Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** True when `name` matches one of the dry-run entries (Argo treats `metricName` as a regular expression). */
function isDryRun(name: string, dryRun: unknown): boolean {
    if (!Array.isArray(dryRun)) return false;
    return dryRun.some((d) => {
        const pattern = record(d).metricName;
        if (typeof pattern !== "string") return false;
        if (pattern === name) return true;
        try {
            return new RegExp(`^(?:${pattern})$`).test(name);
        } catch {
            return false;
        }
    });
}

/** Reads one Argo `Metric` object. `dryRun` is the union of the template's and the Rollout analysis' entries. */
export function metricTiming(metric: unknown, dryRun: unknown[] = []): MetricTiming {
    const m = record(metric);
    const name = typeof m.name === "string" ? m.name : "(unnamed)";
    const at = (f: string) => `metric ${name}: ${f}`;
    const provider = record(m.provider);
    let kind: ProviderKind = "other";
    let measurementSeconds = DEFAULT_QUERY_TIMEOUT_SECONDS;
    if (provider.web !== undefined) {
        kind = "web";
        const t = record(provider.web).timeoutSeconds;
        measurementSeconds = typeof t === "number" && t > 0 ? t : DEFAULT_WEB_TIMEOUT_SECONDS;
    } else if (provider.prometheus !== undefined) {
        kind = "prometheus";
        const t = record(provider.prometheus).timeout;
        measurementSeconds = typeof t === "number" && t > 0 ? t : DEFAULT_QUERY_TIMEOUT_SECONDS;
    } else if (provider.job !== undefined) {
        kind = "job";
        const deadline = record(record(provider.job).spec).activeDeadlineSeconds;
        measurementSeconds = typeof deadline === "number" && deadline > 0 ? deadline : Infinity;
    }
    return {
        name,
        provider: kind,
        dryRun: isDryRun(name, dryRun),
        canFail: !(typeof m.failureCondition === "string" && m.failureCondition.trim() === "false"),
        initialDelaySeconds:
            m.initialDelay === undefined ? 0 : parseDurationSeconds(m.initialDelay, at("initialDelay")),
        intervalSeconds: m.interval === undefined ? 0 : parseDurationSeconds(m.interval, at("interval")),
        // Argo runs a metric without count and without interval exactly once.
        count: parseCount(m.count, at("count")) ?? (m.interval === undefined ? 1 : undefined),
        failureLimit: parseCount(m.failureLimit, at("failureLimit")) ?? 0,
        inconclusiveLimit: parseCount(m.inconclusiveLimit, at("inconclusiveLimit")) ?? 0,
        consecutiveErrorLimit:
            parseCount(m.consecutiveErrorLimit, at("consecutiveErrorLimit")) ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT,
        measurementSeconds,
    };
}

/** A template as far as the model needs it: `metadata.name` and `spec` (`metrics`, `dryRun`). */
export interface AnalysisTemplateLike {
    metadata?: { name?: string };
    spec?: unknown;
}

/**
 * The gate a Rollout analysis reference describes (`prePromotionAnalysis`, `postPromotionAnalysis`, a canary
 * `analysis` step or the background `analysis`): the metrics of every referenced template, run together.
 */
export function gateTiming(analysis: unknown, templates: readonly AnalysisTemplateLike[]): GateTiming {
    const a = record(analysis);
    const refs = Array.isArray(a.templates) ? a.templates : [];
    const metrics: MetricTiming[] = [];
    for (const ref of refs) {
        const name = record(ref).templateName;
        const template = templates.find((t) => t.metadata?.name === name);
        if (!template) throw new TimingInputError(`analysis template "${String(name)}" is referenced but not given`);
        const spec = record(template.spec);
        const dryRun = [
            ...(Array.isArray(spec.dryRun) ? spec.dryRun : []),
            ...(Array.isArray(a.dryRun) ? a.dryRun : []),
        ];
        for (const metric of Array.isArray(spec.metrics) ? spec.metrics : [])
            metrics.push(metricTiming(metric, dryRun));
    }
    return { metrics };
}

// ---------------------------------------------------------------------------------------------------------------
// One metric

/** Healthy path: every measurement succeeds. d + C·T + (C−1)·I; Infinity without a count. */
export function metricPassSeconds(m: MetricTiming): number {
    if (m.count === undefined) return Infinity;
    return m.initialDelaySeconds + m.count * m.measurementSeconds + Math.max(0, m.count - 1) * m.intervalSeconds;
}

/**
 * Worst case for a release the metric rejects: the time until the metric fails, when every measurement rejects the
 * release but takes its full T.
 * - failures (all providers): the (F+1)-th measurement ends at d + (F+1)·T + F·I; impossible (Infinity) when
 *   F+1 > C, since the metric stops after C measurements;
 * - errors (web only: a non-2xx answer is an Error): the (E+1)-th consecutive error ends at d + (E+1)·T + E·R.
 * A web metric can see a bad release either way, so the worse of the two counts.
 */
export function metricFailSeconds(m: MetricTiming): number {
    const d = m.initialDelaySeconds;
    const T = m.measurementSeconds;
    const F = m.failureLimit;
    const byFailures = m.count !== undefined && F + 1 > m.count ? Infinity : d + (F + 1) * T + F * m.intervalSeconds;
    if (m.provider !== "web") return byFailures;
    const E = m.consecutiveErrorLimit;
    const byErrors = d + (E + 1) * T + E * ERROR_RETRY_SECONDS;
    return Math.max(byFailures, byErrors);
}

/**
 * The latest the metric can still fail: its last counted measurement, each of the C counted measurements possibly
 * preceded by E errors: d + C·(T + E·(T + R)) + (C−1)·I. Infinity without a count.
 */
export function metricLatestFailSeconds(m: MetricTiming): number {
    if (m.count === undefined) return Infinity;
    const T = m.measurementSeconds;
    const E = m.consecutiveErrorLimit;
    return (
        m.initialDelaySeconds +
        m.count * (T + E * (T + ERROR_RETRY_SECONDS)) +
        Math.max(0, m.count - 1) * m.intervalSeconds
    );
}

// ---------------------------------------------------------------------------------------------------------------
// One gate (analysis run)

/** The run passes when its slowest metric (dry-run ones included: the run waits for them) completes. */
export function gatePassSeconds(g: GateTiming): number {
    return g.metrics.reduce((max, m) => Math.max(max, metricPassSeconds(m)), 0);
}

/**
 * Worst case for a release the gate rejects: a bad release may be visible to one metric only, so the slowest
 * non-dry-run metric that can fail to fail. Infinity when the gate has no metric that can fail.
 */
export function gateFailSeconds(g: GateTiming): number {
    const gating = g.metrics.filter((m) => !m.dryRun && m.canFail);
    if (gating.length === 0) return Infinity;
    return gating.reduce((max, m) => Math.max(max, metricFailSeconds(m)), 0);
}

/** The latest any non-dry-run metric of the gate can fail. */
export function gateLatestFailSeconds(g: GateTiming): number {
    return g.metrics
        .filter((m) => !m.dryRun && m.canFail)
        .reduce((max, m) => Math.max(max, metricLatestFailSeconds(m)), 0);
}

// ---------------------------------------------------------------------------------------------------------------
// A Rollout

/**
 * Evaluates a Rollout's strategy against its AnalysisTemplates. `rollout` is a Rollout object, its `spec`, or
 * `{ strategy }`; `templates` are the AnalysisTemplates (or ClusterAnalysisTemplates) it references, by name.
 */
export function rolloutTiming(
    rollout: unknown,
    templates: readonly AnalysisTemplateLike[],
    opts: TimingOptions = {},
): ReleaseTiming {
    const r = record(rollout);
    const strategy = record(record(r.spec).strategy ?? r.strategy);
    const switchSeconds = opts.switchSeconds ?? TRAFFIC_SWITCH_SECONDS;
    if (strategy.blueGreen !== undefined) return blueGreenTiming(record(strategy.blueGreen), templates, switchSeconds);
    if (strategy.canary !== undefined) return canaryTiming(record(strategy.canary), templates, switchSeconds);
    throw new TimingInputError("the Rollout has neither strategy.blueGreen nor strategy.canary");
}

/**
 * Blue/green: the preview takes no production traffic until promotion.
 * - healthy = pass(prePromotionAnalysis) + autoPromotionSeconds (when auto-promoted) + pass(postPromotionAnalysis);
 * - exposure = 0 when a pre-promotion gate can fail, else 100;
 * - rollback = fail(postPromotionAnalysis) + switch, Infinity without one: the release is live from the switch;
 * - the previous version must still run when the post-promotion analysis fails:
 *   latestFail(postPromotionAnalysis) ≤ scaleDownDelaySeconds (counted from the switch, the conservative reading).
 */
function blueGreenTiming(
    bg: Record<string, unknown>,
    templates: readonly AnalysisTemplateLike[],
    switchSeconds: number,
): ReleaseTiming {
    const problems: TimingProblem[] = [];
    const pre = bg.prePromotionAnalysis !== undefined ? gateTiming(bg.prePromotionAnalysis, templates) : undefined;
    const post = bg.postPromotionAnalysis !== undefined ? gateTiming(bg.postPromotionAnalysis, templates) : undefined;
    const auto = bg.autoPromotionEnabled !== false;
    const autoSeconds = auto ? (parseCount(bg.autoPromotionSeconds, "autoPromotionSeconds") ?? 0) : 0;
    const retained = parseCount(bg.scaleDownDelaySeconds, "scaleDownDelaySeconds") ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;

    const prePass = pre ? gatePassSeconds(pre) : 0;
    const postPass = post ? gatePassSeconds(post) : 0;
    if (!Number.isFinite(prePass)) {
        problems.push({
            code: "pre-promotion-never-completes",
            message:
                "a prePromotionAnalysis metric has no count (or an unbounded Job), so the release is never promoted",
        });
    }
    if (!Number.isFinite(postPass)) {
        problems.push({
            code: "post-promotion-never-completes",
            message:
                "a postPromotionAnalysis metric has no count (or an unbounded Job), so the release never completes",
        });
    }
    const exposure = pre && Number.isFinite(gateFailSeconds(pre)) ? 0 : 100;

    let rollback = Infinity;
    if (!post) {
        problems.push({
            code: "no-automatic-rollback",
            message:
                "no postPromotionAnalysis: a bad release that passes the pre-promotion gates is never rolled back automatically",
        });
    } else {
        const fail = gateFailSeconds(post);
        if (!Number.isFinite(fail)) {
            problems.push({
                code: "gate-cannot-fail",
                message:
                    "the postPromotionAnalysis cannot fail (a metric with failureLimit >= count, an unbounded Job, or dry-run only)",
            });
        } else {
            rollback = fail + switchSeconds;
            const latest = gateLatestFailSeconds(post);
            if (latest > retained) {
                problems.push({
                    code: "scale-down-before-gate",
                    message:
                        `scaleDownDelaySeconds (${retained}) is shorter than the post-promotion analysis can take to fail (${latest} s): ` +
                        "the previous version may be scaled down before the gate fails, so rollback would not be instant",
                });
            }
        }
    }
    return {
        strategy: "blueGreen",
        healthyPromotionSeconds: prePass + autoSeconds + postPass,
        waitsForPromotion: !auto,
        rollbackSeconds: rollback,
        maxExposurePercent: exposure,
        previousVersionRetainedSeconds: retained,
        problems,
    };
}

/**
 * Canary: walk the steps on a clock that starts when the canary pods are ready. `setWeight` is instant, a timed
 * `pause` advances the clock, `pause: {}` waits for a person (the clock stops: later steps are never reached
 * automatically), an `analysis` step advances it by its pass time. Background analysis starts at step
 * `startingStep` (default 0) and can stop the release at start + fail.
 * - A bad release is rejected by every gate, so it never gets past the first analysis step that can fail: that
 *   step stops it at start + fail, and later steps are never reached;
 * - detection = the earlier of that stop and the background analysis' stop. Without a blocking analysis step the
 *   background stop must come before the last step, or the canary completes (and background analysis ends) with
 *   the bad release at 100%;
 * - rollback = detection − (time of the first setWeight > 0 reached) + switch; 0 when no traffic moved before;
 * - exposure = the largest weight reached at or before detection;
 * - healthy = the sum of timed pauses and analysis-step pass times.
 */
function canaryTiming(
    canary: Record<string, unknown>,
    templates: readonly AnalysisTemplateLike[],
    switchSeconds: number,
): ReleaseTiming {
    const problems: TimingProblem[] = [];
    const steps: unknown[] = Array.isArray(canary.steps) ? canary.steps : [];
    const retained =
        parseCount(canary.scaleDownDelaySeconds, "scaleDownDelaySeconds") ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS;

    let clock = 0; // Infinity once a manual pause is reached
    let automated = 0;
    let manual = false;
    const stepStart: number[] = [];
    const weights: { step: number; at: number; weight: number }[] = [];
    const inlineGates: { step: number; stop: number }[] = [];
    steps.forEach((raw, i) => {
        const step = record(raw);
        stepStart[i] = clock;
        if (step.setWeight !== undefined) {
            weights.push({ step: i, at: clock, weight: parseCount(step.setWeight, `steps[${i}].setWeight`) ?? 0 });
        } else if (step.pause !== undefined) {
            const duration = record(step.pause).duration;
            if (duration === undefined) {
                manual = true;
                clock = Infinity;
            } else {
                const d = parseDurationSeconds(duration, `steps[${i}].pause.duration`);
                automated += d;
                clock += d;
            }
        } else if (step.analysis !== undefined) {
            const gate = gateTiming(step.analysis, templates);
            inlineGates.push({ step: i, stop: clock + gateFailSeconds(gate) });
            const pass = gatePassSeconds(gate);
            automated += pass;
            clock += pass;
        } else if (step.experiment !== undefined) {
            throw new TimingInputError(`steps[${i}]: experiment steps are not modelled`);
        }
        // setCanaryScale, setHeaderRoute, setMirrorRoute and plugin steps take no time.
    });
    const end = clock; // the rollout completes (100%) after the last step
    let backgroundStop = Infinity;
    if (canary.analysis !== undefined) {
        const startingStep = parseCount(record(canary.analysis).startingStep, "analysis.startingStep") ?? 0;
        const start = startingStep < steps.length ? stepStart[startingStep] : end;
        backgroundStop = start + gateFailSeconds(gateTiming(canary.analysis, templates));
    }
    const blocking = inlineGates.find((g) => Number.isFinite(g.stop));
    const detection = Math.min(blocking?.stop ?? Infinity, backgroundStop);

    let rollback: number;
    let exposure: number;
    if (blocking === undefined && !(backgroundStop < end)) {
        rollback = Infinity;
        exposure = 100;
        problems.push({
            code: "canary-completes-before-gate",
            message: Number.isFinite(backgroundStop)
                ? `the canary reaches 100% after ${end} s, before its background analysis can fail (${backgroundStop} s)`
                : "no analysis can fail the canary before it reaches 100%",
        });
    } else {
        const reached = weights.filter((w) => (blocking === undefined || w.step < blocking.step) && w.at <= detection);
        const live = reached.find((w) => w.weight > 0);
        rollback = live === undefined ? 0 : detection - live.at + switchSeconds;
        exposure = reached.reduce((max, w) => Math.max(max, w.weight), 0);
    }
    return {
        strategy: "canary",
        healthyPromotionSeconds: automated,
        waitsForPromotion: manual,
        rollbackSeconds: rollback,
        maxExposurePercent: exposure,
        previousVersionRetainedSeconds: retained,
        problems,
    };
}

// ---------------------------------------------------------------------------------------------------------------
// Budgets

/** Limits an environment sets on release timing. Unset fields are not checked. */
export interface TimingBudget {
    /** Healthy release fully promoted within this many seconds of its pods being ready (and without a manual step). */
    maxHealthyPromotionSeconds?: number;
    /** Bad release back on the previous version within this many seconds of going live. */
    maxRollbackSeconds?: number;
    /** Largest traffic share (percent) a bad release may reach before a gate stops it. */
    maxExposurePercent?: number;
}

/** Messages for every budget the timing exceeds (empty when within budget). */
export function checkTimingBudget(timing: ReleaseTiming, budget: TimingBudget): string[] {
    const out: string[] = [];
    if (budget.maxHealthyPromotionSeconds !== undefined) {
        if (timing.waitsForPromotion) {
            out.push(
                `a healthy release waits for a manual promotion, but must be fully promoted within ${budget.maxHealthyPromotionSeconds} s`,
            );
        } else if (timing.healthyPromotionSeconds > budget.maxHealthyPromotionSeconds) {
            out.push(
                `a healthy release takes ${timing.healthyPromotionSeconds} s to be fully promoted (budget ${budget.maxHealthyPromotionSeconds} s)`,
            );
        }
    }
    if (budget.maxRollbackSeconds !== undefined && timing.rollbackSeconds > budget.maxRollbackSeconds) {
        out.push(
            `a bad release can take ${timing.rollbackSeconds} s to be rolled back (budget ${budget.maxRollbackSeconds} s)`,
        );
    }
    if (budget.maxExposurePercent !== undefined && timing.maxExposurePercent > budget.maxExposurePercent) {
        out.push(
            `a bad release can reach ${timing.maxExposurePercent}% of traffic before a gate stops it (budget ${budget.maxExposurePercent}%)`,
        );
    }
    return out;
}
