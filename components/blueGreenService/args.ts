/**
 * The arguments of BlueGreenService: the one place they are documented. Each field's JSDoc ends with its default;
 * the components reference (tools/componentsReference.ts) is generated from these declarations through the schema
 * Pulumi infers, so what other languages and docs/reference/components.md show is this text. settings.ts applies the defaults.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { MigrationsArgs } from "./migrations";
import type { TimingBudget } from "../lib/releaseTiming";
import type { DependencyArgs, PreviewAccessArgs } from "../previewIsolation";

/** One port of the service. Every port is HTTP (Istio routes, retries and measures it as HTTP). */
export interface ServicePortArgs {
    /** Port name (lower-case letters, digits, '-'; at most 15 characters). Defaults to "http" for the first port. */
    readonly name?: string;
    /** Port the container listens on. */
    readonly containerPort: number;
    /** Port of the Kubernetes Services. Defaults to `containerPort`. */
    readonly port?: number;
}

/** One health endpoint and its weight in the health score. */
export interface HealthCheckArgs {
    /** HTTP path, starting with '/'. */
    readonly path: string;
    /** Weight in the score (1-100). Defaults to 1. */
    readonly weight?: number;
}

export interface HealthArgs {
    /** Liveness probe path. Defaults to "/healthz". */
    readonly livenessPath?: string;
    /** Readiness probe path. Defaults to "/readyz". */
    readonly readinessPath?: string;
    /** Startup probe path (up to 60 s to start). Defaults to `livenessPath`. */
    readonly startupPath?: string;
    /** Endpoints of the health score the release gates check. Defaults to the liveness and readiness paths, weight 1 each. */
    readonly checks?: HealthCheckArgs[];
    /** Lowest passing health score (0-100); below it the release pauses for a person. Defaults to 95. */
    readonly scoreThreshold?: number;
    /** Weights of the score's signals (checks, errors, latency). Defaults to 60, 20, 20. */
    readonly signalWeights?: HealthSignalWeightsArgs;
}

/** Weights of the health score's signals; only their ratio matters. */
export interface HealthSignalWeightsArgs {
    /** Share of 2xx answers to the release's check requests (the endpoints of `checks`, each per its weight). Defaults to 60. */
    readonly checks?: number;
    /** Error allowance left (1 − error ratio ÷ `maxErrorRate`). Defaults to 20. */
    readonly errors?: number;
    /** Latency objective (full marks within `maxLatencyMs`, none at twice it). Defaults to 20. */
    readonly latency?: number;
}

/** The release's own requests to the preview or canary Service, so that a quiet service still gets a verdict. */
export interface CheckTrafficArgs {
    /** Digest-pinned image with curl 7.84 or newer, run without a shell. Defaults to `smokeTest.image` (blueGreen); canary: none (no check traffic). */
    readonly image?: string;
    /** Requests per minute, all health endpoints together (1-600). Defaults to twice `slo.minRequests` per window, at least 60. */
    readonly requestsPerMinute?: number;
}

/** Kubernetes resource quantities of one kind (requests or limits). */
export interface ResourceQuantityArgs {
    /** CPU, e.g. "250m". */
    readonly cpu?: string;
    /** Memory, e.g. "256Mi". */
    readonly memory?: string;
}

export interface ResourceArgs {
    /** Resources the scheduler reserves. Defaults to { cpu: "100m", memory: "128Mi" }. */
    readonly requests?: ResourceQuantityArgs;
    /** Most the container may use. Defaults to { cpu: "500m", memory: "256Mi" }. */
    readonly limits?: ResourceQuantityArgs;
}

/** The digest of an image built in the same stack is used; unknown at preview. */
export interface ImageBuildArgs {
    /** Docker build context directory. */
    readonly context: string;
    /** Dockerfile path. Defaults to "<context>/Dockerfile". */
    readonly dockerfile?: string;
    /** Repository (and optional tag) to push to, without a digest: e.g. "registry.example.com/shop/checkout:ci". */
    readonly imageName: string;
}

export interface BlueGreenArgs {
    /**
     * Promote automatically once the pre-promotion gates pass; false leaves promotion to a person or the pipeline
     * (`kubectl argo rollouts promote`). Defaults to true.
     */
    readonly autoPromotion?: boolean;
    /** With `autoPromotion`, wait this long after the gates pass before promoting. Defaults to 0. */
    readonly autoPromotionSeconds?: number;
    /** Preview pods while the release is checked (scaled to `replicas` on promotion). Defaults to `replicas`. */
    readonly previewReplicas?: number;
}

/** One canary step: set the traffic weight, then optionally wait. */
export interface CanaryStepArgs {
    /** Percent of traffic to the canary (1-100); strictly increasing, the last step 100. */
    readonly weight: number;
    /** Seconds to wait at this weight before the next step (the background analysis keeps checking). Defaults to 0. */
    readonly pauseSeconds?: number;
    /** Wait at this weight until promoted by a person or the pipeline. Defaults to false. */
    readonly waitForPromotion?: boolean;
}

