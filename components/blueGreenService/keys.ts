/**
 * The fields of each BlueGreenService argument object, listed once against its interface (args.ts): the validator
 * reports any other field by name, so a typo is not silently ignored. The compiler keeps each list complete and
 * exact, so a field added to an interface cannot be refused as unknown.
 */
import type { TimingBudget } from "../lib/releaseTiming";
import type {
    AnalysisArgs,
    BlueGreenArgs,
    BlueGreenServiceArgs,
    CanaryArgs,
    CanaryStepArgs,
    CheckTrafficArgs,
    HealthArgs,
    HealthCheckArgs,
    HealthSignalWeightsArgs,
    ImageBuildArgs,
    MetricGateArgs,
    NetworkArgs,
    ResourceArgs,
    ResourceQuantityArgs,
    RetentionArgs,
    ServicePortArgs,
    SloArgs,
    SmokeTestArgs,
    TrafficArgs,
} from "./args";

/**
 * The fields of an argument interface `T`, in the order written (error messages list them in that order). The object
 * literal must name every field of `T` and nothing else: a field added to the interface and not here, or a typo here,
 * does not compile, so the validator never rejects a documented field or lets an unknown one through.
 */
export function keyList<T>(keys: Record<keyof T, true>): readonly (keyof T & string)[] {
    return Object.keys(keys) as (keyof T & string)[];
}

export const ARG_KEYS = keyList<BlueGreenServiceArgs>({
    name: true,
    namespace: true,
    image: true,
    build: true,
    replicas: true,
    ports: true,
    health: true,
    resources: true,
    env: true,
    secretEnv: true,
    strategy: true,
    blueGreen: true,
    canary: true,
    analysis: true,
    retention: true,
    traffic: true,
    dependencies: true,
    network: true,
    progressDeadlineSeconds: true,
    runAsUser: true,
    automountServiceAccountToken: true,
    budget: true,
    release: true,
    migrations: true,
});
export const BUILD_KEYS = keyList<ImageBuildArgs>({ context: true, dockerfile: true, imageName: true });
export const PORT_KEYS = keyList<ServicePortArgs>({ name: true, containerPort: true, port: true });
export const HEALTH_KEYS = keyList<HealthArgs>({
    livenessPath: true,
    readinessPath: true,
    startupPath: true,
    checks: true,
    scoreThreshold: true,
    signalWeights: true,
});
export const PROBE_PATH_KEYS = [
    "livenessPath",
    "readinessPath",
    "startupPath",
] as const satisfies readonly (keyof HealthArgs)[];
export const SIGNAL_WEIGHT_KEYS = keyList<HealthSignalWeightsArgs>({ checks: true, errors: true, latency: true });
export const HEALTH_CHECK_KEYS = keyList<HealthCheckArgs>({ path: true, weight: true });
export const RESOURCE_KEYS = keyList<ResourceArgs>({ requests: true, limits: true });
export const QUANTITY_KEYS = keyList<ResourceQuantityArgs>({ cpu: true, memory: true });
export const BLUE_GREEN_KEYS = keyList<BlueGreenArgs>({
    autoPromotion: true,
    autoPromotionSeconds: true,
    previewReplicas: true,
});
export const CANARY_KEYS = keyList<CanaryArgs>({ steps: true });
export const ANALYSIS_KEYS = keyList<AnalysisArgs>({
    health: true,
    slo: true,
    smokeTest: true,
    checkTraffic: true,
    prometheusAddress: true,
});
export const CHECK_TRAFFIC_KEYS = keyList<CheckTrafficArgs>({ image: true, requestsPerMinute: true });
export const GATE_KEYS = keyList<MetricGateArgs>({
    intervalSeconds: true,
    count: true,
    failureLimit: true,
    consecutiveErrorLimit: true,
    inconclusiveLimit: true,
    initialDelaySeconds: true,
    timeoutSeconds: true,
});
/** The SLO gate's own fields, beside the timing fields every gate has. */
export const SLO_KEYS = keyList<Omit<SloArgs, keyof MetricGateArgs>>({
    maxErrorRate: true,
    maxLatencyMs: true,
    latencyQuantile: true,
    minRequests: true,
    windowSeconds: true,
});
export const SMOKE_TEST_KEYS = keyList<SmokeTestArgs>({ image: true, paths: true, timeoutSeconds: true });
export const RETENTION_KEYS = keyList<RetentionArgs>({
    scaleDownDelaySeconds: true,
    abortScaleDownDelaySeconds: true,
    rollbackWindowRevisions: true,
    revisionHistoryLimit: true,
});
export const TRAFFIC_KEYS = keyList<TrafficArgs>({
    hosts: true,
    gateway: true,
    previewHeader: true,
    previewExposure: true,
    previewAccess: true,
    timeoutSeconds: true,
    retries: true,
    perTryTimeoutSeconds: true,
    maxConnections: true,
    maxPendingRequests: true,
    consecutive5xxErrors: true,
    ejectionSeconds: true,
});
export const NETWORK_KEYS = keyList<NetworkArgs>({
    gatewayNamespace: true,
    controllerNamespace: true,
    prometheusNamespace: true,
    meshNamespace: true,
});
export const BUDGET_KEYS = keyList<TimingBudget>({
    maxHealthyPromotionSeconds: true,
    maxRollbackSeconds: true,
    maxExposurePercent: true,
});
export const CANARY_STEP_KEYS = keyList<CanaryStepArgs>({ weight: true, pauseSeconds: true, waitForPromotion: true });
