/**
 * Bindings: no binding to cluster-admin and no cluster-wide admin/edit (CIS 5.1.1), and no binding to the
 * system:masters group or to the anonymous / every-user groups (CIS 5.1.7).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import {
    Exemption,
    PolicyDoc,
    configCompiler,
    configSchemaWith,
    objectOfArgs,
    policyMetadata,
    reportObject,
} from "../lib/policyKit";
import { BINDING_KINDS, roleRefOf, subjectsOf } from "../lib/rbac";

export const rbacNoClusterAdminBindingDoc: PolicyDoc = {
    name: "rbac-no-cluster-admin-binding",
    description:
        "No RoleBinding or ClusterRoleBinding may grant the cluster-admin ClusterRole, and no ClusterRoleBinding " +
        "may grant admin or edit: those give full control of the cluster, or of every namespace.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.1",
    control: "Ensure that the cluster-admin role is only used where required",
    remediation:
        "bind a Role (or a narrow ClusterRole through a RoleBinding) that lists only the permissions the subjects " +
        "need, in the namespaces they need them.",
};

const CLUSTER_WIDE_FORBIDDEN = new Set(["admin", "edit"]);

export const rbacNoClusterAdminBinding: ResourceValidationPolicy = {
    ...policyMetadata(rbacNoClusterAdminBindingDoc),
    configSchema: configSchemaWith(),
    validateResource: (args, reportViolation) => {
        const obj = objectOfArgs(args);
        if (!obj || !BINDING_KINDS.has(obj.kind ?? "")) return;
        const ref = roleRefOf(obj);
        if (!ref || ref.kind !== "ClusterRole") return;
        const { exemptions } = args.getConfig<{ exemptions?: Exemption[] }>();
        if (ref.name === "cluster-admin") {
            reportObject(
                reportViolation,
                rbacNoClusterAdminBindingDoc,
                obj,
                `roleRef.name is "cluster-admin", which grants every permission on every resource.`,
                exemptions,
            );
        } else if (obj.kind === "ClusterRoleBinding" && CLUSTER_WIDE_FORBIDDEN.has(ref.name)) {
            reportObject(
                reportViolation,
                rbacNoClusterAdminBindingDoc,
                obj,
                `roleRef.name is "${ref.name}" in a ClusterRoleBinding, which grants it in every namespace ` +
                    `(a RoleBinding to the "${ref.name}" ClusterRole limits it to one).`,
                exemptions,
            );
        }
    },
};

export const rbacNoSystemGroupSubjectsDoc: PolicyDoc = {
    name: "rbac-no-system-group-subjects",
    description:
        "Bindings must not name system:masters (bypasses RBAC and cannot be revoked by deleting bindings), " +
        "system:anonymous, system:unauthenticated (anyone who can reach the API) or system:authenticated (every " +
        "identity of the cluster) as a subject.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.7",
    control: "Avoid use of system:masters group",
    remediation: "bind the role to the named users, groups or service accounts that need it instead.",
};

interface SystemGroupConfig {
    exemptions?: Exemption[];
    forbiddenSubjects?: string[];
}

const systemGroupConfig = configCompiler<SystemGroupConfig, { exemptions?: Exemption[]; forbidden: Set<string> }>(
    (raw) => ({ exemptions: raw.exemptions, forbidden: new Set(raw.forbiddenSubjects ?? DEFAULT_FORBIDDEN_SUBJECTS) }),
);

const DEFAULT_FORBIDDEN_SUBJECTS = [
    "system:masters",
    "system:anonymous",
    "system:unauthenticated",
    "system:authenticated",
];

export const rbacNoSystemGroupSubjects: ResourceValidationPolicy = {
    ...policyMetadata(rbacNoSystemGroupSubjectsDoc),
    configSchema: configSchemaWith({
        forbiddenSubjects: {
            type: "array",
            description: "User and group names no binding may name as a subject.",
            default: DEFAULT_FORBIDDEN_SUBJECTS,
            items: { type: "string", minLength: 1 },
        },
    }),
    validateResource: (args, reportViolation) => {
        const obj = objectOfArgs(args);
        if (!obj || !BINDING_KINDS.has(obj.kind ?? "")) return;
        const config = systemGroupConfig(args);
        for (const s of subjectsOf(obj)) {
            if (s.kind === "ServiceAccount" || !config.forbidden.has(s.name)) continue;
            reportObject(
                reportViolation,
                rbacNoSystemGroupSubjectsDoc,
                obj,
                `subjects[${s.index}] is ${s.kind} "${s.name}", a built-in group that cannot be scoped to the ` +
                    `people or workloads that need the role.`,
                config.exemptions,
            );
        }
    },
};
