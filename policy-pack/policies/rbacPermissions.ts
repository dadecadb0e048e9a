/**
 * The dangerous permissions of CIS Kubernetes Benchmark section 5.1, one policy per control so that a stack can
 * relax or exempt each on its own: Secrets read (5.1.2), pod creation and exec (5.1.4), escalate/bind/impersonate
 * (5.1.8), PersistentVolume creation (5.1.9), nodes/proxy (5.1.10), CSR approval (5.1.11), admission webhook
 * configuration (5.1.12), service account token creation (5.1.13), and namespace updates (RBAC good practices).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { KubeObject } from "../lib/kubernetes";
import { Exemption, PolicyDoc, namesObject } from "../lib/policyKit";
import {
    CSR_APPROVAL,
    DangerousPermission,
    ESCALATION_VERBS,
    NAMESPACE_WRITE,
    NODE_PROXY,
    POD_CREATE,
    POD_CREATE_PERMISSIONS,
    PV_CREATE,
    Permission,
    SECRET_READ,
    TOKEN_CREATE,
    WEBHOOK_WRITE,
    grantedOf,
    showPermission,
} from "../lib/rbac";
import { dangerousCheck, rulePolicy, showList } from "../lib/rolePolicy";

/** Builds the policy for one dangerous-permission class with no config besides exemptions. */
function dangerPolicy(doc: PolicyDoc, danger: DangerousPermission): ResourceValidationPolicy {
    return rulePolicy({ doc, check: dangerousCheck(danger) });
}

export const rbacNoSecretReadDoc: PolicyDoc = {
    name: "rbac-no-secret-read",
    description:
        "Roles and ClusterRoles must not grant get, list or watch on Secrets unless the rule names the Secrets in " +
        "resourceNames: list and watch return the full contents of every Secret in scope.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.2",
    control: "Minimize access to secrets",
    remediation:
        "restrict the rule to the Secrets the subject needs with resourceNames (get only), or mount the Secret into " +
        "the workload instead of reading it through the API.",
};
export const rbacNoSecretRead = dangerPolicy(rbacNoSecretReadDoc, SECRET_READ);

/** A role that may create some workload kinds: the platform deployer creates Rollouts, nothing else. */
export interface AllowedCreator {
    kind: string;
    namespace?: string;
    name: string;
    resources: { apiGroup: string; resource: string }[];
}

interface PodCreateConfig {
    exemptions?: Exemption[];
    allowedCreators?: AllowedCreator[];
}

export const rbacNoPodCreateDoc: PolicyDoc = {
    name: "rbac-no-pod-create",
    description:
        "Only the roles named in allowedCreators may create workloads (Pods, Deployments, ReplicaSets, " +
        "StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers, Rollouts), and then only the kinds " +
        "listed for them; no role may exec into, attach to or add ephemeral containers to pods.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.4",
    control: "Minimize access to create pods",
    remediation:
        "remove the create permission (and pods/exec, pods/attach, pods/ephemeralcontainers) from the rule; if a " +
        "release identity needs to create a workload kind, add its role and that kind to allowedCreators.",
};

export const rbacNoPodCreate = rulePolicy<PodCreateConfig>({
    doc: rbacNoPodCreateDoc,
    schema: {
        allowedCreators: {
            type: "array",
            description:
                "Roles allowed to create the listed workload kinds: {kind, namespace?, name, resources: " +
                '[{apiGroup, resource}]}. Namespace "*" matches the role in every namespace.',
            default: [
                {
                    kind: "Role",
                    namespace: "*",
                    name: "pipeline-deployer",
                    // Rollouts, and the releases' expand/contract migration Jobs (no API token, awaited by the engine).
                    resources: [
                        { apiGroup: "argoproj.io", resource: "rollouts" },
                        { apiGroup: "batch", resource: "jobs" },
                    ],
                },
            ],
            items: {
                type: "object",
                additionalProperties: false,
                required: ["kind", "name", "resources"],
                properties: {
                    kind: { type: "string", enum: ["Role", "ClusterRole"] },
                    namespace: { type: "string", minLength: 1 },
                    name: { type: "string", minLength: 1 },
                    resources: {
                        type: "array",
                        minItems: 1,
                        items: {
                            type: "object",
                            additionalProperties: false,
                            required: ["apiGroup", "resource"],
                            properties: {
                                apiGroup: { type: "string", description: '"" for the core group.' },
                                resource: { type: "string", minLength: 1 },
                            },
                        },
                    },
                },
            },
        },
    },
    check: (rule, obj, config) => {
        const allowed = allowedFor(config.allowedCreators, obj);
        const found = grantedOf(rule, POD_CREATE_PERMISSIONS).filter(
            (p) =>
                !(p.verb === "create" && allowed.some((a) => a.apiGroup === p.apiGroup && a.resource === p.resource)),
        );
        if (found.length === 0) return [];
        const grants = found.map(showPermission);
        return [{ detail: `rules[${rule.index}] grants ${showList(grants)}, which ${POD_CREATE.risk}.`, grants }];
    },
});

