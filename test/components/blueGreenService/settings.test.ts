/**
 * Release settings (settings.ts): every default applied once, so the class and the builders never read raw
 * arguments. Each expectation here is the documented default of the field (args.ts).
 */
import * as assert from "node:assert/strict";
import { DEFAULT_PROMETHEUS_ADDRESS, DEFAULTS } from "../../../components/blueGreenService/constants";
import { releaseSettings } from "../../../components/blueGreenService/settings";
import { DEFAULT_MESH_NAMESPACE } from "../../../components/previewIsolation";
import { blueGreen, canary, IMAGE, settingsOf, SMOKE_IMAGE } from "./helpers";

describe("BlueGreenService settings", () => {
    it("applies the documented defaults to minimal blue/green arguments", () => {
        const s = settingsOf(blueGreen());
        assert.equal(s.name, "app", "the service name defaults to the resource name");
        assert.equal(s.strategy, "blueGreen");
        assert.equal(s.image, IMAGE);
        assert.equal(s.build, undefined);
        assert.equal(s.replicas, 2);
        assert.deepEqual(s.ports, [{ name: "http", containerPort: 8080, port: 80 }]);
        assert.deepEqual([s.livenessPath, s.readinessPath, s.startupPath], ["/healthz", "/readyz", "/healthz"]);
        assert.deepEqual(s.checks, [
            { path: "/healthz", weight: 1 },
            { path: "/readyz", weight: 1 },
        ]);
        assert.equal(s.scoreThreshold, 95);
        assert.deepEqual(s.signalWeights, { checks: 60, errors: 20, latency: 20 });
        assert.deepEqual(s.resources, {
            requests: { cpu: "100m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "256Mi" },
        });
        assert.deepEqual([s.env, s.secretEnv], [{}, {}]);
        assert.deepEqual([s.autoPromotion, s.autoPromotionSeconds, s.previewReplicas], [true, undefined, undefined]);
        assert.deepEqual(s.health, { ...DEFAULTS.health });
        assert.equal(s.slo.count, 6);
        assert.deepEqual(s.sloSpec, {
            prometheusAddress: DEFAULT_PROMETHEUS_ADDRESS,
            maxErrorRate: 0.001,
            maxLatencyMs: 500,
            latencyQuantile: 0.99,
            minRequests: 20,
            windowSeconds: 60,
        });
        assert.deepEqual(s.smokeTest, { image: SMOKE_IMAGE, paths: ["/api/ping", "/api/cart"], timeoutSeconds: 60 });
        assert.deepEqual(s.checkTraffic, { image: SMOKE_IMAGE, requestsPerMinute: 60 }, "the smoke image, 1 per s");
        assert.deepEqual(
            [s.scaleDownDelaySeconds, s.abortScaleDownDelaySeconds, s.rollbackWindowRevisions, s.revisionHistoryLimit],
            [3600, 30, 2, 3],
        );
        assert.deepEqual(s.traffic, {
            hosts: [],
            gateway: undefined,
            previewHeader: "x-preview",
            timeoutSeconds: 10,
            retries: 2,
            perTryTimeoutSeconds: 3,
            maxConnections: 1024,
            maxPendingRequests: 1024,
            consecutive5xxErrors: 5,
            ejectionSeconds: 30,
        });
        assert.deepEqual(s.network, {
            gatewayNamespace: "istio-ingress",
            controllerNamespace: "argo-rollouts",
            prometheusNamespace: "monitoring",
            meshNamespace: DEFAULT_MESH_NAMESPACE,
        });
        assert.deepEqual([s.progressDeadlineSeconds, s.runAsUser, s.automountServiceAccountToken], [600, 65532, false]);
        assert.equal(s.isolation.exposure, "internal");
        assert.deepEqual([s.budget, s.release], [undefined, {}]);
    });

    it("canary: default steps, gates without a count, no smoke test and no check traffic", () => {
        const s = settingsOf(canary());
        assert.deepEqual(s.canarySteps, DEFAULTS.canarySteps);
        assert.equal(s.health.count, undefined);
        assert.equal(s.slo.count, undefined);
        assert.equal(s.smokeTest, undefined);
        assert.equal(s.checkTraffic, undefined);
    });

    it("keeps what is given, and defaults each part of a partly given field on its own", () => {
        const s = releaseSettings("resource", {
            ...blueGreen({ name: "checkout" }),
            ports: [{ containerPort: 9000 }, { containerPort: 9001, port: 81 }],
            health: { livenessPath: "/live", signalWeights: { checks: undefined, errors: 0 } },
            resources: { requests: { cpu: "250m" }, limits: { memory: "1Gi" } },
            build: { context: "./apps/checkout", imageName: "registry.example.com/shop/checkout:ci" },
            traffic: { hosts: ["shop.example.com"], gateway: "istio-ingress/public", retries: 0 },
            network: { meshNamespace: "mesh" },
        });
        assert.equal(s.name, "checkout");
        assert.deepEqual(s.ports, [
            { name: "http", containerPort: 9000, port: 9000 },
            { name: "port-1", containerPort: 9001, port: 81 },
        ]);
        assert.equal(s.startupPath, "/live", "the startup probe follows the liveness path");
        assert.deepEqual(
            s.signalWeights,
            { checks: 60, errors: 0, latency: 20 },
            "an undefined weight keeps its default",
        );
        assert.deepEqual(s.resources, {
            requests: { cpu: "250m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "1Gi" },
        });
        assert.deepEqual(s.build, {
            context: "./apps/checkout",
            dockerfile: "./apps/checkout/Dockerfile",
            imageName: "registry.example.com/shop/checkout:ci",
        });
        assert.deepEqual(
            [s.traffic.hosts, s.traffic.gateway, s.traffic.retries],
            [["shop.example.com"], "istio-ingress/public", 0],
        );
        assert.equal(s.network.meshNamespace, "mesh");
        assert.equal(s.network.gatewayNamespace, "istio-ingress");
    });

    it("sizes the check traffic to twice the minimum sample per window, within 60 to 600 a minute", () => {
        const rate = (slo: { minRequests?: number; windowSeconds?: number }) =>
            settingsOf(blueGreen({ analysis: { smokeTest: { image: SMOKE_IMAGE, paths: ["/"] }, slo } })).checkTraffic!
                .requestsPerMinute;
        assert.equal(rate({}), 60, "2·20 per 60 s is 40 a minute: at least 60");
        assert.equal(rate({ minRequests: 100, windowSeconds: 60 }), 200);
        assert.equal(rate({ minRequests: 1000, windowSeconds: 30 }), 600, "capped");
        const given = settingsOf(
            canary({ analysis: { checkTraffic: { image: SMOKE_IMAGE, requestsPerMinute: 90 } } }),
        ).checkTraffic;
        assert.deepEqual(given, { image: SMOKE_IMAGE, requestsPerMinute: 90 });
    });
});
