/**
 * The `services` stack config: parsed into BlueGreenService arguments with the component's own checks, errors
 * naming the stack key and the service (`zdp:services[i] (namespace/name).field`), entries checked against each other
 * (one public host, one service; no two services creating one resource), and secret environment variables taken
 * from secret config keys only.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { validateBlueGreenServiceArgs } from "../../components/blueGreenService/validation";
import { ConfigError } from "../../components/platformConfig";
import { loadServices } from "../../components/serviceConfig";
import { mockSession, PROJECT, stackSettings } from "../helpers/components";
import { REPO_ROOT, stackNames } from "../helpers/renderedStack";
import { outputDetails } from "../../tools/mockRuntime";

const IMAGE = `registry.example.com/shop/app@sha256:${"e".repeat(64)}`;
const SMOKE = { image: `registry.example.com/platform/smoke@sha256:${"f".repeat(64)}`, paths: ["/ping"] };

/** Sets the runtime config to `services` (plus extra keys) and returns the project's Config. */
async function withServices(
    services: unknown,
    extra: Record<string, string> = {},
    secretKeys: string[] = [],
): Promise<pulumi.Config> {
    const config: Record<string, string> = {
        [`${PROJECT}:services`]: typeof services === "string" ? services : JSON.stringify(services),
    };
    for (const [k, v] of Object.entries(extra)) config[`${PROJECT}:${k}`] = v;
    await mockSession({ config, secretKeys: secretKeys.map((k) => `${PROJECT}:${k}`), stack: "staging" });
    return new pulumi.Config(PROJECT);
}

function configError(load: () => unknown): string {
    try {
        load();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return (e as Error).message;
    }
    assert.fail("expected a ConfigError");
}

