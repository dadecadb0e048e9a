import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "./lib/charts";
import { checkChartVersion, checkDnsLabel, checkInteger, collectErrors, formatArgErrors } from "./lib/validation";

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
}

/**
 * Aqua's trivy-operator: continuous vulnerability, misconfiguration and exposed-secret scanning of every workload,
 * reported as CRDs (VulnerabilityReport, ConfigAuditReport, ...) and Prometheus metrics.
 */
export class TrivyOperator extends pulumi.ComponentResource {
    /** Namespace of the operator. */
    public readonly namespace: pulumi.Output<string>;
    /** Severities reported, comma-separated as trivy takes them. */
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
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("TrivyOperator", name, errors), this);

        // Trivy wants them in ascending order, without repeats.
        const severity = TRIVY_SEVERITIES.filter((s) => severities.includes(s)).join(",");
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace } }, { parent: this });
        new k8s.helm.v4.Chart(
            `${name}-chart`,
            {
                chart: CHARTS.trivyOperator.chart,
                version,
                repositoryOpts: { repo: CHARTS.trivyOperator.repo },
                namespace: ns.metadata.name,
                values: {
                    excludeNamespaces: excluded.join(","),
                    operator: {
                        scanJobsConcurrentLimit: concurrency,
                        vulnerabilityScannerEnabled: true,
                        configAuditScannerEnabled: true,
                        exposedSecretScannerEnabled: true,
                        rbacAssessmentScannerEnabled: true,
                    },
                    trivy: { severity, ignoreUnfixed: args.ignoreUnfixed ?? false },
                    serviceMonitor: { enabled: false },
                },
            },
            { parent: this },
        );

        this.namespace = ns.metadata.name;
        this.severity = pulumi.output(severity);
        this.registerOutputs({ namespace: this.namespace, severity: this.severity });
    }
}
