/**
 * The platform program: one stack per environment (`Pulumi.staging.yaml`, `Pulumi.prod.yaml`).
 *
 * Order on a real cluster: Istio base (CRDs) → istiod → gateway; the Argo Rollouts chart (CRDs + controller) before
 * any Rollout; service namespaces exist (and are labelled for injection) before anything is created in them.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ArgoRollouts } from "./components/argoRollouts";
import { BlueGreenService } from "./components/blueGreenService";
import { releaseNames } from "./components/blueGreenService/names";
import { releaseResources } from "./components/blueGreenService/resources";
import { releaseSettings } from "./components/blueGreenService/settings";
import { Falco } from "./components/falco";
import { IstioMesh } from "./components/istioMesh";
import { optionalReleaseKinds, PipelineIdentities } from "./components/pipelineIdentities";
import type { TimingBudget } from "./components/lib/releaseTiming";
import type { PlatformConfig } from "./components/platformConfig";
import { monitoringLabelsFromConfig, ReleaseObservability } from "./components/releaseObservability";
import { loadProgramConfig, serviceResourceName } from "./components/serviceConfig";
import { TrivyOperator } from "./components/trivyOperator";

// Every key of the stack at once: the platform settings, the services, and no key of this project the program does
// not read (a typo would otherwise leave its setting at the default). One error lists every problem.
const { settings, services } = loadProgramConfig(new pulumi.Config());
// The namespaces the services live in, in first-seen order: the mesh creates them, the pipeline identities get Roles there.
const serviceNamespaces = [...new Set(services.map((s) => s.namespace))];

/**
 * Release timing limits per environment; a service whose configuration exceeds them is rejected before anything is
 * deployed (docs/releases.md).
 */
const RELEASE_BUDGETS: Record<PlatformConfig["environment"], TimingBudget> = {
    // Staging promotes itself: fully promoted within 2 minutes of the pods being ready, a bad release back on the old
    // version within 15 s, at most 5% of traffic on a canary before its first gate.
    staging: { maxHealthyPromotionSeconds: 120, maxRollbackSeconds: 15, maxExposurePercent: 5 },
    // Prod waits for a person or the pipeline to promote, so only the rollback and exposure limits apply.
    prod: { maxRollbackSeconds: 30, maxExposurePercent: 5 },
};

const cluster = new k8s.Provider("cluster", {
    context: settings.kubeContext,
    // Server-side apply lets the Argo Rollouts controller own the fields it changes at run time.
    enableServerSideApply: true,
    // Set: the provider writes every object to this folder as YAML and contacts no cluster (`npm run render:real`).
    renderYamlToDirectory: settings.renderYamlToDirectory,
});
const providers = { kubernetes: cluster };

/**
 * How an add-on is provided (docs/architecture.md, "Platform add-ons"): installed from its chart (upstream or the stack's mirror)
 * with its images from the stack's image mirror, or existing (installed another way).
 */
function addonSource(addon: "istio" | "argoRollouts" | "trivyOperator" | "falco") {
    return {
        existing: settings[addon] === "existing",
        chartRepository: settings[`${addon}ChartRepository`],
        imageRegistry: settings.addonImageRegistry,
    };
}

const mesh = new IstioMesh(
    "mesh",
    {
        istiodReplicas: settings.istiodReplicas,
        gatewayReplicas: settings.gatewayReplicas,
        hosts: settings.ingressHosts,
        injectedNamespaces: serviceNamespaces,
        ...addonSource("istio"),
    },
    { providers },
);

const rollouts = new ArgoRollouts(
    "rollouts",
    {
        controllerReplicas: settings.rolloutsControllerReplicas,
        // ReleaseObservability scrapes the controller itself when release monitoring is on (its rules rely on that
        // scrape's job label); the chart's own ServiceMonitor would scrape it a second time.
        serviceMonitor: settings.serviceMonitors && !settings.releaseMonitoring,
        notificationWebhookUrl: settings.alertWebhookUrl,
        ...addonSource("argoRollouts"),
    },
    { providers },
);

