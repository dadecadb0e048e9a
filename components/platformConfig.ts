import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { checkDnsLabel, checkGatewayHost, checkHttpUrl, closestName } from "./lib/validation";
import { checkChartRepository } from "./lib/charts";
import { checkImageRegistry } from "./lib/images";
import { TRIVY_SEVERITIES } from "./trivyOperator";

/** What a string value, or each item of a list of strings, must look like. */
export type ConfigFormat = "dnsLabel" | "gatewayHost" | "httpUrl" | "httpsUrl" | "chartRepository" | "imageRegistry";

/**
 * The platform program's configuration keys: one table that `Pulumi.yaml` mirrors (a test keeps them equal) and that
 * {@link loadPlatformConfig} validates against, so a wrong value fails with the key's name and what is allowed
 * instead of a stack trace from deep inside a component.
 *
 * The engine's rules for `Pulumi.yaml` apply: a key without a default is required (the engine stops before the program
 * runs when a stack does not set it); types are string, integer, boolean, array (with `items`) and object.
 */
export interface ConfigKey {
    readonly type: "string" | "integer" | "boolean" | "array" | "object";
    /** Type of each item of an array (`items.type` in Pulumi.yaml). Defaults to "string". */
    readonly items?: "string" | "object";
    readonly description: string;
    /**
     * Value used when the stack sets none; absent means the stack must set it. An empty string default means "unset":
     * the program then reads the key as not given.
     */
    readonly default?: string | number | boolean | string[];
    readonly secret?: boolean;
    /** Why the key is not declared in Pulumi.yaml (the program still reads and validates it). */
    readonly undeclared?: string;
    /** Values a string, or each item of a list of strings, may take. */
    readonly allowed?: readonly string[];
    readonly min?: number;
    readonly max?: number;
    /** What a non-empty string, or each item of a list of strings, must look like. */
    readonly format?: ConfigFormat;
    /** Fewest items a list may have. */
    readonly minItems?: number;
    /** The loader that reads and validates this structured key instead of {@link loadPlatformConfig}. */
    readonly readBy?: string;
}

