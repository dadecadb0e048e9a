/**
 * BlueGreenService's release settings: every argument with its default applied, so that the component and the
 * builders never read raw arguments (the defaults live here and in constants.ts only). Pure: no resources.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { TimingBudget } from "../lib/releaseTiming";
import { DEFAULT_MESH_NAMESPACE, PreviewIsolationSettings, previewIsolationSettings } from "../previewIsolation";
import type { MetricGate, SloSpec } from "../releaseAnalysis";
import type { BlueGreenServiceArgs, CanaryStepArgs, MetricGateArgs, ReleaseProvenanceArgs } from "./args";
import { DEFAULT_PROMETHEUS_ADDRESS, DEFAULTS } from "./constants";
import { MigrationSettings, migrationSettings } from "./migrations";

/** Every argument with its default applied (after validation). */
export interface ReleaseSettings {
    name: string;
    namespace: string;
    strategy: "blueGreen" | "canary";
    /** The digest-pinned image given; undefined when {@link build} builds it. */
    image: pulumi.Input<string> | undefined;
    /** The image to build in the stack, its Dockerfile defaulted. */
    build: { context: string; dockerfile: string; imageName: string } | undefined;
    replicas: number;
    ports: { name: string; containerPort: number; port: number }[];
    livenessPath: string;
    readinessPath: string;
    startupPath: string;
    checks: { path: string; weight: number }[];
    scoreThreshold: number;
    signalWeights: { checks: number; errors: number; latency: number };
    /** Requests and limits of the container, each quantity defaulted on its own. */
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
    /** Plain environment variables, by name. */
    env: Record<string, string>;
    /** Secret environment variables, by name (none: no Secret). */
    secretEnv: Record<string, pulumi.Input<string>>;
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
    traffic: {
        hosts: string[];
        /** Required with hosts (validated). */
        gateway: pulumi.Input<string> | undefined;
        previewHeader: string;
        timeoutSeconds: number;
        retries: number;
        perTryTimeoutSeconds: number;
        maxConnections: number;
        maxPendingRequests: number;
        consecutive5xxErrors: number;
        ejectionSeconds: number;
    };
    network: {
        gatewayNamespace: pulumi.Input<string>;
        controllerNamespace: pulumi.Input<string>;
        prometheusNamespace: pulumi.Input<string>;
        meshNamespace: pulumi.Input<string>;
    };
    progressDeadlineSeconds: number;
    runAsUser: number;
    automountServiceAccountToken: boolean;
    /** Who reaches the version under test, and what it reaches. */
    isolation: PreviewIsolationSettings;
    budget: TimingBudget | undefined;
    /** Who shipped the release: no defaults, a field left out keeps what the last deploy recorded. */
    release: ReleaseProvenanceArgs;
    /** The release's expand or contract; undefined: none. */
    migrations: MigrationSettings | undefined;
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
    const traffic = a.traffic ?? {};
    const network = a.network ?? {};
    return {
        name: a.name ?? name,
        namespace: a.namespace,
        strategy,
        image: a.image,
        build: a.build && {
            context: a.build.context,
            dockerfile: a.build.dockerfile ?? `${a.build.context}/Dockerfile`,
            imageName: a.build.imageName,
        },
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
        resources: {
            requests: { ...DEFAULTS.requests, ...a.resources?.requests },
            limits: { ...DEFAULTS.limits, ...a.resources?.limits },
        },
        env: a.env ?? {},
        secretEnv: a.secretEnv ?? {},
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
        traffic: {
            hosts: traffic.hosts ?? [],
            gateway: traffic.gateway,
            previewHeader: traffic.previewHeader ?? DEFAULTS.previewHeader,
            timeoutSeconds: traffic.timeoutSeconds ?? DEFAULTS.requestTimeoutSeconds,
            retries: traffic.retries ?? DEFAULTS.retries,
            perTryTimeoutSeconds: traffic.perTryTimeoutSeconds ?? DEFAULTS.perTryTimeoutSeconds,
            maxConnections: traffic.maxConnections ?? DEFAULTS.maxConnections,
            maxPendingRequests: traffic.maxPendingRequests ?? DEFAULTS.maxPendingRequests,
            consecutive5xxErrors: traffic.consecutive5xxErrors ?? DEFAULTS.consecutive5xxErrors,
            ejectionSeconds: traffic.ejectionSeconds ?? DEFAULTS.ejectionSeconds,
        },
        network: {
            gatewayNamespace: network.gatewayNamespace ?? DEFAULTS.gatewayNamespace,
            controllerNamespace: network.controllerNamespace ?? DEFAULTS.controllerNamespace,
            prometheusNamespace: network.prometheusNamespace ?? DEFAULTS.prometheusNamespace,
            meshNamespace: network.meshNamespace ?? DEFAULT_MESH_NAMESPACE,
        },
        progressDeadlineSeconds: a.progressDeadlineSeconds ?? DEFAULTS.progressDeadlineSeconds,
        runAsUser: a.runAsUser ?? DEFAULTS.runAsUser,
        // The pods do not call the Kubernetes API unless asked to.
        automountServiceAccountToken: a.automountServiceAccountToken ?? false,
        isolation: previewIsolationSettings(a.traffic, a.dependencies),
        budget: a.budget,
        release: a.release ?? {},
        migrations: migrationSettings(
            a.migrations,
            strategy === "blueGreen" ? a.analysis?.smokeTest?.image : undefined,
        ),
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