export interface CanaryArgs {
    /** Traffic steps. Defaults to 5% for 30 s, 25% for 30 s, then 100%. */
    readonly steps?: CanaryStepArgs[];
}

/** Timing of one kind of analysis metric. */
export interface MetricGateArgs {
    /** Seconds between the end of one measurement and the start of the next. */
    readonly intervalSeconds?: number;
    /** Measurements to take (blue/green gates; canary background analysis runs until the release completes). */
    readonly count?: number;
    /** Failed measurements tolerated; one more fails the gate. */
    readonly failureLimit?: number;
    /** Consecutive errored measurements tolerated (a non-2xx health answer is an error). */
    readonly consecutiveErrorLimit?: number;
    /** Inconclusive measurements (too little traffic to judge) tolerated; one more pauses the release. */
    readonly inconclusiveLimit?: number;
    /** Seconds before the first measurement. */
    readonly initialDelaySeconds?: number;
    /** Longest one measurement may take, in seconds. */
    readonly timeoutSeconds?: number;
}

export interface SloArgs extends MetricGateArgs {
    /** Largest acceptable share of 5xx answers of the new revision. Defaults to 0.001 (0.1%). */
    readonly maxErrorRate?: number;
    /** Latency bound in ms at `latencyQuantile`. Defaults to 500. */
    readonly maxLatencyMs?: number;
    /** Quantile the latency bound applies to. Defaults to 0.99. */
    readonly latencyQuantile?: number;
    /** Requests the window must hold for a verdict; fewer make the measurement inconclusive. Defaults to 20. */
    readonly minRequests?: number;
    /** Query window in seconds. Defaults to 60. */
    readonly windowSeconds?: number;
}

export interface SmokeTestArgs {
    /** Digest-pinned image with /bin/sh and curl, run as a non-root user. Required for blueGreen. */
    readonly image?: string;
    /** Paths on the preview Service that must answer 2xx. Required for blueGreen. */
    readonly paths?: string[];
    /** Longest the smoke test Job may run (its activeDeadlineSeconds). Defaults to 60. */
    readonly timeoutSeconds?: number;
}

export interface AnalysisArgs {
    /** Health score gate. Defaults to after 20 s, every 10 s, 4 times, failureLimit 0, inconclusiveLimit 3, consecutiveErrorLimit 2, timeout 3 s. */
    readonly health?: MetricGateArgs;
    /** SLO gate. Defaults to every 5 s, 6 times, failureLimit 0, inconclusiveLimit 3, consecutiveErrorLimit 2, timeout 3 s. */
    readonly slo?: SloArgs;
    /** Smoke tests before promotion (blueGreen only). */
    readonly smokeTest?: SmokeTestArgs;
    /** The release's own traffic against the health endpoints, the health score's minimum sample. Defaults to the smoke test image for blueGreen. */
    readonly checkTraffic?: CheckTrafficArgs;
    /** Prometheus that scrapes the Istio sidecars. Defaults to "http://prometheus-operated.monitoring.svc.cluster.local:9090" (kube-prometheus-stack). */
    readonly prometheusAddress?: string;
}

export interface RetentionArgs {
    /** Seconds the previous version keeps running after the switch, for an instant rollback. Defaults to 3600. */
    readonly scaleDownDelaySeconds?: number;
    /** Seconds an aborted release's pods are kept for debugging. Defaults to 30. */
    readonly abortScaleDownDelaySeconds?: number;
    /** Recent revisions a rollback to skips the gates for (Argo `rollbackWindow`). Defaults to 2. */
    readonly rollbackWindowRevisions?: number;
    /** Old ReplicaSets kept. Defaults to 3. */
    readonly revisionHistoryLimit?: number;
}

export interface TrafficArgs {
    /** External host names routed through the mesh gateway. Defaults to none (mesh-internal only). */
    readonly hosts?: string[];
    /** `namespace/name` of the ingress Gateway for `hosts` (IstioMesh's `gatewayRef`). Required with `hosts`. */
    readonly gateway?: pulumi.Input<string>;
    /** Header that routes a request to the preview (blueGreen) or canary pods when its value is "true". Defaults to "x-preview". */
    readonly previewHeader?: string;
    /**
     * Who reaches the version under test with the preview header: "internal" (mesh callers only; the header is ignored
     * at the ingress gateway) or "public" (also through the gateway, with `previewAccess`). Defaults to "internal".
     */
    readonly previewExposure?: string;
    /** Requirements a public preview request must meet (token issuer, address ranges). Required when `previewExposure` is "public". */
    readonly previewAccess?: PreviewAccessArgs;
    /** Request timeout in seconds. Defaults to 10. */
    readonly timeoutSeconds?: number;
    /** Retries on connection failures and resets. Defaults to 2. */
    readonly retries?: number;
    /** Timeout of each try in seconds. Defaults to 3. */
    readonly perTryTimeoutSeconds?: number;
    /** Circuit breaker: connections per Envoy to the service. Defaults to 1024. */
    readonly maxConnections?: number;
    /** Circuit breaker: queued requests. Defaults to 1024. */
    readonly maxPendingRequests?: number;
    /** Outlier detection: consecutive 5xx answers that eject a pod. Defaults to 5. */
    readonly consecutive5xxErrors?: number;
    /** Outlier detection: base ejection time in seconds. Defaults to 30. */
    readonly ejectionSeconds?: number;
}

