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
    gateLatestFailSeconds,
    gatePassSeconds,
    gateTiming,
    metricFailSeconds,
    metricLatestFailSeconds,
    metricPassSeconds,
    MetricTiming,
    metricTiming,
    parseCount,
    parseDurationSeconds,
    rolloutTiming,
    TimingInputError,
    TRAFFIC_SWITCH_SECONDS,
} from "../../../components/lib/releaseTiming";

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

        it("leaves out a metric that can only pause (failureCondition false): it never rolls a release back", () => {
            const pauses = metricTiming(
                prom(
                    "score",
                    { interval: "5s", count: 3, successCondition: "result[0] >= 95", failureCondition: "false" },
                    1,
                ),
            );
            const hard = metricTiming(
                prom("errors", { interval: "5s", count: 3, failureCondition: "result[0] > 0.001" }, 3),
            );
            assert.equal(pauses.canFail, false);
            assert.equal(hard.canFail, true);
            // The gate still waits for the score to pass (1·3 + 2·5 = 13), but only the error rate can fail it (3).
            assert.equal(gatePassSeconds({ metrics: [pauses, hard] }), 19);
            assert.equal(gateFailSeconds({ metrics: [pauses, hard] }), 3);
            assert.equal(gateLatestFailSeconds({ metrics: [pauses] }), 0);
            assert.equal(gateFailSeconds({ metrics: [pauses] }), Infinity, "a pause-only gate cannot fail");
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

describe("release timing model: boundaries and malformed input", () => {
    describe("reading fields", () => {
        it("reads every Go duration unit, fractions and surrounding space", () => {
            const cases: [string, number][] = [
                ["1500000000ns", 1.5],
                ["2000000us", 2],
                ["3000000µs", 3],
                ["250ms", 0.25],
                ["1.5s", 1.5],
                ["2m", 120],
                ["1h2m3s", 3723],
                [" 30s ", 30],
                [" 45 ", 45],
            ];
            for (const [input, seconds] of cases) assert.equal(parseDurationSeconds(input), seconds, input);
            assert.equal(parseDurationSeconds(0), 0, "zero is a duration");
            assert.equal(parseDurationSeconds("0"), 0);
        });

        it("refuses negative, partial and non-finite durations, naming the field", () => {
            for (const bad of [
                "-30",
                "30x",
                "x30s",
                "30s!",
                "s",
                "1.s",
                "-1m",
                ".5s",
                NaN,
                Infinity,
                -0.5,
                true,
                null,
            ]) {
                assert.throws(() => parseDurationSeconds(bad), TimingInputError, String(bad));
            }
            assert.throws(
                () => parseDurationSeconds("soon", "steps[3].pause.duration"),
                (e: Error) => {
                    assert.equal(
                        e.message,
                        'steps[3].pause.duration: cannot read "soon" as a duration (such as "30s" or "1m")',
                    );
                    return true;
                },
            );
            assert.throws(() => parseDurationSeconds("soon"), /^Error: duration: cannot read/);
        });

        it("reads counts given as numbers or numeric strings, and nothing else", () => {
            assert.equal(parseCount(3, "count"), 3);
            assert.equal(parseCount(0, "count"), 0);
            assert.equal(parseCount("3", "count"), 3);
            assert.equal(parseCount(" 12 ", "count"), 12);
            assert.equal(parseCount(undefined, "count"), undefined);
            assert.equal(parseCount(null, "count"), undefined);
            for (const bad of [-1, 1.5, "-1", "1.5", "3a", "a3", "", " ", "{{args.count}}", true, {}, NaN]) {
                assert.throws(() => parseCount(bad, "count"), TimingInputError, JSON.stringify(bad));
            }
            assert.throws(
                () => parseCount(-2, "steps[0].setWeight"),
                /^Error: steps\[0\]\.setWeight: cannot read -2 as a non-negative integer$/,
            );
        });

        it("reads count, limits and delays of a metric, given as strings too", () => {
            const m = metricTiming(
                prom("p", {
                    initialDelay: "1m",
                    interval: "30s",
                    count: "4",
                    failureLimit: "2",
                    inconclusiveLimit: "3",
                    consecutiveErrorLimit: "5",
                }),
            );
            assert.deepEqual(m, {
                name: "p",
                provider: "prometheus",
                dryRun: false,
                canFail: true,
                initialDelaySeconds: 60,
                intervalSeconds: 30,
                count: 4,
                failureLimit: 2,
                inconclusiveLimit: 3,
                consecutiveErrorLimit: 5,
                measurementSeconds: 30,
            });
            assert.equal(metricTiming(web("m", {})).inconclusiveLimit, 0);
            assert.equal(metricTiming(web("m", { count: 0, interval: "5s" })).count, 0);
            for (const field of [
                "initialDelay",
                "interval",
                "failureLimit",
                "inconclusiveLimit",
                "consecutiveErrorLimit",
            ]) {
                assert.throws(
                    () => metricTiming(web("m", { [field]: "{{args.x}}" })),
                    new RegExp(`^Error: metric m: ${field}:`),
                );
            }
        });

        it("takes each provider's timeout only when it is a positive number", () => {
            assert.equal(metricTiming(web("w", {}, 7)).measurementSeconds, 7);
            assert.equal(metricTiming({ name: "w", provider: { web: { timeoutSeconds: 0 } } }).measurementSeconds, 10);
            assert.equal(
                metricTiming({ name: "w", provider: { web: { timeoutSeconds: "5" } } }).measurementSeconds,
                10,
            );
            assert.equal(metricTiming({ name: "w", provider: { web: null } }).provider, "web");
            assert.equal(metricTiming(prom("p", {}, 4)).measurementSeconds, 4);
            assert.equal(metricTiming({ name: "p", provider: { prometheus: { timeout: 0 } } }).measurementSeconds, 30);
            assert.equal(
                metricTiming({ name: "p", provider: { prometheus: { timeout: "9" } } }).measurementSeconds,
                30,
            );
            assert.equal(metricTiming(job("j", {}, 90)).provider, "job");
            assert.equal(metricTiming(job("j", {}, 90)).measurementSeconds, 90);
            assert.equal(
                metricTiming({ name: "j", provider: { job: { spec: { activeDeadlineSeconds: 0 } } } })
                    .measurementSeconds,
                Infinity,
            );
            const other = metricTiming({ name: "o", provider: { datadog: { query: "q" } } });
            assert.equal(other.provider, "other");
            assert.equal(other.measurementSeconds, 30);
            assert.equal(metricTiming({}).name, "(unnamed)");
            assert.equal(metricTiming({}).provider, "other");
            assert.equal(metricTiming("not an object").count, 1);
        });

        it("treats dry-run metricName as an anchored regular expression, ignoring entries it cannot use", () => {
            const dry = (name: string, dryRun: unknown) => metricTiming(web(name, {}), dryRun as unknown[]).dryRun;
            assert.equal(dry("health", [{ metricName: "health" }]), true);
            assert.equal(dry("health", [{ metricName: "he.*" }]), true);
            assert.equal(dry("health", [{ metricName: "heal" }]), false, "anchored at the end");
            assert.equal(dry("health", [{ metricName: "ealth" }]), false, "anchored at the start");
            assert.equal(dry("a", [{ metricName: "b|a" }]), true, "alternatives stay inside the anchors");
            assert.equal(dry("ab", [{ metricName: "a|b" }]), false);
            assert.equal(dry("(", [{ metricName: "(" }]), true, "an invalid pattern still matches its own name");
            assert.equal(dry("health", [{ metricName: "(" }]), false);
            assert.equal(dry("health", [null, { metricName: 3 }, "health"]), false);
            assert.equal(dry("health", [{ metricName: 3 }, { metricName: "health" }]), true);
            assert.equal(dry("health", { metricName: "health" }), false);
        });

        it("gathers a gate's metrics from every referenced template, with the template's and the reference's dry runs", () => {
            const templates = [
                template("a", [web("a1", {}), web("a2", {})], [{ metricName: "a1" }]),
                template("b", [web("b1", {})]),
                { metadata: { name: "empty" }, spec: { metrics: "none" } },
            ];
            const gate = gateTiming({ ...ref("a", "b", "empty"), dryRun: [{ metricName: "b1" }] }, templates);
            assert.deepEqual(
                gate.metrics.map((m) => [m.name, m.dryRun]),
                [
                    ["a1", true],
                    ["a2", false],
                    ["b1", true],
                ],
            );
            assert.deepEqual(gateTiming({ templates: "a" }, templates), { metrics: [] });
            assert.deepEqual(gateTiming(undefined, templates), { metrics: [] });
            assert.throws(
                () => gateTiming(ref("missing"), templates),
                /^Error: analysis template "missing" is referenced/,
            );
        });
    });

    describe("one metric and one gate at their boundaries", () => {
        const metric = (fields: Partial<MetricTiming>): MetricTiming => ({
            name: "m",
            provider: "prometheus",
            dryRun: false,
            canFail: true,
            initialDelaySeconds: 0,
            intervalSeconds: 0,
            count: 1,
            failureLimit: 0,
            inconclusiveLimit: 0,
            consecutiveErrorLimit: 4,
            measurementSeconds: 1,
            ...fields,
        });

        it("counts no interval before the first measurement, nor for a metric of no measurements", () => {
            assert.equal(metricPassSeconds(metric({ count: 1, intervalSeconds: 50, initialDelaySeconds: 3 })), 4);
            assert.equal(metricPassSeconds(metric({ count: 0, intervalSeconds: 50, initialDelaySeconds: 3 })), 3);
            assert.equal(metricLatestFailSeconds(metric({ count: 0, intervalSeconds: 50, initialDelaySeconds: 3 })), 3);
            // d + C·(T + E·(T + R)) + (C−1)·I = 3 + 1·(1 + 4·11) + 0
            assert.equal(
                metricLatestFailSeconds(metric({ count: 1, intervalSeconds: 50, initialDelaySeconds: 3 })),
                48,
            );
            assert.equal(metricLatestFailSeconds(metric({ count: undefined })), Infinity);
        });

        it("can fail when failureLimit + 1 equals count, not when it exceeds it", () => {
            // d + (F+1)·T + F·I = 2 + 2·3 + 1·5
            assert.equal(
                metricFailSeconds(
                    metric({
                        count: 2,
                        failureLimit: 1,
                        measurementSeconds: 3,
                        intervalSeconds: 5,
                        initialDelaySeconds: 2,
                    }),
                ),
                13,
            );
            assert.equal(metricFailSeconds(metric({ count: 1, failureLimit: 1 })), Infinity);
            assert.equal(metricFailSeconds(metric({ count: undefined, failureLimit: 9 })), 10);
        });

        it("takes the error path of a web metric when it is the slower one, and only of a web metric", () => {
            // failures: 0 + 1·2 = 2; errors: 0 + (E+1)·T + E·R = 2·2 + 1·10 = 14
            const w = metric({ provider: "web", measurementSeconds: 2, consecutiveErrorLimit: 1 });
            assert.equal(metricFailSeconds(w), 14);
            assert.equal(metricFailSeconds({ ...w, provider: "job" }), 2);
            assert.equal(metricFailSeconds({ ...w, provider: "other" }), 2);
            // failures: 0 + 4·2 + 3·100 = 308 > errors 14
            assert.equal(metricFailSeconds({ ...w, count: 5, failureLimit: 3, intervalSeconds: 100 }), 308);
        });

        it("an empty gate passes at once, cannot fail, and fails at the latest at 0", () => {
            assert.equal(gatePassSeconds({ metrics: [] }), 0);
            assert.equal(gateFailSeconds({ metrics: [] }), Infinity);
            assert.equal(gateLatestFailSeconds({ metrics: [] }), 0);
        });

        it("takes the latest failure over the gating metrics only", () => {
            const gating = metric({ count: 2, measurementSeconds: 1, consecutiveErrorLimit: 0, intervalSeconds: 3 }); // 2 + 3
            const dry = metric({ dryRun: true, count: 9, measurementSeconds: 50 });
            assert.equal(gateLatestFailSeconds({ metrics: [dry, gating] }), 5);
            assert.equal(gateFailSeconds({ metrics: [gating, metric({ measurementSeconds: 4 })] }), 4);
        });
    });

    describe("blue/green at its boundaries", () => {
        const templates = [
            template("post", [prom("p", { interval: "10s", count: 3, consecutiveErrorLimit: 1 }, 5)]),
            template("pre", [prom("q", { count: 1 }, 4)]),
            template("pre-cannot-fail", [prom("q", { count: 1, failureLimit: 1 }, 4)]),
            template("endless", [prom("e", { interval: "10s" }, 5)]),
        ];
        // latest post failure: 0 + 3·(5 + 1·(5 + 10)) + 2·10 = 80
        const bg = (fields: Record<string, unknown>) => ({ strategy: { blueGreen: fields } });

        it("keeps the previous version long enough when scaleDownDelaySeconds equals the latest failure", () => {
            const at = rolloutTiming(bg({ postPromotionAnalysis: ref("post"), scaleDownDelaySeconds: 80 }), templates);
            assert.deepEqual(at.problems, []);
            const below = rolloutTiming(
                bg({ postPromotionAnalysis: ref("post"), scaleDownDelaySeconds: "79" }),
                templates,
            );
            assert.equal(below.previousVersionRetainedSeconds, 79, "given as a string");
            assert.deepEqual(
                below.problems.map((p) => p.message),
                [
                    "scaleDownDelaySeconds (79) is shorter than the post-promotion analysis can take to fail (80 s): " +
                        "the previous version may be scaled down before the gate fails, so rollback would not be instant",
                ],
            );
        });

        it("promotes automatically unless autoPromotionEnabled is false, adding autoPromotionSeconds given as a string", () => {
            const auto = rolloutTiming(
                bg({ postPromotionAnalysis: ref("post"), autoPromotionSeconds: "20", scaleDownDelaySeconds: 80 }),
                templates,
            );
            // post passes in 3·5 + 2·10 = 35
            assert.equal(auto.healthyPromotionSeconds, 20 + 35);
            assert.equal(auto.waitsForPromotion, false);
            const manual = rolloutTiming(
                bg({
                    postPromotionAnalysis: ref("post"),
                    autoPromotionEnabled: false,
                    autoPromotionSeconds: "20",
                    scaleDownDelaySeconds: 80,
                }),
                templates,
            );
            assert.equal(manual.healthyPromotionSeconds, 35);
            assert.equal(manual.waitsForPromotion, true);
            assert.throws(() => rolloutTiming(bg({ autoPromotionSeconds: "soon" }), templates), /autoPromotionSeconds/);
            assert.throws(() => rolloutTiming(bg({ scaleDownDelaySeconds: -1 }), templates), /scaleDownDelaySeconds/);
        });

        it("exposes the release to everyone when its pre-promotion gate cannot fail", () => {
            const guarded = rolloutTiming(
                bg({ prePromotionAnalysis: ref("pre"), postPromotionAnalysis: ref("post"), scaleDownDelaySeconds: 80 }),
                templates,
            );
            assert.equal(guarded.maxExposurePercent, 0);
            assert.equal(guarded.healthyPromotionSeconds, 4 + 35);
            const unguarded = rolloutTiming(
                bg({
                    prePromotionAnalysis: ref("pre-cannot-fail"),
                    postPromotionAnalysis: ref("post"),
                    scaleDownDelaySeconds: 80,
                }),
                templates,
            );
            assert.equal(unguarded.maxExposurePercent, 100);
        });

        it("explains every problem it reports", () => {
            const t = rolloutTiming(
                bg({ prePromotionAnalysis: ref("endless"), postPromotionAnalysis: ref("endless") }),
                templates,
            );
            assert.deepEqual(
                t.problems.map((p) => p.code),
                // an endless post gate can fail at any time, so no scale-down delay is long enough
                ["pre-promotion-never-completes", "post-promotion-never-completes", "scale-down-before-gate"],
            );
            assert.match(t.problems[0].message, /prePromotionAnalysis metric has no count .* never promoted/);
            assert.match(t.problems[1].message, /postPromotionAnalysis metric has no count .* never completes/);
            // The endless post gate can still fail (after 5 s), so it rolls back: 5 + 2.
            assert.equal(t.rollbackSeconds, 7);
            const none = rolloutTiming(bg({}), templates);
            assert.match(
                none.problems[0].message,
                /^no postPromotionAnalysis: a bad release .* never rolled back automatically$/,
            );
            assert.equal(none.healthyPromotionSeconds, 0);
            const cannotFail = rolloutTiming(bg({ postPromotionAnalysis: ref("pre-cannot-fail") }), templates);
            assert.match(
                cannotFail.problems[0].message,
                /^the postPromotionAnalysis cannot fail \(a metric with failureLimit >= count/,
            );
            assert.equal(cannotFail.rollbackSeconds, Infinity);
        });

        it("reads the strategy from a Rollout, its spec or the strategy alone, and refuses one without a strategy", () => {
            const strategy = { blueGreen: { postPromotionAnalysis: ref("post"), scaleDownDelaySeconds: 80 } };
            const expected = rolloutTiming({ strategy }, templates);
            assert.deepEqual(rolloutTiming({ spec: { strategy } }, templates), expected);
            assert.equal(expected.strategy, "blueGreen");
            // post fails at 0 + 1·5 = 5 by failures, + 2
            assert.equal(expected.rollbackSeconds, 7);
            assert.throws(
                () => rolloutTiming({ spec: { strategy: { rolling: {} } } }, templates),
                /^Error: the Rollout has neither strategy\.blueGreen nor strategy\.canary$/,
            );
            assert.throws(() => rolloutTiming(null, templates), TimingInputError);
        });
    });

    describe("canary at its boundaries", () => {
        const templates = [
            template("fails-at-5", [prom("p", { count: 1 }, 5)]), // pass 5, fail 5
            template("cannot-fail", [prom("p", { count: 1, failureLimit: 1 }, 3)]), // pass 3, fail never
            template("background", [prom("b", { interval: "10s" }, 5)]), // fail by 5
        ];
        const canary = (fields: Record<string, unknown>) => ({ strategy: { canary: fields } });

        it("counts rollback from the first step that moved traffic, on a clock advanced by pauses and analysis", () => {
            const t = rolloutTiming(
                canary({
                    steps: [
                        { setWeight: 0 },
                        { pause: { duration: "10s" } },
                        { analysis: ref("cannot-fail") },
                        { setWeight: "20" },
                        { pause: { duration: 7 } },
                        { analysis: ref("fails-at-5") },
                        { setWeight: 60 },
                    ],
                }),
                templates,
            );
            // clock: w0 @0, pause → 10, analysis passes in 3 → 13 (cannot fail), w20 @13, pause → 20,
            // analysis fails by 20 + 5 = 25 (passes in 5 → 25), w60 not reached by a bad release.
            assert.equal(t.rollbackSeconds, 25 - 13 + 2);
            assert.equal(t.maxExposurePercent, 20);
            assert.equal(t.healthyPromotionSeconds, 10 + 3 + 7 + 5);
            assert.deepEqual(t.problems, []);
        });

        it("counts a weight set exactly when the background analysis fails as reached", () => {
            const t = rolloutTiming(
                canary({
                    steps: [
                        { setWeight: 10 },
                        { pause: { duration: 5 } },
                        { setWeight: 50 },
                        { pause: { duration: 100 } },
                    ],
                    analysis: ref("background"),
                }),
                templates,
            );
            assert.equal(t.maxExposurePercent, 50);
            assert.equal(t.rollbackSeconds, 5 - 0 + 2);
            const later = rolloutTiming(
                canary({
                    steps: [
                        { setWeight: 10 },
                        { pause: { duration: 6 } },
                        { setWeight: 50 },
                        { pause: { duration: 100 } },
                    ],
                    analysis: ref("background"),
                }),
                templates,
            );
            assert.equal(later.maxExposurePercent, 10);
        });

        it("flags a canary whose background analysis can fail only when it completes, or starts after the last step", () => {
            const atEnd = rolloutTiming(
                canary({
                    steps: [{ setWeight: 10 }, { pause: { duration: 5 } }, { setWeight: 100 }],
                    analysis: ref("background"),
                }),
                templates,
            );
            assert.deepEqual(
                atEnd.problems.map((p) => p.message),
                ["the canary reaches 100% after 5 s, before its background analysis can fail (5 s)"],
            );
            const justBefore = rolloutTiming(
                canary({
                    steps: [{ setWeight: 10 }, { pause: { duration: 6 } }, { setWeight: 100 }],
                    analysis: ref("background"),
                }),
                templates,
            );
            assert.deepEqual(justBefore.problems, []);
            assert.equal(justBefore.rollbackSeconds, 7);
            const steps = [{ setWeight: 10 }, { pause: { duration: 60 } }, { setWeight: 100 }];
            const fromLast = rolloutTiming(
                canary({ steps, analysis: { ...ref("background"), startingStep: 2 } }),
                templates,
            );
            // starts with the last step at 60, fails by 65: still before completion? No: the last step completes at 60.
            assert.deepEqual(
                fromLast.problems.map((p) => p.code),
                ["canary-completes-before-gate"],
            );
            const pastTheEnd = rolloutTiming(
                canary({ steps, analysis: { ...ref("background"), startingStep: 3 } }),
                templates,
            );
            assert.match(
                pastTheEnd.problems[0].message,
                /after 60 s, before its background analysis can fail \(65 s\)/,
            );
            const fromSecond = rolloutTiming(
                canary({ steps, analysis: { ...ref("background"), startingStep: "1" } }),
                templates,
            );
            // starts at step 1 (clock 0), fails by 5 < 60
            assert.equal(fromSecond.rollbackSeconds, 7);
            assert.equal(fromSecond.maxExposurePercent, 10);
            const none = rolloutTiming(canary({ steps }), templates);
            assert.equal(none.problems[0].message, "no analysis can fail the canary before it reaches 100%");
        });

        it("stops at the earlier of an inline analysis step and the background analysis", () => {
            const t = rolloutTiming(
                canary({
                    steps: [
                        { setWeight: 10 },
                        { pause: { duration: 30 } },
                        { analysis: ref("fails-at-5") },
                        { setWeight: 50 },
                    ],
                    analysis: ref("background"),
                }),
                templates,
            );
            // background fails by 5, before the inline step (30 + 5)
            assert.equal(t.rollbackSeconds, 5 + 2);
            assert.equal(t.maxExposurePercent, 10);
        });

        it("reads weights given as strings and a null weight as no traffic, and refuses experiments", () => {
            const t = rolloutTiming(
                canary({ steps: [{ setWeight: null }, { setWeight: "30" }, { analysis: ref("fails-at-5") }] }),
                templates,
            );
            assert.equal(t.maxExposurePercent, 30);
            assert.equal(t.rollbackSeconds, 5 + 2);
            assert.throws(
                () => rolloutTiming(canary({ steps: [{ setWeight: 10 }, { experiment: {} }] }), templates),
                /^Error: steps\[1\]: experiment steps are not modelled$/,
            );
            assert.throws(
                () => rolloutTiming(canary({ steps: [{ setWeight: "ten" }] }), templates),
                /steps\[0\]\.setWeight/,
            );
            assert.throws(
                () => rolloutTiming(canary({ steps: [{ pause: { duration: "soon" } }] }), templates),
                /steps\[0\]\.pause\.duration/,
            );
        });

        it("stops the clock at a manual pause and treats steps that take no time as instant", () => {
            const t = rolloutTiming(
                canary({
                    steps: [
                        { setCanaryScale: { replicas: 1 } },
                        { pause: { duration: 10 } },
                        { pause: {} },
                        { setWeight: 50 },
                        { pause: { duration: 10 } },
                    ],
                    analysis: ref("background"),
                    scaleDownDelaySeconds: "45",
                }),
                templates,
            );
            assert.equal(t.waitsForPromotion, true);
            assert.equal(t.healthyPromotionSeconds, 20);
            assert.equal(t.previousVersionRetainedSeconds, 45);
            // background fails by 5, before the manual pause: no traffic moved yet
            assert.equal(t.rollbackSeconds, 0);
            assert.equal(t.maxExposurePercent, 0);
            const noSteps = rolloutTiming(canary({ steps: "none" }), templates);
            assert.equal(noSteps.healthyPromotionSeconds, 0);
            assert.equal(noSteps.previousVersionRetainedSeconds, 30);
            assert.equal(noSteps.strategy, "canary");
        });
    });

    describe("details a regression would change", () => {
        it("moves the clock by an analysis step's pass time before the traffic that follows it", () => {
            const templates = [
                template("cannot-fail", [prom("p", { count: 1, failureLimit: 1 }, 3)]), // passes in 3, never fails
                template("background", [prom("b", { interval: "10s" }, 5)]), // fails by 5
            ];
            const t = rolloutTiming(
                {
                    strategy: {
                        canary: {
                            steps: [
                                { analysis: ref("cannot-fail") },
                                { setWeight: 20 },
                                { pause: { duration: 100 } },
                                { setWeight: 100 },
                            ],
                            analysis: ref("background"),
                        },
                    },
                },
                templates,
            );
            // w20 is set at 3; the background analysis (from 0) stops the release at 5: 5 − 3 + 2.
            assert.equal(t.rollbackSeconds, 4);
            assert.equal(t.maxExposurePercent, 20);
        });

        it("reads fractions of any length, trims the failureCondition, and wants a numeric Job deadline", () => {
            assert.equal(parseDurationSeconds("1.25s"), 1.25);
            assert.equal(parseDurationSeconds("0.125s"), 0.125);
            assert.equal(metricTiming(prom("p", { failureCondition: " false " })).canFail, false);
            assert.equal(metricTiming(prom("p", { failureCondition: "result[0] > 1" })).canFail, true);
            assert.equal(
                metricTiming({ name: "j", provider: { job: { spec: { activeDeadlineSeconds: "90" } } } })
                    .measurementSeconds,
                Infinity,
            );
        });

        it("finds templates by name past one without metadata, and names the field it cannot read", () => {
            const gate = gateTiming(ref("t"), [{ spec: {} }, template("t", [web("w", {})])]);
            assert.deepEqual(
                gate.metrics.map((m) => m.name),
                ["w"],
            );
            const canary = (fields: Record<string, unknown>) => ({ strategy: { canary: { steps: [], ...fields } } });
            assert.throws(
                () => rolloutTiming(canary({ scaleDownDelaySeconds: -1 }), []),
                /^Error: scaleDownDelaySeconds:/,
            );
            assert.throws(
                () => rolloutTiming(canary({ analysis: { templates: [], startingStep: "x" } }), []),
                /^Error: analysis\.startingStep:/,
            );
        });
    });

    describe("budgets at their boundaries", () => {
        const timing = {
            strategy: "canary" as const,
            healthyPromotionSeconds: 60,
            waitsForPromotion: false,
            rollbackSeconds: 14,
            maxExposurePercent: 5,
            previousVersionRetainedSeconds: 30,
            problems: [],
        };
        it("passes a release exactly at each limit, fails it one above, and checks only the limits set", () => {
            assert.deepEqual(checkTimingBudget(timing, {}), []);
            assert.deepEqual(
                checkTimingBudget(
                    { ...timing, healthyPromotionSeconds: 61, rollbackSeconds: 15, maxExposurePercent: 6 },
                    { maxHealthyPromotionSeconds: 60, maxRollbackSeconds: 14, maxExposurePercent: 5 },
                ),
                [
                    "a healthy release takes 61 s to be fully promoted (budget 60 s)",
                    "a bad release can take 15 s to be rolled back (budget 14 s)",
                    "a bad release can reach 6% of traffic before a gate stops it (budget 5%)",
                ],
            );
            assert.deepEqual(checkTimingBudget({ ...timing, waitsForPromotion: true }, { maxRollbackSeconds: 14 }), []);
            assert.deepEqual(
                checkTimingBudget({ ...timing, waitsForPromotion: true }, { maxHealthyPromotionSeconds: 60 }),
                ["a healthy release waits for a manual promotion, but must be fully promoted within 60 s"],
            );
        });
    });
});
