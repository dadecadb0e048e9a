/**
 * Release timing (timing.ts) through the component: the timing output against hand-computed values, and the
 * configurations the constructor refuses because the release could not roll back in time or exceeds its budget.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "../../../components/blueGreenService";
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import { mockSession } from "../../helpers/components";
import { MockSession, valueOf } from "../../../tools/mockRuntime";
import { blueGreen, canary, SMOKE_IMAGE } from "./helpers";

describe("BlueGreenService release timing", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args: BlueGreenServiceArgs): Promise<BlueGreenService> {
        const svc = new BlueGreenService("app", args);
        await session.settle();
        return svc;
    }

    describe("release timing outputs (hand-computed)", () => {
        async function timing(args: BlueGreenServiceArgs) {
            return valueOf((await build(args)).timing);
        }

        it("blue/green defaults: pre max(check traffic 20 + 4·3 + 3·10 + 10, 60, 6·3 + 5·5) + post 43 = 115 s; rollback 3 + 2 = 5 s; 0% exposed", async () => {
            assert.deepEqual(await timing(blueGreen()), {
                strategy: "blueGreen",
                healthyPromotionSeconds: 115,
                waitsForPromotion: false,
                rollbackSeconds: 5,
                maxExposurePercent: 0,
                previousVersionRetainedSeconds: 3600,
            });
        });

        it("canary defaults: 30 + 30 = 60 s; the health score only pauses, the SLO error rate fails by 3 → 5 s; 5% exposed", async () => {
            assert.deepEqual(await timing(canary()), {
                strategy: "canary",
                healthyPromotionSeconds: 60,
                waitsForPromotion: false,
                rollbackSeconds: 5,
                maxExposurePercent: 5,
                previousVersionRetainedSeconds: 3600,
            });
        });

        it("manual blue/green with custom gates: pre max(20 + 4·2 + 3·10 + 10, 30, 35) + post 3·5 + 2·10 = 103 s; rollback 2·5 + 10 + 2 = 22 s", async () => {
            const t = await timing(
                blueGreen({
                    blueGreen: { autoPromotion: false },
                    analysis: {
                        health: { intervalSeconds: 10, count: 4, timeoutSeconds: 2, consecutiveErrorLimit: 0 },
                        slo: { intervalSeconds: 10, count: 3, timeoutSeconds: 5, failureLimit: 1 },
                        smokeTest: { image: SMOKE_IMAGE, paths: ["/"], timeoutSeconds: 30 },
                    },
                    retention: { scaleDownDelaySeconds: 1800 },
                }),
            );
            assert.equal(t.healthyPromotionSeconds, 68 + 35);
            assert.equal(t.waitsForPromotion, true);
            assert.equal(t.rollbackSeconds, 22);
            assert.equal(t.maxExposurePercent, 0);
            assert.equal(t.previousVersionRetainedSeconds, 1800);
        });

        it("canary waiting for promotion at 50%: 60 s automated; detection by the SLO error rate at 3 → 5 s; 10% exposed", async () => {
            const t = await timing(
                canary({
                    canary: {
                        steps: [
                            { weight: 10, pauseSeconds: 60 },
                            { weight: 50, waitForPromotion: true },
                            { weight: 100 },
                        ],
                    },
                    analysis: { health: { timeoutSeconds: 2, consecutiveErrorLimit: 0 } },
                }),
            );
            assert.deepEqual(
                { ...t, strategy: undefined },
                {
                    strategy: undefined,
                    healthyPromotionSeconds: 60,
                    waitsForPromotion: true,
                    rollbackSeconds: 5,
                    maxExposurePercent: 10,
                    previousVersionRetainedSeconds: 3600,
                },
            );
            assert.deepEqual(
                session.get("kubernetes:argoproj.io/v1alpha1:Rollout", "app-rollout").inputs.spec.strategy.canary.steps,
                [{ setWeight: 10 }, { pause: { duration: 60 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
            );
        });
    });

    describe("rejected release configurations", () => {
        function message(args: BlueGreenServiceArgs): string {
            try {
                new BlueGreenService("app", args);
            } catch (e) {
                assert.ok(pulumi.ResourceError.isInstance(e), String(e));
                return (e as Error).message;
            }
            assert.fail("expected the constructor to throw");
        }

        it("rejects a previous version scaled down before the post-promotion analysis can fail", async () => {
            // latest post-promotion failure with the defaults: 6·(3 + 2·13) + 5·5 = 199 s
            const m = message(blueGreen({ retention: { scaleDownDelaySeconds: 120 } }));
            assert.match(
                m,
                /retention\.scaleDownDelaySeconds: scaleDownDelaySeconds \(120\) is shorter than the post-promotion analysis can take to fail \(199 s\)/,
            );
            // Exactly the latest failure is enough: the previous version is still there when the gate fails.
            const ok = new BlueGreenService("ok", blueGreen({ retention: { scaleDownDelaySeconds: 199 } }));
            assert.deepEqual(await valueOf(ok.timing), {
                strategy: "blueGreen",
                healthyPromotionSeconds: 115,
                waitsForPromotion: false,
                rollbackSeconds: 5,
                maxExposurePercent: 0,
                previousVersionRetainedSeconds: 199,
            });
        });

        it("rejects a canary that reaches 100% before its analysis can fail", () => {
            const m = message(canary({ canary: { steps: [{ weight: 10, pauseSeconds: 2 }, { weight: 100 }] } }));
            assert.match(
                m,
                /canary\.steps: the canary reaches 100% after 2 s, before its background analysis can fail \(3 s\)/,
            );
        });

        it("rejects configurations over the budget, naming each limit", () => {
            const m = message(
                blueGreen({
                    analysis: { smokeTest: { image: SMOKE_IMAGE, paths: ["/"], timeoutSeconds: 90 } },
                    budget: { maxHealthyPromotionSeconds: 120, maxRollbackSeconds: 4 },
                }),
            );
            assert.match(m, /budget: a healthy release takes 133 s to be fully promoted \(budget 120 s\)/);
            assert.match(m, /budget: a bad release can take 5 s to be rolled back \(budget 4 s\)/);
        });
    });
});
