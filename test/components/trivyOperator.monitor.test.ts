/**
 * TrivyOperator's scrape switch under the mock runtime: with `serviceMonitor`, a ServiceMonitor that scrapes the
 * operator's metrics Service as `job="trivy-operator"` with the workloads' namespace labels (honorLabels), for an
 * installed and for an existing operator; without it, none; the chart's own ServiceMonitor always off.
 */
import * as assert from "node:assert/strict";
import { TRIVY_JOB } from "../../components/observability/scrape";
import { TrivyOperator, TrivyOperatorArgs } from "../../components/trivyOperator";
import { MockSession } from "../../tools/mockRuntime";
import { assertArgError, CHART, mockSession } from "../helpers/components";

const MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";

describe("TrivyOperator scrape", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: TrivyOperatorArgs): Promise<void> {
        new TrivyOperator("trivy", args);
        await session.settle();
    }
    const monitors = () => session.resources.filter((r) => r.type === MONITOR);

    it("creates no ServiceMonitor by default", async () => {
        await build();
        assert.deepEqual(monitors(), []);
        assert.deepEqual(session.get(CHART, "trivy-chart").inputs.values.serviceMonitor, { enabled: false });
    });

    it("scrapes the chart's metrics Service as job trivy-operator, keeping the workloads' namespace label", async () => {
        await build({ serviceMonitor: true });
        const m = session.get(MONITOR, "trivy-monitor").inputs;
        assert.deepEqual(m.metadata, {
            name: "trivy-operator",
            namespace: "trivy-system",
            labels: { release: "kube-prometheus-stack", "app.kubernetes.io/part-of": "zdp" },
        });
        assert.deepEqual(m.spec.selector, { matchLabels: { "app.kubernetes.io/name": "trivy-operator" } });
        assert.deepEqual(m.spec.namespaceSelector, { matchNames: ["trivy-system"] });
        assert.equal(m.spec.endpoints.length, 1);
        const [e] = m.spec.endpoints;
        assert.equal(e.port, "metrics");
        assert.equal(e.honorLabels, true);
        assert.deepEqual(e.relabelings, [{ action: "replace", targetLabel: "job", replacement: TRIVY_JOB }]);
        // Not a second scrape of the same target through the chart's own monitor.
        assert.deepEqual(session.get(CHART, "trivy-chart").inputs.values.serviceMonitor, { enabled: false });
        assert.ok(
            session.get(MONITOR, "trivy-monitor").dependsOn.includes(session.get(CHART, "trivy-chart").urn),
            "after the chart that creates the Service",
        );
    });

    it("puts the monitor where Prometheus looks, with its selector labels", async () => {
        await build({
            serviceMonitor: true,
            namespace: "scanners",
            monitoringNamespace: "monitoring",
            monitoringLabels: { prometheus: "platform" },
        });
        const m = session.get(MONITOR, "trivy-monitor").inputs;
        assert.equal(m.metadata.namespace, "monitoring");
        assert.deepEqual(m.metadata.labels, { prometheus: "platform", "app.kubernetes.io/part-of": "zdp" });
        assert.deepEqual(m.spec.namespaceSelector, { matchNames: ["scanners"] });
    });

    it("scrapes an existing operator too, creating nothing else", async () => {
        await build({ existing: true, serviceMonitor: true, namespace: "security" });
        const children = session.resources.filter((r) => r.custom).map((r) => r.type);
        assert.deepEqual(children, [MONITOR]);
        assert.deepEqual(session.get(MONITOR, "trivy-monitor").inputs.spec.namespaceSelector, {
            matchNames: ["security"],
        });
    });

    it("rejects an invalid monitoring namespace, naming monitoringNamespace", () => {
        assertArgError(
            () => new TrivyOperator("trivy", { serviceMonitor: true, monitoringNamespace: "Not_A_Label" }),
            "TrivyOperator",
            "trivy",
            ["monitoringNamespace"],
        );
    });
});
