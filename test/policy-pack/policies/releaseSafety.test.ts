/**
 * release-safety: Rollouts judged with their AnalysisTemplates by the component's own timing model.
 */
import * as assert from "node:assert/strict";
import { PolicyEngine, Violation } from "../../../policy-pack/lib/engine";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";

const NS = "shop";

/**
 * A web metric: first measurement after `delay`, then every `interval`, `count` of them, fails past `failureLimit`;
 * `consecutiveErrorLimit` 0 so that an erroring endpoint fails it at once (Argo's default, 4, adds retries).
 */
function template(
    name: string,
    m: { interval: string; count: number; failureLimit?: number; delay?: string; timeout?: number },
): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: { name, namespace: NS },
        spec: {
            metrics: [
                {
                    name: "health",
                    interval: m.interval,
                    count: m.count,
                    failureLimit: m.failureLimit ?? 0,
                    consecutiveErrorLimit: 0,
                    ...(m.delay ? { initialDelay: m.delay } : {}),
                    successCondition: "result == true",
                    provider: {
                        web: {
                            url: "http://svc-preview.shop/healthz",
                            timeoutSeconds: m.timeout ?? 2,
                            jsonPath: "{$.ok}",
                        },
                    },
                },
            ],
        },
    };
}

function blueGreen(name: string, strategy: Record<string, unknown>): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name, namespace: NS },
        spec: { strategy: { blueGreen: { activeService: name, previewService: `${name}-preview`, ...strategy } } },
    };
}

function canary(name: string, steps: unknown[], analysis?: unknown): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name, namespace: NS },
        spec: {
            strategy: {
                canary: {
                    stableService: name,
                    canaryService: `${name}-canary`,
                    steps,
                    ...(analysis ? { analysis } : {}),
                },
            },
        },
    };
}

const gate = (...names: string[]) => ({ templates: names.map((templateName) => ({ templateName })) });

async function check(objects: KubeObject[], config: Record<string, unknown> = {}): Promise<Violation[]> {
    const engine = new PolicyEngine({ only: ["release-safety"], config: { "release-safety": config } });
    return engine.check(objects.map((object) => ({ object })));
}

describe("policy release-safety", () => {
    // Fails at its first measurement (2 s timeout), so a bad release is rolled back 2 s + 2 s switch after going live.
    const fast = template("fast", { interval: "5s", count: 3, timeout: 2 });
    // Fails at its third failed measurement: 3*2 + 2*30 = 66 s, rollback 68 s; can still fail until 5*2 + 4*30 = 130 s.
    const slow = template("slow", { interval: "30s", count: 5, failureLimit: 2, timeout: 2 });

    it("passes a blue/green release whose post-promotion gate fails fast and whose old version stays up", async () => {
        const v = await check(
            [
                fast,
                blueGreen("ok", {
                    prePromotionAnalysis: gate("fast"),
                    postPromotionAnalysis: gate("fast"),
                    scaleDownDelaySeconds: 3600,
                }),
            ],
            { maxRollbackSeconds: 15 },
        );
        assert.deepEqual(v, []);
    });

    it("rejects a rollback slower than the stack's budget, naming the modelled time and the budget", async () => {
        const v = await check(
            [
                slow,
                blueGreen("slow-bg", {
                    prePromotionAnalysis: gate("slow"),
                    postPromotionAnalysis: gate("slow"),
                    scaleDownDelaySeconds: 3600,
                }),
            ],
            { maxRollbackSeconds: 15 },
        );
        assert.equal(v.length, 1);
        assert.equal(v[0].enforcementLevel, "mandatory");
        assert.equal(v[0].name, "slow-bg");
        assert.match(v[0].message, /budget 15 s/);
        assert.match(v[0].message, /worst-case rollback 68 s/);
    });

    it("the same release passes under a larger budget (prod's 30 s is not enough, 120 s is)", async () => {
        const objs = [
            slow,
            blueGreen("slow-bg", {
                prePromotionAnalysis: gate("slow"),
                postPromotionAnalysis: gate("slow"),
                scaleDownDelaySeconds: 3600,
            }),
        ];
        assert.equal((await check(objs, { maxRollbackSeconds: 30 })).length, 1);
        assert.deepEqual(await check(objs, { maxRollbackSeconds: 120 }), []);
    });

    it("rejects an old version scaled down before the post-promotion analysis can fail", async () => {
        const v = await check(
            [
                fast,
                slow,
                blueGreen("early-scale-down", {
                    prePromotionAnalysis: gate("fast"),
                    postPromotionAnalysis: gate("slow"),
                    scaleDownDelaySeconds: 30,
                }),
            ],
            { maxRollbackSeconds: 600 },
        );
        assert.equal(v.length, 1);
        assert.match(v[0].message, /scaleDownDelaySeconds \(30\)/);
    });

    it("rejects a blue/green release without a post-promotion analysis: nothing rolls it back", async () => {
        const v = await check([fast, blueGreen("no-post", { prePromotionAnalysis: gate("fast") })]);
        assert.equal(v.length, 1);
        assert.match(v[0].message, /no postPromotionAnalysis/);
    });

    it("rejects a canary whose first gate comes after more than the allowed share of traffic", async () => {
        const v = await check(
            [fast, canary("wide", [{ setWeight: 50 }, { analysis: gate("fast") }, { setWeight: 100 }])],
            { maxRollbackSeconds: 600 },
        );
        assert.equal(v.length, 1);
        assert.match(v[0].message, /50% of traffic/);
        assert.match(v[0].message, /budget 5%/);
    });

    it("passes a canary at 5 % gated by analysis before the next weight", async () => {
        const v = await check(
            [
                fast,
                canary("narrow", [
                    { setWeight: 5 },
                    { analysis: gate("fast") },
                    { setWeight: 25 },
                    { analysis: gate("fast") },
                    { setWeight: 100 },
                ]),
            ],
            { maxRollbackSeconds: 15 },
        );
        assert.deepEqual(v, []);
    });

    it("reports a Rollout whose templates are missing as not modellable", async () => {
        const v = await check([
            blueGreen("orphan", { prePromotionAnalysis: gate("missing"), postPromotionAnalysis: gate("missing") }),
        ]);
        assert.equal(v.length, 1);
        assert.match(v[0].message, /cannot be modelled: analysis template "missing"/);
    });

    it("does not use a template of another namespace", async () => {
        const elsewhere = { ...fast, metadata: { name: "fast", namespace: "other" } };
        const v = await check([
            elsewhere,
            blueGreen("ok", {
                prePromotionAnalysis: gate("fast"),
                postPromotionAnalysis: gate("fast"),
                scaleDownDelaySeconds: 3600,
            }),
        ]);
        assert.equal(v.length, 1);
        assert.match(v[0].message, /not given/);
    });

    it("reports an exempt Rollout as advisory with its justification", async () => {
        const v = await check([fast, blueGreen("no-post", { prePromotionAnalysis: gate("fast") })], {
            exemptions: [
                { kind: "Rollout", namespace: NS, name: "no-post", justification: "batch job, no live traffic" },
            ],
        });
        assert.equal(v.length, 1);
        assert.equal(v[0].enforcementLevel, "advisory");
        assert.match(v[0].message, /^exempt: batch job, no live traffic/);
    });

    it("rejects a budget outside the declared schema", () => {
        assert.throws(
            () =>
                new PolicyEngine({
                    only: ["release-safety"],
                    config: { "release-safety": { maxExposurePercent: 150 } },
                }),
            /maxExposurePercent/,
        );
    });
});
