import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, CHARTS, checkChartRepository } from "./lib/charts";
import { ADDON_IMAGES, checkImageRegistry, deepMerge, imageValues } from "./lib/images";
import { checkChartVersion, checkDnsLabel, checkInteger, collectErrors, formatArgErrors } from "./lib/validation";

/** The Argo Rollouts events the platform notifies about (the controller's built-in trigger names). */
export const NOTIFIED_TRIGGERS = [
    "on-rollout-updated",
    "on-rollout-paused",
    "on-rollout-completed",
    "on-rollout-aborted",
    "on-analysis-run-failed",
    "on-analysis-run-error",
] as const;

/**
 * Annotations BlueGreenService puts on each Rollout naming the deploy that last applied it; the release notification
 * repeats them, so the channel holds who shipped what.
 */
export const RELEASE_ANNOTATIONS = {
    commit: "platform.zdp.dev/release-commit",
    pipelineRun: "platform.zdp.dev/release-pipeline-run",
    actor: "platform.zdp.dev/release-actor",
} as const;

/** Name of the notification service the platform registers; Rollouts subscribe to it by annotation. */
export const NOTIFICATION_SERVICE = "platform";

/**
 * Annotations that subscribe a Rollout to the platform's notifications for every trigger in {@link NOTIFIED_TRIGGERS}.
 */
export function notificationSubscriptions(): Record<string, string> {
    return Object.fromEntries(
        NOTIFIED_TRIGGERS.map((t) => [`notifications.argoproj.io/subscribe.${t}.${NOTIFICATION_SERVICE}`, ""]),
    );
}

export interface ArgoRolloutsArgs {
    /** argo-rollouts chart version. Defaults to the version pinned in `lib/charts.ts`. */
    readonly version?: string;
    /** Namespace of the controller. Defaults to "argo-rollouts". */
    readonly namespace?: string;
    /** Controller replicas; 2 or more runs leader election across replicas (HA). Defaults to 1. */
    readonly controllerReplicas?: number;
    /** Create a prometheus-operator ServiceMonitor for the controller's metrics. Defaults to false. */
    readonly serviceMonitor?: boolean;
    /**
     * Where release notifications go: an incoming-webhook URL (Slack's or any HTTP endpoint that accepts a JSON body
     * with a `text` field). Pass a Pulumi secret. Defaults to no notifications.
     */
    readonly notificationWebhookUrl?: pulumi.Input<string>;
    /**
     * Argo Rollouts is already installed another way (GitOps, another stack): install no chart and create no
     * namespace; only the notification ConfigMap and Secret go into the controller's namespace, so that install must
     * not manage `argo-rollouts-notification-configmap` and `argo-rollouts-notification-secret`. Defaults to false
     * (install).
     */
    readonly existing?: boolean;
    /**
     * Repository of the argo-rollouts chart: an organisation's mirror as `oci://host/path` or an HTTP(S) chart
     * repository. Defaults to the argo-helm repository (`lib/charts.ts`).
     */
    readonly chartRepository?: string;
    /**
     * Registry (host and optional path) that mirrors the controller's image, pinned by the digest in
     * `lib/images.ts`. Defaults to the upstream registry, still pinned by digest.
     */
    readonly imageRegistry?: string;
}

/**
 * Argo Rollouts controller (with its CRDs) from the argo-helm chart, metrics on, and release notifications sent to a
 * webhook whose URL stays a Kubernetes Secret. With `existing`, only the notifications, for a controller installed
 * another way.
 */
export class ArgoRollouts extends pulumi.ComponentResource {
    /** Namespace of the controller. */
    public readonly namespace: pulumi.Output<string>;
    /** Whether notifications are configured. */
    public readonly notificationsEnabled: pulumi.Output<boolean>;

