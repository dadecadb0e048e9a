import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { notificationSubscriptions, RELEASE_ANNOTATIONS } from "./argoRollouts";
import { GATEWAY_POD_LABELS } from "./istioMesh";
import { checkTimingBudget, ReleaseTiming, rolloutTiming, TimingBudget, TimingProblem } from "./lib/releaseTiming";
import { checkDnsLabel, checkHttpPath, checkInteger, checkOneOf, formatArgErrors } from "./lib/validation";
import {
    checkDependencies,
    checkPreviewExposure,
    DEFAULT_MESH_NAMESPACE,
    DependencyArgs,
    PreviewAccessArgs,
    previewAccessPolicySpec,
    previewEgressRules,
    PreviewIsolationSettings,
    previewIsolationSettings,
    previewJwtSpec,
} from "./previewIsolation";
import { healthScoreTemplate, MetricGate, sloTemplate, SloSpec, smokeTestTemplate } from "./releaseAnalysis";

// ---------------------------------------------------------------------------------------------------------------
// Arguments

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

// ---------------------------------------------------------------------------------------------------------------
// Constants and defaults

/**
 * The provenance annotations to set, and the ones to leave as the last deploy recorded (`ignoreChanges` paths): a
 * run without the deploy's identity (a pull request's or a laptop's preview) then shows no diff on the Rollouts,
 * while each real deploy records itself. Metadata only: the pods are not restarted, no new revision is made.
 */
export function releaseProvenance(release: ReleaseProvenanceArgs | undefined): {
    annotations: Record<string, string>;
    ignoreChanges: string[];
} {
    const annotations: Record<string, string> = {};
    const ignoreChanges: string[] = [];
    for (const [field, key] of Object.entries(RELEASE_ANNOTATIONS) as [keyof ReleaseProvenanceArgs, string][]) {
        const value = release?.[field];
        if (value !== undefined && value !== "") annotations[key] = value;
        else ignoreChanges.push(`metadata.annotations["${key}"]`);
    }
    return { annotations, ignoreChanges };
}

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

// ---------------------------------------------------------------------------------------------------------------
// Standalone checks (each returns error messages naming the field; tests call them directly)

const DIGEST_REF =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;
const REPO_REF =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Returns an error unless `value` is a digest-pinned image reference, `repo[:tag]@sha256:<64 hex>`. */
export function checkImageReference(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) {
        return `${field} must be a digest-pinned image reference such as "registry.example.com/shop/app@sha256:<64 hex>" (got ${JSON.stringify(value)})`;
    }
    if (DIGEST_REF.test(value)) return undefined;
    if (REPO_REF.test(value)) {
        return `${field} must be pinned by digest (repo@sha256:<64 hex>): a tag can be moved to other content, so the release would not be reproducible (got "${value}")`;
    }
    return `${field} must be a digest-pinned image reference, repo@sha256:<64 lower-case hex> (got "${value}")`;
}

/** Returns an error unless `value` is an image repository with an optional tag and no digest (for builds). */
export function checkBuildImageName(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !REPO_REF.test(value)) {
        return `${field} must be an image repository with an optional tag and no digest, such as "registry.example.com/shop/app:ci" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error unless `value` is a DNS-1035 label (what a Service name must be) of at most `max` characters. */
export function checkServiceName(field: string, value: unknown, max = 50): string | undefined {
    if (typeof value !== "string" || value.length === 0 || value.length > max || !DNS_1035.test(value)) {
        return (
            `${field} must be a DNS-1035 label of at most ${max} characters: lower-case letters, digits and '-', ` +
            `starting with a letter and ending with a letter or digit (got ${JSON.stringify(value)})`
        );
    }
    return undefined;
}

/**
 * Checks canary steps: weights are integers from 1 to 100, strictly increasing, the last one 100; pauses are
 * non-negative integers; a step does not both pause and wait; nothing waits after 100%.
 */
export function checkCanarySteps(field: string, steps: unknown): string[] {
    if (!Array.isArray(steps) || steps.length === 0)
        return [`${field} must be a non-empty list of { weight, pauseSeconds? } steps ending at weight 100`];
    const errors: string[] = [];
    let previous = 0;
    steps.forEach((raw, i) => {
        const at = `${field}[${i}]`;
        const step = raw as Record<string, unknown>;
        if (step === null || typeof step !== "object") {
            errors.push(`${at} must be an object { weight, pauseSeconds?, waitForPromotion? }`);
            return;
        }
        errors.push(...unknownKeys(at, step, ["weight", "pauseSeconds", "waitForPromotion"]));
        const w = step.weight;
        if (typeof w !== "number" || !Number.isInteger(w) || w < 1 || w > 100) {
            errors.push(`${at}.weight must be an integer from 1 to 100 (got ${JSON.stringify(w)})`);
        } else {
            if (w <= previous)
                errors.push(
                    `${at}.weight must be greater than the previous step's ${previous}: weights must strictly increase (got ${w})`,
                );
            previous = w;
        }
        if (step.pauseSeconds !== undefined)
            push(errors, checkInteger(`${at}.pauseSeconds`, step.pauseSeconds, 0, 86400));
        if (step.waitForPromotion !== undefined && typeof step.waitForPromotion !== "boolean") {
            errors.push(`${at}.waitForPromotion must be true or false (got ${JSON.stringify(step.waitForPromotion)})`);
        }
        if (step.waitForPromotion === true && step.pauseSeconds !== undefined) {
            errors.push(
                `${at} sets both pauseSeconds and waitForPromotion: a step either waits a fixed time or for a promotion`,
            );
        }
        const last = i === steps.length - 1;
        if (last && w !== 100)
            errors.push(
                `${at}.weight must be 100: the last step sends all traffic to the new version (got ${JSON.stringify(w)})`,
            );
        if (
            last &&
            (step.waitForPromotion === true || (typeof step.pauseSeconds === "number" && step.pauseSeconds > 0))
        ) {
            errors.push(`${at} must not pause: at 100% the release is complete`);
        }
    });
    return errors;
}

