/**
 * The "Releases" Grafana dashboard: valid JSON as delivered in the ConfigMap, a sound layout, every query (panels,
 * annotations, template variables) parses as PromQL once Grafana's variables are given values, and reads only fixture
 * metrics or recording rules the platform's rules define; and the rows the issue asks for are there.
 */
import * as assert from "node:assert/strict";
import { CONTROLLER_JOB, DASHBOARD_UID } from "../../../components/releaseObservability";
import { releaseDashboard } from "../../../components/observability/dashboard";
import { isAlert, RecordingRule, releaseRuleGroups } from "../../../components/observability/rules";
import { CheckContext, checkExpression, loadFixture, selectorsOf, substituteGrafanaVariables } from "./promql";

const fixture = loadFixture();
const groups = releaseRuleGroups({
    controllerJob: CONTROLLER_JOB,
    pagingSeverity: "critical",
    maxPauseMinutes: 60,
    previewRetentionMinutes: 60,
    sloTarget: 0.999,
    serviceNamespaces: ["shop"],
    runbookBase: "docs/runbooks",
});
const records = new Set(
    groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlert(r)).map((r) => r.record)),
);
const ctx: CheckContext = {
    fixture,
    records,
    recordLabels: ["namespace", "name", "destination_service_namespace", "destination_canonical_service"],
};

/** The dashboard as Grafana's sidecar would read it: the ConfigMap's JSON text, parsed. */
const text = JSON.stringify(
    releaseDashboard({ uid: DASHBOARD_UID, title: "Releases", controllerJob: CONTROLLER_JOB, sloTarget: 0.999 }),
    null,
    2,
);
const dashboard = JSON.parse(text);

interface Query {
    where: string;
    expr: string;
}

/** Every PromQL query of the dashboard, with where it is. */
function queriesOf(d: any): Query[] {
    const out: Query[] = [];
    for (const p of d.panels)
        for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
    for (const a of d.annotations.list) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
    for (const v of d.templating.list.filter((x: any) => x.type === "query")) {
        // label_values(<selector>, <label>) is Grafana's, not PromQL: check the selector inside.
        const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(v.query.query);
        assert.ok(m, `variable ${v.name}: unexpected query ${v.query.query}`);
        out.push({ where: `variable ${v.name}`, expr: m[1] });
    }
    return out;
}

describe("release dashboard", () => {
    it("is a JSON object with the platform's uid, a title and Grafana's schema version", () => {
        assert.equal(typeof dashboard, "object");
        assert.equal(dashboard.uid, DASHBOARD_UID);
        assert.ok(dashboard.title);
        assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
        assert.ok(Array.isArray(dashboard.panels) && dashboard.panels.length > 0);
    });

    it("lays panels out on Grafana's 24-column grid without overlap, with unique ids", () => {
        const ids = dashboard.panels.map((p: any) => p.id);
        assert.equal(new Set(ids).size, ids.length, "panel ids repeat");
        const cells = new Set<string>();
        for (const p of dashboard.panels) {
            const { x, y, w, h } = p.gridPos;
            assert.ok(
                x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0,
                `${p.title}: gridPos ${JSON.stringify(p.gridPos)}`,
            );
            for (let i = x; i < x + w; i++) {
                for (let j = y; j < y + h; j++) {
                    const cell = `${i},${j}`;
                    assert.ok(!cells.has(cell), `${p.title} overlaps another panel at ${cell}`);
                    cells.add(cell);
                }
            }
        }
    });

    it("every query parses and reads only fixture metrics or the platform's recording rules", () => {
        const queries = queriesOf(dashboard);
        assert.ok(queries.length >= 15, `only ${queries.length} queries`);
        const problems: string[] = [];
        for (const q of queries) {
            const { expr, unknown } = substituteGrafanaVariables(q.expr);
            for (const u of unknown) problems.push(`${q.where}: unknown variable $${u}`);
            for (const p of checkExpression(expr, ctx)) problems.push(`${q.where}: ${p}`);
        }
        assert.deepEqual(problems, []);
    });

    it("uses only template variables it defines, and the data source variable everywhere", () => {
        const defined = new Set(dashboard.templating.list.map((v: any) => v.name));
        for (const v of ["namespace", "service", "datasource"]) assert.ok(defined.has(v), `variable ${v}`);
        const used = new Set([...text.matchAll(/\$\{?(\w+)\}?/g)].map((m) => m[1]).filter((n) => !n.startsWith("__")));
        for (const u of used) assert.ok(defined.has(u), `$${u} is not defined`);
        for (const p of dashboard.panels.filter((x: any) => x.type !== "row")) {
            assert.equal(p.datasource?.uid, "${datasource}", `${p.title}: datasource`);
            for (const t of p.targets)
                assert.equal(t.datasource?.uid, "${datasource}", `${p.title} ${t.refId}: datasource`);
        }
    });

    it("filters per service: every panel query that reads a per-Rollout metric selects the chosen namespace", () => {
        const platformWide = new Set([
            "release:deployments:increase1d",
            "release:change_failure:ratio7d",
            "release:time_to_restore:mean7d",
            "release:release_duration:mean7d",
        ]);
        for (const p of dashboard.panels.filter((x: any) => x.type !== "row")) {
            for (const t of p.targets) {
                const { expr } = substituteGrafanaVariables(t.expr);
                for (const sel of selectorsOf(expr)) {
                    if (platformWide.has(sel.metric ?? "")) continue;
                    const ns = sel.matchers.find(
                        (m) => m.label === "namespace" || m.label === "destination_service_namespace",
                    );
                    assert.ok(ns && ns.value === "shop", `${p.title}: ${sel.text} is not filtered by $namespace`);
                }
            }
        }
    });

    it("has the release timeline, gate results, errors and latency during the release, and the delivery figures", () => {
        const reads = (metric: (m: string) => boolean) =>
            dashboard.panels.filter((p: any) =>
                (p.targets ?? []).some((t: any) =>
                    selectorsOf(substituteGrafanaVariables(t.expr).expr).some(
                        (s) => s.metric !== undefined && metric(s.metric),
                    ),
                ),
            );
        assert.ok(reads((m) => m === "rollout_info").length > 0, "phase timeline");
        assert.ok(reads((m) => m === "rollout_info_replicas_updated").length > 0, "new vs stable revision");
        assert.ok(
            reads((m) => m === "istio_requests_total").some((p: any) =>
                p.targets.some((t: any) => t.expr.includes("$service-preview")),
            ),
            "active vs preview traffic",
        );
        assert.ok(
            reads((m) => m === "istio_requests_total").some((p: any) =>
                p.targets.some((t: any) => t.expr.includes("by (destination_canonical_revision)")),
            ),
            "traffic per revision",
        );
        assert.ok(reads((m) => m === "analysis_run_info").length > 0, "gate runs");
        assert.ok(reads((m) => m === "analysis_run_metric_phase").length > 0, "gate metrics");
        assert.ok(reads((m) => m === "istio_request_duration_milliseconds_bucket").length > 0, "latency");
        for (const figure of [
            "release:deployments:increase1d",
            "release:change_failure:ratio7d",
            "release:time_to_restore:mean7d",
        ]) {
            assert.ok(reads((m) => m === figure).length > 0, figure);
        }
        const windowAnnotation = dashboard.annotations.list.find((a: any) =>
            selectorsOf(substituteGrafanaVariables(a.expr).expr).some(
                (s) => s.metric === "rollout:release_in_progress:max",
            ),
        );
        assert.ok(windowAnnotation, "release windows are marked");
    });
});
