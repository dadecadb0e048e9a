/**
 * The release rules as Prometheus itself reads them: `promtool check rules` on every stack's rendered groups, and
 * `promtool test rules` unit tests that fire each alert whose annotations depend on labels only (the pause alerts
 * first: a paused release is always alerted) from synthetic controller series, and keep it silent otherwise.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { releaseRuleGroups, isAlert, AlertRule, ReleaseRuleOptions } from "../../../components/observability/rules";
import { CONTROLLER_JOB } from "../../../components/releaseObservability";
import { ruleOptionsFor } from "../../helpers/components";
import { requireTool } from "../../tools/gates/tools";

const ctl = (metric: string, labels: string) => `${metric}{job="${CONTROLLER_JOB}", ${labels}}`;

/** Per alert: the series that make it fire, when to look, and the labels it fires with (besides severity etc.). */
function firingCases(
    opts: ReleaseRuleOptions,
): Record<string, { series: Record<string, string>; at: string; labels: Record<string, string> }> {
    const run = { namespace: "shop", name: "checkout-7d9f-2" };
    const rollout = { namespace: "shop", name: "checkout" };
    return {
        ReleaseRolloutAborted: {
            series: { [ctl("rollout_info", 'namespace="shop", name="checkout", phase="Abort"')]: "1x10" },
            at: "2m",
            labels: rollout,
        },
        ReleaseRolloutDegraded: {
            series: { [ctl("rollout_info", 'namespace="shop", name="checkout", phase="Timeout"')]: "1x10" },
            at: "6m",
            labels: { ...rollout, phase: "Timeout" },
        },
        ReleaseAnalysisRunFailed: {
            series: {
                [ctl("analysis_run_info", 'namespace="shop", name="checkout-7d9f-2", phase="Failed"')]: "_x35 1x10",
            },
            at: "37m",
            labels: { ...run, phase: "Failed" },
        },
        ReleaseAnalysisRunInconclusive: {
            series: {
                [ctl("analysis_run_info", 'namespace="shop", name="checkout-7d9f-2", phase="Inconclusive"')]:
                    "_x35 1x10",
            },
            at: "37m",
            labels: { ...run, phase: "Inconclusive" },
        },
        ReleaseGatePaused: {
            series: {
                [ctl(
                    "analysis_run_metric_phase",
                    'namespace="shop", name="checkout-7d9f-2", metric="health-score", type="Prometheus", dry_run="false", phase="Inconclusive"',
                )]: "0 0 1x10",
                // A dry-run metric never pauses a release: no alert for it.
                [ctl(
                    "analysis_run_metric_phase",
                    'namespace="shop", name="checkout-7d9f-2", metric="check-traffic", type="Job", dry_run="true", phase="Inconclusive"',
                )]: "1x12",
            },
            at: "3m",
            labels: { ...run, metric: "health-score" },
        },
        ReleaseRolloutPausedTooLong: {
            series: {
                [ctl("rollout_info", 'namespace="shop", name="checkout", phase="Paused"')]:
                    `1x${opts.maxPauseMinutes + 5}`,
            },
            at: `${opts.maxPauseMinutes + 2}m`,
            labels: rollout,
        },
        ReleaseControllerDown: {
            series: { [`up{job="${CONTROLLER_JOB}"}`]: "0x10" },
            at: "6m",
            labels: {},
        },
    };
}

/** `{{ $labels.x }}` expanded, as Prometheus does for these annotations. */
function expand(template: string, labels: Record<string, string>): string {
    return template.replace(/\{\{ \$labels\.([a-z_]+) \}\}/g, (_, k: string) => labels[k] ?? "");
}

describe("release rules under promtool", function () {
    this.timeout(60_000);
    let promtool: string;
    let dir: string;
    before(function () {
        promtool = requireTool(this, "promtool", "apt-get install prometheus");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-promtool-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    for (const stack of ["staging", "prod"]) {
        it(`${stack}: promtool check rules accepts every recording and alerting rule`, () => {
            const file = path.join(dir, `${stack}-rules.yml`);
            fs.writeFileSync(file, stringify({ groups: releaseRuleGroups(ruleOptionsFor(stack)) }));
            const out = execFileSync(promtool, ["check", "rules", file], { encoding: "utf8" });
            const count = releaseRuleGroups(ruleOptionsFor(stack)).reduce((n, g) => n + g.rules.length, 0);
            assert.match(out, new RegExp(`SUCCESS: ${count} rules found`));
        });

        it(`${stack}: promtool test rules fires each label-only alert, and the pause alerts, as specified`, () => {
            const opts = ruleOptionsFor(stack);
            const groups = releaseRuleGroups(opts);
            const alerts = new Map(groups.flatMap((g) => g.rules.filter(isAlert)).map((a: AlertRule) => [a.alert, a]));
            const rulesFile = path.join(dir, `${stack}-alerts.yml`);
            fs.writeFileSync(rulesFile, stringify({ groups }));
            const cases = firingCases(opts);
            assert.ok(
                cases.ReleaseGatePaused && cases.ReleaseRolloutPausedTooLong && cases.ReleaseAnalysisRunInconclusive,
            );
            const tests = Object.entries(cases).map(([name, c]) => {
                const rule = alerts.get(name);
                assert.ok(rule, `no alert ${name}`);
                const labels = { ...c.labels, ...rule.labels };
                return {
                    interval: "1m",
                    input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
                    alert_rule_test: [
                        // Silent before it should fire (0m: nothing has lasted yet).
                        { eval_time: "0m", alertname: name, exp_alerts: [] },
                        {
                            eval_time: c.at,
                            alertname: name,
                            exp_alerts: [
                                {
                                    exp_labels: labels,
                                    exp_annotations: {
                                        summary: expand(rule.annotations.summary, labels),
                                        description: expand(rule.annotations.description, labels),
                                        runbook_url: rule.annotations.runbook_url,
                                    },
                                },
                            ],
                        },
                    ],
                };
            });
            const testFile = path.join(dir, `${stack}-alerts.test.yml`);
            fs.writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: "1m", tests }));
            try {
                execFileSync(promtool, ["test", "rules", testFile], { encoding: "utf8", stdio: "pipe" });
            } catch (e) {
                const err = e as { stdout?: string; stderr?: string };
                assert.fail(`promtool test rules failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
            }
        });
    }

    it("the unit tests can fail: a pause alert expected with the wrong metric is reported", () => {
        const opts = ruleOptionsFor("prod");
        const rulesFile = path.join(dir, "wrong-alerts.yml");
        fs.writeFileSync(rulesFile, stringify({ groups: releaseRuleGroups(opts) }));
        const c = firingCases(opts).ReleaseGatePaused;
        const testFile = path.join(dir, "wrong.test.yml");
        fs.writeFileSync(
            testFile,
            stringify({
                rule_files: [rulesFile],
                evaluation_interval: "1m",
                tests: [
                    {
                        interval: "1m",
                        input_series: Object.entries(c.series).map(([series, values]) => ({ series, values })),
                        alert_rule_test: [
                            {
                                eval_time: c.at,
                                alertname: "ReleaseGatePaused",
                                exp_alerts: [
                                    { exp_labels: { ...c.labels, metric: "check-traffic", severity: "warning" } },
                                ],
                            },
                        ],
                    },
                ],
            }),
        );
        assert.throws(() => execFileSync(promtool, ["test", "rules", testFile], { stdio: "pipe" }));
    });
});
