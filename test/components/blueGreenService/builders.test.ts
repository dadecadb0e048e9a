/**
 * The pure builders of BlueGreenService, called directly on settings (no mock runtime): the pod (pod.ts), traffic
 * (traffic.ts), isolation (isolation.ts) and Rollout (rollout.ts) parts. component.test.ts checks the same parts as
 * the class registers them; here each builder's own rules are pinned, including the branches the stacks never take.
 */
import * as assert from "node:assert/strict";
import { RELEASE_ANNOTATIONS } from "../../../components/argoRollouts";
import { REVISION_LABEL, ROLE_LABEL } from "../../../components/blueGreenService/constants";
import { networkPolicies, peerAuthentication, previewSecurity } from "../../../components/blueGreenService/isolation";
import { podLabels, podRevision, podSpec, secretEnvNames } from "../../../components/blueGreenService/pod";
import { releaseStrategy, rollout } from "../../../components/blueGreenService/rollout";
import {
    destinationRule,
    mainHost,
    services,
    testHost,
    virtualService,
} from "../../../components/blueGreenService/traffic";
import { blueGreen, canary, IMAGE, settingsOf } from "./helpers";

const PUBLIC = {
    hosts: ["app.example.com"],
    gateway: "istio-ingress/public",
    previewExposure: "public",
    previewAccess: { ipBlocks: ["203.0.113.0/24"] },
};
const JWT = { issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks.json" };

describe("BlueGreenService builders", () => {
    describe("pod", () => {
        it("lists plain variables, then secret ones by reference, each sorted; no env without variables", () => {
            const s = settingsOf(blueGreen({ env: { B: "2", A: "1" }, secretEnv: { Z: "z", Y: "y" } }));
            assert.deepEqual(secretEnvNames(s), ["Y", "Z"]);
            assert.deepEqual(podSpec(s, IMAGE).containers[0].env, [
                { name: "A", value: "1" },
                { name: "B", value: "2" },
                { name: "Y", valueFrom: { secretKeyRef: { name: "app-env", key: "Y" } } },
                { name: "Z", valueFrom: { secretKeyRef: { name: "app-env", key: "Z" } } },
            ]);
            assert.ok(!("env" in podSpec(settingsOf(blueGreen()), IMAGE).containers[0]));
        });

        it("probes the first port by name and runs as the configured user", () => {
            const s = settingsOf(blueGreen({ ports: [{ name: "web", containerPort: 9000 }], runAsUser: 1000 }));
            const pod = podSpec(s, IMAGE);
            const c = pod.containers[0];
            for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe])
                assert.equal(probe?.httpGet?.port, "web");
            assert.deepEqual(
                [pod.securityContext?.runAsUser, pod.securityContext?.runAsGroup, pod.securityContext?.fsGroup],
                [1000, 1000, 1000],
            );
        });

        it("names the revision by a hash of the whole template: stable, and new for any change of the pods", () => {
            const s = settingsOf(blueGreen());
            const revision = podRevision(s, IMAGE);
            assert.match(revision, /^[0-9a-f]{16}$/);
            assert.equal(podRevision(settingsOf(blueGreen()), IMAGE), revision, "same settings, same revision");
            assert.notEqual(podRevision(s, IMAGE.replace(/a{64}$/, "f".repeat(64))), revision, "another image");
            assert.notEqual(podRevision(settingsOf(blueGreen({ env: { A: "1" } })), IMAGE), revision, "another env");
            assert.notEqual(podRevision(settingsOf(blueGreen({ name: "other" })), IMAGE), revision, "other labels");
            assert.equal(
                podRevision(settingsOf(blueGreen({ retention: { scaleDownDelaySeconds: 7200 } })), IMAGE),
                revision,
                "settings outside the pod template make no new revision",
            );
        });
    });

    describe("traffic", () => {
        it("gives blue/green an active and a preview Service, both left to the controller", () => {
            const parts = services(settingsOf(blueGreen()));
            assert.deepEqual(
                parts.map((p) => [
                    p.role,
                    p.args.metadata && (p.args.metadata as { name: string }).name,
                    p.ignoreChanges,
                ]),
                [
                    ["active", "app", ["spec.selector"]],
                    ["preview", "app-preview", ["spec.selector"]],
                ],
            );
        });

        it("gives a canary a root Service Pulumi manages, and stable and canary Services the controller manages", () => {
            assert.deepEqual(
                services(settingsOf(canary())).map((p) => [p.role, p.ignoreChanges]),
                [
                    ["root", []],
                    ["stable", ["spec.selector"]],
                    ["canary", ["spec.selector"]],
                ],
            );
            assert.equal(mainHost(settingsOf(canary())), "app.shop.svc.cluster.local");
            assert.equal(testHost(settingsOf(canary())), "app-canary.shop.svc.cluster.local");
            assert.equal(testHost(settingsOf(blueGreen())), "app-preview.shop.svc.cluster.local");
        });

        it("matches the preview header at the gateway too only for a public preview", () => {
            const internal = virtualService(
                settingsOf(blueGreen({ traffic: { hosts: ["app.example.com"], gateway: "g/w" } })),
            );
            assert.deepEqual(internal.object.spec?.http?.[0].match, [
                { headers: { "x-preview": { exact: "true" } }, gateways: ["mesh"] },
            ]);
            const pub = virtualService(settingsOf(blueGreen({ traffic: { ...PUBLIC, previewHeader: "x-try" } })));
            assert.deepEqual(pub.object.spec?.http?.[0].match, [{ headers: { "x-try": { exact: "true" } } }]);
            assert.deepEqual(pub.object.spec?.gateways, ["istio-ingress/public", "mesh"]);
            const meshOnly = virtualService(settingsOf(blueGreen()));
            assert.equal(meshOnly.object.spec?.gateways, undefined, "no gateway without external hosts");
            assert.deepEqual(meshOnly.ignoreChanges, []);
        });

        it("leaves the canary's primary route weights (100/0) and subset labels to the controller", () => {
            const vs = virtualService(settingsOf(canary()));
            assert.deepEqual(vs.ignoreChanges, ["spec.http[1].route[0].weight", "spec.http[1].route[1].weight"]);
            assert.deepEqual(
                vs.object.spec?.http?.[1].route?.map((r) => [r.destination?.subset, r.weight]),
                [
                    ["stable", 100],
                    ["canary", 0],
                ],
            );
            const dr = destinationRule(settingsOf(canary()));
            assert.deepEqual(dr.ignoreChanges, ["spec.subsets[0].labels", "spec.subsets[1].labels"]);
            assert.deepEqual(
                dr.object.spec?.subsets?.map((x) => x.name),
                ["stable", "canary"],
            );
            assert.deepEqual(destinationRule(settingsOf(blueGreen())).ignoreChanges, []);
        });

        it("bounds Envoy's retries by the route's, at least 10, and carries the circuit breaker settings", () => {
            const dr = (traffic: object) =>
                destinationRule(settingsOf(blueGreen({ traffic }))).object.spec!.trafficPolicy!;
            assert.equal(dr({ retries: 0 }).connectionPool?.http?.maxRetries, 10);
            assert.equal(dr({ retries: 3 }).connectionPool?.http?.maxRetries, 30);
            const custom = dr({
                maxConnections: 50,
                maxPendingRequests: 7,
                consecutive5xxErrors: 2,
                ejectionSeconds: 9,
            });
            assert.equal(custom.connectionPool?.tcp?.maxConnections, 50);
            assert.equal(custom.connectionPool?.http?.http2MaxRequests, 50);
            assert.equal(custom.connectionPool?.http?.http1MaxPendingRequests, 7);
            assert.deepEqual(
                [custom.outlierDetection?.consecutive5xxErrors, custom.outlierDetection?.baseEjectionTime],
                [2, "9s"],
            );
        });
    });

    describe("isolation", () => {
        it("orders the NetworkPolicies as the class registers them, the egress policy last", () => {
            assert.deepEqual(
                networkPolicies(settingsOf(blueGreen())).map((p) => [p.role, p.spec.policyTypes]),
                [
                    ["active", ["Ingress"]],
                    ["preview", ["Ingress"]],
                    ["preview-egress", ["Egress"]],
                ],
            );
            assert.deepEqual(
                networkPolicies(settingsOf(canary())).map((p) => p.role),
                ["production", "release-checks", "canary-egress"],
            );
        });

        it("takes the namespaces of the gateway, controller, Prometheus and istiod from the settings", () => {
            const network = {
                gatewayNamespace: "gw",
                controllerNamespace: "ctl",
                prometheusNamespace: "prom",
                meshNamespace: "mesh",
            };
            const text = JSON.stringify(networkPolicies(settingsOf(blueGreen({ network }))));
            for (const ns of Object.values(network))
                assert.ok(text.includes(`"kubernetes.io/metadata.name":"${ns}"`), ns);
            for (const ns of ["istio-ingress", "argo-rollouts", "monitoring", "istio-system"])
                assert.ok(!text.includes(`"kubernetes.io/metadata.name":"${ns}"`), ns);
        });

        it("accepts plain text on the first container port of the pods under test only", () => {
            const pa = peerAuthentication(
                settingsOf(canary({ ports: [{ containerPort: 9000 }, { name: "admin", containerPort: 9001 }] })),
            );
            assert.deepEqual(pa.spec, {
                selector: { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } },
                mtls: { mode: "STRICT" },
                portLevelMtls: { "9000": { mode: "PERMISSIVE" } },
            });
            assert.equal(pa.metadata?.name, "app-release-checks");
        });

        it("adds the preview's access policy only when public, and its token rule only with an issuer", () => {
            assert.deepEqual(previewSecurity(settingsOf(blueGreen())), {});
            const ipOnly = previewSecurity(settingsOf(blueGreen({ traffic: PUBLIC })));
            assert.equal(ipOnly.jwt, undefined);
            assert.equal(ipOnly.access?.kind, "AuthorizationPolicy");
            assert.equal(ipOnly.access?.metadata?.name, "app-preview-access");
            assert.deepEqual(ipOnly.access?.spec.selector, { matchLabels: { app: "app", [ROLE_LABEL]: "preview" } });
            const withJwt = previewSecurity(
                settingsOf(canary({ traffic: { ...PUBLIC, previewAccess: { jwt: JWT } } })),
            );
            assert.equal(withJwt.jwt?.kind, "RequestAuthentication");
            assert.deepEqual(withJwt.jwt?.spec?.selector, { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } });
            assert.equal(withJwt.access?.spec.action, "DENY");
        });
    });

    describe("rollout", () => {
        it("sets the auto-promotion delay only with auto-promotion, and the preview size only when given", () => {
            const bg = (blueGreenArgs: object) =>
                releaseStrategy(settingsOf(blueGreen({ blueGreen: blueGreenArgs })), "r").blueGreen!;
            assert.equal(bg({}).autoPromotionSeconds, undefined);
            assert.equal(bg({}).previewReplicaCount, undefined);
            assert.equal(bg({ autoPromotionSeconds: 30 }).autoPromotionSeconds, 30);
            assert.equal(bg({ autoPromotion: false }).autoPromotionEnabled, false);
            assert.equal(bg({ previewReplicas: 1 }).previewReplicaCount, 1);
            assert.deepEqual(
                bg({}).prePromotionAnalysis?.args?.find((a) => a.name === "revision"),
                { name: "revision", value: "r" },
            );
        });

        it("turns canary steps into setWeight and pause steps, skipping zero pauses", () => {
            const steps = releaseStrategy(
                settingsOf(
                    canary({
                        canary: {
                            steps: [
                                { weight: 10, pauseSeconds: 0 },
                                { weight: 20, pauseSeconds: 15 },
                                { weight: 50, waitForPromotion: true },
                                { weight: 100 },
                            ],
                        },
                    }),
                ),
                "r",
            ).canary!.steps;
            assert.deepEqual(steps, [
                { setWeight: 10 },
                { setWeight: 20 },
                { pause: { duration: 15 } },
                { setWeight: 50 },
                { pause: {} },
                { setWeight: 100 },
            ]);
        });

        it("records the deploy's provenance, leaving each field it lacks to the last deploy", () => {
            const r = rollout(settingsOf(blueGreen({ release: { commit: "abc123", actor: "" } })), IMAGE, "rev");
            assert.equal(r.object.metadata?.annotations?.[RELEASE_ANNOTATIONS.commit], "abc123");
            assert.deepEqual(r.ignoreChanges, [
                `metadata.annotations["${RELEASE_ANNOTATIONS.pipelineRun}"]`,
                `metadata.annotations["${RELEASE_ANNOTATIONS.actor}"]`,
            ]);
        });

        it("labels the pod template with the revision beside the pod labels, and runs the image given", () => {
            const s = settingsOf(blueGreen());
            const r = rollout(s, IMAGE, "rev");
            assert.deepEqual(r.object.spec.template?.metadata?.labels, { ...podLabels(s), [REVISION_LABEL]: "rev" });
            assert.equal(r.object.spec.template?.spec?.containers[0].image, IMAGE);
            assert.deepEqual(r.object.spec.selector, { matchLabels: { app: "app" } });
            assert.equal(r.object.spec.progressDeadlineSeconds, 600);
        });
    });
});