const trivy = new TrivyOperator(
    "trivy",
    {
        severities: settings.scanSeverities,
        scanConcurrency: settings.scanConcurrency,
        excludedNamespaces: settings.scanExcludedNamespaces,
        // Scraped with release monitoring: the vulnerability alert lives in the release rules (docs/runbooks/, runbook
        // RunningImageVulnerableFor30Days). The same selector labels and namespace as the release monitors.
        serviceMonitor: settings.releaseMonitoring,
        monitoringNamespace: settings.monitoringNamespace,
        monitoringLabels: monitoringLabelsFromConfig(settings.monitoringLabels),
        ...addonSource("trivyOperator"),
    },
    { providers },
);

const falco = new Falco(
    "falco",
    {
        serviceNamespaces,
        minimumPriority: settings.falcoMinimumPriority,
        // An existing Falco forwards its own alerts (docs/architecture.md, "Platform add-ons").
        alertWebhookUrl: settings.falco === "existing" ? undefined : settings.alertWebhookUrl,
        // The smoke tests run /bin/sh in the service namespace on every blue/green release: exempt exactly those pods
        // (namespace, release-check label and image) from the shell rule.
        releaseChecks: services.flatMap((s) => {
            const image = releaseSettings(s.name, s.args).smokeTest?.image;
            return image === undefined ? [] : [{ namespace: s.namespace, service: s.name, image }];
        }),
        ...addonSource("falco"),
    },
    { providers },
);

const pipeline = new PipelineIdentities(
    "pipeline",
    {
        namespace: settings.pipelineNamespace,
        serviceNamespaces,
        // The deployer manages the `<service>-env` Secret of each service with secretEnv, by name, and no other.
        releaseSecrets: services
            .filter((s) => Object.keys(s.args.secretEnv ?? {}).length > 0)
            .map((s) => `${s.namespace}/${releaseNames(s.name).secret}`),
        // Kinds only some releases create (a public preview's policies, migration Jobs): only where one does.
        releaseKinds: services.flatMap((s) =>
            optionalReleaseKinds(
                s.namespace,
                releaseResources(serviceResourceName(s), releaseSettings(s.name, s.args)).map((r) => r.type),
            ),
        ),
    },
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

// One zero-downtime release per configured service. Rollouts, AnalysisTemplates and Istio objects need the CRDs of the
// mesh and the Rollouts chart, and everything goes into a namespace the mesh creates.
const releases = services.map(
    (svc) =>
        new BlueGreenService(
            serviceResourceName(svc),
            {
                ...svc.args,
                // Staging promotes once the gates pass; prod waits for a person or the pipeline after the gates.
                blueGreen:
                    svc.args.strategy === "canary"
                        ? undefined
                        : { autoPromotion: settings.environment === "staging", ...svc.args.blueGreen },
                traffic: { ...svc.args.traffic, gateway: mesh.gatewayRef },
                network: {
                    gatewayNamespace: mesh.gatewayNamespace,
                    controllerNamespace: rollouts.namespace,
                    meshNamespace: mesh.namespace,
                },
                budget: RELEASE_BUDGETS[settings.environment],
                // Set by the deploy workflow; unset (previews) keeps what the last deploy recorded.
                release: {
                    commit: settings.releaseCommit,
                    pipelineRun: settings.releasePipelineRun,
                    actor: settings.releaseActor,
                },
            },
            { providers, dependsOn: [mesh, rollouts] },
        ),
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
/** Per service (`namespace/name`): healthy promotion time, worst-case rollback, exposure, retention of the old version. */
export const releaseTiming = pulumi.output(
    Object.fromEntries(releases.map((r, i) => [`${services[i].namespace}/${services[i].name}`, r.timing])),
);
