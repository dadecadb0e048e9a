/**
 * The public API of the component library: what platform teams import (`import { BlueGreenService } from "zdp"`)
 * and what `pulumi package add` exposes to other languages. Everything else under components/ is internal.
 */
export { ArgoRollouts, ArgoRolloutsArgs } from "./argoRollouts";
export { Falco, FalcoArgs } from "./falco";
export { IstioMesh, IstioMeshArgs } from "./istioMesh";
export { PipelineIdentities, PipelineIdentitiesArgs, PipelineServiceAccounts } from "./pipelineIdentities";
export { TrivyOperator, TrivyOperatorArgs } from "./trivyOperator";
