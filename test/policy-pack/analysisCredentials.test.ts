/**
 * The cases that used to pass the whole pack: an AnalysisTemplate whose job runs an unpinned Docker Hub image with a
 * token in its env (the same pod spec as a batch/v1 Job already failed), credentials in web metric URLs and headers
 * and in analysis arguments, lists nested in lists, and, through the stack, a token placed in
 * `services[].analysis.smokeTest.paths`, which lands in the rendered smoke-test AnalysisTemplate.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { generateKeyPair } from "../../policy-pack/images/keys";
import { PolicyEngine, Violation } from "../../policy-pack/lib/engine";
import { KubeObject } from "../../policy-pack/lib/kubernetes";
import { parseManifests } from "../../policy-pack/lib/manifests";
import { REPO_ROOT, renderedStack } from "../helpers/renderedStack";
import { githubToken, slackWebhookUrl, tokenInQueryUrl } from "./secrets/fakeCredentials";

const CHECKED = ["images-digest-pinned", "images-allowed-registries", "images-signed", "no-plaintext-credentials"];

function prodConfig(): Record<string, any> {
    const config = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy-pack", "config", "prod.json"), "utf8"));
    config["images-signed"].trustedKeys = [{ name: "release-ci", publicKey: generateKeyPair("ecdsa-p256").publicPem }];
    return config;
}

const mandatory = (vs: Violation[], policy: string) =>
    vs.filter((v) => v.policy === policy && v.enforcementLevel === "mandatory").map((v) => v.message);

function analysisTemplate(token: string, provider: Record<string, unknown> = {}): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: { name: "smoke", namespace: "shop" },
        spec: {
            args: [{ name: "service-host" }],
            metrics: [
                {
                    name: "smoke-tests",
                    provider: {
                        job: {
                            spec: {
                                template: {
                                    spec: {
                                        restartPolicy: "Never",
                                        containers: [
                                            {
                                                name: "curl",
                                                image: "docker.io/curlimages/curl:latest",
                                                env: [{ name: "API_TOKEN", value: token }],
                                            },
                                        ],
                                    },
                                },
                            },
                        },
                    },
                },
                ...(Object.keys(provider).length > 0 ? [{ name: "web-check", provider }] : []),
            ],
        },
    };
}

describe("pod templates and credentials that used to pass the pack", function () {
    this.timeout(180_000);
    const engine = () => new PolicyEngine({ config: prodConfig(), only: CHECKED });

    it("an AnalysisTemplate job with curl:latest and a token fails all four policies under prod's config, like a Job", async () => {
        const token = githubToken();
        const template = analysisTemplate(token);
        const job: KubeObject = {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "smoke", namespace: "shop" },
            spec: (template.spec as any).metrics[0].provider.job.spec,
        };
        for (const obj of [template, job]) {
            const violations = await engine().check([{ object: obj }]);
            for (const policy of CHECKED) {
                assert.ok(mandatory(violations, policy).length > 0, `${obj.kind}: ${policy} passed`);
            }
            assert.ok(!JSON.stringify(violations).includes(token));
        }
        const messages = mandatory(await engine().check([{ object: template }]), "images-digest-pinned");
        assert.match(
            messages[0],
            /^AnalysisTemplate shop\/smoke: spec\.metrics\[0\] \(smoke-tests\)\.provider\.job\.spec\.template\.spec\.containers\[0\] \(curl\) image "docker\.io\/curlimages\/curl:latest" is not pinned by digest/,
        );
    });

    it("sees credentials in web metric URLs, headers and bodies, and in analysis arguments", async () => {
        const bearer = githubToken();
        const webhook = slackWebhookUrl();
        const queryUrl = tokenInQueryUrl();
        const argToken = githubToken();
        const template = analysisTemplate("", {
            web: {
                url: queryUrl,
                headers: [
                    { key: "Authorization", value: `Bearer ${bearer}` },
                    { key: "X-Forward", value: webhook },
                    { key: "Authorization", value: "Bearer {{args.api-token}}" },
                ],
                jsonPath: "{$.ok}",
            },
        });
        (template.spec as any).args.push({ name: "api-token", value: argToken });
        (template.spec as any).metrics[0].provider.job.spec.template.spec.containers[0].env = [];
        const found = mandatory(await engine().check([{ object: template }]), "no-plaintext-credentials");
        const fields = found.map((m) => /^AnalysisTemplate shop\/smoke: (.*?) holds /.exec(m)?.[1]);
        assert.deepEqual(fields.sort(), [
            "spec.args[1] (api-token).value",
            "spec.metrics[1] (web-check).provider.web.headers[0] (Authorization).value",
            "spec.metrics[1] (web-check).provider.web.headers[1] (X-Forward).value",
            "spec.metrics[1] (web-check).provider.web.url",
        ]);
        for (const secret of [bearer, webhook, queryUrl, argToken]) assert.ok(!found.join("\n").includes(secret));
        // An Authorization header made of an argument reference (read from a Secret) is fine: not reported.
        assert.ok(!found.some((m) => m.includes("headers[2]")));
    });

    it("flattens lists nested at any depth (kind List and typed lists), in the policies and in policy:check", async () => {
        const token = githubToken();
        const nested: KubeObject = {
            apiVersion: "v1",
            kind: "List",
            items: [
                {
                    apiVersion: "v1",
                    kind: "List",
                    items: [
                        {
                            apiVersion: "argoproj.io/v1alpha1",
                            kind: "AnalysisTemplateList",
                            items: [analysisTemplate(token)],
                        },
                    ],
                },
            ],
        };
        const violations = await engine().check([{ object: nested }]);
        for (const policy of CHECKED)
            assert.ok(mandatory(violations, policy).length > 0, `${policy} passed a nested list`);
        assert.match(
            mandatory(violations, "images-allowed-registries")[0],
            /^List \S+: items\[0\]\.items\[0\]\.items\[0\] \(AnalysisTemplate\) spec\.metrics\[0\] \(smoke-tests\)\.provider\.job\.spec\.template\.spec\.containers\[0\] \(curl\) image/,
        );
        // policy:check reads the same file as three levels of lists and checks the AnalysisTemplate inside.
        const objects = parseManifests(JSON.stringify(nested), "nested.json");
        assert.deepEqual(
            objects.map((o) => o.object.kind),
            ["AnalysisTemplate"],
        );
        // A list nested deeper than the bound is not silently skipped: it fails the checks.
        let deep: KubeObject = analysisTemplate(token);
        for (let i = 0; i < 20; i++) deep = { apiVersion: "v1", kind: "List", items: [deep] };
        const tooDeep = await engine().check([{ object: deep }]);
        for (const policy of CHECKED) {
            assert.ok(
                mandatory(tooDeep, policy).some((m) => /nested more than 16 lists deep/.test(m)),
                `${policy} passed a list nested too deep`,
            );
        }
        assert.throws(() => parseManifests(JSON.stringify(deep), "deep.json"), /nests lists more than 16 deep/);
    });

    it("through the stack: a token in services[].analysis.smokeTest.paths fails the rendered AnalysisTemplate", async () => {
        const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"));
        const services = doc.config["zdp:services"] as any[];
        const withSmoke = services.find((s) => s.analysis?.smokeTest);
        assert.ok(withSmoke, "prod has a service with a smoke test");
        const token = githubToken();
        withSmoke.analysis.smokeTest.paths = [
            ...withSmoke.analysis.smokeTest.paths,
            `/api/debug?access_token=${token}`,
        ];
        const rendered = await renderedStack("prod", ["--set", `services=${JSON.stringify(services)}`]);
        const violations = await new PolicyEngine({ config: prodConfig(), only: ["no-plaintext-credentials"] }).check(
            rendered.manifests.map((m) => ({ object: m.object, file: m.file })),
        );
        const found = violations.filter((v) => v.enforcementLevel === "mandatory");
        assert.equal(found.length, 1, found.map((v) => v.message).join("\n"));
        assert.equal(found[0].kind, "AnalysisTemplate");
        assert.match(
            found[0].message,
            /containers\[0\] \(smoke-tests\)\.env\[1\] \(SMOKE_PATHS\)\.value holds a literal/,
        );
        assert.ok(!JSON.stringify(violations).includes(token));
    });
});