function allowedFor(
    creators: readonly AllowedCreator[] | undefined,
    obj: KubeObject,
): Pick<Permission, "apiGroup" | "resource">[] {
    return (creators ?? []).filter((c) => namesObject(c, obj)).flatMap((c) => c.resources);
}

export const rbacNoEscalationVerbsDoc: PolicyDoc = {
    name: "rbac-no-escalation-verbs",
    description:
        "Roles and ClusterRoles must not grant escalate or bind (on roles/clusterroles) or impersonate (on users, " +
        "groups, service accounts): each lets the holder gain permissions nobody granted it.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.8",
    control: "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
    remediation:
        "remove escalate, bind and impersonate from the rule; grant the needed permissions directly through a " +
        "reviewed Role and RoleBinding instead.",
};
export const rbacNoEscalationVerbs = dangerPolicy(rbacNoEscalationVerbsDoc, ESCALATION_VERBS);

export const rbacNoPersistentVolumeCreateDoc: PolicyDoc = {
    name: "rbac-no-persistentvolume-create",
    description:
        "Roles and ClusterRoles must not grant create on PersistentVolumes: a hostPath PersistentVolume gives a pod " +
        "the node's filesystem. Workloads should claim storage through PersistentVolumeClaims.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.9",
    control: "Minimize access to create persistent volumes",
    remediation: "remove create on persistentvolumes; use PersistentVolumeClaims and a StorageClass instead.",
};
export const rbacNoPersistentVolumeCreate = dangerPolicy(rbacNoPersistentVolumeCreateDoc, PV_CREATE);

export const rbacNoNodeProxyDoc: PolicyDoc = {
    name: "rbac-no-node-proxy",
    description:
        "Roles and ClusterRoles must not grant access to nodes/proxy: it reaches the kubelet API directly, which can " +
        "run commands in any pod on the node without an audit trail.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.10",
    control: "Minimize access to the proxy sub-resource of nodes",
    remediation: "remove nodes/proxy from the rule; read node metrics through the metrics API instead.",
};
export const rbacNoNodeProxy = dangerPolicy(rbacNoNodeProxyDoc, NODE_PROXY);

export const rbacNoCsrApprovalDoc: PolicyDoc = {
    name: "rbac-no-csr-approval",
    description:
        "Roles and ClusterRoles must not grant update on certificatesigningrequests/approval or approve on " +
        "signers: together they issue client certificates for any identity, including system:masters.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.11",
    control: "Minimize access to the approval sub-resource of certificatesigningrequests objects",
    remediation: "remove the approval permissions; let the cluster's own approver controllers approve requests.",
};
export const rbacNoCsrApproval = dangerPolicy(rbacNoCsrApprovalDoc, CSR_APPROVAL);

export const rbacNoWebhookConfigWriteDoc: PolicyDoc = {
    name: "rbac-no-webhook-config-write",
    description:
        "Roles and ClusterRoles must not create, update, patch or delete validating or mutating webhook " +
        "configurations: a webhook sees every object sent to the API and can rewrite it or switch off admission checks.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.12",
    control: "Minimize access to webhook configuration objects",
    remediation: "remove write verbs on validatingwebhookconfigurations and mutatingwebhookconfigurations.",
};
export const rbacNoWebhookConfigWrite = dangerPolicy(rbacNoWebhookConfigWriteDoc, WEBHOOK_WRITE);

export const rbacNoTokenCreateDoc: PolicyDoc = {
    name: "rbac-no-token-create",
    description:
        "Roles and ClusterRoles must not grant create on serviceaccounts/token: it mints tokens for any service " +
        "account in scope, i.e. acts as them.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.13",
    control: "Minimize access to the service account token creation",
    remediation: "remove create on serviceaccounts/token; use projected service account tokens in the pod instead.",
};
export const rbacNoTokenCreate = dangerPolicy(rbacNoTokenCreateDoc, TOKEN_CREATE);

export const rbacNoNamespaceWriteDoc: PolicyDoc = {
    name: "rbac-no-namespace-write",
    description:
        "Roles and ClusterRoles must not grant update or patch on namespaces: relabelling a namespace switches off " +
        "Pod Security Admission and escapes namespace-label network policies.",
    enforcementLevel: "mandatory",
    severity: "medium",
    control: "Kubernetes RBAC good practices: namespace modification",
    remediation: "remove update and patch on namespaces; manage namespaces and their labels from the platform stack.",
};
export const rbacNoNamespaceWrite = dangerPolicy(rbacNoNamespaceWriteDoc, NAMESPACE_WRITE);
