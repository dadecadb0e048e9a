import * as pulumi from "@pulumi/pulumi";
import type { BlueGreenServiceArgs } from "./blueGreenService/args";
import { releaseResources } from "./blueGreenService/resources";
import { releaseSettings } from "./blueGreenService/settings";
import { validateBlueGreenServiceArgs } from "./blueGreenService/validation";
import { configErrors, configSetCommand, isSecretConfig, StackRef, stackRefOf } from "./config/messages";
import { PlatformConfig, readPlatformConfig, unknownConfigKeys } from "./platformConfig";

/** One entry of the `services` stack config as far as the platform needs it: where the service lives. */
interface ServiceEntry {
    name: string;
    namespace: string;
}

/** One configured service: its name and namespace, and the arguments of its `BlueGreenService`. */
interface ServiceSpec extends ServiceEntry {
    args: BlueGreenServiceArgs;
}

/** Everything the program reads from the stack configuration, validated. */
interface ProgramConfig {
    settings: PlatformConfig;
    services: ServiceSpec[];
}

/** Arguments that the program sets, never the stack config (they come from other components or the environment). */
const PROGRAM_ONLY_FIELDS = ["budget", "network", "release"] as const;

/** Stands in for the Gateway the program passes (IstioMesh's `gatewayRef`) when an entry is checked on its own. */
const PROGRAM_GATEWAY = "istio-ingress/public";

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The name the program gives a service's `BlueGreenService` (its resources' names start with it). */
export function serviceResourceName(entry: ServiceEntry): string {
    return `${entry.namespace}-${entry.name}`;
}

/**
 * How messages name entry `i`: the stack key with its index, and the service as `namespace/name` when the entry
 * has both (`zdp:services[3] (shop/search)`).
 */
function serviceLabel(ref: StackRef, i: number, entry: unknown): string {
    const e = isObject(entry) ? entry : {};
    const who = typeof e.namespace === "string" && typeof e.name === "string" ? ` (${e.namespace}/${e.name})` : "";
    return `${ref.project}:services[${i}]${who}`;
}

function readServiceList(config: pulumi.Config, ref: StackRef): { list: unknown[]; errors: string[] } {
    const raw = config.get("services");
    const key = `${ref.project}:services`;
    if (raw === undefined) {
        return {
            list: [],
            errors: [
                `config ${key} is not set: list the services this stack releases in Pulumi.${ref.stack}.yaml ` +
                    `(${key}: [] for none), or: ${configSetCommand(ref, "services[0].name", { path: true, value: "<name>" })}`,
            ],
        };
    }
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        list = undefined;
    }
    if (!Array.isArray(list)) {
        return { list: [], errors: [`config ${key} must be a list of service objects (got ${JSON.stringify(raw)})`] };
    }
    return { list, errors: [] };
}

/** Checks `secretEnv` of one entry; returns the secret Outputs by variable. */
function readSecretEnv(
    config: pulumi.Config,
    ref: StackRef,
    at: string,
    secretEnv: Record<string, unknown>,
    errors: string[],
): Record<string, pulumi.Output<string>> {
    const out: Record<string, pulumi.Output<string>> = {};
    for (const [variable, configKey] of Object.entries(secretEnv)) {
        const field = `${at}.secretEnv.${variable}`;
        if (typeof configKey !== "string" || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(configKey)) {
            errors.push(
                `${field} must name a secret config key of this project, such as "checkoutDbPassword" (the value is not shown: it may be the secret itself)`,
            );
            continue;
        }
        const fullKey = `${config.name}:${configKey}`;
        const fix = configSetCommand(ref, configKey, { secret: true });
        if (pulumi.runtime.getConfig(fullKey) === undefined) {
            errors.push(`${field} refers to config ${fullKey}, which is not set; set it with: ${fix}`);
            continue;
        }
        if (isSecretConfig(fullKey) === false) {
            errors.push(`${field} refers to config ${fullKey}, which is stored in plain text; set it with: ${fix}`);
            continue;
        }
        out[variable] = config.requireSecret(configKey);
    }
    return out;
}

/**
 * Reads and validates the `services` list: `specs` for the valid entries, `errors` one line per problem, and
 * `referencedKeys` the config keys that entries' `secretEnv` name (keys of this project the program reads).
 */
