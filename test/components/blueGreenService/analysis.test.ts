/**
 * The release gates: the AnalysisTemplates the analysis builder (analysis.ts) makes from the settings, and the
 * releaseAnalysis.ts pieces they rest on (health score compilation, PromQL that parses, empty-result handling).
 */
import * as assert from "node:assert/strict";
import { parser } from "@prometheus-io/lezer-promql";
import { analysisTemplates, releaseTemplates } from "../../../components/blueGreenService/analysis";
import { RELEASE_CHECK_LABEL } from "../../../components/blueGreenService/constants";
import {
    boundConditions,
    CHECK_TRAFFIC_MARGIN_SECONDS,
    checkTrafficPlan,
    errorRateQuery,
    latencyQuery,
    sloTemplate,
    SloSpec,
} from "../../../components/releaseAnalysis";
import { blueGreen, canary, settingsOf, SMOKE_IMAGE } from "./helpers";

type Metric = { name: string; count?: number; interval?: string; provider: Record<string, any> };
const metricsOf = (spec: Record<string, unknown>) => spec.metrics as Metric[];

describe("BlueGreenService analysis", () => {
    describe("the release's AnalysisTemplates", () => {
        it("blue/green: health score, SLO and smoke tests, named after the service, in the service namespace", () => {
            const parts = analysisTemplates(settingsOf(blueGreen({ name: "checkout" })));
            assert.deepEqual(
                parts.map((p) => [p.name, p.role]),
                [
                    ["checkout-health-score", "health-score"],
                    ["checkout-slo", "slo"],
                    ["checkout-smoke-tests", "smoke-tests"],
                ],
            );
            for (const p of parts) {
                assert.equal(p.object.apiVersion, "argoproj.io/v1alpha1");
                assert.equal(p.object.kind, "AnalysisTemplate");
                assert.deepEqual(p.object.metadata, { name: p.name, namespace: "shop", labels: { app: "checkout" } });
            }
        });

        it("canary: no smoke tests, and background metrics without a count", () => {
            const templates = releaseTemplates(settingsOf(canary()));
            assert.deepEqual(Object.keys(templates), ["app-health-score", "app-slo"]);
            for (const spec of Object.values(templates))
                for (const m of metricsOf(spec)) assert.equal(m.count, undefined, m.name);
        });

        it("labels the smoke test and check traffic pods as release checks of the service", () => {
            const templates = releaseTemplates(settingsOf(blueGreen()));
            const smoke = metricsOf(templates["app-smoke-tests"])[0];
            assert.equal(smoke.provider.job.spec.template.metadata.labels[RELEASE_CHECK_LABEL], "app");
            const traffic = metricsOf(templates["app-health-score"]).find((m) => m.name === "check-traffic")!;
            assert.equal(traffic.provider.job.spec.template.metadata.labels[RELEASE_CHECK_LABEL], "app");
        });

        it("runs the check traffic until the health gate's last measurement: 20 + 4·3 + 3·10 = 62 s by default", () => {
            const job = metricsOf(releaseTemplates(settingsOf(blueGreen()))["app-health-score"]).find(
                (m) => m.name === "check-traffic",
            )!;
            assert.equal(job.count, 1, "once per blue/green run");
            assert.equal(job.provider.job.spec.activeDeadlineSeconds, 62 + CHECK_TRAFFIC_MARGIN_SECONDS);
        });

        it("repeats the canary's check traffic every health interval, one query window a run", () => {
            const s = settingsOf(canary({ analysis: { checkTraffic: { image: SMOKE_IMAGE } } }));
            const job = metricsOf(releaseTemplates(s)["app-health-score"]).find((m) => m.name === "check-traffic")!;
            assert.equal(job.count, undefined);
            assert.equal(job.interval, "10s");
        });

        it("leaves the check traffic out without an image (canary default)", () => {
            const health = metricsOf(releaseTemplates(settingsOf(canary()))["app-health-score"]);
            assert.deepEqual(
                health.map((m) => m.name),
                ["health-score"],
            );
        });
    });

    describe("health score", () => {
        it("requests each endpoint in proportion to its weight, at least once a minute", () => {
            const plan = checkTrafficPlan(
                [
                    { path: "/healthz", weight: 60 },
                    { path: "/readyz", weight: 40 },
                    { path: "/tiny", weight: 0.1 },
                ],
                { requestsPerMinute: 100, durationSeconds: 90 },
            );
            assert.deepEqual(plan, [
                { path: "/healthz", perMinute: 60, requests: 90 },
                { path: "/readyz", perMinute: 40, requests: 60 },
                { path: "/tiny", perMinute: 1, requests: 2 },
            ]);
        });
    });

    describe("SLO queries and empty results", () => {
        const spec: SloSpec = {
            prometheusAddress: "http://prometheus:9090",
            maxErrorRate: 0.001,
            maxLatencyMs: 500,
            latencyQuantile: 0.99,
            minRequests: 20,
            windowSeconds: 60,
        };
        const substituted = (q: string) => q.replace(/\{\{args\.([a-z-]+)\}\}/g, "x");
        function parseErrors(q: string): number {
            let errors = 0;
            parser.parse(substituted(q)).iterate({ enter: (n) => void (n.type.isError && errors++) });
            return errors;
        }

        it("writes PromQL that parses", () => {
            assert.equal(parseErrors(errorRateQuery(spec)), 0);
            assert.equal(parseErrors(latencyQuery(spec)), 0);
            assert.ok(parseErrors("sum(rate(x[1m]) or") > 0, "the parser does report errors");
        });

        it("falls back to 0 only for the error count, and yields NaN below the minimum request count", () => {
            const q = substituted(errorRateQuery(spec));
            assert.equal(q.match(/or on\(\) vector\(0\)/g)?.length, 1);
            assert.match(
                q,
                /^\(\(sum\(increase\(istio_requests_total\{[^}]*response_code=~"5\.\."\}\[60s\]\)\) or on\(\) vector\(0\)\) \/ \(sum\(increase\(istio_requests_total\{[^}]*\}\[60s\]\)\) >= 20\)\) or on\(\) vector\(NaN\)$/,
            );
            assert.match(
                substituted(latencyQuery(spec)),
                /and on\(\) \(sum\(increase\(istio_requests_total\{[^}]*\}\[60s\]\)\) >= 20\)\) or on\(\) vector\(NaN\)$/,
            );
            for (const query of [errorRateQuery(spec), latencyQuery(spec)])
                assert.match(query, /destination_canonical_revision="\{\{args\.revision\}\}"/);
        });

        it("makes NaN (no verdict) neither a success nor a failure, so it counts as inconclusive", () => {
            const { successCondition, failureCondition } = boundConditions(0.001);
            // Evaluate the conditions the way Argo's expression language would for the three kinds of result.
            const evaluate = (cond: string, value: number) =>
                new Function("result", "isNaN", `return ${cond};`)([value], Number.isNaN) as boolean;
            assert.deepEqual([evaluate(successCondition, NaN), evaluate(failureCondition, NaN)], [false, false]);
            assert.deepEqual([evaluate(successCondition, 0.0005), evaluate(failureCondition, 0.0005)], [true, false]);
            assert.deepEqual([evaluate(successCondition, 0.02), evaluate(failureCondition, 0.02)], [false, true]);
            const template = sloTemplate(spec, {
                intervalSeconds: 5,
                count: 6,
                failureLimit: 0,
                consecutiveErrorLimit: 2,
                inconclusiveLimit: 3,
                initialDelaySeconds: 0,
                timeoutSeconds: 3,
            });
            for (const m of template.metrics as {
                inconclusiveLimit: number;
                successCondition: string;
                failureCondition: string;
            }[]) {
                assert.equal(m.inconclusiveLimit, 3);
                assert.ok(
                    m.successCondition && m.failureCondition,
                    "both conditions set, or Argo would fail instead of inconclusive",
                );
            }
        });
    });
});
