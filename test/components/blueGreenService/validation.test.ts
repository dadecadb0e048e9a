/**
 * BlueGreenService argument validation: the standalone checks (checks.ts) called directly, and the whole-argument
 * validator (validation.ts) with its field paths, unknown-field reports and prefixes. The constructor's use of it is
 * in component.test.ts.
 */
import * as assert from "node:assert/strict";
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import {
    checkBuildImageName,
    checkCanarySteps,
    checkImageReference,
    checkQuantity,
    checkServiceName,
    quantityValue,
} from "../../../components/blueGreenService/checks";
import { validateBlueGreenServiceArgs } from "../../../components/blueGreenService/validation";

const DIGEST = "c".repeat(64);
const IMAGE = `registry.example.com/shop/app@sha256:${DIGEST}`;
const SMOKE = { image: `registry.example.com/platform/smoke@sha256:${"d".repeat(64)}`, paths: ["/ping"] };
const valid: BlueGreenServiceArgs = { namespace: "shop", image: IMAGE, analysis: { smokeTest: SMOKE } };

/** Errors for `valid` with `over` applied (shallow). */
function errorsOf(over: Record<string, unknown>): string[] {
    return validateBlueGreenServiceArgs({ ...valid, ...over });
}
/** Asserts exactly one error, mentioning `field` and matching `pattern`. */
function assertOneError(over: Record<string, unknown>, field: string, pattern?: RegExp): void {
    const errors = errorsOf(over);
    assert.equal(errors.length, 1, `expected one error, got:\n${errors.join("\n")}`);
    assert.ok(errors[0].startsWith(field), `"${errors[0]}" should start with ${field}`);
    if (pattern) assert.match(errors[0], pattern);
}

