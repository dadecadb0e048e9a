/**
 * Every policy of the pack, in checklist order. `index.ts` of the pack hands these to `new PolicyPack(...)`; tests
 * and the offline checker import them from here so that they never start the analyzer server.
 */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** Resource policies (one Kubernetes object at a time). */
export const resourcePolicies: ResourceValidationPolicy[] = [];

/** Stack policies (relations between objects: bindings to roles, separation of duties). */
export const stackPolicies: StackValidationPolicy[] = [];

export const allPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [...resourcePolicies, ...stackPolicies];
