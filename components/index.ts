/**
 * The public API of the component library: what platform teams import (`import { BlueGreenService } from "zdp"`)
 * and what `pulumi package add` exposes to other languages. Everything else under components/ is internal.
 */
export { ArgoRollouts } from "./argoRollouts";
export type { ArgoRolloutsArgs } from "./argoRollouts";
export { BlueGreenService } from "./blueGreenService";
export type {
    AnalysisArgs,
    BlueGreenArgs,
    BlueGreenServiceArgs,
    CanaryArgs,
    CanaryStepArgs,
    HealthArgs,
    HealthCheckArgs,
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
} from "./blueGreenService/args";
export type { ReleaseTimingSummary } from "./blueGreenService/timing";
export type { DependencyArgs, PreviewAccessArgs, PreviewJwtArgs } from "./previewIsolation";
export { Falco } from "./falco";
export type { FalcoArgs } from "./falco";
export { IstioMesh } from "./istioMesh";
export type { IstioMeshArgs } from "./istioMesh";
export { PipelineIdentities } from "./pipelineIdentities";
export type { PipelineIdentitiesArgs, PipelineServiceAccounts } from "./pipelineIdentities";
export { ReleaseObservability } from "./releaseObservability";
export type { ReleaseObservabilityArgs } from "./releaseObservability";
export { TrivyOperator } from "./trivyOperator";
export type { TrivyOperatorArgs } from "./trivyOperator";
