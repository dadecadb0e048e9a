import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, collectErrors, formatArgErrors } from "./lib/validation";

/** The three CI identities and what each may do; docs/architecture.md ("Pipeline identities") describes them. */
export type PipelineRole = "builder" | "deployer" | "auditor";

/** Label that tells the policy pack which pipeline identity a ServiceAccount is. */
export const PIPELINE_ROLE_LABEL = "platform.zdp.dev/pipeline-role";

/** Read verbs. */
const READ = ["get", "list", "watch"];

/**
 * The verbs Pulumi's Kubernetes provider uses on an object it manages, with server-side apply (index.ts sets
 * `enableServerSideApply`), and no others:
 * - `get`: an update and a refresh read the live object first, and create and update read it back;
 * - `list`, `watch`: await logic and deletion wait through watches and informers (a Service's await watches Services
 *   and Endpoints, a deletion watches the object by `metadata.name` until it is gone);
 * - `create`: apply creates a missing object with a PATCH, and the API server then also authorizes `create` for that
 *   name (its patch handler's create attributes carry the name, so `resourceNames` still restrict it); a preview
 *   sends the same request as a dry run, which needs the same rights;
 * - `patch`: every create, update and preview is an apply PATCH; taking over client-side field managers is a JSON
 *   patch;
 * - `delete`: a resource removed from the program.
 * Never `update`: the provider PUTs only CustomResourceDefinitions (never in a service namespace); never
 * `deletecollection`.
 */
export const APPLY_VERBS = ["get", "list", "watch", "create", "patch", "delete"] as const;

/** A resource kind as RBAC names it. */
export interface ResourceRef {
    apiGroup: string;
    resource: string;
}

/**
 * What a release (BlueGreenService) creates in its service namespace, which the deployer therefore manages with
 * {@link APPLY_VERBS}. A test derives this list from the render of every stack: it must be exactly that. Secrets are
 * apart ({@link PipelineIdentitiesArgs.releaseSecrets}): only the ones the program declares, by name.
 */
export const DEPLOYER_MANAGED: readonly ResourceRef[] = [
    { apiGroup: "argoproj.io", resource: "rollouts" },
    { apiGroup: "argoproj.io", resource: "analysistemplates" },
    { apiGroup: "", resource: "services" },
    { apiGroup: "", resource: "serviceaccounts" },
    { apiGroup: "policy", resource: "poddisruptionbudgets" },
    { apiGroup: "networking.k8s.io", resource: "networkpolicies" },
    { apiGroup: "networking.istio.io", resource: "virtualservices" },
    { apiGroup: "networking.istio.io", resource: "destinationrules" },
    { apiGroup: "security.istio.io", resource: "peerauthentications" },
];

/** A kind only some releases create, with the Pulumi type token the component registers it under. */
export interface OptionalReleaseKind extends ResourceRef {
    type: string;
    /** Further rules the engine needs where the kind is managed. */
    extraRules: k8s.types.input.rbac.v1.PolicyRule[];
}

/**
 * Kinds a release creates only when it opts in: the deployer manages them (with {@link APPLY_VERBS}) only in the
 * namespaces where a release does ({@link PipelineIdentitiesArgs.releaseKinds}). The same render test derives them.
 */
export const DEPLOYER_OPTIONAL: readonly OptionalReleaseKind[] = [
    // A public preview (`traffic.previewExposure: public`): its token check and its access policy.
    {
        apiGroup: "security.istio.io",
        resource: "requestauthentications",
        type: "kubernetes:security.istio.io/v1:RequestAuthentication",
        extraRules: [],
    },
    {
        apiGroup: "security.istio.io",
        resource: "authorizationpolicies",
        type: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
        extraRules: [],
    },
    // The expand/contract migrations (`migrations`): their Jobs, which the engine awaits before the Rollout changes.
    // The provider's Job await lists and watches the namespace's Pods to report why a migration's pod fails.
    {
        apiGroup: "batch",
        resource: "jobs",
        type: "kubernetes:batch/v1:Job",
        extraRules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] }],
    },
];

