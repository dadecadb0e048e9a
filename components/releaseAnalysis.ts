/**
 * The AnalysisTemplate specs a {@link BlueGreenService} gates its releases with, as pure builders (no resources):
 * the health score (weighted signals of the new revision from Istio's metrics in Prometheus, fed by the release's own
 * check traffic), the smoke tests (a Job against the preview Service) and the SLOs (error rate and latency of the new
 * revision).
 *
 * Every metric ends one of three ways (Argo Rollouts `utils/evaluate`): Successful; Failed (the failureCondition
 * holds: the release aborts and traffic goes back to the stable revision); Inconclusive (neither condition holds:
 * past `inconclusiveLimit` the release pauses for a person). A health score below its threshold, latency beyond its
 * objective and too small a sample are Inconclusive; an error rate above `maxErrorRate` and a failing smoke test fail.
 *
 * Every template takes its targets as arguments, so the Rollout that references it must supply them; the timing
 * fields (interval, count, limits, timeouts) are literal numbers, so the release timing model can read them.
 */

/** Arguments the smoke test template needs. */
export const TARGET_ARGS = ["service-host", "port"] as const;
/** Arguments the SLO template needs: where the new revision's Istio metrics are. */
export const SLO_ARGS = ["namespace", "service", "revision"] as const;

/** Timing of one kind of metric. All values in seconds except the counts and limits. */
export interface MetricGate {
    intervalSeconds: number;
    /** Undefined for background analysis: the metric runs until the rollout completes or aborts. */
    count: number | undefined;
    failureLimit: number;
    consecutiveErrorLimit: number;
    inconclusiveLimit: number;
    initialDelaySeconds: number;
    timeoutSeconds: number;
}

/** One health endpoint and its weight in the health score. */
export interface WeightedCheck {
    path: string;
    weight: number;
}

/** Weights of the health score's signals (any non-negative numbers; the score divides by their sum). */
export interface SignalWeights {
    /** Share of 2xx answers to the release's own check requests (health endpoints, each requested per its weight). */
    checks: number;
    /** Error allowance left: 1 − (5xx ratio ÷ maxErrorRate), clamped to 0–1. */
    errors: number;
    /** Latency objective: 1 up to `maxLatencyMs` at the quantile, falling linearly to 0 at twice it. */
    latency: number;
}

/**
 * The release's own traffic against the preview (blue/green) or canary Service: a Job that requests every health
 * endpoint, each in proportion to its weight, so that the gate has a sample even when users send none.
 */
export interface CheckTrafficSpec {
    /** Digest-pinned image with `curl` 7.84 or newer (its `--rate`); run directly, no shell. */
    image: string;
    /** Requests per minute, all endpoints together. */
    requestsPerMinute: number;
    /** How long the Job sends requests: the span of the health-score measurements. */
    durationSeconds: number;
    /** Labels of the Job's pod; the NetworkPolicy admits pods carrying them to the checked pods. */
    podLabels: Record<string, string>;
    /** ServiceAccount the Job's pod runs as; see {@link SmokeTestSpec.serviceAccountName}. */
    serviceAccountName?: string;
}

/** The health score: weighted signals of the new revision, its threshold, and the traffic that feeds it. */
export interface HealthScoreSpec extends SloSpec {
    /** Lowest passing score (0–100); below it the release pauses for a person. */
    threshold: number;
    weights: SignalWeights;
    checks: readonly WeightedCheck[];
    /** Without it the checks signal is left out of the score (nothing would request the check Service). */
    checkTraffic: CheckTrafficSpec | undefined;
}

function timingFields(gate: MetricGate): Record<string, unknown> {
    return {
        ...(gate.initialDelaySeconds > 0 ? { initialDelay: `${gate.initialDelaySeconds}s` } : {}),
        interval: `${gate.intervalSeconds}s`,
        ...(gate.count !== undefined ? { count: gate.count } : {}),
        failureLimit: gate.failureLimit,
        inconclusiveLimit: gate.inconclusiveLimit,
        consecutiveErrorLimit: gate.consecutiveErrorLimit,
    };
}

/** Arguments of the health score template: the checked Service, and where the new revision's Istio metrics are. */
export const HEALTH_ARGS = ["service-host", "port", "namespace", "service", "revision", "check-service"] as const;

/**
 * The health score of the new revision, 0–100, from Istio's server-side request metrics over the window:
 *
 *     score = 100 × (Wc·checks + We·errors + Wl·latency) / (Wc + We + Wl)
 *
 * - checks = 2xx answers ÷ requests addressed to the check Service (`{{args.check-service}}`: the preview or canary
 *   Service, which only the release checks call). The check traffic requests each endpoint in proportion to its
 *   weight, so this share is the endpoints' weighted pass rate. Left out (weight 0) without check traffic;
 * - errors = clamp(1 − (5xx ÷ requests) ÷ maxErrorRate, 0, 1): the share of the error allowance left;
 * - latency = clamp(2 − p(quantile) ÷ maxLatencyMs, 0, 1): full marks within the objective, none at twice it.
 *
 * Minimum sample: fewer than `minRequests` requests to the revision in the window (none at all included) yields
 * NaN, never an empty result (Argo cannot index an empty one), so the measurement is inconclusive.
 */
