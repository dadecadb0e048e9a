import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { releaseDashboard } from "./observability/dashboard";
import { AlertRule, isAlert, releaseRuleGroups, SEVERITIES, Severity } from "./observability/rules";
import { controllerServiceMonitorSpec, sidecarPodMonitorSpec } from "./observability/scrape";
import { checkDnsLabel, checkInteger, checkOneOf, collectErrors, formatArgErrors } from "./lib/validation";
import { ConfigError } from "./platformConfig";

/** Label the Grafana dashboard sidecar (kube-prometheus-stack's `grafana.sidecar.dashboards.label`) looks for. */
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
/** `job` label of the controller's scrape; every rule selects on it. */
export const CONTROLLER_JOB = "argo-rollouts-controller";
/** Where the alerts' runbook pages are when `runbookBaseUrl` is not set: a path in this repository. */
export const DEFAULT_RUNBOOK_BASE = "docs/runbooks";
/** Grafana uid of the release dashboard. */
export const DASHBOARD_UID = "zdp-releases";

export interface ReleaseObservabilityArgs {
    /** Namespace of the Argo Rollouts controller and its metrics Service. Defaults to "argo-rollouts". */
    readonly controllerNamespace?: pulumi.Input<string>;
    /**
     * Namespace the ServiceMonitor, PodMonitor, PrometheusRule and dashboard ConfigMap go to. It must exist and be
     * watched by Prometheus' monitor/rule namespace selectors and by Grafana's dashboard sidecar. Defaults to the
     * controller's namespace.
     */
    readonly namespace?: pulumi.Input<string>;
    /**
     * Namespaces of the platform's services: their Istio sidecars are scraped and their requests make up the SLO.
     * Defaults to none: no sidecar PodMonitor, and the SLO rules cover every namespace.
     */
    readonly serviceNamespaces?: string[];
    /**
     * Create the prometheus-operator objects (ServiceMonitor, PodMonitor, PrometheusRule); needs its CRDs in the
     * cluster. Turn off where Prometheus is run differently and load the `ruleFile` output yourself. Defaults to true.
     */
    readonly prometheusOperator?: boolean;
    /** Create the Grafana dashboard ConfigMap (labelled for Grafana's dashboard sidecar). Defaults to true. */
    readonly grafanaDashboard?: boolean;
    /**
     * Labels on the prometheus-operator objects, matching the Prometheus resource's `serviceMonitorSelector`,
     * `podMonitorSelector` and `ruleSelector`. Defaults to `{ release: "kube-prometheus-stack" }` (that chart's default
     * selectors for a release of that name).
     */
    readonly prometheusSelectorLabels?: Record<string, string>;
    /** Severity of the alerts that page: "critical" (paged) or "warning" (notified). Defaults to "warning". */
    readonly pagingSeverity?: string;
    /** Minutes a Rollout may stay paused before an alert fires (5 to 1440). Defaults to 60. */
    readonly maxPauseMinutes?: number;
    /**
     * Minutes a preview/canary/old second stack may run beside the stable one before an alert fires (5 to 10080). Must
     * exceed how long releases keep the previous version after promotion plus the wait for promotion. Defaults to 150.
     */
    readonly previewRetentionMinutes?: number;
    /** Availability objective of the services' requests, between 0.9 and 0.99999. Defaults to 0.999 (0.1% error budget). */
    readonly sloTarget?: number;
    /** Scrape interval of the controller and the sidecars, a Prometheus duration such as "30s". Defaults to "30s". */
    readonly scrapeInterval?: string;
    /**
     * Where the runbooks are: the URL of this repository's `docs/runbooks` folder as your Git host renders it. Each
     * alert links to its own page, `<runbookBaseUrl>/<alert name in lower case>.md`. Defaults to "docs/runbooks" (a
     * path in this repository).
     */
    readonly runbookBaseUrl?: string;
    /** Value of an `environment` label added to every alert, for routing. Defaults to no such label. */
    readonly environment?: string;
}

/** Kubernetes label key (optional DNS-subdomain prefix, then a name) and value syntax. */
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Returns an error when `labels` is not a map of valid Kubernetes label keys to values. */
export function checkLabels(field: string, labels: unknown): string | undefined {
    if (labels === null || typeof labels !== "object" || Array.isArray(labels)) {
        return `${field} must be a map of label names to values, such as { release: "kube-prometheus-stack" }`;
    }
    for (const [k, v] of Object.entries(labels)) {
        if (!LABEL_KEY.test(k) || typeof v !== "string" || !LABEL_VALUE.test(v)) {
            return `${field} must hold valid Kubernetes labels (got ${JSON.stringify(k)}: ${JSON.stringify(v)})`;
        }
    }
    return undefined;
}