export const CONFIG_KEYS = {
    // No default: every stack must say which it is (a typo such as `zdp:Environment` would otherwise run prod as
    // staging, promoting itself).
    environment: {
        type: "string",
        description: "Environment this stack is: staging or prod. Selects stricter gates and HA in prod. Required.",
        allowed: ["staging", "prod"],
    },
    kubeContext: {
        type: "string",
        description: "kubeconfig context to deploy to. Empty: the current context of the kubeconfig in use.",
        default: "",
    },
    renderYamlToDirectory: {
        type: "string",
        description:
            "Folder the Kubernetes provider writes every object to as YAML instead of contacting a cluster (kubeContext must be empty). Empty: deploy to the cluster.",
        default: "",
    },
    istiodReplicas: {
        type: "integer",
        description: "istiod (Istio control plane) replicas; 2 or more for HA.",
        default: 1,
        min: 1,
        max: 10,
    },
    gatewayReplicas: {
        type: "integer",
        description: "Istio ingress gateway replicas (autoscaler minimum).",
        default: 1,
        min: 1,
        max: 50,
    },
    ingressHosts: {
        type: "array",
        description: "Host names the shared ingress Gateway accepts.",
        default: ["*"],
        format: "gatewayHost",
        minItems: 1,
    },
    rolloutsControllerReplicas: {
        type: "integer",
        description: "Argo Rollouts controller replicas; 2 or more for HA (leader election).",
        default: 1,
        min: 1,
        max: 5,
    },
    serviceMonitors: {
        type: "boolean",
        description: "Create prometheus-operator ServiceMonitors for the controllers (needs the CRDs in the cluster).",
        default: false,
    },
    alertWebhookUrl: {
        type: "string",
        description:
            "Incoming-webhook URL (Slack or any JSON endpoint) for release notifications and Falco alerts. Secret. Unset: alerts off.",
        secret: true,
        format: "httpsUrl",
        undeclared:
            "the engine has no optional secret key: a declared secret key with a default fails (the default is plain text), and one without a default is required",
    },
    falcoMinimumPriority: {
        type: "string",
        description: "Lowest Falco priority forwarded to the alert webhook.",
        default: "warning",
        allowed: ["emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"],
    },
    scanSeverities: {
        type: "array",
        description: "Vulnerability severities trivy-operator reports (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL).",
        default: ["HIGH", "CRITICAL"],
        allowed: TRIVY_SEVERITIES,
        minItems: 1,
    },
    scanConcurrency: {
        type: "integer",
        description: "trivy-operator scan jobs running at once.",
        default: 3,
        min: 1,
        max: 50,
    },
    scanExcludedNamespaces: {
        type: "array",
        description: "Namespaces trivy-operator never scans.",
        default: ["kube-system"],
        format: "dnsLabel",
    },
    istio: {
        type: "string",
        description:
            "Istio: install (the platform installs its chart) or existing (installed another way; the platform adds only the shared Gateway, the service namespaces and their STRICT mTLS).",
        default: "install",
        allowed: ["install", "existing"],
    },
    istioChartRepository: {
        type: "string",
        description:
            "Repository of the Istio charts: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        default: "",
        format: "chartRepository",
    },
    argoRollouts: {
        type: "string",
        description:
            "Argo Rollouts: install (the platform installs its chart) or existing (installed another way; the platform adds only the release notification ConfigMap and Secret).",
        default: "install",
        allowed: ["install", "existing"],
    },
    argoRolloutsChartRepository: {
        type: "string",
        description:
            "Repository of the Argo Rollouts chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        default: "",
        format: "chartRepository",
    },
    trivyOperator: {
        type: "string",
        description:
            "trivy-operator: install (the platform installs its chart) or existing (installed another way; the platform adds only nothing).",
        default: "install",
        allowed: ["install", "existing"],
    },
    trivyOperatorChartRepository: {
        type: "string",
        description:
            "Repository of the trivy-operator chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        default: "",
        format: "chartRepository",
    },
    falco: {
        type: "string",
        description:
            "Falco: install (the platform installs its chart) or existing (installed another way; the platform adds only the falco-platform-rules ConfigMap).",
        default: "install",
        allowed: ["install", "existing"],
    },
    falcoChartRepository: {
        type: "string",
        description:
            "Repository of the Falco chart: a mirror as oci://host/path or an http(s) chart repository. Empty: the upstream repository.",
        default: "",
        format: "chartRepository",
    },
    addonImageRegistry: {
        type: "string",
        description:
            "Registry (host/path) mirroring the add-ons' images, which run from it pinned by digest (components/lib/images.ts). Empty: the upstream registries.",
        default: "",
        format: "imageRegistry",
    },
    pipelineNamespace: {
        type: "string",
        description: "Namespace of the builder, deployer and auditor ServiceAccounts.",
        default: "platform-pipeline",
        format: "dnsLabel",
    },
    releaseMonitoring: {
        type: "boolean",
        description:
            "Create the release ServiceMonitor, PodMonitor and PrometheusRule (needs prometheus-operator's CRDs). Off: scrape and load the rules another way.",
        default: false,
    },
    monitoringNamespace: {
        type: "string",
        description:
            "Namespace of the release monitoring objects and dashboard ConfigMap (must exist and be watched by Prometheus and Grafana's sidecar). Empty: the Argo Rollouts namespace.",
        default: "",
        format: "dnsLabel",
    },
    monitoringLabels: {
        type: "array",
        description:
            "Labels (name=value) on the release monitoring objects, matching the Prometheus resource's monitor and rule selectors.",
        default: ["release=kube-prometheus-stack"],
    },
    releaseAlertSeverity: {
        type: "string",
        description: "Severity of the release alerts that page: critical (paged) or warning (notified).",
        default: "warning",
        allowed: ["warning", "critical"],
    },
    releaseMaxPauseMinutes: {
        type: "integer",
        description: "Minutes a Rollout may stay paused before ReleaseRolloutPausedTooLong fires.",
        default: 60,
        min: 5,
        max: 1440,
    },
    previewRetentionMinutes: {
        type: "integer",
        description:
            "Minutes a preview, canary or old second stack may run beside the stable one before ReleasePreviewStackRetained fires.",
        default: 150,
        min: 5,
        max: 10080,
    },
    runbookBaseUrl: {
        type: "string",
        description:
            "http(s) URL of this repository's docs/runbooks folder as the Git host renders it; each alert links to its page there. Empty: docs/runbooks.",
        default: "",
        format: "httpUrl",
    },
    // Who shipped a release, set by the deploy workflow for the run (not committed): explicit keys rather than CI's
    // environment variables, so the program stays a function of its stack configuration, and a preview without them
    // (pull requests, laptops) shows no diff: BlueGreenService keeps the annotations the last deploy recorded.
    releaseCommit: {
        type: "string",
        description:
            "Commit being deployed, recorded on every Rollout (platform.zdp.dev/release-commit). Set by the deploy workflow. Empty: keep the last recorded.",
        default: "",
    },
    releasePipelineRun: {
        type: "string",
        description:
            "URL of the pipeline run deploying, recorded on every Rollout (platform.zdp.dev/release-pipeline-run). Set by the deploy workflow. Empty: keep the last recorded.",
        default: "",
        format: "httpUrl",
    },
    releaseActor: {
        type: "string",
        description:
            "Who triggered the deploy, recorded on every Rollout (platform.zdp.dev/release-actor). Set by the deploy workflow. Empty: keep the last recorded.",
        default: "",
    },
    // No default: an empty or mistyped stack must not deploy "no services" (on a real stack that deletes them all).
    services: {
        type: "array",
        items: "object",
        description:
            "The services released with BlueGreenService, one object each (fields in the README). Required: [] for none.",
        readBy: "loadServices (components/serviceConfig.ts)",
    },
} as const satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

