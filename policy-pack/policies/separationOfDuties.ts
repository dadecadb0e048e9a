/**
 * Separation of duties among the delivery pipeline's identities, judged across the whole stack: every
 * RoleBinding/ClusterRoleBinding is resolved to the Role/ClusterRole it grants, and what each identity is granted is
 * checked against its duty.
 *
 * - builder: builds and pushes images; no rights on workloads, services, routing or RBAC anywhere.
 * - deployer: releases; writes only the platform's release kinds (Rollouts, AnalysisTemplates, Services,
 *   ConfigMaps, ServiceAccounts, Secrets, PodDisruptionBudgets, NetworkPolicies, Istio VirtualServices, DestinationRules and
 *   PeerAuthentications), never Pods/Deployments/ReplicaSets, reads only the Secrets its rules name (the ones it
 *   writes: the engine reads back what it applies), never touches RBAC.
 * - auditor: reads; only get/list/watch, never on Secrets.
 * - nobody is bound to the roles of two identities.
 *
 * A second, advisory policy reports bindings whose roleRef the stack does not define.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject, describeObject } from "../lib/kubernetes";
import { Exemption, PolicyDoc, configCompiler, configSchemaWith, policyMetadata, reportObject } from "../lib/policyKit";
import {
    RBAC_GROUP,
    READ_VERBS,
    Rule,
    WORKLOAD_RESOURCES,
    WRITE_VERBS,
    aggregationSelectorsOf,
    grantedOf,
    namespaceOf,
    permissions,
    roleRefOf,
    rulesOf,
    selectorMatches,
    serviceAccountOfSubject,
    showPermission,
    subjectKey,
    subjectsOf,
} from "../lib/rbac";
import { showList } from "../lib/rolePolicy";
import {
    ResolvedRole,
    StackIndex,
    StackObject,
    guardUnknown,
    indexStack,
    reportAdvisory,
    reportUnknownResources,
    resolveRoleRef,
} from "../lib/stack";

export type Identity = "builder" | "deployer" | "auditor";
export const IDENTITIES: readonly Identity[] = ["builder", "deployer", "auditor"];

/** A resource kind as RBAC names it. */
export interface ResourceRef {
    apiGroup: string;
    resource: string;
}

export interface SeparationConfig {
    exemptions?: Exemption[];
    /** ServiceAccounts (`namespace/name`) of each identity. */
    identities?: Record<Identity, string[]>;
    /** Label on ServiceAccounts naming their identity, used for accounts the identities setting does not list. */
    identityLabel?: string;
    /** What the deployer may create, update, patch and delete. */
    deployerWritable?: ResourceRef[];
}

export const DEFAULT_IDENTITIES: Record<Identity, string[]> = {
    builder: ["platform-pipeline/pipeline-builder"],
    deployer: ["platform-pipeline/pipeline-deployer"],
    auditor: ["platform-pipeline/pipeline-auditor"],
};

export const DEFAULT_IDENTITY_LABEL = "platform.zdp.dev/pipeline-role";

