/**
 * Release observability in the rendered stacks (the offline render CLI, as `npm run render` runs it): the monitors,
 * the PrometheusRule and the dashboard ConfigMap appear in staging and prod, are schema-valid, carry each stack's
 * configured severity and limits, and their rules still check out after the round trip through YAML. The expected
 * values are read from the stack files, not written here.
 */
import * as assert from "node:assert/strict";
import { CONTROLLER_JOB } from "../../../components/releaseObservability";
import { isAlert, RecordingRule, RuleGroup } from "../../../components/observability/rules";
import type { KubeObject } from "../../../policy-pack/lib/kubernetes";
import { stackSettings } from "../../helpers/components";
import { RenderedStack, renderedStack, runRenderCli } from "../../helpers/renderedStack";
import { formatFailures, validateObject } from "../../helpers/schemas";
import { checkExpression, loadFixture, substituteGrafanaVariables } from "./promql";

const fixture = loadFixture();
const STACKS = ["staging", "prod"] as const;

function objectsOf(r: RenderedStack, kind: string): KubeObject[] {
    return r.manifests.map((m) => m.object).filter((o) => o.kind === kind);
}

function releaseRule(r: RenderedStack): KubeObject & { spec: { groups: RuleGroup[] } } {
    const rules = objectsOf(r, "PrometheusRule").filter((o) => o.metadata?.name === "zdp-release");
    assert.equal(rules.length, 1, `${r.stack}: one zdp-release PrometheusRule`);
    return rules[0] as any;
}

function dashboardConfigMap(r: RenderedStack): KubeObject & { data: Record<string, string> } {
    const cms = objectsOf(r, "ConfigMap").filter((o) => o.metadata?.labels?.grafana_dashboard === "1");
    assert.equal(cms.length, 1, `${r.stack}: one dashboard ConfigMap`);
    return cms[0] as any;
}

const alertsOf = (r: RenderedStack) => releaseRule(r).spec.groups.flatMap((g) => g.rules.filter(isAlert));

