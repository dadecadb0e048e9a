/**
 * Isolation of the version under test: the preview header route is mesh-internal unless a public exposure is asked
 * for with an access requirement (RequestAuthentication + AuthorizationPolicy); preview and canary pods may call only
 * the cluster DNS, istiod and their declared dependencies; and after promotion the previous version kept for rollback
 * is held by the policies that select the labels Argo Rollouts leaves on its pods.
 */
import * as assert from "node:assert/strict";
import { BlueGreenService } from "../../components/blueGreenService";
import type { BlueGreenServiceArgs } from "../../components/blueGreenService/args";
import { ROLE_LABEL } from "../../components/blueGreenService/constants";
import { checkDependencies, checkPreviewExposure } from "../../components/previewIsolation";
import { assertArgError, mockSession } from "../helpers/components";
import { validateObject } from "../helpers/schemas";
import { MockSession } from "../../tools/mockRuntime";

const IMAGE = `registry.example.com/shop/app@sha256:${"a".repeat(64)}`;
const SMOKE = { image: `registry.example.com/platform/smoke-curl@sha256:${"b".repeat(64)}`, paths: ["/ping"] };
const GATEWAY = "istio-ingress/public";
const HOSTS = { hosts: ["app.example.com"], gateway: GATEWAY };
const JWT = { issuer: "https://login.example.com", jwksUri: "https://login.example.com/.well-known/jwks.json" };
const T = {
    Rollout: "kubernetes:argoproj.io/v1alpha1:Rollout",
    VirtualService: "kubernetes:networking.istio.io/v1:VirtualService",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    AuthorizationPolicy: "kubernetes:security.istio.io/v1:AuthorizationPolicy",
    RequestAuthentication: "kubernetes:security.istio.io/v1:RequestAuthentication",
} as const;

interface Selector {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label selector semantics (NotIn and DoesNotExist match a pod without the key). */
function selects(sel: Selector, labels: Record<string, string>): boolean {
    const byLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpr = (sel.matchExpressions ?? []).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        switch (e.operator) {
            case "In":
                return has && e.values!.includes(labels[e.key]);
            case "NotIn":
                return !has || !e.values!.includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                throw new Error(`unknown operator ${e.operator}`);
        }
    });
    return byLabels && byExpr;
}

interface HttpRoute {
    name: string;
    match?: { headers?: Record<string, { exact: string }>; gateways?: string[] }[];
    route: { destination: { host: string; subset?: string } }[];
}

/**
 * The route Istio picks for a request arriving through `gateway` ("mesh" for sidecars): the first whose match (or
 * one of its matches) holds; a match without `gateways` applies to the VirtualService's gateways (mesh when none).
 */
function routeFor(
    vs: { gateways?: string[]; http: HttpRoute[] },
    gateway: string,
    headers: Record<string, string>,
): string {
    const vsGateways = vs.gateways ?? ["mesh"];
    assert.ok(vsGateways.includes(gateway), `the VirtualService is not bound to ${gateway}`);
    const holds = (m: NonNullable<HttpRoute["match"]>[number]) =>
        (m.gateways ?? vsGateways).includes(gateway) &&
        Object.entries(m.headers ?? {}).every(([h, v]) => headers[h] === v.exact);
    const route = vs.http.find((r) => r.match === undefined || r.match.some(holds));
    assert.ok(route, "some route applies");
    return route.name;
}