describe("services stack config", () => {
    /** The entries a stack file lists, as written. */
    const fileEntries = (stack: string): Record<string, unknown>[] =>
        parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")).config[`${PROJECT}:services`];

    it("reads every entry of each stack file into component arguments that pass the component's checks", async () => {
        for (const stack of stackNames()) {
            await mockSession();
            const { serviceNamespaces } = stackSettings(stack);
            const specs = loadServices(new pulumi.Config(PROJECT));
            // One spec per entry of the file, in its order: nothing dropped, nothing invented.
            assert.deepEqual(
                specs.map((s) => `${s.namespace}/${s.name}`),
                fileEntries(stack).map((e) => `${e.namespace}/${e.name}`),
                stack,
            );
            const strategies = new Set(specs.map((s) => s.args.strategy ?? "blueGreen"));
            assert.deepEqual([...strategies].sort(), ["blueGreen", "canary"], `${stack} uses both strategies`);
            for (const s of specs) {
                assert.equal(s.args.name, s.name);
                assert.equal(s.args.namespace, s.namespace);
                assert.deepEqual(
                    validateBlueGreenServiceArgs({
                        ...s.args,
                        traffic: { ...s.args.traffic, gateway: "istio-ingress/public" },
                    }),
                    [],
                    `${stack} ${s.name}`,
                );
                assert.match(
                    String(s.args.image),
                    /^registry\.example\.com\/[a-z0-9/-]+@sha256:[0-9a-f]{64}$/,
                    "one registry, pinned by digest",
                );
            }
            // The namespaces the mesh creates are exactly those of the file's services, in first-seen order.
            assert.deepEqual(serviceNamespaces, [...new Set(fileEntries(stack).map((e) => e.namespace))], stack);
        }
    });

    it("gives prod more replicas and longer analysis than staging for the services both run", async () => {
        await mockSession();
        stackSettings("staging");
        const staging = loadServices(new pulumi.Config(PROJECT));
        await mockSession();
        stackSettings("prod");
        const prod = loadServices(new pulumi.Config(PROJECT));
        for (const s of staging) {
            const p = prod.find((x) => x.name === s.name && x.namespace === s.namespace);
            assert.ok(p, `prod also runs ${s.name}`);
            assert.ok((p.args.replicas ?? 2) > (s.args.replicas ?? 2), `${s.name}: more replicas in prod`);
            assert.ok(
                (p.args.analysis?.slo?.intervalSeconds ?? 5) > (s.args.analysis?.slo?.intervalSeconds ?? 5),
                `${s.name}: longer SLO analysis in prod`,
            );
        }
    });

    it("requires the key: an unset services list is an error, an empty list means no services", async () => {
        await mockSession({ stack: "prod" });
        assert.match(
            configError(() => loadServices(new pulumi.Config(PROJECT))),
            /config zdp:services is not set: list the services this stack releases in Pulumi\.prod\.yaml \(zdp:services: \[\] for none\), or: pulumi config set --stack prod --path 'zdp:services\[0\]\.name' <name>/,
        );
        const config = await withServices([]);
        assert.deepEqual(loadServices(config), []);
    });

    it("names zdp:services[i] (namespace/name).field for every problem, all at once", async () => {
        const config = await withServices([
            { name: "checkout", namespace: "shop", image: IMAGE, analysis: { smokeTest: SMOKE } },
            {
                name: "catalog",
                namespace: "shop",
                image: "registry.example.com/shop/catalog:2.0",
                strategy: "canary",
                replicas: -3,
            },
            {
                name: "search",
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                canary: { steps: [{ weight: 10 }, { weight: 90 }] },
                health: { livenessPath: "live" },
            },
        ]);
        const message = configError(() => loadServices(config));
        for (const field of [
            "services[1] (shop/catalog).image",
            "services[1] (shop/catalog).replicas",
            "services[2] (shop/search).canary.steps[1].weight",
            "services[2] (shop/search).health.livenessPath",
        ]) {
            assert.ok(message.includes(`config ${PROJECT}:${field} `), `message should name ${field}:\n${message}`);
        }
        assert.ok(!message.includes("services[0]"), "the valid entry is not reported");
    });

    it("requires name and namespace and refuses duplicates within a namespace", async () => {
        const config = await withServices([
            { namespace: "shop", image: IMAGE, strategy: "canary" },
            { name: "api", namespace: "shop", image: IMAGE, strategy: "canary" },
            { name: "api", namespace: "shop", image: IMAGE, strategy: "canary" },
            { name: "api", namespace: "payments", image: IMAGE, strategy: "canary" },
        ]);
        const message = configError(() => loadServices(config));
        assert.match(message, /config zdp:services\[0\]\.name is required/);
        assert.match(
            message,
            /config zdp:services\[2\] \(shop\/api\)\.name "api" is already used in namespace "shop" by zdp:services\[1\] \(shop\/api\)/,
        );
        assert.ok(!message.includes("services[3]"), "the same name in another namespace is fine");
    });

    it("refuses unknown fields and fields only the program sets", async () => {
        const config = await withServices([
            {
                name: "api",
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                replica: 2,
                budget: { maxRollbackSeconds: 1 },
            },
        ]);
        const message = configError(() => loadServices(config));
        assert.match(message, /zdp:services\[0\] \(shop\/api\)\.replica is not a known field/);
        assert.match(message, /zdp:services\[0\] \(shop\/api\)\.budget is set by the program/);
    });

    it("accepts external hosts without a gateway: the program passes the mesh's Gateway", async () => {
        const config = await withServices([
            {
                name: "api",
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                traffic: { hosts: ["api.example.com"] },
            },
        ]);
        const [spec] = loadServices(config);
        assert.deepEqual(spec.args.traffic, { hosts: ["api.example.com"] });
    });

    it("fails on a value that is not a list of objects", async () => {
        let config = await withServices("{not json");
        assert.match(
            configError(() => loadServices(config)),
            /services must be a list of service objects/,
        );
        config = await withServices({ name: "api" });
        assert.match(
            configError(() => loadServices(config)),
            /services must be a list/,
        );
        config = await withServices(["api"]);
        assert.match(
            configError(() => loadServices(config)),
            /config zdp:services\[0\] must be an object/,
        );
    });

    describe("entries against each other", () => {
        const canary = (name: string, namespace: string, hosts?: string[]) => ({
            name,
            namespace,
            image: IMAGE,
            strategy: "canary",
            ...(hosts ? { traffic: { hosts } } : {}),
        });

        it("refuses two services claiming one public host (two VirtualServices for one host on one Gateway)", async () => {
            const config = await withServices([
                canary("checkout", "shop", ["shop.example.com"]),
                canary("catalog", "shop", ["catalog.example.com"]),
                canary("search", "search", ["Shop.Example.com", "search.example.com", "search.example.com"]),
            ]);
            const message = configError(() => loadServices(config));
            assert.match(
                message,
                /config zdp:services\[2\] \(search\/search\)\.traffic\.hosts\[0\] "Shop\.Example\.com" is already routed by zdp:services\[0\] \(shop\/checkout\)/,
            );
            assert.match(
                message,
                /zdp:services\[2\] \(search\/search\)\.traffic\.hosts\[2\] "search\.example\.com" is listed twice/,
            );
            assert.ok(!message.includes("services[1]"), message);
        });

        it("refuses an empty host", async () => {
            const config = await withServices([canary("checkout", "shop", [""])]);
            assert.match(
                configError(() => loadServices(config)),
                /config zdp:services\[0\] \(shop\/checkout\)\.traffic\.hosts\[0\] must be a DNS host name .*\(got ""\)/,
            );
        });

        it("refuses services whose resource names collide (one URN twice), naming both", async () => {
            // "shop-a" + "b" and "shop" + "a-b" both make the component "shop-a-b".
            const config = await withServices([canary("b", "shop-a"), canary("a-b", "shop")]);
            assert.match(
                configError(() => loadServices(config)),
                /config zdp:services\[1\] \(shop\/a-b\) and zdp:services\[0\] \(shop-a\/b\) both create zdp:index:BlueGreenService "shop-a-b" \(one URN the engine refuses twice\): rename one of the services/,
            );
        });

        it("refuses services that would manage one Kubernetes object, naming both", async () => {
            // The canary service "api" has a Service "api-canary"; a service named "api-canary" has one too.
            const config = await withServices([canary("api", "shop"), canary("api-canary", "shop")]);
            assert.match(
                configError(() => loadServices(config)),
                /config zdp:services\[1\] \(shop\/api-canary\) and zdp:services\[0\] \(shop\/api\) both create Kubernetes Service shop\/api-canary/,
            );
            const apart = await withServices([
                canary("api", "shop"),
                canary("api-v2", "shop"),
                canary("api", "payments"),
            ]);
            assert.equal(loadServices(apart).length, 3, "names that only share a prefix do not collide");
        });
    });

    describe("secretEnv", () => {
        const entry = {
            name: "api",
            namespace: "shop",
            image: IMAGE,
            strategy: "canary",
            secretEnv: { DB_PASSWORD: "apiDbPassword" },
        };

        it("takes each value from the named secret config key, as a Pulumi secret", async () => {
            const config = await withServices([entry], { apiDbPassword: "from-the-secret-store" }, ["apiDbPassword"]);
            const [spec] = loadServices(config);
            const value = spec.args.secretEnv!.DB_PASSWORD as pulumi.Output<string>;
            const details = await outputDetails(value);
            assert.equal(details.isSecret, true);
            assert.equal(details.value, "from-the-secret-store");
        });

        it("names the variable and the command to fix a missing key", async () => {
            const config = await withServices([entry]);
            assert.match(
                configError(() => loadServices(config)),
                /zdp:services\[0\] \(shop\/api\)\.secretEnv\.DB_PASSWORD refers to config zdp:apiDbPassword, which is not set; set it with: pulumi config set --stack staging --secret zdp:apiDbPassword <value>/,
            );
        });

        it("refuses a key stored in plain text", async () => {
            const config = await withServices([entry], { apiDbPassword: "oops-plain" });
            assert.match(
                configError(() => loadServices(config)),
                /services\[0\] \(shop\/api\)\.secretEnv\.DB_PASSWORD .* stored in plain text; set it with: pulumi config set --stack staging --secret zdp:apiDbPassword/,
            );
        });

        it("refuses a value that is not a config key name", async () => {
            const config = await withServices([{ ...entry, secretEnv: { DB_PASSWORD: "literal password!" } }]);
            assert.match(
                configError(() => loadServices(config)),
                /services\[0\] \(shop\/api\)\.secretEnv\.DB_PASSWORD must name a secret config key/,
            );
            assert.ok(!configError(() => loadServices(config)).includes("literal password"), "never repeats the value");
        });
    });
});
