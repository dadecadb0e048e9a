/**
 * The release gates' PromQL against a real Prometheus, judged by Argo Rollouts' own condition evaluation.
 *
 * One Prometheus (Debian's, on 127.0.0.1) holds synthetic Istio series for one revision per scenario, loaded with
 * `promtool tsdb create-blocks-from openmetrics` before start. Every Prometheus metric of the component's rendered
 * AnalysisTemplates (its query with the Rollout's arguments substituted, its successCondition and failureCondition)
 * is run for every scenario, and tools/gates (github.com/antonmedv/expr, as the controller) says what Argo would:
 * pass (Successful), pause (Inconclusive) or abort (Failed). A run's verdict is its worst metric's.
 */
import * as assert from "node:assert/strict";
import { releaseTemplates } from "../../../components/blueGreenService/analysis";
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import { releaseStrategy } from "../../../components/blueGreenService/rollout";
import { releaseSettings } from "../../../components/blueGreenService/settings";
import { buildGates, evaluate, GateCase, Phase, PrometheusServer, requireTool } from "./tools";

const IMAGE = `registry.example.com/shop/app@sha256:${"a".repeat(64)}`;
const SMOKE_IMAGE = `registry.example.com/platform/smoke-curl@sha256:${"b".repeat(64)}`;
const STEP = 15; // seconds between synthetic scrapes
const SPAN = 600; // seconds of history per series

/** Requests per second of one kind, to the revision, addressed to `service`, answered `code`, taking `ms`. */
interface Flow {
    service: string;
    code: number;
    perSecond: number;
    ms: number;
}

/** Each scenario is one revision of service "app" in namespace "shop". */
const SCENARIOS: Record<string, Flow[]> = {
    // Check traffic only (a blue/green preview): every answer 200, fast.
    healthy: [{ service: "app-preview", code: 200, perSecond: 2, ms: 20 }],
    // 0.2 % of the answers are 503: above the 0.1 % limit.
    errors: [
        { service: "app-preview", code: 200, perSecond: 9.98, ms: 20 },
        { service: "app-preview", code: 503, perSecond: 0.02, ms: 20 },
    ],
    // 3 % of the requests take 500-1000 ms: p99 ≈ 833 ms, over the 500 ms objective.
    slow: [
        { service: "app-preview", code: 200, perSecond: 1.94, ms: 20 },
        { service: "app-preview", code: 200, perSecond: 0.06, ms: 900 },
    ],
    // 6 requests a minute, under the minimum sample of 20.
    quiet: [{ service: "app", code: 200, perSecond: 0.1, ms: 20 }],
    // No series at all for this revision.
    absent: [],
    // The same quiet users plus the release's own check traffic (1 request a second): enough for a verdict.
    fed: [
        { service: "app", code: 200, perSecond: 0.1, ms: 20 },
        { service: "app-preview", code: 200, perSecond: 1, ms: 20 },
    ],
    // The weight-40 endpoint answers 404 (not an error for the error rate): the weighted checks signal drops to 60 %.
    "endpoint-404": [
        { service: "app-preview", code: 200, perSecond: 0.6, ms: 20 },
        { service: "app-preview", code: 404, perSecond: 0.4, ms: 20 },
    ],
};

const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

/** OpenMetrics text of every scenario's counters, one sample every STEP seconds from `start` to `end`. */
function openMetrics(start: number, end: number): string {
    const requests: string[] = [];
    const buckets: string[] = [];
    for (const [revision, flows] of Object.entries(SCENARIOS)) {
        for (const [i, f] of flows.entries()) {
            // One client per flow, so two flows with one answer code stay two series.
            const labels =
                `reporter="destination",source_workload="client-${i}",destination_workload_namespace="shop",destination_canonical_service="app",` +
                `destination_canonical_revision="${revision}",destination_service_name="${f.service}",response_code="${f.code}"`;
            for (let t = start; t <= end; t += STEP)
                requests.push(`istio_requests_total{${labels}} ${(f.perSecond * (t - start)).toFixed(3)} ${t}`);
            for (const le of [...BUCKETS.map(String), "+Inf"]) {
                const inBucket = le === "+Inf" || f.ms <= Number(le);
                for (let t = start; t <= end; t += STEP)
                    buckets.push(
                        `istio_request_duration_milliseconds_bucket{${labels},le="${le}"} ${inBucket ? (f.perSecond * (t - start)).toFixed(3) : 0} ${t}`,
                    );
            }
        }
    }
    return [
        "# TYPE istio_requests counter",
        ...requests,
        "# TYPE istio_request_duration_milliseconds_bucket unknown",
        ...buckets,
        "# EOF",
        "",
    ].join("\n");
}