/**
 * The `releaseKinds` entries (`namespace/<type token>`) for a release in `namespace` that registers resources of
 * `types`: those of {@link DEPLOYER_OPTIONAL}, each once.
 */
export function optionalReleaseKinds(namespace: string, types: readonly string[]): string[] {
    return DEPLOYER_OPTIONAL.filter((k) => types.includes(k.type)).map((k) => `${namespace}/${k.type}`);
}

/**
 * The deployer's rights beyond the objects it manages, each needed by the engine or by a runbook action, none a write
 * of an object of its own:
 */
export const DEPLOYER_EXTRA_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    // The engine's await of a Service waits for its Endpoints (the provider watches them in the namespace).
    { apiGroups: [""], resources: ["endpoints"], verbs: READ },
    // `kubectl argo rollouts abort|promote|retry` patch the Rollout's status subresource (docs/runbooks/rollback.md).
    { apiGroups: ["argoproj.io"], resources: ["rollouts/status"], verbs: ["patch"] },
    // `kubectl argo rollouts undo` finds the previous revision's pod template in its ReplicaSet.
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
];

/** One rule per API group of `refs` (in first-seen order), each with `verbs`. */
function rulesFor(refs: readonly ResourceRef[], verbs: readonly string[]): k8s.types.input.rbac.v1.PolicyRule[] {
    const byGroup = new Map<string, string[]>();
    for (const r of refs) byGroup.set(r.apiGroup, [...(byGroup.get(r.apiGroup) ?? []), r.resource]);
    return [...byGroup].map(([group, resources]) => ({ apiGroups: [group], resources, verbs: [...verbs] }));
}

/**
 * Rules of the deployer's Role in a service namespace: manage the release kinds and the `optional` kinds the
 * namespace's releases create (with what the engine needs for them), manage the Secrets named in `secretNames` (the
 * releases' `<service>-env`: the deployer reads back only what it wrote), and the extras above.
 */
export function deployerRules(
    secretNames: readonly string[] = [],
    optional: readonly OptionalReleaseKind[] = [],
): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        ...rulesFor([...DEPLOYER_MANAGED, ...optional], APPLY_VERBS),
        ...optional.flatMap((k) => k.extraRules),
        ...(secretNames.length > 0
            ? [{ apiGroups: [""], resources: ["secrets"], resourceNames: [...secretNames], verbs: [...APPLY_VERBS] }]
            : []),
        ...DEPLOYER_EXTRA_RULES,
    ];
}

/** Rules of the deployer's Role in a service namespace without Secrets of its own. */
export const DEPLOYER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = deployerRules();

/** Rules of the auditor's Role in each service namespace: read-only, never Secrets. */
export const AUDITOR_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    {
        apiGroups: ["argoproj.io"],
        resources: ["rollouts", "analysistemplates", "analysisruns", "experiments"],
        verbs: READ,
    },
    {
        apiGroups: [""],
        resources: ["services", "configmaps", "serviceaccounts", "pods", "events", "endpoints"],
        verbs: READ,
    },
    // The logs of a service's pods and of its smoke-test and check-traffic Jobs (`kubectl logs` is a get).
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    { apiGroups: ["events.k8s.io"], resources: ["events"], verbs: READ },
    { apiGroups: ["batch"], resources: ["jobs"], verbs: READ },
    { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: READ },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
    { apiGroups: ["networking.istio.io"], resources: ["virtualservices", "destinationrules"], verbs: READ },
    {
        apiGroups: ["security.istio.io"],
        resources: ["peerauthentications", "requestauthentications", "authorizationpolicies"],
        verbs: READ,
    },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
];

/** Name of the Secret holding the registry push credential, the only thing the builder may read. */
export const REGISTRY_PUSH_SECRET = "registry-push";

/** Rules of the builder's Role in the pipeline namespace: read the one push credential, nothing on workloads. */
export const BUILDER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    { apiGroups: [""], resources: ["secrets"], resourceNames: [REGISTRY_PUSH_SECRET], verbs: ["get"] },
];

