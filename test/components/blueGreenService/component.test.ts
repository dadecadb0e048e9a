/**
 * BlueGreenService under the mock runtime: what it creates for each strategy, the fields Pulumi must leave to the
 * Argo Rollouts controller, secret environment variables, images built in the same stack (unknown at preview),
 * isolation of the version under test, and the arguments the constructor refuses. Release timing is in timing.test.ts,
 * the resource list for collision checks in resources.test.ts.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { notificationSubscriptions } from "../../../components/argoRollouts";
import { BlueGreenService } from "../../../components/blueGreenService";
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import {
    CONTROLLER_POD_LABELS,
    RELEASE_CHECK_LABEL,
    REVISION_LABEL,
    ROLE_LABEL,
    SIDECAR_METRICS_PORT,
} from "../../../components/blueGreenService/constants";
import { GATEWAY_POD_LABELS } from "../../../components/istioMesh";
import { SMOKE_TEST_SCRIPT } from "../../../components/releaseAnalysis";
import { assertArgError, childrenOf, mockSession, plaintextOccurrences } from "../../helpers/components";
import {
    MockSession,
    outputDetails,
    SECRET_PLACEHOLDER,
    UNKNOWN_PLACEHOLDER,
    valueOf,
} from "../../../tools/mockRuntime";
import { blueGreen, canary, IMAGE } from "./helpers";

const T = {
    Rollout: "kubernetes:argoproj.io/v1alpha1:Rollout",
    AnalysisTemplate: "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate",
    VirtualService: "kubernetes:networking.istio.io/v1:VirtualService",
    DestinationRule: "kubernetes:networking.istio.io/v1:DestinationRule",
    PeerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
    Service: "kubernetes:core/v1:Service",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    Secret: "kubernetes:core/v1:Secret",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    DockerImage: "docker:index/image:Image",
} as const;

/** Value at a Pulumi property path such as `spec.http[1].route[0].weight` (no wildcards). */
function at(obj: unknown, propertyPath: string): unknown {
    const parts = propertyPath.match(/[^.[\]]+/g) ?? [];
    return parts.reduce<unknown>(
        (cur, p) =>
            cur === undefined || cur === null
                ? undefined
                : (cur as Record<string, unknown>)[/^\d+$/.test(p) ? Number(p) : p],
        obj,
    );
}