export function healthScoreQuery(spec: HealthScoreSpec): string {
    const w = `${spec.windowSeconds}s`;
    const weights = { ...spec.weights, checks: spec.checkTraffic ? spec.weights.checks : 0 };
    const sumW = weights.checks + weights.errors + weights.latency;
    if (!(sumW > 0)) throw new Error("health score: the signal weights add up to 0, so no score can be computed");
    const requests = (extra = "") => `sum(increase(istio_requests_total{${selector(extra)}}[${w}]))`;
    const check = ',destination_service_name="{{args.check-service}}"';
    const terms: string[] = [];
    if (weights.checks > 0)
        terms.push(
            `${weights.checks} * (${requests(`${check},response_code=~"2.."`)} or on() vector(0)) / ${requests(check)}`,
        );
    if (weights.errors > 0)
        terms.push(
            `${weights.errors} * clamp(1 - (${requests(',response_code=~"5.."')} or on() vector(0)) / ${requests()} / ${spec.maxErrorRate}, 0, 1)`,
        );
    if (weights.latency > 0)
        terms.push(`${weights.latency} * clamp(2 - ${quantileExpr(spec)} / ${spec.maxLatencyMs}, 0, 1)`);
    return `(100 * (${terms.join(" + ")}) / ${sumW}) and on() (${requests()} >= ${spec.minRequests}) or on() vector(NaN)`;
}

/**
 * Conditions of the health score: at or above the threshold passes; below it (or NaN: too small a sample) is
 * neither, so the measurement is Inconclusive and, past `inconclusiveLimit`, the rollout pauses for a person.
 * Argo counts a measurement whose successCondition is false as Failed when the metric has no failureCondition, so
 * the score states one that no number meets: a low score never aborts (the error rate and smoke tests do).
 */
export function scoreConditions(threshold: number): { successCondition: string; failureCondition: string } {
    return {
        successCondition: `!isNaN(result[0]) && result[0] >= ${threshold}`,
        failureCondition: "false",
    };
}

/** Requests for each endpoint per minute and in all, in proportion to the weights (at least 1 per minute each). */
export function checkTrafficPlan(
    checks: readonly WeightedCheck[],
    spec: Pick<CheckTrafficSpec, "requestsPerMinute" | "durationSeconds">,
): { path: string; perMinute: number; requests: number }[] {
    const total = checks.reduce((s, c) => s + c.weight, 0);
    return checks.map((c) => {
        const perMinute = Math.max(1, Math.round((spec.requestsPerMinute * c.weight) / total));
        return { path: c.path, perMinute, requests: Math.max(1, Math.ceil((perMinute * spec.durationSeconds) / 60)) };
    });
}

/**
 * The check traffic Job: one container per endpoint running `curl` directly (no shell), `requests` GETs at
 * `--rate perMinute/m` (curl's URL range `[1-N]` in a fragment, which curl never sends: every request is the plain
 * path). The answers are the gate's business, read from Istio's metrics; the Job itself only fails when it cannot
 * run, and the metric is dry-run, so it never decides the release.
 */
export function checkTrafficJob(spec: CheckTrafficSpec, checks: readonly WeightedCheck[]): Record<string, unknown> {
    const plan = checkTrafficPlan(checks, spec);
    return {
        backoffLimit: 0,
        // Pod start-up and the last requests' timeouts on top of the sending time.
        activeDeadlineSeconds: spec.durationSeconds + CHECK_TRAFFIC_MARGIN_SECONDS,
        template: {
            metadata: { labels: { ...spec.podLabels, "sidecar.istio.io/inject": "false" } },
            spec: {
                ...releaseCheckPodSpec(spec.serviceAccountName),
                containers: plan.map((p, i) => ({
                    name: `check-${i}`,
                    image: spec.image,
                    command: [
                        "curl",
                        "--silent",
                        "--show-error",
                        "--output",
                        "/dev/null",
                        "--max-time",
                        "5",
                        "--rate",
                        `${p.perMinute}/m`,
                        `http://{{args.service-host}}:{{args.port}}${p.path}#[1-${p.requests}]`,
                    ],
                    ...releaseCheckContainer(),
                })),
            },
        },
    };
}

/** Seconds the check traffic Job may run beyond its sending time. */
export const CHECK_TRAFFIC_MARGIN_SECONDS = 10;

