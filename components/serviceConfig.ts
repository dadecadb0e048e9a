import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { BlueGreenServiceArgs, validateBlueGreenServiceArgs } from "./blueGreenService";
import { checkDnsLabel } from "./lib/validation";
import { ConfigError } from "./platformConfig";

/** One entry of the `services` stack config as far as the platform needs it: where the service lives. */
export interface ServiceEntry {
    name: string;
    namespace: string;
}

/** One configured service: its name and namespace, and the arguments of its `BlueGreenService`. */
export interface ServiceSpec extends ServiceEntry {
    args: BlueGreenServiceArgs;
}

/** Arguments that the program sets, never the stack config (they come from other components or the environment). */
const PROGRAM_ONLY_FIELDS = ["budget", "network"] as const;

/** Stands in for the Gateway the program passes (IstioMesh's `gatewayRef`) when an entry is checked on its own. */
const PROGRAM_GATEWAY = "istio-ingress/public";

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function readServiceList(config: pulumi.Config): unknown[] {
    const raw = config.get("services");
    if (raw === undefined) return [];
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        throw new ConfigError(
            `config ${config.name}:services must be a list of service objects (got ${JSON.stringify(raw)})`,
        );
    }
    if (!Array.isArray(list)) {
        throw new ConfigError(`config ${config.name}:services must be a list of service objects`);
    }
    return list;
}

function fail(errors: string[]): never {
    throw new ConfigError(`invalid stack configuration:\n  - ${errors.join("\n  - ")}`);
}

/**
 * Reads the `services` list from stack config and returns the distinct service namespaces, in first-seen order.
 * Fails with a {@link ConfigError} naming `services[i].field` for a malformed entry.
 */
export function loadServiceNamespaces(config: pulumi.Config): string[] {
    const list = readServiceList(config);
    const errors: string[] = [];
    const namespaces: string[] = [];
    list.forEach((raw, i) => {
        const entry = isObject(raw) ? raw : {};
        const err =
            checkDnsLabel(`services[${i}].name`, entry.name) ??
            checkDnsLabel(`services[${i}].namespace`, entry.namespace);
        if (err) errors.push(`config ${config.name}:${err}`);
        else if (!namespaces.includes(entry.namespace as string)) namespaces.push(entry.namespace as string);
    });
    if (errors.length > 0) fail(errors);
    return namespaces;
}

/** Whether the runtime holds `key` as a secret (set with `pulumi config set --secret`). */
function isSecretConfig(key: string): boolean | undefined {
    // Not in the SDK's type declarations, but exported by its runtime; undefined when unavailable.
    return (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret?.(key);
}

/**
 * Reads the full `services` list: each entry has the fields of `BlueGreenServiceArgs` (see the README), except
 * that `secretEnv` maps each variable to the name of a secret config key of this project holding its value
 * (`pulumi config set --secret <key> <value>`), so no secret is written in the stack file.
 *
 * Every entry is validated with the component's own checks; one {@link ConfigError} lists every problem, each
 * naming `services[i].field`.
 */
export function loadServices(config: pulumi.Config): ServiceSpec[] {
    const list = readServiceList(config);
    const errors: string[] = [];
    const specs: ServiceSpec[] = [];
    const seen = new Map<string, number>();
    list.forEach((entry: unknown, i) => {
        const at = `services[${i}]`;
        // The program passes the mesh's Gateway with the hosts: validate the entry as the component will see it.
        const asPassed =
            isObject(entry) &&
            isObject(entry.traffic) &&
            entry.traffic.hosts !== undefined &&
            entry.traffic.gateway === undefined
                ? { ...entry, traffic: { ...entry.traffic, gateway: PROGRAM_GATEWAY } }
                : entry;
        const entryErrors = validateBlueGreenServiceArgs(asPassed, `${at}.`);
        if (!isObject(entry)) {
            errors.push(...entryErrors.map((m) => `config ${config.name}:${m}`));
            return;
        }
        const e = entry;
        for (const field of PROGRAM_ONLY_FIELDS) {
            if (e[field] !== undefined)
                entryErrors.push(`${at}.${field} is set by the program, not in the stack config`);
        }
        // The component defaults `name` to its resource name; in config it is required.
        if (e.name === undefined) entryErrors.push(`${at}.name is required`);
        const key = `${e.namespace}/${e.name}`;
        if (typeof e.name === "string" && seen.has(key))
            entryErrors.push(
                `${at}.name "${e.name}" is already used in namespace "${e.namespace}" by services[${seen.get(key)}]`,
            );
        seen.set(key, i);

        const secretEnv: Record<string, pulumi.Output<string>> = {};
        if (isObject(e.secretEnv)) {
            for (const [variable, configKey] of Object.entries(e.secretEnv)) {
                const field = `${at}.secretEnv.${variable}`;
                if (typeof configKey !== "string" || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(configKey)) {
                    entryErrors.push(
                        `${field} must name a secret config key of this project, such as "checkoutDbPassword" (got ${JSON.stringify(configKey)})`,
                    );
                    continue;
                }
                const fullKey = `${config.name}:${configKey}`;
                if (pulumi.runtime.getConfig(fullKey) === undefined) {
                    entryErrors.push(
                        `${field} refers to config ${fullKey}, which is not set; set it with: pulumi config set --secret ${configKey} <value>`,
                    );
                    continue;
                }
                if (isSecretConfig(fullKey) === false) {
                    entryErrors.push(
                        `${field} refers to config ${fullKey}, which is stored in plain text; set it with: pulumi config set --secret ${configKey} <value>`,
                    );
                    continue;
                }
                secretEnv[variable] = config.requireSecret(configKey);
            }
        }
        errors.push(...entryErrors.map((m) => `config ${config.name}:${m}`));
        if (entryErrors.length > 0) return;
        const args = { ...e, ...(e.secretEnv !== undefined ? { secretEnv } : {}) } as BlueGreenServiceArgs;
        // Validated above: both are DNS labels.
        specs.push({ name: e.name as string, namespace: e.namespace as string, args });
    });
    if (errors.length > 0) fail(errors);
    return specs;
}