/** `namespace/name` of each pipeline identity's ServiceAccount. */
export interface PipelineServiceAccounts {
    builder: string;
    deployer: string;
    auditor: string;
}

export interface PipelineIdentitiesArgs {
    /** Namespace holding the pipeline ServiceAccounts. Defaults to "platform-pipeline". */
    readonly namespace?: string;
    /** Service namespaces the deployer releases into and the auditor reads. Defaults to none. */
    readonly serviceNamespaces?: string[];
    /**
     * Secrets the program's releases create (`namespace/name`, e.g. `shop/checkout-env` for a service with
     * `secretEnv`): the deployer manages exactly these, by name, and no other Secret. Defaults to none.
     */
    readonly releaseSecrets?: string[];
    /**
     * Kinds only some releases create, where they create them, as `namespace/<Pulumi type token>` (e.g.
     * `shop/kubernetes:batch/v1:Job` for a service with migrations; `optionalReleaseKinds` derives them): the
     * deployer manages each only in those namespaces. Defaults to none.
     */
    readonly releaseKinds?: string[];
}

/**
 * Least-privilege identities for CI: a **builder** that pushes images (no rights on workloads), a **deployer** that
 * applies the release kinds in service namespaces (Secrets only by name, no RBAC) and an **auditor** that reads
 * (logs and events too; no Secrets). ServiceAccounts plus namespaced Roles and RoleBindings only; no ClusterRoles, no wildcards.
 */
export class PipelineIdentities extends pulumi.ComponentResource {
    /** Namespace of the pipeline ServiceAccounts. */
    public readonly namespace: pulumi.Output<string>;
    /** `namespace/name` of each identity's ServiceAccount. */
    public readonly serviceAccounts: pulumi.Output<PipelineServiceAccounts>;

    constructor(name: string, args: PipelineIdentitiesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("zdp:index:PipelineIdentities", name, args, opts);

        const namespace = args.namespace ?? "platform-pipeline";
        const serviceNamespaces = args.serviceNamespaces ?? [];
        const releaseSecrets = args.releaseSecrets ?? [];
        const releaseKinds = [...new Set(args.releaseKinds ?? [])];
        const errors = collectErrors(
            checkDnsLabel("namespace", namespace),
            serviceNamespaces.map((ns, i) => checkDnsLabel(`serviceNamespaces[${i}]`, ns)),
            releaseSecrets.map((ref, i) => checkReleaseSecret(`releaseSecrets[${i}]`, ref, serviceNamespaces)),
            (args.releaseKinds ?? []).map((ref, i) => checkReleaseKind(`releaseKinds[${i}]`, ref, serviceNamespaces)),
            new Set(releaseSecrets).size !== releaseSecrets.length
                ? "releaseSecrets must not repeat a Secret"
                : undefined,
            serviceNamespaces.includes(namespace)
                ? `serviceNamespaces must not include the pipeline namespace "${namespace}"`
                : undefined,
            new Set(serviceNamespaces).size !== serviceNamespaces.length
                ? "serviceNamespaces must not repeat a namespace"
                : undefined,
        );
        if (errors.length > 0)
            throw new pulumi.ResourceError(formatArgErrors("PipelineIdentities", name, errors), this);

        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace } }, { parent: this });
        const accounts = {} as Record<PipelineRole, k8s.core.v1.ServiceAccount>;
        for (const role of ["builder", "deployer", "auditor"] as const) {
            accounts[role] = new k8s.core.v1.ServiceAccount(
                `${name}-${role}`,
                {
                    metadata: {
                        name: `pipeline-${role}`,
                        namespace: ns.metadata.name,
                        labels: { [PIPELINE_ROLE_LABEL]: role },
                    },
                    // CI obtains short-lived tokens with the TokenRequest API; nothing mounts one.
                    automountServiceAccountToken: false,
                },
                { parent: this },
            );
        }

        const grant = (
            role: PipelineRole,
            roleNamespace: pulumi.Input<string>,
            suffix: string,
            rules: k8s.types.input.rbac.v1.PolicyRule[],
        ) => {
            const r = new k8s.rbac.v1.Role(
                `${name}-${role}-${suffix}`,
                {
                    metadata: {
                        name: `pipeline-${role}`,
                        namespace: roleNamespace,
                        labels: { [PIPELINE_ROLE_LABEL]: role },
                    },
                    rules,
                },
                { parent: this },
            );
            new k8s.rbac.v1.RoleBinding(
                `${name}-${role}-${suffix}`,
                {
                    metadata: {
                        name: `pipeline-${role}`,
                        namespace: roleNamespace,
                        labels: { [PIPELINE_ROLE_LABEL]: role },
                    },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: r.metadata.name },
                    subjects: [
                        { kind: "ServiceAccount", name: accounts[role].metadata.name, namespace: ns.metadata.name },
                    ],
                },
                { parent: this },
            );
        };

        grant("builder", ns.metadata.name, "pipeline", BUILDER_RULES);
        for (const serviceNs of serviceNamespaces) {
            const secretNames = releaseSecrets
                .filter((ref) => ref.startsWith(`${serviceNs}/`))
                .map((ref) => ref.slice(serviceNs.length + 1));
            const optional = DEPLOYER_OPTIONAL.filter((k) => releaseKinds.includes(`${serviceNs}/${k.type}`));
            grant("deployer", serviceNs, serviceNs, deployerRules(secretNames, optional));
            grant("auditor", serviceNs, serviceNs, AUDITOR_RULES);
        }

        this.namespace = ns.metadata.name;
        this.serviceAccounts = pulumi
            .all([
                ns.metadata.name,
                accounts.builder.metadata.name,
                accounts.deployer.metadata.name,
                accounts.auditor.metadata.name,
            ])
            .apply(([n, b, d, a]) => ({ builder: `${n}/${b}`, deployer: `${n}/${d}`, auditor: `${n}/${a}` }));
        this.registerOutputs({ namespace: this.namespace, serviceAccounts: this.serviceAccounts });
    }
}

