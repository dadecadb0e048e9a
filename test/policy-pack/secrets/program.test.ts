/**
 * Every secret the platform needs stays a Pulumi secret from configuration to the cluster, and reaches Kubernetes
 * only as a Secret object referenced by name:
 *
 * - under the mock runtime: `isSecret` of what the config loader returns, the recorded `secretInputs` of every
 *   resource the components create (only Secrets may hold a secret), and the planted value nowhere in any input;
 * - through the offline render of the whole program (both stacks): every output file is searched for the planted
 *   values (alert webhook, a service's secret env), the Secrets show "[secret]", and the policy pack's
 *   no-plaintext-credentials passes the rendered objects and charts.
 *
 * Planted values are fake credentials assembled at run time (test/policy-pack/secrets/fakeCredentials.ts).
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { ArgoRollouts } from "../../../components/argoRollouts";
import { BlueGreenService } from "../../../components/blueGreenService";
import { Falco } from "../../../components/falco";
import { loadPlatformConfig } from "../../../components/platformConfig";
import { PolicyEngine } from "../../../policy-pack/lib/engine";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";
import { CHART_TYPES } from "../../../policy-pack/policies/secrets";
import { mockSession } from "../../helpers/components";
import {
    REPO_ROOT,
    RenderedStack,
    listFiles,
    renderedStack,
    runRenderCli,
    stackNames,
} from "../../helpers/renderedStack";
import { RecordedResource, outputDetails } from "../../../tools/mockRuntime";
import { postgresUrl, slackWebhookUrl } from "./fakeCredentials";

const SECRET_TYPE = "kubernetes:core/v1:Secret";

/**
 * Resources that reach Kubernetes (objects and Helm charts), other than Secrets, that were handed a secret: each is
 * a way for a secret out of a Secret. (Components may hold secrets in their inputs: the engine keeps those
 * encrypted in the state, and they reach the cluster only through the components' children.)
 */
export function secretsOutsideSecrets(resources: readonly RecordedResource[]): string[] {
    return resources
        .filter((r) => r.type.startsWith("kubernetes:") && r.type !== SECRET_TYPE && r.secretInputs.length > 0)
        .map((r) => `${r.type}::${r.name} (${r.secretInputs.join(", ")})`);
}

/** Resources whose recorded inputs show `value` in plain text. */
function plaintextIn(resources: readonly RecordedResource[], value: string): string[] {
    return resources.filter((r) => JSON.stringify(r.inputs).includes(value)).map((r) => `${r.type}::${r.name}`);
}

/** A digest-pinned image reference (the digest computed, not written out). */
const image = (name: string) =>
    `registry.example.com/shop/${name}@sha256:${createHash("sha256").update(name).digest("hex")}`;

