/**
 * ReleaseObservability under the mock runtime: what it creates with defaults and with each switch, that the
 * prometheus-operator objects and the dashboard ConfigMap are schema-valid, the argument validation (messages name
 * the field), and that release notifications cover the events the figures and alerts are about.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { RuleGroup } from "../../../components/observability/rules";
import { NOTIFIED_TRIGGERS } from "../../../components/argoRollouts";
import { EVENT_REASONS } from "../../../components/observability/metrics";
import {
    CONTROLLER_JOB,
    DASHBOARD_UID,
    GRAFANA_DASHBOARD_LABEL,
    labelsFromPairs,
    monitoringLabelsFromConfig,
    ReleaseObservability,
    ReleaseObservabilityArgs,
} from "../../../components/releaseObservability";
import { objectOf } from "../../../policy-pack/lib/kubernetes";
import { assertArgError, childrenOf, K8S, mockSession } from "../../helpers/components";
import { REPO_ROOT } from "../../helpers/renderedStack";
import { formatFailures, validateObject } from "../../helpers/schemas";
import { MockSession, valueOf } from "../../../tools/mockRuntime";

const TYPE = "zdp:index:ReleaseObservability";
const MON = {
    ServiceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
    PodMonitor: "kubernetes:monitoring.coreos.com/v1:PodMonitor",
    PrometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
} as const;

describe("ReleaseObservability", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: ReleaseObservabilityArgs, name = "obs"): Promise<ReleaseObservability> {
        const c = new ReleaseObservability(name, args);
        await session.settle();
        return c;
    }

    const kinds = () => {
        const component = session.get(TYPE, "obs");
        return childrenOf(session.resources, component.urn)
            .map((r) => `${r.type}::${r.name}`)
            .sort();
    };

    describe("defaults", () => {
        it("registers as zdp:index:ReleaseObservability with the monitors, rules and dashboard as its children", async () => {
            await build({ serviceNamespaces: ["shop"] });
            assert.deepEqual(kinds(), [
                `${K8S.ConfigMap}::obs-dashboard`,
                `${MON.PodMonitor}::obs-sidecar-monitor`,
                `${MON.PrometheusRule}::obs-rules`,
                `${MON.ServiceMonitor}::obs-controller-monitor`,
            ]);
            assert.equal(session.resources.length, 5, "nothing outside the component");
        });

        it("puts everything in the controller's namespace with kube-prometheus-stack's selector label", async () => {
            await build({ serviceNamespaces: ["shop"] });
            for (const r of session.resources.filter((x) => x.custom)) {
                assert.equal(r.inputs.metadata.namespace, "argo-rollouts", r.name);
            }
            for (const type of Object.values(MON)) {
                assert.equal(session.find(type)[0].inputs.metadata.labels.release, "kube-prometheus-stack", type);
            }
        });

        it("links each alert to its own runbook page in this repository, docs/runbooks/<alert in lower case>.md", async () => {
            await build({ serviceNamespaces: ["shop"] });
            const rule = session.get(MON.PrometheusRule, "obs-rules").inputs;
            const alerts = rule.spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
            assert.ok(alerts.length > 0);
            for (const a of alerts) {
                assert.equal(a.annotations.runbook_url, `docs/runbooks/${a.alert.toLowerCase()}.md`);
                const page = fs.readFileSync(path.join(REPO_ROOT, a.annotations.runbook_url), "utf8");
                assert.equal(/^# (.+)$/m.exec(page)?.[1], a.alert, `${a.annotations.runbook_url} names its alert`);
            }
        });

        it("scrapes the controller's metrics Service with honorLabels and the job the rules select", async () => {
            await build();
            const spec = session.get(MON.ServiceMonitor, "obs-controller-monitor").inputs.spec;
            assert.deepEqual(spec.namespaceSelector, { matchNames: ["argo-rollouts"] });
            assert.equal(spec.selector.matchLabels["app.kubernetes.io/name"], "argo-rollouts");
            const [endpoint] = spec.endpoints;
            assert.equal(endpoint.port, "metrics");
            assert.equal(endpoint.honorLabels, true);
            assert.deepEqual(endpoint.relabelings, [
                { action: "replace", targetLabel: "job", replacement: CONTROLLER_JOB },
            ]);
        });

        it("scrapes the sidecars of the service namespaces only, Istio metrics only", async () => {
            await build({ serviceNamespaces: ["shop", "payments"] });
            const spec = session.get(MON.PodMonitor, "obs-sidecar-monitor").inputs.spec;
            assert.deepEqual(spec.namespaceSelector, { matchNames: ["shop", "payments"] });
            const [endpoint] = spec.podMetricsEndpoints;
            // One declared port per sidecar selects one target per pod; the address then moves to the merged endpoint.
            assert.equal(endpoint.port, "http-envoy-prom");
            assert.equal(endpoint.path, "/stats/prometheus");
            const address = (podIp: string) => {
                let out: string | undefined;
                for (const r of endpoint.relabelings.filter((x: any) => x.targetLabel === "__address__")) {
                    const m = new RegExp(`^(?:${r.regex})$`).exec(podIp);
                    if (m) out = r.replacement.replace("$1", m[1]);
                }
                return out;
            };
            assert.equal(address("10.1.2.3"), "10.1.2.3:15020");
            assert.equal(address("fd00:10::7"), "[fd00:10::7]:15020");
            const keep = endpoint.metricRelabelings.find((r: any) => r.action === "keep");
            assert.ok(new RegExp(`^(${keep.regex})$`).test("istio_requests_total"));
            assert.ok(!new RegExp(`^(${keep.regex})$`).test("envoy_cluster_upstream_rq_total"));
        });

        it("delivers the dashboard as JSON in a ConfigMap labelled for Grafana's sidecar", async () => {
            const c = await build();
            const cm = session.get(K8S.ConfigMap, "obs-dashboard").inputs;
            assert.equal(cm.metadata.labels.grafana_dashboard, GRAFANA_DASHBOARD_LABEL.grafana_dashboard);
            const files = Object.keys(cm.data);
            assert.equal(files.length, 1);
            assert.match(files[0], /\.json$/);
            assert.equal(JSON.parse(cm.data[files[0]]).uid, DASHBOARD_UID);
            assert.equal(await valueOf(c.dashboardUid), DASHBOARD_UID);
        });

        it("exposes the rule file and alert names as outputs, and they match the PrometheusRule", async () => {
            const c = await build();
            const groups: RuleGroup[] = parse(await valueOf(c.ruleFile)).groups;
            assert.deepEqual(
                session.get(MON.PrometheusRule, "obs-rules").inputs.spec.groups,
                JSON.parse(JSON.stringify(groups)),
            );
            const alerts = await valueOf(c.alertNames);
            assert.ok(alerts.length >= 8);
            assert.deepEqual(
                alerts,
                groups.flatMap((g) => g.rules.filter((r) => "alert" in r).map((r: any) => r.alert)),
            );
        });
    });

    describe("switches", () => {
        it("prometheusOperator: false creates no prometheus-operator object, keeps the dashboard and the rule output", async () => {
            const c = await build({ prometheusOperator: false, serviceNamespaces: ["shop"] });
            assert.deepEqual(kinds(), [`${K8S.ConfigMap}::obs-dashboard`]);
            assert.equal(await valueOf(c.monitoringEnabled), false);
            assert.ok(parse(await valueOf(c.ruleFile)).groups.length > 0);
        });

        it("grafanaDashboard: false creates no ConfigMap", async () => {
            const c = await build({ grafanaDashboard: false });
            assert.ok(!kinds().some((k) => k.startsWith(K8S.ConfigMap)));
            assert.equal(await valueOf(c.dashboardUid), undefined);
        });

        it("no service namespaces: no PodMonitor", async () => {
            await build();
            assert.equal(session.find(MON.PodMonitor).length, 0);
        });

        it("applies namespace, selector labels, severity and limits", async () => {
            await build({
                namespace: "monitoring",
                prometheusSelectorLabels: { prometheus: "platform" },
                pagingSeverity: "critical",
                maxPauseMinutes: 15,
                previewRetentionMinutes: 45,
                environment: "prod",
                runbookBaseUrl: "https://git.example.com/zdp/blob/main/docs/runbooks/",
            });
            const rule = session.get(MON.PrometheusRule, "obs-rules").inputs;
            assert.equal(rule.metadata.namespace, "monitoring");
            assert.equal(rule.metadata.labels.prometheus, "platform");
            assert.equal(rule.metadata.labels.release, undefined);
            const alerts = rule.spec.groups.flatMap((g: any) => g.rules.filter((r: any) => r.alert));
            assert.ok(alerts.some((a: any) => a.labels.severity === "critical"));
            assert.ok(alerts.every((a: any) => a.labels.environment === "prod"));
            for (const a of alerts) {
                assert.equal(
                    a.annotations.runbook_url,
                    `https://git.example.com/zdp/blob/main/docs/runbooks/${a.alert.toLowerCase()}.md`,
                );
            }
            const fors = alerts.map((a: any) => a.for);
            assert.ok(fors.includes("15m") && fors.includes("45m"), JSON.stringify(fors));
            // The ServiceMonitor still looks for the controller in its own namespace.
            assert.deepEqual(
                session.get(MON.ServiceMonitor, "obs-controller-monitor").inputs.spec.namespaceSelector.matchNames,
                ["argo-rollouts"],
            );
        });
    });

    describe("schemas", () => {
        it("every object is valid against its published schema (prometheus-operator, core v1)", async () => {
            await build({ serviceNamespaces: ["shop", "payments"], pagingSeverity: "critical" });
            const objects = session.resources.filter((r) => r.custom).map((r) => objectOf(r.type, r.inputs));
            assert.equal(objects.length, 4);
            const failures = [];
            for (const o of objects) {
                const result = await validateObject(o, `${o?.kind}/${o?.metadata?.name}`);
                if (!result.ok) failures.push(result.failure);
            }
            assert.deepEqual(failures, [], formatFailures(failures));
        });

        it("the schema check rejects a broken PrometheusRule (so the test above can fail)", async () => {
            const broken = {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "x" },
                spec: { groups: [{ rules: [{ alert: "A" }] }] },
            };
            const result = await validateObject(broken, "broken");
            assert.equal(result.ok, false);
        });
    });

    describe("validation", () => {
        const cases: [string, ReleaseObservabilityArgs, string[]][] = [
            ["severity outside the set", { pagingSeverity: "page" }, ["pagingSeverity"]],
            ["pause limit too short", { maxPauseMinutes: 1 }, ["maxPauseMinutes"]],
            ["retention not an integer", { previewRetentionMinutes: 7.5 }, ["previewRetentionMinutes"]],
            ["SLO of 100%", { sloTarget: 1 }, ["sloTarget"]],
            ["scrape interval without unit", { scrapeInterval: "30" }, ["scrapeInterval"]],
            [
                "bad selector label",
                { prometheusSelectorLabels: { "no spaces allowed": "x" } },
                ["prometheusSelectorLabels"],
            ],
            ["runbook base with a fragment", { runbookBaseUrl: "docs/runbooks#x" }, ["runbookBaseUrl"]],
            [
                "service namespace not a DNS label",
                { serviceNamespaces: ["shop", "Payments"] },
                ["serviceNamespaces[1]"],
            ],
            [
                "namespaces not DNS labels",
                { namespace: "Mon", controllerNamespace: "-x" },
                ["namespace", "controllerNamespace"],
            ],
            [
                "several at once",
                { pagingSeverity: "p1", maxPauseMinutes: 0, sloTarget: 0.5 },
                ["pagingSeverity", "maxPauseMinutes", "sloTarget"],
            ],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                assertArgError(() => new ReleaseObservability("bad", args), "ReleaseObservability", "bad", fields);
            });
        }

        it("parses name=value label pairs from config and names the entry that is wrong", () => {
            assert.deepEqual(
                labelsFromPairs("monitoringLabels", ["release=kube-prometheus-stack", "team=platform"]).labels,
                {
                    release: "kube-prometheus-stack",
                    team: "platform",
                },
            );
            assert.match(labelsFromPairs("monitoringLabels", ["release"]).error ?? "", /monitoringLabels\[0\]/);
            assert.match(labelsFromPairs("monitoringLabels", ["a=ok", "=x"]).error ?? "", /monitoringLabels\[1\]/);
            assert.throws(() => monitoringLabelsFromConfig(["bad label=x"]), /zdp:monitoringLabels/);
        });
    });

    describe("notifications", () => {
        /** The controller's rule: an event reason becomes the trigger `on-<reason in kebab case>` (utils/record/record.go). */
        const triggerOf = (reason: string) =>
            `on-${reason
                .replace(/(.)([A-Z][a-z]+)/g, "$1-$2")
                .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
                .toLowerCase()}`;

        it("notifies a release started, paused, promoted (completed) and aborted, and a failed gate", () => {
            assert.equal(triggerOf("AnalysisRunFailed"), "on-analysis-run-failed");
            for (const reason of [
                EVENT_REASONS.updated,
                EVENT_REASONS.paused,
                EVENT_REASONS.completed,
                EVENT_REASONS.aborted,
                EVENT_REASONS.analysisRunFailed,
            ]) {
                assert.ok(
                    (NOTIFIED_TRIGGERS as readonly string[]).includes(triggerOf(reason)),
                    `${reason} → ${triggerOf(reason)} is not notified`,
                );
            }
        });
    });
});