/**
 * Checks one `releaseSecrets` entry: `namespace/name`, the namespace one of `serviceNamespaces` (the deployer has no
 * Role elsewhere), the name a DNS label. Returns the problem, or undefined.
 */
export function checkReleaseSecret(
    field: string,
    ref: string,
    serviceNamespaces: readonly string[],
): string | undefined {
    const parts = typeof ref === "string" ? ref.split("/") : [];
    if (parts.length !== 2) return `${field} must be "namespace/name" (got ${JSON.stringify(ref)})`;
    const [ns, name] = parts;
    if (!serviceNamespaces.includes(ns))
        return `${field} "${ref}" is in namespace "${ns}", which is not one of serviceNamespaces`;
    return checkDnsLabel(`${field} name`, name);
}

/**
 * Checks one `releaseKinds` entry: `namespace/<type token>`, the namespace one of `serviceNamespaces`, the type one
 * of {@link DEPLOYER_OPTIONAL}. Returns the problem, or undefined.
 */
export function checkReleaseKind(field: string, ref: string, serviceNamespaces: readonly string[]): string | undefined {
    const slash = typeof ref === "string" ? ref.indexOf("/") : -1;
    const known = DEPLOYER_OPTIONAL.map((k) => k.type).join(", ");
    if (slash < 0)
        return `${field} must be "namespace/<type token>", such as "shop/kubernetes:batch/v1:Job" (got ${JSON.stringify(ref)})`;
    const [ns, type] = [ref.slice(0, slash), ref.slice(slash + 1)];
    if (!serviceNamespaces.includes(ns))
        return `${field} "${ref}" is in namespace "${ns}", which is not one of serviceNamespaces`;
    if (!DEPLOYER_OPTIONAL.some((k) => k.type === type))
        return `${field} "${ref}": ${type} is not a kind only some releases create (known: ${known})`;
    return undefined;
}
