/**
 * Stack configuration: `Pulumi.yaml`'s `config:` block and CONFIG_KEYS (components/platformConfig.ts) describe the
 * same keys; values are validated with messages naming the key and what is allowed; the stack files load, differ
 * where staging and prod must differ, and hold no plaintext credential.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    CONFIG_KEYS,
    ConfigError,
    ConfigKey,
    loadPlatformConfig,
    parseConfigValue,
} from "../components/platformConfig";
import { outputDetails } from "./tools/mockRuntime";
import { loadStackConfig } from "./tools/stacks";
import { mockSession, PROJECT, stackSettings } from "./helpers/components";
import { REPO_ROOT, stackNames } from "./helpers/renderedStack";
import { basicAuthUrl, slackWebhookUrl } from "./secrets/fakeCredentials";

const KEYS = Object.entries(CONFIG_KEYS) as [string, ConfigKey][];
/** Keys the program reads besides CONFIG_KEYS: structured lists described in the README. */
const STRUCTURED_KEYS = ["services"];

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

describe("stack configuration", () => {
    before(async () => {
        await mockSession();
    });

    describe("Pulumi.yaml mirrors CONFIG_KEYS", () => {
        const project = readYaml("Pulumi.yaml");
        const declared: Record<string, any> = project.config ?? {};

        it("declares exactly the keys of CONFIG_KEYS", () => {
            assert.equal(project.name, PROJECT);
            assert.deepEqual(Object.keys(declared).sort(), KEYS.map(([k]) => k).sort());
        });

        for (const [key, spec] of KEYS) {
            it(`${key}: same type, description, default and secret flag`, () => {
                const decl = declared[key];
                assert.ok(decl && typeof decl === "object", `Pulumi.yaml does not declare ${key}`);
                assert.equal(decl.type, spec.type);
                assert.equal(decl.description, spec.description);
                assert.deepEqual(decl.default, spec.default);
                assert.equal(decl.secret === true, spec.secret === true, "secret flag");
                if (spec.type === "array") assert.deepEqual(decl.items, { type: "string" });
                const known = new Set(["type", "description", "default", "secret", "items"]);
                assert.deepEqual(
                    Object.keys(decl).filter((k) => !known.has(k)),
                    [],
                    "fields Pulumi does not know",
                );
            });
        }

        it("gives secret keys no default (a default would be plain text in Pulumi.yaml)", () => {
            for (const [key, spec] of KEYS.filter(([, s]) => s.secret)) {
                assert.equal(spec.default, undefined, key);
                assert.equal(declared[key].default, undefined, key);
            }
        });

        it("keeps every default valid under its own rules", () => {
            for (const [key, spec] of KEYS.filter(([, s]) => s.default !== undefined)) {
                const raw = typeof spec.default === "string" ? spec.default : JSON.stringify(spec.default);
                const { value, error } = parseConfigValue(PROJECT, key, spec, raw);
                assert.equal(error, undefined, key);
                assert.deepEqual(value, spec.default, key);
            }
        });
    });

    describe("parseConfigValue", () => {
        it("parses every type", () => {
            const int: ConfigKey = { type: "integer", description: "", min: 1, max: 5 };
            assert.deepEqual(parseConfigValue("p", "n", int, "3"), { value: 3 });
            assert.deepEqual(parseConfigValue("p", "b", { type: "boolean", description: "" }, "false"), {
                value: false,
            });
            assert.deepEqual(parseConfigValue("p", "a", { type: "array", description: "" }, '["x","y"]'), {
                value: ["x", "y"],
            });
            assert.deepEqual(
                parseConfigValue("p", "s", { type: "string", description: "", allowed: ["a", "b"] }, "b"),
                {
                    value: "b",
                },
            );
        });

        it("names the key, the value given, the allowed range and the fix for a bad integer", () => {
            const spec: ConfigKey = { type: "integer", description: "", min: 1, max: 10 };
            for (const raw of ["0", "11", "1.5", "three", "", "1e1"]) {
                const { error } = parseConfigValue("zdp", "istiodReplicas", spec, raw);
                assert.equal(
                    error,
                    `config zdp:istiodReplicas must be an integer from 1 to 10 (got ${JSON.stringify(raw)}); ` +
                        "fix it with: pulumi config set istiodReplicas <value>",
                );
            }
            assert.match(
                parseConfigValue("zdp", "n", { type: "integer", description: "" }, "x").error ?? "",
                /must be an integer \(got "x"\)/,
            );
        });

        it("names the key and the allowed values for booleans, lists and enumerations", () => {
            const bool = parseConfigValue("zdp", "serviceMonitors", { type: "boolean", description: "" }, "yes").error;
            assert.match(bool ?? "", /^config zdp:serviceMonitors must be true or false \(got "yes"\)/);
            for (const raw of ["HIGH", '{"a":1}', "[1, 2]", '["ok", 3]']) {
                const list = parseConfigValue("zdp", "scanSeverities", { type: "array", description: "" }, raw).error;
                assert.match(
                    list ?? "",
                    /^config zdp:scanSeverities must be a list of strings such as \["a", "b"\]/,
                    raw,
                );
            }
            const spec: ConfigKey = { type: "string", description: "", allowed: ["staging", "prod"] };
            assert.match(
                parseConfigValue("zdp", "environment", spec, "qa").error ?? "",
                /^config zdp:environment must be one of "staging", "prod" \(got "qa"\)/,
            );
        });

        // Derived from the table, so that every key added later is covered too.
        for (const [key, spec] of KEYS.filter(([, s]) => !s.secret)) {
            const bad =
                spec.type === "integer"
                    ? String((spec.max ?? 1e9) + 1)
                    : spec.type === "boolean"
                      ? "maybe"
                      : spec.type === "array"
                        ? "not-a-list"
                        : spec.allowed
                          ? "not-an-allowed-value"
                          : undefined;
            if (bad === undefined) continue; // free-form strings accept anything
            it(`rejects a bad ${key}, naming zdp:${key} and what is allowed`, () => {
                const { value, error = "" } = parseConfigValue(PROJECT, key, spec, bad);
                assert.equal(value, undefined);
                assert.ok(error.startsWith(`config ${PROJECT}:${key} must be `), error);
                for (const allowed of spec.allowed ?? [])
                    assert.ok(error.includes(`"${allowed}"`), `${error} lists ${allowed}`);
                if (spec.min !== undefined) assert.ok(error.includes(`from ${spec.min} to ${spec.max}`), error);
            });
        }
    });

    describe("loadPlatformConfig", () => {
        it("applies every default when the stack sets nothing", () => {
            const { value, error } = loadWith({});
            assert.equal(error, undefined);
            for (const [key, spec] of KEYS) {
                assert.deepEqual((value as unknown as Record<string, unknown>)[key], spec.default, key);
            }
        });

        it("throws one ConfigError listing every bad key, without a stack trace in the message", () => {
            const { error } = loadWith({
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
                const off = loadWith({});
                assert.equal((off.value as unknown as Record<string, unknown>)[key], undefined, key);
                const on = loadWith({ [`zdp:${key}`]: "https://hooks.example.test/s3cr3t" }, [`zdp:${key}`]);
                const details = await outputDetails(
                    (on.value as unknown as Record<string, pulumi.Output<string>>)[key],
                );
                assert.equal(details.isSecret, true, key);
                assert.equal(details.value, "https://hooks.example.test/s3cr3t");
            }
        });

        it("treats a secret key as secret even when the stack forgot to mark it so", async () => {
            for (const [key] of KEYS.filter(([, s]) => s.secret)) {
                const on = loadWith({ [`zdp:${key}`]: "https://hooks.example.test/s3cr3t" });
                const details = await outputDetails(
                    (on.value as unknown as Record<string, pulumi.Output<string>>)[key],
                );
                assert.equal(details.isSecret, true, key);
            }
        });
    });

    describe("the stack files", () => {
        const stacks = stackNames();

        it("are staging and prod", () => {
            assert.deepEqual(stacks, ["prod", "staging"]);
        });

        for (const stack of stacks) {
            it(`${stack}: sets only keys the program reads, and its own environment`, () => {
                const settings = stackFileSettings(stack);
                const known = new Set([...KEYS.map(([k]) => k), ...STRUCTURED_KEYS]);
                assert.deepEqual(
                    Object.keys(settings).filter((k) => !known.has(k)),
                    [],
                    "unknown keys are silently ignored",
                );
                assert.equal(settings.environment, stack);
            });

            it(`${stack}: loads with the program's loaders`, () => {
                const { settings, serviceNamespaces } = stackSettings(stack);
                assert.equal(settings.environment, stack);
                assert.ok(serviceNamespaces.length > 0);
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
            const order = CONFIG_KEYS.falcoMinimumPriority.allowed as readonly string[]; // most severe first
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
