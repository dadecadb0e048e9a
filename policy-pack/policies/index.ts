/**
 * Every policy of the pack, in checklist order. `index.ts` of the pack hands these to `new PolicyPack(...)`; tests
 * and the offline checker import them from here so that they never start the analyzer server.
 */
import { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { rbacAggregationRuleLeastPrivilege, rbacNoDangerousAggregation } from "./rbacAggregation";
import { rbacNoClusterAdminBinding, rbacNoSystemGroupSubjects } from "./rbacBindings";
import {
    rbacNoCsrApproval,
    rbacNoEscalationVerbs,
    rbacNoNamespaceWrite,
    rbacNoNodeProxy,
    rbacNoPersistentVolumeCreate,
    rbacNoPodCreate,
    rbacNoSecretRead,
    rbacNoTokenCreate,
    rbacNoWebhookConfigWrite,
} from "./rbacPermissions";
import { imagesAllowedRegistries, imagesDigestPinned, imagesSigned } from "./images";
import { imagesVulnerabilities } from "./imagesVulnerabilities";
import { releaseMigrationsOrdering } from "./migrations";
import { rbacNoWildcards } from "./rbacWildcards";
import { releaseSafety } from "./releaseSafety";
import { noPlaintextCredentials } from "./secrets";
import { pipelineSeparationOfDuties, rbacRoleRefResolvable } from "./separationOfDuties";
import { serviceAccountTokenAutomount, workloadNoDefaultServiceAccount } from "./workloadIdentity";

/** Name of the pack and the level of any policy that sets none (every policy here sets its own). */
export const packName = "zero-downtime-policies";
export const packEnforcementLevel: EnforcementLevel = "mandatory";

/** Resource policies (one Kubernetes object at a time). */
export const resourcePolicies: ResourceValidationPolicy[] = [
    rbacNoClusterAdminBinding,
    rbacNoSecretRead,
    rbacNoWildcards,
    rbacNoPodCreate,
    workloadNoDefaultServiceAccount,
    serviceAccountTokenAutomount,
    rbacNoSystemGroupSubjects,
    rbacNoEscalationVerbs,
    rbacNoPersistentVolumeCreate,
    rbacNoNodeProxy,
    rbacNoCsrApproval,
    rbacNoWebhookConfigWrite,
    rbacNoTokenCreate,
    rbacNoNamespaceWrite,
    rbacNoDangerousAggregation,
    imagesDigestPinned,
    imagesAllowedRegistries,
    imagesSigned,
    imagesVulnerabilities,
    noPlaintextCredentials,
];

/** Stack policies (relations between objects: bindings to roles, separation of duties). */
export const stackPolicies: StackValidationPolicy[] = [
    rbacAggregationRuleLeastPrivilege,
    pipelineSeparationOfDuties,
    rbacRoleRefResolvable,
    releaseSafety,
    releaseMigrationsOrdering,
];

export const allPolicies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    ...resourcePolicies,
    ...stackPolicies,
];