describe("secrets: the program keeps secrets secret", function () {
    this.timeout(120_000);

    describe("under the mock runtime", () => {
        it("alertWebhookUrl is read as a Pulumi secret, and refused (never shown) when stored in plain text", async () => {
            const webhook = slackWebhookUrl();
            const config = { "zdp:environment": "staging", "zdp:alertWebhookUrl": webhook };
            await mockSession({ config, secretKeys: ["zdp:alertWebhookUrl"] });
            const details = await outputDetails(loadPlatformConfig(new pulumi.Config("zdp")).alertWebhookUrl!);
            assert.equal(details.isSecret, true);
            assert.equal(details.value, webhook);
            await mockSession({ config });
            assert.throws(
                () => loadPlatformConfig(new pulumi.Config("zdp")),
                (e: Error) =>
                    /zdp:alertWebhookUrl is stored in plain text/.test(e.message) && !e.message.includes(webhook),
            );
        });

        for (const [component, build] of [
            [
                "ArgoRollouts",
                (url: pulumi.Input<string>) => new ArgoRollouts("rollouts", { notificationWebhookUrl: url }),
            ],
            [
                "Falco",
                (url: pulumi.Input<string>) =>
                    new Falco("falco", { alertWebhookUrl: url, serviceNamespaces: ["shop"] }),
            ],
        ] as const) {
            for (const given of ["a Pulumi secret", "a plain string"] as const) {
                it(`${component} puts the webhook URL (given as ${given}) only into a Secret, as a secret`, async () => {
                    const session = await mockSession();
                    const webhook = slackWebhookUrl();
                    build(given === "a Pulumi secret" ? pulumi.secret(webhook) : webhook);
                    await session.settle();
                    const secrets = session.resources.filter((r) => r.type === SECRET_TYPE);
                    assert.equal(secrets.length, 1);
                    assert.deepEqual(secrets[0].secretInputs, ["stringData"]);
                    assert.deepEqual(secretsOutsideSecrets(session.resources), []);
                    assert.deepEqual(plaintextIn(session.resources, webhook), []);
                });
            }
        }

        /** A BlueGreenService with `secretEnv`, as the program builds one from a service's config. */
        async function blueGreen(secretEnv: Record<string, pulumi.Input<string>>) {
            const session = await mockSession();
            new BlueGreenService("checkout", {
                namespace: "shop",
                image: image("checkout"),
                env: { LOG_LEVEL: "info" },
                secretEnv,
                analysis: { smokeTest: { image: image("smoke"), paths: ["/healthz"] } },
            });
            await session.settle();
            return session;
        }

        it("BlueGreenService puts secretEnv into a Secret referenced by secretKeyRef, never into the pod spec", async () => {
            const dsn = postgresUrl();
            const session = await blueGreen({ DATABASE_URL: pulumi.secret(dsn) });
            const secrets = session.resources.filter((r) => r.type === SECRET_TYPE);
            assert.equal(secrets.length, 1);
            assert.deepEqual(secrets[0].secretInputs, ["stringData"]);
            assert.deepEqual(secretsOutsideSecrets(session.resources), []);
            assert.deepEqual(plaintextIn(session.resources, dsn), []);
            const rollout = session.resources.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:Rollout");
            assert.ok(rollout, "no Rollout recorded");
            const env: { name: string }[] = rollout.inputs.spec.template.spec.containers[0].env;
            assert.deepEqual(
                env.find((e) => e.name === "DATABASE_URL"),
                {
                    name: "DATABASE_URL",
                    valueFrom: { secretKeyRef: { name: secrets[0].inputs.metadata.name, key: "DATABASE_URL" } },
                },
            );
        });

        it("BlueGreenService keeps a secretEnv value given as a plain string out of every Kubernetes object", async () => {
            const dsn = postgresUrl();
            const session = await blueGreen({ DATABASE_URL: dsn });
            assert.deepEqual(session.resources.find((r) => r.type === SECRET_TYPE)?.secretInputs, ["stringData"]);
            assert.deepEqual(
                plaintextIn(
                    session.resources.filter((r) => r.type.startsWith("kubernetes:")),
                    dsn,
                ),
                [],
            );
        });

        // A component's own inputs are stored in the Pulumi state too: a library caller (another language) may pass a
        // plain string, which must not be stored unencrypted there.
        it("BlueGreenService keeps a plain-string secretEnv value out of its own (state-stored) inputs", async () => {
            const dsn = postgresUrl();
            const session = await blueGreen({ DATABASE_URL: dsn });
            assert.deepEqual(plaintextIn(session.resources, dsn), []);
        });

        it("the checks above can fail: a secret handed to a ConfigMap is caught by both", async () => {
            const session = await mockSession();
            const webhook = slackWebhookUrl();
            const k8s = await import("@pulumi/kubernetes");
            new k8s.core.v1.ConfigMap("leak", {
                metadata: { name: "leak", namespace: "shop" },
                data: { url: pulumi.secret(webhook) },
            });
            new k8s.core.v1.ConfigMap("leak-plain", {
                metadata: { name: "leak-plain", namespace: "shop" },
                data: { url: webhook },
            });
            await session.settle();
            assert.deepEqual(secretsOutsideSecrets(session.resources), ["kubernetes:core/v1:ConfigMap::leak (data)"]);
            assert.deepEqual(plaintextIn(session.resources, webhook), ["kubernetes:core/v1:ConfigMap::leak-plain"]);
        });
    });

    for (const stack of stackNames()) {
        describe(`offline render of stack ${stack}`, () => {
            const webhook = slackWebhookUrl();
            const dsn = postgresUrl();
            let rendered: RenderedStack;

            // A service of the stack gets a secret env var whose value is secret config, as a team would add one.
            const raw = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
            const services = structuredClone(raw.config["zdp:services"] ?? []) as Record<string, any>[];
            assert.ok(services.length > 0, `stack ${stack} has no services to add a secret to`);
            // Beside what the service already takes from encrypted config, so every stack key stays referenced.
            services[0].secretEnv = { ...(services[0].secretEnv ?? {}), TEST_DATABASE_URL: "secretsTestDatabaseUrl" };
            const args = [
                "--set",
                `services=${JSON.stringify(services)}`,
                "--set-secret",
                `secretsTestDatabaseUrl=${dsn}`,
                "--set-secret",
                `alertWebhookUrl=${webhook}`,
            ];

            before(async () => {
                rendered = await renderedStack(stack, args);
            });

            it("no output file holds a planted value", () => {
                const files = listFiles(rendered.dir);
                assert.ok(
                    files.includes("resources.json") && files.length > 10,
                    `too few files rendered: ${files.join(", ")}`,
                );
                for (const file of files) {
                    const text = fs.readFileSync(path.join(rendered.dir, file), "utf8");
                    for (const [what, value] of [
                        ["alert webhook", webhook],
                        ["secret env", dsn],
                    ]) {
                        assert.ok(!text.includes(value), `${file} holds the ${what}`);
                    }
                }
                assert.ok(
                    !(rendered.stdout + rendered.stderr).includes(webhook) &&
                        !(rendered.stdout + rendered.stderr).includes(dsn),
                    "the render printed a planted value",
                );
            });

            it("the Secrets show [secret] where the values go, and the workload references its Secret by name", () => {
                const secrets = rendered.manifests
                    .filter((m) => m.object.kind === "Secret")
                    .map((m) => m.object as KubeObject & { stringData: Record<string, string> });
                const byName = new Map(secrets.map((s) => [s.metadata!.name, s]));
                assert.equal(byName.get("argo-rollouts-notification-secret")?.stringData["webhook-url"], "[secret]");
                assert.equal(byName.get("falcosidekick-outputs")?.stringData.WEBHOOK_ADDRESS, "[secret]");
                const envSecret = secrets.find(
                    (s) =>
                        s.metadata?.namespace === services[0].namespace && "TEST_DATABASE_URL" in (s.stringData ?? {}),
                );
                assert.ok(envSecret, "no Secret holds the service's TEST_DATABASE_URL");
                assert.equal(envSecret.stringData.TEST_DATABASE_URL, "[secret]");
                const rollout = rendered.manifests.find(
                    (m) => m.object.kind === "Rollout" && m.object.metadata?.name === services[0].name,
                )?.object as any;
                const env = rollout.spec.template.spec.containers[0].env as any[];
                assert.deepEqual(
                    env.find((e) => e.name === "DATABASE_URL"),
                    {
                        name: "DATABASE_URL",
                        valueFrom: { secretKeyRef: { name: envSecret.metadata!.name, key: "DATABASE_URL" } },
                    },
                );
            });

            it("only Kubernetes Secrets were handed a secret (no chart value, ConfigMap or pod spec)", () => {
                assert.deepEqual(secretsOutsideSecrets(rendered.resourcesJson.resources), []);
                const holders = rendered.resourcesJson.resources.filter((r) => r.secretInputs.length > 0);
                assert.ok(
                    holders.length >= 3,
                    `expected the alert and env Secrets, got ${holders.map((r) => r.name).join(", ")}`,
                );
            });

            it("no-plaintext-credentials passes the rendered objects and charts", async () => {
                const charts = rendered.resourcesJson.resources
                    .filter((r) => CHART_TYPES.has(r.type))
                    .map((r) => ({
                        object: {
                            ...r.inputs,
                            apiVersion: r.type.split(":")[1],
                            kind: r.type.split(":")[2],
                            metadata: { name: r.name },
                        } as KubeObject,
                        file: "resources.json",
                    }));
                assert.ok(charts.length >= 4, "the charts were not found in resources.json");
                const objects = [...rendered.manifests.map((m) => ({ object: m.object, file: m.file })), ...charts];
                const config = JSON.parse(
                    fs.readFileSync(path.join(REPO_ROOT, "policy-pack", "config", `${stack}.json`), "utf8"),
                );
                const engine = new PolicyEngine({ config, only: ["no-plaintext-credentials"] });
                const violations = await engine.check(objects);
                assert.deepEqual(
                    violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.message),
                    [],
                );
            });
        });
    }

    it("a service's secret env var set as plain config is refused before anything is rendered", async () => {
        const raw = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8"));
        const services = structuredClone(raw.config["zdp:services"]) as Record<string, any>[];
        services[0].secretEnv = { ...(services[0].secretEnv ?? {}), TEST_DATABASE_URL: "secretsTestDatabaseUrl" };
        const dsn = postgresUrl();
        const r = await runRenderCli([
            "--stack",
            "staging",
            "--summary",
            "--set",
            `services=${JSON.stringify(services)}`,
            "--set",
            `secretsTestDatabaseUrl=${dsn}`,
        ]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(
            r.stderr,
            /secretsTestDatabaseUrl, which is stored in plain text; set it with: pulumi config set --stack staging --secret zdp:secretsTestDatabaseUrl/,
        );
        assert.ok(!(r.stdout + r.stderr).includes(dsn), "the error shows the value");
    });
});
