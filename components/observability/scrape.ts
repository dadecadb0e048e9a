/**
 * What Prometheus scrapes for the release rules, as prometheus-operator objects (`monitoring.coreos.com/v1`):
 *
 * - the Argo Rollouts controller's metrics Service (argo-helm chart: labels `app.kubernetes.io/name: argo-rollouts`,
 *   `app.kubernetes.io/component: rollouts-controller`, port `metrics`, 8090), with `honorLabels` so that the
 *   controller's own `namespace` / `name` labels (the Rollout's) win over the target's, and a fixed `job` label the
 *   rules select on;
 * - the Istio sidecars of the service namespaces (port `http-envoy-prom`, 15090, `/stats/prometheus`), keeping only the
 *   `istio_*` standard metrics: the gates and the SLO need nothing of Envoy's own thousands of series.
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

/** Name of the sidecar container's Prometheus port (Envoy stats, including Istio's standard metrics). */
export const SIDECAR_METRICS_PORT = "http-envoy-prom";

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
                port: SIDECAR_METRICS_PORT,
                path: "/stats/prometheus",
                interval: opts.interval,
                metricRelabelings: [{ action: "keep", sourceLabels: ["__name__"], regex: "istio_.*" }],
            },
        ],
    };
}