export interface NetworkArgs {
    /** Namespace of the ingress gateway pods (labels `istio: ingressgateway`). Defaults to "istio-ingress". */
    readonly gatewayNamespace?: pulumi.Input<string>;
    /** Namespace of the Argo Rollouts controller, which runs the web metrics. Defaults to "argo-rollouts". */
    readonly controllerNamespace?: pulumi.Input<string>;
    /** Namespace of Prometheus, admitted to the sidecars' metrics port 15020. Defaults to "monitoring". */
    readonly prometheusNamespace?: pulumi.Input<string>;
    /** Namespace of istiod, which the version under test may reach on 15012 and 15017. Defaults to "istio-system". */
    readonly meshNamespace?: pulumi.Input<string>;
}

export interface BlueGreenServiceArgs {
    /** Service name (Rollout, Services, ...): a DNS-1035 label of at most 50 characters. Defaults to the resource name. */
    readonly name?: string;
    /** Namespace of the service; it must exist (IstioMesh creates the service namespaces with injection on). */
    readonly namespace: string;
    /** Digest-pinned image, `repo@sha256:<64 hex>`. Exactly one of `image` and `build`. */
    readonly image?: pulumi.Input<string>;
    /** Build the image in this stack and deploy its digest. Exactly one of `image` and `build`. */
    readonly build?: ImageBuildArgs;
    /** Pods of the stable version. Defaults to 2. */
    readonly replicas?: number;
    /** HTTP ports; the first one is probed, routed and checked. Defaults to one port "http", container port 8080, Service port 80. */
    readonly ports?: ServicePortArgs[];
    /** Probe paths and the health score the release gates check. Defaults to /healthz and /readyz, threshold 95. */
    readonly health?: HealthArgs;
    /** Requests and limits of the container. Defaults to requests 100m/128Mi, limits 500m/256Mi. */
    readonly resources?: ResourceArgs;
    /** Plain environment variables. Defaults to none. */
    readonly env?: Record<string, string>;
    /** Secret environment variables: stored in a Kubernetes Secret, referenced by secretKeyRef. Defaults to none. */
    readonly secretEnv?: Record<string, pulumi.Input<string>>;
    /** "blueGreen" or "canary". Defaults to "blueGreen". */
    readonly strategy?: string;
    /** Blue/green promotion settings (strategy "blueGreen"). Defaults to automatic promotion, full-size preview. */
    readonly blueGreen?: BlueGreenArgs;
    /** Canary steps (strategy "canary"). Defaults to 5% for 30 s, 25% for 30 s, then 100%. */
    readonly canary?: CanaryArgs;
    /** Release gates: health score, smoke tests (blue/green), SLOs. Defaults are given per gate; smoke tests are required for blue/green. */
    readonly analysis?: AnalysisArgs;
    /** How long the previous version is kept, for rollback. Defaults to one hour. */
    readonly retention?: RetentionArgs;
    /** Routing: external hosts, preview header, retries, timeouts, circuit breaking. Defaults to mesh-internal routing only. */
    readonly traffic?: TrafficArgs;
    /**
     * What the version under test (preview or canary pods) may call besides the cluster DNS and istiod; any other
     * egress of those pods is denied. Defaults to none.
     */
    readonly dependencies?: DependencyArgs[];
    /** Namespaces the NetworkPolicies admit release checks and metrics from. Defaults to istio-ingress, argo-rollouts, monitoring. */
    readonly network?: NetworkArgs;
    /** Seconds for new pods to become ready before the release is aborted. Defaults to 600. */
    readonly progressDeadlineSeconds?: number;
    /** UID the containers run as. Defaults to 65532. */
    readonly runAsUser?: number;
    /** Mount the ServiceAccount token into the pods. Defaults to false. */
    readonly automountServiceAccountToken?: boolean;
    /** Release timing limits; configurations that exceed them are rejected. Defaults to none. */
    readonly budget?: TimingBudget;
    /**
     * Who shipped this release, recorded as annotations on the Rollout (not its pods: changing them restarts
     * nothing). A field left empty keeps the value the last deploy recorded. Defaults to none.
     */
    readonly release?: ReleaseProvenanceArgs;
    /**
     * Database migrations of this release (expand/contract, docs/runbooks/migrations.md): an expand Job that runs
     * before any traffic moves, or a contract Job that runs once the version it retires is gone. Defaults to none.
     */
    readonly migrations?: MigrationsArgs;
}

/** The deploy that applies a release: the annotations an auditor reads on the Rollout. */
export interface ReleaseProvenanceArgs {
    /** Commit of this repository that was deployed (CI's `GITHUB_SHA`). Defaults to unset. */
    readonly commit?: string;
    /** URL of the pipeline run that deployed it. Defaults to unset. */
    readonly pipelineRun?: string;
    /** Who triggered that run (CI's `GITHUB_ACTOR`). Defaults to unset. */
    readonly actor?: string;
}
