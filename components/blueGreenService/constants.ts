/**
 * The labels, ports and defaults BlueGreenService builds on: shared by the validator, the settings and the builders.
 */
import type { CanaryStepArgs } from "./args";

/** Label the Rollout puts on pods through active/preview (blue/green) or stable/canary metadata. */
export const ROLE_LABEL = "role";
/** Label of the smoke test pods; the preview NetworkPolicy admits pods with it (value: the service name). */
export const RELEASE_CHECK_LABEL = "platform.zdp.dev/release-check";
/** Istio takes a workload's revision from this label; the SLO queries select the new revision by it. */
export const REVISION_LABEL = "service.istio.io/canonical-revision";
/** Label of the namespaces IstioMesh creates for services; their pods may call the active version. */
export const SERVICE_NAMESPACE_LABEL = "platform.zdp.dev/service-namespace";
/** Pod labels of the Argo Rollouts controller (from its chart). */
export const CONTROLLER_POD_LABELS = { "app.kubernetes.io/name": "argo-rollouts" } as const;
/** Port of the Istio sidecar's merged Prometheus metrics. */
export const SIDECAR_METRICS_PORT = 15020;
/** Ports the Istio sidecar uses itself; the application cannot listen on them. */
export const ISTIO_RESERVED_PORTS = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090] as const;
/** kube-prometheus-stack's Prometheus, reached through the operator's `prometheus-operated` Service. */
export const DEFAULT_PROMETHEUS_ADDRESS = "http://prometheus-operated.monitoring.svc.cluster.local:9090";
export const STRATEGIES = ["blueGreen", "canary"] as const;

export const DEFAULTS = {
    replicas: 2,
    port: { name: "http", containerPort: 8080, port: 80 },
    livenessPath: "/healthz",
    readinessPath: "/readyz",
    scoreThreshold: 95,
    signalWeights: { checks: 60, errors: 20, latency: 20 },
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
    canarySteps: [
        { weight: 5, pauseSeconds: 30 },
        { weight: 25, pauseSeconds: 30 },
        { weight: 100 },
    ] as CanaryStepArgs[],
    // The score needs Prometheus to have scraped the check traffic at least twice (30 s scrapes): the first
    // measurements may lack a sample, so up to 3 of 4 may be inconclusive.
    health: {
        intervalSeconds: 10,
        count: 4,
        failureLimit: 0,
        consecutiveErrorLimit: 2,
        inconclusiveLimit: 3,
        initialDelaySeconds: 20,
        timeoutSeconds: 3,
    },
    slo: {
        intervalSeconds: 5,
        count: 6,
        failureLimit: 0,
        consecutiveErrorLimit: 2,
        inconclusiveLimit: 3,
        initialDelaySeconds: 0,
        timeoutSeconds: 3,
        maxErrorRate: 0.001,
        maxLatencyMs: 500,
        latencyQuantile: 0.99,
        minRequests: 20,
        windowSeconds: 60,
    },
    smokeTestTimeoutSeconds: 60,
    scaleDownDelaySeconds: 3600,
    abortScaleDownDelaySeconds: 30,
    rollbackWindowRevisions: 2,
    revisionHistoryLimit: 3,
    previewHeader: "x-preview",
    requestTimeoutSeconds: 10,
    retries: 2,
    perTryTimeoutSeconds: 3,
    maxConnections: 1024,
    maxPendingRequests: 1024,
    consecutive5xxErrors: 5,
    ejectionSeconds: 30,
    gatewayNamespace: "istio-ingress",
    controllerNamespace: "argo-rollouts",
    prometheusNamespace: "monitoring",
    progressDeadlineSeconds: 600,
    runAsUser: 65532,
} as const;
