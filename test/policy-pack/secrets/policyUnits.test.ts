/**
 * The no-plaintext-credentials policy's pure parts, one at a time: the name and header patterns with their anchors,
 * the placeholder and auth-scheme rules, which values of which resource kinds become checked slots (with the field,
 * key context and file hint secretlint sees), and the exact messages. Fast enough to judge every mutant of
 * policy-pack/policies/secrets*.ts (stryker.config.mjs); test/policy-pack/secrets/policy.test.ts covers the end-to-end cases.
 */
import * as assert from "node:assert/strict";
import { Secret, unknownCheckingProxy } from "@pulumi/policy";
import {
    CHART_TYPES,
    CREDENTIAL_HEADER,
    DEFAULT_SENSITIVE_NAME_PATTERN,
    IMAGE_BUILD_TYPES,
    fieldPath,
    literalCredentialPart,
    looksLikeLiteral,
    noPlaintextCredentials,
    slotsOf,
} from "../../../policy-pack/policies/secrets";
import { MAX_LIST_DEPTH } from "../../../policy-pack/lib/kubernetes";
import { recordSecretPaths, secretnessOf } from "../../../policy-pack/secrets/secretness";
import { Reported, collector, resourceArgs } from "../helpers";
import { b64, githubToken, randomText, slackWebhookUrl } from "./fakeCredentials";

// @pulumi/policy's sentinel for a string unknown during preview (see its proxy module).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const UNKNOWN_STRING: string = require("@pulumi/policy/proxy").unknownStringValue;

const SENSITIVE = new RegExp(DEFAULT_SENSITIVE_NAME_PATTERN, "i");

/** The slots of a resource's props, as plain objects. */
function slots(type: string, props: object, preview = false) {
    const p = preview ? unknownCheckingProxy(props) : props;
    return slotsOf(type, p, secretnessOf(p));
}

const SECRET_T = "kubernetes:core/v1:Secret";
const CONFIGMAP_T = "kubernetes:core/v1:ConfigMap";

/** Runs the policy on props of a type; every report with its level ("mandatory" when the policy's own). */
async function run(type: string, props: object, config: object = {}, name = "res"): Promise<string[]> {
    const { reported, report } = collector();
    const args = resourceArgs({ metadata: { name } }, config);
    args.type = type;
    args.props = props as Record<string, unknown>;
    args.name = name;
    await (noPlaintextCredentials.validateResource as (a: typeof args, r: typeof report) => Promise<void>)(
        args,
        report,
    );
    return reported.map((r: Reported) => `${r.enforcementLevel ?? "mandatory"}: ${r.message}`);
}

