/**
 * PlatformConfig is derived from the one declaration of the keys (components/config/keys.ts): each setting has the
 * type its key's kind parses to (checked by the compiler, `npm run typecheck`), optional exactly when the key may be
 * unset, and `readPlatformConfig` reads every setting of the declaration, defaults applied, or returns no settings
 * and every problem.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SETTING_KEYS } from "../../components/config/keys";
import { OPTIONAL_SECRET_UNDECLARED, optionalStringKey, secretKey } from "../../components/config/kinds";
import { CONFIG_KEYS, PlatformConfig, readPlatformConfig } from "../../components/platformConfig";
import type { TrivySeverity } from "../../components/trivyOperator";
import { mockSession, PROJECT } from "../helpers/components";

/** True when `A` and `B` are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// Compile-time checks: a kind that parsed to the wrong type, or a key that lost its optional modifier, fails
// `npm run typecheck` here.
const DERIVED_TYPES: true[] = [
    true satisfies Equal<keyof PlatformConfig, Exclude<keyof typeof CONFIG_KEYS, "services">>,
    true satisfies Equal<PlatformConfig["environment"], "staging" | "prod">,
    true satisfies Equal<PlatformConfig["istio"], "install" | "existing">,
    true satisfies Equal<PlatformConfig["releaseAlertSeverity"], "warning" | "critical">,
    true satisfies Equal<PlatformConfig["istiodReplicas"], number>,
    true satisfies Equal<PlatformConfig["serviceMonitors"], boolean>,
    true satisfies Equal<PlatformConfig["ingressHosts"], string[]>,
    true satisfies Equal<PlatformConfig["scanSeverities"], TrivySeverity[]>,
    true satisfies Equal<PlatformConfig["pipelineNamespace"], string>,
    true satisfies Equal<Pick<PlatformConfig, "kubeContext">, { kubeContext?: string | undefined }>,
    true satisfies Equal<Pick<PlatformConfig, "alertWebhookUrl">, { alertWebhookUrl?: pulumi.Output<string> }>,
    true satisfies Equal<Pick<PlatformConfig, "environment">, { environment: "staging" | "prod" }>,
];

/** Reads the platform settings from `config` (keys without the project prefix), `secret` ones as secrets. */
async function read(config: Record<string, string>, secret: string[] = []) {
    const qualified = Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v]));
    await mockSession({ config: qualified, secretKeys: secret.map((k) => `${PROJECT}:${k}`) });
    return readPlatformConfig(new pulumi.Config(PROJECT));
}

describe("PlatformConfig, derived from the declaration of the keys", () => {
    after(async () => {
        await mockSession();
    });

    it("types each setting by its key's kind (compile-time checks, run by npm run typecheck)", () => {
        assert.equal(DERIVED_TYPES.length, 12);
    });

    it("holds exactly the settings of the declaration, every one read, in its order", async () => {
        const { value, errors } = await read({ environment: "prod" });
        assert.deepEqual(errors, []);
        assert.deepEqual(Object.keys(value ?? {}), Object.keys(SETTING_KEYS));
        assert.deepEqual(Object.keys(CONFIG_KEYS), [...Object.keys(SETTING_KEYS), "services"]);
    });

    it("gives no settings when any is invalid, and every problem at once", async () => {
        const { value, errors } = await read({ istiodReplicas: "0", scanSeverities: "[]" });
        assert.equal(value, undefined);
        assert.equal(errors.length, 3, errors.join("\n"));
        assert.match(errors[0], /^config zdp:environment is not set, and has no default/);
    });

    it("gives each read its own copy of a list default", async () => {
        const first = (await read({ environment: "prod" })).value;
        first?.ingressHosts.push("changed.example.com");
        const second = (await read({ environment: "prod" })).value;
        assert.deepEqual(second?.ingressHosts, ["*"]);
        assert.deepEqual(SETTING_KEYS.ingressHosts.default, ["*"]);
    });

    it("an optional string is unset when absent or empty, and a value otherwise", async () => {
        const key = optionalStringKey({ description: "", format: "dnsLabel" });
        assert.deepEqual(key.parse({ project: PROJECT, stack: "test" }, "ns", ""), { errors: [] });
        assert.deepEqual(key.parse({ project: PROJECT, stack: "test" }, "ns", "shop"), { value: "shop", errors: [] });
        assert.equal((await read({ environment: "prod", kubeContext: "" })).value?.kubeContext, undefined);
        assert.equal((await read({ environment: "prod", kubeContext: "kind-zdp" })).value?.kubeContext, "kind-zdp");
    });

    it("a secret key is optional, never declared in Pulumi.yaml, and reads as a secret Output", async () => {
        const key = secretKey({ description: "", format: "httpsUrl" });
        assert.equal(key.secret, true);
        assert.equal(key.default, undefined);
        assert.equal(key.undeclared, OPTIONAL_SECRET_UNDECLARED);
        assert.equal((await read({ environment: "prod" })).value?.alertWebhookUrl, undefined);
        const set = await read({ environment: "prod", alertWebhookUrl: "https://hooks.example.test/x" }, [
            "alertWebhookUrl",
        ]);
        assert.ok(pulumi.Output.isInstance(set.value?.alertWebhookUrl));
    });
});