/** Returns an error when `value` is not a simple Prometheus duration such as "30s" or "1m". */
export function checkScrapeInterval(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !/^[1-9][0-9]*(s|m)$/.test(value)) {
        return `${field} must be a Prometheus duration in seconds or minutes, such as "30s" or "1m" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error when `value` is not an availability objective in [0.9, 0.99999]. */
export function checkSloTarget(field: string, value: unknown): string | undefined {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0.9 || value > 0.99999) {
        return `${field} must be a number from 0.9 to 0.99999, such as 0.999 for a 0.1% error budget (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error when `value` is not a URL or path usable as a runbook link base (no fragment, no spaces). */
export function checkRunbookBase(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0 || /[\s#]/.test(value)) {
        return `${field} must be a URL or path without spaces or '#', such as "https://git.example.com/org/zdp/blob/main/docs/runbooks" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/**
 * Parses `key=value` strings (the form stack config can hold) into a label map. Returns the labels or an error naming
 * `field` and the offending entry.
 */
export function labelsFromPairs(
    field: string,
    pairs: readonly string[],
): { labels?: Record<string, string>; error?: string } {
    const labels: Record<string, string> = {};
    for (const [i, pair] of pairs.entries()) {
        const eq = pair.indexOf("=");
        if (eq <= 0) return { error: `${field}[${i}] must be "name=value" (got ${JSON.stringify(pair)})` };
        labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const error = checkLabels(field, labels);
    return error ? { error } : { labels };
}

/**
 * The `monitoringLabels` stack config (`name=value` strings) as a label map; a malformed entry fails as a configuration
 * error naming the key, like every other config mistake.
 */
export function monitoringLabelsFromConfig(
    pairs: readonly string[],
    key = "zdp:monitoringLabels",
): Record<string, string> {
    const { labels, error } = labelsFromPairs(`config ${key}`, pairs);
    if (error !== undefined || labels === undefined)
        throw new ConfigError(`invalid stack configuration:\n  - ${error}`);
    return labels;
}

/**
 * Release observability for the platform: the Argo Rollouts controller's and the Istio sidecars' metrics scraped
 * with prometheus-operator objects, a PrometheusRule with the release alerts, release-state and delivery-figure
 * recording rules and the error-budget SLO, and a Grafana dashboard delivered as a ConfigMap for Grafana's sidecar.
 */
export class ReleaseObservability extends pulumi.ComponentResource {
    /** Namespace of the monitoring objects and the dashboard. */
    public readonly namespace: pulumi.Output<string>;
    /** Whether the prometheus-operator objects were created. */
    public readonly monitoringEnabled: pulumi.Output<boolean>;
    /**
     * The rules as a Prometheus rule file (YAML with `groups:`), for clusters that load rules without
     * prometheus-operator. A string so that every Pulumi language can consume it.
     */
    public readonly ruleFile: pulumi.Output<string>;
    /** Names of the alerts. */
    public readonly alertNames: pulumi.Output<string[]>;
    /** Grafana uid of the dashboard, or undefined when the dashboard is off. */
    public readonly dashboardUid: pulumi.Output<string | undefined>;

    constructor(name: string, args: ReleaseObservabilityArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super("zdp:index:ReleaseObservability", name, args, opts);

        const controllerNamespace = args.controllerNamespace ?? "argo-rollouts";
        // The controller's namespace exists (the ArgoRollouts component creates it), so it is a safe default home.
        const namespace = args.namespace ?? controllerNamespace;
        const serviceNamespaces = args.serviceNamespaces ?? [];
        const operator = args.prometheusOperator ?? true;
        const dashboard = args.grafanaDashboard ?? true;
        // kube-prometheus-stack selects monitors and rules labelled with its release name by default.
        const selectorLabels = args.prometheusSelectorLabels ?? { release: "kube-prometheus-stack" };
        const pagingSeverity = args.pagingSeverity ?? "warning";
        const maxPauseMinutes = args.maxPauseMinutes ?? 60;
        // BlueGreenService keeps the previous version an hour after promotion; allow that plus an hour-long promotion wait.
        const previewRetentionMinutes = args.previewRetentionMinutes ?? 150;
        const sloTarget = args.sloTarget ?? 0.999;
        const scrapeInterval = args.scrapeInterval ?? "30s";
        // The runbook pages of this repository, relative to its root, when no Git host URL is given.
        const runbookBase = args.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE;
        const errors = collectErrors(
            typeof controllerNamespace === "string"
                ? checkDnsLabel("controllerNamespace", controllerNamespace)
                : undefined,
            typeof namespace === "string" ? checkDnsLabel("namespace", namespace) : undefined,
            serviceNamespaces.map((ns, i) => checkDnsLabel(`serviceNamespaces[${i}]`, ns)),
            checkLabels("prometheusSelectorLabels", selectorLabels),
            checkOneOf("pagingSeverity", pagingSeverity, SEVERITIES),
            checkInteger("maxPauseMinutes", maxPauseMinutes, 5, 1440),
            checkInteger("previewRetentionMinutes", previewRetentionMinutes, 5, 10080),
            checkSloTarget("sloTarget", sloTarget),
            checkScrapeInterval("scrapeInterval", scrapeInterval),
            checkRunbookBase("runbookBaseUrl", runbookBase),
            args.environment !== undefined ? checkLabels("environment", { environment: args.environment }) : undefined,
        );
        if (errors.length > 0)
            throw new pulumi.ResourceError(formatArgErrors("ReleaseObservability", name, errors), this);

        const groups = releaseRuleGroups({
            controllerJob: CONTROLLER_JOB,
            pagingSeverity: pagingSeverity as Severity,
            maxPauseMinutes,
            previewRetentionMinutes,
            sloTarget,
            serviceNamespaces,
            runbookBase,
            extraLabels: args.environment !== undefined ? { environment: args.environment } : undefined,
        });
        const labels = {
            ...selectorLabels,
            "app.kubernetes.io/part-of": "zdp",
            "app.kubernetes.io/component": "release-observability",
        };

        if (operator) {
            new k8s.apiextensions.CustomResource(
                `${name}-controller-monitor`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "ServiceMonitor",
                    metadata: { name: "argo-rollouts-controller", namespace, labels },
                    spec: controllerServiceMonitorSpec({
                        controllerNamespace,
                        job: CONTROLLER_JOB,
                        interval: scrapeInterval,
                    }),
                },
                { parent: this },
            );
            if (serviceNamespaces.length > 0) {
                new k8s.apiextensions.CustomResource(
                    `${name}-sidecar-monitor`,
                    {
                        apiVersion: "monitoring.coreos.com/v1",
                        kind: "PodMonitor",
                        metadata: { name: "istio-sidecars", namespace, labels },
                        spec: sidecarPodMonitorSpec({ namespaces: serviceNamespaces, interval: scrapeInterval }),
                    },
                    { parent: this },
                );
            }
            new k8s.apiextensions.CustomResource(
                `${name}-rules`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: { name: "zdp-release", namespace, labels },
                    spec: { groups },
                },
                { parent: this },
            );
        }

        if (dashboard) {
            const model = releaseDashboard({
                uid: DASHBOARD_UID,
                title: "Releases",
                controllerJob: CONTROLLER_JOB,
                sloTarget,
            });
            new k8s.core.v1.ConfigMap(
                `${name}-dashboard`,
                {
                    metadata: {
                        name: "zdp-release-dashboard",
                        namespace,
                        labels: { ...GRAFANA_DASHBOARD_LABEL, "app.kubernetes.io/part-of": "zdp" },
                        // Folder for sidecars configured with folderAnnotation: grafana_folder (kube-prometheus-stack's choice).
                        annotations: { grafana_folder: "Releases" },
                    },
                    data: { "zdp-releases.json": JSON.stringify(model, null, 2) },
                },
                { parent: this },
            );
        }

        this.namespace = pulumi.output(namespace);
        this.monitoringEnabled = pulumi.output(operator);
        this.ruleFile = pulumi.output(stringify({ groups }, { lineWidth: 0 }));
        this.alertNames = pulumi.output(groups.flatMap((g) => g.rules.filter(isAlert).map((r: AlertRule) => r.alert)));
        this.dashboardUid = pulumi.output(dashboard ? DASHBOARD_UID : undefined);
        this.registerOutputs({
            namespace: this.namespace,
            monitoringEnabled: this.monitoringEnabled,
            ruleFile: this.ruleFile,
            alertNames: this.alertNames,
            dashboardUid: this.dashboardUid,
        });
    }
}