describe("release observability in the rendered stacks", function () {
    this.timeout(300_000);
    const rendered: Record<string, RenderedStack> = {};
    before(async () => {
        const [staging, prod] = await Promise.all(STACKS.map((s) => renderedStack(s)));
        rendered.staging = staging;
        rendered.prod = prod;
    });

    for (const stack of STACKS) {
        describe(stack, () => {
            it("renders the controller ServiceMonitor, the sidecar PodMonitor, the PrometheusRule and the dashboard ConfigMap", () => {
                const r = rendered[stack];
                const { settings, serviceNamespaces } = stackSettings(stack);
                assert.equal(settings.releaseMonitoring, true, "both stacks turn release monitoring on");
                const sm = objectsOf(r, "ServiceMonitor").filter(
                    (o) => o.metadata?.name === "argo-rollouts-controller",
                );
                assert.equal(sm.length, 1);
                const pm = objectsOf(r, "PodMonitor").filter((o) => o.metadata?.name === "istio-sidecars");
                assert.equal(pm.length, 1);
                assert.deepEqual((pm[0] as any).spec.namespaceSelector.matchNames, serviceNamespaces);
                releaseRule(r);
                const dashboard = JSON.parse(Object.values(dashboardConfigMap(r).data)[0]);
                assert.ok(dashboard.panels.length > 0);
            });

            it("every release object is schema-valid", async () => {
                const r = rendered[stack];
                const objects = [
                    ...objectsOf(r, "ServiceMonitor"),
                    ...objectsOf(r, "PodMonitor"),
                    ...objectsOf(r, "PrometheusRule"),
                    dashboardConfigMap(r),
                ];
                const failures = [];
                for (const o of objects) {
                    const result = await validateObject(o, `${stack}: ${o.kind}/${o.metadata?.name}`);
                    if (!result.ok) failures.push(result.failure);
                }
                assert.deepEqual(failures, [], formatFailures(failures));
            });

            it("rules and dashboard queries still parse and read only listed metrics after the YAML round trip", () => {
                const r = rendered[stack];
                const groups = releaseRule(r).spec.groups;
                const records = new Set(
                    groups.flatMap((g) => g.rules.filter((x): x is RecordingRule => !isAlert(x)).map((x) => x.record)),
                );
                const ctx = {
                    fixture,
                    records,
                    recordLabels: [
                        "namespace",
                        "name",
                        "destination_service_namespace",
                        "destination_canonical_service",
                    ],
                };
                const problems = groups.flatMap((g) => g.rules.flatMap((x) => checkExpression(x.expr, ctx)));
                const dashboard = JSON.parse(Object.values(dashboardConfigMap(r).data)[0]);
                for (const p of dashboard.panels) {
                    for (const t of p.targets ?? [])
                        problems.push(...checkExpression(substituteGrafanaVariables(t.expr).expr, ctx));
                }
                assert.deepEqual(problems, []);
            });

            it("uses the stack's alert severity, pause limit, preview retention and environment", () => {
                const r = rendered[stack];
                const { settings } = stackSettings(stack);
                const alerts = alertsOf(r);
                assert.ok(alerts.length > 0);
                assert.ok(alerts.some((a) => a.labels.severity === settings.releaseAlertSeverity));
                assert.ok(
                    alerts.every(
                        (a) => a.labels.severity === settings.releaseAlertSeverity || a.labels.severity === "warning",
                    ),
                );
                assert.ok(alerts.every((a) => a.labels.environment === settings.environment));
                const fors = alerts.map((a) => a.for);
                assert.ok(
                    fors.includes(`${settings.releaseMaxPauseMinutes}m`),
                    `pause limit in ${JSON.stringify(fors)}`,
                );
                assert.ok(
                    fors.includes(`${settings.previewRetentionMinutes}m`),
                    `preview retention in ${JSON.stringify(fors)}`,
                );
            });

            it("lets every healthy release of the stack's services finish before the second-stack alert fires", () => {
                // BlueGreenService reports, per service, how long a healthy release takes and how long the previous
                // version is kept afterwards; the alert must not fire on releases that go as designed.
                const timing = rendered[stack].resourcesJson.outputs.releaseTiming as
                    | Record<
                          string,
                          {
                              healthyPromotionSeconds: number;
                              waitsForPromotion: boolean;
                              previousVersionRetainedSeconds: number;
                          }
                      >
                    | undefined;
                assert.ok(timing, `the ${stack} render has no releaseTiming output, so the alert cannot be checked`);
                const { settings } = stackSettings(stack);
                const entries = Object.entries(timing);
                assert.ok(entries.length > 0);
                for (const [svc, t] of entries) {
                    // A release waiting for promotion may wait up to the pause limit before its own alert fires.
                    const wait = t.waitsForPromotion ? settings.releaseMaxPauseMinutes * 60 : 0;
                    const healthySeconds = t.healthyPromotionSeconds + wait + t.previousVersionRetainedSeconds;
                    assert.ok(
                        healthySeconds < settings.previewRetentionMinutes * 60,
                        `${stack} ${svc}: a healthy release keeps a second stack ${healthySeconds}s, the alert fires after ${settings.previewRetentionMinutes * 60}s`,
                    );
                }
            });

            it("creates the component after the Argo Rollouts component, with the controller's namespace", () => {
                const r = rendered[stack];
                const component = r.get("zdp:index:ReleaseObservability", "observability");
                const rollouts = r.get("zdp:index:ArgoRollouts", "rollouts");
                // dependsOn a component means on its children: the controller chart among them.
                const chart = r.resourcesJson.resources.find(
                    (x) => x.parent === rollouts.urn && x.type === "kubernetes:helm.sh/v4:Chart",
                );
                assert.ok(chart, "the rollouts component has a chart");
                assert.ok(component.dependsOn.includes(chart.urn), "dependsOn the rollouts component (its chart)");
                const sm = objectsOf(r, "ServiceMonitor").find(
                    (o) => o.metadata?.name === "argo-rollouts-controller",
                ) as any;
                const job = sm.spec.endpoints[0].relabelings.find((x: any) => x.targetLabel === "job");
                assert.equal(job.replacement, CONTROLLER_JOB);
            });
        });
    }

    it("prod pages and staging only notifies, with tighter limits in prod", () => {
        const { settings: st } = stackSettings("staging");
        const { settings: pr } = stackSettings("prod");
        assert.equal(pr.releaseAlertSeverity, "critical");
        assert.equal(st.releaseAlertSeverity, "warning");
        assert.ok(pr.releaseMaxPauseMinutes < st.releaseMaxPauseMinutes);
        assert.ok(pr.previewRetentionMinutes < st.previewRetentionMinutes);
        const sev = (r: RenderedStack) => alertsOf(r).map((a) => `${a.alert}=${a.labels.severity}`);
        assert.ok(sev(rendered.prod).some((s) => s.endsWith("=critical")));
        assert.ok(!sev(rendered.staging).some((s) => s.endsWith("=critical")));
        assert.deepEqual(
            alertsOf(rendered.prod).map((a) => a.alert),
            alertsOf(rendered.staging).map((a) => a.alert),
        );
    });

    it("releaseMonitoring=false renders no prometheus-operator object but keeps the dashboard", async () => {
        const r = await renderedStack("prod", ["--set", "releaseMonitoring=false"]);
        const ours = r.manifests
            .map((m) => m.object)
            .filter(
                (o) =>
                    ["ServiceMonitor", "PodMonitor", "PrometheusRule"].includes(String(o.kind)) &&
                    o.metadata?.labels?.["app.kubernetes.io/part-of"] === "zdp",
            );
        assert.deepEqual(ours, []);
        dashboardConfigMap(r);
    });

    it("monitoringLabels and monitoringNamespace reach the objects", async () => {
        const r = await renderedStack("staging", [
            "--set",
            'monitoringLabels=["prometheus=platform"]',
            "--set",
            "monitoringNamespace=monitoring",
        ]);
        const rule = releaseRule(r);
        assert.equal(rule.metadata?.namespace, "monitoring");
        assert.equal(rule.metadata?.labels?.prometheus, "platform");
        assert.equal(rule.metadata?.labels?.release, undefined);
        assert.equal(dashboardConfigMap(r).metadata?.namespace, "monitoring");
    });

    it("a malformed monitoringLabels entry fails the render with a message naming the key", async () => {
        const res = await runRenderCli(["--stack", "staging", "--summary", "--set", 'monitoringLabels=["release"]']);
        assert.equal(res.code, 2, res.stderr);
        assert.match(res.stderr, /zdp:monitoringLabels\[0\]/);
        assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
    });

    it("an out-of-range pause limit fails the render with a message naming the key", async () => {
        const res = await runRenderCli(["--stack", "prod", "--summary", "--set", "releaseMaxPauseMinutes=2"]);
        assert.equal(res.code, 2, res.stderr);
        assert.match(res.stderr, /releaseMaxPauseMinutes/);
    });
});
