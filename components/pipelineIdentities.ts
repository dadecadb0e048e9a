import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, collectErrors, formatArgErrors } from "./lib/validation";

/** The three CI identities and what each may do; the README's table is generated from the same data by a test. */
export type PipelineRole = "builder" | "deployer" | "auditor";

/** Label that tells the policy pack which pipeline identity a ServiceAccount is. */
export const PIPELINE_ROLE_LABEL = "platform.zdp.dev/pipeline-role";

/** Read verbs. */
const READ = ["get", "list", "watch"];
/** Write verbs a deployer needs to apply and remove objects. */
const WRITE = ["create", "update", "patch", "delete"];

/** Rules of the deployer's Role in each service namespace: the release kinds, nothing else. */
export const DEPLOYER_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
    {
        apiGroups: ["argoproj.io"],
        resources: ["rollouts", "analysistemplates"],
        verbs: [...READ, ...WRITE],
    },
    // Promote and abort are patches of the Rollout's status subresource.
    { apiGroups: ["argoproj.io"], resources: ["rollouts/status"], verbs: ["get", "update", "patch"] },
    { apiGroups: ["argoproj.io"], resources: ["analysisruns", "experiments"], verbs: READ },
    {
        apiGroups: [""],
        resources: ["services", "configmaps", "serviceaccounts"],
        verbs: [...READ, ...WRITE],
    },
    // Write-only: the deployer may set a service's secret env but never read a Secret back.
    { apiGroups: [""], resources: ["secrets"], verbs: WRITE },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: [...READ, ...WRITE] },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: [...READ, ...WRITE] },
    {
        apiGroups: ["networking.istio.io"],
        resources: ["virtualservices", "destinationrules"],
        verbs: [...READ, ...WRITE],
    },
    // Enough to follow a release: which pods and ReplicaSets run, and why they are not ready.
    { apiGroups: [""], resources: ["pods", "events", "endpoints"], verbs: READ },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: READ },
];

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
    { apiGroups: ["apps"], resources: ["replicasets", "deployments"], verbs: READ },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: READ },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
    { apiGroups: ["networking.istio.io"], resources: ["virtualservices", "destinationrules"], verbs: READ },
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
}

/**
 * Least-privilege identities for CI: a **builder** that pushes images (no rights on workloads), a **deployer** that
 * applies the release kinds in service namespaces (no Secret reads, no RBAC) and an **auditor** that reads (no
 * Secrets). ServiceAccounts plus namespaced Roles and RoleBindings only; no ClusterRoles, no wildcards.
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
        const errors = collectErrors(
            checkDnsLabel("namespace", namespace),
            serviceNamespaces.map((ns, i) => checkDnsLabel(`serviceNamespaces[${i}]`, ns)),
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
            grant("deployer", serviceNs, serviceNs, DEPLOYER_RULES);
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
