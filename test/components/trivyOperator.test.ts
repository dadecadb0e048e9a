/**
 * TrivyOperator under the mock runtime: the chart and its scanner settings, severity normalisation, argument
 * validation and the scan thresholds staging and prod configure.
 */
import * as assert from "node:assert/strict";
import { CHARTS } from "../../components/lib/charts";
import { ADDON_IMAGES, imageValues } from "../../components/lib/images";
import { TRIVY_SEVERITIES, TrivyOperator, TrivyOperatorArgs } from "../../components/trivyOperator";
import { MockSession, valueOf } from "../../tools/mockRuntime";
import { assertArgError, CHART, childrenOf, K8S, mockSession, stackSettings } from "../helpers/components";

describe("TrivyOperator", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: TrivyOperatorArgs, name = "trivy"): Promise<TrivyOperator> {
        const trivy = new TrivyOperator(name, args);
        await session.settle();
        return trivy;
    }

    describe("defaults", () => {
        it("creates the namespace and the pinned trivy-operator chart, parented to zdp:index:TrivyOperator", async () => {
            const trivy = await build();
            const component = session.get("zdp:index:TrivyOperator", "trivy");
            assert.deepEqual(
                childrenOf(session.resources, component.urn)
                    .map((r) => `${r.type}::${r.name}`)
                    .sort(),
                [`${CHART}::trivy-chart`, `${K8S.Namespace}::trivy-ns`].sort(),
            );
            assert.deepEqual(session.get(K8S.Namespace, "trivy-ns").inputs.metadata, { name: "trivy-system" });
            const chart = session.get(CHART, "trivy-chart").inputs;
            assert.equal(chart.chart, CHARTS.trivyOperator.chart);
            assert.equal(chart.version, CHARTS.trivyOperator.version);
            assert.deepEqual(chart.repositoryOpts, { repo: CHARTS.trivyOperator.repo });
            assert.equal(chart.namespace, "trivy-system");
            assert.equal(await valueOf(trivy.namespace), "trivy-system");
        });

        it("reports HIGH and CRITICAL, three scans at once, skips kube-system, every scanner on", async () => {
            const trivy = await build();
            const values = session.get(CHART, "trivy-chart").inputs.values;
            assert.deepEqual(values.trivy, {
                image: (imageValues(ADDON_IMAGES.trivyOperator) as any).trivy.image,
                severity: "HIGH,CRITICAL",
                ignoreUnfixed: false,
                dbRegistry: "mirror.gcr.io",
                dbRepository: "aquasec/trivy-db",
                javaDbRegistry: "mirror.gcr.io",
                javaDbRepository: "aquasec/trivy-java-db",
            });
            assert.equal(values.excludeNamespaces, "kube-system");
            assert.deepEqual(values.operator, {
                scanJobsConcurrentLimit: 3,
                vulnerabilityScannerEnabled: true,
                configAuditScannerEnabled: true,
                exposedSecretScannerEnabled: true,
                rbacAssessmentScannerEnabled: true,
            });
            assert.deepEqual(values.serviceMonitor, { enabled: false });
            assert.equal(await valueOf(trivy.severity), "HIGH,CRITICAL");
        });
    });

    describe("arguments", () => {
        it("orders severities from lowest to highest and drops repeats, as trivy expects", async () => {
            const trivy = await build({ severities: ["CRITICAL", "LOW", "CRITICAL", "MEDIUM"] });
            assert.equal(session.get(CHART, "trivy-chart").inputs.values.trivy.severity, "LOW,MEDIUM,CRITICAL");
            assert.equal(await valueOf(trivy.severity), "LOW,MEDIUM,CRITICAL");
        });

        it("accepts every trivy severity", async () => {
            await build({ severities: [...TRIVY_SEVERITIES].reverse() });
            assert.equal(session.get(CHART, "trivy-chart").inputs.values.trivy.severity, TRIVY_SEVERITIES.join(","));
        });

        it("passes concurrency, exclusions and ignoreUnfixed through", async () => {
            await build({
                scanConcurrency: 7,
                excludedNamespaces: ["kube-system", "istio-system"],
                ignoreUnfixed: true,
            });
            const values = session.get(CHART, "trivy-chart").inputs.values;
            assert.equal(values.operator.scanJobsConcurrentLimit, 7);
            assert.equal(values.excludeNamespaces, "kube-system,istio-system");
            assert.equal(values.trivy.ignoreUnfixed, true);
        });
    });

    describe("validation", () => {
        const cases: [string, TrivyOperatorArgs, string[]][] = [
            ["a version range", { version: "0.x" }, ["version"]],
            ["an invalid namespace", { namespace: "Trivy" }, ["namespace"]],
            ["no severities", { severities: [] }, ["severities"]],
            ["an unknown severity", { severities: ["HIGH", "SEVERE"] }, ["severities[1]"]],
            ["a lower-case severity", { severities: ["high"] }, ["severities[0]"]],
            ["zero concurrency", { scanConcurrency: 0 }, ["scanConcurrency"]],
            ["too much concurrency", { scanConcurrency: 51 }, ["scanConcurrency"]],
            [
                "an invalid excluded namespace",
                { excludedNamespaces: ["kube-system", "Kube_Public"] },
                ["excludedNamespaces[1]"],
            ],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                assertArgError(() => new TrivyOperator("bad", args), "TrivyOperator", "bad", fields);
            });
        }

        it("lists the allowed severities when one is wrong", () => {
            const message = assertArgError(
                () => new TrivyOperator("bad", { severities: ["SEVERE"] }),
                "TrivyOperator",
                "bad",
                ["severities[0]"],
            );
            for (const s of TRIVY_SEVERITIES) assert.ok(message.includes(s), `${s} should be listed`);
            assert.ok(message.includes('"SEVERE"'));
        });
    });

    describe("staging vs prod, through the stacks' configuration", () => {
        async function buildForStack(stack: string) {
            const { settings, config, secretKeys } = stackSettings(stack);
            session = await mockSession({ config, secretKeys });
            await build(
                {
                    severities: settings.scanSeverities,
                    scanConcurrency: settings.scanConcurrency,
                    excludedNamespaces: settings.scanExcludedNamespaces,
                },
                stack,
            );
            return session.get(CHART, `${stack}-chart`).inputs.values;
        }

        it("prod reports a lower severity threshold than staging, and scans more at once", async () => {
            const staging = await buildForStack("staging");
            const prod = await buildForStack("prod");
            const lowest = (severity: string) =>
                Math.min(...severity.split(",").map((s) => (TRIVY_SEVERITIES as readonly string[]).indexOf(s)));
            assert.ok(
                lowest(prod.trivy.severity) < lowest(staging.trivy.severity),
                `prod (${prod.trivy.severity}) should report more than staging (${staging.trivy.severity})`,
            );
            assert.ok(prod.operator.scanJobsConcurrentLimit > staging.operator.scanJobsConcurrentLimit);
        });

        it("staging skips the mesh's namespace as well as kube-system; prod scans it", async () => {
            const staging = await buildForStack("staging");
            const prod = await buildForStack("prod");
            assert.deepEqual(staging.excludeNamespaces.split(","), ["kube-system", "istio-system"]);
            assert.deepEqual(prod.excludeNamespaces.split(","), ["kube-system"]);
        });
    });
});
