/**
 * The source metrics the release rules and dashboard read, by name, in one place. Two sources only:
 *
 * - the Argo Rollouts controller's own `/metrics` (port 8090), described in the project's "Controller Metrics" page
 *   (docs/features/controller-metrics.md) and defined in its source under `controller/metrics/`
 *   (`prommetrics.go`, `rollouts.go`, `analysis.go`), plus `up`, which Prometheus records for the controller's
 *   scrape target;
 * - Istio's standard metrics as reported by the sidecars (Istio docs: "Istio Standard Metrics");
 * - trivy-operator's `/metrics` (port 8080), described in its "Metrics" page (docs/docs/integrations/metrics.md) and
 *   defined in its source under `pkg/metrics/` (`collector.go`: names and labels; severity label values Critical,
 *   High, Medium, Low, Unknown in `types.go`).
 *
 * Everything else the rules use is a recording rule they define themselves. `test/components/observability/fixtures/metrics.json`
 * lists the same names independently, each with its source and documentation link, and the tests check every
 * expression against that list rather than against this file.
 */

/** Argo Rollouts controller metrics (gauges are computed from the controller's informer cache at scrape time). */
export const CONTROLLER_METRICS = {
    /** Gauge, always 1: labels namespace, name, strategy, traffic_router, phase (Progressing, Paused, Completed, Abort, Error, Timeout, InvalidSpec). */
    rolloutInfo: "rollout_info",
    /** Gauge: `.spec.replicas` of the Rollout. */
    replicasDesired: "rollout_info_replicas_desired",
    /** Gauge: `.status.availableReplicas`. */
    replicasAvailable: "rollout_info_replicas_available",
    /** Gauge: `.status.replicas - .status.availableReplicas` (so available + unavailable = every pod of every revision). */
    replicasUnavailable: "rollout_info_replicas_unavailable",
    /** Gauge: `.status.updatedReplicas` (pods of the newest revision). */
    replicasUpdated: "rollout_info_replicas_updated",
    /** Counter: Kubernetes events the controller emitted for a Rollout, labels namespace, name, type, reason. */
    rolloutEvents: "rollout_events_total",
    /** Gauge, always 1: labels namespace, name (of the AnalysisRun), phase (Pending, Running, Successful, Failed, Error, Inconclusive). */
    analysisRunInfo: "analysis_run_info",
    /** Gauge, 0 or 1 per phase: labels namespace, name, metric, type, dry_run, phase. */
    analysisRunMetricPhase: "analysis_run_metric_phase",
    /** Gauge synthesized by Prometheus for every scrape target: 1 when the last scrape succeeded. */
    up: "up",
} as const;

/** Istio standard metrics (sidecar-reported). */
export const ISTIO_METRICS = {
    /** Counter: requests, labels reporter, destination_service_name, destination_service_namespace, destination_canonical_service, response_code, ... */
    requests: "istio_requests_total",
    /** Histogram buckets of request duration in milliseconds (same labels plus `le`). */
    requestDurationBucket: "istio_request_duration_milliseconds_bucket",
} as const;

/** trivy-operator metrics, computed at scrape time from its VulnerabilityReports (one report per workload container). */
export const TRIVY_METRICS = {
    /**
     * Gauge: findings of one severity in one container image of one workload. Labels namespace and resource_kind /
     * resource_name (the workload: a Rollout's pods belong to ReplicaSets named `<rollout>-<pod-template-hash>`),
     * name (the report), container_name, image_registry, image_repository, image_tag, image_digest, severity
     * (Critical, High, Medium, Low, Unknown).
     */
    imageVulnerabilities: "trivy_image_vulnerabilities",
} as const;

/** Values of trivy-operator's `severity` label (title case, unlike the scanner's own HIGH / CRITICAL). */
export const TRIVY_SEVERITY_LABELS = { critical: "Critical", high: "High" } as const;

/** Every source metric name the rules and dashboard may use. */
export const SOURCE_METRIC_NAMES: readonly string[] = [
    ...Object.values(CONTROLLER_METRICS),
    ...Object.values(ISTIO_METRICS),
    ...Object.values(TRIVY_METRICS),
];

/** Event reasons (the `reason` label of `rollout_events_total`) the delivery figures count. */
export const EVENT_REASONS = {
    /** A new revision was applied: a release started. */
    updated: "RolloutUpdated",
    /** The new revision became stable: the release was promoted and finished. */
    completed: "RolloutCompleted",
    /** The release was aborted (by a failed gate or by hand); traffic is back on the stable revision. */
    aborted: "RolloutAborted",
    /** A Service's selector was switched (blue/green: preview at the start, active at promotion). */
    switchService: "SwitchService",
    /** A gate (AnalysisRun) owned by the Rollout failed. */
    analysisRunFailed: "AnalysisRunFailed",
    /** A pause began. */
    paused: "RolloutPaused",
} as const;
