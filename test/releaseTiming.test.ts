/**
 * The release timing model (components/lib/releaseTiming.ts) on hand-built Argo Rollouts objects, as a policy would
 * hand them in. Every expected number is worked out by hand in the comment next to it from the formulas in the
 * model's documentation (d = initialDelay, I = interval, C = count, F = failureLimit, E = consecutiveErrorLimit,
 * T = measurement timeout, R = 10 s error retry, switch = 2 s).
 */
import * as assert from "node:assert/strict";
import {
    AnalysisTemplateLike,
    checkTimingBudget,
    ERROR_RETRY_SECONDS,
    gateFailSeconds,
    gatePassSeconds,
    metricFailSeconds,
    metricLatestFailSeconds,
    metricPassSeconds,
    metricTiming,
    parseDurationSeconds,
    rolloutTiming,
    TimingInputError,
    TRAFFIC_SWITCH_SECONDS,
} from "../components/lib/releaseTiming";

// Builders for Argo objects (plain data, as rendered).
function web(name: string, fields: Record<string, unknown>, timeoutSeconds?: number) {
    return {
        name,
        ...fields,
        provider: { web: { url: `http://svc/${name}`, ...(timeoutSeconds ? { timeoutSeconds } : {}) } },
    };
}
function prom(name: string, fields: Record<string, unknown>, timeout?: number) {
    return {
        name,
        ...fields,
        provider: { prometheus: { address: "http://prom:9090", query: "vector(1)", ...(timeout ? { timeout } : {}) } },
    };
}
function job(name: string, fields: Record<string, unknown>, activeDeadlineSeconds?: number) {
    return {
        name,
        ...fields,
        provider: { job: { spec: { ...(activeDeadlineSeconds ? { activeDeadlineSeconds } : {}), template: {} } } },
    };
}
function template(name: string, metrics: unknown[], dryRun?: { metricName: string }[]): AnalysisTemplateLike {
    return { metadata: { name }, spec: { metrics, ...(dryRun ? { dryRun } : {}) } };
}
const ref = (...names: string[]) => ({ templates: names.map((templateName) => ({ templateName })) });

