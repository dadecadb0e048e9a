/**
 * The platform program: one stack per environment (`Pulumi.staging.yaml`, `Pulumi.prod.yaml`).
 *
 * Order on a real cluster: Istio base (CRDs) → istiod → gateway; the Argo Rollouts chart (CRDs + controller) before
 * any Rollout; service namespaces exist (and are labelled for injection) before anything is created in them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgoRollouts } from "./components/argoRollouts";
import { Falco } from "./components/falco";
import { IstioMesh } from "./components/istioMesh";
import { PipelineIdentities } from "./components/pipelineIdentities";
import { loadPlatformConfig } from "./components/platformConfig";
import { monitoringLabelsFromConfig, ReleaseObservability } from "./components/releaseObservability";
import { loadServiceNamespaces } from "./components/serviceConfig";
import { TrivyOperator } from "./components/trivyOperator";

const config = new pulumi.Config();
const settings = loadPlatformConfig(config);
const serviceNamespaces = loadServiceNamespaces(config);

const cluster = new k8s.Provider("cluster", {
    context: settings.kubeContext,
    // Server-side apply lets the Argo Rollouts controller own the fields it changes at run time.
    enableServerSideApply: true,
});
const providers = { kubernetes: cluster };

const mesh = new IstioMesh(
    "mesh",
    {
        istiodReplicas: settings.istiodReplicas,
        gatewayReplicas: settings.gatewayReplicas,
        hosts: settings.ingressHosts,
        injectedNamespaces: serviceNamespaces,
    },
    { providers },
);

const rollouts = new ArgoRollouts(
    "rollouts",
    {
        controllerReplicas: settings.rolloutsControllerReplicas,
        serviceMonitor: settings.serviceMonitors,
        notificationWebhookUrl: settings.alertWebhookUrl,
    },
    { providers },
);

const trivy = new TrivyOperator(
    "trivy",
    {
        severities: settings.scanSeverities,
        scanConcurrency: settings.scanConcurrency,
        excludedNamespaces: settings.scanExcludedNamespaces,
    },
    { providers },
);

const falco = new Falco(
    "falco",
    {
        serviceNamespaces,
        minimumPriority: settings.falcoMinimumPriority,
        alertWebhookUrl: settings.alertWebhookUrl,
    },
    { providers },
);

const pipeline = new PipelineIdentities(
    "pipeline",
    { namespace: settings.pipelineNamespace, serviceNamespaces },
    // Roles go into the service namespaces, which the mesh creates.
    { providers, dependsOn: [mesh] },
);

// Release metrics, alerts, delivery figures and the Grafana dashboard. After the Rollouts chart: the ServiceMonitor
// selects the controller's metrics Service and the rules read the controller's metrics.
const observability = new ReleaseObservability(
    "observability",
    {
        controllerNamespace: rollouts.namespace,
        namespace: settings.monitoringNamespace,
        serviceNamespaces,
        prometheusOperator: settings.releaseMonitoring,
        prometheusSelectorLabels: monitoringLabelsFromConfig(settings.monitoringLabels),
        pagingSeverity: settings.releaseAlertSeverity,
        maxPauseMinutes: settings.releaseMaxPauseMinutes,
        previewRetentionMinutes: settings.previewRetentionMinutes,
        runbookBaseUrl: settings.runbookBaseUrl,
        environment: settings.environment,
    },
    { providers, dependsOn: [rollouts] },
);

export const environment = settings.environment;
export const gateway = mesh.gatewayRef;
export const namespaces = mesh.injectedNamespaces;
export const rolloutsNamespace = rollouts.namespace;
export const notificationsEnabled = rollouts.notificationsEnabled;
export const scanSeverity = trivy.severity;
export const falcoRules = falco.platformRules;
export const pipelineServiceAccounts = pipeline.serviceAccounts;
export const releaseAlerts = observability.alertNames;
export const releaseDashboardUid = observability.dashboardUid;