export const DEFAULT_DEPLOYER_WRITABLE: ResourceRef[] = [
    { apiGroup: "argoproj.io", resource: "rollouts" },
    // Promote and abort (`kubectl argo rollouts promote|abort`) patch the Rollout's status subresource.
    { apiGroup: "argoproj.io", resource: "rollouts/status" },
    { apiGroup: "argoproj.io", resource: "analysistemplates" },
    { apiGroup: "", resource: "services" },
    { apiGroup: "", resource: "configmaps" },
    { apiGroup: "", resource: "serviceaccounts" },
    { apiGroup: "", resource: "secrets" },
    { apiGroup: "policy", resource: "poddisruptionbudgets" },
    { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
    { apiGroup: "networking.istio.io", resource: "virtualservices" },
    { apiGroup: "networking.istio.io", resource: "destinationrules" },
    // A release's own mutual-TLS exception for its check Jobs (`<service>-release-checks`).
    { apiGroup: "security.istio.io", resource: "peerauthentications" },
    // A public preview's token check and access policy (`<service>-preview-jwt`, `<service>-preview-access`).
    { apiGroup: "security.istio.io", resource: "requestauthentications" },
    { apiGroup: "security.istio.io", resource: "authorizationpolicies" },
    // A release's expand/contract migration Jobs.
    { apiGroup: "batch", resource: "jobs" },
];

/** Kinds the deployer never writes, whatever deployerWritable says: the Rollout controller owns them. */
const DEPLOYER_NEVER = new Set([
    "/pods",
    "apps/deployments",
    "apps/replicasets",
    "extensions/deployments",
    "extensions/replicasets",
]);

const ANY_VERB = [...READ_VERBS, ...WRITE_VERBS];
const RBAC_RESOURCES = ["roles", "rolebindings", "clusterroles", "clusterrolebindings"];

/** What the builder may never touch: workloads, services, routing and RBAC. */
const BUILDER_FORBIDDEN = [
    ...WORKLOAD_RESOURCES.flatMap((w) => permissions([w.apiGroup], [w.resource], ANY_VERB)),
    ...permissions([""], ["services", "endpoints"], ANY_VERB),
    ...permissions(["discovery.k8s.io"], ["endpointslices"], ANY_VERB),
    ...permissions(["networking.k8s.io"], ["ingresses"], ANY_VERB),
    ...permissions(
        ["networking.istio.io"],
        ["virtualservices", "destinationrules", "gateways", "serviceentries"],
        ANY_VERB,
    ),
    ...permissions(["gateway.networking.k8s.io"], ["gateways", "httproutes", "grpcroutes"], ANY_VERB),
    ...permissions([RBAC_GROUP], RBAC_RESOURCES, [...ANY_VERB, "escalate", "bind"]),
];

const RBAC_TOUCH = [
    ...permissions([RBAC_GROUP], RBAC_RESOURCES, [...ANY_VERB, "escalate", "bind"]),
    ...permissions([""], ["users", "groups", "serviceaccounts"], ["impersonate"]),
];

const SECRET_READ_ANY = permissions([""], ["secrets"], READ_VERBS);

interface Compiled {
    exemptions?: Exemption[];
    identityOf: Map<string, Identity>;
    identityLabel: string;
    deployerWritable: Set<string>;
}

const compile = configCompiler<SeparationConfig, Compiled>((raw) => {
    const identityOf = new Map<string, Identity>();
    const identities = raw.identities ?? DEFAULT_IDENTITIES;
    for (const id of IDENTITIES) for (const sa of identities[id] ?? []) identityOf.set(sa, id);
    return {
        exemptions: raw.exemptions,
        identityOf,
        identityLabel: raw.identityLabel ?? DEFAULT_IDENTITY_LABEL,
        deployerWritable: new Set(
            (raw.deployerWritable ?? DEFAULT_DEPLOYER_WRITABLE).map((r) => `${r.apiGroup}/${r.resource}`),
        ),
    };
});

/** The problems of one rule granted to an identity, each a phrase (`grants create apps/deployments`). */
export function identityProblems(identity: Identity, rule: Rule, deployerWritable: ReadonlySet<string>): string[] {
    const out: string[] = [];
    switch (identity) {
        case "builder": {
            const found = grantedOf(rule, BUILDER_FORBIDDEN);
            if (found.length) {
                out.push(
                    `grants ${showList(found.map(showPermission))}; the builder may not touch workloads, services, routing or RBAC`,
                );
            }
            break;
        }
        case "deployer": {
            const writes = rule.verbs.includes("*") ? WRITE_VERBS : rule.verbs.filter((v) => WRITE_VERBS.includes(v));
            const never: string[] = [];
            const other: string[] = [];
            for (const group of rule.apiGroups) {
                for (const resource of rule.resources) {
                    const key = `${group}/${resource}`;
                    const wild = group.includes("*") || resource.includes("*");
                    for (const verb of writes) {
                        const shown = showPermission({ apiGroup: group, resource, verb });
                        if (DEPLOYER_NEVER.has(key)) never.push(shown);
                        else if (wild || !deployerWritable.has(key)) other.push(shown);
                    }
                }
            }
            if (never.length)
                out.push(
                    `grants ${showList(never)}; the deployer never writes Pods, Deployments or ReplicaSets (the Rollout controller does)`,
                );
            if (other.length)
                out.push(
                    `grants ${showList(other)}; the deployer writes only the platform's release kinds (deployerWritable)`,
                );
            // Reading back a Secret it applies is part of applying it (server-side apply returns the object); a rule
            // that names its Secrets keeps every other Secret out of reach.
            const secrets = rule.resourceNames.length > 0 ? [] : grantedOf(rule, SECRET_READ_ANY);
            if (secrets.length)
                out.push(
                    `grants ${showList(secrets.map(showPermission))}; the deployer reads only the Secrets it writes, named in resourceNames`,
                );
            const rbac = grantedOf(rule, RBAC_TOUCH);
            const verbs = rule.verbs.filter((v) => v === "escalate" || v === "bind" || v === "impersonate");
            if (rbac.length || verbs.length) {
                const shown = rbac.length ? rbac.map(showPermission) : verbs;
                out.push(`grants ${showList(shown)}; the deployer never touches RBAC`);
            }
            break;
        }
        case "auditor": {
            const nonRead = rule.verbs.filter((v) => !READ_VERBS.includes(v));
            if (nonRead.length)
                out.push(
                    `grants the verbs ${nonRead.map((v) => JSON.stringify(v)).join(", ")}; the auditor only gets, lists and watches`,
                );
            const secrets = grantedOf(rule, SECRET_READ_ANY);
            if (secrets.length)
                out.push(`grants ${showList(secrets.map(showPermission))}; the auditor never reads Secrets`);
            break;
        }
    }
    return out;
}

/** The rules a resolved role grants: its own, plus (for an aggregating ClusterRole) those of the roles it selects. */
function effectiveRules(index: StackIndex, resolved: ResolvedRole): Rule[] {
    if (resolved.status === "built-in") return rulesOf({ rules: resolved.rules as unknown[] });
    if (resolved.status !== "stack") return [];
    const own = rulesOf(resolved.role.obj);
    const selectors = aggregationSelectorsOf(resolved.role.obj);
    if (!selectors) return own;
    const selected: Rule[] = [];
    for (const other of index.clusterRoles.values()) {
        if (other === resolved.role) continue;
        if (selectors.some((s) => selectorMatches(s, other.obj.metadata?.labels))) selected.push(...rulesOf(other.obj));
    }
    return [...own, ...selected];
}

function roleLabel(binding: KubeObject, resolved: ResolvedRole): string {
    const ref = roleRefOf(binding);
    const base = `roleRef ${ref?.kind ?? "?"} ${ref?.name ?? "?"}`;
    return resolved.status === "built-in" ? `${base} (built-in, condensed)` : base;
}

export const pipelineSeparationOfDutiesDoc: PolicyDoc = {
    name: "pipeline-separation-of-duties",
    description:
        "The pipeline identities keep to their duties across every binding of the stack: the builder has no rights " +
        "on workloads, services, routing or RBAC; the deployer writes only the release kinds (never Pods, " +
        "Deployments or ReplicaSets), reads only the Secrets its rules name and never touches RBAC; the auditor only reads, and never " +
        "Secrets; and no subject is bound to the roles of two identities.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.1",
    control: "Least privilege for the pipeline identities (CIS 5.1.1-5.1.4, 5.1.8 applied per identity)",
    remediation:
        "give each identity its own Role with only the rules its duty needs, bind it only to that identity's " +
        "ServiceAccount, and remove other bindings of the identity.",
};

const identitiesSchema: PolicyConfigJSONSchema = {
    type: "object",
    description: "ServiceAccounts (namespace/name) of each pipeline identity.",
    default: DEFAULT_IDENTITIES,
    additionalProperties: false,
    required: [...IDENTITIES],
    properties: Object.fromEntries(
        IDENTITIES.map((id) => [
            id,
            {
                type: "array",
                uniqueItems: true,
                items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$" },
            },
        ]),
    ),
};

export const pipelineSeparationOfDuties: StackValidationPolicy = {
    ...policyMetadata(pipelineSeparationOfDutiesDoc),
    configSchema: configSchemaWith({
        identities: identitiesSchema,
        identityLabel: {
            type: "string",
            minLength: 1,
            default: DEFAULT_IDENTITY_LABEL,
            description:
                "ServiceAccount label naming the identity (builder, deployer, auditor), for accounts not listed in identities.",
        },
        deployerWritable: {
            type: "array",
            description:
                'Resources the deployer may create, update, patch and delete ({apiGroup, resource}; "" is the core group).',
            default: DEFAULT_DEPLOYER_WRITABLE,
            items: {
                type: "object",
                additionalProperties: false,
                required: ["apiGroup", "resource"],
                properties: {
                    apiGroup: { type: "string" },
                    resource: { type: "string", minLength: 1, pattern: "^[^*]+$" },
                },
            },
        },
    }),
    validateStack: (args, reportViolation) => {
        const config = compile(args);
        const doc = pipelineSeparationOfDutiesDoc;
        const index = indexStack(args.resources);
        reportUnknownResources(reportViolation, index, doc.name);

        // Which ServiceAccount is which identity: the config first, the label for the rest.
        const identityOf = new Map(config.identityOf);
        for (const [key, sa] of index.serviceAccounts) {
            guardUnknown(reportViolation, sa, () => {
                const label = sa.obj.metadata?.labels?.[config.identityLabel];
                if (typeof label !== "string" || !(IDENTITIES as readonly string[]).includes(label)) return;
                const configured = config.identityOf.get(key);
                if (configured === undefined) identityOf.set(key, label as Identity);
                else if (configured !== label) {
                    reportObject(
                        reportViolation,
                        doc,
                        sa.obj,
                        `metadata.labels["${config.identityLabel}"] is "${label}" but the policy config names it the ${configured}.`,
                        config.exemptions,
                        sa.urn,
                    );
                }
            });
        }

        // Role (by key) -> identities bound to it; subject -> roles bound to it, with the binding that does it.
        const roleIdentities = new Map<string, Set<Identity>>();
        const subjectRoles = new Map<
            string,
            { roleKey: string; binding: StackObject; subjectIndex: number; isIdentity: boolean }[]
        >();
        const roleHolders = new Map<string, { identity: Identity; binding: StackObject; subjectIndex: number }[]>();

        for (const binding of index.bindings) {
            guardUnknown(reportViolation, binding, () => {
                const obj = binding.obj;
                const ns = obj.kind === "RoleBinding" ? namespaceOf(obj) : undefined;
                const resolved = resolveRoleRef(index, obj);
                const ref = roleRefOf(obj);
                const roleKey = ref
                    ? ref.kind === "Role"
                        ? `Role ${ns}/${ref.name}`
                        : `ClusterRole ${ref.name}`
                    : "?";
                let rules: Rule[] | undefined;
                for (const subject of subjectsOf(obj)) {
                    const sa = serviceAccountOfSubject(subject, ns);
                    const identity = sa ? identityOf.get(sa) : undefined;
                    const sKey = subjectKey(subject, ns);
                    const list = subjectRoles.get(sKey) ?? [];
                    list.push({ roleKey, binding, subjectIndex: subject.index, isIdentity: identity !== undefined });
                    subjectRoles.set(sKey, list);
                    if (!identity) continue;
                    const ids = roleIdentities.get(roleKey) ?? new Set<Identity>();
                    ids.add(identity);
                    roleIdentities.set(roleKey, ids);
                    const holders = roleHolders.get(roleKey) ?? [];
                    holders.push({ identity, binding, subjectIndex: subject.index });
                    roleHolders.set(roleKey, holders);
                    if (resolved.status === "unresolved") {
                        reportAdvisory(
                            reportViolation,
                            `${describeObject(obj)}: cannot check what subjects[${subject.index}] (the ${identity}) is ` +
                                `granted: ${resolved.reason}.`,
                            binding.urn,
                        );
                        continue;
                    }
                    rules ??= effectiveRules(index, resolved);
                    for (const rule of rules) {
                        for (const problem of identityProblems(identity, rule, config.deployerWritable)) {
                            reportObject(
                                reportViolation,
                                doc,
                                obj,
                                `${roleLabel(obj, resolved)} rules[${rule.index}] ${problem} (subjects[${subject.index}] ` +
                                    `is the ${identity}, ServiceAccount ${sa}).`,
                                config.exemptions,
                                binding.urn,
                            );
                        }
                    }
                }
            });
        }

        // A role granted to two identities makes them one: report it once, on the later binding.
        for (const [roleKey, holders] of roleHolders) {
            const ids = new Map<Identity, (typeof holders)[number]>();
            for (const h of holders) if (!ids.has(h.identity)) ids.set(h.identity, h);
            if (ids.size < 2) continue;
            const parts = [...ids].map(
                ([id, h]) => `the ${id} (${describeObject(h.binding.obj)} subjects[${h.subjectIndex}])`,
            );
            const last = [...ids.values()].pop()!;
            reportObject(
                reportViolation,
                doc,
                last.binding.obj,
                `${roleKey} is granted to ${ids.size} identities: ${parts.join(" and ")}.`,
                config.exemptions,
                last.binding.urn,
            );
        }

        // Any other subject (a person, a group, another account) may hold the roles of one identity at most.
        for (const [sKey, held] of subjectRoles) {
            if (held.some((h) => h.isIdentity)) continue;
            const byIdentity = new Map<Identity, (typeof held)[number]>();
            for (const h of held) {
                for (const id of roleIdentities.get(h.roleKey) ?? []) if (!byIdentity.has(id)) byIdentity.set(id, h);
            }
            if (byIdentity.size < 2) continue;
            const parts = [...byIdentity].map(
                ([id, h]) =>
                    `the ${id}'s ${h.roleKey} (via ${describeObject(h.binding.obj)} subjects[${h.subjectIndex}])`,
            );
            const last = [...byIdentity.values()].pop()!;
            reportObject(
                reportViolation,
                doc,
                last.binding.obj,
                `${sKey} is bound to the roles of ${byIdentity.size} identities: ${parts.join(" and ")}.`,
                config.exemptions,
                last.binding.urn,
            );
        }
    },
};

export const rbacRoleRefResolvableDoc: PolicyDoc = {
    name: "rbac-role-ref-resolvable",
    description:
        "Every RoleBinding and ClusterRoleBinding must refer to a Role or ClusterRole the stack defines (or a " +
        "built-in or listed external ClusterRole): otherwise what it grants cannot be reviewed, and it silently " +
        "grants whatever a role of that name later holds.",
    enforcementLevel: "advisory",
    severity: "low",
    control: "Kubernetes RBAC good practices: periodic review of bindings",
    remediation:
        "define the Role or ClusterRole in the same stack (a RoleBinding's Role must be in the binding's namespace), " +
        "fix the roleRef, or list a ClusterRole managed elsewhere in externalClusterRoles.",
};

interface RoleRefConfig {
    exemptions?: Exemption[];
    externalClusterRoles?: string[];
}

const roleRefConfig = configCompiler<
    RoleRefConfig,
    { exemptions?: Exemption[]; isExternal: (name: string) => boolean }
>((raw) => {
    const exact = new Set<string>();
    const prefixes: string[] = [];
    for (const n of raw.externalClusterRoles ?? ["system:*"]) {
        if (n.endsWith("*")) prefixes.push(n.slice(0, -1));
        else exact.add(n);
    }
    return {
        exemptions: raw.exemptions,
        isExternal: (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p)),
    };
});

export const rbacRoleRefResolvable: StackValidationPolicy = {
    ...policyMetadata(rbacRoleRefResolvableDoc),
    configSchema: configSchemaWith({
        externalClusterRoles: {
            type: "array",
            description:
                "ClusterRoles managed outside the stack that bindings may refer to; a trailing * matches a prefix.",
            default: ["system:*"],
            items: { type: "string", minLength: 1 },
        },
    }),
    validateStack: (args, reportViolation) => {
        const config = roleRefConfig(args);
        const index = indexStack(args.resources);
        reportUnknownResources(reportViolation, index, rbacRoleRefResolvableDoc.name);
        for (const binding of index.bindings) {
            guardUnknown(reportViolation, binding, () => {
                const resolved = resolveRoleRef(index, binding.obj);
                if (resolved.status !== "unresolved") return;
                const ref = roleRefOf(binding.obj);
                if (ref?.kind === "ClusterRole" && config.isExternal(ref.name)) return;
                reportObject(
                    reportViolation,
                    rbacRoleRefResolvableDoc,
                    binding.obj,
                    `roleRef cannot be resolved: ${resolved.reason}.`,
                    config.exemptions,
                    binding.urn,
                );
            });
        }
    },
};
