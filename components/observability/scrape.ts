/**
 * What Prometheus scrapes for the release rules, as prometheus-operator objects (`monitoring.coreos.com/v1`):
 *
 * - the Argo Rollouts controller's metrics Service (argo-helm chart: labels `app.kubernetes.io/name: argo-rollouts`,
 *   `app.kubernetes.io/component: rollouts-controller`, port `metrics`, 8090), with `honorLabels` so that the
 *   controller's own `namespace` / `name` labels (the Rollout's) win over the target's, and a fixed `job` label the
 *   rules select on;
 * - the Istio sidecars of the service namespaces on the agent's merged endpoint (15020, `/stats/prometheus`; IstioMesh
 *   turns `enablePrometheusMerge` on, and BlueGreenService's NetworkPolicies admit Prometheus on that port only),
 *   keeping only the `istio_*` standard metrics: the gates and the SLO need nothing of Envoy's thousands of series;
 * - trivy-operator's metrics Service (its chart: label `app.kubernetes.io/name: trivy-operator`, port `metrics`), again
 *   with `honorLabels` (the scanned workload's `namespace` wins over the operator's) and a fixed `job` label.
 */

/** Labels of the controller's metrics Service in the argo-rollouts chart (the release name adds `instance`, not used). */
export const CONTROLLER_SERVICE_LABELS = {
    "app.kubernetes.io/name": "argo-rollouts",
    "app.kubernetes.io/component": "rollouts-controller",
} as const;

/** Name of the metrics port of the controller's Service in the chart. */
export const CONTROLLER_METRICS_PORT = "metrics";

/** Label Istio's injector puts on every pod with a sidecar. */
export const SIDECAR_POD_LABEL = { "security.istio.io/tlsMode": "istio" } as const;

/**
 * The sidecar's only declared port (Envoy's own stats, 15090). Selecting it gives exactly one target per pod, whose
 * address the relabeling then moves to the merged endpoint: 15020 is served by the sidecar but not declared.
 */
export const SIDECAR_DECLARED_PORT = "http-envoy-prom";
/** Port of the Istio agent's merged metrics (application + Envoy + Istio standard metrics). */
export const SIDECAR_MERGED_METRICS_PORT = 15020;

export interface ControllerMonitorOptions {
    controllerNamespace: unknown;
    job: string;
    interval: string;
}

/** `spec` of the controller's ServiceMonitor. */
export function controllerServiceMonitorSpec(opts: ControllerMonitorOptions): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...CONTROLLER_SERVICE_LABELS } },
        namespaceSelector: { matchNames: [opts.controllerNamespace] },
        endpoints: [
            {
                port: CONTROLLER_METRICS_PORT,
                path: "/metrics",
                interval: opts.interval,
                // rollout_info{namespace, name} describe the Rollout; without this they would become exported_namespace.
                honorLabels: true,
                relabelings: [{ action: "replace", targetLabel: "job", replacement: opts.job }],
            },
        ],
    };
}

export interface SidecarMonitorOptions {
    namespaces: readonly string[];
    interval: string;
}

/** `spec` of the PodMonitor for the Istio sidecars of the service namespaces. */
export function sidecarPodMonitorSpec(opts: SidecarMonitorOptions): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...SIDECAR_POD_LABEL } },
        namespaceSelector: { matchNames: [...opts.namespaces] },
        podMetricsEndpoints: [
            {
                port: SIDECAR_DECLARED_PORT,
                path: "/stats/prometheus",
                interval: opts.interval,
                relabelings: [
                    // pod IP → <ip>:15020, brackets for IPv6.
                    {
                        action: "replace",
                        sourceLabels: ["__meta_kubernetes_pod_ip"],
                        regex: "([0-9.]+)",
                        replacement: `$1:${SIDECAR_MERGED_METRICS_PORT}`,
                        targetLabel: "__address__",
                    },
                    {
                        action: "replace",
                        sourceLabels: ["__meta_kubernetes_pod_ip"],
                        regex: "([0-9a-fA-F]*:[0-9a-fA-F:.]*)",
                        replacement: `[$1]:${SIDECAR_MERGED_METRICS_PORT}`,
                        targetLabel: "__address__",
                    },
                ],
                metricRelabelings: [{ action: "keep", sourceLabels: ["__name__"], regex: "istio_.*" }],
            },
        ],
    };
}

/** Labels of trivy-operator's metrics Service in its chart (the release name adds `instance`, not used). */
export const TRIVY_SERVICE_LABELS = { "app.kubernetes.io/name": "trivy-operator" } as const;
/** Name of the metrics port of trivy-operator's Service in its chart. */
export const TRIVY_METRICS_PORT = "metrics";
/** `job` label of the platform's trivy-operator scrape; the vulnerability rules select on it. */
export const TRIVY_JOB = "trivy-operator";

export interface TrivyMonitorOptions {
    operatorNamespace: unknown;
    job: string;
    interval: string;
}

/** `spec` of trivy-operator's ServiceMonitor. */
export function trivyServiceMonitorSpec(opts: TrivyMonitorOptions): Record<string, unknown> {
    return {
        selector: { matchLabels: { ...TRIVY_SERVICE_LABELS } },
        namespaceSelector: { matchNames: [opts.operatorNamespace] },
        endpoints: [
            {
                port: TRIVY_METRICS_PORT,
                path: "/metrics",
                interval: opts.interval,
                // trivy_image_vulnerabilities{namespace} is the workload's namespace, not the operator's.
                honorLabels: true,
                relabelings: [{ action: "replace", targetLabel: "job", replacement: opts.job }],
            },
        ],
    };
}