describe("release timing model", () => {
    it("assumes the documented constants", () => {
        // The hand computations below rely on these; a change must be deliberate.
        assert.equal(ERROR_RETRY_SECONDS, 10);
        assert.equal(TRAFFIC_SWITCH_SECONDS, 2);
    });

    describe("durations and counts", () => {
        it("reads Go durations and IntOrString seconds", () => {
            assert.equal(parseDurationSeconds("30s"), 30);
            assert.equal(parseDurationSeconds("1m30s"), 90);
            assert.equal(parseDurationSeconds("1h"), 3600);
            assert.equal(parseDurationSeconds("500ms"), 0.5);
            assert.equal(parseDurationSeconds(45), 45);
            assert.equal(parseDurationSeconds("45"), 45);
        });

        it("refuses what it cannot read instead of guessing", () => {
            for (const bad of ["", "5 minutes", "{{args.interval}}", "-3s", -1, "1d"]) {
                assert.throws(() => parseDurationSeconds(bad), TimingInputError, JSON.stringify(bad));
            }
            assert.throws(() => metricTiming(web("m", { interval: "5s", count: "{{args.count}}" })), /metric m: count/);
        });

        it("applies Argo's defaults: failureLimit 0, consecutiveErrorLimit 4, web timeout 10 s, one measurement without interval", () => {
            const m = metricTiming(web("m", {}));
            assert.equal(m.count, 1);
            assert.equal(m.failureLimit, 0);
            assert.equal(m.consecutiveErrorLimit, 4);
            assert.equal(m.measurementSeconds, 10);
            assert.equal(
                metricTiming(web("m", { interval: "5s" })).count,
                undefined,
                "interval without count runs until terminated",
            );
            assert.equal(
                metricTiming(job("j", {})).measurementSeconds,
                Infinity,
                "a Job without a deadline is unbounded",
            );
        });
    });

    describe("one metric", () => {
        it("computes pass, fail and latest-fail times by the documented formulas", () => {
            // web, d=5, I=10, C=4, F=1, E=2, T=2
            const m = metricTiming(
                web(
                    "m",
                    { initialDelay: "5s", interval: "10s", count: 4, failureLimit: 1, consecutiveErrorLimit: 2 },
                    2,
                ),
            );
            // pass = d + C·T + (C−1)·I = 5 + 8 + 30
            assert.equal(metricPassSeconds(m), 43);
            // failures: d + (F+1)·T + F·I = 5 + 4 + 10 = 19; errors: d + (E+1)·T + E·R = 5 + 6 + 20 = 31; web takes the worse
            assert.equal(metricFailSeconds(m), 31);
            // latest = d + C·(T + E·(T+R)) + (C−1)·I = 5 + 4·(2 + 2·12) + 30 = 139
            assert.equal(metricLatestFailSeconds(m), 139);
        });

        it("counts only failures for Prometheus and Job metrics (their errors are not the release's)", () => {
            const p = metricTiming(
                prom("p", { interval: "10s", count: 6, failureLimit: 2, consecutiveErrorLimit: 9 }, 4),
            );
            // d + (F+1)·T + F·I = 0 + 12 + 20
            assert.equal(metricFailSeconds(p), 32);
            const j = metricTiming(job("j", { count: 1 }, 90));
            assert.equal(metricFailSeconds(j), 90);
            assert.equal(metricPassSeconds(j), 90);
        });

        it("cannot fail when failureLimit >= count, and never completes without a count", () => {
            const m = metricTiming(prom("p", { interval: "5s", count: 2, failureLimit: 2 }, 3));
            assert.equal(metricFailSeconds(m), Infinity);
            const background = metricTiming(prom("p", { interval: "5s" }, 3));
            assert.equal(metricPassSeconds(background), Infinity);
            assert.equal(metricFailSeconds(background), 3);
        });
    });

    describe("a gate", () => {
        it("passes with its slowest metric, fails (worst case) with its slowest non-dry-run metric", () => {
            const t = template(
                "t",
                [
                    web("fast", { interval: "5s", count: 2, consecutiveErrorLimit: 0 }, 1), // pass 1·2+5 = 7; fail max(1, 1) = 1
                    prom("slow", { interval: "5s", count: 3 }, 3), // pass 9+10 = 19; fail 3
                    web("informational", { interval: "20s", count: 3, consecutiveErrorLimit: 0 }, 1), // pass 3+40 = 43, dry-run
                ],
                [{ metricName: "info.*" }],
            );
            const gate = {
                metrics: (t.spec as { metrics: unknown[] }).metrics.map((m) =>
                    metricTiming(m, [{ metricName: "info.*" }]),
                ),
            };
            assert.equal(gatePassSeconds(gate), 43, "the run waits for the dry-run metric too");
            assert.equal(gateFailSeconds(gate), 3, "the dry-run metric never fails the run");
            assert.equal(gateFailSeconds({ metrics: gate.metrics.filter((m) => m.dryRun) }), Infinity);
        });
    });

    describe("blue/green", () => {
        // Configuration A: the component's staging defaults, written out as Argo objects.
        const stagingTemplates = [
            template("health", [
                web("health-healthz", { interval: "5s", count: 3, failureLimit: 0, consecutiveErrorLimit: 1 }, 1),
                web("health-readyz", { interval: "5s", count: 3, failureLimit: 0, consecutiveErrorLimit: 1 }, 1),
            ]),
            template("smoke", [job("smoke-tests", { count: 1, failureLimit: 0 }, 60)]),
            template("slo", [
                prom(
                    "error-rate",
                    { interval: "5s", count: 6, failureLimit: 0, inconclusiveLimit: 3, consecutiveErrorLimit: 2 },
                    3,
                ),
                prom(
                    "latency-p99",
                    { interval: "5s", count: 6, failureLimit: 0, inconclusiveLimit: 3, consecutiveErrorLimit: 2 },
                    3,
                ),
            ]),
        ];
        const stagingRollout = {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Rollout",
            spec: {
                strategy: {
                    blueGreen: {
                        activeService: "app",
                        previewService: "app-preview",
                        autoPromotionEnabled: true,
                        scaleDownDelaySeconds: 3600,
                        prePromotionAnalysis: ref("health", "smoke"),
                        postPromotionAnalysis: ref("slo"),
                    },
                },
            },
        };

        it("configuration A (staging defaults): 103 s healthy, 5 s rollback, nothing exposed before the gates", () => {
            const t = rolloutTiming(stagingRollout, stagingTemplates);
            // pre = max(health 0 + 3·1 + 2·5 = 13, smoke 60) = 60; post = 6·3 + 5·5 = 43; auto, no delay
            assert.equal(t.healthyPromotionSeconds, 60 + 43);
            assert.equal(t.waitsForPromotion, false);
            // post fails at 0 + (0+1)·3 + 0 = 3; + switch 2
            assert.equal(t.rollbackSeconds, 5);
            assert.equal(t.maxExposurePercent, 0);
            assert.equal(t.previousVersionRetainedSeconds, 3600);
            // latest post failure: 6·(3 + 2·13) + 25 = 199 ≤ 3600
            assert.deepEqual(t.problems, []);
        });

        it("configuration B (manual promotion, initial delays, failure limits): 363 s of gates and a 112 s rollback, but the old version would be gone", () => {
            const templates = [
                template("pre", [
                    web(
                        "health",
                        { initialDelay: "5s", interval: "10s", count: 4, failureLimit: 1, consecutiveErrorLimit: 0 },
                        2,
                    ),
                ]),
                template("post", [
                    prom(
                        "errors",
                        { initialDelay: "30s", interval: "1m", count: 5, failureLimit: 1, consecutiveErrorLimit: 4 },
                        10,
                    ),
                ]),
            ];
            const rollout = {
                spec: {
                    strategy: {
                        blueGreen: {
                            autoPromotionEnabled: false,
                            autoPromotionSeconds: 600, // ignored: promotion is manual
                            scaleDownDelaySeconds: 300,
                            prePromotionAnalysis: ref("pre"),
                            postPromotionAnalysis: ref("post"),
                        },
                    },
                },
            };
            const t = rolloutTiming(rollout, templates);
            // pre = 5 + 4·2 + 3·10 = 43; post = 30 + 5·10 + 4·60 = 320
            assert.equal(t.healthyPromotionSeconds, 363);
            assert.equal(t.waitsForPromotion, true);
            // post fails at 30 + 2·10 + 1·60 = 110; + 2
            assert.equal(t.rollbackSeconds, 112);
            assert.equal(t.maxExposurePercent, 0);
            // latest post failure: 30 + 5·(10 + 4·20) + 4·60 = 720 > 300
            assert.deepEqual(
                t.problems.map((p) => p.code),
                ["scale-down-before-gate"],
            );
            assert.match(t.problems[0].message, /scaleDownDelaySeconds \(300\) is shorter than .* \(720 s\)/);
        });

        it("adds autoPromotionSeconds to the healthy path when promotion is automatic", () => {
            const rollout = structuredClone(stagingRollout);
            (rollout.spec.strategy.blueGreen as Record<string, unknown>).autoPromotionSeconds = 15;
            assert.equal(rolloutTiming(rollout, stagingTemplates).healthyPromotionSeconds, 103 + 15);
        });

        it("flags a release that cannot be rolled back automatically or promoted at all", () => {
            const noPost = { strategy: { blueGreen: { prePromotionAnalysis: ref("health") } } };
            const t1 = rolloutTiming(noPost, stagingTemplates);
            assert.equal(t1.rollbackSeconds, Infinity);
            assert.deepEqual(
                t1.problems.map((p) => p.code),
                ["no-automatic-rollback"],
            );
            // Argo's default scaleDownDelaySeconds applies when unset.
            assert.equal(t1.previousVersionRetainedSeconds, 30);

            const cannotFail = [template("post", [prom("p", { interval: "5s", count: 2, failureLimit: 2 }, 3)])];
            const t2 = rolloutTiming({ strategy: { blueGreen: { postPromotionAnalysis: ref("post") } } }, cannotFail);
            assert.deepEqual(
                t2.problems.map((p) => p.code),
                ["gate-cannot-fail"],
            );
            assert.equal(t2.maxExposurePercent, 100, "without a pre-promotion gate users see the release at once");

            const endless = [template("pre", [web("w", { interval: "5s" }, 1)]), ...stagingTemplates];
            const t3 = rolloutTiming(
                {
                    strategy: {
                        blueGreen: {
                            prePromotionAnalysis: ref("pre"),
                            postPromotionAnalysis: ref("slo"),
                            scaleDownDelaySeconds: 3600,
                        },
                    },
                },
                endless,
            );
            assert.equal(t3.healthyPromotionSeconds, Infinity);
            assert.deepEqual(
                t3.problems.map((p) => p.code),
                ["pre-promotion-never-completes"],
            );
        });

        it("uses the given switch time", () => {
            assert.equal(rolloutTiming(stagingRollout, stagingTemplates, { switchSeconds: 0 }).rollbackSeconds, 3);
        });

        it("refuses a reference to a template it was not given", () => {
            assert.throws(() => rolloutTiming(stagingRollout, stagingTemplates.slice(0, 2)), /analysis template "slo"/);
        });
    });

    describe("canary", () => {
        it("configuration C (inline analysis step + background analysis from step 2): 89 s healthy, 24 s rollback, 10% exposed", () => {
            const templates = [
                template("inline", [web("inline-health", { interval: "5s", count: 2, consecutiveErrorLimit: 0 }, 2)]),
                template("bg", [prom("bg-errors", { interval: "10s", failureLimit: 2 }, 5)]),
            ];
            const rollout = {
                spec: {
                    strategy: {
                        canary: {
                            steps: [
                                { setWeight: 10 },
                                { pause: { duration: 20 } },
                                { analysis: ref("inline") },
                                { setWeight: 50 },
                                { pause: { duration: "1m" } },
                                { setWeight: 100 },
                            ],
                            analysis: { ...ref("bg"), startingStep: 2 },
                        },
                    },
                },
            };
            const t = rolloutTiming(rollout, templates);
            // clock: w10 @0, pause → 20, inline analysis starts 20 (fails by 20 + max(F 2, E 2) = 22; passes in
            // 2·2 + 5 = 9) → 29, w50 @29, pause 60 → 89, w100 @89 = end.
            assert.equal(t.healthyPromotionSeconds, 20 + 9 + 60);
            // background from step 2 (t = 20) fails by 20 + (3·5 + 2·10) = 55; the inline run's 22 is earlier.
            assert.equal(t.rollbackSeconds, 22 - 0 + 2);
            assert.equal(t.maxExposurePercent, 10);
            assert.equal(t.waitsForPromotion, false);
            assert.deepEqual(t.problems, []);
        });

        it("configuration D (manual pause, slow error path): 40 s rollback and 40% exposed", () => {
            const templates = [template("bg", [web("health", { interval: "5s", consecutiveErrorLimit: 3 }, 2)])];
            const rollout = {
                spec: {
                    strategy: {
                        canary: {
                            steps: [
                                { setWeight: 20 },
                                { pause: { duration: "10s" } },
                                { setWeight: 40 },
                                { pause: {} },
                                { setWeight: 100 },
                            ],
                            analysis: ref("bg"),
                        },
                    },
                },
            };
            const t = rolloutTiming(rollout, templates);
            // background from t = 0 fails by max(F: 2, E: 4·2 + 3·10 = 38) = 38; w40 was set at 10 ≤ 38.
            assert.equal(t.rollbackSeconds, 38 + 2);
            assert.equal(t.maxExposurePercent, 40);
            assert.equal(t.waitsForPromotion, true);
            assert.equal(t.healthyPromotionSeconds, 10);
        });

        it("the component's staging default (5% 30 s, 25% 30 s, 100%): 60 s healthy, 14 s rollback, 5% exposed", () => {
            const templates = [
                template("health", [
                    web("health-healthz", { interval: "5s", failureLimit: 0, consecutiveErrorLimit: 1 }, 1),
                ]),
                template("slo", [
                    prom(
                        "error-rate",
                        { interval: "5s", failureLimit: 0, inconclusiveLimit: 3, consecutiveErrorLimit: 2 },
                        3,
                    ),
                ]),
            ];
            const rollout = {
                strategy: {
                    canary: {
                        steps: [
                            { setWeight: 5 },
                            { pause: { duration: 30 } },
                            { setWeight: 25 },
                            { pause: { duration: 30 } },
                            { setWeight: 100 },
                        ],
                        analysis: ref("health", "slo"),
                    },
                },
            };
            const t = rolloutTiming(rollout, templates);
            // health fails by max(F: 1, E: 2·1 + 1·10 = 12) = 12, slo by 3 → 12 < 30, weight 5 in force.
            assert.equal(t.healthyPromotionSeconds, 60);
            assert.equal(t.rollbackSeconds, 14);
            assert.equal(t.maxExposurePercent, 5);
        });

        it("never lets a bad release past an analysis step, even when the step would pass sooner than it fails", () => {
            // An inline web check: one measurement, T=1, E=3: passes in 1 s, fails by max(F: 1, E: 4·1 + 3·10 = 34) = 34.
            const templates = [template("check", [web("check", { consecutiveErrorLimit: 3 }, 1)])];
            const rollout = {
                strategy: {
                    canary: {
                        steps: [
                            { setWeight: 10 },
                            { analysis: ref("check") },
                            { setWeight: 50 },
                            { pause: { duration: 100 } },
                            { setWeight: 100 },
                        ],
                    },
                },
            };
            const t = rolloutTiming(rollout, templates);
            // the 50% step (at 1 s on the healthy path) is never reached by a release the check rejects
            assert.equal(t.maxExposurePercent, 10);
            assert.equal(t.rollbackSeconds, 34 + 2);
            assert.equal(t.healthyPromotionSeconds, 1 + 100);
            assert.deepEqual(t.problems, []);
        });

        it("flags a canary that reaches 100% before any gate can fail", () => {
            const templates = [template("bg", [prom("p", { interval: "5s" }, 10)])];
            const t = rolloutTiming(
                {
                    strategy: {
                        canary: {
                            steps: [{ setWeight: 5 }, { pause: { duration: 5 } }, { setWeight: 100 }],
                            analysis: ref("bg"),
                        },
                    },
                },
                templates,
            );
            assert.equal(t.rollbackSeconds, Infinity);
            assert.equal(t.maxExposurePercent, 100);
            assert.deepEqual(
                t.problems.map((p) => p.code),
                ["canary-completes-before-gate"],
            );

            const ungated = rolloutTiming(
                { strategy: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: 60 } }] } } },
                [],
            );
            assert.deepEqual(
                ungated.problems.map((p) => p.code),
                ["canary-completes-before-gate"],
            );
        });

        it("counts nothing as exposed when a gate stops the release before any traffic moves", () => {
            const templates = [template("smoke", [job("smoke", { count: 1 }, 20)])];
            const t = rolloutTiming(
                {
                    strategy: {
                        canary: {
                            steps: [
                                { analysis: ref("smoke") },
                                { setWeight: 10 },
                                { pause: { duration: 60 } },
                                { setWeight: 100 },
                            ],
                        },
                    },
                },
                templates,
            );
            // the inline Job fails by 20, before the first setWeight at 20 + 20 = 40
            assert.equal(t.rollbackSeconds, 0);
            assert.equal(t.maxExposurePercent, 0);
            assert.equal(t.healthyPromotionSeconds, 80);
        });
    });

    describe("budgets", () => {
        const timing = {
            strategy: "canary" as const,
            healthyPromotionSeconds: 130,
            waitsForPromotion: false,
            rollbackSeconds: 16,
            maxExposurePercent: 10,
            previousVersionRetainedSeconds: 3600,
            problems: [],
        };
        it("reports every exceeded limit with both numbers", () => {
            const out = checkTimingBudget(timing, {
                maxHealthyPromotionSeconds: 120,
                maxRollbackSeconds: 15,
                maxExposurePercent: 5,
            });
            assert.equal(out.length, 3);
            assert.match(out[0], /130 s .*budget 120 s/);
            assert.match(out[1], /16 s .*budget 15 s/);
            assert.match(out[2], /10% .*budget 5%/);
            assert.deepEqual(
                checkTimingBudget(timing, {
                    maxHealthyPromotionSeconds: 130,
                    maxRollbackSeconds: 16,
                    maxExposurePercent: 10,
                }),
                [],
            );
        });
        it("treats a manual promotion as exceeding a promotion-time budget", () => {
            const out = checkTimingBudget(
                { ...timing, healthyPromotionSeconds: 10, waitsForPromotion: true },
                { maxHealthyPromotionSeconds: 120 },
            );
            assert.equal(out.length, 1);
            assert.match(out[0], /manual promotion/);
        });
    });
});
