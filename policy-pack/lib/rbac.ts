/**
 * The RBAC model shared by the policies: reading PolicyRules defensively, deciding whether a rule grants a verb on a
 * resource the way the Kubernetes RBAC authorizer does (wildcards, `*\/subresource`), the table of dangerous
 * permissions from CIS Kubernetes Benchmark section 5.1, bindings and their subjects, and aggregation selectors.
 */
import { KubeObject } from "./kubernetes";

/** One PolicyRule, as found in a Role or ClusterRole, normalised to arrays of strings. */
export interface Rule {
    /** Position in `rules`, for messages (`rules[2]`). */
    index: number;
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames: string[];
    nonResourceURLs: string[];
}

/** The kinds that hold PolicyRules. */
export const ROLE_KINDS: ReadonlySet<string> = new Set(["Role", "ClusterRole"]);
/** The kinds that grant a role to subjects. */
export const BINDING_KINDS: ReadonlySet<string> = new Set(["RoleBinding", "ClusterRoleBinding"]);

export const RBAC_GROUP = "rbac.authorization.k8s.io";

function strings(value: unknown): string[] {
    if (!Array.isArray(value)) return [];
    const out: string[] = [];
    for (const v of value) if (typeof v === "string") out.push(v);
    return out;
}

/**
 * The rules of a Role or ClusterRole. Absent, null or malformed `rules` mean no rules (an object that grants
 * nothing); entries that are not objects are skipped but keep their index.
 */
export function rulesOf(obj: KubeObject): Rule[] {
    const raw = obj.rules;
    if (!Array.isArray(raw)) return [];
    const out: Rule[] = [];
    for (let index = 0; index < raw.length; index++) {
        const r = raw[index];
        if (!r || typeof r !== "object") continue;
        const rule = r as Record<string, unknown>;
        out.push({
            index,
            apiGroups: strings(rule.apiGroups),
            resources: strings(rule.resources),
            verbs: strings(rule.verbs),
            resourceNames: strings(rule.resourceNames),
            nonResourceURLs: strings(rule.nonResourceURLs),
        });
    }
    return out;
}

/** A resource request to test rules against: API group (`""` for core), resource (`pods/exec`) and verb. */
export interface Permission {
    apiGroup: string;
    resource: string;
    verb: string;
}

/** True when a rule's resources match `resource` (which may be `resource/subresource`), as the authorizer does. */
export function resourceMatches(rule: Rule, resource: string): boolean {
    const slash = resource.indexOf("/");
    const sub = slash < 0 ? "" : resource.slice(slash + 1);
    for (const r of rule.resources) {
        if (r === "*" || r === resource) return true;
        if (sub && r === `*/${sub}`) return true;
    }
    return false;
}

/** True when the rule grants the permission (ignoring resourceNames; see {@link Rule.resourceNames}). */
export function grants(rule: Rule, p: Permission): boolean {
    if (!(rule.verbs.includes("*") || rule.verbs.includes(p.verb))) return false;
    if (!(rule.apiGroups.includes("*") || rule.apiGroups.includes(p.apiGroup))) return false;
    return resourceMatches(rule, p.resource);
}

/** Every permission of `perms` the rule grants. */
export function grantedOf(rule: Rule, perms: readonly Permission[]): Permission[] {
    return perms.filter((p) => grants(rule, p));
}

/** Expands groups x resources x verbs into a list of permissions. */
export function permissions(apiGroups: string[], resources: string[], verbs: string[]): Permission[] {
    const out: Permission[] = [];
    for (const apiGroup of apiGroups) {
        for (const resource of resources) for (const verb of verbs) out.push({ apiGroup, resource, verb });
    }
    return out;
}

/** `verb group/resource` for messages (`create apps/deployments`, `get secrets`). */
export function showPermission(p: Permission): string {
    return `${p.verb} ${p.apiGroup ? `${p.apiGroup}/` : ""}${p.resource}`;
}

export const READ_VERBS = ["get", "list", "watch"];
export const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"];

