/**
 * The release rules for each stack: every expression parses as PromQL and reads only metrics of the fixture list
 * (with labels those metrics have) or recording rules the platform defines before using them; every alert carries
 * summary, description, a runbook_url that leads to its own page under docs/runbooks/ (whose first heading names the
 * alert), and a severity; the thresholds and severities
 * follow the stack's configuration.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONTROLLER_JOB, DEFAULT_RUNBOOK_BASE } from "../../../components/releaseObservability";
import { SOURCE_METRIC_NAMES } from "../../../components/observability/metrics";
import {
    AlertRule,
    isAlert,
    RecordingRule,
    releaseRuleGroups,
    ReleaseRuleOptions,
    RuleGroup,
    SEVERITIES,
} from "../../../components/observability/rules";
import { ruleOptionsFor } from "../../helpers/components";
import { REPO_ROOT } from "../../helpers/renderedStack";
import { CheckContext, checkExpression, loadFixture, numbersOf, selectorsOf } from "./promql";

const fixture = loadFixture();

const recordsOf = (groups: RuleGroup[]) =>
    groups.flatMap((g) => g.rules.filter((r): r is RecordingRule => !isAlert(r)));
const alertsOf = (groups: RuleGroup[]) => groups.flatMap((g) => g.rules.filter(isAlert));

/** Labels the recording rules' outputs may carry (they aggregate to these). */
const RECORD_LABELS = ["namespace", "name", "destination_service_namespace", "destination_canonical_service"];

function contextFor(groups: RuleGroup[]): CheckContext {
    return { fixture, records: new Set(recordsOf(groups).map((r) => r.record)), recordLabels: RECORD_LABELS };
}

/**
 * Recording rules used before they are defined (in group order, then rule order). A rule may read its own previous
 * value (the sticky release start); Prometheus evaluates groups concurrently, so a later group may read an earlier
 * one but not the other way round.
 */
export function useBeforeDefinition(groups: RuleGroup[]): string[] {
    const all = new Set(recordsOf(groups).map((r) => r.record));
    const defined = new Set<string>();
    const problems: string[] = [];
    for (const g of groups) {
        for (const r of g.rules) {
            const self = isAlert(r) ? undefined : r.record;
            for (const sel of selectorsOf(r.expr)) {
                if (sel.metric && all.has(sel.metric) && sel.metric !== self && !defined.has(sel.metric)) {
                    problems.push(`${self ?? (r as AlertRule).alert} reads ${sel.metric} before it is defined`);
                }
            }
            if (self) defined.add(self);
        }
    }
    return problems;
}

/**
 * What is wrong with `alert`'s `url`: it must be `<base>/<alert in lower case>.md`, and that page must exist in this
 * repository's docs/runbooks/ (where `base` points, as a path or as the Git host's URL of that folder) with the
 * alert's name as its first heading. Empty when the link is good.
 */
export function runbookProblems(alert: string, url: string, base: string): string[] {
    const page = url.split("/").pop()!;
    if (url !== `${base.replace(/\/+$/, "")}/${page}`)
        return [`${alert}: ${url} is not under the runbook base ${base}`];
    if (page !== `${alert.toLowerCase()}.md`) return [`${alert}: links to ${page}, not ${alert.toLowerCase()}.md`];
    const file = path.join(REPO_ROOT, DEFAULT_RUNBOOK_BASE, page);
    if (!fs.existsSync(file)) return [`${alert}: ${path.relative(REPO_ROOT, file)} does not exist`];
    const heading = /^#\s+(.+?)\s*$/m.exec(fs.readFileSync(file, "utf8"))?.[1];
    if (heading !== alert) return [`${alert}: the first heading of ${page} is ${JSON.stringify(heading)}`];
    return [];
}

