/**
 * ArgoRollouts under the mock runtime: the chart and its values, HA, notifications whose webhook URL stays secret,
 * argument validation and what staging and prod configure.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    ArgoRollouts,
    ArgoRolloutsArgs,
    NOTIFICATION_SERVICE,
    NOTIFIED_TRIGGERS,
    notificationConfig,
    notificationSubscriptions,
} from "../../components/argoRollouts";
import { CHARTS } from "../../components/lib/charts";
import { ADDON_IMAGES, imageValues } from "../../components/lib/images";
import { MockSession, outputDetails, SECRET_PLACEHOLDER, valueOf } from "../../tools/mockRuntime";
import {
    assertArgError,
    CHART,
    childrenOf,
    K8S,
    mockSession,
    plaintextOccurrences,
    stackSettings,
} from "../helpers/components";

const WEBHOOK = "https://hooks.example.test/services/T0000/B0000/argo-rollouts-test-secret";

describe("ArgoRollouts", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: ArgoRolloutsArgs, name = "rollouts"): Promise<ArgoRollouts> {
        const rollouts = new ArgoRollouts(name, args);
        await session.settle();
        return rollouts;
    }

    describe("defaults", () => {
        it("creates the namespace and the pinned argo-rollouts chart, parented to zdp:index:ArgoRollouts", async () => {
            const rollouts = await build();
            const component = session.get("zdp:index:ArgoRollouts", "rollouts");
            assert.deepEqual(
                childrenOf(session.resources, component.urn)
                    .map((r) => `${r.type}::${r.name}`)
                    .sort(),
                [`${CHART}::rollouts-chart`, `${K8S.Namespace}::rollouts-ns`].sort(),
            );
            assert.deepEqual(session.get(K8S.Namespace, "rollouts-ns").inputs.metadata, { name: "argo-rollouts" });
            const chart = session.get(CHART, "rollouts-chart").inputs;
            assert.equal(chart.chart, CHARTS.argoRollouts.chart);
            assert.equal(chart.version, CHARTS.argoRollouts.version);
            assert.deepEqual(chart.repositoryOpts, { repo: CHARTS.argoRollouts.repo });
            assert.equal(chart.namespace, "argo-rollouts");
            assert.equal(await valueOf(rollouts.namespace), "argo-rollouts");
        });

        it("installs and keeps the CRDs, one controller with metrics, no PDB, no ServiceMonitor, no dashboard", async () => {
            await build();
            const values = session.get(CHART, "rollouts-chart").inputs.values;
            assert.equal(values.installCRDs, true);
            assert.equal(values.keepCRDs, true, "uninstalling the chart must not delete every Rollout");
            assert.deepEqual(values.controller, {
                image: (imageValues(ADDON_IMAGES.argoRollouts) as any).controller.image,
                replicas: 1,
                metrics: { enabled: true, serviceMonitor: { enabled: false } },
                pdb: { enabled: false, minAvailable: 1 },
            });
            assert.equal(values.createClusterAggregateRoles, false, "no create rollouts for every namespace editor");
            assert.deepEqual(values.dashboard, { enabled: false });
            assert.deepEqual(values.notifications, { configmap: { create: false }, secret: { create: false } });
        });

        it("creates no notification Secret or ConfigMap without a webhook URL", async () => {
            const rollouts = await build();
            assert.deepEqual(session.find(K8S.Secret), []);
            assert.deepEqual(session.find(K8S.ConfigMap), []);
            assert.deepEqual(session.get(CHART, "rollouts-chart").dependsOn, []);
            assert.equal(await valueOf(rollouts.notificationsEnabled), false);
        });
    });

    describe("arguments", () => {
        it("runs an HA controller with a PDB above one replica", async () => {
            await build({ controllerReplicas: 3 });
            const controller = session.get(CHART, "rollouts-chart").inputs.values.controller;
            assert.equal(controller.replicas, 3);
            assert.deepEqual(controller.pdb, { enabled: true, minAvailable: 1 });
        });

        it("turns the controller's ServiceMonitor on when asked", async () => {
            await build({ serviceMonitor: true });
            const metrics = session.get(CHART, "rollouts-chart").inputs.values.controller.metrics;
            assert.deepEqual(metrics, { enabled: true, serviceMonitor: { enabled: true } });
        });

        it("uses the given namespace and chart version", async () => {
            await build({ namespace: "rollouts-system", version: "2.40.1" });
            const chart = session.get(CHART, "rollouts-chart").inputs;
            assert.equal(chart.namespace, "rollouts-system");
            assert.equal(chart.version, "2.40.1");
        });
    });

    describe("notifications", () => {
        it("keeps a secret webhook URL secret: only in a Secret, marked secret, never in plain text", async () => {
            const rollouts = await build({ notificationWebhookUrl: pulumi.secret(WEBHOOK) });
            const secret = session.get(K8S.Secret, "rollouts-notification-secret");
            assert.deepEqual(secret.secretInputs, ["stringData"]);
            assert.deepEqual(secret.inputs.metadata, {
                name: "argo-rollouts-notification-secret",
                namespace: "argo-rollouts",
            });
            assert.deepEqual(secret.inputs.stringData, { "webhook-url": SECRET_PLACEHOLDER });
            assert.deepEqual(plaintextOccurrences(session.resources, WEBHOOK), []);
            assert.ok(
                session.get("zdp:index:ArgoRollouts", "rollouts").secretInputs.includes("notificationWebhookUrl"),
            );
            const enabled = await outputDetails(rollouts.notificationsEnabled);
            assert.deepEqual(enabled, { value: true, isKnown: true, isSecret: false });
        });

        it("never records a plain-string URL in plain text in any child resource", async () => {
            await build({ notificationWebhookUrl: WEBHOOK });
            assert.deepEqual(session.get(K8S.Secret, "rollouts-notification-secret").secretInputs, ["stringData"]);
            const component = session.get("zdp:index:ArgoRollouts", "rollouts").urn;
            const children = session.resources.filter((r) => r.urn !== component);
            assert.deepEqual(plaintextOccurrences(children, WEBHOOK), []);
        });

        it("configures the webhook service, template and every platform trigger, referencing the Secret by key", async () => {
            await build({ notificationWebhookUrl: pulumi.secret(WEBHOOK) });
            const cm = session.get(K8S.ConfigMap, "rollouts-notification-config").inputs;
            assert.deepEqual(cm.metadata, { name: "argo-rollouts-notification-configmap", namespace: "argo-rollouts" });
            assert.deepEqual(cm.data, notificationConfig());
            const service = parse(cm.data[`service.webhook.${NOTIFICATION_SERVICE}`]);
            assert.equal(service.url, "$webhook-url", "the URL comes from the Secret's webhook-url key");
            const template = parse(cm.data["template.platform-release-event"]);
            assert.equal(template.webhook[NOTIFICATION_SERVICE].method, "POST");
            assert.ok(JSON.parse(template.webhook[NOTIFICATION_SERVICE].body.replace(/\{\{[^}]*\}\}/g, "x")).text);
            for (const trigger of NOTIFIED_TRIGGERS) {
                assert.deepEqual(parse(cm.data[`trigger.${trigger}`]), [{ send: ["platform-release-event"] }], trigger);
            }
        });

        it("installs the chart after the notification Secret and ConfigMap", async () => {
            await build({ notificationWebhookUrl: pulumi.secret(WEBHOOK) });
            const deps = session.get(CHART, "rollouts-chart").dependsOn;
            assert.ok(deps.includes(session.get(K8S.Secret, "rollouts-notification-secret").urn));
            assert.ok(deps.includes(session.get(K8S.ConfigMap, "rollouts-notification-config").urn));
        });

        it("subscribes a Rollout to every notified trigger of the platform service", () => {
            const subs = notificationSubscriptions();
            assert.deepEqual(
                Object.keys(subs).sort(),
                NOTIFIED_TRIGGERS.map((t) => `notifications.argoproj.io/subscribe.${t}.${NOTIFICATION_SERVICE}`).sort(),
            );
            assert.ok(Object.values(subs).every((v) => v === ""));
        });
    });

    describe("validation", () => {
        const cases: [string, ArgoRolloutsArgs, string[]][] = [
            ["a version range", { version: "~2.41.0" }, ["version"]],
            ["an invalid namespace", { namespace: "argo_rollouts" }, ["namespace"]],
            ["zero controller replicas", { controllerReplicas: 0 }, ["controllerReplicas"]],
            ["too many controller replicas", { controllerReplicas: 6 }, ["controllerReplicas"]],
            ["fractional controller replicas", { controllerReplicas: 1.5 }, ["controllerReplicas"]],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                assertArgError(() => new ArgoRollouts("bad", args), "ArgoRollouts", "bad", fields);
            });
        }

        it("reports every problem at once", () => {
            const message = assertArgError(
                () => new ArgoRollouts("bad", { version: "latest", namespace: "", controllerReplicas: 9 }),
                "ArgoRollouts",
                "bad",
                ["version", "namespace", "controllerReplicas"],
            );
            assert.equal(message.split("\n").length, 4);
        });
    });

    describe("staging vs prod, through the stacks' configuration", () => {
        /** Builds the component with the arguments index.ts passes for `stack`. */
        async function buildForStack(stack: string, setSecret?: Record<string, string>) {
            const { settings, config, secretKeys } = stackSettings(stack, { setSecret });
            session = await mockSession({ config, secretKeys });
            await build(
                {
                    controllerReplicas: settings.rolloutsControllerReplicas,
                    serviceMonitor: settings.serviceMonitors,
                    notificationWebhookUrl: settings.alertWebhookUrl,
                },
                stack,
            );
            return { settings, values: session.get(CHART, `${stack}-chart`).inputs.values };
        }

        it("staging runs one controller without a ServiceMonitor; prod an HA controller with one", async () => {
            const staging = await buildForStack("staging");
            const prod = await buildForStack("prod");
            assert.equal(staging.values.controller.replicas, 1);
            assert.equal(staging.values.controller.pdb.enabled, false);
            assert.equal(staging.values.controller.metrics.serviceMonitor.enabled, false);
            assert.ok(prod.values.controller.replicas >= 2, "prod's controller is HA");
            assert.equal(prod.values.controller.replicas, prod.settings.rolloutsControllerReplicas);
            assert.equal(prod.values.controller.pdb.enabled, true);
            assert.equal(prod.values.controller.metrics.serviceMonitor.enabled, true);
        });

        it("the configured alertWebhookUrl arrives as a secret Output and stays secret", async () => {
            const { settings } = await buildForStack("prod", { alertWebhookUrl: WEBHOOK });
            const url = await outputDetails(settings.alertWebhookUrl!);
            assert.equal(url.isSecret, true);
            assert.equal(url.value, WEBHOOK);
            assert.deepEqual(session.get(K8S.Secret, "prod-notification-secret").secretInputs, ["stringData"]);
            assert.deepEqual(plaintextOccurrences(session.resources, WEBHOOK), []);
        });
    });
});