/** Workload resources whose creation runs pods (CIS 5.1.4), with their API groups. */
export const WORKLOAD_RESOURCES: readonly { apiGroup: string; resource: string }[] = [
    { apiGroup: "", resource: "pods" },
    { apiGroup: "", resource: "replicationcontrollers" },
    { apiGroup: "apps", resource: "deployments" },
    { apiGroup: "apps", resource: "replicasets" },
    { apiGroup: "apps", resource: "statefulsets" },
    { apiGroup: "apps", resource: "daemonsets" },
    { apiGroup: "batch", resource: "jobs" },
    { apiGroup: "batch", resource: "cronjobs" },
    { apiGroup: "argoproj.io", resource: "rollouts" },
];

/**
 * A dangerous permission class from CIS 5.1 (or the RBAC good-practices page). `match` returns, for one rule, what
 * the rule grants of this class, each shown for a message (`create apps/deployments`, `verbs[0]="*"`); empty when
 * the rule grants none of it.
 */
export interface DangerousPermission {
    /** Short id used in messages and by the aggregation policy. */
    id: string;
    /** What the permission allows an attacker, for messages. */
    risk: string;
    match(rule: Rule): string[];
}

function byPermissions(perms: readonly Permission[]): (rule: Rule) => string[] {
    return (rule) => grantedOf(rule, perms).map(showPermission);
}

export const SECRET_READ: DangerousPermission = {
    id: "secret-read",
    risk: "reads the contents of every Secret in scope, including service account tokens and credentials",
    // resourceNames limits the rule to named Secrets, which is the least-privilege form CIS 5.1.2 asks for.
    match: (rule) =>
        rule.resourceNames.length > 0
            ? []
            : grantedOf(rule, permissions([""], ["secrets"], READ_VERBS)).map(showPermission),
};

/** Permissions that start pods or run commands in them (CIS 5.1.4). */
export const POD_CREATE_PERMISSIONS: readonly Permission[] = [
    ...WORKLOAD_RESOURCES.map((w) => ({ ...w, verb: "create" })),
    // exec and attach are `create` requests; websocket clients upgrade with a GET, which older API servers
    // authorise as `get` on the subresource, so `get` is as dangerous.
    ...permissions([""], ["pods/exec", "pods/attach"], ["create", "get"]),
    ...permissions([""], ["pods/ephemeralcontainers"], ["create", "update", "patch"]),
];

export const POD_CREATE: DangerousPermission = {
    id: "pod-create",
    risk: "starts pods (or runs commands in them) with any service account, image or host access the namespace allows",
    match: byPermissions(POD_CREATE_PERMISSIONS),
};

const ESCALATION_TARGETS: readonly Permission[] = [
    ...permissions([RBAC_GROUP], ["roles", "clusterroles"], ["escalate", "bind"]),
    ...permissions([""], ["users", "groups", "serviceaccounts"], ["impersonate"]),
    ...permissions(["authentication.k8s.io"], ["uids", "userextras/scopes"], ["impersonate"]),
];

export const ESCALATION_VERBS: DangerousPermission = {
    id: "escalate-bind-impersonate",
    risk: "grants itself or others permissions beyond its own (escalate, bind) or acts as another identity (impersonate)",
    match: (rule) => {
        // The verbs are dangerous on whatever resource they are named for; a wildcard verb is judged on the
        // resources the verbs apply to.
        const verbs = rule.verbs.filter((v) => v === "escalate" || v === "bind" || v === "impersonate");
        if (verbs.length === 0) return grantedOf(rule, ESCALATION_TARGETS).map(showPermission);
        const groups = rule.apiGroups.length ? rule.apiGroups : [""];
        const resources = rule.resources.length ? rule.resources : ["(no resources)"];
        return permissions(groups, resources, verbs).map(showPermission);
    },
};

export const PV_CREATE: DangerousPermission = {
    id: "persistentvolume-create",
    risk: "creates PersistentVolumes, including hostPath volumes that expose the node's filesystem",
    match: byPermissions(permissions([""], ["persistentvolumes"], ["create"])),
};

export const NODE_PROXY: DangerousPermission = {
    id: "nodes-proxy",
    risk: "talks to the kubelet API directly, which runs commands in any pod on the node and bypasses audit logging",
    match: byPermissions(permissions([""], ["nodes/proxy"], ["get", "create", "update", "patch", "delete"])),
};

export const CSR_APPROVAL: DangerousPermission = {
    id: "csr-approval",
    risk: "approves certificate signing requests, i.e. issues client certificates for any user or group",
    match: byPermissions([
        { apiGroup: "certificates.k8s.io", resource: "certificatesigningrequests/approval", verb: "update" },
        { apiGroup: "certificates.k8s.io", resource: "signers", verb: "approve" },
    ]),
};