for (const stack of ["staging", "prod"]) {
    describe(`release rules (${stack})`, () => {
        const opts = ruleOptionsFor(stack);
        const groups = releaseRuleGroups(opts);
        const ctx = contextFor(groups);

        it("every expression parses and reads only fixture metrics (with their labels) or the platform's recording rules", () => {
            const problems = groups.flatMap((g) =>
                g.rules.flatMap((r) =>
                    checkExpression(r.expr, ctx).map((p) => `${isAlert(r) ? r.alert : r.record}: ${p}`),
                ),
            );
            assert.deepEqual(problems, []);
        });

        it("defines every recording rule before another rule reads it", () => {
            assert.deepEqual(useBeforeDefinition(groups), []);
        });

        it("names recording rules level:metric:operation and never twice; alerts are unique", () => {
            const records = recordsOf(groups).map((r) => r.record);
            for (const r of records) assert.match(r, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, r);
            assert.equal(new Set(records).size, records.length);
            const alerts = alertsOf(groups).map((a) => a.alert);
            assert.equal(new Set(alerts).size, alerts.length);
            for (const r of records)
                assert.ok(!fixture.metrics.some((m) => m.name === r), `${r} shadows a source metric`);
        });

        it("reads controller metrics only from the controller's scrape job", () => {
            const controllerMetrics = new Set(
                fixture.metrics.filter((m) => m.source === "controller").map((m) => m.name),
            );
            for (const g of groups) {
                for (const r of g.rules) {
                    for (const sel of selectorsOf(r.expr).filter((s) => s.metric && controllerMetrics.has(s.metric))) {
                        assert.ok(
                            sel.matchers.some((m) => m.label === "job" && m.op === "=" && m.value === CONTROLLER_JOB),
                            `${sel.text} must select job="${CONTROLLER_JOB}"`,
                        );
                    }
                }
            }
        });

        it("every alert has a summary, a description, a runbook_url to its own runbook page, and a severity", () => {
            for (const a of alertsOf(groups)) {
                assert.ok(a.annotations.summary.trim().length > 0, `${a.alert}: summary`);
                assert.ok(
                    a.annotations.description.trim().length > a.annotations.summary.length / 2,
                    `${a.alert}: description`,
                );
                assert.ok(
                    (SEVERITIES as readonly string[]).includes(a.labels.severity),
                    `${a.alert}: severity ${a.labels.severity}`,
                );
                assert.equal(a.labels.environment, stack, `${a.alert}: environment label`);
                assert.deepEqual(runbookProblems(a.alert, a.annotations.runbook_url, opts.runbookBase), []);
                if (a.for !== undefined) assert.match(a.for, /^[1-9][0-9]*[smhd]$/, `${a.alert}: for`);
            }
        });

        it("covers aborted/degraded rollouts, failed and inconclusive gates, long pauses, kept previews, the controller and the SLO", () => {
            const alerts = alertsOf(groups);
            const reads = (
                pred: (metric: string, matchers: { label: string; op: string; value: string }[]) => boolean,
            ) =>
                alerts.filter((a) =>
                    selectorsOf(a.expr).some((s) => s.metric !== undefined && pred(s.metric, s.matchers)),
                );
            const phase = (metric: string, phaseName: string) =>
                reads(
                    (m, ms) =>
                        m === metric &&
                        ms.some(
                            (x) =>
                                x.label === "phase" &&
                                (x.op === "="
                                    ? x.value === phaseName
                                    : x.op === "=~" && new RegExp(`^(${x.value})$`).test(phaseName)),
                        ),
                );
            for (const [metric, p] of [
                ["rollout_info", "Abort"],
                ["rollout_info", "Timeout"],
                ["rollout_info", "Error"],
                ["rollout_info", "Paused"],
                ["analysis_run_info", "Failed"],
                ["analysis_run_info", "Inconclusive"],
            ]) {
                assert.ok(phase(metric, p).length > 0, `no alert on ${metric}{phase="${p}"}`);
            }
            assert.ok(reads((m) => m === "up").length > 0, "no alert on the controller's up");
            assert.ok(reads((m) => m === "rollout:replicas_surplus:max").length > 0, "no alert on the second stack");
            assert.ok(reads((m) => m.startsWith("service:istio_request_errors:")).length >= 2, "no SLO burn alerts");
        });

        it("pages with the stack's severity and notifies everything else as warning", () => {
            const severities = new Set(alertsOf(groups).map((a) => a.labels.severity));
            assert.ok(severities.has(opts.pagingSeverity), `no alert has the paging severity ${opts.pagingSeverity}`);
            for (const s of severities) assert.ok(s === opts.pagingSeverity || s === "warning", s);
            // The paging set is the same in every stack: the alerts whose severity is not plain "warning" in prod.
            const paging = (o: ReleaseRuleOptions) =>
                alertsOf(releaseRuleGroups({ ...o, pagingSeverity: "critical" })).filter(
                    (a) => a.labels.severity === "critical",
                );
            assert.ok(paging(opts).length >= 3 && paging(opts).length < alertsOf(groups).length);
        });

        it("uses the stack's pause limit and preview retention window", () => {
            const pause = alertsOf(groups).filter((a) =>
                selectorsOf(a.expr).some((s) => s.matchers.some((m) => m.label === "phase" && m.value === "Paused")),
            );
            assert.equal(pause.length, 1);
            assert.equal(pause[0].for, `${opts.maxPauseMinutes}m`);
            const preview = alertsOf(groups).filter((a) =>
                selectorsOf(a.expr).some((s) => s.metric === "rollout:replicas_surplus:max"),
            );
            assert.equal(preview.length, 1);
            assert.equal(preview[0].for, `${opts.previewRetentionMinutes}m`);
        });

        it("burns the 0.1% error budget with the SRE workbook's multi-window thresholds", () => {
            const budget = 1 - opts.sloTarget;
            const burnAlerts = alertsOf(groups).filter((a) =>
                selectorsOf(a.expr).some((s) => s.metric?.startsWith("service:istio_request_errors:")),
            );
            const thresholds = burnAlerts.map((a) => [...new Set(numbersOf(a.expr))].sort((x, y) => x - y));
            const close = (xs: number[], ys: number[]) =>
                xs.length === ys.length && xs.every((x, i) => Math.abs(x - ys[i]) < 1e-12);
            assert.ok(
                thresholds.some((t) => close(t, [6 * budget, 14.4 * budget])),
                `fast burn thresholds: ${JSON.stringify(thresholds)}`,
            );
            assert.ok(
                thresholds.some((t) => close(t, [1 * budget, 3 * budget])),
                `slow burn thresholds: ${JSON.stringify(thresholds)}`,
            );
            // Each factor pairs a long and a short window.
            const windows = burnAlerts.flatMap((a) => selectorsOf(a.expr).map((s) => s.metric!.split("ratio_rate")[1]));
            for (const w of ["5m", "30m", "1h", "2h", "6h", "1d", "3d"])
                assert.ok(windows.includes(w), `window ${w} unused`);
        });

        it("computes the SLO on the stack's service namespaces, user traffic only", () => {
            const slo = recordsOf(groups).filter((r) => r.record.startsWith("service:istio_request_errors:"));
            assert.ok(slo.length > 0);
            for (const r of slo) {
                for (const sel of selectorsOf(r.expr)) {
                    const ns = sel.matchers.find((m) => m.label === "destination_service_namespace");
                    assert.ok(ns && ns.op === "=~", `${r.record}: namespace matcher`);
                    const re = new RegExp(`^(${ns.value})$`);
                    for (const n of opts.serviceNamespaces) assert.ok(re.test(n), `${r.record} misses namespace ${n}`);
                    assert.ok(!re.test("kube-system"), `${r.record} covers kube-system`);
                    assert.ok(
                        sel.matchers.some((m) => m.label === "reporter" && m.value === "destination"),
                        `${r.record}: reporter`,
                    );
                    const checks = sel.matchers.find((m) => m.label === "destination_service_name");
                    assert.ok(checks && checks.op === "!~", `${r.record}: release-check Services excluded`);
                    const excluded = new RegExp(`^(${checks.value})$`);
                    assert.ok(
                        excluded.test("checkout-preview") && excluded.test("checkout-canary"),
                        `${r.record}: preview/canary excluded`,
                    );
                    assert.ok(!excluded.test("checkout"), `${r.record}: the active Service is user traffic`);
                }
            }
        });
    });
}