/** Stands in for the charts whose CRDs the release needs. */
class Crds extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Crds", name, {});
    }
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe("BlueGreenService", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(
        args: BlueGreenServiceArgs,
        name = "app",
        opts?: pulumi.ComponentResourceOptions,
    ): Promise<BlueGreenService> {
        const svc = new BlueGreenService(name, args, opts);
        await session.settle();
        return svc;
    }

    describe("blue/green", () => {
        it("creates the release's objects in the service namespace, parented to zdp:index:BlueGreenService", async () => {
            await build(blueGreen());
            const component = session.get("zdp:index:BlueGreenService", "app");
            const children = childrenOf(session.resources, component.urn)
                .map((r) => `${r.type}::${r.name}`)
                .sort();
            assert.deepEqual(
                children,
                [
                    `${T.AnalysisTemplate}::app-health-score`,
                    `${T.AnalysisTemplate}::app-slo`,
                    `${T.AnalysisTemplate}::app-smoke-tests`,
                    `${T.Rollout}::app-rollout`,
                    `${T.DestinationRule}::app-dr`,
                    `${T.VirtualService}::app-vs`,
                    `${T.PeerAuthentication}::app-release-checks`,
                    `${T.Service}::app-active`,
                    `${T.Service}::app-preview`,
                    `${T.ServiceAccount}::app-sa`,
                    `${T.NetworkPolicy}::app-active`,
                    `${T.NetworkPolicy}::app-preview`,
                    `${T.NetworkPolicy}::app-preview-egress`,
                    `${T.PodDisruptionBudget}::app-pdb`,
                ].sort(),
            );
            for (const r of childrenOf(session.resources, component.urn))
                assert.equal(r.inputs.metadata.namespace, "shop", r.name);
            assert.equal(session.find(T.Secret).length, 0, "no Secret without secretEnv");
        });

        it("configures the Rollout: active/preview Services, promotion, gates, retained previous version, notifications", async () => {
            await build(blueGreen());
            const rollout = session.get(T.Rollout, "app-rollout").inputs;
            assert.equal(rollout.apiVersion, "argoproj.io/v1alpha1");
            assert.equal(rollout.kind, "Rollout");
            assert.deepEqual(rollout.metadata.annotations, notificationSubscriptions());
            const spec = rollout.spec;
            assert.equal(spec.progressDeadlineAbort, true);
            assert.deepEqual(spec.rollbackWindow, { revisions: 2 });
            const bg = spec.strategy.blueGreen;
            assert.equal(bg.activeService, "app");
            assert.equal(bg.previewService, "app-preview");
            assert.equal(bg.autoPromotionEnabled, true);
            assert.equal(bg.scaleDownDelaySeconds, 3600, "previous version retained for an hour");
            assert.equal(bg.abortScaleDownDelaySeconds, 30);
            assert.deepEqual(bg.previewMetadata, { labels: { [ROLE_LABEL]: "preview" } });
            assert.deepEqual(bg.activeMetadata, { labels: { [ROLE_LABEL]: "active" } });
            assert.deepEqual(bg.prePromotionAnalysis.templates, [
                { templateName: "app-health-score" },
                { templateName: "app-smoke-tests" },
                { templateName: "app-slo" },
            ]);
            assert.deepEqual(bg.postPromotionAnalysis.templates, [{ templateName: "app-slo" }]);
            const revision = spec.template.metadata.labels[REVISION_LABEL];
            assert.match(revision, /^[0-9a-f]{16}$/);
            assert.deepEqual(bg.prePromotionAnalysis.args, [
                { name: "service-host", value: "app-preview.shop.svc.cluster.local" },
                { name: "port", value: "80" },
                { name: "namespace", value: "shop" },
                { name: "service", value: "app" },
                { name: "revision", value: revision },
                { name: "check-service", value: "app-preview" },
            ]);
            assert.deepEqual(bg.postPromotionAnalysis.args, [
                { name: "namespace", value: "shop" },
                { name: "service", value: "app" },
                { name: "revision", value: revision },
            ]);
        });

        it("hardens the pods: non-root, read-only root, no capabilities, RuntimeDefault seccomp, probes, requests and limits, spread", async () => {
            await build(blueGreen({ resources: { requests: { cpu: "250m" } } }));
            const pod = session.get(T.Rollout, "app-rollout").inputs.spec.template.spec;
            assert.equal(pod.securityContext.runAsNonRoot, true);
            assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
            assert.equal(pod.automountServiceAccountToken, false);
            assert.equal(pod.serviceAccountName, "app");
            const [c] = pod.containers;
            assert.deepEqual(c.securityContext, {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
            });
            assert.deepEqual(c.resources, {
                requests: { cpu: "250m", memory: "128Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
            });
            assert.equal(c.readinessProbe.httpGet.path, "/readyz");
            assert.equal(c.livenessProbe.httpGet.path, "/healthz");
            assert.equal(c.startupProbe.httpGet.path, "/healthz");
            assert.equal(c.image, IMAGE);
            const keys = pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey);
            assert.deepEqual(keys, ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
            for (const t of pod.topologySpreadConstraints)
                assert.deepEqual(t.matchLabelKeys, ["rollouts-pod-template-hash"]);
            assert.equal(session.get(T.ServiceAccount, "app-sa").inputs.automountServiceAccountToken, false);
        });

        it("mounts the API token only when asked", async () => {
            await build(blueGreen({ automountServiceAccountToken: true }));
            assert.equal(session.get(T.ServiceAccount, "app-sa").inputs.automountServiceAccountToken, true);
            assert.equal(
                session.get(T.Rollout, "app-rollout").inputs.spec.template.spec.automountServiceAccountToken,
                true,
            );
        });

        it("routes production traffic to the active Service and testers (x-preview: true) to the preview, with retries and timeouts", async () => {
            await build(blueGreen({ traffic: { hosts: ["app.example.com"], gateway: "istio-ingress/public" } }));
            const vs = session.get(T.VirtualService, "app-vs");
            assert.deepEqual(vs.inputs.spec.hosts, ["app.shop.svc.cluster.local", "app.example.com"]);
            assert.deepEqual(vs.inputs.spec.gateways, ["istio-ingress/public", "mesh"]);
            const [preview, primary] = vs.inputs.spec.http;
            // Internal by default: the header route matches mesh callers only, never at the ingress gateway.
            assert.deepEqual(preview.match, [{ headers: { "x-preview": { exact: "true" } }, gateways: ["mesh"] }]);
            assert.equal(preview.route[0].destination.host, "app-preview.shop.svc.cluster.local");
            assert.equal(primary.name, "primary");
            assert.equal(primary.route[0].destination.host, "app.shop.svc.cluster.local");
            for (const r of [preview, primary]) {
                assert.equal(r.timeout, "10s");
                assert.equal(r.retries.attempts, 2);
                assert.equal(r.retries.perTryTimeout, "3s");
            }
            assert.deepEqual(
                vs.ignoreChanges,
                [],
                "nothing in a blue/green VirtualService is rewritten by the controller",
            );
            const dr = session.get(T.DestinationRule, "app-dr").inputs.spec;
            assert.equal(dr.host, "app.shop.svc.cluster.local");
            assert.equal(dr.trafficPolicy.outlierDetection.consecutive5xxErrors, 5);
            assert.equal(dr.trafficPolicy.connectionPool.tcp.maxConnections, 1024);
        });

        it("leaves the Services' selectors to the controller, and they select the Rollout's pods", async () => {
            await build(blueGreen());
            const podLabels = session.get(T.Rollout, "app-rollout").inputs.spec.template.metadata.labels;
            for (const name of ["app-active", "app-preview"]) {
                const svc = session.get(T.Service, name);
                assert.deepEqual(svc.ignoreChanges, ["spec.selector"], name);
                assert.ok(selects(svc.inputs.spec.selector, podLabels), `${name} selects the pods`);
                assert.deepEqual(svc.inputs.spec.ports, [
                    { name: "http", port: 80, targetPort: 8080, protocol: "TCP", appProtocol: "http" },
                ]);
            }
        });

        it("isolates the preview: only the ingress gateway, the release checks and the controller reach it", async () => {
            await build(blueGreen());
            const preview = session.get(T.NetworkPolicy, "app-preview").inputs.spec;
            assert.deepEqual(preview.podSelector, {
                matchLabels: { app: "app" },
                matchExpressions: [{ key: ROLE_LABEL, operator: "NotIn", values: ["active"] }],
            });
            assert.deepEqual(preview.policyTypes, ["Ingress"]);
            const [checks, metrics] = preview.ingress;
            assert.deepEqual(checks.from, [
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } },
                    podSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
                },
                { podSelector: { matchLabels: { [RELEASE_CHECK_LABEL]: "app" } } },
                {
                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "argo-rollouts" } },
                    podSelector: { matchLabels: { ...CONTROLLER_POD_LABELS } },
                },
            ]);
            assert.equal(checks.ports, undefined);
            assert.deepEqual(
                metrics.ports,
                [{ protocol: "TCP", port: SIDECAR_METRICS_PORT }],
                "Prometheus reaches the sidecar metrics port only",
            );
            // No peer in the preview policy admits every pod of the namespace or every namespace.
            for (const rule of preview.ingress) {
                for (const peer of rule.from) {
                    assert.ok(
                        !(peer.podSelector && Object.keys(peer.podSelector).length === 0 && !peer.namespaceSelector),
                        "no bare podSelector {}",
                    );
                }
            }
            // The smoke test pods carry the label the policy admits.
            const smoke = session.get(T.AnalysisTemplate, "app-smoke-tests").inputs.spec.metrics[0];
            const smokePodLabels = smoke.provider.job.spec.template.metadata.labels;
            assert.ok(selects(checks.from[1].podSelector.matchLabels, smokePodLabels));
            // Active pods admit production sources; the policies together cover every pod of the app.
            const active = session.get(T.NetworkPolicy, "app-active").inputs.spec;
            assert.deepEqual(active.podSelector, { matchLabels: { app: "app", [ROLE_LABEL]: "active" } });
        });

        it("protects availability with a PodDisruptionBudget over every pod of the service", async () => {
            await build(blueGreen());
            assert.deepEqual(session.get(T.PodDisruptionBudget, "app-pdb").inputs.spec, {
                maxUnavailable: 1,
                selector: { matchLabels: { app: "app" } },
            });
        });

        it("propagates its dependsOn to every child and makes the Rollout wait for what it references", async () => {
            const crds = new Crds("crds");
            await build(blueGreen(), "app", { dependsOn: [crds] });
            const crdsUrn = session.get("test:index:Crds", "crds").urn;
            const component = session.get("zdp:index:BlueGreenService", "app");
            for (const child of childrenOf(session.resources, component.urn)) {
                assert.ok(child.dependsOn.includes(crdsUrn), `${child.name} depends on the CRDs`);
            }
            const rolloutDeps = session.get(T.Rollout, "app-rollout").dependsOn;
            for (const name of [
                "app-active",
                "app-preview",
                "app-vs",
                "app-dr",
                "app-health-score",
                "app-smoke-tests",
                "app-slo",
                "app-sa",
            ]) {
                const urn = childrenOf(session.resources, component.urn).find((r) => r.name === name)!.urn;
                assert.ok(rolloutDeps.includes(urn), `Rollout waits for ${name}`);
            }
        });
    });

    describe("canary", () => {
        it("routes through Istio with a DestinationRule: stable/canary subsets and a named route the Rollout points at", async () => {
            await build(canary());
            const rollout = session.get(T.Rollout, "app-rollout").inputs.spec;
            const c = rollout.strategy.canary;
            assert.equal(c.stableService, "app-stable");
            assert.equal(c.canaryService, "app-canary");
            assert.deepEqual(c.trafficRouting.istio, {
                virtualService: { name: "app", routes: ["primary"] },
                destinationRule: { name: "app", canarySubsetName: "canary", stableSubsetName: "stable" },
            });
            assert.deepEqual(c.steps, [
                { setWeight: 5 },
                { pause: { duration: 30 } },
                { setWeight: 25 },
                { pause: { duration: 30 } },
                { setWeight: 100 },
            ]);
            assert.deepEqual(c.analysis.templates, [{ templateName: "app-health-score" }, { templateName: "app-slo" }]);
            assert.equal(
                c.analysis.args.find((a: { name: string }) => a.name === "service-host").value,
                "app-canary.shop.svc.cluster.local",
            );
            assert.deepEqual(c.canaryMetadata, { labels: { [ROLE_LABEL]: "canary" } });
            assert.deepEqual(c.stableMetadata, { labels: { [ROLE_LABEL]: "stable" } });
            // Background metrics run until the release completes: no count.
            for (const t of ["app-health-score", "app-slo"]) {
                for (const m of session.get(T.AnalysisTemplate, t).inputs.spec.metrics)
                    assert.equal(m.count, undefined, `${t}/${m.name}`);
            }
            assert.equal(session.find(T.AnalysisTemplate, "app-smoke-tests").length, 0);
        });

        it("ignores exactly the route weights and subset labels the controller rewrites (read from the recorded options)", async () => {
            await build(canary());
            const rollout = session.get(T.Rollout, "app-rollout").inputs.spec.strategy.canary.trafficRouting.istio;
            const vs = session.get(T.VirtualService, "app-vs");
            assert.equal(vs.ignoreChanges.length, 2);
            const routeIndex = vs.inputs.spec.http.findIndex(
                (r: { name: string }) => r.name === rollout.virtualService.routes[0],
            );
            assert.ok(routeIndex >= 0);
            const ignoredWeights = vs.ignoreChanges.map((p) => at(vs.inputs, p));
            assert.deepEqual(ignoredWeights, [100, 0], "the paths point at the weights of the managed route");
            for (const p of vs.ignoreChanges)
                assert.ok(p.startsWith(`spec.http[${routeIndex}].route[`) && p.endsWith("].weight"), p);
            // Declaring other weights than 100/0 would have the controller and Pulumi fight; nothing else is ignored.
            const dr = session.get(T.DestinationRule, "app-dr");
            const subsets = dr.ignoreChanges.map((p) => at(dr.inputs, p.replace(/\.labels$/, "")) as { name: string });
            assert.deepEqual(
                subsets.map((s) => s.name).sort(),
                [rollout.destinationRule.canarySubsetName, rollout.destinationRule.stableSubsetName].sort(),
            );
            for (const p of dr.ignoreChanges) assert.match(p, /^spec\.subsets\[\d+\]\.labels$/);
            assert.deepEqual(session.get(T.Service, "app-stable").ignoreChanges, ["spec.selector"]);
            assert.deepEqual(session.get(T.Service, "app-canary").ignoreChanges, ["spec.selector"]);
            assert.deepEqual(
                session.get(T.Service, "app-root").ignoreChanges,
                [],
                "the root Service selects every pod and is not managed",
            );
        });

        it("admits production sources to both versions and the controller to the canary", async () => {
            await build(canary());
            const production = session.get(T.NetworkPolicy, "app-production").inputs.spec;
            assert.deepEqual(production.podSelector, { matchLabels: { app: "app" } });
            const checks = session.get(T.NetworkPolicy, "app-release-checks").inputs.spec;
            assert.deepEqual(checks.podSelector, { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } });
            const pa = session.get(T.PeerAuthentication, "app-release-checks").inputs.spec;
            assert.deepEqual(pa.selector, { matchLabels: { app: "app", [ROLE_LABEL]: "canary" } });
            assert.deepEqual(pa.portLevelMtls, { "8080": { mode: "PERMISSIVE" } });
            assert.equal(pa.mtls.mode, "STRICT");
        });
    });

    describe("secret environment variables", () => {
        const PLAINTEXT = "s3cr3t-db-password-for-test";
        it("stores them in a Secret, referenced by secretKeyRef, and never in plain text", async () => {
            const svc = await build(blueGreen({ env: { LOG_LEVEL: "info" }, secretEnv: { DB_PASSWORD: PLAINTEXT } }));
            const secret = session.get(T.Secret, "app-env");
            assert.deepEqual(secret.inputs.stringData, { DB_PASSWORD: SECRET_PLACEHOLDER });
            assert.deepEqual(secret.secretInputs, ["stringData"]);
            // secretInputs: the Secret's data reaches the engine as a Pulumi secret although a plain string was passed.
            assert.equal(await valueOf(svc.envSecretName), "app-env");
            const env = session.get(T.Rollout, "app-rollout").inputs.spec.template.spec.containers[0].env;
            assert.deepEqual(env, [
                { name: "LOG_LEVEL", value: "info" },
                { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "app-env", key: "DB_PASSWORD" } } },
            ]);
            assert.deepEqual(plaintextOccurrences(session.resources, PLAINTEXT), []);
        });

        it("keeps a value that already is a secret secret", async () => {
            await build(canary({ secretEnv: { API_KEY: pulumi.secret(PLAINTEXT) } }));
            assert.deepEqual(
                session.find(T.Secret).map((r) => r.secretInputs),
                [["stringData"]],
            );
            assert.deepEqual(plaintextOccurrences(session.resources, PLAINTEXT), []);
        });
    });

    describe("images built in the same stack", () => {
        const build_ = { context: "./apps/app", imageName: "registry.example.com/shop/app:ci" };

        it("renders at preview with the digest unknown", async () => {
            session = await mockSession({ preview: true });
            const svc = await build(blueGreen({ image: undefined, build: build_ }));
            const image = session.get(T.DockerImage, "app-image");
            assert.equal(image.inputs.imageName, "registry.example.com/shop/app:ci");
            assert.equal(image.inputs.build.dockerfile, "./apps/app/Dockerfile");
            const rollout = session.get(T.Rollout, "app-rollout").inputs.spec;
            assert.equal(rollout.template.spec.containers[0].image, UNKNOWN_PLACEHOLDER);
            assert.equal(rollout.template.metadata.labels[REVISION_LABEL], UNKNOWN_PLACEHOLDER);
            assert.equal((await outputDetails(svc.image)).isKnown, false);
            // Timing does not depend on the image.
            assert.equal((await valueOf(svc.timing)).rollbackSeconds, 5);
        });

        it("deploys the pushed digest on update", async () => {
            const svc = await build(blueGreen({ image: undefined, build: build_ }));
            const image = await valueOf(svc.image);
            assert.match(image, /^registry\.example\.com\/shop\/app@sha256:[0-9a-f]{64}$/);
            assert.equal(session.get(T.Rollout, "app-rollout").inputs.spec.template.spec.containers[0].image, image);
        });
    });

    describe("through the constructor", () => {
        it("throws one ResourceError naming every wrong field", () => {
            const message = assertArgError(
                () =>
                    new BlueGreenService("bad", {
                        namespace: "shop",
                        image: "registry.example.com/shop/app:1.0",
                        replicas: -1,
                        strategy: "canary",
                        health: { livenessPath: "healthz" },
                        canary: { steps: [{ weight: 30 }, { weight: 20 }, { weight: 90 }] },
                    }),
                "BlueGreenService",
                "bad",
                ["image", "replicas", "health.livenessPath", "canary.steps[1].weight", "canary.steps[2].weight"],
            );
            assert.match(message, /pinned by digest/);
        });
    });

    describe("smoke test script", () => {
        // Runs the Job's script with a stand-in curl that answers per path, to prove it fails on any non-2xx.
        function run(codes: Record<string, string>): number {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
            try {
                const table = Object.entries(codes)
                    .map(([p, c]) => `  *"${p}") printf '${c}' ;;`)
                    .join("\n");
                fs.writeFileSync(
                    path.join(dir, "curl"),
                    `#!/bin/sh\nfor a; do url="$a"; done\ncase "$url" in\n${table}\n  *) exit 7 ;;\nesac\n`,
                    { mode: 0o755 },
                );
                execFileSync("/bin/sh", ["-c", SMOKE_TEST_SCRIPT], {
                    env: {
                        PATH: `${dir}:/usr/bin:/bin`,
                        BASE_URL: "http://app-preview:80",
                        SMOKE_PATHS: Object.keys(codes).join(" "),
                        REQUEST_TIMEOUT: "5",
                    },
                    stdio: "pipe",
                    timeout: 10_000,
                });
                return 0;
            } catch (e) {
                return (e as { status?: number }).status ?? -1;
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }

        it("passes when every path answers 2xx and fails on the first other answer", () => {
            assert.equal(run({ "/a": "200", "/b": "204" }), 0);
            assert.equal(run({ "/a": "200", "/b": "503" }), 1);
            assert.equal(run({ "/a": "302" }), 1);
            assert.equal(run({ "/a": "000" }), 1);
        });
    });
});