/** The Prometheus metrics of a service's rendered templates, with the Rollout's arguments for `revision`. */
function prometheusGates(
    args: BlueGreenServiceArgs,
    revision: string,
): { template: string; metric: string; query: string; successCondition: string; failureCondition: string }[] {
    const s = releaseSettings("app", args);
    const strategy = releaseStrategy(s, revision) as Record<string, Record<string, Record<string, unknown>>>;
    const analysis = strategy.blueGreen?.prePromotionAnalysis ?? strategy.canary.analysis;
    const values = new Map((analysis.args as { name: string; value: string }[]).map((a) => [a.name, a.value]));
    const out = [];
    for (const [template, spec] of Object.entries(releaseTemplates(s))) {
        for (const m of (spec as { metrics: Record<string, unknown>[] }).metrics) {
            const provider = m.provider as { prometheus?: { query: string } };
            if (!provider.prometheus) continue;
            const query = provider.prometheus.query.replace(/\{\{args\.([a-z-]+)\}\}/g, (_, name: string) => {
                const v = values.get(name);
                if (v === undefined) throw new Error(`${template}/${m.name}: the Rollout gives no argument ${name}`);
                return v;
            });
            out.push({
                template,
                metric: String(m.name),
                query,
                successCondition: String(m.successCondition ?? ""),
                failureCondition: String(m.failureCondition ?? ""),
            });
        }
    }
    return out;
}

type Verdict = "pass" | "pause" | "abort";
const VERDICT: Record<Phase, Verdict | "error"> = {
    Successful: "pass",
    Inconclusive: "pause",
    Failed: "abort",
    Error: "error",
};