describe("BlueGreenService validation", () => {
    it("accepts the minimal blue/green and canary arguments", () => {
        assert.deepEqual(validateBlueGreenServiceArgs(valid), []);
        assert.deepEqual(validateBlueGreenServiceArgs({ namespace: "shop", image: IMAGE, strategy: "canary" }), []);
    });

    describe("image", () => {
        it("requires a digest, rejecting tag-only and malformed references", () => {
            assert.equal(checkImageReference("image", IMAGE), undefined);
            assert.equal(
                checkImageReference("image", `registry.example.com:5000/shop/app:1.4.2@sha256:${DIGEST}`),
                undefined,
                "a tag may stay in front of the digest",
            );
            assert.match(
                checkImageReference("image", "registry.example.com/shop/app:1.4.2")!,
                /must be pinned by digest/,
            );
            assert.match(checkImageReference("image", "registry.example.com/shop/app")!, /must be pinned by digest/);
            assert.match(
                checkImageReference("image", `registry.example.com/shop/app@sha256:${"C".repeat(64)}`)!,
                /lower-case hex/,
            );
            assert.match(
                checkImageReference("image", `registry.example.com/shop/app@sha256:${"c".repeat(63)}`)!,
                /digest-pinned/,
            );
            assert.match(checkImageReference("image", undefined)!, /digest-pinned/);
            assertOneError({ image: "registry.example.com/shop/app:latest" }, "image", /pinned by digest/);
        });

        it("takes exactly one of image and build, and a build pushes to a repository without a digest", () => {
            assertOneError(
                { build: { context: ".", imageName: "registry.example.com/shop/app:ci" } },
                "image",
                /exclusive/,
            );
            assertOneError({ image: undefined }, "image", /required/);
            assert.deepEqual(
                errorsOf({
                    image: undefined,
                    build: { context: "./app", imageName: "registry.example.com/shop/app:ci" },
                }),
                [],
            );
            assert.match(checkBuildImageName("build.imageName", IMAGE)!, /no digest/);
            assertOneError(
                { image: undefined, build: { context: "./app", imageName: "Not A Repo" } },
                "build.imageName",
            );
        });
    });

    describe("canary steps", () => {
        it("accepts strictly increasing weights ending at 100", () => {
            assert.deepEqual(
                checkCanarySteps("canary.steps", [
                    { weight: 5, pauseSeconds: 30 },
                    { weight: 25, waitForPromotion: true },
                    { weight: 100 },
                ]),
                [],
            );
            assert.deepEqual(checkCanarySteps("canary.steps", [{ weight: 100 }]), []);
        });

        it("rejects weights out of range", () => {
            for (const w of [0, -5, 101, 12.5, "10"]) {
                const errors = checkCanarySteps("canary.steps", [{ weight: w }, { weight: 100 }]);
                assert.equal(errors.length, 1, JSON.stringify(w));
                assert.match(errors[0], /^canary\.steps\[0\]\.weight must be an integer from 1 to 100/);
            }
        });

        it("rejects weights that do not strictly increase", () => {
            const errors = checkCanarySteps("canary.steps", [
                { weight: 25 },
                { weight: 25 },
                { weight: 10 },
                { weight: 100 },
            ]);
            assert.deepEqual(
                errors.map((e) => e.split(" ")[0]),
                ["canary.steps[1].weight", "canary.steps[2].weight"],
            );
            assert.match(errors[0], /strictly increase/);
        });

        it("rejects steps that do not end at 100, or pause at 100", () => {
            assert.match(
                checkCanarySteps("canary.steps", [{ weight: 5 }, { weight: 50 }])[0],
                /^canary\.steps\[1\]\.weight must be 100/,
            );
            assert.match(
                checkCanarySteps("canary.steps", [{ weight: 5 }, { weight: 100, pauseSeconds: 60 }])[0],
                /^canary\.steps\[1\] must not pause/,
            );
            assert.match(checkCanarySteps("canary.steps", [])[0], /non-empty/);
            assert.match(
                checkCanarySteps("canary.steps", [
                    { weight: 5, pauseSeconds: 10, waitForPromotion: true },
                    { weight: 100 },
                ])[0],
                /both pauseSeconds and waitForPromotion/,
            );
        });

        it("reports them through the component's field path", () => {
            const errors = validateBlueGreenServiceArgs({
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                canary: { steps: [{ weight: 50 }, { weight: 20 }] },
            });
            assert.deepEqual(
                errors.map((e) => e.split(" ")[0]),
                ["canary.steps[1].weight", "canary.steps[1].weight"],
            );
        });
    });

    describe("names, paths and numbers", () => {
        it("rejects bad DNS names for the service and the namespace", () => {
            assert.equal(checkServiceName("name", "checkout"), undefined);
            for (const bad of ["Checkout", "1checkout", "check_out", "-a", "a".repeat(51), ""])
                assert.ok(checkServiceName("name", bad), bad);
            assertOneError({ name: "Check_Out" }, "name", /DNS-1035/);
            assertOneError({ namespace: "shop.ns" }, "namespace", /DNS-1123/);
        });

        it("rejects health paths without a leading slash", () => {
            assertOneError({ health: { readinessPath: "ready" } }, "health.readinessPath", /starting with '\/'/);
            assertOneError({ health: { checks: [{ path: "healthz", weight: 10 }] } }, "health.checks[0].path");
            assertOneError({ health: { checks: [{ path: "/a" }, { path: "/a" }] } }, "health.checks[1].path", /twice/);
            assertOneError({ analysis: { smokeTest: { ...SMOKE, paths: ["ping"] } } }, "analysis.smokeTest.paths[0]");
        });

        it("rejects negative or fractional replicas and bad ports", () => {
            assertOneError({ replicas: -1 }, "replicas");
            assertOneError({ replicas: 1.5 }, "replicas");
            assert.deepEqual(errorsOf({ replicas: 0 }), [], "zero replicas is a valid (scaled-down) service");
            assertOneError(
                { ports: [{ containerPort: 15020 }] },
                "ports[0].containerPort",
                /reserved by the Istio sidecar/,
            );
            assertOneError({ ports: [{ containerPort: 8080 }, { containerPort: 9090 }] }, "ports[1].name");
            assertOneError({ ports: [{ containerPort: 70000 }] }, "ports[0].containerPort");
        });

        it("checks resource quantities and that requests do not exceed limits", () => {
            assert.equal(checkQuantity("cpu", "250m", "cpu"), undefined);
            assert.ok(checkQuantity("cpu", "250Mi", "cpu"));
            assert.equal(quantityValue("1Gi"), 1024 ** 3);
            assertOneError(
                { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } },
                "resources.requests.memory",
                /must not exceed/,
            );
            assertOneError({ resources: { requests: { cpu: "two" } } }, "resources.requests.cpu");
        });

        it("checks analysis numbers, including a failure limit that would make a gate unable to fail", () => {
            assertOneError(
                { analysis: { smokeTest: SMOKE, slo: { count: 3, failureLimit: 3 } } },
                "analysis.slo.failureLimit",
                /can never fail/,
            );
            assertOneError({ analysis: { smokeTest: SMOKE, slo: { maxErrorRate: 1.5 } } }, "analysis.slo.maxErrorRate");
            assertOneError(
                { analysis: { smokeTest: SMOKE, health: { intervalSeconds: 0 } } },
                "analysis.health.intervalSeconds",
            );
            assertOneError(
                { analysis: { smokeTest: SMOKE, prometheusAddress: "prometheus:9090" } },
                "analysis.prometheusAddress",
            );
            const canaryCount = validateBlueGreenServiceArgs({
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                analysis: { slo: { count: 5 } },
            });
            assert.equal(canaryCount.length, 1);
            assert.match(canaryCount[0], /^analysis\.slo\.count does not apply to the canary strategy/);
        });
    });

    describe("combinations", () => {
        it("requires smoke tests for blue/green and refuses them for canary", () => {
            assertOneError({ analysis: {} }, "analysis.smokeTest", /required for blueGreen/);
            const errors = validateBlueGreenServiceArgs({
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                analysis: { smokeTest: SMOKE },
            });
            assert.equal(errors.length, 1);
            assert.match(errors[0], /^analysis\.smokeTest applies to the blueGreen strategy only/);
        });

        it("rejects strategy settings that do not match the strategy", () => {
            assertOneError({ strategy: "rolling" }, "strategy");
            assertOneError({ canary: { steps: [{ weight: 100 }] } }, "canary", /strategy/);
            assertOneError(
                { blueGreen: { autoPromotion: false, autoPromotionSeconds: 30 } },
                "blueGreen.autoPromotionSeconds",
                /no effect/,
            );
        });

        it("keeps a variable either plain or secret, with valid names", () => {
            assertOneError({ env: { A: "1" }, secretEnv: { A: "x" } }, "secretEnv.A", /either plain or secret/);
            assertOneError({ env: { "BAD-NAME": "1" } }, "env.BAD-NAME");
            assertOneError({ env: { PORT: 8080 } }, "env.PORT", /must be a string/);
        });

        it("requires a gateway with external hosts, and valid host names", () => {
            assertOneError({ traffic: { hosts: ["app.example.com"] } }, "traffic.gateway", /required/);
            assertOneError(
                { traffic: { hosts: ["App Example"], gateway: "istio-ingress/public" } },
                "traffic.hosts[0]",
            );
            assertOneError(
                { traffic: { perTryTimeoutSeconds: 20, timeoutSeconds: 10 } },
                "traffic.perTryTimeoutSeconds",
            );
            assertOneError(
                { retention: { rollbackWindowRevisions: 5, revisionHistoryLimit: 3 } },
                "retention.rollbackWindowRevisions",
            );
        });

        it("names unknown fields instead of ignoring a typo", () => {
            assertOneError({ replicaz: 3 }, "replicaz is not a known field");
            assertOneError({ health: { readinesPath: "/ready" } }, "health.readinesPath is not a known field");
        });

        it("uses the prefix it is given for every message", () => {
            const errors = validateBlueGreenServiceArgs(
                { namespace: "Bad", image: "app:1", replicas: -2 },
                "services[3].",
            );
            assert.ok(errors.length >= 3);
            for (const e of errors) assert.ok(e.startsWith("services[3]."), e);
        });
    });
});