/** Returns an error unless `value` is a CPU ("250m", "1") or memory ("256Mi") quantity. */
export function checkQuantity(field: string, value: unknown, kind: "cpu" | "memory"): string | undefined {
    const re = kind === "cpu" ? CPU : MEMORY;
    if (typeof value !== "string" || !re.test(value)) {
        return `${field} must be a ${kind} quantity such as ${kind === "cpu" ? '"250m" or "1"' : '"256Mi" or "1Gi"'} (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** A CPU or memory quantity in base units (cores, bytes), for comparing requests with limits. */
export function quantityValue(value: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
    if (!m) return NaN;
    const factor: Record<string, number> = {
        m: 1e-3,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
    };
    return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}

function push(errors: string[], e: string | undefined): void {
    if (e !== undefined) errors.push(e);
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

/** Errors for keys of `obj` not in `known` (typos would otherwise be ignored silently). */
function unknownKeys(field: string, obj: Record<string, unknown>, known: readonly string[]): string[] {
    return Object.keys(obj)
        .filter((k) => !known.includes(k))
        .map((k) => `${field}.${k} is not a known field (known: ${known.join(", ")})`);
}

const ARG_KEYS = [
    "name",
    "namespace",
    "image",
    "build",
    "replicas",
    "ports",
    "health",
    "resources",
    "env",
    "secretEnv",
    "strategy",
    "blueGreen",
    "canary",
    "analysis",
    "retention",
    "traffic",
    "dependencies",
    "network",
    "progressDeadlineSeconds",
    "runAsUser",
    "automountServiceAccountToken",
    "budget",
    "release",
] as const;
const GATE_KEYS = [
    "intervalSeconds",
    "count",
    "failureLimit",
    "consecutiveErrorLimit",
    "inconclusiveLimit",
    "initialDelaySeconds",
    "timeoutSeconds",
];

function checkGate(
    errors: string[],
    field: string,
    raw: unknown,
    background: boolean,
    extra: readonly string[] = [],
): void {
    if (raw === undefined) return;
    if (!isRecord(raw)) {
        errors.push(`${field} must be an object with ${GATE_KEYS.join(", ")}`);
        return;
    }
    errors.push(...unknownKeys(field, raw, [...GATE_KEYS, ...extra]));
    const opt = (k: string, min: number, max: number) =>
        raw[k] !== undefined && push(errors, checkInteger(`${field}.${k}`, raw[k], min, max));
    opt("intervalSeconds", 1, 3600);
    opt("count", 1, 1000);
    opt("failureLimit", 0, 1000);
    opt("consecutiveErrorLimit", 0, 100);
    opt("inconclusiveLimit", 0, 1000);
    opt("initialDelaySeconds", 0, 3600);
    opt("timeoutSeconds", 1, 600);
    if (background && raw.count !== undefined) {
        errors.push(
            `${field}.count does not apply to the canary strategy: its analysis runs in the background until the release completes`,
        );
    }
    if (typeof raw.count === "number" && typeof raw.failureLimit === "number" && raw.failureLimit >= raw.count) {
        errors.push(
            `${field}.failureLimit (${raw.failureLimit}) must be smaller than ${field}.count (${raw.count}), or the gate can never fail`,
        );
    }
}

/**
 * Validates every argument (or a raw `services[i]` stack config entry), returning one message per problem, each
 * starting with `prefix` + the field's path. Values that are Pulumi Outputs are not inspected.
 */
export function validateBlueGreenServiceArgs(input: unknown, prefix = ""): string[] {
    const errors: string[] = [];
    const f = (path: string) => `${prefix}${path}`;
    if (!isRecord(input)) return [`${prefix.replace(/\.$/, "") || "args"} must be an object`];
    const a = input;
    errors.push(
        ...unknownKeys(prefix ? prefix.replace(/\.$/, "") : "args", a, ARG_KEYS).map((e) =>
            prefix ? e : e.replace(/^args\./, ""),
        ),
    );

    if (a.name !== undefined) push(errors, checkServiceName(f("name"), a.name));
    push(errors, checkDnsLabel(f("namespace"), a.namespace));

    // Image: exactly one of a digest-pinned reference and a build.
    if (a.image !== undefined && a.build !== undefined)
        errors.push(`${f("image")} and ${f("build")} are exclusive: give a digest-pinned image or a build, not both`);
    if (a.image === undefined && a.build === undefined)
        errors.push(`${f("image")} is required (a digest-pinned reference), unless ${f("build")} is given`);
    if (
        typeof a.image === "string" ||
        (a.image !== undefined && !pulumi.Output.isInstance(a.image) && !(a.image instanceof Promise))
    ) {
        push(errors, checkImageReference(f("image"), a.image));
    }
    if (a.build !== undefined) {
        if (!isRecord(a.build)) errors.push(`${f("build")} must be an object { context, dockerfile?, imageName }`);
        else {
            errors.push(...unknownKeys(f("build"), a.build, ["context", "dockerfile", "imageName"]));
            if (typeof a.build.context !== "string" || a.build.context.length === 0)
                errors.push(`${f("build.context")} must be a directory path (got ${JSON.stringify(a.build.context)})`);
            if (
                a.build.dockerfile !== undefined &&
                (typeof a.build.dockerfile !== "string" || a.build.dockerfile.length === 0)
            ) {
                errors.push(`${f("build.dockerfile")} must be a file path (got ${JSON.stringify(a.build.dockerfile)})`);
            }
            push(errors, checkBuildImageName(f("build.imageName"), a.build.imageName));
        }
    }

    const replicas = a.replicas ?? DEFAULTS.replicas;
    if (a.replicas !== undefined) push(errors, checkInteger(f("replicas"), a.replicas, 0, 1000));

    // Ports
    const ports = a.ports;
    if (ports !== undefined) {
        if (!Array.isArray(ports) || ports.length === 0)
            errors.push(`${f("ports")} must be a non-empty list of { name?, containerPort, port? }`);
        else {
            const names = new Set<string>();
            ports.forEach((p: unknown, i: number) => {
                const at = f(`ports[${i}]`);
                if (!isRecord(p)) return void errors.push(`${at} must be an object { name?, containerPort, port? }`);
                errors.push(...unknownKeys(at, p, ["name", "containerPort", "port"]));
                const name = p.name ?? (i === 0 ? DEFAULTS.port.name : undefined);
                if (typeof name !== "string" || name.length > 15 || !DNS_1035.test(name)) {
                    errors.push(
                        `${at}.name must be a port name of at most 15 characters (lower-case letters, digits, '-'; required after the first port) (got ${JSON.stringify(p.name)})`,
                    );
                } else if (names.has(name)) errors.push(`${at}.name "${name}" is used by another port`);
                else names.add(name);
                const e = checkInteger(`${at}.containerPort`, p.containerPort, 1, 65535);
                push(errors, e);
                if (!e && (ISTIO_RESERVED_PORTS as readonly number[]).includes(p.containerPort as number)) {
                    errors.push(
                        `${at}.containerPort ${p.containerPort} is reserved by the Istio sidecar (${ISTIO_RESERVED_PORTS.join(", ")})`,
                    );
                }
                if (p.port !== undefined) push(errors, checkInteger(`${at}.port`, p.port, 1, 65535));
            });
        }
    }

    // Health
    const health = a.health;
    if (health !== undefined && !isRecord(health)) errors.push(`${f("health")} must be an object`);
    if (isRecord(health)) {
        errors.push(
            ...unknownKeys(f("health"), health, [
                "livenessPath",
                "readinessPath",
                "startupPath",
                "checks",
                "scoreThreshold",
                "signalWeights",
            ]),
        );
        if (health.signalWeights !== undefined) {
            const sw = health.signalWeights;
            if (!isRecord(sw))
                errors.push(`${f("health.signalWeights")} must be an object { checks?, errors?, latency? }`);
            else {
                errors.push(...unknownKeys(f("health.signalWeights"), sw, ["checks", "errors", "latency"]));
                for (const k of ["checks", "errors", "latency"])
                    if (sw[k] !== undefined) push(errors, checkInteger(f(`health.signalWeights.${k}`), sw[k], 0, 100));
                const given = (k: "checks" | "errors" | "latency") =>
                    typeof sw[k] === "number" ? (sw[k] as number) : DEFAULTS.signalWeights[k];
                if (given("errors") + given("latency") === 0)
                    errors.push(
                        `${f("health.signalWeights")}: errors and latency are both 0, so a release without check traffic has no score; give one of them a weight`,
                    );
            }
        }
        for (const k of ["livenessPath", "readinessPath", "startupPath"])
            if (health[k] !== undefined) push(errors, checkHttpPath(f(`health.${k}`), health[k]));
        if (health.scoreThreshold !== undefined)
            push(errors, checkInteger(f("health.scoreThreshold"), health.scoreThreshold, 1, 100));
        if (health.checks !== undefined) {
            if (!Array.isArray(health.checks) || health.checks.length === 0 || health.checks.length > 20) {
                errors.push(`${f("health.checks")} must be a list of 1 to 20 { path, weight? }`);
            } else {
                const paths = new Set<string>();
                health.checks.forEach((c: unknown, i: number) => {
                    const at = f(`health.checks[${i}]`);
                    if (!isRecord(c)) return void errors.push(`${at} must be an object { path, weight? }`);
                    errors.push(...unknownKeys(at, c, ["path", "weight"]));
                    const e = checkHttpPath(`${at}.path`, c.path);
                    push(errors, e);
                    if (!e && paths.has(c.path as string)) errors.push(`${at}.path "${c.path}" is listed twice`);
                    paths.add(c.path as string);
                    if (c.weight !== undefined) push(errors, checkInteger(`${at}.weight`, c.weight, 1, 100));
                });
            }
        }
    }

    // Resources
    const res = a.resources;
    if (res !== undefined && !isRecord(res)) errors.push(`${f("resources")} must be an object { requests?, limits? }`);
    if (isRecord(res)) {
        errors.push(...unknownKeys(f("resources"), res, ["requests", "limits"]));
        for (const kind of ["requests", "limits"] as const) {
            const q = res[kind];
            if (q === undefined) continue;
            if (!isRecord(q)) {
                errors.push(`${f(`resources.${kind}`)} must be an object { cpu?, memory? }`);
                continue;
            }
            errors.push(...unknownKeys(f(`resources.${kind}`), q, ["cpu", "memory"]));
            if (q.cpu !== undefined) push(errors, checkQuantity(f(`resources.${kind}.cpu`), q.cpu, "cpu"));
            if (q.memory !== undefined) push(errors, checkQuantity(f(`resources.${kind}.memory`), q.memory, "memory"));
        }
        const req = { ...DEFAULTS.requests, ...(isRecord(res.requests) ? res.requests : {}) } as Record<
            string,
            unknown
        >;
        const lim = { ...DEFAULTS.limits, ...(isRecord(res.limits) ? res.limits : {}) } as Record<string, unknown>;
        for (const k of ["cpu", "memory"]) {
            if (
                typeof req[k] === "string" &&
                typeof lim[k] === "string" &&
                quantityValue(req[k] as string) > quantityValue(lim[k] as string)
            ) {
                errors.push(
                    `${f(`resources.requests.${k}`)} (${req[k]}) must not exceed ${f(`resources.limits.${k}`)} (${lim[k]})`,
                );
            }
        }
    }

    // Environment
    const envNames = new Set<string>();
    for (const kind of ["env", "secretEnv"] as const) {
        const env = a[kind];
        if (env === undefined) continue;
        if (!isRecord(env)) {
            errors.push(`${f(kind)} must be a map of variable names to values`);
            continue;
        }
        for (const [k, v] of Object.entries(env)) {
            if (!ENV_NAME.test(k))
                errors.push(
                    `${f(`${kind}.${k}`)}: "${k}" is not a valid environment variable name (letters, digits, '_', not starting with a digit)`,
                );
            if (envNames.has(k))
                errors.push(`${f(`secretEnv.${k}`)} is also set in ${f("env")}: a variable is either plain or secret`);
            envNames.add(k);
            if (kind === "env" && typeof v !== "string")
                errors.push(
                    `${f(`env.${k}`)} must be a string (got ${JSON.stringify(v)}); secrets go in ${f("secretEnv")}`,
                );
            if (kind === "secretEnv" && v === undefined) errors.push(`${f(`secretEnv.${k}`)} has no value`);
        }
    }

    // Strategy
    const strategy = a.strategy ?? "blueGreen";
    if (a.strategy !== undefined) push(errors, checkOneOf(f("strategy"), a.strategy, STRATEGIES));
    if (a.blueGreen !== undefined) {
        if (strategy !== "blueGreen")
            errors.push(`${f("blueGreen")} is set but ${f("strategy")} is "${String(strategy)}"`);
        if (!isRecord(a.blueGreen)) errors.push(`${f("blueGreen")} must be an object`);
        else {
            const bg = a.blueGreen;
            errors.push(
                ...unknownKeys(f("blueGreen"), bg, ["autoPromotion", "autoPromotionSeconds", "previewReplicas"]),
            );
            if (bg.autoPromotion !== undefined && typeof bg.autoPromotion !== "boolean")
                errors.push(`${f("blueGreen.autoPromotion")} must be true or false`);
            if (bg.autoPromotionSeconds !== undefined) {
                push(errors, checkInteger(f("blueGreen.autoPromotionSeconds"), bg.autoPromotionSeconds, 0, 86400));
                if (bg.autoPromotion === false)
                    errors.push(
                        `${f("blueGreen.autoPromotionSeconds")} has no effect when ${f("blueGreen.autoPromotion")} is false`,
                    );
            }
            if (bg.previewReplicas !== undefined) {
                const max = typeof replicas === "number" && replicas >= 1 ? replicas : 1000;
                push(errors, checkInteger(f("blueGreen.previewReplicas"), bg.previewReplicas, 1, max));
            }
        }
    }
    if (a.canary !== undefined) {
        if (strategy !== "canary") errors.push(`${f("canary")} is set but ${f("strategy")} is "${String(strategy)}"`);
        if (!isRecord(a.canary)) errors.push(`${f("canary")} must be an object { steps? }`);
        else {
            errors.push(...unknownKeys(f("canary"), a.canary, ["steps"]));
            if (a.canary.steps !== undefined) errors.push(...checkCanarySteps(f("canary.steps"), a.canary.steps));
        }
    }

    // Analysis
    const analysis = a.analysis;
    if (analysis !== undefined && !isRecord(analysis)) errors.push(`${f("analysis")} must be an object`);
    const smoke = isRecord(analysis) && isRecord(analysis.smokeTest) ? analysis.smokeTest : undefined;
    if (isRecord(analysis)) {
        errors.push(
            ...unknownKeys(f("analysis"), analysis, [
                "health",
                "slo",
                "smokeTest",
                "checkTraffic",
                "prometheusAddress",
            ]),
        );
        const ct = analysis.checkTraffic;
        if (ct !== undefined) {
            if (!isRecord(ct))
                errors.push(`${f("analysis.checkTraffic")} must be an object { image?, requestsPerMinute? }`);
            else {
                errors.push(...unknownKeys(f("analysis.checkTraffic"), ct, ["image", "requestsPerMinute"]));
                if (ct.image !== undefined)
                    push(errors, checkImageReference(f("analysis.checkTraffic.image"), ct.image));
                if (ct.requestsPerMinute !== undefined)
                    push(
                        errors,
                        checkInteger(f("analysis.checkTraffic.requestsPerMinute"), ct.requestsPerMinute, 1, 600),
                    );
            }
        }
        checkGate(errors, f("analysis.health"), analysis.health, strategy === "canary");
        checkGate(errors, f("analysis.slo"), analysis.slo, strategy === "canary", [
            "maxErrorRate",
            "maxLatencyMs",
            "latencyQuantile",
            "minRequests",
            "windowSeconds",
        ]);
        const slo = isRecord(analysis.slo) ? analysis.slo : {};
        const fraction = (k: string) => {
            const v = slo[k];
            if (v !== undefined && (typeof v !== "number" || !(v > 0 && v < 1)))
                errors.push(
                    `${f(`analysis.slo.${k}`)} must be a number between 0 and 1, exclusive (got ${JSON.stringify(v)})`,
                );
        };
        fraction("maxErrorRate");
        fraction("latencyQuantile");
        if (slo.maxLatencyMs !== undefined)
            push(errors, checkInteger(f("analysis.slo.maxLatencyMs"), slo.maxLatencyMs, 1, 600000));
        if (slo.minRequests !== undefined)
            push(errors, checkInteger(f("analysis.slo.minRequests"), slo.minRequests, 1, 1000000));
        if (slo.windowSeconds !== undefined)
            push(errors, checkInteger(f("analysis.slo.windowSeconds"), slo.windowSeconds, 30, 3600));
        if (
            analysis.prometheusAddress !== undefined &&
            (typeof analysis.prometheusAddress !== "string" ||
                !/^https?:\/\/[^\s/]+(:\d+)?(\/\S*)?$/.test(analysis.prometheusAddress))
        ) {
            errors.push(
                `${f("analysis.prometheusAddress")} must be an http(s) URL such as "${DEFAULT_PROMETHEUS_ADDRESS}" (got ${JSON.stringify(analysis.prometheusAddress)})`,
            );
        }
        if (analysis.smokeTest !== undefined && !isRecord(analysis.smokeTest))
            errors.push(`${f("analysis.smokeTest")} must be an object { image, paths, timeoutSeconds? }`);
    }
    if (strategy === "blueGreen") {
        if (smoke === undefined) {
            errors.push(
                `${f("analysis.smokeTest")} is required for blueGreen: { image: a digest-pinned image with sh and curl, paths: [...] } (the smoke tests gate promotion)`,
            );
        } else {
            errors.push(...unknownKeys(f("analysis.smokeTest"), smoke, ["image", "paths", "timeoutSeconds"]));
            push(errors, checkImageReference(f("analysis.smokeTest.image"), smoke.image));
            if (!Array.isArray(smoke.paths) || smoke.paths.length === 0)
                errors.push(`${f("analysis.smokeTest.paths")} must list at least one path on the preview Service`);
            else
                smoke.paths.forEach((p: unknown, i: number) =>
                    push(errors, checkHttpPath(f(`analysis.smokeTest.paths[${i}]`), p)),
                );
            if (smoke.timeoutSeconds !== undefined)
                push(errors, checkInteger(f("analysis.smokeTest.timeoutSeconds"), smoke.timeoutSeconds, 10, 3600));
        }
    } else if (strategy === "canary" && smoke !== undefined) {
        errors.push(
            `${f("analysis.smokeTest")} applies to the blueGreen strategy only (the canary is checked by its background analysis)`,
        );
    }

    // Retention
    const ret = a.retention;
    if (ret !== undefined && !isRecord(ret)) errors.push(`${f("retention")} must be an object`);
    if (isRecord(ret)) {
        errors.push(
            ...unknownKeys(f("retention"), ret, [
                "scaleDownDelaySeconds",
                "abortScaleDownDelaySeconds",
                "rollbackWindowRevisions",
                "revisionHistoryLimit",
            ]),
        );
        if (ret.scaleDownDelaySeconds !== undefined)
            push(errors, checkInteger(f("retention.scaleDownDelaySeconds"), ret.scaleDownDelaySeconds, 0, 604800));
        if (ret.abortScaleDownDelaySeconds !== undefined)
            push(
                errors,
                checkInteger(f("retention.abortScaleDownDelaySeconds"), ret.abortScaleDownDelaySeconds, 0, 604800),
            );
        if (ret.revisionHistoryLimit !== undefined)
            push(errors, checkInteger(f("retention.revisionHistoryLimit"), ret.revisionHistoryLimit, 1, 50));
        const history =
            typeof ret.revisionHistoryLimit === "number" ? ret.revisionHistoryLimit : DEFAULTS.revisionHistoryLimit;
        if (ret.rollbackWindowRevisions !== undefined)
            push(errors, checkInteger(f("retention.rollbackWindowRevisions"), ret.rollbackWindowRevisions, 1, history));
    }

    // Traffic
    const traffic = a.traffic;
    if (traffic !== undefined && !isRecord(traffic)) errors.push(`${f("traffic")} must be an object`);
    if (isRecord(traffic)) {
        errors.push(
            ...unknownKeys(f("traffic"), traffic, [
                "hosts",
                "gateway",
                "previewHeader",
                "previewExposure",
                "previewAccess",
                "timeoutSeconds",
                "retries",
                "perTryTimeoutSeconds",
                "maxConnections",
                "maxPendingRequests",
                "consecutive5xxErrors",
                "ejectionSeconds",
            ]),
        );
        if (traffic.hosts !== undefined) {
            if (!Array.isArray(traffic.hosts)) errors.push(`${f("traffic.hosts")} must be a list of host names`);
            else {
                traffic.hosts.forEach((h: unknown, i: number) => {
                    if (typeof h !== "string" || h.length > 253 || !HOSTNAME.test(h))
                        errors.push(
                            `${f(`traffic.hosts[${i}]`)} must be a DNS host name such as "shop.example.com" (got ${JSON.stringify(h)})`,
                        );
                });
                if (traffic.hosts.length > 0 && traffic.gateway === undefined)
                    errors.push(
                        `${f("traffic.gateway")} is required with ${f("traffic.hosts")}: the Gateway ("namespace/name") that accepts them`,
                    );
            }
        }
        if (
            typeof traffic.gateway === "string" &&
            !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(traffic.gateway)
        ) {
            errors.push(`${f("traffic.gateway")} must be "namespace/name" (got ${JSON.stringify(traffic.gateway)})`);
        }
        if (
            traffic.previewHeader !== undefined &&
            (typeof traffic.previewHeader !== "string" || !HEADER_NAME.test(traffic.previewHeader))
        ) {
            errors.push(
                `${f("traffic.previewHeader")} must be a lower-case HTTP header name such as "x-preview" (got ${JSON.stringify(traffic.previewHeader)})`,
            );
        }
        errors.push(...checkPreviewExposure(traffic, f));
        const opt = (k: string, min: number, max: number) =>
            traffic[k] !== undefined && push(errors, checkInteger(f(`traffic.${k}`), traffic[k], min, max));
        opt("timeoutSeconds", 1, 3600);
        opt("retries", 0, 10);
        opt("perTryTimeoutSeconds", 1, 3600);
        opt("maxConnections", 1, 1000000);
        opt("maxPendingRequests", 1, 1000000);
        opt("consecutive5xxErrors", 1, 1000);
        opt("ejectionSeconds", 1, 3600);
        const timeout =
            typeof traffic.timeoutSeconds === "number" ? traffic.timeoutSeconds : DEFAULTS.requestTimeoutSeconds;
        if (typeof traffic.perTryTimeoutSeconds === "number" && traffic.perTryTimeoutSeconds > timeout) {
            errors.push(
                `${f("traffic.perTryTimeoutSeconds")} (${traffic.perTryTimeoutSeconds}) must not exceed ${f("traffic.timeoutSeconds")} (${timeout})`,
            );
        }
    }
    errors.push(...checkDependencies(a.dependencies, f));
    if (a.network !== undefined) {
        if (!isRecord(a.network)) errors.push(`${f("network")} must be an object`);
        else {
            errors.push(
                ...unknownKeys(f("network"), a.network, [
                    "gatewayNamespace",
                    "controllerNamespace",
                    "prometheusNamespace",
                    "meshNamespace",
                ]),
            );
            for (const k of ["gatewayNamespace", "controllerNamespace", "prometheusNamespace", "meshNamespace"]) {
                if (typeof a.network[k] === "string") push(errors, checkDnsLabel(f(`network.${k}`), a.network[k]));
            }
        }
    }
    if (a.progressDeadlineSeconds !== undefined)
        push(errors, checkInteger(f("progressDeadlineSeconds"), a.progressDeadlineSeconds, 30, 86400));
    if (a.runAsUser !== undefined) push(errors, checkInteger(f("runAsUser"), a.runAsUser, 1, 2147483647));
    if (a.automountServiceAccountToken !== undefined && typeof a.automountServiceAccountToken !== "boolean") {
        errors.push(`${f("automountServiceAccountToken")} must be true or false`);
    }
    if (a.budget !== undefined) {
        if (!isRecord(a.budget)) errors.push(`${f("budget")} must be an object`);
        else {
            errors.push(
                ...unknownKeys(f("budget"), a.budget, [
                    "maxHealthyPromotionSeconds",
                    "maxRollbackSeconds",
                    "maxExposurePercent",
                ]),
            );
            for (const k of ["maxHealthyPromotionSeconds", "maxRollbackSeconds"])
                if (a.budget[k] !== undefined) push(errors, checkInteger(f(`budget.${k}`), a.budget[k], 0, 604800));
            if (a.budget.maxExposurePercent !== undefined)
                push(errors, checkInteger(f("budget.maxExposurePercent"), a.budget.maxExposurePercent, 0, 100));
        }
    }
    return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings with defaults applied, and the release specs (plain data, shared by the resources and the timing model)

/** Every argument with its default applied (after validation). */
export interface ReleaseSettings {
    name: string;
    namespace: string;
    strategy: "blueGreen" | "canary";
    replicas: number;
    ports: { name: string; containerPort: number; port: number }[];
    livenessPath: string;
    readinessPath: string;
    startupPath: string;
    checks: { path: string; weight: number }[];
    scoreThreshold: number;
    signalWeights: { checks: number; errors: number; latency: number };
    /** The release's check traffic (image and rate); undefined: none (the score leaves the checks signal out). */
    checkTraffic: { image: string; requestsPerMinute: number } | undefined;
    autoPromotion: boolean;
    autoPromotionSeconds: number | undefined;
    previewReplicas: number | undefined;
    canarySteps: CanaryStepArgs[];
    health: MetricGate;
    slo: MetricGate;
    sloSpec: SloSpec;
    smokeTest: { image: string; paths: string[]; timeoutSeconds: number } | undefined;
    scaleDownDelaySeconds: number;
    abortScaleDownDelaySeconds: number;
    rollbackWindowRevisions: number;
    revisionHistoryLimit: number;
    /** Who reaches the version under test, and what it reaches. */
    isolation: PreviewIsolationSettings;
}

/** Applies the defaults to validated arguments. `name` is the resource name, the service name's default. */
export function releaseSettings(name: string, a: BlueGreenServiceArgs): ReleaseSettings {
    const strategy = (a.strategy ?? "blueGreen") as "blueGreen" | "canary";
    const liveness = a.health?.livenessPath ?? DEFAULTS.livenessPath;
    const readiness = a.health?.readinessPath ?? DEFAULTS.readinessPath;
    const defaultChecks = [...new Set([liveness, readiness])].map((path) => ({ path, weight: 1 }));
    const background = strategy === "canary";
    const gate = (d: MetricGate, g: MetricGateArgs | undefined): MetricGate => ({
        intervalSeconds: g?.intervalSeconds ?? d.intervalSeconds,
        // Canary analysis runs in the background for the whole release: no count.
        count: background ? undefined : (g?.count ?? d.count),
        failureLimit: g?.failureLimit ?? d.failureLimit,
        consecutiveErrorLimit: g?.consecutiveErrorLimit ?? d.consecutiveErrorLimit,
        inconclusiveLimit: g?.inconclusiveLimit ?? d.inconclusiveLimit,
        initialDelaySeconds: g?.initialDelaySeconds ?? d.initialDelaySeconds,
        timeoutSeconds: g?.timeoutSeconds ?? d.timeoutSeconds,
    });
    const slo = a.analysis?.slo;
    return {
        name: a.name ?? name,
        namespace: a.namespace,
        strategy,
        replicas: a.replicas ?? DEFAULTS.replicas,
        ports: (a.ports ?? [DEFAULTS.port]).map((p, i) => ({
            name: p.name ?? (i === 0 ? DEFAULTS.port.name : `port-${i}`),
            containerPort: p.containerPort,
            port: p.port ?? p.containerPort,
        })),
        livenessPath: liveness,
        readinessPath: readiness,
        startupPath: a.health?.startupPath ?? liveness,
        checks: (a.health?.checks ?? defaultChecks).map((c) => ({ path: c.path, weight: c.weight ?? 1 })),
        scoreThreshold: a.health?.scoreThreshold ?? DEFAULTS.scoreThreshold,
        signalWeights: { ...DEFAULTS.signalWeights, ...definedOnly(a.health?.signalWeights ?? {}) },
        checkTraffic: checkTrafficSettings(strategy, a),
        autoPromotion: a.blueGreen?.autoPromotion ?? true,
        autoPromotionSeconds: a.blueGreen?.autoPromotionSeconds,
        previewReplicas: a.blueGreen?.previewReplicas,
        canarySteps: a.canary?.steps ?? DEFAULTS.canarySteps,
        health: gate(DEFAULTS.health, a.analysis?.health),
        slo: gate(DEFAULTS.slo, slo),
        sloSpec: {
            prometheusAddress: a.analysis?.prometheusAddress ?? DEFAULT_PROMETHEUS_ADDRESS,
            maxErrorRate: slo?.maxErrorRate ?? DEFAULTS.slo.maxErrorRate,
            maxLatencyMs: slo?.maxLatencyMs ?? DEFAULTS.slo.maxLatencyMs,
            latencyQuantile: slo?.latencyQuantile ?? DEFAULTS.slo.latencyQuantile,
            minRequests: slo?.minRequests ?? DEFAULTS.slo.minRequests,
            windowSeconds: slo?.windowSeconds ?? DEFAULTS.slo.windowSeconds,
        },
        smokeTest:
            strategy === "blueGreen" && a.analysis?.smokeTest?.image !== undefined
                ? {
                      image: a.analysis.smokeTest.image,
                      paths: a.analysis.smokeTest.paths ?? [],
                      timeoutSeconds: a.analysis.smokeTest.timeoutSeconds ?? DEFAULTS.smokeTestTimeoutSeconds,
                  }
                : undefined,
        scaleDownDelaySeconds: a.retention?.scaleDownDelaySeconds ?? DEFAULTS.scaleDownDelaySeconds,
        abortScaleDownDelaySeconds: a.retention?.abortScaleDownDelaySeconds ?? DEFAULTS.abortScaleDownDelaySeconds,
        rollbackWindowRevisions: a.retention?.rollbackWindowRevisions ?? DEFAULTS.rollbackWindowRevisions,
        revisionHistoryLimit: a.retention?.revisionHistoryLimit ?? DEFAULTS.revisionHistoryLimit,
        isolation: previewIsolationSettings(a.traffic, a.dependencies),
    };
}

/** `obj` without its undefined fields, so a spread keeps the defaults they would hide. */
function definedOnly<T extends object>(obj: T): Partial<T> {
    return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The check traffic of validated arguments: the image given, else the smoke test image (blueGreen); the rate given,
 * else twice the minimum sample per window (at least one request a second), so every window holds enough.
 */
function checkTrafficSettings(
    strategy: "blueGreen" | "canary",
    a: BlueGreenServiceArgs,
): { image: string; requestsPerMinute: number } | undefined {
    const image =
        a.analysis?.checkTraffic?.image ?? (strategy === "blueGreen" ? a.analysis?.smokeTest?.image : undefined);
    if (image === undefined) return undefined;
    const minRequests = a.analysis?.slo?.minRequests ?? DEFAULTS.slo.minRequests;
    const windowSeconds = a.analysis?.slo?.windowSeconds ?? DEFAULTS.slo.windowSeconds;
    const rate =
        a.analysis?.checkTraffic?.requestsPerMinute ?? Math.max(60, Math.ceil((2 * minRequests * 60) / windowSeconds));
    return { image, requestsPerMinute: Math.min(600, rate) };
}

/** Names of everything the component creates for service `name`. */
export function releaseNames(name: string) {
    return {
        rollout: name,
        serviceAccount: name,
        /** Blue/green: the active Service. Canary: the root Service (all pods) the VirtualService routes to. */
        service: name,
        preview: `${name}-preview`,
        stable: `${name}-stable`,
        canary: `${name}-canary`,
        secret: `${name}-env`,
        virtualService: name,
        destinationRule: name,
        pdb: name,
        healthTemplate: `${name}-health-score`,
        smokeTemplate: `${name}-smoke-tests`,
        sloTemplate: `${name}-slo`,
        /** The VirtualService route Argo Rollouts rewrites the weights of (canary). */
        primaryRoute: "primary",
        previewRoute: "preview",
        stableSubset: "stable",
        canarySubset: "canary",
    };
}

/** One resource the component registers: its Pulumi type and name, and the Kubernetes object it manages. */
export interface ReleaseResource {
    /** Pulumi type token (children are registered under the component, whose type prefixes theirs in the URN). */
    type: string;
    /** Pulumi resource name, unique per type within a stack. */
    name: string;
    /** `Kind namespace/name` of the Kubernetes object, for resources that manage one. */
    object?: string;
}

/**
 * Every resource `new BlueGreenService(name, args)` registers, itself first (a test keeps this list equal to what the
 * constructor registers). Two services of one stack must not share a Pulumi type and name (the engine refuses a
 * duplicate URN) nor a Kubernetes object (two resources would manage one object).
 */
export function releaseResources(
    name: string,
    s: ReleaseSettings,
    opts: { build?: boolean; secretEnv?: boolean } = {},
): ReleaseResource[] {
    const n = releaseNames(s.name);
    const k8s = (type: string, suffix: string, objectName: string): ReleaseResource => ({
        type: `kubernetes:${type}`,
        name: `${name}-${suffix}`,
        object: `${type.split(":").pop()} ${s.namespace}/${objectName}`,
    });
    const services: [string, string][] =
        s.strategy === "blueGreen"
            ? [
                  ["active", n.service],
                  ["preview", n.preview],
              ]
            : [
                  ["root", n.service],
                  ["stable", n.stable],
                  ["canary", n.canary],
              ];
    const policies =
        s.strategy === "blueGreen"
            ? ["active", "preview", "preview-egress"]
            : ["production", "release-checks", "canary-egress"];
    const publicPreview = s.isolation.exposure === "public";
    return [
        { type: "zdp:index:BlueGreenService", name },
        ...(opts.build ? [{ type: "docker:index/image:Image", name: `${name}-image` }] : []),
        k8s("core/v1:ServiceAccount", "sa", n.serviceAccount),
        ...(opts.secretEnv ? [k8s("core/v1:Secret", "env", n.secret)] : []),
        ...Object.keys(releaseTemplates(s)).map((t) =>
            k8s("argoproj.io/v1alpha1:AnalysisTemplate", t.slice(s.name.length + 1), t),
        ),
        ...services.map(([suffix, svc]) => k8s("core/v1:Service", suffix, svc)),
        k8s("networking.istio.io/v1:VirtualService", "vs", n.virtualService),
        k8s("networking.istio.io/v1:DestinationRule", "dr", n.destinationRule),
        k8s("security.istio.io/v1:PeerAuthentication", "release-checks", `${s.name}-release-checks`),
        ...policies.map((p) => k8s("networking.k8s.io/v1:NetworkPolicy", p, `${s.name}-${p}`)),
        ...(publicPreview && s.isolation.access.jwt
            ? [k8s("security.istio.io/v1:RequestAuthentication", "preview-jwt", `${s.name}-preview-jwt`)]
            : []),
        ...(publicPreview
            ? [k8s("security.istio.io/v1:AuthorizationPolicy", "preview-access", `${s.name}-preview-access`)]
            : []),
        k8s("policy/v1:PodDisruptionBudget", "pdb", n.pdb),
        k8s("argoproj.io/v1alpha1:Rollout", "rollout", n.rollout),
    ];
}

/** The AnalysisTemplate specs of the release, by template name. */
export function releaseTemplates(s: ReleaseSettings): Record<string, Record<string, unknown>> {
    const n = releaseNames(s.name);
    const out: Record<string, Record<string, unknown>> = {
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
                },
            },
            s.health,
        ),
        [n.sloTemplate]: sloTemplate(s.sloSpec, s.slo),
    };
    if (s.smokeTest) {
        out[n.smokeTemplate] = smokeTestTemplate({ ...s.smokeTest, podLabels: { [RELEASE_CHECK_LABEL]: s.name } });
    }
    return out;
}

/**
 * How long the check traffic runs: until the gate's last measurement (initial delay, every measurement at its full
 * timeout, the intervals between them); for a background analysis (no count), one query window per run.
 */
export function checkTrafficSeconds(gate: MetricGate, windowSeconds: number): number {
    if (gate.count === undefined) return windowSeconds;
    return (
        gate.initialDelaySeconds + gate.count * gate.timeoutSeconds + Math.max(0, gate.count - 1) * gate.intervalSeconds
    );
}

/** Fully-qualified host of a Service in the release's namespace. */
export function serviceHost(s: ReleaseSettings, service: string): string {
    return `${service}.${s.namespace}.svc.cluster.local`;
}

/**
 * The Rollout's `spec.strategy`. `revision` is the value of the pods' {@link REVISION_LABEL}, which the SLO
 * queries select the new version by.
 */
export function releaseStrategy(s: ReleaseSettings, revision: pulumi.Input<string>): Record<string, unknown> {
    const n = releaseNames(s.name);
    const port = String(s.ports[0].port);
    const targetArgs = (service: string) => [
        { name: "service-host", value: serviceHost(s, service) },
        { name: "port", value: port },
    ];
    const sloArgs = [
        { name: "namespace", value: s.namespace },
        { name: "service", value: s.name },
        { name: "revision", value: revision },
    ];
    if (s.strategy === "blueGreen") {
        return {
            blueGreen: {
                activeService: n.service,
                previewService: n.preview,
                activeMetadata: { labels: { [ROLE_LABEL]: "active" } },
                previewMetadata: { labels: { [ROLE_LABEL]: "preview" } },
                autoPromotionEnabled: s.autoPromotion,
                ...(s.autoPromotion && s.autoPromotionSeconds !== undefined
                    ? { autoPromotionSeconds: s.autoPromotionSeconds }
                    : {}),
                ...(s.previewReplicas !== undefined ? { previewReplicaCount: s.previewReplicas } : {}),
                scaleDownDelaySeconds: s.scaleDownDelaySeconds,
                abortScaleDownDelaySeconds: s.abortScaleDownDelaySeconds,
                prePromotionAnalysis: {
                    templates: [
                        { templateName: n.healthTemplate },
                        ...(s.smokeTest ? [{ templateName: n.smokeTemplate }] : []),
                        // The preview's error rate aborts the release before any user sees it.
                        { templateName: n.sloTemplate },
                    ],
                    args: [...targetArgs(n.preview), ...sloArgs, { name: "check-service", value: n.preview }],
                },
                postPromotionAnalysis: { templates: [{ templateName: n.sloTemplate }], args: sloArgs },
            },
        };
    }
    const steps: Record<string, unknown>[] = [];
    for (const step of s.canarySteps) {
        steps.push({ setWeight: step.weight });
        if (step.waitForPromotion) steps.push({ pause: {} });
        else if (step.pauseSeconds !== undefined && step.pauseSeconds > 0)
            steps.push({ pause: { duration: step.pauseSeconds } });
    }
    return {
        canary: {
            stableService: n.stable,
            canaryService: n.canary,
            stableMetadata: { labels: { [ROLE_LABEL]: "stable" } },
            canaryMetadata: { labels: { [ROLE_LABEL]: "canary" } },
            scaleDownDelaySeconds: s.scaleDownDelaySeconds,
            abortScaleDownDelaySeconds: s.abortScaleDownDelaySeconds,
            trafficRouting: {
                istio: {
                    virtualService: { name: n.virtualService, routes: [n.primaryRoute] },
                    destinationRule: {
                        name: n.destinationRule,
                        canarySubsetName: n.canarySubset,
                        stableSubsetName: n.stableSubset,
                    },
                },
            },
            steps,
            // From the first step to completion: health score against the canary Service plus the revision's SLOs.
            analysis: {
                templates: [{ templateName: n.healthTemplate }, { templateName: n.sloTemplate }],
                args: [...targetArgs(n.canary), ...sloArgs, { name: "check-service", value: n.canary }],
            },
        },
    };
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

/** The timing figures the component exports. */
export interface ReleaseTimingSummary {
    strategy: string;
    healthyPromotionSeconds: number;
    waitsForPromotion: boolean;
    rollbackSeconds: number;
    maxExposurePercent: number;
    previousVersionRetainedSeconds: number;
}

/** The component's own `dependsOn` as a list, so children can add their own dependencies to it. */
function dependencyList(d: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    // An Output or Promise of a list: wait for all of it.
    return [
        pulumi.output(d as pulumi.Input<pulumi.Resource[]>).apply((list) => list[0]) as pulumi.Output<pulumi.Resource>,
    ];
}

function stableJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
    if (v !== null && typeof v === "object") {
        return `{${Object.keys(v as object)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v) ?? "null";
}

// ---------------------------------------------------------------------------------------------------------------
// The component

/**
 * A service released without downtime: an Argo Rollouts Rollout (blue/green by default, or an Istio canary) gated
 * by a health score, smoke tests and SLOs, with the previous version kept for an instant rollback, behind an Istio
 * VirtualService and DestinationRule, isolated by NetworkPolicies, with its ServiceAccount, Services, Secret and
 * PodDisruptionBudget. Its release timing (healthy promotion, worst-case rollback, exposure) is an output.
 */
export class BlueGreenService extends pulumi.ComponentResource {
    /** Name of the Rollout (and of the service). */
    public readonly rolloutName: pulumi.Output<string>;
    /** Host production clients call: the active (blue/green) or root (canary) Service. */
    public readonly serviceHost: pulumi.Output<string>;
    /** Host of the new version under test: the preview (blue/green) or canary Service. */
    public readonly previewHost: pulumi.Output<string>;
    /** "blueGreen" or "canary". */
    public readonly strategy: pulumi.Output<string>;
    /** The digest-pinned image deployed (unknown at preview when built in this stack). */
    public readonly image: pulumi.Output<string>;
    /** Revision label of the pod template: the SLO queries select the new version by it. */
    public readonly revision: pulumi.Output<string>;
    /** Release timing computed from this configuration. */
    public readonly timing: pulumi.Output<ReleaseTimingSummary>;
    /** Names of the AnalysisTemplates gating the release. */
    public readonly analysisTemplates: pulumi.Output<string[]>;
    /** Name of the Secret holding `secretEnv`, when given. */
    public readonly envSecretName: pulumi.Output<string | undefined>;

    constructor(name: string, args: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // The component's recorded inputs must not hold secret values in plain text either.
        super(
            "zdp:index:BlueGreenService",
            name,
            { ...args, secretEnv: args.secretEnv && pulumi.secret(args.secretEnv) },
            opts,
        );

        const errors = validateBlueGreenServiceArgs(args);
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("BlueGreenService", name, errors), this);
        const s = releaseSettings(name, args);
        const timing = releaseTimingOf(s);
        const timingErrors = checkReleaseTiming(timing, args.budget);
        if (timingErrors.length > 0)
            throw new pulumi.ResourceError(formatArgErrors("BlueGreenService", name, timingErrors), this);

        const n = releaseNames(s.name);
        const ns = s.namespace;
        // Everything goes into a namespace (and uses CRDs) another component creates: what the component waits for,
        // its children wait for too.
        const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            parent: this,
            dependsOn: opts?.dependsOn,
            ...extra,
        });
        const appLabels = { app: s.name };
        const port = s.ports[0];
        const traffic = args.traffic ?? {};
        const network = args.network ?? {};

        // Image: pinned by the caller, or built here and pinned by the digest the registry returns.
        let image: pulumi.Output<string>;
        if (args.build) {
            const built = new docker.Image(
                `${name}-image`,
                {
                    imageName: args.build.imageName,
                    build: {
                        context: args.build.context,
                        dockerfile: args.build.dockerfile ?? `${args.build.context}/Dockerfile`,
                        platform: "linux/amd64",
                    },
                },
                { parent: this },
            );
            image = built.repoDigest.apply((digest) => {
                const e = checkImageReference("build (repoDigest)", digest);
                if (e) throw new pulumi.ResourceError(`BlueGreenService "${name}": ${e}`, this);
                return digest;
            });
        } else {
            image = pulumi.output(args.image!);
        }

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { name: n.serviceAccount, namespace: ns, labels: appLabels },
                // The pods do not call the Kubernetes API unless asked to.
                automountServiceAccountToken: args.automountServiceAccountToken ?? false,
            },
            child(),
        );

        let secret: k8s.core.v1.Secret | undefined;
        const secretNames = Object.keys(args.secretEnv ?? {}).sort();
        if (secretNames.length > 0) {
            secret = new k8s.core.v1.Secret(
                `${name}-env`,
                {
                    metadata: { name: n.secret, namespace: ns, labels: appLabels },
                    type: "Opaque",
                    // Whatever the caller passed, the values are Pulumi secrets from here on.
                    stringData: pulumi.secret(pulumi.output(args.secretEnv!)) as pulumi.Output<Record<string, string>>,
                },
                child(),
            );
        }

        const env = [
            ...Object.keys(args.env ?? {})
                .sort()
                .map((k) => ({ name: k, value: args.env![k] })),
            ...secretNames.map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: n.secret, key: k } } })),
        ];
        const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
            httpGet: { path, port: port.name },
            periodSeconds,
            failureThreshold,
            timeoutSeconds: 1,
        });
        const podSpec = {
            serviceAccountName: n.serviceAccount,
            automountServiceAccountToken: args.automountServiceAccountToken ?? false,
            securityContext: {
                runAsNonRoot: true,
                runAsUser: args.runAsUser ?? DEFAULTS.runAsUser,
                runAsGroup: args.runAsUser ?? DEFAULTS.runAsUser,
                fsGroup: args.runAsUser ?? DEFAULTS.runAsUser,
                seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: [
                // Each ReplicaSet (old and new version) spreads on its own: rollouts-pod-template-hash tells them apart.
                {
                    maxSkew: 1,
                    topologyKey: "kubernetes.io/hostname",
                    whenUnsatisfiable: "DoNotSchedule",
                    labelSelector: { matchLabels: appLabels },
                    matchLabelKeys: ["rollouts-pod-template-hash"],
                },
                {
                    maxSkew: 1,
                    topologyKey: "topology.kubernetes.io/zone",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: appLabels },
                    matchLabelKeys: ["rollouts-pod-template-hash"],
                },
            ],
            containers: [
                {
                    name: s.name,
                    image,
                    ports: s.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: "TCP" })),
                    ...(env.length > 0 ? { env } : {}),
                    startupProbe: probe(s.startupPath, 2, 30),
                    readinessProbe: probe(s.readinessPath, 5, 2),
                    livenessProbe: probe(s.livenessPath, 10, 3),
                    resources: {
                        requests: { ...DEFAULTS.requests, ...args.resources?.requests },
                        limits: { ...DEFAULTS.limits, ...args.resources?.limits },
                    },
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        readOnlyRootFilesystem: true,
                        runAsNonRoot: true,
                        capabilities: { drop: ["ALL"] },
                    },
                    // The root filesystem is read-only; /tmp is the one writable place.
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
            ],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        };
        const baseLabels = { ...appLabels, "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": "zdp" };
        // The revision is a hash of everything else in the pod template, so any change to it is a new revision.
        // The image is the only Output in the template: lift just it, not the whole template (pulumi.output on a deep
        // object makes an Output of every nested value, which costs the SDK far more than the hash).
        const revision = image.apply((img) => {
            const resolved = { ...podSpec, containers: podSpec.containers.map((c) => ({ ...c, image: img })) };
            return createHash("sha256")
                .update(stableJson({ labels: baseLabels, spec: resolved }))
                .digest("hex")
                .slice(0, 16);
        });

        const templates = releaseTemplates(s);
        const analysisTemplates = Object.entries(templates).map(
            ([templateName, spec]) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-${templateName.slice(s.name.length + 1)}`,
                    {
                        apiVersion: "argoproj.io/v1alpha1",
                        kind: "AnalysisTemplate",
                        metadata: { name: templateName, namespace: ns, labels: appLabels },
                        spec,
                    },
                    child(),
                ),
        );

        // Services. Argo Rollouts adds rollouts-pod-template-hash to the selectors of the Services it manages at run
        // time; Pulumi must not take it out again.
        const servicePorts = s.ports.map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.containerPort,
            protocol: "TCP",
            appProtocol: "http",
        }));
        const service = (resource: string, svcName: string, managed: boolean) =>
            new k8s.core.v1.Service(
                `${name}-${resource}`,
                {
                    metadata: { name: svcName, namespace: ns, labels: appLabels },
                    spec: { type: "ClusterIP", selector: appLabels, ports: servicePorts },
                },
                child(managed ? { ignoreChanges: ["spec.selector"] } : {}),
            );
        const services =
            s.strategy === "blueGreen"
                ? [service("active", n.service, true), service("preview", n.preview, true)]
                : [
                      service("root", n.service, false),
                      service("stable", n.stable, true),
                      service("canary", n.canary, true),
                  ];

        // Istio: circuit breaking and outlier detection for the service host; retries and timeouts on every route.
        const mainHost = serviceHost(s, n.service);
        const testHost = serviceHost(s, s.strategy === "blueGreen" ? n.preview : n.canary);
        const retries = traffic.retries ?? DEFAULTS.retries;
        const routePolicy = {
            timeout: `${traffic.timeoutSeconds ?? DEFAULTS.requestTimeoutSeconds}s`,
            retries: {
                attempts: retries,
                perTryTimeout: `${traffic.perTryTimeoutSeconds ?? DEFAULTS.perTryTimeoutSeconds}s`,
                // Only failures where the request did not reach the application: safe for non-idempotent requests.
                retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
            },
        };
        const destination = (host: string, subset?: string) => ({
            host,
            ...(subset ? { subset } : {}),
            port: { number: port.port },
        });
        const previewHeader = traffic.previewHeader ?? DEFAULTS.previewHeader;
        // An internal preview (the default) is matched for mesh callers only: at the ingress gateway the header is
        // ignored and the request goes to the primary route. A public one needs the AuthorizationPolicy below.
        const previewMatch = [
            {
                headers: { [previewHeader]: { exact: "true" } },
                ...(s.isolation.exposure === "internal" ? { gateways: ["mesh"] } : {}),
            },
        ];
        const http =
            s.strategy === "blueGreen"
                ? [
                      // Argo Rollouts cannot route blue/green with Istio: the preview is reached by header only.
                      {
                          name: n.previewRoute,
                          match: previewMatch,
                          route: [{ destination: destination(testHost) }],
                          ...routePolicy,
                      },
                      { name: n.primaryRoute, route: [{ destination: destination(mainHost) }], ...routePolicy },
                  ]
                : [
                      {
                          name: n.previewRoute,
                          match: previewMatch,
                          route: [{ destination: destination(mainHost, n.canarySubset) }],
                          ...routePolicy,
                      },
                      {
                          name: n.primaryRoute,
                          route: [
                              { destination: destination(mainHost, n.stableSubset), weight: 100 },
                              { destination: destination(mainHost, n.canarySubset), weight: 0 },
                          ],
                          ...routePolicy,
                      },
                  ];
        const hosts = traffic.hosts ?? [];
        const primaryIndex = http.findIndex((r) => r.name === n.primaryRoute);
        // The controller moves these weights during a canary; Pulumi leaves them alone.
        const weightPaths =
            s.strategy === "canary" ? [0, 1].map((j) => `spec.http[${primaryIndex}].route[${j}].weight`) : [];
        const virtualService = new k8s.apiextensions.CustomResource(
            `${name}-vs`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: n.virtualService, namespace: ns, labels: appLabels },
                spec: {
                    hosts: [mainHost, ...hosts],
                    ...(hosts.length > 0 ? { gateways: [traffic.gateway!, "mesh"] } : {}),
                    http,
                },
            },
            child(weightPaths.length > 0 ? { ignoreChanges: weightPaths } : {}),
        );

        const subsets =
            s.strategy === "canary"
                ? [
                      { name: n.stableSubset, labels: appLabels },
                      { name: n.canarySubset, labels: appLabels },
                  ]
                : undefined;
        const destinationRule = new k8s.apiextensions.CustomResource(
            `${name}-dr`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "DestinationRule",
                metadata: { name: n.destinationRule, namespace: ns, labels: appLabels },
                spec: {
                    host: mainHost,
                    trafficPolicy: {
                        connectionPool: {
                            tcp: {
                                maxConnections: traffic.maxConnections ?? DEFAULTS.maxConnections,
                                connectTimeout: "3s",
                            },
                            http: {
                                http1MaxPendingRequests: traffic.maxPendingRequests ?? DEFAULTS.maxPendingRequests,
                                http2MaxRequests: traffic.maxConnections ?? DEFAULTS.maxConnections,
                                maxRetries: Math.max(1, retries) * 10,
                            },
                        },
                        outlierDetection: {
                            consecutive5xxErrors: traffic.consecutive5xxErrors ?? DEFAULTS.consecutive5xxErrors,
                            interval: "10s",
                            baseEjectionTime: `${traffic.ejectionSeconds ?? DEFAULTS.ejectionSeconds}s`,
                            maxEjectionPercent: 50,
                        },
                    },
                    ...(subsets ? { subsets } : {}),
                },
            },
            // The controller adds rollouts-pod-template-hash to the subsets' labels at run time.
            child(subsets ? { ignoreChanges: subsets.map((_, i) => `spec.subsets[${i}].labels`) } : {}),
        );

        // Release checks reach the new version in plain text from outside the mesh (the controller's web metrics,
        // the smoke test Job); its pods accept plain text on the application port, everything else stays STRICT.
        const testRole = s.strategy === "blueGreen" ? "preview" : "canary";
        const peerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-release-checks`,
            {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: { name: `${s.name}-release-checks`, namespace: ns, labels: appLabels },
                spec: {
                    selector: { matchLabels: { ...appLabels, [ROLE_LABEL]: testRole } },
                    mtls: { mode: "STRICT" },
                    portLevelMtls: { [String(port.containerPort)]: { mode: "PERMISSIVE" } },
                },
            },
            child(),
        );

        // NetworkPolicies: production sources reach the active (stable) pods; the new version under test takes
        // traffic only from the ingress gateway, the release checks and the controller running the web metrics.
        const nsSelector = (nsName: pulumi.Input<string>) => ({
            matchLabels: { "kubernetes.io/metadata.name": nsName },
        });
        const fromGateway = {
            namespaceSelector: nsSelector(network.gatewayNamespace ?? DEFAULTS.gatewayNamespace),
            podSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
        };
        const fromController = {
            namespaceSelector: nsSelector(network.controllerNamespace ?? DEFAULTS.controllerNamespace),
            podSelector: { matchLabels: { ...CONTROLLER_POD_LABELS } },
        };
        const fromReleaseChecks = { podSelector: { matchLabels: { [RELEASE_CHECK_LABEL]: s.name } } };
        const prometheusRule = {
            from: [{ namespaceSelector: nsSelector(network.prometheusNamespace ?? DEFAULTS.prometheusNamespace) }],
            ports: [{ protocol: "TCP", port: SIDECAR_METRICS_PORT }],
        };
        const productionRule = {
            from: [
                { podSelector: {} },
                { namespaceSelector: { matchLabels: { [SERVICE_NAMESPACE_LABEL]: "true" } } },
                fromGateway,
            ],
        };
        const networkPolicy = (
            resource: string,
            podSelector: k8s.types.input.meta.v1.LabelSelector,
            ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[],
        ) =>
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${resource}`,
                {
                    metadata: { name: `${s.name}-${resource}`, namespace: ns, labels: appLabels },
                    spec: { podSelector, policyTypes: ["Ingress"], ingress },
                },
                child(),
            );
        const networkPolicies =
            s.strategy === "blueGreen"
                ? [
                      networkPolicy("active", { matchLabels: { ...appLabels, [ROLE_LABEL]: "active" } }, [
                          productionRule,
                          prometheusRule,
                      ]),
                      // Everything of the app that is not active (the preview, and any pod not yet labelled).
                      networkPolicy(
                          "preview",
                          {
                              matchLabels: appLabels,
                              matchExpressions: [{ key: ROLE_LABEL, operator: "NotIn", values: ["active"] }],
                          },
                          [{ from: [fromGateway, fromReleaseChecks, fromController] }, prometheusRule],
                      ),
                  ]
                : [
                      // Canary pods take a share of production traffic, so both versions admit production sources.
                      networkPolicy("production", { matchLabels: appLabels }, [productionRule, prometheusRule]),
                      networkPolicy("release-checks", { matchLabels: { ...appLabels, [ROLE_LABEL]: "canary" } }, [
                          { from: [fromController, fromReleaseChecks] },
                      ]),
                  ];

        // Egress of the version under test: the cluster DNS, istiod and the declared dependencies, nothing else. The
        // blue/green selector is the preview policy's, so it also holds the previous version kept for rollback once
        // Argo Rollouts (v1.9) strips its `role` label at promotion; the canary's is the canary pods only.
        const testSelector =
            s.strategy === "blueGreen"
                ? {
                      matchLabels: appLabels,
                      matchExpressions: [{ key: ROLE_LABEL, operator: "NotIn", values: ["active"] }],
                  }
                : { matchLabels: { ...appLabels, [ROLE_LABEL]: "canary" } };
        const egressName = s.strategy === "blueGreen" ? "preview-egress" : "canary-egress";
        networkPolicies.push(
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${egressName}`,
                {
                    metadata: { name: `${s.name}-${egressName}`, namespace: ns, labels: appLabels },
                    spec: {
                        podSelector: testSelector,
                        policyTypes: ["Egress"],
                        egress: previewEgressRules(s.isolation, network.meshNamespace ?? DEFAULT_MESH_NAMESPACE),
                    },
                },
                child(),
            ),
        );

        // A public preview: requests through the gateway with the header must meet every access requirement.
        const previewSecurity: pulumi.Resource[] = [];
        if (s.isolation.exposure === "public") {
            const selector = { ...appLabels, [ROLE_LABEL]: testRole };
            const jwt = s.isolation.access.jwt;
            if (jwt) {
                previewSecurity.push(
                    new k8s.apiextensions.CustomResource(
                        `${name}-preview-jwt`,
                        {
                            apiVersion: "security.istio.io/v1",
                            kind: "RequestAuthentication",
                            metadata: { name: `${s.name}-preview-jwt`, namespace: ns, labels: appLabels },
                            spec: previewJwtSpec(jwt, selector),
                        },
                        child(),
                    ),
                );
            }
            previewSecurity.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-preview-access`,
                    {
                        apiVersion: "security.istio.io/v1",
                        kind: "AuthorizationPolicy",
                        metadata: { name: `${s.name}-preview-access`, namespace: ns, labels: appLabels },
                        spec: previewAccessPolicySpec(
                            s.isolation,
                            selector,
                            previewHeader,
                            network.gatewayNamespace ?? DEFAULTS.gatewayNamespace,
                        ),
                    },
                    child(),
                ),
            );
        }

        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: { name: n.pdb, namespace: ns, labels: appLabels },
                spec: { maxUnavailable: 1, selector: { matchLabels: appLabels } },
            },
            child(),
        );

        const provenance = releaseProvenance(args.release);
        const rollout = new k8s.apiextensions.CustomResource(
            `${name}-rollout`,
            {
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Rollout",
                metadata: {
                    name: n.rollout,
                    namespace: ns,
                    labels: appLabels,
                    annotations: { ...notificationSubscriptions(), ...provenance.annotations },
                },
                spec: {
                    replicas: s.replicas,
                    revisionHistoryLimit: s.revisionHistoryLimit,
                    progressDeadlineSeconds: args.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineSeconds,
                    // Pods that never become ready abort the release instead of leaving it stuck.
                    progressDeadlineAbort: true,
                    rollbackWindow: { revisions: s.rollbackWindowRevisions },
                    selector: { matchLabels: appLabels },
                    template: {
                        metadata: {
                            labels: { ...baseLabels, [REVISION_LABEL]: revision },
                            annotations: { "kubectl.kubernetes.io/default-container": s.name },
                        },
                        spec: podSpec,
                    },
                    strategy: releaseStrategy(s, revision),
                },
            },
            // The Rollout needs what it references in place: its ServiceAccount, Secret, Services, templates and routes.
            child({
                ignoreChanges: provenance.ignoreChanges,
                dependsOn: [
                    ...dependencyList(opts?.dependsOn),
                    sa,
                    ...(secret ? [secret] : []),
                    ...services,
                    ...analysisTemplates,
                    virtualService,
                    destinationRule,
                    peerAuthentication,
                    ...networkPolicies,
                    ...previewSecurity,
                ],
            }),
        );

        const summary: ReleaseTimingSummary = {
            strategy: timing.strategy,
            healthyPromotionSeconds: timing.healthyPromotionSeconds,
            waitsForPromotion: timing.waitsForPromotion,
            rollbackSeconds: timing.rollbackSeconds,
            maxExposurePercent: timing.maxExposurePercent,
            previousVersionRetainedSeconds: timing.previousVersionRetainedSeconds,
        };
        this.envSecretName = secret ? secret.metadata.name : pulumi.output(undefined);
        this.rolloutName = rollout.metadata.name;
        this.serviceHost = pulumi.output(mainHost);
        this.previewHost = pulumi.output(testHost);
        this.strategy = pulumi.output(s.strategy);
        this.image = image;
        this.revision = revision;
        this.timing = pulumi.output(summary);
        this.analysisTemplates = pulumi.output(Object.keys(templates));
        this.registerOutputs({
            rolloutName: this.rolloutName,
            serviceHost: this.serviceHost,
            previewHost: this.previewHost,
            strategy: this.strategy,
            image: this.image,
            revision: this.revision,
            timing: this.timing,
            analysisTemplates: this.analysisTemplates,
            envSecretName: this.envSecretName,
        });
    }
}
