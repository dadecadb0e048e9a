/**
 * The no-plaintext-credentials policy, called directly with hand-built args (as pulumi-policy's own tests do) for
 * every field it covers, every secretness source and the preview path. Credentials are fakes assembled at run time;
 * every test also checks that no message carries the value.
 */
import * as assert from "node:assert/strict";
import { Secret, unknownCheckingProxy } from "@pulumi/policy";
import { noPlaintextCredentials, fieldPath } from "../../../policy-pack/policies/secrets";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";
import { recordSecretPaths } from "../../../policy-pack/secrets/secretness";
import { Reported, collector, resourceArgs } from "../helpers";
import {
    b64,
    basicAuthUrl,
    githubToken,
    npmToken,
    postgresUrl,
    privateKeyPem,
    randomText,
    slackWebhookUrl,
    tokenInQueryUrl,
} from "./fakeCredentials";

// @pulumi/policy's sentinel for a string unknown during preview (see its proxy module).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const UNKNOWN_STRING: string = require("@pulumi/policy/proxy").unknownStringValue;

interface Outcome {
    mandatory: string[];
    advisory: string[];
    all: Reported[];
}

/** Runs the policy on one object (or a chart resource: pass `type`). */
async function check(
    obj: KubeObject,
    opts: { config?: object; type?: string; preview?: boolean; props?: object } = {},
): Promise<Outcome> {
    const { reported, report } = collector();
    const args = resourceArgs(obj, opts.config ?? {}, { preview: opts.preview });
    if (opts.type) args.type = opts.type;
    if (opts.props) args.props = opts.props as Record<string, any>;
    await (noPlaintextCredentials.validateResource as (a: typeof args, r: typeof report) => Promise<void>)(
        args,
        report,
    );
    return {
        mandatory: reported.filter((r) => r.enforcementLevel === undefined).map((r) => r.message),
        advisory: reported.filter((r) => r.enforcementLevel === "advisory").map((r) => r.message),
        all: reported,
    };
}

/** No message shows any line (8+ characters) of any of the values. */
function assertNoValues(outcome: Outcome, ...values: string[]): void {
    const text = JSON.stringify(outcome.all);
    for (const v of values) {
        assert.ok(!text.includes(v), "a message shows a value");
        for (const line of v.split("\n"))
            if (line.trim().length >= 8) assert.ok(!text.includes(line.trim()), "a message shows part of a value");
    }
}

const secret = (name: string, body: Record<string, unknown>): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "shop" },
    type: "Opaque",
    ...body,
});

const configMap = (name: string, body: Record<string, unknown>): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "shop" },
    ...body,
});

const deployment = (env: unknown[], extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "checkout", namespace: "shop" },
    spec: { template: { spec: { containers: [{ name: "app", image: "ghcr.io/acme/checkout:1.0", env, ...extra }] } } },
});