/** Validated platform settings (services are read by `loadServices`, see `services` in the README). */
export interface PlatformConfig {
    environment: "staging" | "prod";
    kubeContext?: string;
    /** Where the Kubernetes provider writes objects as YAML instead of deploying them; undefined: deploy. */
    renderYamlToDirectory?: string;
    istiodReplicas: number;
    gatewayReplicas: number;
    ingressHosts: string[];
    rolloutsControllerReplicas: number;
    serviceMonitors: boolean;
    /** A Pulumi secret, or undefined when alerts are off. */
    alertWebhookUrl?: pulumi.Output<string>;
    falcoMinimumPriority: string;
    scanSeverities: string[];
    scanConcurrency: number;
    scanExcludedNamespaces: string[];
    /** Each add-on: installed by the platform, or existing (installed another way). */
    istio: AddonMode;
    argoRollouts: AddonMode;
    trivyOperator: AddonMode;
    falco: AddonMode;
    /** Chart repository overrides; undefined: the upstream repository. */
    istioChartRepository?: string;
    argoRolloutsChartRepository?: string;
    trivyOperatorChartRepository?: string;
    falcoChartRepository?: string;
    /** Mirror of the add-ons' images; undefined: the upstream registries. */
    addonImageRegistry?: string;
    pipelineNamespace: string;
    releaseMonitoring: boolean;
    monitoringNamespace?: string;
    monitoringLabels: string[];
    releaseAlertSeverity: "warning" | "critical";
    releaseMaxPauseMinutes: number;
    previewRetentionMinutes: number;
    runbookBaseUrl?: string;
    releaseCommit?: string;
    releasePipelineRun?: string;
    releaseActor?: string;
}

/** Whether the platform installs an add-on or uses one installed another way. */
export type AddonMode = "install" | "existing";

/** Thrown for configuration mistakes; `pulumi.RunError` makes the CLI print the message without a stack trace. */
export class ConfigError extends pulumi.RunError {}

/** The stack whose configuration is read: messages name its keys (`zdp:key`) and commands name it (`--stack`). */
export interface StackRef {
    project: string;
    stack: string;
}

/** The project and stack the program runs as (the stack placeholder when no stack is known). */
export function stackRefOf(config: pulumi.Config): StackRef {
    return { project: config.name, stack: pulumi.getStack() || "<stack>" };
}

/**
 * The command that sets `key` on the stack: `pulumi config set --stack prod zdp:key <value>`. A `path` such as
 * `scanSeverities[0]` is set with `--path`; a secret with `--secret`.
 */
export function configSetCommand(
    ref: StackRef,
    key: string,
    opts: { value?: string; secret?: boolean; path?: boolean } = {},
): string {
    const flags = `${opts.secret ? " --secret" : ""}${opts.path ? " --path" : ""}`;
    const fullKey = opts.path ? `'${ref.project}:${key}'` : `${ref.project}:${key}`;
    return `pulumi config set --stack ${ref.stack}${flags} ${fullKey} ${opts.value ?? "<value>"}`;
}