describe("release gates against a real Prometheus (Argo's evaluation)", function () {
    this.timeout(120_000);
    let prometheus: PrometheusServer | undefined;
    let end = 0;

    before(async function () {
        requireTool(this, "prometheus", "apt-get install prometheus");
        requireTool(this, "promtool", "apt-get install prometheus");
        buildGates(this);
        // Ten minutes of history ending ten minutes ago: inside the head-free block range promtool writes.
        end = Math.floor(Date.now() / 1000 / STEP) * STEP - 600;
        const started = Date.now();
        prometheus = await PrometheusServer.start({ openMetrics: openMetrics(end - SPAN, end) });
        assert.ok(Date.now() - started < 15_000, `Prometheus took ${Date.now() - started} ms to load and start`);
    });
    after(() => prometheus?.stop());

    /** Every gate's value and phase for one scenario. */
    async function judge(args: BlueGreenServiceArgs, revision: string) {
        const gates = prometheusGates(args, revision);
        const results = await Promise.all(gates.map((g) => prometheus!.query(g.query, end)));
        const cases: GateCase[] = gates.map((g, i) => ({ ...g, result: results[i] }));
        const phases = evaluate(cases);
        return gates.map((g, i) => {
            assert.equal(results[i].length, 1, `${g.metric} must always yield one value (Argo reads result[0])`);
            assert.notEqual(phases[i].phase, "Error", `${g.metric}: ${phases[i].error}`);
            return { metric: g.metric, value: results[i][0], verdict: VERDICT[phases[i].phase] as Verdict };
        });
    }

    function runVerdict(verdicts: Verdict[]): Verdict {
        return verdicts.includes("abort") ? "abort" : verdicts.includes("pause") ? "pause" : "pass";
    }

    const blueGreen: BlueGreenServiceArgs = {
        namespace: "shop",
        image: IMAGE,
        health: {
            checks: [
                { path: "/healthz", weight: 60 },
                { path: "/readyz", weight: 40 },
            ],
        },
        analysis: { smokeTest: { image: SMOKE_IMAGE, paths: ["/"] } },
    };

    // [scenario, health score, per-metric verdicts, the run's verdict]
    const table: [string, number, Record<string, Verdict>, Verdict][] = [
        ["healthy", 100, { "health-score": "pass", "error-rate": "pass", "latency-p99": "pass" }, "pass"],
        // Errors: the error allowance is spent (score 60·0.998 + 0 + 20 = 79.88) and the error rate aborts.
        ["errors", 79.88, { "health-score": "pause", "error-rate": "abort", "latency-p99": "pass" }, "abort"],
        // p99 ≈ 833 ms: latency signal 2 − 833/500 = 0.33 (score ≈ 86.7); the latency objective pauses too.
        ["slow", 86.67, { "health-score": "pause", "error-rate": "pass", "latency-p99": "pause" }, "pause"],
        ["quiet", NaN, { "health-score": "pause", "error-rate": "pause", "latency-p99": "pause" }, "pause"],
        ["absent", NaN, { "health-score": "pause", "error-rate": "pause", "latency-p99": "pause" }, "pause"],
        ["fed", 100, { "health-score": "pass", "error-rate": "pass", "latency-p99": "pass" }, "pass"],
        ["endpoint-404", 76, { "health-score": "pause", "error-rate": "pass", "latency-p99": "pass" }, "pause"],
    ];

    for (const [scenario, score, expected, run] of table) {
        it(`blue/green pre-promotion, ${scenario}: ${run}`, async () => {
            const judged = await judge(blueGreen, scenario);
            assert.deepEqual(
                Object.fromEntries(judged.map((j) => [j.metric, j.verdict])),
                expected,
                JSON.stringify(judged),
            );
            const value = judged.find((j) => j.metric === "health-score")!.value;
            if (Number.isNaN(score)) assert.ok(Number.isNaN(value), `score ${value}`);
            else assert.ok(Math.abs(value - score) < 0.05, `score ${value}, expected ≈ ${score}`);
            assert.equal(runVerdict(judged.map((j) => j.verdict)), run);
        });
    }

    it("a canary without check traffic scores errors and latency only (so a 404 endpoint goes unseen)", async () => {
        const canary: BlueGreenServiceArgs = { namespace: "shop", image: IMAGE, strategy: "canary" };
        const score = async (scenario: string) =>
            (await judge(canary, scenario)).find((j) => j.metric === "health-score")!;
        assert.equal((await score("healthy")).value, 100);
        assert.equal((await score("endpoint-404")).verdict, "pass");
        const errors = await score("errors");
        assert.ok(Math.abs(errors.value - 50) < 0.01, String(errors.value));
        assert.equal(errors.verdict, "pause");
        assert.ok(Number.isNaN((await score("absent")).value));
    });

    it("the threshold is the stack's: a score of 76 passes at 75 and pauses at 77", async () => {
        const at = async (threshold: number) =>
            (
                await judge(
                    { ...blueGreen, health: { ...blueGreen.health, scoreThreshold: threshold } },
                    "endpoint-404",
                )
            ).find((j) => j.metric === "health-score")!.verdict;
        assert.equal(await at(75), "pass");
        assert.equal(await at(77), "pause");
    });

    it("the evaluator is Argo's: no failureCondition makes a false successCondition a failure, an empty result an error", () => {
        const [noFailure, empty, neither] = evaluate([
            { successCondition: "result[0] >= 95", result: [80] },
            { successCondition: "result[0] >= 95", failureCondition: "false", result: [] },
            { successCondition: "!isNaN(result[0]) && result[0] >= 95", failureCondition: "false", result: [NaN] },
        ]);
        assert.equal(noFailure.phase, "Failed");
        assert.equal(empty.phase, "Error");
        assert.equal(neither.phase, "Inconclusive");
    });
});