describe("secrets: no-plaintext-credentials policy", () => {
    it("has a name, a description a reviewer understands, a config schema and is mandatory", () => {
        assert.equal(noPlaintextCredentials.name, "no-plaintext-credentials");
        assert.equal(noPlaintextCredentials.enforcementLevel, "mandatory");
        assert.match(noPlaintextCredentials.description, /Secrets whose values are Pulumi secrets/);
        const props = noPlaintextCredentials.configSchema?.properties ?? {};
        assert.deepEqual(Object.keys(props).sort(), ["exemptions", "reportUnmarkedSecretData", "sensitiveNamePattern"]);
    });

    describe("Secret objects", () => {
        it("fails a base64-encoded credential in data, naming the Secret and the key, not the value", async () => {
            const url = basicAuthUrl();
            const out = await check(secret("git-creds", { data: { "clone-url": b64(url) } }));
            assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
            assert.match(
                out.mandatory[0],
                /^Secret shop\/git-creds: data\["clone-url"\] holds a literal BasicAuth \(secretlint rule basicauth\) \(base64 is an encoding, not encryption\)/,
            );
            assertNoValues(out, url, b64(url));
        });

        it("fails a credential in stringData", async () => {
            const key = privateKeyPem();
            const out = await check(secret("tls", { stringData: { "tls.key": key } }));
            assert.equal(out.mandatory.length, 1);
            assert.match(out.mandatory[0], /stringData\["tls\.key"\] holds a literal PrivateKey/);
            assertNoValues(out, key);
        });

        it("passes values that are Pulumi secrets: render placeholders, policy.Secret values, a wrapped map", async () => {
            const token = githubToken();
            assert.deepEqual(
                (await check(secret("a", { stringData: { token: "[secret]" }, data: { x: "[secret]" } }))).all,
                [],
            );
            assert.deepEqual((await check(secret("b", { stringData: { token: new Secret(token) } }))).all, []);
            assert.deepEqual((await check(secret("c", { stringData: new Secret({ token, other: "x" }) }))).all, []);
        });

        it("reports a literal that is not recognisable as a credential as advisory (nothing says it is a secret)", async () => {
            const out = await check(secret("app", { stringData: { "db-name": "shop" } }));
            assert.deepEqual(out.mandatory, []);
            assert.equal(out.advisory.length, 1);
            assert.match(out.advisory[0], /stringData\["db-name"\] is a literal that nothing marks as a Pulumi secret/);
            const off = await check(secret("app", { stringData: { "db-name": "shop" } }), {
                config: { reportUnmarkedSecretData: false },
            });
            assert.deepEqual(off.all, []);
        });

        it("fails a value the engine says is not a Pulumi secret, even when it does not look like a credential", async () => {
            const obj = secret("app", { stringData: { password: randomText(20), user: "[secret]" } });
            recordSecretPaths(obj, [["stringData", "user"]]);
            const out = await check(obj);
            assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
            assert.match(
                out.mandatory[0],
                /stringData\.password is not a Pulumi secret, so it is stored unencrypted in the Pulumi state/,
            );
        });

        it("passes when the engine says the whole map is a secret", async () => {
            const obj = secret("app", { stringData: { password: randomText(20) } });
            recordSecretPaths(obj, [["stringData"]]);
            assert.deepEqual((await check(obj)).all, []);
        });
    });

    describe("ConfigMaps", () => {
        it("fail a private key, a token in a URL and a base64 credential in binaryData", async () => {
            const key = privateKeyPem();
            const url = tokenInQueryUrl();
            const npmrc = `//registry.example.com/:_authToken=${npmToken()}\n`;
            const out = await check(
                configMap("app-config", {
                    data: { "signing.pem": key, "hook.url": url, plain: "info" },
                    binaryData: { ".npmrc": b64(npmrc) },
                }),
            );
            assert.equal(out.mandatory.length, 3, JSON.stringify(out.all));
            assert.match(out.mandatory.join("\n"), /data\["signing\.pem"\] holds a literal PrivateKey/);
            assert.match(out.mandatory.join("\n"), /data\["hook\.url"\] holds a literal GITHUB_TOKEN/);
            assert.match(
                out.mandatory.join("\n"),
                /binaryData\["\.npmrc"\] holds a literal .*NPM_ACCESS_TOKEN .*\(base64 is an encoding, not encryption\)/,
            );
            assertNoValues(out, key, url, npmrc, b64(npmrc));
        });

        it("fail a Pulumi secret in data: secrets reach the cluster only as Secret objects", async () => {
            const out = await check(configMap("app-config", { data: { "webhook-url": "[secret]" } }));
            assert.equal(out.mandatory.length, 1);
            assert.match(
                out.mandatory[0],
                /data\["webhook-url"\] holds a Pulumi secret: secrets reach the cluster only as Secret objects/,
            );
        });

        it("pass ordinary configuration, including the Argo Rollouts notification template that references the Secret", async () => {
            const out = await check(
                configMap("argo-rollouts-notification-configmap", {
                    data: { "service.webhook.platform": "url: $webhook-url\n", "log.level": "info" },
                }),
            );
            assert.deepEqual(out.all, []);
        });

        it("report a credential-named key with a literal as advisory", async () => {
            const out = await check(configMap("app-config", { data: { DB_PASSWORD: "changeme-please" } }));
            assert.deepEqual(out.mandatory, []);
            assert.match(out.advisory.join("\n"), /data\.DB_PASSWORD is named like a credential/);
        });
    });

    describe("containers", () => {
        it("fail a credential in env[].value, naming the container and variable", async () => {
            const webhook = slackWebhookUrl();
            const out = await check(
                deployment([
                    { name: "LOG_LEVEL", value: "info" },
                    { name: "ALERT_URL", value: webhook },
                ]),
            );
            assert.equal(out.mandatory.length, 1);
            assert.match(
                out.mandatory[0],
                /^Deployment shop\/checkout: spec\.template\.spec\.containers\[0\] \(app\)\.env\[1\] \(ALERT_URL\)\.value holds a literal IncomingWebhook/,
            );
            assertNoValues(out, webhook);
        });

        it("fail a Pulumi secret as a literal env value", async () => {
            const out = await check(deployment([{ name: "ALERT_URL", value: "[secret]" }]));
            assert.match(out.mandatory.join("\n"), /env\[0\] \(ALERT_URL\)\.value holds a Pulumi secret/);
        });

        it("pass env from a Secret by name (valueFrom.secretKeyRef, envFrom.secretRef)", async () => {
            const out = await check(
                deployment(
                    [
                        {
                            name: "DB_PASSWORD",
                            valueFrom: { secretKeyRef: { name: "checkout-env", key: "DB_PASSWORD" } },
                        },
                    ],
                    {
                        envFrom: [{ secretRef: { name: "checkout-env" } }],
                    },
                ),
            );
            assert.deepEqual(out.all, []);
        });

        it("fail a connection string in the args of an init container of a CronJob", async () => {
            const url = postgresUrl();
            const cron: KubeObject = {
                apiVersion: "batch/v1",
                kind: "CronJob",
                metadata: { name: "migrate", namespace: "shop" },
                spec: {
                    jobTemplate: {
                        spec: {
                            template: {
                                spec: {
                                    initContainers: [{ name: "wait", args: ["--db", url] }],
                                    containers: [{ name: "m" }],
                                },
                            },
                        },
                    },
                },
            };
            const out = await check(cron);
            assert.equal(out.mandatory.length, 1);
            assert.match(
                out.mandatory[0],
                /spec\.jobTemplate\.spec\.template\.spec\.initContainers\[0\] \(wait\)\.args\[1\] holds a literal PostgreSQLConnection/,
            );
            assertNoValues(out, url);
        });

        it("report a literal under a credential-like name as advisory, configurable and off with an empty pattern", async () => {
            const obj = deployment([
                { name: "DB_PASSWORD", value: "hunter2-but-longer" },
                { name: "TOKEN_TTL", value: "300" },
                { name: "API_KEY", value: "$(API_KEY_FROM_FILE)" },
            ]);
            const out = await check(obj);
            assert.deepEqual(out.mandatory, []);
            assert.equal(out.advisory.length, 1, JSON.stringify(out.all));
            assert.match(out.advisory[0], /env\[0\] \(DB_PASSWORD\)\.value is named like a credential/);
            assert.deepEqual((await check(obj, { config: { sensitiveNamePattern: "" } })).all, []);
            assert.equal((await check(obj, { config: { sensitiveNamePattern: "_TTL$" } })).advisory.length, 1);
        });

        it("an invalid sensitiveNamePattern fails loudly, naming the property", async () => {
            await assert.rejects(
                check(deployment([]), { config: { sensitiveNamePattern: "(" } }),
                /sensitiveNamePattern is not a valid regular expression/,
            );
        });
    });

    it("fails a credential in an annotation of any object", async () => {
        const token = githubToken();
        const svc: KubeObject = {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: "shop", annotations: { "ci.example.com/token": token } },
        };
        const out = await check(svc);
        assert.equal(out.mandatory.length, 1);
        assert.match(
            out.mandatory[0],
            /^Service shop\/web: metadata\.annotations\["ci\.example\.com\/token"\] holds a literal GITHUB_TOKEN/,
        );
        assertNoValues(out, token);
    });

    describe("Helm chart values", () => {
        const chart = (values: unknown, extra: Record<string, unknown> = {}): KubeObject => ({
            apiVersion: "helm.sh/v4",
            kind: "Chart",
            metadata: { name: "falco-chart" },
            namespace: "falco",
            chart: "falco",
            values,
            ...extra,
        });
        const type = "kubernetes:helm.sh/v4:Chart";

        it("fail a credential anywhere in values, naming the path", async () => {
            const webhook = slackWebhookUrl();
            const out = await check(
                chart({
                    falcosidekick: { config: { slack: { webhookurl: webhook } } },
                    list: [{ env: [{ value: "x" }] }],
                }),
                { type },
            );
            assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
            assert.match(
                out.mandatory[0],
                /^Helm chart falco\/falco-chart: values\.falcosidekick\.config\.slack\.webhookurl holds a literal IncomingWebhook/,
            );
            assertNoValues(out, webhook);
        });

        it("report a Pulumi secret in values as advisory (the chart decides where it lands)", async () => {
            const out = await check(chart({ config: { webhook: "[secret]" } }), { type });
            assert.deepEqual(out.mandatory, []);
            assert.match(out.advisory[0], /values\.config\.webhook is a Pulumi secret handed to the chart/);
        });

        it("pass an existingSecret reference", async () => {
            assert.deepEqual(
                (
                    await check(chart({ falcosidekick: { config: { existingSecret: "falcosidekick-outputs" } } }), {
                        type,
                    })
                ).all,
                [],
            );
        });

        it("fail a repository password that the engine says is not a Pulumi secret", async () => {
            const obj = chart(
                {},
                { repositoryOpts: { repo: "https://charts.example.com", username: "ci", password: randomText(16) } },
            );
            recordSecretPaths(obj, []);
            const out = await check(obj, { type });
            assert.match(out.mandatory.join("\n"), /repositoryOpts\.password is not a Pulumi secret/);
        });
    });

    describe("image builds", () => {
        it("fail a @pulumi/docker registry password the engine says is not a Pulumi secret", async () => {
            const obj = {
                imageName: "registry.example.com/shop/app:ci",
                registry: { server: "registry.example.com", username: "ci", password: randomText(24) },
            };
            recordSecretPaths(obj, []);
            const out = await check(obj as KubeObject, { type: "docker:index/image:Image" });
            assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
            assert.match(out.mandatory[0], /^Image build \S+: registry\.password is not a Pulumi secret/);
        });

        it("pass a registry password that is a Pulumi secret; fail a token-shaped literal in docker-build registries", async () => {
            const secretOne = {
                registry: { server: "r.example.com", username: "ci", password: new Secret(randomText(24)) },
            };
            assert.deepEqual((await check(secretOne as KubeObject, { type: "docker:index/image:Image" })).all, []);
            const token = githubToken();
            const build = { registries: [{ address: "ghcr.io", username: "ci", password: token }] };
            const out = await check(build as KubeObject, { type: "docker-build:index:Image" });
            assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
            assert.match(out.mandatory[0], /registries\[0\]\.password holds a literal GITHUB_TOKEN/);
            assertNoValues(out, token);
        });
    });

    it("reports an exempt object as advisory, with the justification", async () => {
        const webhook = slackWebhookUrl();
        const config = {
            exemptions: [
                { kind: "ConfigMap", namespace: "shop", name: "legacy", justification: "rotating out in PLAT-42" },
            ],
        };
        const out = await check(configMap("legacy", { data: { url: webhook } }), { config });
        assert.deepEqual(out.mandatory, []);
        assert.match(
            out.advisory[0],
            /^exempt: rotating out in PLAT-42: ConfigMap shop\/legacy: data\.url holds a literal IncomingWebhook/,
        );
    });

    it("during preview, checks what is known and notes the unknown fields as advisory", async () => {
        const webhook = slackWebhookUrl();
        const obj = configMap("app", { data: { computed: UNKNOWN_STRING, url: webhook } });
        const out = await check(obj, { preview: true });
        assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
        assert.match(out.mandatory[0], /data\.url holds a literal IncomingWebhook/);
        assert.match(
            out.advisory.join("\n"),
            /data\.computed not known during preview, so not checked for credentials yet/,
        );
        const whole = await check(deployment([]), {
            preview: true,
            props: unknownCheckingProxy({ metadata: { name: "x" }, spec: UNKNOWN_STRING }),
        });
        assert.match(whole.advisory.join("\n"), /spec not known during preview/);
    });

    it("during preview, an unknown entry of a list is named by its path, the rest judged, nothing thrown", async () => {
        const webhook = slackWebhookUrl();
        const podSpec = {
            containers: [
                {
                    image: "ghcr.io/acme/checkout:1.0",
                    env: [{ name: "A", value: "a" }, { name: "HOOK", value: webhook }, UNKNOWN_STRING],
                    command: ["run", UNKNOWN_STRING],
                },
                UNKNOWN_STRING,
            ],
        };
        const obj: KubeObject = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "checkout", namespace: "shop" },
            spec: { template: { spec: podSpec } },
        };
        // What @pulumi/policy's proxy throws when the entry itself is read (the policy once let it escape).
        const proxied = unknownCheckingProxy(obj) as any;
        assert.throws(() => proxied.spec.template.spec.containers[0].env[2], /can't be known during preview/);
        const out = await check(obj, { preview: true });
        assert.equal(out.mandatory.length, 1, JSON.stringify(out.all));
        assert.match(out.mandatory[0], /containers\[0\]\.env\[1\] \(HOOK\)\.value holds a literal IncomingWebhook/);
        assert.deepEqual(out.advisory, [
            "Deployment shop/checkout: spec.template.spec.containers[0].env[2], spec.template.spec.containers[0].command[1], " +
                "spec.template.spec.containers[1] not known during preview, so not checked for credentials yet " +
                "(checked again at update).",
        ]);
        assertNoValues(out, webhook);
        const analysis: KubeObject = {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AnalysisTemplate",
            metadata: { name: "smoke", namespace: "shop" },
            spec: {
                args: [UNKNOWN_STRING],
                metrics: [{ name: "ok", provider: { web: { url: "x" } } }, UNKNOWN_STRING],
            },
        };
        const metric = await check(analysis, { preview: true });
        assert.deepEqual(metric.mandatory, []);
        assert.deepEqual(metric.advisory, [
            "AnalysisTemplate shop/smoke: spec.metrics[1], spec.args[0] not known during preview, so not checked for " +
                "credentials yet (checked again at update).",
        ]);
    });

    it("ignores resources that are neither Kubernetes objects nor charts", async () => {
        const out = await check({ kind: "Bucket", metadata: { name: "b" } } as KubeObject, {
            type: "aws:s3/bucket:Bucket",
        });
        assert.deepEqual(out.all, []);
    });

    it("names fields as code would: identifiers with dots, others with brackets", () => {
        assert.equal(fieldPath("data", "token"), "data.token");
        assert.equal(fieldPath("data", "service.webhook.platform"), 'data["service.webhook.platform"]');
        assert.equal(fieldPath("list", 3), "list[3]");
    });
});
