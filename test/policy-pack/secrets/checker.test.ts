/**
 * Failing fixtures for no-plaintext-credentials that hold credential-shaped values: generated at test time into a
 * temporary directory (the repository holds no credential, and the committed fixtures under
 * test/policy-pack/fixtures/no-plaintext-credentials/ are credential-free), then checked with the offline checker CLI
 * (`npm run policy:check`) under the prod policy config. The output names file, line, object and field; never the
 * value, in either output format.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { main } from "../../../policy-pack/cli/check";
import {
    b64,
    basicAuthUrl,
    githubToken,
    npmToken,
    postgresUrl,
    privateKeyPem,
    slackWebhookUrl,
    tokenInQueryUrl,
} from "./fakeCredentials";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const PROD_CONFIG = path.join(ROOT, "policy-pack", "config", "prod.json");

interface Fixture {
    file: string;
    docs: object[];
    /** The planted values, none of which may appear in any output. */
    values: string[];
    /** What the message must say, per document. */
    expect: RegExp[];
}

/** The failing fixtures, freshly assembled. */
function fixtures(): Fixture[] {
    const gitUrl = basicAuthUrl();
    const npmrc = `//registry.example.com/:_authToken=${npmToken()}\n`;
    const hookUrl = tokenInQueryUrl();
    const key = privateKeyPem();
    const webhook = slackWebhookUrl();
    const token = githubToken();
    const dsn = postgresUrl();
    return [
        {
            file: "fail-secret-base64-data.yaml",
            docs: [
                {
                    apiVersion: "v1",
                    kind: "Secret",
                    metadata: { name: "git-creds", namespace: "ci" },
                    type: "Opaque",
                    data: { url: b64(gitUrl), ".npmrc": b64(npmrc) },
                },
            ],
            values: [gitUrl, npmrc, b64(gitUrl), b64(npmrc)],
            expect: [
                /Secret ci\/git-creds: data\.url holds a literal BasicAuth .*base64 is an encoding, not encryption/,
            ],
        },
        {
            file: "fail-configmap-token-url-and-private-key.yaml",
            docs: [
                {
                    apiVersion: "v1",
                    kind: "ConfigMap",
                    metadata: { name: "integrations", namespace: "shop" },
                    data: { "hook.url": hookUrl, "signing.pem": key },
                },
            ],
            values: [hookUrl, key],
            expect: [
                /ConfigMap shop\/integrations: data\["hook\.url"\] holds a literal GITHUB_TOKEN/,
                /ConfigMap shop\/integrations: data\["signing\.pem"\] holds a literal PrivateKey/,
            ],
        },
        {
            file: "fail-env-webhook-and-annotation.yaml",
            docs: [
                {
                    apiVersion: "v1",
                    kind: "Service",
                    metadata: { name: "web", namespace: "shop", annotations: { "ci.example.com/token": token } },
                },
                {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata: { name: "notifier", namespace: "shop" },
                    spec: {
                        template: {
                            spec: {
                                containers: [
                                    {
                                        name: "app",
                                        image: "ghcr.io/acme/notifier:1.0",
                                        env: [{ name: "SLACK_URL", value: webhook }],
                                    },
                                ],
                            },
                        },
                    },
                },
            ],
            values: [token, webhook],
            expect: [
                /Service shop\/web: metadata\.annotations\["ci\.example\.com\/token"\] holds a literal GITHUB_TOKEN/,
                /Deployment shop\/notifier: .*env\[0\] \(SLACK_URL\)\.value holds a literal IncomingWebhook/,
            ],
        },
        {
            file: "fail-chart-values.yaml",
            docs: [
                {
                    apiVersion: "helm.sh/v4",
                    kind: "Chart",
                    metadata: { name: "db-chart" },
                    namespace: "data",
                    values: { externalDatabase: { url: dsn } },
                },
            ],
            values: [dsn],
            expect: [/Helm chart data\/db-chart: values\.externalDatabase\.url holds a literal PostgreSQLConnection/],
        },
    ];
}

/** Runs the offline checker CLI; returns exit status and everything it printed. */
async function runChecker(args: string[]): Promise<{ code: number; out: string }> {
    let out = "";
    const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (out += s), stdin: process.stdin });
    return { code, out };
}

function assertNoValues(out: string, values: string[]): void {
    for (const v of values) {
        assert.ok(!out.includes(v), "the checker output shows a planted value");
        for (const line of v.split("\n"))
            if (line.trim().length >= 8)
                assert.ok(!out.includes(line.trim()), "the checker output shows part of a planted value");
    }
}

describe("secrets: generated failing fixtures through the offline checker", function () {
    this.timeout(60_000);
    let dir: string;
    let planted: Fixture[];

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-secret-fixtures-"));
        planted = fixtures();
        for (const f of planted)
            fs.writeFileSync(path.join(dir, f.file), f.docs.map((d) => stringify(d)).join("---\n"));
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("every fixture fails with a mandatory violation, located by file and line, without the value (text output)", async () => {
        for (const f of planted) {
            const { code, out } = await runChecker([
                "--config",
                PROD_CONFIG,
                "--policy",
                "no-plaintext-credentials",
                path.join(dir, f.file),
            ]);
            assert.equal(code, 1, `${f.file}: ${out}`);
            assert.match(
                out,
                new RegExp(`${f.file.replace(/\./g, "\\.")}:1: MANDATORY \\[no-plaintext-credentials\\]`),
            );
            for (const re of f.expect) assert.match(out, re);
            assertNoValues(out, f.values);
        }
    });

    it("the json output does not carry the values either", async () => {
        const { code, out } = await runChecker([
            "--config",
            PROD_CONFIG,
            "--policy",
            "no-plaintext-credentials",
            "--format",
            "json",
            dir,
        ]);
        assert.equal(code, 1);
        const violations = JSON.parse(out) as { file: string; enforcementLevel: string }[];
        const files = new Set(
            violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => path.basename(v.file)),
        );
        assert.deepEqual([...files].sort(), planted.map((f) => f.file).sort());
        assertNoValues(
            out,
            planted.flatMap((f) => f.values),
        );
    });

    it("the staging config accepts the policy's settings and the fixtures fail there too", async () => {
        const { code, out } = await runChecker([
            "--config",
            path.join(ROOT, "policy-pack", "config", "staging.json"),
            "--policy",
            "no-plaintext-credentials",
            dir,
        ]);
        assert.equal(code, 1, out);
        assertNoValues(
            out,
            planted.flatMap((f) => f.values),
        );
    });
});