/** One error line for config `key`: what is wrong, then how to fix it. */
export function configError(ref: StackRef, key: string, problem: string, fix?: string): string {
    return `config ${ref.project}:${key} ${problem}; fix it with: ${fix ?? configSetCommand(ref, key)}`;
}

const LIST_EXAMPLE = 'a list of strings such as ["a", "b"]';

/** Checks a string value (or one item of a list of strings) against the key's allowed values and format. */
function checkString(ref: StackRef, at: string, spec: ConfigKey, value: string, path: boolean): string | undefined {
    const fix = configSetCommand(ref, at, { path, secret: spec.secret });
    if (spec.allowed && !spec.allowed.includes(value)) {
        const allowed = spec.allowed.map((a) => `"${a}"`).join(", ");
        return configError(ref, at, `must be one of ${allowed} (got ${JSON.stringify(value)})`, fix);
    }
    const field = `config ${ref.project}:${at}`;
    let problem: string | undefined;
    switch (spec.format) {
        case "dnsLabel":
            problem = checkDnsLabel(field, value);
            break;
        case "gatewayHost":
            problem = checkGatewayHost(field, value);
            break;
        case "httpUrl":
            problem = checkHttpUrl(field, value, { example: "https://git.example.com/org/zdp/blob/main/README.md" });
            break;
        case "httpsUrl":
            problem = checkHttpUrl(field, value, { httpsOnly: true, secret: spec.secret });
            break;
        case "chartRepository":
            problem = checkChartRepository(field, value);
            break;
        case "imageRegistry":
            problem = checkImageRegistry(field, value);
            break;
    }
    return problem === undefined ? undefined : `${problem}; fix it with: ${fix}`;
}

/**
 * Parses one raw config string according to its declared type and checks it. Returns the value, or one message per
 * problem, each naming the stack key (`zdp:scanSeverities[1]`), what was given, what is allowed and the command that
 * fixes it. A secret's value is never repeated in a message.
 */
export function parseConfigValue(
    ref: StackRef,
    key: string,
    spec: ConfigKey,
    raw: string,
): { value?: unknown; errors: string[] } {
    const shown = spec.secret ? "the value is not shown: it is secret" : `got ${JSON.stringify(raw)}`;
    // Lists and objects are set item by item with --path (or written in the stack file).
    const fix =
        spec.type === "array"
            ? configSetCommand(ref, `${key}[0]`, { path: true })
            : spec.type === "object"
              ? configSetCommand(ref, `${key}.<field>`, { path: true })
              : configSetCommand(ref, key, { secret: spec.secret });
    const fail = (what: string) => ({ errors: [configError(ref, key, `must be ${what} (${shown})`, fix)] });
    switch (spec.type) {
        case "integer": {
            const n = Number(raw);
            const min = spec.min ?? Number.MIN_SAFE_INTEGER;
            const max = spec.max ?? Number.MAX_SAFE_INTEGER;
            if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
                return fail(spec.min !== undefined ? `an integer from ${min} to ${max}` : "an integer");
            }
            return { value: n, errors: [] };
        }
        case "boolean":
            if (raw !== "true" && raw !== "false") return fail("true or false");
            return { value: raw === "true", errors: [] };
        case "object": {
            const parsed = parseJson(raw);
            if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return fail("an object");
            return { value: parsed, errors: [] };
        }
        case "array": {
            const parsed = parseJson(raw);
            const objects = spec.items === "object";
            const itemOk = (x: unknown) =>
                objects ? x !== null && typeof x === "object" && !Array.isArray(x) : typeof x === "string";
            if (!Array.isArray(parsed) || !parsed.every(itemOk))
                return fail(
                    objects
                        ? "a list of objects"
                        : spec.allowed
                          ? `a list of strings, each one of ${spec.allowed.map((a) => `"${a}"`).join(", ")}`
                          : LIST_EXAMPLE,
                );
            const errors: string[] = [];
            if (parsed.length < (spec.minItems ?? 0)) {
                errors.push(
                    configError(
                        ref,
                        key,
                        `must list at least ${spec.minItems} item(s) (got [])`,
                        configSetCommand(ref, `${key}[0]`, { path: true }),
                    ),
                );
            }
            if (!objects) {
                parsed.forEach((item: string, i) => {
                    const e = checkString(ref, `${key}[${i}]`, spec, item, true);
                    if (e) errors.push(e);
                });
            }
            return errors.length > 0 ? { errors } : { value: parsed, errors };
        }
        case "string": {
            // An empty string is "unset" for keys whose default is empty.
            if (raw === "" && spec.default === "") return { value: undefined, errors: [] };
            const e = checkString(ref, key, spec, raw, false);
            return e ? { errors: [e] } : { value: raw, errors: [] };
        }
    }
}