describe("preview isolation", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });
    async function build(args: BlueGreenServiceArgs): Promise<void> {
        new BlueGreenService("app", args);
        await session.settle();
    }
    const policy = (name: string) => session.get(T.NetworkPolicy, name).inputs.spec;

    describe("the header route to the version under test", () => {
        for (const strategy of ["blueGreen", "canary"] as const) {
            it(`is internal by default (${strategy}): mesh callers reach it, the public gateway ignores the header`, async () => {
                await build({
                    namespace: "shop",
                    image: IMAGE,
                    strategy,
                    ...(strategy === "blueGreen" ? { analysis: { smokeTest: SMOKE } } : {}),
                    traffic: HOSTS,
                });
                const vs = session.get(T.VirtualService, "app-vs").inputs.spec;
                assert.deepEqual(vs.gateways, [GATEWAY, "mesh"], "the public hosts are still served");
                assert.equal(routeFor(vs, "mesh", { "x-preview": "true" }), "preview");
                assert.equal(routeFor(vs, GATEWAY, { "x-preview": "true" }), "primary");
                assert.equal(routeFor(vs, GATEWAY, {}), "primary");
                assert.equal(session.find(T.AuthorizationPolicy).length, 0);
                assert.equal(session.find(T.RequestAuthentication).length, 0);
            });
        }

        it("is public only on request, with a RequestAuthentication and a DENY AuthorizationPolicy for each requirement", async () => {
            await build({
                namespace: "shop",
                image: IMAGE,
                analysis: { smokeTest: SMOKE },
                traffic: {
                    ...HOSTS,
                    previewExposure: "public",
                    previewAccess: { jwt: { ...JWT, audiences: ["preview"] }, ipBlocks: ["203.0.113.0/24"] },
                },
            });
            const vs = session.get(T.VirtualService, "app-vs").inputs.spec;
            assert.equal(routeFor(vs, GATEWAY, { "x-preview": "true" }), "preview");
            assert.equal(routeFor(vs, "mesh", { "x-preview": "true" }), "preview");

            const ra = session.get(T.RequestAuthentication, "app-preview-jwt").inputs;
            assert.deepEqual(ra.spec.selector, { matchLabels: { app: "app", [ROLE_LABEL]: "preview" } });
            assert.deepEqual(ra.spec.jwtRules, [
                { issuer: JWT.issuer, jwksUri: JWT.jwksUri, audiences: ["preview"], forwardOriginalToken: true },
            ]);
            const ap = session.get(T.AuthorizationPolicy, "app-preview-access").inputs;
            assert.equal(ap.spec.action, "DENY");
            assert.deepEqual(ap.spec.selector, ra.spec.selector);
            const when = [{ key: "request.headers[x-preview]", values: ["true"] }];
            assert.deepEqual(ap.spec.rules, [
                {
                    from: [{ source: { namespaces: ["istio-ingress"], notRequestPrincipals: [`${JWT.issuer}/*`] } }],
                    when,
                },
                { from: [{ source: { namespaces: ["istio-ingress"], notRemoteIpBlocks: ["203.0.113.0/24"] } }], when },
            ]);
            for (const obj of [ra, ap]) {
                const result = await validateObject(obj, obj.kind);
                assert.ok(result.ok, JSON.stringify(result));
            }
            const deps = session.get(T.Rollout, "app-rollout").dependsOn;
            for (const r of [
                session.get(T.RequestAuthentication, "app-preview-jwt"),
                session.get(T.AuthorizationPolicy, "app-preview-access"),
            ])
                assert.ok(deps.includes(r.urn), `the Rollout waits for ${r.name}`);
        });

        it("protects a public canary's canary pods, with address ranges alone", async () => {
            await build({
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                traffic: { ...HOSTS, previewExposure: "public", previewAccess: { ipBlocks: ["198.51.100.7/32"] } },
            });
            const ap = session.get(T.AuthorizationPolicy, "app-preview-access").inputs.spec;
            assert.deepEqual(ap.selector, { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } });
            assert.equal(ap.rules.length, 1);
            assert.equal(session.find(T.RequestAuthentication).length, 0, "no token issuer, no RequestAuthentication");
        });

        it("rejects a public exposure without an access requirement, naming the field", () => {
            const message = assertArgError(
                () =>
                    new BlueGreenService("app", {
                        namespace: "shop",
                        image: IMAGE,
                        analysis: { smokeTest: SMOKE },
                        traffic: { ...HOSTS, previewExposure: "public" },
                    }),
                "BlueGreenService",
                "app",
                ["traffic.previewExposure", "traffic.previewAccess"],
            );
            assert.match(message, /anyone on the internet/);
        });
    });

    describe("checkPreviewExposure", () => {
        const f = (p: string) => `zdp:services[0].${p}`;
        const errors = (t: Record<string, unknown>) => checkPreviewExposure(t, f);
        it("accepts the default, and a public exposure with hosts and a requirement", () => {
            assert.deepEqual(errors({}), []);
            assert.deepEqual(errors({ previewExposure: "internal" }), []);
            assert.deepEqual(errors({ ...HOSTS, previewExposure: "public", previewAccess: { jwt: JWT } }), []);
            assert.deepEqual(
                errors({ ...HOSTS, previewExposure: "public", previewAccess: { ipBlocks: ["10.0.0.0/8"] } }),
                [],
            );
        });
        it("rejects each mistake with the field and the fix", () => {
            const cases: [Record<string, unknown>, RegExp][] = [
                [{ previewExposure: "everyone" }, /traffic\.previewExposure must be "internal" .* or "public"/],
                [
                    { ...HOSTS, previewExposure: "public" },
                    /traffic\.previewExposure "public" requires zdp:services\[0\]\.traffic\.previewAccess/,
                ],
                [{ ...HOSTS, previewExposure: "public", previewAccess: { ipBlocks: [] } }, /requires .*previewAccess/],
                [{ ...HOSTS, previewExposure: "public", previewAccess: {} }, /requires .*previewAccess/],
                [{ previewExposure: "public", previewAccess: { jwt: JWT } }, /"public" needs .*traffic\.hosts/],
                [{ previewAccess: { jwt: JWT } }, /previewAccess applies only to a public preview/],
                [
                    { ...HOSTS, previewExposure: "public", previewAccess: { ipBlocks: ["0.0.0.0/0"] } },
                    /ipBlocks\[0\] admits every address/,
                ],
                [
                    { ...HOSTS, previewExposure: "public", previewAccess: { ipBlocks: ["10.0.0.0"] } },
                    /ipBlocks\[0\] must be an address range in CIDR/,
                ],
                [
                    {
                        ...HOSTS,
                        previewExposure: "public",
                        previewAccess: { jwt: { ...JWT, jwksUri: "http://x/jwks" } },
                    },
                    /jwt\.jwksUri must be the HTTPS URL/,
                ],
                [
                    { ...HOSTS, previewExposure: "public", previewAccess: { jwt: { jwksUri: JWT.jwksUri } } },
                    /jwt\.issuer must be/,
                ],
                [
                    { ...HOSTS, previewExposure: "public", previewAccess: { jwt: JWT, principals: ["x"] } },
                    /previewAccess\.principals is not a known field/,
                ],
            ];
            for (const [traffic, pattern] of cases) {
                const e = errors(traffic);
                assert.ok(
                    e.some((m) => pattern.test(m)),
                    `${JSON.stringify(traffic)} → ${JSON.stringify(e)}`,
                );
            }
        });
    });

    describe("checkDependencies", () => {
        const f = (p: string) => p;
        it("accepts services and CIDRs with optional ports", () => {
            assert.deepEqual(checkDependencies(undefined, f), []);
            assert.deepEqual(
                checkDependencies([{ service: "payments/payments", ports: [8080] }, { cidr: "10.20.0.0/16" }], f),
                [],
            );
        });
        it("rejects neither or both, bad names, bad ranges and bad ports", () => {
            const cases: [unknown, RegExp][] = [
                [[{}], /dependencies\[0\] must give exactly one of service .* and cidr .*\(got neither\)/],
                [[{ service: "a/b", cidr: "10.0.0.0/8" }], /\(got both\)/],
                [[{ service: "payments" }], /dependencies\[0\]\.service must be "namespace\/name"/],
                [[{ cidr: "10.0.0.300/8" }], /dependencies\[0\]\.cidr must be an address range/],
                [[{ cidr: "10.0.0.0/8", ports: [0] }], /dependencies\[0\]\.ports must be a non-empty list/],
                [[{ cidr: "10.0.0.0/8", host: "db" }], /dependencies\[0\]\.host is not a known field/],
                [{ service: "a/b" }, /dependencies must be a list/],
            ];
            for (const [raw, pattern] of cases) {
                const e = checkDependencies(raw, f);
                assert.ok(
                    e.some((m) => pattern.test(m)),
                    `${JSON.stringify(raw)} → ${JSON.stringify(e)}`,
                );
            }
        });
    });

    describe("egress of the version under test", () => {
        const dnsRule = {
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                },
            ],
            ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ],
        };
        const istiodRule = (ns: string) => ({
            to: [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
                    podSelector: { matchLabels: { app: "istiod" } },
                },
            ],
            ports: [
                { protocol: "TCP", port: 15012 },
                { protocol: "TCP", port: 15017 },
            ],
        });

        it("allows only DNS and istiod by default (blue/green preview)", async () => {
            await build({ namespace: "shop", image: IMAGE, analysis: { smokeTest: SMOKE } });
            const egress = policy("app-preview-egress");
            assert.deepEqual(egress.policyTypes, ["Egress"]);
            assert.deepEqual(
                egress.podSelector,
                policy("app-preview").podSelector,
                "the same pods as the preview policy",
            );
            assert.deepEqual(egress.egress, [dnsRule, istiodRule("istio-system")]);
        });

        it("adds the declared dependencies, and the mesh namespace the program passes (canary)", async () => {
            await build({
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                network: { meshNamespace: "mesh-system" },
                dependencies: [
                    { service: "payments/payments", ports: [8080] },
                    { cidr: "10.20.0.0/16", ports: [5432] },
                    { cidr: "192.0.2.0/24" },
                ],
            });
            const egress = policy("app-canary-egress");
            assert.deepEqual(egress.podSelector, { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } });
            assert.deepEqual(egress.egress, [
                dnsRule,
                istiodRule("mesh-system"),
                {
                    to: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "payments" } },
                            podSelector: { matchLabels: { app: "payments" } },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 8080 }],
                },
                { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] },
                { to: [{ ipBlock: { cidr: "192.0.2.0/24" } }] },
            ]);
            const result = await validateObject(session.get(T.NetworkPolicy, "app-canary-egress").inputs, "egress");
            assert.ok(result.ok, JSON.stringify(result));
        });
    });

    /**
     * Which policies hold which pods, from the labels Argo Rollouts v1.9 (the pinned controller) leaves on them.
     * rollout/ephemeralmetadata.go: once fully promoted, the new ReplicaSet gets activeMetadata (stableMetadata), and
     * every other ReplicaSet, the previous version kept for scaleDownDelaySeconds included, is synced with nil
     * metadata, which removes `role` from its template and its running pods. The pods keep the template's labels
     * and rollouts-pod-template-hash; the active Service no longer selects that hash.
     */
    describe("after promotion: the previous version kept for rollback", () => {
        function podLabels(
            rolloutSpec: { template: { metadata: { labels: Record<string, string> } } },
            hash: string,
            role?: string,
        ) {
            return {
                ...rolloutSpec.template.metadata.labels,
                "rollouts-pod-template-hash": hash,
                ...(role ? { [ROLE_LABEL]: role } : {}),
            };
        }
        const holding = (names: string[], labels: Record<string, string>) =>
            names.filter((n) => selects(policy(n).podSelector, labels));

        it("blue/green: the retained pods lose `role` and fall under the preview policies (ingress and egress)", async () => {
            await build({ namespace: "shop", image: IMAGE, analysis: { smokeTest: SMOKE } });
            const rollout = session.get(T.Rollout, "app-rollout").inputs.spec;
            const bg = rollout.strategy.blueGreen;
            const active = bg.activeMetadata.labels[ROLE_LABEL];
            const preview = bg.previewMetadata.labels[ROLE_LABEL];
            const all = ["app-active", "app-preview", "app-preview-egress"];
            // During the release: the new version is the preview, the old one active.
            assert.deepEqual(holding(all, podLabels(rollout, "new", preview)), ["app-preview", "app-preview-egress"]);
            assert.deepEqual(holding(all, podLabels(rollout, "old", active)), ["app-active"]);
            // After promotion: the new version active; the old one, retained for scaleDownDelaySeconds, without role.
            assert.deepEqual(holding(all, podLabels(rollout, "new", active)), ["app-active"]);
            assert.deepEqual(holding(all, podLabels(rollout, "old")), ["app-preview", "app-preview-egress"]);
            assert.ok(bg.scaleDownDelaySeconds > 0, "the previous version is kept");
            // Every pod, whatever its role, is held by exactly one ingress policy.
            for (const role of [active, preview, undefined])
                assert.equal(
                    holding(["app-active", "app-preview"], podLabels(rollout, "x", role)).length,
                    1,
                    String(role),
                );
        });

        it("canary: the retained stable pods lose `role` and stay under the production policy only", async () => {
            await build({ namespace: "shop", image: IMAGE, strategy: "canary" });
            const rollout = session.get(T.Rollout, "app-rollout").inputs.spec;
            const c = rollout.strategy.canary;
            const all = ["app-production", "app-release-checks", "app-canary-egress"];
            assert.deepEqual(holding(all, podLabels(rollout, "new", c.canaryMetadata.labels[ROLE_LABEL])), all);
            assert.deepEqual(holding(all, podLabels(rollout, "old", c.stableMetadata.labels[ROLE_LABEL])), [
                "app-production",
            ]);
            assert.deepEqual(holding(all, podLabels(rollout, "old")), ["app-production"]);
        });
    });
});
