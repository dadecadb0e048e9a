/**
 * IstioMesh under the mock runtime: the three charts and their order, STRICT mTLS, the shared Gateway, the injected
 * service namespaces, argument validation and what staging and prod configure.
 */
import * as assert from "node:assert/strict";
import { GATEWAY_POD_LABELS, INJECTION_LABEL, IstioMesh, IstioMeshArgs } from "../../components/istioMesh";
import { CHARTS } from "../../components/lib/charts";
import { ADDON_IMAGES, imageReference } from "../../components/lib/images";
import { MockSession, outputDetails, valueOf } from "../../tools/mockRuntime";
import { assertArgError, CHART, childrenOf, K8S, mockSession, stackSettings } from "../helpers/components";

/** The arguments index.ts passes, from a stack's configuration. */
function argsForStack(stack: string): IstioMeshArgs {
    const { settings, serviceNamespaces } = stackSettings(stack);
    return {
        istiodReplicas: settings.istiodReplicas,
        gatewayReplicas: settings.gatewayReplicas,
        hosts: settings.ingressHosts,
        injectedNamespaces: serviceNamespaces,
    };
}

describe("IstioMesh", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: IstioMeshArgs, name = "mesh"): Promise<IstioMesh> {
        const mesh = new IstioMesh(name, args);
        await session.settle();
        return mesh;
    }

    describe("defaults", () => {
        it("registers as zdp:index:IstioMesh with every child parented to it", async () => {
            await build();
            const component = session.get("zdp:index:IstioMesh", "mesh");
            const children = childrenOf(session.resources, component.urn).map((r) => `${r.type}::${r.name}`);
            assert.deepEqual(
                children.sort(),
                [
                    `${CHART}::mesh-base`,
                    `${CHART}::mesh-gateway`,
                    `${CHART}::mesh-istiod`,
                    `${K8S.Namespace}::mesh-ingress`,
                    `${K8S.Namespace}::mesh-system`,
                    `${K8S.Gateway}::mesh-public-gateway`,
                    `${K8S.PeerAuthentication}::mesh-strict-mtls`,
                ].sort(),
            );
            // Nothing outside the component.
            assert.equal(session.resources.length, children.length + 1);
        });

        it("installs base, istiod and gateway from the pinned Istio charts, repo/chart/version visible as inputs", async () => {
            await build();
            for (const [name, pinned] of [
                ["mesh-base", CHARTS.istioBase],
                ["mesh-istiod", CHARTS.istiod],
                ["mesh-gateway", CHARTS.istioGateway],
            ] as const) {
                const chart = session.get(CHART, name).inputs;
                assert.equal(chart.chart, pinned.chart, name);
                assert.equal(chart.version, pinned.version, name);
                assert.deepEqual(chart.repositoryOpts, { repo: pinned.repo }, name);
                assert.equal(typeof chart.values, "object", name);
            }
            assert.equal(session.get(CHART, "mesh-base").inputs.namespace, "istio-system");
            assert.equal(session.get(CHART, "mesh-istiod").inputs.namespace, "istio-system");
            assert.equal(session.get(CHART, "mesh-gateway").inputs.namespace, "istio-ingress");
        });

        it("runs a single istiod and gateway replica without PDBs or autoscaling", async () => {
            await build();
            const istiod = session.get(CHART, "mesh-istiod").inputs.values;
            assert.deepEqual(istiod.pilot, {
                image: imageReference(ADDON_IMAGES.istio.pilot),
                replicaCount: 1,
                autoscaleMin: 1,
                autoscaleMax: 1,
            });
            assert.deepEqual(istiod.global, {
                proxy: { image: imageReference(ADDON_IMAGES.istio.proxy) },
                defaultPodDisruptionBudget: { enabled: false },
            });
            assert.equal(istiod.meshConfig.enablePrometheusMerge, true);
            const gateway = session.get(CHART, "mesh-gateway").inputs;
            assert.equal(gateway.name, "istio-ingressgateway", "the release name gives the pods their istio label");
            assert.equal(gateway.values.replicaCount, 1);
            assert.deepEqual(gateway.values.autoscaling, { enabled: false, minReplicas: 1, maxReplicas: 3 });
            assert.deepEqual(gateway.values.podDisruptionBudget, {});
        });

        it("enforces STRICT mutual TLS mesh-wide with a PeerAuthentication named default in the root namespace", async () => {
            await build();
            const pa = session.get(K8S.PeerAuthentication, "mesh-strict-mtls").inputs;
            assert.equal(pa.apiVersion, "security.istio.io/v1");
            assert.equal(pa.kind, "PeerAuthentication");
            assert.deepEqual(pa.metadata, { name: "default", namespace: "istio-system" });
            assert.deepEqual(pa.spec, { mtls: { mode: "STRICT" } });
        });

        it("creates the shared public Gateway selecting the gateway pods, accepting any host", async () => {
            const mesh = await build();
            const gw = session.get(K8S.Gateway, "mesh-public-gateway").inputs;
            assert.equal(gw.apiVersion, "networking.istio.io/v1");
            assert.deepEqual(gw.metadata, { name: "public", namespace: "istio-ingress" });
            assert.deepEqual(gw.spec.selector, GATEWAY_POD_LABELS);
            assert.deepEqual(gw.spec.servers, [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }]);
            assert.equal(await valueOf(mesh.gatewayRef), "istio-ingress/public");
        });

        it("creates the control-plane and ingress namespaces, the ingress one labelled for injection", async () => {
            const mesh = await build();
            assert.deepEqual(session.get(K8S.Namespace, "mesh-system").inputs.metadata, { name: "istio-system" });
            assert.deepEqual(session.get(K8S.Namespace, "mesh-ingress").inputs.metadata, {
                name: "istio-ingress",
                labels: INJECTION_LABEL,
            });
            assert.equal(await valueOf(mesh.namespace), "istio-system");
            assert.equal(await valueOf(mesh.gatewayNamespace), "istio-ingress");
            assert.deepEqual(await valueOf(mesh.injectedNamespaces), []);
        });
    });

    describe("service namespaces", () => {
        it("creates each injected namespace labelled for injection and as a service namespace", async () => {
            const mesh = await build({ injectedNamespaces: ["shop", "payments"] });
            for (const ns of ["shop", "payments"]) {
                assert.deepEqual(session.get(K8S.Namespace, `mesh-ns-${ns}`).inputs.metadata, {
                    name: ns,
                    labels: { "istio-injection": "enabled", "platform.zdp.dev/service-namespace": "true" },
                });
            }
            assert.deepEqual(await valueOf(mesh.injectedNamespaces), ["shop", "payments"]);
        });
    });

    describe("ordering (dependsOn)", () => {
        it("orders base → istiod → gateway, and nothing before base", async () => {
            await build({ injectedNamespaces: ["shop"] });
            const base = session.get(CHART, "mesh-base");
            const istiod = session.get(CHART, "mesh-istiod");
            const gateway = session.get(CHART, "mesh-gateway");
            assert.deepEqual(base.dependsOn, []);
            assert.ok(istiod.dependsOn.includes(base.urn), "istiod waits for base's CRDs");
            assert.ok(gateway.dependsOn.includes(istiod.urn), "the gateway waits for istiod's injector");
        });

        it("creates the PeerAuthentication and the Gateway after base (their CRDs), the Gateway after its pods", async () => {
            await build();
            const base = session.get(CHART, "mesh-base").urn;
            assert.ok(session.get(K8S.PeerAuthentication, "mesh-strict-mtls").dependsOn.includes(base));
            const gw = session.get(K8S.Gateway, "mesh-public-gateway").dependsOn;
            assert.ok(gw.includes(base));
            assert.ok(gw.includes(session.get(CHART, "mesh-gateway").urn));
        });

        it("creates the service namespaces after istiod, so their pods get sidecars", async () => {
            await build({ injectedNamespaces: ["shop", "payments"] });
            const istiod = session.get(CHART, "mesh-istiod").urn;
            for (const ns of ["shop", "payments"]) {
                assert.ok(session.get(K8S.Namespace, `mesh-ns-${ns}`).dependsOn.includes(istiod), ns);
            }
        });
    });

    describe("arguments", () => {
        it("moves all three charts together to a given version", async () => {
            await build({ version: "1.29.2" });
            for (const name of ["mesh-base", "mesh-istiod", "mesh-gateway"]) {
                assert.equal(session.get(CHART, name).inputs.version, "1.29.2", name);
            }
        });

        it("uses the given namespaces and hosts", async () => {
            await build({ namespace: "mesh-cp", gatewayNamespace: "edge", hosts: ["a.example.com", "b.example.com"] });
            assert.equal(session.get(K8S.PeerAuthentication, "mesh-strict-mtls").inputs.metadata.namespace, "mesh-cp");
            const gw = session.get(K8S.Gateway, "mesh-public-gateway").inputs;
            assert.equal(gw.metadata.namespace, "edge");
            assert.deepEqual(gw.spec.servers[0].hosts, ["a.example.com", "b.example.com"]);
        });

        it("turns on HA (PDBs, autoscaling) above one replica", async () => {
            await build({ istiodReplicas: 2, gatewayReplicas: 4 });
            const istiod = session.get(CHART, "mesh-istiod").inputs.values;
            assert.deepEqual(istiod.pilot, {
                image: imageReference(ADDON_IMAGES.istio.pilot),
                replicaCount: 2,
                autoscaleMin: 2,
                autoscaleMax: 5,
            });
            assert.equal(istiod.global.defaultPodDisruptionBudget.enabled, true);
            const gateway = session.get(CHART, "mesh-gateway").inputs.values;
            assert.deepEqual(gateway.autoscaling, { enabled: true, minReplicas: 4, maxReplicas: 12 });
            assert.deepEqual(gateway.podDisruptionBudget, { minAvailable: 1 });
        });
    });

    describe("validation", () => {
        const cases: [string, IstioMeshArgs, string[]][] = [
            ["a version range", { version: "^1.30.0" }, ["version"]],
            ["a partial version", { version: "1.30" }, ["version"]],
            ["an invalid control-plane namespace", { namespace: "Istio_System" }, ["namespace"]],
            ["an empty gateway namespace", { gatewayNamespace: "" }, ["gatewayNamespace"]],
            ["zero istiod replicas", { istiodReplicas: 0 }, ["istiodReplicas"]],
            ["too many istiod replicas", { istiodReplicas: 11 }, ["istiodReplicas"]],
            ["fractional istiod replicas", { istiodReplicas: 1.5 }, ["istiodReplicas"]],
            ["zero gateway replicas", { gatewayReplicas: 0 }, ["gatewayReplicas"]],
            ["too many gateway replicas", { gatewayReplicas: 51 }, ["gatewayReplicas"]],
            ["no hosts", { hosts: [] }, ["hosts"]],
            ["an invalid injected namespace", { injectedNamespaces: ["shop", "Pay_ments"] }, ["injectedNamespaces[1]"]],
            [
                "the control plane's namespace injected",
                { injectedNamespaces: ["istio-system"] },
                ["injectedNamespaces"],
            ],
            ["the gateway's namespace injected", { injectedNamespaces: ["istio-ingress"] }, ["injectedNamespaces"]],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                const message = assertArgError(() => new IstioMesh("bad", args), "IstioMesh", "bad", fields);
                assert.equal(message.split("\n").length, 2, `exactly one problem expected:\n${message}`);
            });
        }

        it("reports every problem at once and creates no children", async () => {
            const message = assertArgError(
                () => new IstioMesh("bad", { istiodReplicas: 0, gatewayReplicas: 0, hosts: [], namespace: "X" }),
                "IstioMesh",
                "bad",
                ["istiodReplicas", "gatewayReplicas", "hosts", "namespace"],
            );
            assert.equal(message.split("\n").length, 5);
            await session.settle();
            assert.deepEqual(
                session.resources.filter((r) => r.custom || r.type === CHART).map((r) => r.name),
                [],
            );
        });
    });

    describe("staging vs prod, through the stacks' configuration", () => {
        it("staging runs one istiod and one gateway; prod runs an HA control plane and gateway", async () => {
            const staging = argsForStack("staging");
            const prod = argsForStack("prod");
            assert.equal(staging.istiodReplicas, 1);
            assert.ok(prod.istiodReplicas! >= 2, "prod's control plane is HA");
            assert.ok(prod.gatewayReplicas! >= 2, "prod's gateway is HA");

            session = await mockSession();
            await build(staging, "staging");
            const stagingIstiod = session.get(CHART, "staging-istiod").inputs.values;
            const stagingGateway = session.get(CHART, "staging-gateway").inputs.values;

            session = await mockSession();
            await build(prod, "prod");
            const prodIstiod = session.get(CHART, "prod-istiod").inputs.values;
            const prodGateway = session.get(CHART, "prod-gateway").inputs.values;

            assert.equal(stagingIstiod.pilot.replicaCount, staging.istiodReplicas);
            assert.equal(prodIstiod.pilot.replicaCount, prod.istiodReplicas);
            assert.equal(stagingIstiod.global.defaultPodDisruptionBudget.enabled, false);
            assert.equal(prodIstiod.global.defaultPodDisruptionBudget.enabled, true);
            assert.equal(stagingGateway.autoscaling.enabled, false);
            assert.equal(prodGateway.autoscaling.enabled, true);
            assert.equal(prodGateway.autoscaling.minReplicas, prod.gatewayReplicas);
            assert.deepEqual(prodGateway.podDisruptionBudget, { minAvailable: 1 });
        });

        it("each stack's Gateway accepts that stack's hosts and every service namespace is injected", async () => {
            for (const stack of ["staging", "prod"]) {
                const args = argsForStack(stack);
                session = await mockSession();
                const mesh = await build(args, stack);
                const gw = session.get(K8S.Gateway, `${stack}-public-gateway`).inputs;
                assert.deepEqual(gw.spec.servers[0].hosts, args.hosts, stack);
                assert.notDeepEqual(args.hosts, ["*"], `${stack} should restrict the hosts it accepts`);
                assert.ok(args.injectedNamespaces!.length > 0, `${stack} declares services`);
                const injected = await outputDetails(mesh.injectedNamespaces);
                assert.deepEqual(injected.value, args.injectedNamespaces, stack);
            }
        });
    });
});
