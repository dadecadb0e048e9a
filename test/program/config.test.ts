/**
 * Stack configuration: `Pulumi.yaml`'s `config:` block, generated from CONFIG_KEYS (components/config/keys.ts), declares
 * the same keys; the offline tools apply the engine's rules to them (required keys, declared types, secrets) with the
 * engine's messages; values are validated with messages naming the stack key, what is allowed and the command (with
 * `--stack`) that fixes it; keys the program does not read are refused; the stack files load, differ where staging and
 * prod must differ, and hold no plaintext credential.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { SETTING_KEYS } from "../../components/config/keys";
import {
    booleanKey,
    ConfigKey,
    ConfigKeyFacts,
    enumKey,
    integerKey,
    stringListKey,
} from "../../components/config/kinds";
import { StackRef } from "../../components/config/messages";
import {
    CONFIG_KEYS,
    ConfigError,
    loadPlatformConfig,
    PlatformConfig,
    unknownConfigKeys,
} from "../../components/platformConfig";
import { loadProgramConfig } from "../../components/serviceConfig";
import { configReference } from "../../tools/configReference";
import { outputDetails } from "../../tools/mockRuntime";
import { projectDeclarations } from "../../tools/engineConfig";
import { loadStackConfig, takeConfigOption, UsageError } from "../../tools/stacks";
import { mockSession, PROJECT, stackSettings } from "../helpers/components";
import { REPO_ROOT, stackNames } from "../helpers/renderedStack";
import { basicAuthUrl, slackWebhookUrl } from "../policy-pack/secrets/fakeCredentials";

const KEYS: [string, ConfigKeyFacts][] = Object.entries(CONFIG_KEYS);
/** The keys loadPlatformConfig reads, each with its kind's parser. */
const SETTINGS: [string, ConfigKey<unknown>][] = Object.entries(SETTING_KEYS);
/** Keys Pulumi.yaml declares: all but those CONFIG_KEYS says why not. */
const DECLARED = KEYS.filter(([, s]) => s.undeclared === undefined);
/** The settings by key, for loops over the declaration. */
const byKey = (settings: PlatformConfig | undefined): Record<string, unknown> => ({ ...settings });
const REF: StackRef = { project: PROJECT, stack: "prod" };
/** The least a stack must set: the keys without a default. */
const REQUIRED = { "zdp:environment": "staging", "zdp:services": "[]" };

function readYaml(file: string): any {
    return parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));
}

/** A stack file's own settings for this project, keys without the `zdp:` prefix. */
function stackFileSettings(stack: string): Record<string, unknown> {
    const raw: Record<string, unknown> = readYaml(`Pulumi.${stack}.yaml`).config ?? {};
    return Object.fromEntries(
        Object.entries(raw)
            .filter(([k]) => k.startsWith(`${PROJECT}:`))
            .map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
    );
}

/** Loads a config map into the runtime and reads it with the program's loader; returns the loader's error, if any. */
function loadWith(
    config: Record<string, string>,
    secretKeys: string[] = [],
): { error?: Error; value?: ReturnType<typeof loadPlatformConfig> } {
    pulumi.runtime.setAllConfig(config, secretKeys);
    try {
        return { value: loadPlatformConfig(new pulumi.Config(PROJECT)) };
    } catch (e) {
        return { error: e as Error };
    }
}

/** A project directory holding only `Pulumi.yaml` and `Pulumi.<stack>.yaml` (text as given), for the engine's rules. */
function projectDir(projectYaml: string, stackYaml: string, stack = "dev"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-config-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectYaml);
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), stackYaml);
    return dir;
}