export const WEBHOOK_WRITE: DangerousPermission = {
    id: "webhook-config-write",
    risk: "changes admission webhooks, which see (and can rewrite or silently allow) every object sent to the API",
    match: byPermissions(
        permissions(
            ["admissionregistration.k8s.io"],
            ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
            ["create", "update", "patch", "delete", "deletecollection"],
        ),
    ),
};

export const TOKEN_CREATE: DangerousPermission = {
    id: "serviceaccount-token-create",
    risk: "mints tokens for service accounts, i.e. acts as any service account in scope",
    match: byPermissions(permissions([""], ["serviceaccounts/token"], ["create"])),
};

export const NAMESPACE_WRITE: DangerousPermission = {
    id: "namespace-write",
    risk: "relabels namespaces, which switches off Pod Security Admission and escapes label-based network policies",
    match: byPermissions(permissions([""], ["namespaces"], ["update", "patch"])),
};

/** Wildcards (CIS 5.1.3): every field of the rule with an entry containing `*`, as `field[index]`. */
export function wildcardFields(rule: Rule): { field: string; value: string }[] {
    const out: { field: string; value: string }[] = [];
    for (const field of ["verbs", "apiGroups", "resources", "nonResourceURLs"] as const) {
        rule[field].forEach((value, i) => {
            if (value.includes("*")) out.push({ field: `${field}[${i}]`, value });
        });
    }
    return out;
}

export const WILDCARD: DangerousPermission = {
    id: "wildcard",
    risk: "grants every current and future verb, resource or API group",
    match: (rule) => wildcardFields(rule).map((w) => `${w.field}=${JSON.stringify(w.value)}`),
};

/** Every dangerous permission class, used where no identity may hold any of them (aggregated roles). */
export const ALL_DANGEROUS: readonly DangerousPermission[] = [
    WILDCARD,
    SECRET_READ,
    POD_CREATE,
    ESCALATION_VERBS,
    PV_CREATE,
    NODE_PROXY,
    CSR_APPROVAL,
    WEBHOOK_WRITE,
    TOKEN_CREATE,
    NAMESPACE_WRITE,
];

/** A binding's subject. */
export interface Subject {
    index: number;
    kind: string;
    name: string;
    namespace?: string;
}

/** The subjects of a binding; malformed entries are skipped but keep their index. */
export function subjectsOf(obj: KubeObject): Subject[] {
    const raw = obj.subjects;
    if (!Array.isArray(raw)) return [];
    const out: Subject[] = [];
    raw.forEach((s, index) => {
        if (!s || typeof s !== "object") return;
        const subj = s as Record<string, unknown>;
        if (typeof subj.kind !== "string" || typeof subj.name !== "string") return;
        out.push({
            index,
            kind: subj.kind,
            name: subj.name,
            namespace: typeof subj.namespace === "string" ? subj.namespace : undefined,
        });
    });
    return out;
}

/** A binding's roleRef, or undefined when it is absent or malformed. */
export function roleRefOf(obj: KubeObject): { kind: string; name: string } | undefined {
    const ref = obj.roleRef as Record<string, unknown> | undefined;
    if (!ref || typeof ref !== "object") return undefined;
    if (typeof ref.kind !== "string" || typeof ref.name !== "string") return undefined;
    return { kind: ref.kind, name: ref.name };
}

/** Namespace of a namespaced object; Kubernetes (and Pulumi's provider by default) puts one without it in `default`. */
export function namespaceOf(obj: KubeObject): string {
    const ns = obj.metadata?.namespace;
    return typeof ns === "string" && ns !== "" ? ns : "default";
}

/**
 * The ServiceAccount a subject stands for, as `namespace/name`, or undefined for users and groups that are not
 * service accounts. A RoleBinding's ServiceAccount subject without a namespace is in the binding's namespace.
 */
export function serviceAccountOfSubject(subject: Subject, bindingNamespace: string | undefined): string | undefined {
    if (subject.kind === "ServiceAccount")
        return `${subject.namespace ?? bindingNamespace ?? "default"}/${subject.name}`;
    if (subject.kind === "User") {
        const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject.name);
        if (m) return `${m[1]}/${m[2]}`;
    }
    return undefined;
}