function parseJson(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return undefined;
    }
}

/** Whether the runtime holds `fullKey` as a secret; undefined when the SDK cannot say. */
export function isSecretConfig(fullKey: string): boolean | undefined {
    // Not in the SDK's type declarations, but exported by its runtime.
    return (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret?.(fullKey);
}

/**
 * Reads and validates every platform key from `config`: `value` holds the settings with defaults applied, `errors`
 * one line per problem (empty when the settings are valid).
 */
export function readPlatformConfig(config: pulumi.Config = new pulumi.Config()): {
    value: PlatformConfig;
    errors: string[];
} {
    const ref = stackRefOf(config);
    const errors: string[] = [];
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKey][]) {
        if (spec.readBy) continue;
        const fullKey = `${config.name}:${key}`;
        const raw = pulumi.runtime.getConfig(fullKey);
        if (raw === undefined) {
            if (spec.default === undefined && !spec.secret) {
                const placeholder = spec.allowed ? spec.allowed.join("|") : "<value>";
                errors.push(
                    configError(
                        ref,
                        key,
                        "is not set, and has no default",
                        configSetCommand(ref, key, { value: placeholder }),
                    ),
                );
            }
            out[key] = spec.default === "" ? undefined : spec.default;
            continue;
        }
        if (spec.secret && isSecretConfig(fullKey) === false) {
            errors.push(
                configError(
                    ref,
                    key,
                    "is stored in plain text, but it is a credential",
                    configSetCommand(ref, key, { secret: true }),
                ),
            );
            continue;
        }
        const { value, errors: keyErrors } = parseConfigValue(ref, key, spec, raw);
        errors.push(...keyErrors);
        // A secret stays a secret: the program only ever sees it as a secret Output.
        out[key] = spec.secret && value !== undefined ? config.requireSecret(key) : value;
    }
    return { value: out as unknown as PlatformConfig, errors };
}

/** Reads and validates every platform key from `config`, applying defaults; throws one {@link ConfigError} listing every problem. */
export function loadPlatformConfig(config: pulumi.Config = new pulumi.Config()): PlatformConfig {
    const { value, errors } = readPlatformConfig(config);
    if (errors.length > 0) throw configErrors(errors);
    return value;
}

/** One {@link ConfigError} listing every problem on its own line. */
export function configErrors(errors: string[]): ConfigError {
    return new ConfigError(`invalid stack configuration:\n  - ${errors.join("\n  - ")}`);
}

/**
 * Errors for keys of this project that the program does not read (`zdp:Environment`, `zdp:istiodReplica`): the
 * engine passes any namespaced key through, so a typo would silently leave the setting at its default. Each names the
 * closest known key. `keys` are fully qualified; keys of other namespaces (`kubernetes:context`) are not ours.
 */
export function unknownConfigKeys(
    ref: StackRef,
    keys: readonly string[],
    extraKnown: readonly string[] = [],
): string[] {
    const known = [...Object.keys(CONFIG_KEYS), ...extraKnown];
    const prefix = `${ref.project}:`;
    return keys
        .filter((k) => k.startsWith(prefix) && !known.includes(k.slice(prefix.length)))
        .sort()
        .map((k) => {
            const key = k.slice(prefix.length);
            const near = closestName(key, known);
            const hint = near ? `did you mean ${prefix}${near}?` : `the keys are: ${known.join(", ")}`;
            return `config ${k} is not a key of this program (${hint}); remove it with: pulumi config rm --stack ${ref.stack} ${k}`;
        });
}