    constructor(name: string, args: ArgoRolloutsArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super(
            "zdp:index:ArgoRollouts",
            name,
            // The engine stores a component's inputs in the state: keep the URL a secret there too, however the
            // caller passed it (a plain string from another language, say).
            args.notificationWebhookUrl === undefined
                ? args
                : { ...args, notificationWebhookUrl: pulumi.secret(args.notificationWebhookUrl) },
            opts,
        );

        const version = args.version ?? CHARTS.argoRollouts.version;
        const namespace = args.namespace ?? "argo-rollouts";
        const replicas = args.controllerReplicas ?? 1;
        const errors = collectErrors(
            checkChartVersion("version", version),
            checkDnsLabel("namespace", namespace),
            checkInteger("controllerReplicas", replicas, 1, 5),
            args.chartRepository === undefined
                ? undefined
                : checkChartRepository("chartRepository", args.chartRepository),
            args.imageRegistry === undefined ? undefined : checkImageRegistry("imageRegistry", args.imageRegistry),
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("ArgoRollouts", name, errors), this);

        const notify = args.notificationWebhookUrl !== undefined;
        const existing = args.existing ?? false;
        // An existing controller's namespace exists already and belongs to whoever installed it.
        const nsName = existing
            ? pulumi.output(namespace)
            : new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace } }, { parent: this }).metadata
                  .name;

        const notificationResources: pulumi.Resource[] = [];
        if (notify) {
            // The URL is a credential (Slack webhook URLs are): it lives only in this Secret, which the notification
            // config references as $webhook-url.
            notificationResources.push(
                new k8s.core.v1.Secret(
                    `${name}-notification-secret`,
                    {
                        metadata: { name: "argo-rollouts-notification-secret", namespace: nsName },
                        type: "Opaque",
                        stringData: { "webhook-url": pulumi.secret(args.notificationWebhookUrl!) },
                    },
                    { parent: this },
                ),
                new k8s.core.v1.ConfigMap(
                    `${name}-notification-config`,
                    {
                        metadata: { name: "argo-rollouts-notification-configmap", namespace: nsName },
                        data: notificationConfig(),
                    },
                    { parent: this },
                ),
            );
        }

        if (!existing) {
            new k8s.helm.v4.Chart(
                `${name}-chart`,
                {
                    ...chartSource(CHARTS.argoRollouts, args.chartRepository),
                    version,
                    namespace: nsName,
                    values: deepMerge(imageValues(ADDON_IMAGES.argoRollouts, args.imageRegistry), {
                        installCRDs: true,
                        // Keep the CRDs (and so every Rollout) if the chart is ever uninstalled.
                        keepCRDs: true,
                        // No aggregate-to-admin/edit/view ClusterRoles: they would hand every namespace admin and
                        // editor `create rollouts`; the pipeline deployer's own Role grants it where needed.
                        createClusterAggregateRoles: false,
                        controller: {
                            replicas,
                            metrics: { enabled: true, serviceMonitor: { enabled: args.serviceMonitor ?? false } },
                            pdb: { enabled: replicas > 1, minAvailable: 1 },
                        },
                        // The platform owns the notification ConfigMap and Secret above.
                        notifications: { configmap: { create: false }, secret: { create: false } },
                        dashboard: { enabled: false },
                    }),
                },
                { parent: this, dependsOn: notificationResources },
            );
        }

        this.namespace = nsName;
        this.notificationsEnabled = pulumi.output(notify);
        this.registerOutputs({ namespace: this.namespace, notificationsEnabled: this.notificationsEnabled });
    }
}

/** A Go template reading one annotation of the Rollout (empty when it is missing). */
function annotation(key: string): string {
    return `{{index .rollout.metadata.annotations "${key}"}}`;
}

/** The notification ConfigMap's data: one webhook service, one template, the platform's triggers pointed at it. */
export function notificationConfig(): Record<string, string> {
    const data: Record<string, string> = {
        [`service.webhook.${NOTIFICATION_SERVICE}`]: [
            "url: $webhook-url",
            "headers:",
            "  - name: Content-Type",
            "    value: application/json",
            "",
        ].join("\n"),
        "template.platform-release-event": [
            "webhook:",
            `  ${NOTIFICATION_SERVICE}:`,
            "    method: POST",
            "    body: |",
            // Who shipped it, from the Rollout's provenance annotations (empty when no deploy recorded them).
            '      {"text": "Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}}: {{.rollout.status.phase}} {{.rollout.status.message}}' +
                ` (commit ${annotation(RELEASE_ANNOTATIONS.commit)}, run ${annotation(RELEASE_ANNOTATIONS.pipelineRun)},` +
                ` by ${annotation(RELEASE_ANNOTATIONS.actor)})"}`,
            "",
        ].join("\n"),
    };
    for (const trigger of NOTIFIED_TRIGGERS) {
        data[`trigger.${trigger}`] = "- send: [platform-release-event]\n";
    }
    return data;
}