/** The UsageError message `loadStackConfig` throws for the project, or undefined when it loads. */
function engineError(projectYaml: string, stackYaml: string, stack = "dev"): string | undefined {
    const dir = projectDir(projectYaml, stackYaml, stack);
    try {
        loadStackConfig(dir, stack);
        return undefined;
    } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
        return e.message;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const PROJECT_YAML = (config: string) => `name: zdp\nruntime: nodejs\nconfig:\n${config}`;

describe("stack configuration", () => {
    before(async () => {
        await mockSession();
    });

    describe("Pulumi.yaml mirrors CONFIG_KEYS", () => {
        const project = readYaml("Pulumi.yaml");
        const declared: Record<string, any> = project.config ?? {};

        it("declares exactly the keys of CONFIG_KEYS, but those that say why not", () => {
            assert.equal(project.name, PROJECT);
            assert.deepEqual(Object.keys(declared).sort(), DECLARED.map(([k]) => k).sort());
            for (const [key, spec] of KEYS.filter(([, s]) => s.undeclared !== undefined)) {
                assert.ok((spec.undeclared ?? "").length > 20, `${key} says why it is not declared`);
            }
        });

        for (const [key, spec] of DECLARED) {
            it(`${key}: same type, items, description, default and secret flag`, () => {
                const decl = declared[key];
                assert.ok(decl && typeof decl === "object", `Pulumi.yaml does not declare ${key}`);
                assert.equal(decl.type, spec.type);
                assert.equal(decl.description, spec.description);
                assert.deepEqual(decl.default, spec.default);
                assert.equal(decl.secret === true, spec.secret === true, "secret flag");
                if (spec.type === "array") assert.deepEqual(decl.items, { type: spec.items ?? "string" });
                else assert.equal(decl.items, undefined);
                const known = new Set(["type", "description", "default", "secret", "items"]);
                assert.deepEqual(
                    Object.keys(decl).filter((k) => !known.has(k)),
                    [],
                    "fields Pulumi does not know",
                );
            });
        }

        it("passes the engine's own checks of a project file", () => {
            assert.deepEqual(projectDeclarations(PROJECT, project.config).errors, []);
        });

        it("requires environment and services (no default): a stack must say what it is and what it runs", () => {
            for (const key of ["environment", "services"]) {
                assert.equal(declared[key].default, undefined, key);
                assert.equal(new Map(KEYS).get(key)?.default, undefined, key);
            }
        });

        it("gives secret keys no default (a default would be plain text, and the engine refuses it)", () => {
            for (const [key, spec] of KEYS.filter(([, s]) => s.secret)) {
                assert.equal(spec.default, undefined, key);
                assert.equal(declared[key]?.default, undefined, key);
            }
        });

        it("keeps every default valid under its own rules", () => {
            for (const [key, spec] of SETTINGS.filter(([, s]) => s.default !== undefined)) {
                const raw = typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
                const { value, errors } = spec.parse(REF, key, raw);
                assert.deepEqual(errors, [], key);
                // An empty default means "unset".
                assert.deepEqual(value, spec.default === "" ? undefined : spec.default, key);
            }
        });
    });

    describe("the engine's rules, applied by the offline tools", () => {
        it("a declared key without default that the stack does not set stops the load, as the CLI does", () => {
            const message = engineError(
                PROJECT_YAML("  kubeContext:\n    type: string\n  alertWebhookUrl:\n    type: string\n"),
                "config:\n  zdp:other: x\n",
            );
            // The first line is the CLI's (pulumi v3.274.1), word for word.
            assert.equal(
                message?.split("\n")[0],
                "validating stack config: Stack 'dev' is missing configuration values 'alertWebhookUrl' and 'kubeContext'",
            );
            assert.match(message ?? "", /pulumi config set --stack dev zdp:kubeContext <value>/);
            assert.match(message ?? "", /pulumi config set --stack dev zdp:alertWebhookUrl <value>/);
            const one = engineError(PROJECT_YAML("  a:\n    description: untyped\n"), "config:\n  zdp:b: x\n");
            assert.equal(
                one?.split("\n")[0],
                "validating stack config: Stack 'dev' is missing configuration value 'a'",
            );
        });

        it("the repository's stacks set every required key; an empty or mistyped stack does not", () => {
            for (const stack of stackNames()) assert.ok(loadStackConfig(REPO_ROOT, stack).config["zdp:environment"]);
            const projectYaml = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
            const prod = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8");
            const typo = engineError(projectYaml, prod.replace("zdp:environment:", "zdp:Environment:"), "prod");
            assert.equal(
                typo?.split("\n")[0],
                "validating stack config: Stack 'prod' is missing configuration value 'environment'",
            );
            assert.match(typo ?? "", /pulumi config set --stack prod zdp:environment <value>/);
            const noServices = parse(prod);
            delete noServices.config["zdp:services"];
            assert.match(
                engineError(projectYaml, stringify(noServices), "prod") ?? "",
                /missing configuration value 'services'\n {2}set it with: pulumi config set --stack prod --path 'zdp:services\[0\]'/,
            );
        });

        it("an empty stack file, or one whose config is not a mapping, is an error, not a stack with defaults", () => {
            const projectYaml = PROJECT_YAML("  a:\n    type: string\n    default: x\n");
            for (const empty of ["", "# nothing\n", "config:\n", "encryptionsalt: v1:abc\n"]) {
                assert.match(
                    engineError(projectYaml, empty) ?? "",
                    /^Pulumi\.dev\.yaml sets no configuration: .*pulumi config set --stack dev zdp:environment/,
                    JSON.stringify(empty),
                );
            }
            assert.match(
                engineError(projectYaml, "config:\n  - zdp:a\n") ?? "",
                /^Pulumi\.dev\.yaml: config must be a mapping of keys to values \(got a list\)/,
            );
            assert.match(engineError(projectYaml, "- a\n") ?? "", /config must be a mapping/);
        });

        it("refuses a value of the wrong declared type with the CLI's message, the stack key and the fix", () => {
            const projectYaml = PROJECT_YAML(
                [
                    "  n:\n    type: integer\n    default: 1",
                    "  b:\n    type: boolean\n    default: false",
                    "  s:\n    type: string\n    default: x",
                    "  l:\n    type: array\n    items:\n      type: string\n    default: []",
                    "  o:\n    type: object\n    default: {}",
                ].join("\n") + "\n",
            );
            const cases: [string, string, RegExp][] = [
                [
                    "zdp:n: many",
                    "n' must be of type 'integer'",
                    /config zdp:n must be an integer \(got "many"\); fix it with: pulumi config set --stack dev zdp:n <value>/,
                ],
                ["zdp:b: maybe", "b' must be of type 'boolean'", /config zdp:b must be true or false/],
                ["zdp:s: {a: 1}", "s' must be of type 'string'", /config zdp:s must be a string/],
                ['zdp:l: "[\\"x\\"]"', "l' must be of type 'array<string>'", /--path 'zdp:l\[0\]'/],
                ["zdp:l: [1]", "l' must be of type 'array<string>'", /a list of strings/],
                ["zdp:o: [1]", "o' must be of type 'object'", /an object/],
            ];
            for (const [line, cli, detail] of cases) {
                const message = engineError(projectYaml, `config:\n  ${line}\n`) ?? "";
                assert.equal(
                    message.split("\n")[0],
                    `validating stack config: Stack 'dev' with configuration key '${cli}`,
                    line,
                );
                assert.match(message, detail, line);
            }
            // Primitives are strings to the engine: 5 is a valid string, "5" a valid integer, "true" a boolean.
            assert.equal(engineError(projectYaml, 'config:\n  zdp:s: 5\n  zdp:n: "5"\n  zdp:b: "true"\n'), undefined);
        });

        it("a key declared secret must be encrypted, and the message never shows it", () => {
            const projectYaml = PROJECT_YAML("  token:\n    type: string\n    secret: true\n");
            const message = engineError(projectYaml, "config:\n  zdp:token: hunter2-plain\n") ?? "";
            assert.equal(
                message.split("\n")[0],
                "validating stack config: Stack 'dev' with configuration key 'token' must be encrypted as it's secret",
            );
            assert.match(message, /pulumi config set --stack dev --secret zdp:token <value>/);
            assert.ok(!message.includes("hunter2-plain"));
            assert.equal(engineError(projectYaml, "config:\n  zdp:token:\n    secure: v1:abc\n"), undefined);
        });

        it("refuses a Pulumi.yaml the engine refuses: unknown type, array without items, default of another type", () => {
            assert.match(
                engineError(PROJECT_YAML("  a:\n    type: map\n"), "config:\n  zdp:a: x\n") ?? "",
                /value must be one of "string", "integer", "boolean", "array", "object"/,
            );
            assert.match(
                engineError(PROJECT_YAML("  a:\n    type: array\n    default: []\n"), "config:\n  zdp:a: x\n") ?? "",
                /The configuration key 'a' declares an array but does not specify the underlying type via the 'items' attribute/,
            );
            assert.match(
                engineError(PROJECT_YAML("  a:\n    type: integer\n    default: x\n"), "config:\n  zdp:a: 1\n") ?? "",
                /The default value specified for configuration key 'a' is not of the expected type 'integer'/,
            );
            assert.match(
                engineError(PROJECT_YAML("  a:\n    type: string\n    required: true\n"), "config:\n  zdp:a: x\n") ??
                    "",
                /'required' not allowed/,
            );
        });

        it("--set takes JSON for list and object keys; --set-secret marks the key secret", () => {
            const overrides = {};
            assert.equal(takeConfigOption("--set", 'ingressHosts=["a.example.com"]', overrides), true);
            assert.equal(takeConfigOption("--set-secret", "alertWebhookUrl=https://h.example.test/x", overrides), true);
            assert.equal(takeConfigOption("--stack", "prod", overrides), false);
            const loaded = loadStackConfig(REPO_ROOT, "staging", overrides);
            assert.equal(loaded.config["zdp:ingressHosts"], '["a.example.com"]');
            assert.ok(loaded.secretKeys.includes("zdp:alertWebhookUrl"));
            assert.throws(
                () => takeConfigOption("--set", "istiodReplicas", {}),
                /--set takes KEY=VALUE \(got "istiodReplicas"\)/,
            );
            assert.throws(
                () => takeConfigOption("--set-secret", "https://h.example.test/s3cr3t", {}),
                (e: Error) => e instanceof UsageError && !e.message.includes("s3cr3t"),
            );
        });
    });

    describe("the offline preview (npm start) takes --set and --set-secret as the render does", () => {
        const preview = (args: string[]) =>
            spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "tools/previewOffline.ts"), ...args], {
                cwd: REPO_ROOT,
                encoding: "utf8",
                timeout: 120_000,
            });

        it("an override reaches the program's checks: exit 2, the stack key named, no stack trace", function () {
            this.timeout(180_000);
            const typo = preview(["--stack", "staging", "--set", "Environment=prod"]);
            assert.equal(typo.status, 2, typo.stderr);
            assert.match(
                typo.stderr,
                /config zdp:Environment is not a key of this program \(did you mean zdp:environment\?\)/,
            );
            assert.doesNotMatch(typo.stderr, /\n\s+at /);
            const secret = preview([
                "--stack",
                "staging",
                "--set-secret",
                "alertWebhookUrl=http://hooks.example.test/s3cr3t",
            ]);
            assert.equal(secret.status, 2, secret.stderr);
            assert.match(secret.stderr, /config zdp:alertWebhookUrl must be an absolute https URL/);
            assert.ok(!(secret.stdout + secret.stderr).includes("s3cr3t"), "the secret is never printed");
            const usage = preview(["--stack", "staging", "--set", "istiodReplicas"]);
            assert.equal(usage.status, 2);
            assert.match(
                usage.stderr,
                /--set takes KEY=VALUE \(got "istiodReplicas"\)\nusage: npm run preview:offline/,
            );
        });
    });

    describe("the key kinds' parsers", () => {
        const LIST = stringListKey({ description: "", default: [] });

        it("parses every kind", () => {
            const int = integerKey({ description: "", default: 1, min: 1, max: 5 });
            assert.deepEqual(int.parse(REF, "n", "3"), { value: 3, errors: [] });
            assert.deepEqual(booleanKey({ description: "", default: true }).parse(REF, "b", "false"), {
                value: false,
                errors: [],
            });
            assert.deepEqual(LIST.parse(REF, "a", '["x","y"]'), { value: ["x", "y"], errors: [] });
            assert.deepEqual(enumKey({ description: "", allowed: ["a", "b"] }).parse(REF, "s", "b"), {
                value: "b",
                errors: [],
            });
        });

        it("names the stack key, the value given, the allowed range and the fix with --stack for a bad integer", () => {
            const spec = integerKey({ description: "", default: 1, min: 1, max: 10 });
            for (const raw of ["0", "11", "1.5", "three", "", "1e1"]) {
                const { errors } = spec.parse(REF, "istiodReplicas", raw);
                assert.deepEqual(errors, [
                    `config zdp:istiodReplicas must be an integer from 1 to 10 (got ${JSON.stringify(raw)}); ` +
                        "fix it with: pulumi config set --stack prod zdp:istiodReplicas <value>",
                ]);
            }
            assert.match(
                integerKey({ description: "", default: 0 }).parse(REF, "n", "x").errors[0] ?? "",
                /must be an integer \(got "x"\)/,
            );
        });

        it("names the key and the allowed values for booleans, lists and enumerations", () => {
            const bool = booleanKey({ description: "", default: false }).parse(REF, "serviceMonitors", "yes").errors;
            assert.match(bool[0] ?? "", /^config zdp:serviceMonitors must be true or false \(got "yes"\)/);
            for (const raw of ["HIGH", '{"a":1}', "[1, 2]", '["ok", 3]']) {
                const list = LIST.parse(REF, "scanSeverities", raw).errors;
                assert.match(
                    list[0] ?? "",
                    /^config zdp:scanSeverities must be a list of strings such as \["a", "b"\]/,
                    raw,
                );
                assert.match(list[0] ?? "", /--path 'zdp:scanSeverities\[0\]'/);
            }
            const spec = enumKey({ description: "", allowed: ["staging", "prod"] });
            assert.match(
                spec.parse(REF, "environment", "qa").errors[0] ?? "",
                /^config zdp:environment must be one of "staging", "prod" \(got "qa"\)/,
            );
        });

        it("names each bad item of a list by its index: zdp:scanSeverities[1], zdp:ingressHosts[0]", () => {
            const severities = CONFIG_KEYS.scanSeverities.parse(REF, "scanSeverities", '["HIGH","high","LOW"]');
            assert.equal(severities.value, undefined);
            assert.deepEqual(severities.errors, [
                'config zdp:scanSeverities[1] must be one of "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL" (got "high"); ' +
                    "fix it with: pulumi config set --stack prod --path 'zdp:scanSeverities[1]' <value>",
            ]);
            assert.match(
                CONFIG_KEYS.scanSeverities.parse(REF, "scanSeverities", "[]").errors[0],
                /zdp:scanSeverities must list at least 1/,
            );
            for (const host of ["", " ", "a..b", "*.", "https://a.example.com"]) {
                const { errors } = CONFIG_KEYS.ingressHosts.parse(
                    REF,
                    "ingressHosts",
                    JSON.stringify(["ok.example.com", host]),
                );
                assert.match(
                    errors[0] ?? "",
                    /^config zdp:ingressHosts\[1\] must be a host name/,
                    JSON.stringify(host),
                );
            }
            for (const host of ["*", "*.example.com", "shop.example.com"])
                assert.deepEqual(
                    CONFIG_KEYS.ingressHosts.parse(REF, "ingressHosts", JSON.stringify([host])).errors,
                    [],
                );
            assert.match(
                CONFIG_KEYS.scanExcludedNamespaces.parse(REF, "scanExcludedNamespaces", '["kube-system","Bad_NS"]')
                    .errors[0],
                /^config zdp:scanExcludedNamespaces\[1\] must be a DNS-1123 label/,
            );
        });

        it("runbookBaseUrl must be an http(s) URL, alertWebhookUrl an https URL whose value is never shown", () => {
            for (const bad of [
                "README.md",
                "ftp://git.example.com/x",
                "javascript:alert(1)",
                "https://",
                "http://a b",
            ]) {
                assert.match(
                    CONFIG_KEYS.runbookBaseUrl.parse(REF, "runbookBaseUrl", bad).errors[0] ?? "",
                    /^config zdp:runbookBaseUrl must be an absolute http\(s\) URL/,
                    bad,
                );
            }
            assert.deepEqual(CONFIG_KEYS.runbookBaseUrl.parse(REF, "runbookBaseUrl", "").value, undefined);
            for (const bad of ["http://hooks.example.test/s3cr3t", "hooks.example.test/s3cr3t", "s3cr3t"]) {
                const [error] = CONFIG_KEYS.alertWebhookUrl.parse(REF, "alertWebhookUrl", bad).errors;
                assert.match(
                    error ?? "",
                    /^config zdp:alertWebhookUrl must be an absolute https URL \(the value is not shown/,
                );
                assert.match(error, /pulumi config set --stack prod --secret zdp:alertWebhookUrl <value>/);
                assert.ok(!error.includes("s3cr3t"), error);
            }
        });

        // Derived from the declaration, so that every key added later is covered too.
        for (const [key, spec] of SETTINGS.filter(([, s]) => !s.secret)) {
            const bad =
                spec.type === "integer"
                    ? String((spec.max ?? 1e9) + 1)
                    : spec.type === "boolean"
                      ? "maybe"
                      : spec.type === "array" || spec.type === "object"
                        ? "not-a-structure"
                        : spec.allowed
                          ? "not-an-allowed-value"
                          : spec.format
                            ? "Not Valid!"
                            : undefined;
            if (bad === undefined) continue; // free-form strings accept anything
            it(`rejects a bad ${key}, naming zdp:${key}, what is allowed and the fix with --stack`, () => {
                const { value, errors } = spec.parse(REF, key, bad);
                assert.equal(value, undefined);
                assert.equal(errors.length, 1);
                assert.ok(errors[0].startsWith(`config ${PROJECT}:${key} must be `), errors[0]);
                assert.match(errors[0], /; fix it with: pulumi config set --stack prod /);
                for (const allowed of spec.allowed ?? [])
                    assert.ok(errors[0].includes(`"${allowed}"`), `${errors[0]} lists ${allowed}`);
                if (spec.min !== undefined) assert.ok(errors[0].includes(`from ${spec.min} to ${spec.max}`), errors[0]);
            });
        }
    });

    describe("loadPlatformConfig", () => {
        it("applies every default when the stack sets only the required keys (an empty default is unset)", () => {
            const { value, error } = loadWith(REQUIRED);
            assert.equal(error, undefined);
            for (const [key, spec] of KEYS.filter(([, s]) => s.default !== undefined && !s.readBy)) {
                const expected = spec.default === "" ? undefined : spec.default;
                assert.deepEqual(byKey(value)[key], expected, key);
            }
        });

        it("a required key left unset is an error naming it and the command, under any runtime", () => {
            const { error } = loadWith({});
            assert.ok(error instanceof ConfigError, String(error));
            assert.match(
                error.message,
                /config zdp:environment is not set, and has no default; fix it with: pulumi config set --stack test zdp:environment staging\|prod/,
            );
        });

        it("throws one ConfigError listing every bad key, without a stack trace in the message", () => {
            const { error } = loadWith({
                ...REQUIRED,
                "zdp:environment": "qa",
                "zdp:istiodReplicas": "0",
                "zdp:serviceMonitors": "on",
                "zdp:scanSeverities": "HIGH",
            });
            assert.ok(error instanceof ConfigError, String(error));
            assert.ok(pulumi.RunError.isInstance(error), "RunError: the CLI prints the message only");
            for (const key of ["environment", "istiodReplicas", "serviceMonitors", "scanSeverities"]) {
                assert.ok(
                    error.message.includes(`config zdp:${key} must be`),
                    `${key} missing from:\n${error.message}`,
                );
            }
            assert.equal(error.message.split("\n  - ").length, 5);
            assert.ok(!/\n\s+at /.test(error.message));
        });

        it("reads a secret key as a secret Output, and leaves it undefined when unset", async () => {
            for (const [key] of KEYS.filter(([, s]) => s.secret)) {
                const off = loadWith(REQUIRED);
                assert.equal(byKey(off.value)[key], undefined, key);
                const on = loadWith({ ...REQUIRED, [`zdp:${key}`]: "https://hooks.example.test/s3cr3t" }, [
                    `zdp:${key}`,
                ]);
                const secret = byKey(on.value)[key];
                assert.ok(pulumi.Output.isInstance(secret), `${key} is an Output`);
                const details = await outputDetails(secret);
                assert.equal(details.isSecret, true, key);
                assert.equal(details.value, "https://hooks.example.test/s3cr3t");
            }
        });

        it("refuses a secret key stored in plain text (it is a credential in the stack file), never showing it", () => {
            for (const [key] of KEYS.filter(([, s]) => s.secret)) {
                const { error } = loadWith({ ...REQUIRED, [`zdp:${key}`]: "https://hooks.example.test/s3cr3t" });
                assert.ok(error instanceof ConfigError, key);
                assert.match(
                    error.message,
                    new RegExp(
                        `config zdp:${key} is stored in plain text.*pulumi config set --stack test --secret zdp:${key} <value>`,
                    ),
                );
                assert.ok(!error.message.includes("s3cr3t"));
            }
        });
    });

    describe("keys the program does not read", () => {
        it("each is named with the closest known key and the command that removes it", () => {
            const errors = unknownConfigKeys(REF, [
                "zdp:istiodReplica",
                "zdp:Environment",
                "zdp:zzzzzzzzzzzz",
                "kubernetes:context",
                "zdp:services",
            ]);
            assert.deepEqual(errors.slice(0, 2), [
                "config zdp:Environment is not a key of this program (did you mean zdp:environment?); remove it with: pulumi config rm --stack prod zdp:Environment",
                "config zdp:istiodReplica is not a key of this program (did you mean zdp:istiodReplicas?); remove it with: pulumi config rm --stack prod zdp:istiodReplica",
            ]);
            assert.match(
                errors[2],
                /^config zdp:zzzzzzzzzzzz is not a key of this program \(the keys are: environment, /,
            );
            assert.equal(errors.length, 3, "other namespaces and known keys pass");
            assert.deepEqual(
                unknownConfigKeys(REF, ["zdp:checkoutDbPassword"], ["checkoutDbPassword"]),
                [],
                "secretEnv keys are read",
            );
        });

        it("fail the program itself (so pulumi preview fails too), with every other problem at once", async () => {
            await mockSession({
                stack: "prod",
                config: { ...REQUIRED, "zdp:Environment": "prod", "zdp:istiodReplicas": "0" },
            });
            assert.throws(
                () => loadProgramConfig(new pulumi.Config(PROJECT)),
                (e: Error) =>
                    e instanceof ConfigError &&
                    e.message.includes(
                        "config zdp:Environment is not a key of this program (did you mean zdp:environment?)",
                    ) &&
                    e.message.includes("config zdp:istiodReplicas must be an integer"),
            );
            await mockSession();
        });
    });

    describe("the stack files", () => {
        const stacks = stackNames();

        it("are staging and prod", () => {
            assert.deepEqual(stacks, ["prod", "staging"]);
        });

        it("the configuration reference (docs/reference/config.md) shows what each stack file sets, per key", async () => {
            const lines = (await configReference()).split("\n");
            assert.ok(lines.includes(`| key | type | default | secret | ${stacks.join(" | ")} | description |`));
            const cells = (key: string) =>
                (lines.find((l) => l.startsWith(`| \`${key}\` |`)) ?? "").split(" | ").map((c) => c.trim());
            for (const [key] of KEYS) {
                assert.ok(cells(key).length > 1, `${key} has a row`);
                stacks.forEach((stack, i) => {
                    const own = stackFileSettings(stack)[key];
                    const cell = cells(key)[4 + i];
                    if (own === undefined) assert.equal(cell, "", `${stack} keeps the default of ${key}`);
                    else if (typeof own !== "object") assert.equal(cell, `\`${String(own)}\``, `${stack} ${key}`);
                    else assert.notEqual(cell, "", `${stack} sets ${key}`);
                });
            }
        });

        for (const stack of stacks) {
            it(`${stack}: sets only keys the program reads, and its own environment`, () => {
                const settings = stackFileSettings(stack);
                // Keys a service names in `secretEnv` are the program's too (README: Secrets).
                const services = (settings.services ?? []) as { secretEnv?: Record<string, string> }[];
                const referenced = services.flatMap((svc) => Object.values(svc.secretEnv ?? {}));
                assert.deepEqual(
                    unknownConfigKeys(
                        REF,
                        Object.keys(settings).map((k) => `${PROJECT}:${k}`),
                        referenced,
                    ),
                    [],
                );
                assert.equal(settings.environment, stack);
            });

            it(`${stack}: loads with the program's loaders`, async () => {
                const { settings, config, secretKeys } = stackSettings(stack);
                assert.equal(settings.environment, stack);
                await mockSession({ config, secretKeys, stack });
                const program = loadProgramConfig(new pulumi.Config(PROJECT));
                assert.equal(program.settings.environment, stack);
                await mockSession();
            });
        }

        const staging = () => stackSettings("staging").settings;
        const prod = () => stackSettings("prod").settings;

        it("prod runs HA controllers, staging single replicas", () => {
            const s = staging();
            const p = prod();
            for (const key of ["istiodReplicas", "gatewayReplicas", "rolloutsControllerReplicas"] as const) {
                assert.equal(s[key], 1, `staging ${key}`);
                assert.ok(p[key] >= 2, `prod ${key} is ${p[key]}`);
            }
        });

        it("prod turns on ServiceMonitors for the controllers, staging does not", () => {
            assert.equal(staging().serviceMonitors, false);
            assert.equal(prod().serviceMonitors, true);
        });

        it("alert outputs differ: staging forwards lower Falco priorities than prod", () => {
            const order = CONFIG_KEYS.falcoMinimumPriority.allowed; // most severe first
            const s = staging().falcoMinimumPriority;
            const p = prod().falcoMinimumPriority;
            assert.ok(order.indexOf(s) > order.indexOf(p), `staging ${s}, prod ${p}`);
        });

        it("scan thresholds differ: prod reports more severities and scans more at once", () => {
            const s = staging();
            const p = prod();
            assert.ok(
                s.scanSeverities.every((x) => p.scanSeverities.includes(x)),
                "prod reports everything staging does",
            );
            assert.ok(p.scanSeverities.length > s.scanSeverities.length, "and more");
            assert.ok(p.scanConcurrency > s.scanConcurrency);
        });

        it("each stack sets, rather than inherits, the settings that must differ", () => {
            for (const stack of stacks) {
                const own = stackFileSettings(stack);
                for (const key of [
                    "environment",
                    "istiodReplicas",
                    "rolloutsControllerReplicas",
                    "falcoMinimumPriority",
                    "scanSeverities",
                ]) {
                    assert.ok(key in own, `Pulumi.${stack}.yaml should set ${key}`);
                }
            }
        });
    });

    describe("no plaintext credentials", () => {
        const files = ["Pulumi.yaml", ...stackNames().map((s) => `Pulumi.${s}.yaml`)];
        /** Key names that hold credentials. */
        const CREDENTIAL_KEY = /(password|passwd|secret|token|api[-_]?key|credential|private[-_]?key|webhook)/i;
        /** Values that look like credentials whatever their key. */
        const CREDENTIAL_VALUE: [string, RegExp][] = [
            ["URL with user info", /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
            ["Slack webhook", /hooks\.slack\.com\/services\//i],
            ["Slack token", /xox[abprs]-[0-9A-Za-z-]{10,}/],
            ["AWS access key", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
            ["GitHub token", /\bgh[pousr]_[0-9A-Za-z]{30,}\b/],
            ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
            ["JWT", /\beyJ[0-9A-Za-z_-]{10,}\.[0-9A-Za-z_-]{10,}\./],
        ];

        function leaves(v: unknown, at: string, out: [string, string][] = [], depth = 0): [string, string][] {
            if (depth > 20) throw new Error(`${at}: nested too deeply`);
            if (v !== null && typeof v === "object") {
                for (const [k, x] of Object.entries(v)) leaves(x, `${at}.${k}`, out, depth + 1);
            } else if (v !== undefined && v !== null) {
                out.push([at, String(v)]);
            }
            return out;
        }

        for (const file of files) {
            it(`${file}: no credential-looking value`, () => {
                const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
                for (const [what, re] of CREDENTIAL_VALUE) assert.ok(!re.test(text), `${file} contains a ${what}`);
            });
        }

        for (const stack of stackNames()) {
            it(`Pulumi.${stack}.yaml: secret and credential-named keys are set only as secure values`, () => {
                const raw: Record<string, unknown> = readYaml(`Pulumi.${stack}.yaml`).config ?? {};
                const secretKeys = new Set(KEYS.filter(([, s]) => s.secret).map(([k]) => `${PROJECT}:${k}`));
                for (const [key, value] of Object.entries(raw)) {
                    const isSecure =
                        value !== null &&
                        typeof value === "object" &&
                        Object.keys(value).length === 1 &&
                        "secure" in value;
                    if (secretKeys.has(key) || CREDENTIAL_KEY.test(key)) {
                        assert.ok(isSecure, `${key} must be set with pulumi config set --secret`);
                    }
                    if (isSecure) continue;
                    for (const [at, leaf] of leaves(value, key)) {
                        const leafKey = at.split(".").pop() ?? "";
                        assert.ok(!CREDENTIAL_KEY.test(leafKey), `${at} looks like a credential; use a secure value`);
                        // A long random-looking string is a key or token, not a setting.
                        assert.ok(!/^[A-Za-z0-9+/=_-]{32,}$/.test(leaf), `${at} looks like a token`);
                    }
                }
                // The offline render stands in for secure values; make sure that is how they are read.
                const loaded = loadStackConfig(REPO_ROOT, stack);
                for (const key of loaded.secretKeys) assert.ok(key in raw, key);
            });
        }

        it("the credential checks catch a planted credential (so they can fail)", () => {
            // Assembled at run time: the repository itself must hold no credential-shaped string.
            const planted = `zdp:alertWebhookUrl: ${slackWebhookUrl()}`;
            assert.ok(CREDENTIAL_VALUE.some(([, re]) => re.test(planted)));
            assert.ok(CREDENTIAL_KEY.test("zdp:alertWebhookUrl"));
            assert.ok(CREDENTIAL_VALUE.some(([, re]) => re.test(`url: ${basicAuthUrl()}`)));
        });
    });
});
