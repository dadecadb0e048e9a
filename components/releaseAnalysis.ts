/**
 * The AnalysisTemplate specs a {@link BlueGreenService} gates its releases with, as pure builders (no resources):
 * the health score (web metrics against the preview or canary Service), the smoke tests (a Job against the preview
 * Service) and the SLOs (Prometheus queries over Istio's request metrics for the new revision only).
 *
 * Every template takes its targets as arguments, so the Rollout that references it must supply them; the timing
 * fields (interval, count, limits, timeouts) are literal numbers, so the release timing model can read them.
 */

/** Arguments the health score and smoke test templates need. */
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

/** A health endpoint after compiling the score: `gating` checks fail the gate, the others are dry-run (reported). */
export interface CompiledCheck extends WeightedCheck {
    metricName: string;
    gating: boolean;
}

/**
 * Compiles a weighted health score into per-endpoint gates. The score is 100 × (weight of passing endpoints) /
 * (total weight) and must stay at or above `threshold`. Argo Rollouts evaluates each metric on its own, so the score
 * becomes: the lightest endpoints whose weights together fit in the allowance (100 − threshold)% of the total run
 * dry-run (measured and reported, never failing the run), every other endpoint must pass.
 *
 * This never passes a release whose score is below the threshold (that needs failing weight above the allowance,
 * which no set of dry-run endpoints has); it can fail one whose score is at or above it, when a single gating
 * endpoint lighter than the allowance fails. Conservative on purpose.
 */
export function compileHealthScore(checks: readonly WeightedCheck[], threshold: number): CompiledCheck[] {
    const total = checks.reduce((s, c) => s + c.weight, 0);
    const allowance = ((100 - threshold) / 100) * total;
    const order = checks.map((c, i) => ({ c, i })).sort((a, b) => a.c.weight - b.c.weight || a.i - b.i);
    const dryRun = new Set<number>();
    let used = 0;
    for (const { c, i } of order) {
        if (used + c.weight > allowance) break;
        used += c.weight;
        dryRun.add(i);
    }
    const names = new Set<string>();
    return checks.map((c, i) => {
        const slug =
            c.path
                .replace(/[^a-z0-9]+/gi, "-")
                .replace(/^-+|-+$/g, "")
                .toLowerCase() || "root";
        let metricName = `health-${slug}`.slice(0, 60);
        for (let n = 2; names.has(metricName) && n < checks.length + 2; n++)
            metricName = `health-${slug}`.slice(0, 56) + `-${n}`;
        names.add(metricName);
        return { ...c, metricName, gating: !dryRun.has(i) };
    });
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

/**
 * Health score template: one web metric per endpoint, GET `http://{{args.service-host}}:{{args.port}}<path>`.
 * A non-2xx answer or a timeout is a measurement Error (Argo's web provider); any 2xx answer passes.
 */
export function healthScoreTemplate(checks: readonly CompiledCheck[], gate: MetricGate): Record<string, unknown> {
    const dryRun = checks.filter((c) => !c.gating).map((c) => ({ metricName: c.metricName }));
    return {
        args: TARGET_ARGS.map((name) => ({ name })),
        metrics: checks.map((c) => ({
            name: c.metricName,
            ...timingFields(gate),
            // Non-JSON bodies pass on 2xx; for a JSON body the whole document is the result and any value passes.
            successCondition: "true",
            provider: {
                web: {
                    url: `http://{{args.service-host}}:{{args.port}}${c.path}`,
                    jsonPath: "{$}",
                    timeoutSeconds: gate.timeoutSeconds,
                },
            },
        })),
        ...(dryRun.length > 0 ? { dryRun } : {}),
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
                                    restartPolicy: "Never",
                                    automountServiceAccountToken: false,
                                    securityContext: {
                                        runAsNonRoot: true,
                                        runAsUser: SMOKE_TEST_UID,
                                        runAsGroup: SMOKE_TEST_UID,
                                        seccompProfile: { type: "RuntimeDefault" },
                                    },
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

/** Latency of the revision at the quantile, in ms; NaN with fewer than `minRequests` requests in the window. */
export function latencyQuery(spec: SloSpec): string {
    const w = `${spec.windowSeconds}s`;
    const quantile = `histogram_quantile(${spec.latencyQuantile}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${selector()}}[${w}])))`;
    const total = `sum(increase(istio_requests_total{${selector()}}[${w}]))`;
    return `(${quantile} and on() (${total} >= ${spec.minRequests})) or on() vector(NaN)`;
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

/** SLO template: error rate and latency of the new revision from Istio's metrics in Prometheus. */
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
                ...boundConditions(spec.maxLatencyMs),
                provider: prometheus(latencyQuery(spec)),
            },
        ],
    };
}
