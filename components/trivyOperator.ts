import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, CHARTS, checkChartRepository } from "./lib/charts";
import {
    ADDON_ARTIFACTS,
    ADDON_IMAGES,
    checkImageRegistry,
    deepMerge,
    imageValues,
    mirroredRepository,
    splitRepository,
} from "./lib/images";
import { checkChartVersion, checkDnsLabel, checkInteger, collectErrors, formatArgErrors } from "./lib/validation";
import { TRIVY_JOB, trivyServiceMonitorSpec } from "./observability/scrape";

/** Severities trivy understands, lowest first. */
export const TRIVY_SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type TrivySeverity = (typeof TRIVY_SEVERITIES)[number];

export interface TrivyOperatorArgs {
    /** trivy-operator chart version. Defaults to the version pinned in `lib/charts.ts`. */
    readonly version?: string;
    /** Namespace of the operator. Defaults to "trivy-system". */
    readonly namespace?: string;
    /** Severities reported in VulnerabilityReports. Defaults to ["HIGH", "CRITICAL"]. */
    readonly severities?: string[];
    /** Scan jobs run at once across the cluster. Defaults to 3. */
    readonly scanConcurrency?: number;
    /** Namespaces never scanned. Defaults to ["kube-system"]. */
    readonly excludedNamespaces?: string[];
    /** Report only vulnerabilities that have a fix. Defaults to false. */
    readonly ignoreUnfixed?: boolean;
    /**
     * trivy-operator is already installed another way (GitOps, another team's stack): create nothing but the `serviceMonitor`. Its reports
     * and metrics are the same CRDs and series; severities, concurrency and exclusions are that install's. Defaults
     * to false (install).
     */
    readonly existing?: boolean;
    /**
     * Repository of the trivy-operator chart: an organisation's mirror as `oci://host/path` or an HTTP(S) chart
     * repository. Defaults to Aqua's repository (`lib/charts.ts`).
     */
    readonly chartRepository?: string;
    /**
     * Registry (host and optional path) that mirrors the operator, scanner and node-collector images (pinned by the
     * digests in `lib/images.ts`) and the vulnerability databases and checks bundle. Defaults to the upstream
     * registries, images still pinned by digest.
     */
    readonly imageRegistry?: string;
    /**
     * Create a prometheus-operator ServiceMonitor for the operator's metrics (`trivy_image_vulnerabilities`, ...),
     * scraped as `job="trivy-operator"` with the workloads' own namespace labels, as the platform's vulnerability
     * alert expects; also for an `existing` install. Needs prometheus-operator's CRDs. Defaults to false.
     */
    readonly serviceMonitor?: boolean;
    /**
     * Namespace of the ServiceMonitor: one the Prometheus resource's `serviceMonitorNamespaceSelector` includes.
     * Defaults to the operator's namespace.
     */
    readonly monitoringNamespace?: string;
    /**
     * Labels on the ServiceMonitor, matching the Prometheus resource's `serviceMonitorSelector`. Defaults to
     * `{ release: "kube-prometheus-stack" }`.
     */
    readonly monitoringLabels?: Record<string, string>;
}

/**
 * Aqua's trivy-operator: continuous vulnerability, misconfiguration and exposed-secret scanning of every workload,
 * reported as CRDs (VulnerabilityReport, ConfigAuditReport, ...) and Prometheus metrics.
 */
export class TrivyOperator extends pulumi.ComponentResource {
    /** Namespace of the operator. */
    public readonly namespace: pulumi.Output<string>;
    /** Severities reported, comma-separated as trivy takes them; empty when `existing` (that install decides). */
    public readonly severity: pulumi.Output<string>;