function readServices(config: pulumi.Config): {
    specs: ServiceSpec[];
    errors: string[];
    referencedKeys: string[];
} {
    const ref = stackRefOf(config);
    const { list, errors: listErrors } = readServiceList(config, ref);
    const errors = listErrors.map((e) => e);
    const specs: ServiceSpec[] = [];
    const referencedKeys: string[] = [];
    const seen = new Map<string, string>();
    const hosts = new Map<string, string>();
    /** Pulumi `type::name` and Kubernetes objects, to the service that creates them. */
    const created = new Map<string, string>();
    list.forEach((entry: unknown, i) => {
        const at = serviceLabel(ref, i, entry);
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
            errors.push(...entryErrors.map((m) => `config ${m}`));
            return;
        }
        const e = entry;
        for (const field of PROGRAM_ONLY_FIELDS) {
            if (e[field] !== undefined)
                entryErrors.push(`${at}.${field} is set by the program, not in the stack config`);
        }
        // The component defaults `name` to its resource name; in config it is required.
        if (e.name === undefined) entryErrors.push(`${at}.name is required`);
        const id = `${e.namespace}/${e.name}`;
        if (typeof e.name === "string" && seen.has(id))
            entryErrors.push(`${at}.name "${e.name}" is already used in namespace "${e.namespace}" by ${seen.get(id)}`);
        else seen.set(id, at);

        // One public host, one VirtualService on the Gateway: Istio would split its traffic between two services.
        const entryHosts = isObject(e.traffic) && Array.isArray(e.traffic.hosts) ? e.traffic.hosts : [];
        entryHosts.forEach((h: unknown, j: number) => {
            if (typeof h !== "string") return;
            const host = h.toLowerCase();
            const owner = hosts.get(host);
            if (owner === at) entryErrors.push(`${at}.traffic.hosts[${j}] "${h}" is listed twice`);
            else if (owner)
                entryErrors.push(
                    `${at}.traffic.hosts[${j}] "${h}" is already routed by ${owner}: two VirtualServices for one host on one Gateway split its traffic unpredictably; give each service its own host`,
                );
            else hosts.set(host, at);
        });

        const secretEnv = isObject(e.secretEnv) ? readSecretEnv(config, ref, at, e.secretEnv, entryErrors) : {};
        if (isObject(e.secretEnv))
            referencedKeys.push(...Object.values(e.secretEnv).filter((k): k is string => typeof k === "string"));
        if (entryErrors.length > 0) {
            errors.push(...entryErrors.map((m) => `config ${m}`));
            return;
        }

        const args = { ...e, ...(e.secretEnv !== undefined ? { secretEnv } : {}) } as BlueGreenServiceArgs;
        // Validated above: both are DNS labels.
        const spec: ServiceSpec = { name: e.name as string, namespace: e.namespace as string, args };
        // Names the component derives must not meet another service's: the engine refuses a duplicate URN, and two
        // resources must never manage one Kubernetes object.
        const resources = releaseResources(serviceResourceName(spec), releaseSettings(spec.name, args), {
            build: args.build !== undefined,
            secretEnv: Object.keys(secretEnv).length > 0,
        });
        const clash = resources
            .flatMap((r) => [
                [`${r.type}::${r.name}`, `${r.type} "${r.name}" (one URN the engine refuses twice)`],
                ...(r.object ? [[r.object, `Kubernetes ${r.object}`]] : []),
            ])
            .find(([k]) => created.has(k));
        if (clash) {
            errors.push(
                `config ${at} and ${created.get(clash[0])} both create ${clash[1]}: rename one of the services`,
            );
            return;
        }
        for (const r of resources) {
            created.set(`${r.type}::${r.name}`, at);
            if (r.object) created.set(r.object, at);
        }
        specs.push(spec);
    });
    return { specs, errors, referencedKeys };
}

/**
 * Reads the full `services` list: each entry has the fields of `BlueGreenServiceArgs` (docs/releases.md), except
 * that `secretEnv` maps each variable to the name of a secret config key of this project holding its value
 * (`pulumi config set --secret <key> <value>`), so no secret is written in the stack file.
 *
 * Every entry is validated with the component's own checks, and the entries against each other (one host, one
 * service; no two services creating the same resource); one {@link ConfigError} lists every problem, each naming
 * `zdp:services[i] (namespace/name).field`.
 */
export function loadServices(config: pulumi.Config): ServiceSpec[] {
    const { specs, errors } = readServices(config);
    if (errors.length > 0) throw configErrors(errors);
    return specs;
}

/**
 * What the program reads from the stack, validated as one: the platform keys, the services, and no key of this
 * project that the program does not read (a typo such as `zdp:Environment` would otherwise be ignored). Throws one
 * {@link ConfigError} listing every problem.
 */
export function loadProgramConfig(config: pulumi.Config = new pulumi.Config()): ProgramConfig {
    const platform = readPlatformConfig(config);
    const services = readServices(config);
    const unknown = unknownConfigKeys(
        stackRefOf(config),
        Object.keys(pulumi.runtime.allConfig()),
        services.referencedKeys,
    );
    const errors = [...platform.errors, ...services.errors, ...unknown];
    if (errors.length > 0 || platform.value === undefined) throw configErrors(errors);
    return { settings: platform.value, services: services.specs };
}
