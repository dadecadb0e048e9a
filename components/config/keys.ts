/**
 * Every stack configuration key the program reads, declared once: its kind (and so its type, config/kinds.ts), default,
 * secret-ness, what the program allows, and its description. From this declaration:
 *
 * - `PlatformConfig`, the type of the settings `loadPlatformConfig` returns, is derived (platformConfig.ts);
 * - `Pulumi.yaml`'s `config:` block and docs/reference/config.md are generated (`npm run docs`,
 *   tools/configReference.ts), and test/tools/docs.test.ts fails when either is out of date;
 * - a stack key of this project that is not declared here is refused, naming the closest key.
 *
 * To add a key: declare it below, run `npm run docs`, and read it from `settings` in index.ts.
 */
import { TRIVY_SEVERITIES } from "../trivyOperator";
import {
    booleanKey,
    enumKey,
    enumListKey,
    integerKey,
    objectListKey,
    optionalStringKey,
    secretKey,
    stringKey,
    stringListKey,
} from "./kinds";

/** How an add-on is provided: installed by the platform from its chart, or existing (installed another way). */
const ADDON_MODES = ["install", "existing"] as const;

/** The keys `loadPlatformConfig` reads into `PlatformConfig`, in the order the generated docs list them. */
export const SETTING_KEYS = {
    environment: enumKey({
        description:
            "Environment this stack is: staging or prod. Selects stricter gates and HA in prod. Required: a stack that omits or misspells it stops (a typo such as zdp:Environment would otherwise run prod as staging, promoting itself).",
        allowed: ["staging", "prod"],
    }),
    kubeContext: optionalStringKey({
        description: "kubeconfig context to deploy to. Empty: the current context of the kubeconfig in use.",
    }),
    renderYamlToDirectory: optionalStringKey({
        description:
            "Folder the Kubernetes provider writes every object to as YAML instead of contacting a cluster (kubeContext must be empty). Empty: deploy to the cluster.",
    }),
    istiodReplicas: integerKey({
        description: "istiod (Istio control plane) replicas; 2 or more for HA.",
        default: 1,
        min: 1,
        max: 10,
    }),
    gatewayReplicas: integerKey({
        description: "Istio ingress gateway replicas (autoscaler minimum).",
        default: 1,
        min: 1,
        max: 50,
    }),
    ingressHosts: stringListKey({
        description: "Host names the shared ingress Gateway accepts.",
        default: ["*"],
        format: "gatewayHost",
        minItems: 1,
    }),
    rolloutsControllerReplicas: integerKey({
        description: "Argo Rollouts controller replicas; 2 or more for HA (leader election).",
        default: 1,
        min: 1,
        max: 5,
    }),
    serviceMonitors: booleanKey({
        description:
            "Create the Argo Rollouts chart's own prometheus-operator ServiceMonitor for the controller (needs the CRDs in the cluster). Used only while releaseMonitoring is off: release monitoring scrapes the controller itself.",
        default: false,
    }),
    alertWebhookUrl: secretKey({
        description:
            "Incoming-webhook URL (Slack or any JSON endpoint) for release notifications and Falco alerts: an https URL, set with --secret (refused in plain text). Unset: alerts off.",
        format: "httpsUrl",
    }),
    falcoMinimumPriority: enumKey({
        description: "Lowest Falco priority forwarded to the alert webhook.",
        default: "warning",
        allowed: ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"],
    }),
    scanSeverities: enumListKey({
        description: "Vulnerability severities trivy-operator reports (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL).",
        default: ["HIGH", "CRITICAL"],
        allowed: TRIVY_SEVERITIES,
        minItems: 1,
    }),
    scanConcurrency: integerKey({
        description: "trivy-operator scan jobs running at once.",
        default: 3,
        min: 1,
        max: 50,
    }),
    scanExcludedNamespaces: stringListKey({
        description: "Namespaces trivy-operator never scans.",
        default: ["kube-system"],
        format: "dnsLabel",
    }),
    istio: enumKey({
        description:
            "Istio: install (the platform installs its chart) or existing (installed another way; the platform adds only the shared Gateway, the service namespaces and their STRICT mTLS).",
        default: "install",
        allowed: ADDON_MODES,
    }),
    istioChartRepository: optionalStringKey({
        description:
            "Repository of the Istio charts: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        format: "chartRepository",
    }),
    argoRollouts: enumKey({
        description:
            "Argo Rollouts: install (the platform installs its chart) or existing (installed another way; the platform adds only the release notification ConfigMap and Secret).",
        default: "install",
        allowed: ADDON_MODES,
    }),
    argoRolloutsChartRepository: optionalStringKey({
        description:
            "Repository of the Argo Rollouts chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        format: "chartRepository",
    }),
    trivyOperator: enumKey({
        description:
            "trivy-operator: install (the platform installs its chart) or existing (installed another way; the platform adds nothing: severities, concurrency and exclusions are that install's).",
        default: "install",
        allowed: ADDON_MODES,
    }),
    trivyOperatorChartRepository: optionalStringKey({
        description:
            "Repository of the trivy-operator chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        format: "chartRepository",
    }),
    falco: enumKey({
        description:
            "Falco: install (the platform installs its chart) or existing (installed another way; the platform adds only the falco-platform-rules ConfigMap, and that install forwards its own alerts).",
        default: "install",
        allowed: ADDON_MODES,
    }),
    falcoChartRepository: optionalStringKey({
        description:
            "Repository of the Falco chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        format: "chartRepository",
    }),
    addonImageRegistry: optionalStringKey({
        description:
            "Registry (host/path) mirroring the add-ons' images, which run from it pinned by digest (components/lib/images.ts). Empty: the upstream registries.",
        format: "imageRegistry",
    }),
    pipelineNamespace: stringKey({
        description: "Namespace of the builder, deployer and auditor ServiceAccounts.",
        default: "platform-pipeline",
        format: "dnsLabel",
    }),
    releaseMonitoring: booleanKey({
        description:
            "Create the release ServiceMonitor, PodMonitor and PrometheusRule (needs prometheus-operator's CRDs). Off: scrape and load the rules another way.",
        default: false,
    }),
    monitoringNamespace: optionalStringKey({
        description:
            "Namespace of the release monitoring objects and dashboard ConfigMap (must exist and be watched by Prometheus and Grafana's sidecar). Empty: the Argo Rollouts namespace.",
        format: "dnsLabel",
    }),
    monitoringLabels: stringListKey({
        description:
            "Labels (name=value) on the release monitoring objects, matching the Prometheus resource's monitor and rule selectors.",
        default: ["release=kube-prometheus-stack"],
    }),
    releaseAlertSeverity: enumKey({
        description: "Severity of the release alerts that page: critical (paged) or warning (notified).",
        default: "warning",
        allowed: ["warning", "critical"],
    }),
    releaseMaxPauseMinutes: integerKey({
        description: "Minutes a Rollout may stay paused before ReleaseRolloutPausedTooLong fires.",
        default: 60,
        min: 5,
        max: 1440,
    }),
    previewRetentionMinutes: integerKey({
        description:
            "Minutes a preview, canary or old second stack may run beside the stable one before ReleasePreviewStackRetained fires.",
        default: 150,
        min: 5,
        max: 10080,
    }),
    runbookBaseUrl: optionalStringKey({
        description:
            "http(s) URL of this repository's docs/runbooks folder as the Git host renders it; each alert links to its page there, <runbookBaseUrl>/<alert name in lower case>.md. Empty: docs/runbooks.",
        format: "httpUrl",
        example: "https://git.example.com/org/zdp/blob/main/docs/runbooks",
    }),
    // Who shipped a release, set by the deploy workflow for the run (not committed): explicit keys rather than CI's
    // environment variables, so the program stays a function of its stack configuration, and a preview without them
    // (pull requests, laptops) shows no diff: BlueGreenService keeps the annotations the last deploy recorded.
    releaseCommit: optionalStringKey({
        description:
            "Commit being deployed, recorded on every Rollout (platform.zdp.dev/release-commit). Set by the deploy workflow. Empty: keep the last recorded.",
    }),
    releasePipelineRun: optionalStringKey({
        description:
            "URL of the pipeline run deploying, recorded on every Rollout (platform.zdp.dev/release-pipeline-run). Set by the deploy workflow. Empty: keep the last recorded.",
        format: "httpUrl",
        example: "https://git.example.com/org/zdp/actions/runs/1234",
    }),
    releaseActor: optionalStringKey({
        description:
            "Who triggered the deploy, recorded on every Rollout (platform.zdp.dev/release-actor). Set by the deploy workflow. Empty: keep the last recorded.",
    }),
};

/** Every key of the stack configuration: the settings, then the services. */
export const CONFIG_KEYS = {
    ...SETTING_KEYS,
    // No default: an empty or mistyped stack must not deploy "no services" (on a real stack that deletes them all).
    services: objectListKey({
        description:
            "The services released with BlueGreenService, one object each: its arguments (docs/reference/components.md), with secretEnv naming secret config keys. Required: [] for none.",
        readBy: "loadServices (components/serviceConfig.ts)",
    }),
};