/** Pod-level identity and security of the release check Jobs (smoke tests, check traffic). */
function releaseCheckPodSpec(serviceAccountName: string | undefined): Record<string, unknown> {
    return {
        restartPolicy: "Never",
        ...(serviceAccountName !== undefined ? { serviceAccountName } : {}),
        automountServiceAccountToken: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: SMOKE_TEST_UID,
            runAsGroup: SMOKE_TEST_UID,
            seccompProfile: { type: "RuntimeDefault" },
        },
    };
}

/** Container-level security and resources of the release check Jobs. */
function releaseCheckContainer(): Record<string, unknown> {
    return {
        securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: {
            requests: { cpu: "10m", memory: "16Mi" },
            limits: { cpu: "200m", memory: "64Mi" },
        },
    };
}

/**
 * Health score template (a release's pre-promotion gate for blue/green, part of the background analysis for a
 * canary):
 * - `health-score`: the weighted score of {@link healthScoreQuery}; below the threshold the release pauses;
 * - `check-traffic` (with check traffic): the Job that gives the gate its sample, dry-run.
 * The hard limits (error rate, smoke tests) are the other templates' metrics, run beside it: Argo merges the
 * metrics of a run's templates and refuses two with one name, so no metric is repeated here.
 */
export function healthScoreTemplate(spec: HealthScoreSpec, gate: MetricGate): Record<string, unknown> {
    const prometheus = (query: string) => ({
        prometheus: { address: spec.prometheusAddress, query, timeout: gate.timeoutSeconds },
    });
    const metrics: Record<string, unknown>[] = [
        {
            name: "health-score",
            ...timingFields(gate),
            ...scoreConditions(spec.threshold),
            provider: prometheus(healthScoreQuery(spec)),
        },
    ];
    if (spec.checkTraffic) {
        metrics.push({
            name: "check-traffic",
            // Once per run when the gate counts its measurements; with a background analysis (no count), again
            // after each run, so a canary keeps its sample for as long as the release lasts.
            ...(gate.count !== undefined ? { count: 1 } : { interval: `${gate.intervalSeconds}s` }),
            failureLimit: 0,
            provider: { job: { spec: checkTrafficJob(spec.checkTraffic, spec.checks) } },
        });
    }
    return {
        args: HEALTH_ARGS.map((name) => ({ name })),
        metrics,
        ...(spec.checkTraffic ? { dryRun: [{ metricName: "check-traffic" }] } : {}),
    };
}

/** Shell run by the smoke test Job: every path must answer 2xx, the first other answer (or no answer) fails the Job. */
export const SMOKE_TEST_SCRIPT = [
    "set -euf",
    "for p in $SMOKE_PATHS; do",
    '  code=$(curl --silent --show-error --output /dev/null --write-out "%{http_code}" --max-time "$REQUEST_TIMEOUT" "$BASE_URL$p") || code=000',
    '  case "$code" in',
    '    2??) echo "PASS $code $p" ;;',
    '    *) echo "FAIL $code $p"; exit 1 ;;',
    "  esac",
    "done",
].join("\n");

/** Settings of the smoke test Job. */
export interface SmokeTestSpec {
    /** Digest-pinned image with `/bin/sh` and `curl`. */
    image: string;
    paths: readonly string[];
    /** The Job's activeDeadlineSeconds: the longest the whole test may take. */
    timeoutSeconds: number;
    /** Labels of the Job's pod; the NetworkPolicy admits pods carrying them to the preview pods. */
    podLabels: Record<string, string>;
    /**
     * ServiceAccount the Job's pod runs as (the service's own will do: the pod mounts no token). Defaults to none,
     * that is the namespace's `default` ServiceAccount, which the policy pack's workload-no-default-service-account
     * rejects.
     */
    serviceAccountName?: string;
}

/** Non-root user the smoke test runs as (the image must not need root). */
export const SMOKE_TEST_UID = 65532;

/**
 * Smoke test template: one Job metric (count 1, failureLimit 0). The Job runs outside the mesh (no sidecar, which
 * would keep it from completing), non-root with a read-only root filesystem, no capabilities and no API token.
 */
export function smokeTestTemplate(spec: SmokeTestSpec): Record<string, unknown> {
    return {
        args: TARGET_ARGS.map((name) => ({ name })),
        metrics: [
            {
                name: "smoke-tests",
                count: 1,
                failureLimit: 0,
                provider: {
                    job: {
                        spec: {
                            backoffLimit: 0,
                            activeDeadlineSeconds: spec.timeoutSeconds,
                            template: {
                                metadata: { labels: { ...spec.podLabels, "sidecar.istio.io/inject": "false" } },
                                spec: {
                                    ...releaseCheckPodSpec(spec.serviceAccountName),
                                    containers: [
                                        {
                                            name: "smoke-tests",
                                            image: spec.image,
                                            command: ["/bin/sh", "-c", SMOKE_TEST_SCRIPT],
                                            env: [
                                                {
                                                    name: "BASE_URL",
                                                    value: "http://{{args.service-host}}:{{args.port}}",
                                                },
                                                { name: "SMOKE_PATHS", value: spec.paths.join(" ") },
                                                {
                                                    name: "REQUEST_TIMEOUT",
                                                    value: String(Math.min(10, spec.timeoutSeconds)),
                                                },
                                            ],
                                            ...releaseCheckContainer(),
                                        },
                                    ],
                                },
                            },
                        },
                    },
                },
            },
        ],
    };
}