describe("release rules: staging vs prod", () => {
    it("differ only where the stack configuration says", () => {
        const staging = alertsOf(releaseRuleGroups(ruleOptionsFor("staging")));
        const prod = alertsOf(releaseRuleGroups(ruleOptionsFor("prod")));
        assert.deepEqual(
            prod.map((a) => a.alert),
            staging.map((a) => a.alert),
        );
        assert.ok(
            prod.some((a) => a.labels.severity === "critical"),
            "prod pages",
        );
        assert.ok(
            staging.every((a) => a.labels.severity === "warning"),
            "staging only notifies",
        );
        const differentFor = prod.filter((a, i) => a.for !== staging[i].for).map((a) => a.alert);
        assert.ok(differentFor.length >= 1, "pause/preview limits differ between the stacks");
        // Limits live in `for` and severity; the alert expressions are the same everywhere.
        assert.deepEqual(
            prod.map((a) => a.expr),
            staging.map((a) => a.expr),
        );
    });

    it("the component's metric list is a subset of the fixture", () => {
        const names = new Set(fixture.metrics.map((m) => m.name));
        assert.deepEqual(
            SOURCE_METRIC_NAMES.filter((n) => !names.has(n)),
            [],
        );
    });

    it("the use-before-definition check catches a reordered rule", () => {
        const groups = releaseRuleGroups(ruleOptionsFor("prod"));
        const state = groups[0];
        const reordered = [{ ...state, rules: [...state.rules].reverse() }, ...groups.slice(1)];
        assert.notDeepEqual(useBeforeDefinition(reordered), []);
    });

    it("the runbook check catches a missing page, a page of another alert, another base and a wrong heading", () => {
        const base = "https://git.example.com/org/zdp/blob/main/docs/runbooks";
        assert.deepEqual(runbookProblems("ReleaseRolloutAborted", `${base}/releaserolloutaborted.md`, base), []);
        assert.deepEqual(runbookProblems("ReleaseRolloutAborted", `${base}/releaserolloutaborted.md`, `${base}/`), []);
        assert.match(
            runbookProblems("ReleaseSomethingElse", `${base}/releasesomethingelse.md`, base).join(),
            /does not exist/,
        );
        assert.match(
            runbookProblems("ReleaseRolloutAborted", `${base}/releaserolloutdegraded.md`, base).join(),
            /not releaserolloutaborted\.md/,
        );
        assert.match(
            runbookProblems("ReleaseRolloutAborted", `README.md#releaserolloutaborted`, base).join(),
            /not under the runbook base/,
        );
        // rollback.md exists but is not an alert's page: its first heading names no alert.
        assert.match(runbookProblems("Rollback", `${base}/rollback.md`, base).join(), /first heading of rollback\.md/);
    });
});
