/**
 * The PromQL checker the release-rule and dashboard tests rely on: it must find syntax errors, read metric names and
 * label matchers from the parse tree in every form PromQL allows, and report unknown metrics and labels. If it
 * accepted everything, the other tests would pass for nothing.
 */
import * as assert from "node:assert/strict";
import {
    CheckContext,
    checkExpression,
    loadFixture,
    metricNamesOf,
    selectorsOf,
    substituteGrafanaVariables,
    syntaxErrors,
} from "./promql";

const fixture = loadFixture();
const ctx: CheckContext = {
    fixture,
    records: new Set(["rollout:replicas_surplus:max"]),
    recordLabels: ["namespace", "name"],
};

describe("PromQL checker", () => {
    describe("syntaxErrors", () => {
        for (const good of [
            'sum by (namespace) (rate(istio_requests_total{reporter="destination"}[5m]))',
            'absent(up{job="x"} == 1)',
            "time() - rollout:replicas_surplus:max",
            'max by (name) (rollout_info{phase="Abort"} offset 30m)',
        ]) {
            it(`accepts ${good}`, () => assert.deepEqual(syntaxErrors(good), []));
        }
        for (const bad of [
            "sum(rate(istio_requests_total[5m])",
            "rate(istio_requests_total[$__rate_interval])",
            'rollout_info{phase="Abort"',
            "rollout_info >",
            "",
        ]) {
            it(`rejects ${JSON.stringify(bad)}`, () => assert.notDeepEqual(syntaxErrors(bad), []));
        }
    });

    describe("selectorsOf", () => {
        it("reads the metric name and the label matchers of every selector", () => {
            const sels = selectorsOf('rollout_info{job="j", phase=~"A|B"} and on (name) analysis_run_info');
            assert.deepEqual(
                sels.map((s) => [s.metric, s.labels]),
                [
                    ["rollout_info", ["job", "phase"]],
                    ["analysis_run_info", []],
                ],
            );
        });

        it("reads names given as __name__ or quoted in braces, and no name from a __name__ regex", () => {
            assert.deepEqual(metricNamesOf('{__name__="rollout_info", job="j"}'), ["rollout_info"]);
            assert.deepEqual(metricNamesOf('{"rollout_info", job="j"}'), ["rollout_info"]);
            assert.deepEqual(metricNamesOf('{__name__=~"rollout_.*"}'), ["<unnamed>"]);
        });

        it("does not mistake function names, label names or strings for metrics", () => {
            assert.deepEqual(metricNamesOf('label_replace(up, "rollout_info", "$1", "job", "(.*)")'), ["up"]);
            assert.deepEqual(metricNamesOf("sum by (rollout_info) (up)"), ["up"]);
        });
    });

    describe("checkExpression", () => {
        it("passes an expression on fixture metrics and defined recording rules", () => {
            assert.deepEqual(
                checkExpression('max by (namespace, name) (rollout_info{job="j", phase="Paused"})', ctx),
                [],
            );
            assert.deepEqual(checkExpression('rollout:replicas_surplus:max{namespace="shop"} > 0', ctx), []);
        });

        it("reports a metric that is neither in the fixture nor recorded", () => {
            const errors = checkExpression("sum(rollout_created_time)", ctx);
            assert.equal(errors.length, 1);
            assert.match(errors[0], /rollout_created_time/);
        });

        it("reports a label the metric does not have", () => {
            const errors = checkExpression('rate(istio_requests_total{destination_service_nam="x"}[5m])', ctx);
            assert.equal(errors.length, 1);
            assert.match(errors[0], /no label destination_service_nam/);
        });

        it("reports a selector without a metric name", () => {
            assert.match(checkExpression('{job="x"}', ctx).join(), /no metric name/);
        });

        it("reports a syntax error instead of checking names", () => {
            assert.match(checkExpression("sum(rollout_info", ctx).join(), /syntax error/);
        });
    });

    describe("Grafana variables", () => {
        it("substitutes known variables in both forms and lists unknown ones", () => {
            const { expr, unknown } = substituteGrafanaVariables(
                'rate(x{namespace="$namespace", name="${service}"}[$__rate_interval]) $nope',
            );
            assert.equal(expr, 'rate(x{namespace="shop", name="checkout"}[2m]) $nope');
            assert.deepEqual(unknown, ["nope"]);
        });
    });

    describe("fixture", () => {
        it("lists each metric once, from the controller, Istio or trivy-operator, with a documentation reference", () => {
            const names = fixture.metrics.map((m) => m.name);
            assert.equal(new Set(names).size, names.length, "duplicate names");
            for (const m of fixture.metrics) {
                assert.ok(
                    ["controller", "istio", "trivy-operator"].includes(m.source),
                    `${m.name}: source ${m.source}`,
                );
                assert.ok(m.doc.length > 10, `${m.name}: doc`);
                assert.ok(Array.isArray(m.labels), `${m.name}: labels`);
            }
        });
    });
});