describe("secrets: no-plaintext-credentials, unit by unit", () => {
    describe("the policy as users see it", () => {
        it("is critical, tagged, and tells how to fix it", () => {
            assert.equal(noPlaintextCredentials.severity, "critical");
            assert.deepEqual(noPlaintextCredentials.tags, ["kubernetes", "secrets"]);
            const d = noPlaintextCredentials.description;
            assert.match(d, /^Credentials reach the cluster only as Kubernetes Secrets/);
            assert.match(d, /no credential-looking literal \(secretlint's recommended rules/);
            assert.match(d, /private keys, base64-encoded ones included\) in Secret data, ConfigMaps/);
            assert.match(d, /args, annotations or Helm chart values, no registry password of an image build/);
            assert.match(d, /secret, and no Pulumi secret outside a Secret\.$/);
            const r = noPlaintextCredentials.remediationSteps ?? "";
            assert.match(r, /^Store the credential as Pulumi secret config \(pulumi config set --secret KEY\)/);
            assert.match(r, /config\.requireSecret\(\), put it in a Kubernetes Secret/);
            assert.match(r, /\(env\[\]\.valueFrom\.secretKeyRef, envFrom\[\]\.secretRef, a secret volume/);
            assert.match(r, /Rotate any credential that was ever committed or deployed in plaintext\.$/);
        });

        it("documents its options with their defaults", () => {
            const props = noPlaintextCredentials.configSchema?.properties ?? {};
            const unmarked = props.reportUnmarkedSecretData as { type: string; default: unknown; description: string };
            assert.equal(unmarked.type, "boolean");
            assert.equal(unmarked.default, true);
            assert.match(unmarked.description, /^Report as advisory the Secret values nobody can tell are Pulumi/);
            assert.match(unmarked.description, /checker carry no secretness\)\. Values recognised as credentials/);
            const pattern = props.sensitiveNamePattern as { type: string; default: unknown; description: string };
            assert.equal(pattern.type, "string");
            assert.equal(pattern.default, DEFAULT_SENSITIVE_NAME_PATTERN);
            assert.match(pattern.description, /^Case-insensitive regular expression for env var and ConfigMap key/);
            assert.match(pattern.description, /value under such a name is reported as advisory\. Empty: off\.$/);
        });

        it("an invalid sensitiveNamePattern names the option and the parser's reason", async () => {
            await assert.rejects(
                run(CONFIGMAP_T, { metadata: { name: "c" } }, { sensitiveNamePattern: "[" }),
                /^Error: no-plaintext-credentials\.sensitiveNamePattern is not a valid regular expression: Invalid regular expression/,
            );
        });

        it("names fields as code would", () => {
            assert.equal(fieldPath("data", "token"), "data.token");
            assert.equal(fieldPath("data", "_a9"), "data._a9");
            assert.equal(fieldPath("data", "Z"), "data.Z");
            for (const k of ["1a", "9", "a-b", "a.b", "b c", "", "x/"])
                assert.equal(fieldPath("d", k), `d[${JSON.stringify(k)}]`, k);
            assert.equal(fieldPath("list", 0), "list[0]");
        });

        it("a property that fails to read for another reason than preview fails the check", () => {
            const props = {
                metadata: {
                    get annotations() {
                        throw new Error("boom");
                    },
                },
            };
            assert.throws(() => slotsOf(CONFIGMAP_T, props, secretnessOf(props)), /boom/);
        });
    });

    describe("the credential name pattern", () => {
        const names = [
            "DB_PASSWORD",
            "passwd",
            "SSH_PASSPHRASE",
            "clientSecret",
            "GITHUB_TOKEN",
            "apikey",
            "api_key",
            "api.key",
            "API-KEY",
            "accesskey",
            "AWS_ACCESS_KEY",
            "access.key",
            "access-key",
            "privatekey",
            "private_key",
            "private.key",
            "PRIVATE-KEY",
            "credential",
            "gcpCredentials",
        ];
        for (const n of names) it(`says credential for ${n}`, () => assert.ok(SENSITIVE.test(n), n));

        it("requires the sensitive word at the end, one separator at most", () => {
            for (const n of [
                "TOKEN_TTL",
                "PASSWORD_FILE",
                "SECRET_NAME",
                "api__key",
                "apiXkey",
                "credentialss",
                "LOG_LEVEL",
            ])
                assert.ok(!SENSITIVE.test(n), n);
        });

        it("is compiled case-insensitively from the config", async () => {
            const props = { metadata: { name: "c" }, data: { db_password: "hunter2-hunter2" } };
            assert.equal((await run(CONFIGMAP_T, props)).length, 1);
            const upper = { metadata: { name: "c" }, data: { TTL: "300" } };
            assert.equal((await run(CONFIGMAP_T, upper, { sensitiveNamePattern: "ttl$" })).length, 1);
        });
    });

    describe("credential headers", () => {
        for (const h of [
            "Authorization",
            "authorization",
            "Proxy-Authorization",
            "X-API-Key",
            "x-api-key",
            "X-APIKey",
            "api-key",
            "ApiKey",
            "X-Auth-Token",
            "Cookie",
        ])
            it(`${h} carries a credential`, () => assert.ok(CREDENTIAL_HEADER.test(h), h));

        it("only whole header names count", () => {
            for (const h of [
                "X-Authorization-Mode",
                "Authorization2",
                "My-Authorization",
                "proxy-authorization-x",
                "X-API-Key-Id",
                "x-x-api-key",
                "X-Auth-Token-Ttl",
                "my-x-auth-token",
                "Set-Cookie",
                "Cookies",
                "Content-Type",
                "X-Proxy-Authorization",
                "apikeys",
            ])
                assert.ok(!CREDENTIAL_HEADER.test(h), h);
        });

        it("a value is a literal credential unless it is only an auth scheme and {{args.x}} references", () => {
            for (const v of [
                "{{args.token}}",
                "Bearer {{args.token}}",
                "bearer {{ args.api-token }}",
                "  Basic {{args.basic}}  ",
                "Token {{args.t}}",
                "ApiKey {{args.k}}",
                "Digest {{args.d}}",
                "Negotiate {{args.n}}",
                "Bearer",
                "{{args.a}}{{args.b}}",
                "",
                "   ",
            ])
                assert.equal(literalCredentialPart(v), false, JSON.stringify(v));
            for (const v of [
                "Bearer abc123",
                "abc123",
                "Bearerabc {{args.t}}",
                "x Bearer {{args.t}}",
                "Bearer {{args.t}} extra",
                "{args.t}",
                "Token{{args.t}}x",
                "Bearer {{args.t}",
            ])
                assert.equal(literalCredentialPart(v), true, JSON.stringify(v));
        });
    });

    describe("literals and references", () => {
        it("a reference to something else is not a literal", () => {
            for (const v of ["$(API_KEY)", "${API_KEY}", "${a-b.c}", "{{ .Values.token }}", "{{}}", " $(X) ", "", "  "])
                assert.equal(looksLikeLiteral(v), false, JSON.stringify(v));
        });
        it("anything else is, including references with text around them", () => {
            for (const v of [
                "hunter2",
                "x$(API_KEY)",
                "$(API_KEY)x",
                "$(API-KEY)",
                "${}",
                "x${A}",
                "${A}x",
                "a{{ .Values.x }}",
                "{{ .Values.x }}b",
                "$()",
            ])
                assert.equal(looksLikeLiteral(v), true, JSON.stringify(v));
        });
    });

    describe("resource types", () => {
        it("charts are the v3 and v4 Charts and the v3 Release; image builds both providers' Images", () => {
            assert.deepEqual([...CHART_TYPES].sort(), [
                "kubernetes:helm.sh/v3:Chart",
                "kubernetes:helm.sh/v3:Release",
                "kubernetes:helm.sh/v4:Chart",
            ]);
            assert.deepEqual([...IMAGE_BUILD_TYPES].sort(), ["docker-build:index:Image", "docker:index/image:Image"]);
        });
    });

    describe("slots: what is checked, where", () => {
        it("Secret data (base64) and stringData are secret values, keyed and named", () => {
            const props = {
                metadata: { name: "s", annotations: { "a.io/x": "v" } },
                data: { "tls.key": "eA==", skip: null, gone: undefined },
                stringData: { user: "u" },
            };
            const r = slots(SECRET_T, props);
            assert.deepEqual(r.unknown, []);
            assert.deepEqual(r.unchecked, []);
            assert.deepEqual(r.slots, [
                {
                    role: "plain-value",
                    path: ["metadata", "annotations", "a.io/x"],
                    field: 'metadata.annotations["a.io/x"]',
                    prefix: "a.io/x: ",
                    fileName: "a.io/x",
                    value: "v",
                    base64: false,
                    name: "a.io/x",
                    inSecret: false,
                },
                {
                    role: "secret-value",
                    path: ["data", "tls.key"],
                    field: 'data["tls.key"]',
                    prefix: "tls.key: ",
                    fileName: "tls.key",
                    value: "eA==",
                    base64: true,
                    name: "tls.key",
                    inSecret: false,
                },
                {
                    role: "secret-value",
                    path: ["stringData", "user"],
                    field: "stringData.user",
                    prefix: "user: ",
                    fileName: "user",
                    value: "u",
                    base64: false,
                    name: "user",
                    inSecret: false,
                },
            ]);
        });

        it("a whole map that is one Pulumi secret marks every entry; a secret scalar in its place is one slot", () => {
            const wrapped = slots(SECRET_T, { stringData: new Secret({ a: "1" }) }).slots;
            assert.equal(wrapped.length, 1);
            assert.equal(wrapped[0].inSecret, true);
            assert.equal(wrapped[0].field, "stringData.a");
            const scalar = new Secret("opaque");
            assert.deepEqual(slots(SECRET_T, { stringData: scalar }).slots, [
                {
                    role: "secret-value",
                    path: ["stringData"],
                    field: "stringData",
                    prefix: "",
                    fileName: "value.txt",
                    value: scalar,
                    base64: false,
                    inSecret: true,
                },
            ]);
            // Not a secret and not a map: nothing to check.
            assert.deepEqual(slots(SECRET_T, { stringData: "x", data: ["y"] }).slots, []);
        });

        it("ConfigMap data is plain, binaryData plain and base64; other kinds' data is not checked", () => {
            const r = slots(CONFIGMAP_T, { data: { a: "1" }, binaryData: { b: "Mg==" }, stringData: { c: "3" } });
            assert.deepEqual(
                r.slots.map((s) => [s.role, s.field, s.base64]),
                [
                    ["plain-value", "data.a", false],
                    ["plain-value", "binaryData.b", true],
                ],
            );
            assert.deepEqual(
                slots("kubernetes:core/v1:Service", { data: { a: "1" }, stringData: { b: "2" } }).slots,
                [],
            );
            // A Secret of another API group is not a v1 Secret.
            assert.deepEqual(slots("kubernetes:example.com/v1:Secret", { data: { a: "1" } }).slots, []);
            assert.deepEqual(slots("kubernetes:example.com/v1:ConfigMap", { data: { a: "1" } }).slots, []);
        });

        it("containers: env values, command and args of every container list, labelled by container and variable", () => {
            const props = {
                metadata: { name: "d" },
                spec: {
                    template: {
                        spec: {
                            containers: [
                                {
                                    name: "app",
                                    env: [
                                        { name: "A", value: "1" },
                                        { name: "B", valueFrom: { secretKeyRef: { name: "s", key: "b" } } },
                                        { value: "anon" },
                                        { name: "N", value: null },
                                        { name: 7 },
                                    ],
                                    command: ["sh", null, undefined],
                                    args: ["-c"],
                                },
                                "not a container",
                            ],
                            initContainers: [{ env: [{ name: 7, value: "n" }], args: [1] }],
                            ephemeralContainers: [{ name: "dbg", env: "x", command: ["x"] }],
                        },
                    },
                },
            };
            const r = slots("kubernetes:apps/v1:Deployment", props);
            assert.deepEqual(r.unknown, []);
            const c = "spec.template.spec.containers[0] (app)";
            assert.deepEqual(r.slots, [
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "containers", 0, "env", 0, "value"],
                    field: `${c}.env[0] (A).value`,
                    prefix: "A=",
                    fileName: "env.txt",
                    value: "1",
                    base64: false,
                    name: "A",
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "containers", 0, "env", 2, "value"],
                    field: `${c}.env[2].value`,
                    prefix: "",
                    fileName: "env.txt",
                    value: "anon",
                    base64: false,
                    name: undefined,
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "containers", 0, "command", 0],
                    field: `${c}.command[0]`,
                    prefix: "",
                    fileName: "args.txt",
                    value: "sh",
                    base64: false,
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "containers", 0, "args", 0],
                    field: `${c}.args[0]`,
                    prefix: "",
                    fileName: "args.txt",
                    value: "-c",
                    base64: false,
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "initContainers", 0, "env", 0, "value"],
                    field: "spec.template.spec.initContainers[0].env[0].value",
                    prefix: "",
                    fileName: "env.txt",
                    value: "n",
                    base64: false,
                    name: undefined,
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "initContainers", 0, "args", 0],
                    field: "spec.template.spec.initContainers[0].args[0]",
                    prefix: "",
                    fileName: "args.txt",
                    value: 1,
                    base64: false,
                },
                {
                    role: "plain-value",
                    path: ["spec", "template", "spec", "ephemeralContainers", 0, "command", 0],
                    field: "spec.template.spec.ephemeralContainers[0] (dbg).command[0]",
                    prefix: "",
                    fileName: "args.txt",
                    value: "x",
                    base64: false,
                },
            ]);
        });

        it("every pod-bearing kind reaches its containers", () => {
            const pod = { containers: [{ name: "c", env: [{ name: "X", value: "v" }] }] };
            const cases: [string, object, string][] = [
                ["kubernetes:core/v1:Pod", { spec: pod }, "spec"],
                ["kubernetes:batch/v1:Job", { spec: { template: { spec: pod } } }, "spec.template.spec"],
                [
                    "kubernetes:batch/v1:CronJob",
                    { spec: { jobTemplate: { spec: { template: { spec: pod } } } } },
                    "spec.jobTemplate.spec.template.spec",
                ],
                [
                    "kubernetes:argoproj.io/v1alpha1:Rollout",
                    { spec: { template: { spec: pod } } },
                    "spec.template.spec",
                ],
                [
                    "kubernetes:argoproj.io/v1alpha1:Experiment",
                    { spec: { templates: [{ template: { spec: pod } }] } },
                    "spec.templates[0].template.spec",
                ],
            ];
            for (const [type, props, at] of cases) {
                assert.deepEqual(
                    slots(type, props).slots.map((s) => s.field),
                    [`${at}.containers[0] (c).env[0] (X).value`],
                    type,
                );
            }
        });

        it("notes what is unknown during preview, field by field", () => {
            const u = UNKNOWN_STRING;
            const dep = {
                metadata: { name: "d", annotations: u },
                spec: {
                    template: {
                        spec: {
                            containers: [
                                {
                                    name: "a",
                                    env: [{ name: "X", value: u }],
                                    command: u,
                                    args: ["ok"],
                                },
                                { name: "b", env: u },
                            ],
                            initContainers: u,
                        },
                    },
                },
            };
            const r = slots("kubernetes:apps/v1:Deployment", dep, true);
            const c = "spec.template.spec.containers";
            assert.deepEqual(r.unknown, [
                "metadata.annotations",
                `${c}[0] (a).env[0] (X).value`,
                `${c}[0] (a).command`,
                `${c}[1] (b).env`,
                "spec.template.spec.initContainers",
            ]);
            assert.deepEqual(
                r.slots.map((s) => s.field),
                [`${c}[0] (a).args[0]`],
            );
            const cm = slots(CONFIGMAP_T, { metadata: { name: "c" }, data: { a: u, b: "x" } }, true);
            assert.deepEqual(cm.unknown, ["data.a"]);
            assert.deepEqual(
                cm.slots.map((s) => s.field),
                ["data.b"],
            );
            const whole = slots(SECRET_T, { metadata: u }, true);
            assert.deepEqual(whole.unknown, ["metadata.annotations"]);
            const spec = slots("kubernetes:apps/v1:Deployment", { spec: { template: u } }, true);
            assert.deepEqual(spec.unknown, ["spec.template"]);
        });

        it("an entry of a list unknown during preview is noted by its own path; the entries after it are walked", () => {
            const u = UNKNOWN_STRING;
            const c = "spec.template.spec.containers";
            const dep = {
                spec: {
                    template: {
                        spec: {
                            containers: [
                                { name: "a", env: [u, { name: "X", value: "x" }], args: [u, "y"], command: [u] },
                                u,
                                { name: "c", args: ["z"] },
                            ],
                        },
                    },
                },
            };
            const r = slots("kubernetes:apps/v1:Deployment", dep, true);
            assert.deepEqual(r.unknown, [
                `${c}[0] (a).env[0]`,
                `${c}[0] (a).command[0]`,
                `${c}[0] (a).args[0]`,
                `${c}[1]`,
            ]);
            assert.deepEqual(
                r.slots.map((s) => s.field),
                [`${c}[0] (a).env[1] (X).value`, `${c}[0] (a).args[1]`, `${c}[2] (c).args[0]`],
            );
            const T = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
            const analysis = slots(
                T,
                {
                    spec: {
                        args: [u, { name: "a", value: "v" }],
                        metrics: [u, { name: "m", provider: { web: { headers: [u, { key: "H", value: "h" }] } } }],
                    },
                },
                true,
            );
            assert.deepEqual(analysis.unknown, [
                "spec.metrics[0]",
                "spec.args[0]",
                "spec.metrics[0]",
                "spec.metrics[1] (m).provider.web.headers[0]",
            ]);
            assert.deepEqual(
                analysis.slots.map((s) => s.field),
                ["spec.args[1] (a).value", "spec.metrics[1] (m).provider.web.headers[1] (H).value"],
            );
            const chart = slots("kubernetes:helm.sh/v4:Chart", { values: { list: [u, "x"] } }, true);
            assert.deepEqual(chart.unknown, ["values.list[0]"]);
            assert.deepEqual(
                chart.slots.map((s) => s.field),
                ["values.list[1]"],
            );
            const build = slots("docker-build:index:Image", { registries: [u, { password: "p" }] }, true);
            assert.deepEqual(build.unknown, ["registries[0]"]);
            assert.deepEqual(
                build.slots.map((s) => s.field),
                ["registries[1].password"],
            );
        });

        it("list objects: each item by its kind, named from the list; a list too deep is unchecked", () => {
            const list = {
                apiVersion: "v1",
                kind: "List",
                items: [
                    { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { t: "x" } },
                    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { k: "y" } },
                ],
            };
            const r = slots("kubernetes:core/v1:List", list);
            assert.deepEqual(
                r.slots.map((s) => [s.role, s.field, s.path]),
                [
                    ["secret-value", "items[0] (Secret).stringData.t", ["items", 0, "stringData", "t"]],
                    ["plain-value", "items[1] (ConfigMap).data.k", ["items", 1, "data", "k"]],
                ],
            );
            let deep: Record<string, unknown> = { apiVersion: "v1", kind: "Secret", stringData: { t: "x" } };
            for (let i = 0; i <= MAX_LIST_DEPTH; i++) deep = { apiVersion: "v1", kind: "List", items: [deep] };
            const d = slots("kubernetes:core/v1:List", deep);
            assert.deepEqual(d.slots, []);
            assert.equal(d.unchecked.length, 1);
            assert.match(
                d.unchecked[0],
                new RegExp(
                    `^items\\[0\\].* \\(List\\) is a list nested more than ${MAX_LIST_DEPTH} lists deep, so it is not checked for credentials\\. Flatten the list\\.$`,
                ),
            );
            const unknownItem = slots(
                "kubernetes:core/v1:List",
                { apiVersion: "v1", kind: "List", items: [UNKNOWN_STRING] },
                true,
            );
            assert.deepEqual(unknownItem.unknown, ["items[0]"]);
        });

        it("Helm values: every string leaf, with its key for context; secrets; the repository password", () => {
            const token = new Secret("t");
            const props = {
                values: { a: { b: "x", n: 3, t: token }, list: ["y", { "c.d": "z" }], nil: null },
                repositoryOpts: { password: "p" },
            };
            const r = slots("kubernetes:helm.sh/v3:Release", props);
            assert.deepEqual(r.slots, [
                {
                    role: "chart-value",
                    path: ["values", "a", "b"],
                    field: "values.a.b",
                    prefix: "b: ",
                    fileName: "values.yaml",
                    value: "x",
                    base64: false,
                },
                {
                    role: "chart-value",
                    path: ["values", "a", "t"],
                    field: "values.a.t",
                    prefix: "t: ",
                    fileName: "values.yaml",
                    value: token,
                    base64: false,
                },
                {
                    role: "chart-value",
                    path: ["values", "list", 0],
                    field: "values.list[0]",
                    prefix: "list: ",
                    fileName: "values.yaml",
                    value: "y",
                    base64: false,
                },
                {
                    role: "chart-value",
                    path: ["values", "list", 1, "c.d"],
                    field: 'values.list[1]["c.d"]',
                    prefix: "c.d: ",
                    fileName: "values.yaml",
                    value: "z",
                    base64: false,
                },
                {
                    role: "secret-value",
                    path: ["repositoryOpts", "password"],
                    field: "repositoryOpts.password",
                    prefix: "password: ",
                    fileName: "value.txt",
                    value: "p",
                    base64: false,
                },
            ]);
            assert.deepEqual(slots("kubernetes:helm.sh/v3:Chart", { values: "top" }).slots[0].prefix, "values: ");
            assert.deepEqual(slots("kubernetes:helm.sh/v4:Chart", { repositoryOpts: { password: "" } }).slots, []);
        });

        it("Helm values: bounded in depth and in leaves", () => {
            let v: unknown = "leaf";
            for (let i = 0; i < 31; i++) v = { k: v };
            assert.equal(slots("kubernetes:helm.sh/v4:Chart", { values: v }).slots.length, 1, "32 levels deep");
            v = { k: v };
            assert.equal(slots("kubernetes:helm.sh/v4:Chart", { values: v }).slots.length, 0, "33 levels deep");
            const many = Array.from({ length: 5001 }, (_, i) => `v${i}`);
            assert.equal(slots("kubernetes:helm.sh/v4:Chart", { values: many }).slots.length, 5000);
        });

        it("Helm values and passwords unknown during preview", () => {
            const r = slots(
                "kubernetes:helm.sh/v4:Chart",
                { values: { a: UNKNOWN_STRING }, repositoryOpts: UNKNOWN_STRING },
                true,
            );
            assert.deepEqual(r.unknown, ["values.a", "repositoryOpts"]);
            const p = slots("kubernetes:helm.sh/v4:Chart", { repositoryOpts: { password: UNKNOWN_STRING } }, true);
            assert.deepEqual(p.unknown, ["repositoryOpts.password"]);
        });

        it("image builds: the one registry password, every registries[] password", () => {
            assert.deepEqual(
                slots("docker:index/image:Image", {
                    registry: { password: "p" },
                    registries: [{ password: "q" }],
                }).slots.map((s) => [s.role, s.field, s.path]),
                [["secret-value", "registry.password", ["registry", "password"]]],
            );
            assert.deepEqual(
                slots("docker-build:index:Image", {
                    registry: { password: "p" },
                    registries: [{ password: "q" }, {}, { password: "r" }],
                }).slots.map((s) => [s.field, s.path, s.prefix, s.fileName]),
                [
                    ["registries[0].password", ["registries", 0, "password"], "password: ", "value.txt"],
                    ["registries[2].password", ["registries", 2, "password"], "password: ", "value.txt"],
                ],
            );
            assert.deepEqual(slots("docker-build:index:Image", { registries: UNKNOWN_STRING }, true).unknown, [
                "registries",
            ]);
            assert.deepEqual(
                slots("docker-build:index:Image", { registries: [{ password: UNKNOWN_STRING }] }, true).unknown,
                ["registries[0].password"],
            );
            assert.deepEqual(slots("docker-build:index:Image", { registries: "x" }).slots, []);
        });

        it("a list item without a kind is an object: only its annotations", () => {
            const list = {
                apiVersion: "v1",
                kind: "List",
                items: [{ metadata: { annotations: { a: "x" } }, data: { b: "y" } }],
            };
            assert.deepEqual(
                slots("kubernetes:core/v1:List", list).slots.map((s) => s.field),
                ["items[0] (object).metadata.annotations.a"],
            );
        });

        it("null metadata and specs are nothing to check", () => {
            assert.deepEqual(slots(SECRET_T, { metadata: null, data: null, stringData: undefined }).slots, []);
            assert.deepEqual(
                slots("kubernetes:core/v1:Pod", { metadata: { annotations: null }, spec: null }).slots,
                [],
            );
        });

        it("nothing for types the policy does not know", () => {
            assert.deepEqual(slots("aws:s3/bucket:Bucket", { data: { a: "1" } }), {
                slots: [],
                unknown: [],
                unchecked: [],
            });
        });
    });

    describe("slots of Argo Rollouts analyses", () => {
        const analysis = (spec: unknown) => ({ metadata: { name: "a" }, spec });
        const T = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";

        it("args: literal values and Pulumi secrets, never valueFrom", () => {
            const s = new Secret("x");
            const r = slots(
                T,
                analysis({
                    args: [
                        { name: "a", value: "1" },
                        { name: "b", valueFrom: {} },
                        { value: s },
                        { name: "n", value: 3 },
                    ],
                }),
            );
            assert.deepEqual(r.slots, [
                {
                    role: "plain-value",
                    path: ["spec", "args", 0, "value"],
                    field: "spec.args[0] (a).value",
                    prefix: "a=",
                    fileName: "args.txt",
                    value: "1",
                    base64: false,
                    name: "a",
                },
                {
                    role: "plain-value",
                    path: ["spec", "args", 2, "value"],
                    field: "spec.args[2].value",
                    prefix: "",
                    fileName: "args.txt",
                    value: s,
                    base64: false,
                    name: undefined,
                },
            ]);
        });

        it("metrics: every provider string but the job's, headers under their own names", () => {
            const r = slots(
                T,
                analysis({
                    metrics: [
                        {
                            name: "web",
                            provider: {
                                web: {
                                    url: "https://x",
                                    headers: [
                                        { key: "Authorization", value: "Bearer {{args.t}}" },
                                        { key: "Accept", value: "json" },
                                        { key: "X-N", value: 3 },
                                    ],
                                    timeoutSeconds: 5,
                                },
                                job: { metadata: { labels: { a: "b" } } },
                            },
                        },
                        { provider: "x" },
                        "junk",
                    ],
                }),
            );
            const m = "spec.metrics[0] (web).provider.web";
            assert.deepEqual(r.slots, [
                {
                    role: "plain-value",
                    path: ["spec", "metrics", 0, "provider", "web", "url"],
                    field: `${m}.url`,
                    prefix: "url: ",
                    fileName: "metric.txt",
                    value: "https://x",
                    base64: false,
                    name: "url",
                },
                {
                    role: "plain-value",
                    path: ["spec", "metrics", 0, "provider", "web", "headers", 0, "value"],
                    field: `${m}.headers[0] (Authorization).value`,
                    prefix: "Authorization: ",
                    fileName: "headers.txt",
                    value: "Bearer {{args.t}}",
                    base64: false,
                    name: "Authorization",
                    credentialHeader: true,
                },
                {
                    role: "plain-value",
                    path: ["spec", "metrics", 0, "provider", "web", "headers", 1, "value"],
                    field: `${m}.headers[1] (Accept).value`,
                    prefix: "Accept: ",
                    fileName: "headers.txt",
                    value: "json",
                    base64: false,
                    name: "Accept",
                    credentialHeader: false,
                },
            ]);
        });

        it("a {key} object without a value is walked like any other", () => {
            const r = slots(T, analysis({ metrics: [{ provider: { p: { q: { key: "k", other: "o" } } } }] }));
            assert.deepEqual(
                r.slots.map((s) => [s.field, s.name]),
                [
                    ["spec.metrics[0].provider.p.q.key", "key"],
                    ["spec.metrics[0].provider.p.q.other", "other"],
                ],
            );
        });

        it("metric strings are bounded in depth", () => {
            let v: unknown = "leaf";
            for (let i = 0; i < 16; i++) v = [v];
            assert.equal(slots(T, analysis({ metrics: [{ provider: { p: v } }] })).slots.length, 1);
            v = [v];
            assert.equal(slots(T, analysis({ metrics: [{ provider: { p: v } }] })).slots.length, 0);
        });

        it("an argument named by a non-string has no name; a header needs a string key", () => {
            const r = slots(T, analysis({ args: [{ name: 7, value: "v" }] }));
            assert.deepEqual(
                r.slots.map((s) => [s.field, s.prefix, s.name]),
                [["spec.args[0].value", "", undefined]],
            );
            const h = slots(
                T,
                analysis({ metrics: [{ provider: { p: { q: { key: 5, value: "x" }, n: null, b: true } } }] }),
            );
            assert.deepEqual(
                h.slots.map((s) => [s.field, s.name, s.credentialHeader]),
                [["spec.metrics[0].provider.p.q.value", "value", undefined]],
            );
        });

        it("metric strings are bounded in depth through objects too", () => {
            let v: unknown = "leaf";
            for (let i = 0; i < 16; i++) v = { k: v };
            assert.equal(slots(T, analysis({ metrics: [{ provider: { p: v } }] })).slots.length, 1);
            v = { k: v };
            assert.equal(slots(T, analysis({ metrics: [{ provider: { p: v } }] })).slots.length, 0);
        });

        it("metric strings are bounded in number", () => {
            const many = Array.from({ length: 5010 }, (_, i) => `v${i}`);
            assert.equal(slots(T, analysis({ metrics: [{ provider: { p: many } }] })).slots.length, 5001);
        });

        it("all three analysis kinds; unknowns noted", () => {
            for (const k of ["AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"])
                assert.equal(
                    slots(`kubernetes:argoproj.io/v1alpha1:${k}`, analysis({ args: [{ value: "v" }] })).slots.length,
                    1,
                    k,
                );
            assert.equal(
                slots("kubernetes:argoproj.io/v1alpha1:Rollout", analysis({ args: [{ value: "v" }] })).slots.length,
                0,
            );
            const u = UNKNOWN_STRING;
            // The pod-spec walk (job metrics) notes it too.
            assert.deepEqual(slots(T, analysis(u), true).unknown, ["spec", "spec"]);
            assert.deepEqual(slots(T, analysis({ args: u, metrics: u }), true).unknown, [
                "spec.metrics",
                "spec.args",
                "spec.metrics",
            ]);
            assert.deepEqual(
                slots(
                    T,
                    analysis({
                        args: [{ name: "a", value: u }],
                        metrics: [
                            { name: "m", provider: u },
                            { provider: { web: { url: u, headers: [{ key: "H", value: u }] } } },
                        ],
                    }),
                    true,
                ).unknown,
                [
                    "spec.metrics[0].provider",
                    "spec.args[0] (a).value",
                    "spec.metrics[0] (m).provider",
                    "spec.metrics[1].provider.web.url",
                    "spec.metrics[1].provider.web.headers[0] (H).value",
                ],
            );
        });
    });

    describe("verdicts and messages", () => {
        const NOT_SECRET =
            "is not a Pulumi secret, so it is stored unencrypted in the Pulumi state and shown in preview diffs. " +
            "Read it with config.requireSecret()/getSecret() or wrap it in pulumi.secret().";
        const UNMARKED =
            "is a literal that nothing marks as a Pulumi secret (plain manifests carry no secretness). " +
            "Make sure it comes from Pulumi secret config or an external secret store, not from the repository.";
        const IN_SECRET_DATA =
            "Keep credentials out of manifests and code: set them as Pulumi secret config " +
            "(pulumi config set --secret) and build the Secret from config.requireSecret().";
        const PLAIN_CREDENTIAL =
            "Put the credential in Pulumi secret config, create a Secret from it and reference the Secret by name " +
            "(env[].valueFrom.secretKeyRef, envFrom[].secretRef, a secret volume, or the chart's existingSecret).";
        const SECRET_OUTSIDE =
            "holds a Pulumi secret: secrets reach the cluster only as Secret objects, referenced by name " +
            "(env[].valueFrom.secretKeyRef, envFrom[].secretRef or a secret volume).";
        const CHART_SECRET =
            "is a Pulumi secret handed to the chart, which decides where it lands (possibly a ConfigMap or a " +
            "literal env value). Prefer creating the Secret yourself and passing its name (e.g. existingSecret).";

        it("Secret data: not a secret per the engine, a credential, an unmarked literal; empty and non-strings pass", async () => {
            const s = { metadata: { name: "s", namespace: "ns" }, stringData: { a: "x", e: "" } };
            recordSecretPaths(s, []);
            assert.deepEqual(await run(SECRET_T, s), [`mandatory: Secret ns/s: stringData.a ${NOT_SECRET}`]);
            const token = githubToken();
            assert.deepEqual(await run(SECRET_T, { metadata: { name: "s" }, data: { t: b64(token) } }), [
                `mandatory: Secret s: data.t holds a literal GITHUB_TOKEN (secretlint rule github) (base64 is an encoding, not encryption). ${IN_SECRET_DATA}`,
            ]);
            assert.deepEqual(await run(SECRET_T, { metadata: { name: "s" }, stringData: { t: token } }), [
                `mandatory: Secret s: stringData.t holds a literal GITHUB_TOKEN (secretlint rule github). ${IN_SECRET_DATA}`,
            ]);
            assert.deepEqual(await run(SECRET_T, { metadata: { name: "s" }, stringData: { a: "x", e: "", n: 5 } }), [
                `advisory: Secret s: stringData.a ${UNMARKED}`,
            ]);
            // Base64 that does not decode to text is an unmarked literal, not a credential.
            assert.deepEqual(await run(SECRET_T, { metadata: { name: "s" }, data: { a: "!!" } }), [
                `advisory: Secret s: data.a ${UNMARKED}`,
            ]);
        });

        it("Secret data is decoded once: a token encoded twice is an unmarked literal", async () => {
            const out = await run(SECRET_T, { metadata: { name: "s" }, data: { t: b64(b64(githubToken())) } });
            assert.deepEqual(out, [`advisory: Secret s: data.t ${UNMARKED}`]);
        });

        it("Secret stringData is not base64-decoded: an encoded token there is an unmarked literal", async () => {
            const out = await run(SECRET_T, { metadata: { name: "s" }, stringData: { t: b64(githubToken()) } });
            assert.deepEqual(out, [`advisory: Secret s: stringData.t ${UNMARKED}`]);
        });

        it("plain values: a credential, a base64-encoded credential (16 characters or more), a Pulumi secret", async () => {
            const token = githubToken();
            assert.deepEqual(await run(CONFIGMAP_T, { metadata: { name: "c" }, data: { t: token } }), [
                `mandatory: ConfigMap c: data.t holds a literal GITHUB_TOKEN (secretlint rule github). ${PLAIN_CREDENTIAL}`,
            ]);
            assert.deepEqual(await run(CONFIGMAP_T, { metadata: { name: "c" }, data: { t: b64(token) } }), [
                `mandatory: ConfigMap c: data.t holds a literal GITHUB_TOKEN (secretlint rule github). ${PLAIN_CREDENTIAL}`,
            ]);
            assert.deepEqual(await run(CONFIGMAP_T, { metadata: { name: "c" }, binaryData: { t: b64(token) } }), [
                `mandatory: ConfigMap c: binaryData.t holds a literal GITHUB_TOKEN (secretlint rule github) (base64 is an encoding, not encryption). ${PLAIN_CREDENTIAL}`,
            ]);
            assert.deepEqual(await run(CONFIGMAP_T, { metadata: { name: "c" }, data: { t: new Secret("x") } }), [
                `mandatory: ConfigMap c: data.t ${SECRET_OUTSIDE}`,
            ]);
            // Values that are not strings are not literals, even under a credential name.
            assert.deepEqual(
                await run(CONFIGMAP_T, { metadata: { name: "c" }, data: { t: 42, u: "plain", API_TOKEN: 42 } }),
                [],
            );
        });

        it("credential headers: a literal fails, a {{args.x}} reference passes", async () => {
            const props = (value: string, key = "X-API-Key") => ({
                metadata: { name: "a" },
                spec: { metrics: [{ name: "m", provider: { web: { headers: [{ key, value }] } } }] },
            });
            const T = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
            assert.deepEqual(await run(T, props(randomText(12))), [
                'mandatory: AnalysisTemplate a: spec.metrics[0] (m).provider.web.headers[0] (X-API-Key).value holds a literal credential in the "X-API-Key" header. Pass it as an analysis argument that reads a Secret (args[].valueFrom.secretKeyRef) and use {{args.<name>}} in the header.',
            ]);
            assert.deepEqual(await run(T, props("{{args.api-key}}")), []);
            assert.deepEqual(await run(T, props("Bearer {{args.token}}", "Authorization")), []);
            assert.equal((await run(T, props("session=abc", "Cookie"))).length, 1);
            assert.deepEqual(await run(T, props("abc", "Accept")), []);
        });

        it("credential-named literals are advisory; references and other names pass", async () => {
            const cm = (data: Record<string, string>) => ({ metadata: { name: "c" }, data });
            assert.deepEqual(await run(CONFIGMAP_T, cm({ API_TOKEN: "abc" })), [
                'advisory: ConfigMap c: data.API_TOKEN is named like a credential ("API_TOKEN") but holds a literal value. If it is a credential, reference a Secret instead (env[].valueFrom.secretKeyRef); if not, exempt the object or rename.',
            ]);
            assert.deepEqual(await run(CONFIGMAP_T, cm({ API_TOKEN: "${TOKEN}", LEVEL: "x" })), []);
            // Command arguments have no name.
            const pod = { metadata: { name: "p" }, spec: { containers: [{ name: "c", args: ["secret"] }] } };
            assert.deepEqual(await run("kubernetes:core/v1:Pod", pod), []);
        });

        it("charts: a Pulumi secret is advisory, a credential mandatory; the subject names the chart and namespace", async () => {
            assert.deepEqual(
                await run(
                    "kubernetes:helm.sh/v3:Release",
                    { namespace: "ns", values: { w: new Secret("x") } },
                    {},
                    "r",
                ),
                [`advisory: Helm release ns/r: values.w ${CHART_SECRET}`],
            );
            assert.deepEqual(await run("kubernetes:helm.sh/v3:Chart", { values: { w: githubToken() } }, {}, "c"), [
                `mandatory: Helm chart c: values.w holds a literal GITHUB_TOKEN (secretlint rule github). ${PLAIN_CREDENTIAL}`,
            ]);
            assert.deepEqual(
                await run("docker:index/image:Image", { registry: { password: new Secret("x") } }, {}, "img"),
                [],
            );
            const plain = { registry: { password: "pw" } };
            recordSecretPaths(plain, []);
            assert.deepEqual(await run("docker:index/image:Image", plain, {}, "img"), [
                `mandatory: Image build img: registry.password ${NOT_SECRET}`,
            ]);
        });

        it("exemptions downgrade to advisory with the justification; matched by kind, namespace and name", async () => {
            const config = { exemptions: [{ kind: "ConfigMap", namespace: "ns", name: "c", justification: "why" }] };
            const token = githubToken();
            assert.deepEqual(
                await run(CONFIGMAP_T, { metadata: { name: "c", namespace: "ns" }, data: { t: token } }, config),
                [
                    `advisory: exempt: why: ConfigMap ns/c: data.t holds a literal GITHUB_TOKEN (secretlint rule github). ${PLAIN_CREDENTIAL}`,
                ],
            );
            assert.equal(
                (
                    await run(CONFIGMAP_T, { metadata: { name: "c", namespace: "other" }, data: { t: token } }, config)
                )[0].slice(0, 10),
                "mandatory:",
            );
            // The name in metadata wins over the resource name.
            assert.equal(
                (
                    await run(
                        CONFIGMAP_T,
                        { metadata: { name: "c", namespace: "ns" }, data: { t: token } },
                        config,
                        "other",
                    )
                )[0].slice(0, 9),
                "advisory:",
            );
        });

        it("a list too deep is a violation; unknown fields are one advisory note, the first three named", async () => {
            let deep: Record<string, unknown> = { apiVersion: "v1", kind: "ConfigMap", data: {} };
            for (let i = 0; i <= MAX_LIST_DEPTH; i++) deep = { apiVersion: "v1", kind: "List", items: [deep] };
            const out = await run("kubernetes:core/v1:List", deep, {}, "l");
            assert.equal(out.length, 1);
            assert.match(out[0], /^mandatory: List l:  items\[0\]/);
            const u = UNKNOWN_STRING;
            const four = unknownCheckingProxy({
                metadata: { name: "c" },
                data: { a: u, b: u, c: u, d: u, e: "plain" },
            });
            assert.deepEqual(await run(CONFIGMAP_T, four), [
                "advisory: ConfigMap c: data.a, data.b, data.c and 1 more not known during preview, so not checked for credentials yet (checked again at update).",
            ]);
            const three = unknownCheckingProxy({ metadata: { name: "c" }, data: { a: u, b: u, c: u } });
            assert.deepEqual(await run(CONFIGMAP_T, three), [
                "advisory: ConfigMap c: data.a, data.b, data.c not known during preview, so not checked for credentials yet (checked again at update).",
            ]);
        });

        it("charts and image builds are exempted by their own kind, name and namespace", async () => {
            const values = { values: { w: githubToken() }, namespace: "ns" };
            const release = { exemptions: [{ kind: "Release", namespace: "ns", name: "r", justification: "why" }] };
            assert.match(
                (await run("kubernetes:helm.sh/v3:Release", values, release, "r"))[0],
                /^advisory: exempt: why: Helm release ns\/r: /,
            );
            assert.match(
                (await run("kubernetes:helm.sh/v4:Chart", values, release, "r"))[0],
                /^mandatory: Helm chart ns\/r: /,
            );
            const chart = { exemptions: [{ kind: "Chart", namespace: "ns", name: "r", justification: "why" }] };
            assert.match(
                (await run("kubernetes:helm.sh/v4:Chart", values, chart, "r"))[0],
                /^advisory: exempt: why: Helm chart ns\/r: /,
            );
            const noNs = { exemptions: [{ kind: "Chart", name: "r", justification: "why" }] };
            assert.match(
                (await run("kubernetes:helm.sh/v4:Chart", { values: values.values }, noNs, "r"))[0],
                /^advisory: exempt: why: Helm chart r: /,
            );
            const image = { exemptions: [{ kind: "Image", name: "img", justification: "why" }] };
            const plain = { registry: { password: "pw" } };
            recordSecretPaths(plain, []);
            assert.match(
                (await run("docker:index/image:Image", plain, image, "img"))[0],
                /^advisory: exempt: why: Image build img: /,
            );
        });

        it("a namespace that is not a string is no namespace, for the subject and for exemptions", async () => {
            const any = { exemptions: [{ kind: "Chart", name: "r", justification: "why" }] };
            const chart = { namespace: 5, values: { w: githubToken() } };
            assert.match(
                (await run("kubernetes:helm.sh/v4:Chart", chart, any, "r"))[0],
                /^advisory: exempt: why: Helm chart r: /,
            );
            const cm = { exemptions: [{ kind: "ConfigMap", name: "c", justification: "why" }] };
            const obj = { metadata: { name: "c", namespace: 5 }, data: { t: githubToken() } };
            assert.match((await run(CONFIGMAP_T, obj, cm))[0], /^advisory: exempt: why: ConfigMap c: /);
        });

        it("an argument without a name is never judged by the name pattern", async () => {
            const pod = { metadata: { name: "p" }, spec: { containers: [{ name: "c", args: ["x"] }] } };
            assert.deepEqual(await run("kubernetes:core/v1:Pod", pod, { sensitiveNamePattern: "fined$" }), []);
        });

        it("ignores other types and resources with nothing to check", async () => {
            assert.deepEqual(await run("aws:s3/bucket:Bucket", { data: { t: githubToken() } }), []);
            assert.deepEqual(await run(CONFIGMAP_T, { metadata: { name: "c" } }), []);
        });

        it("never shows a value", async () => {
            const hook = slackWebhookUrl();
            const out = await run(CONFIGMAP_T, { metadata: { name: "c" }, data: { u: hook } });
            assert.equal(out.length, 1);
            assert.ok(!out[0].includes(hook));
        });
    });
});