    constructor(name: string, args: TrivyOperatorArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("zdp:index:TrivyOperator", name, args, opts);

        const version = args.version ?? CHARTS.trivyOperator.version;
        const namespace = args.namespace ?? "trivy-system";
        const severities = args.severities ?? ["HIGH", "CRITICAL"];
        const concurrency = args.scanConcurrency ?? 3;
        const excluded = args.excludedNamespaces ?? ["kube-system"];
        const errors = collectErrors(
            checkChartVersion("version", version),
            checkDnsLabel("namespace", namespace),
            severities.length === 0 ? `severities must name at least one of ${TRIVY_SEVERITIES.join(", ")}` : undefined,
            severities.map((s, i) =>
                (TRIVY_SEVERITIES as readonly string[]).includes(s)
                    ? undefined
                    : `severities[${i}] must be one of ${TRIVY_SEVERITIES.join(", ")} (got "${s}")`,
            ),
            checkInteger("scanConcurrency", concurrency, 1, 50),
            excluded.map((ns, i) => checkDnsLabel(`excludedNamespaces[${i}]`, ns)),
            args.chartRepository === undefined
                ? undefined
                : checkChartRepository("chartRepository", args.chartRepository),
            args.imageRegistry === undefined ? undefined : checkImageRegistry("imageRegistry", args.imageRegistry),
            args.monitoringNamespace === undefined
                ? undefined
                : checkDnsLabel("monitoringNamespace", args.monitoringNamespace),
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("TrivyOperator", name, errors), this);

        // The operator's metrics Service exists in both modes (an existing install's chart creates it too).
        const monitor = (operatorNamespace: pulumi.Input<string>, dependsOn: pulumi.Resource[]) => {
            if (!(args.serviceMonitor ?? false)) return;
            new k8s.apiextensions.CustomResource(
                `${name}-monitor`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: {
                        name: "trivy-operator",
                        namespace: args.monitoringNamespace ?? operatorNamespace,
                        // kube-prometheus-stack selects monitors labelled with its release name by default.
                        labels: {
                            ...(args.monitoringLabels ?? { release: "kube-prometheus-stack" }),
                            "app.kubernetes.io/part-of": "zdp",
                        },
                    },
                    spec: trivyServiceMonitorSpec({ operatorNamespace, job: TRIVY_JOB, interval: "60s" }),
                },
                { parent: this, dependsOn },
            );
        };

        if (args.existing ?? false) {
            monitor(namespace, []);
            this.namespace = pulumi.output(namespace);
            this.severity = pulumi.output("");
            this.registerOutputs({ namespace: this.namespace, severity: this.severity });
            return;
        }

        // Trivy wants them in ascending order, without repeats.
        const severity = TRIVY_SEVERITIES.filter((s) => severities.includes(s)).join(",");
        const registry = args.imageRegistry;
        const artifact = (upstream: string) => splitRepository(mirroredRepository(upstream, registry));
        const db = artifact(ADDON_ARTIFACTS.trivyOperator.db.upstream);
        const javaDb = artifact(ADDON_ARTIFACTS.trivyOperator.javaDb.upstream);
        const checks = artifact(ADDON_ARTIFACTS.trivyOperator.checks.upstream);
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace } }, { parent: this });
        const chart = new k8s.helm.v4.Chart(
            `${name}-chart`,
            {
                ...chartSource(CHARTS.trivyOperator, args.chartRepository),
                version,
                namespace: ns.metadata.name,
                values: deepMerge(imageValues(ADDON_IMAGES.trivyOperator, registry), {
                    excludeNamespaces: excluded.join(","),
                    operator: {
                        scanJobsConcurrentLimit: concurrency,
                        vulnerabilityScannerEnabled: true,
                        configAuditScannerEnabled: true,
                        exposedSecretScannerEnabled: true,
                        rbacAssessmentScannerEnabled: true,
                    },
                    trivy: {
                        severity,
                        ignoreUnfixed: args.ignoreUnfixed ?? false,
                        // The databases come from the same mirror as the images (air-gapped clusters reach no other).
                        dbRegistry: db.host,
                        dbRepository: db.path,
                        javaDbRegistry: javaDb.host,
                        javaDbRepository: javaDb.path,
                    },
                    policiesBundle: {
                        registry: checks.host,
                        repository: checks.path,
                        tag: ADDON_ARTIFACTS.trivyOperator.checks.tag,
                    },
                    // Scan jobs call no API: no token in their pods (the operator's own pod needs one).
                    trivyOperator: { scanJobAutomountServiceAccountToken: false },
                    // The platform's own ServiceMonitor (below) sets the job label the rules select on.
                    serviceMonitor: { enabled: false },
                }),
            },
            { parent: this },
        );
        monitor(ns.metadata.name, [chart]);

        this.namespace = ns.metadata.name;
        this.severity = pulumi.output(severity);
        this.registerOutputs({ namespace: this.namespace, severity: this.severity });
    }
}