/** SLO thresholds and the traffic a measurement needs. */
export interface SloSpec {
    prometheusAddress: string;
    /** Largest acceptable share of 5xx answers, e.g. 0.001 for 0.1%. */
    maxErrorRate: number;
    /** Latency bound in milliseconds at {@link latencyQuantile}. */
    maxLatencyMs: number;
    latencyQuantile: number;
    /** Fewer requests than this in the window: no verdict (inconclusive). */
    minRequests: number;
    windowSeconds: number;
}

/** Istio's server-side view of the requests to one revision of one service. */
function selector(extra = ""): string {
    return (
        'reporter="destination",destination_workload_namespace="{{args.namespace}}",' +
        `destination_canonical_service="{{args.service}}",destination_canonical_revision="{{args.revision}}"${extra}`
    );
}

/**
 * Error rate of the revision: 5xx / all requests over the window. With fewer than `minRequests` requests (including
 * none at all: no series yet) the query yields NaN instead of an empty result. Only the numerator falls back to 0
 * (`or on() vector(0)`: no 5xx series means no errors); the denominator never does.
 */
export function errorRateQuery(spec: SloSpec): string {
    const w = `${spec.windowSeconds}s`;
    const errors = `sum(increase(istio_requests_total{${selector(',response_code=~"5.."')}}[${w}]))`;
    const total = `sum(increase(istio_requests_total{${selector()}}[${w}]))`;
    return `((${errors} or on() vector(0)) / (${total} >= ${spec.minRequests})) or on() vector(NaN)`;
}

/** The revision's latency at the quantile, in ms (NaN when its histogram has no requests in the window). */
function quantileExpr(spec: SloSpec): string {
    const w = `${spec.windowSeconds}s`;
    return `histogram_quantile(${spec.latencyQuantile}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector()}}[${w}])))`;
}

/** Latency of the revision at the quantile, in ms; NaN with fewer than `minRequests` requests in the window. */
export function latencyQuery(spec: SloSpec): string {
    const w = `${spec.windowSeconds}s`;
    const total = `sum(increase(istio_requests_total{${selector()}}[${w}]))`;
    return `(${quantileExpr(spec)} and on() (${total} >= ${spec.minRequests})) or on() vector(NaN)`;
}

/**
 * Conditions for a query that yields NaN when there is too little traffic to judge: NaN matches neither condition,
 * so the measurement is Inconclusive (counted against `inconclusiveLimit`; past it the rollout pauses for a person,
 * it is neither aborted nor promoted). A real value is either Successful or Failed.
 */
export function boundConditions(bound: number): { successCondition: string; failureCondition: string } {
    return {
        successCondition: `!isNaN(result[0]) && result[0] <= ${bound}`,
        failureCondition: `!isNaN(result[0]) && result[0] > ${bound}`,
    };
}

/**
 * Conditions for a bound a person should judge rather than the gate: within it passes, beyond it (or NaN) is
 * Inconclusive, which pauses the release (see {@link scoreConditions} for why the failureCondition is "false").
 */
export function pauseConditions(bound: number): { successCondition: string; failureCondition: string } {
    return { successCondition: `!isNaN(result[0]) && result[0] <= ${bound}`, failureCondition: "false" };
}

/**
 * SLO template: the new revision's error rate (above `maxErrorRate` the release aborts and rolls back) and latency
 * (beyond the objective the release pauses for a person, as a health score below its threshold does).
 */
export function sloTemplate(spec: SloSpec, gate: MetricGate): Record<string, unknown> {
    const prometheus = (query: string) => ({
        prometheus: { address: spec.prometheusAddress, query, timeout: gate.timeoutSeconds },
    });
    const quantileLabel = `p${Math.round(spec.latencyQuantile * 1000) / 10}`.replace(".", "");
    return {
        args: SLO_ARGS.map((name) => ({ name })),
        metrics: [
            {
                name: "error-rate",
                ...timingFields(gate),
                ...boundConditions(spec.maxErrorRate),
                provider: prometheus(errorRateQuery(spec)),
            },
            {
                name: `latency-${quantileLabel}`,
                ...timingFields(gate),
                ...pauseConditions(spec.maxLatencyMs),
                provider: prometheus(latencyQuery(spec)),
            },
        ],
    };
}
