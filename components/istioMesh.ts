import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, CHARTS, checkChartRepository } from "./lib/charts";
import { ADDON_IMAGES, checkImageRegistry, deepMerge, imageValues } from "./lib/images";
import { checkChartVersion, checkDnsLabel, checkInteger, collectErrors, formatArgErrors } from "./lib/validation";

/** Label that makes Istio inject its sidecar into every pod of a namespace. */
export const INJECTION_LABEL = { "istio-injection": "enabled" } as const;

/** Pod labels of the ingress gateway installed by {@link IstioMesh} (the chart derives them from the release name). */
export const GATEWAY_POD_LABELS = { istio: "ingressgateway" } as const;

export interface IstioMeshArgs {
    /** Istio charts version (base, istiod and gateway move together). Defaults to the version pinned in `lib/charts.ts`. */
    readonly version?: string;
    /** Namespace of the control plane. Defaults to "istio-system". */
    readonly namespace?: string;
    /** Namespace of the ingress gateway. Defaults to "istio-ingress". */
    readonly gatewayNamespace?: string;
    /** istiod replicas; 2 or more gives a highly available control plane. Defaults to 1. */
    readonly istiodReplicas?: number;
    /** Ingress gateway replicas (also the autoscaler's minimum). Defaults to 1. */
    readonly gatewayReplicas?: number;
    /** Host names the shared `Gateway` accepts. Defaults to ["*"]. */
    readonly hosts?: string[];
    /** Namespaces to create and label for sidecar injection (the service namespaces). Defaults to none. */
    readonly injectedNamespaces?: string[];
    /**
     * Istio is already installed another way (a managed mesh, GitOps, another stack): install no chart and create
     * neither the control plane's nor the gateway's namespace; create only the shared Gateway, the injected service
     * namespaces and STRICT mutual TLS in each of them (the mesh-wide policy stays the mesh owner's). Defaults to
     * false (install).
     */
    readonly existing?: boolean;
    /**
     * Repository of the base, istiod and gateway charts: an organisation's mirror as `oci://host/path` or an HTTP(S)
     * chart repository. Defaults to Istio's own repository (`lib/charts.ts`).
     */
    readonly chartRepository?: string;
    /**
     * Registry (host and optional path) that mirrors Istio's images; istiod and the proxy run from it, pinned by the
     * digests in `lib/images.ts`. Defaults to the upstream registry, still pinned by digest.
     */
    readonly imageRegistry?: string;
}

/**
 * Istio service mesh: `base` (CRDs) → `istiod` → ingress `gateway`, from the official Istio charts, plus mesh-wide
 * STRICT mutual TLS, a shared ingress `Gateway` and the service namespaces labelled for sidecar injection. With
 * `existing`, only the Gateway, the service namespaces and their STRICT mutual TLS on top of a mesh installed
 * another way.
 */
export class IstioMesh extends pulumi.ComponentResource {
    /** Namespace of the control plane. */
    public readonly namespace: pulumi.Output<string>;
    /** `namespace/name` of the shared ingress Gateway, for VirtualServices' `gateways`. */
    public readonly gatewayRef: pulumi.Output<string>;
    /** Namespace of the ingress gateway pods (for NetworkPolicies that admit them). */
    public readonly gatewayNamespace: pulumi.Output<string>;
    /** Names of the namespaces labelled for injection, created by this component. */
    public readonly injectedNamespaces: pulumi.Output<string[]>;