/** A stable key for a subject, so that the same identity written two ways compares equal. */
export function subjectKey(subject: Subject, bindingNamespace: string | undefined): string {
    const sa = serviceAccountOfSubject(subject, bindingNamespace);
    return sa ? `ServiceAccount ${sa}` : `${subject.kind} ${subject.name}`;
}

/** A label selector (matchLabels and matchExpressions), as used in `aggregationRule.clusterRoleSelectors`. */
export interface LabelSelector {
    matchLabels?: Record<string, unknown>;
    matchExpressions?: { key?: unknown; operator?: unknown; values?: unknown }[];
}

/** True when the labels satisfy the selector. An empty selector matches everything, as in Kubernetes. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, unknown> | undefined): boolean {
    const l = labels ?? {};
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
    for (const e of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
        if (!e || typeof e.key !== "string") return false;
        const values = strings(e.values);
        const has = Object.prototype.hasOwnProperty.call(l, e.key);
        const value = l[e.key];
        switch (e.operator) {
            case "In":
                if (!has || !values.includes(String(value))) return false;
                break;
            case "NotIn":
                if (has && values.includes(String(value))) return false;
                break;
            case "Exists":
                if (!has) return false;
                break;
            case "DoesNotExist":
                if (has) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** The clusterRoleSelectors of a ClusterRole's aggregationRule, or undefined when it has none. */
export function aggregationSelectorsOf(obj: KubeObject): LabelSelector[] | undefined {
    const rule = obj.aggregationRule as Record<string, unknown> | undefined;
    if (!rule || typeof rule !== "object") return undefined;
    const selectors = rule.clusterRoleSelectors;
    if (!Array.isArray(selectors)) return [];
    return selectors.filter((s): s is LabelSelector => !!s && typeof s === "object");
}

/** Labels that aggregate a ClusterRole into the built-in user-facing roles. */
export const AGGREGATE_LABEL = /^rbac\.authorization\.k8s\.io\/aggregate-to-(admin|edit|view)$/;

const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
const READ = ["get", "list", "watch"];

/** Resources of the built-in roles, per API group (condensed from the API server's bootstrap policy). */
const EDITABLE: Record<string, string[]> = {
    "": [
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "configmaps",
        "events",
        "persistentvolumeclaims",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "secrets",
        "serviceaccounts",
        "services",
        "services/proxy",
    ],
    apps: [
        "daemonsets",
        "deployments",
        "deployments/rollback",
        "deployments/scale",
        "replicasets",
        "replicasets/scale",
        "statefulsets",
        "statefulsets/scale",
    ],
    autoscaling: ["horizontalpodautoscalers"],
    batch: ["cronjobs", "jobs"],
    "networking.k8s.io": ["ingresses", "networkpolicies"],
    policy: ["poddisruptionbudgets"],
};

function builtInRules(resources: Record<string, string[]>, verbs: string[]): Record<string, string[]>[] {
    return Object.entries(resources).map(([group, res]) => ({ apiGroups: [group], resources: res, verbs }));
}

const VIEWABLE: Record<string, string[]> = Object.fromEntries(
    Object.entries(EDITABLE).map(([group, res]) => [
        group,
        // view reads everything edit writes except Secrets and the pod and service subresources that act on them.
        res.filter((r) => r !== "secrets" && !/^(pods|services)\/(attach|exec|portforward|proxy)$/.test(r)),
    ]),
);

const EDIT_RULES = [
    ...builtInRules(EDITABLE, [...WRITE, ...READ]),
    { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
];

/**
 * Rules of the built-in user-facing ClusterRoles, condensed from the API server's bootstrap policy: enough to judge
 * what a binding to them grants. Used where a binding refers to a ClusterRole the stack does not define.
 */
export const BUILT_IN_CLUSTER_ROLES: Readonly<Record<string, readonly Record<string, string[]>[]>> = {
    "cluster-admin": [
        { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
        { nonResourceURLs: ["*"], verbs: ["*"] },
    ],
    admin: [
        ...EDIT_RULES,
        { apiGroups: [RBAC_GROUP], resources: ["roles", "rolebindings"], verbs: [...WRITE, ...READ] },
        { apiGroups: ["authorization.k8s.io"], resources: ["localsubjectaccessreviews"], verbs: ["create"] },
    ],
    edit: EDIT_RULES,
    view: builtInRules(VIEWABLE, READ),
};