    constructor(name: string, args: IstioMeshArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("zdp:index:IstioMesh", name, args, opts);

        const version = args.version ?? CHARTS.istiod.version;
        const namespace = args.namespace ?? "istio-system";
        const gatewayNamespace = args.gatewayNamespace ?? "istio-ingress";
        const istiodReplicas = args.istiodReplicas ?? 1;
        const gatewayReplicas = args.gatewayReplicas ?? 1;
        const hosts = args.hosts ?? ["*"];
        const injected = args.injectedNamespaces ?? [];
        const errors = collectErrors(
            checkChartVersion("version", version),
            checkDnsLabel("namespace", namespace),
            checkDnsLabel("gatewayNamespace", gatewayNamespace),
            checkInteger("istiodReplicas", istiodReplicas, 1, 10),
            checkInteger("gatewayReplicas", gatewayReplicas, 1, 50),
            hosts.length === 0 ? 'hosts must list at least one host name (use "*" for any)' : undefined,
            injected.map((ns, i) => checkDnsLabel(`injectedNamespaces[${i}]`, ns)),
            [namespace, gatewayNamespace]
                .filter((ns) => injected.includes(ns))
                .map((ns) => `injectedNamespaces must not include the mesh's own namespace "${ns}"`),
            args.chartRepository === undefined
                ? undefined
                : checkChartRepository("chartRepository", args.chartRepository),
            args.imageRegistry === undefined ? undefined : checkImageRegistry("imageRegistry", args.imageRegistry),
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("IstioMesh", name, errors), this);

        if (args.existing ?? false) {
            this.namespace = pulumi.output(namespace);
            this.gatewayNamespace = pulumi.output(gatewayNamespace);
            const existingGateway = publicGateway(this, name, gatewayNamespace, hosts, []);
            const ownNamespaces = injected.map((ns) => serviceNamespace(this, name, ns, []));
            // Each service namespace gets its own STRICT policy: the root namespace's mesh-wide one belongs to
            // whoever runs the mesh.
            injected.forEach(
                (ns, i) =>
                    new k8s.apiextensions.CustomResource(
                        `${name}-strict-mtls-${ns}`,
                        {
                            apiVersion: "security.istio.io/v1",
                            kind: "PeerAuthentication",
                            metadata: { name: "default", namespace: ownNamespaces[i].metadata.name },
                            spec: { mtls: { mode: "STRICT" } },
                        },
                        { parent: this },
                    ),
            );
            this.gatewayRef = pulumi.interpolate`${existingGateway.metadata.namespace}/${existingGateway.metadata.name}`;
            this.injectedNamespaces = pulumi.all(ownNamespaces.map((n) => n.metadata.name));
            this.registerOutputs({
                namespace: this.namespace,
                gatewayNamespace: this.gatewayNamespace,
                gatewayRef: this.gatewayRef,
                injectedNamespaces: this.injectedNamespaces,
            });
            return;
        }

        const ha = istiodReplicas > 1;
        const systemNs = new k8s.core.v1.Namespace(
            `${name}-system`,
            { metadata: { name: namespace } },
            { parent: this },
        );

        const base = new k8s.helm.v4.Chart(
            `${name}-base`,
            {
                ...chartSource(CHARTS.istioBase, args.chartRepository),
                version,
                namespace: systemNs.metadata.name,
                values: { defaultRevision: "default" },
            },
            { parent: this },
        );

        const istiod = new k8s.helm.v4.Chart(
            `${name}-istiod`,
            {
                ...chartSource(CHARTS.istiod, args.chartRepository),
                version,
                namespace: systemNs.metadata.name,
                // istiod and every proxy it injects (sidecars, the ingress gateway) run the digest-pinned images.
                values: deepMerge(imageValues(ADDON_IMAGES.istio, args.imageRegistry), {
                    pilot: {
                        replicaCount: istiodReplicas,
                        autoscaleMin: istiodReplicas,
                        autoscaleMax: Math.max(istiodReplicas, ha ? 5 : 1),
                    },
                    global: { defaultPodDisruptionBudget: { enabled: ha } },
                    // Prometheus scrapes merged app + sidecar metrics; the analysis gates query istio_requests_total.
                    meshConfig: { enablePrometheusMerge: true, accessLogFile: "/dev/stdout" },
                }),
            },
            // istiod's webhooks and config need base's CRDs in place first.
            { parent: this, dependsOn: [base] },
        );

        const ingressNs = new k8s.core.v1.Namespace(
            `${name}-ingress`,
            { metadata: { name: gatewayNamespace, labels: { ...INJECTION_LABEL } } },
            { parent: this },
        );

        const gatewayChart = new k8s.helm.v4.Chart(
            `${name}-gateway`,
            {
                // The release name gives the pods their `istio: ingressgateway` label.
                name: "istio-ingressgateway",
                ...chartSource(CHARTS.istioGateway, args.chartRepository),
                version,
                namespace: ingressNs.metadata.name,
                values: {
                    replicaCount: gatewayReplicas,
                    autoscaling: {
                        enabled: gatewayReplicas > 1,
                        minReplicas: gatewayReplicas,
                        maxReplicas: gatewayReplicas * 3,
                    },
                    podDisruptionBudget: gatewayReplicas > 1 ? { minAvailable: 1 } : {},
                },
            },
            // The gateway's sidecar template comes from istiod's injector.
            { parent: this, dependsOn: [istiod] },
        );

        // Mesh-wide STRICT mTLS: a PeerAuthentication named "default" in the root namespace applies to every workload.
        new k8s.apiextensions.CustomResource(
            `${name}-strict-mtls`,
            {
                apiVersion: "security.istio.io/v1",
                kind: "PeerAuthentication",
                metadata: { name: "default", namespace: systemNs.metadata.name },
                spec: { mtls: { mode: "STRICT" } },
            },
            { parent: this, dependsOn: [base] },
        );

        const gateway = publicGateway(this, name, ingressNs.metadata.name, hosts, [base, gatewayChart]);

        // Pods created before istiod's injector is ready would run without a sidecar.
        const namespaces = injected.map((ns) => serviceNamespace(this, name, ns, [istiod]));

        this.namespace = systemNs.metadata.name;
        this.gatewayNamespace = ingressNs.metadata.name;
        this.gatewayRef = pulumi.interpolate`${gateway.metadata.namespace}/${gateway.metadata.name}`;
        this.injectedNamespaces = pulumi.all(namespaces.map((n) => n.metadata.name));
        this.registerOutputs({
            namespace: this.namespace,
            gatewayNamespace: this.gatewayNamespace,
            gatewayRef: this.gatewayRef,
            injectedNamespaces: this.injectedNamespaces,
        });
    }
}

/** The shared ingress `Gateway` that the services' VirtualServices attach to. */
function publicGateway(
    parent: pulumi.Resource,
    name: string,
    namespace: pulumi.Input<string>,
    hosts: string[],
    dependsOn: pulumi.Resource[],
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        `${name}-public-gateway`,
        {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "public", namespace },
            spec: {
                selector: { ...GATEWAY_POD_LABELS },
                servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts }],
            },
        },
        { parent, dependsOn },
    );
}

/** A service namespace, labelled for sidecar injection. */
function serviceNamespace(
    parent: pulumi.Resource,
    name: string,
    ns: string,
    dependsOn: pulumi.Resource[],
): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
        `${name}-ns-${ns}`,
        { metadata: { name: ns, labels: { ...INJECTION_LABEL, "platform.zdp.dev/service-namespace": "true" } } },
        { parent, dependsOn },
    );
}
