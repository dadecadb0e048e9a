import * as pulumi from "@pulumi/pulumi";

/**
 * The platform program's configuration keys: one table that `Pulumi.yaml` mirrors (a test keeps them equal) and that
 * {@link loadPlatformConfig} validates against, so a wrong value fails with the key's name and what is allowed
 * instead of a stack trace from deep inside a component.
 */
export interface ConfigKey {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly description: string;
    /** Value used when the stack sets none; absent means optional with no value. */
    readonly default?: string | number | boolean | string[];
    readonly secret?: boolean;
    readonly allowed?: readonly string[];
    readonly min?: number;
    readonly max?: number;
}

export const CONFIG_KEYS = {
    environment: {
        type: "string",
        description: "Environment this stack is: staging or prod. Selects stricter gates and HA in prod.",
        default: "staging",
        allowed: ["staging", "prod"],
    },
    kubeContext: {
        type: "string",
        description: "kubeconfig context to deploy to. Unset: the current context of the kubeconfig in use.",
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
    },
    pipelineNamespace: {
        type: "string",
        description: "Namespace of the builder, deployer and auditor ServiceAccounts.",
        default: "platform-pipeline",
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
            "Namespace of the release monitoring objects and dashboard ConfigMap (must exist and be watched by Prometheus and Grafana's sidecar). Unset: the Argo Rollouts namespace.",
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
            "URL of this repository's README as the Git host renders it; alerts link to its runbook anchors. Unset: README.md.",
    },
} as const satisfies Record<string, ConfigKey>;

export type ConfigKeyName = keyof typeof CONFIG_KEYS;

/** Validated platform settings (services are read by the program separately, see `services` in the README). */
export interface PlatformConfig {
    environment: "staging" | "prod";
    kubeContext?: string;
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
    pipelineNamespace: string;
    releaseMonitoring: boolean;
    monitoringNamespace?: string;
    monitoringLabels: string[];
    releaseAlertSeverity: "warning" | "critical";
    releaseMaxPauseMinutes: number;
    previewRetentionMinutes: number;
    runbookBaseUrl?: string;
}

/** Thrown for configuration mistakes; `pulumi.RunError` makes the CLI print the message without a stack trace. */
export class ConfigError extends pulumi.RunError {}

/**
 * Parses one raw config string according to its declared type. Returns the value or an error message naming the
 * key, what was given and what is allowed.
 */
export function parseConfigValue(
    project: string,
    key: string,
    spec: ConfigKey,
    raw: string,
): { value?: unknown; error?: string } {
    const name = `${project}:${key}`;
    const fail = (what: string) => ({
        error: `config ${name} must be ${what} (got ${JSON.stringify(raw)}); fix it with: pulumi config set ${key} <value>`,
    });
    switch (spec.type) {
        case "integer": {
            const n = Number(raw);
            const min = spec.min ?? Number.MIN_SAFE_INTEGER;
            const max = spec.max ?? Number.MAX_SAFE_INTEGER;
            if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
                return fail(spec.min !== undefined ? `an integer from ${min} to ${max}` : "an integer");
            }
            return { value: n };
        }
        case "boolean":
            if (raw !== "true" && raw !== "false") return fail("true or false");
            return { value: raw === "true" };
        case "array": {
            let parsed: unknown;
            try {
                parsed = JSON.parse(raw);
            } catch {
                return fail('a list of strings such as ["a", "b"]');
            }
            if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) {
                return fail('a list of strings such as ["a", "b"]');
            }
            return { value: parsed };
        }
        case "string":
            if (spec.allowed && !spec.allowed.includes(raw)) {
                return fail(`one of ${spec.allowed.map((a) => `"${a}"`).join(", ")}`);
            }
            return { value: raw };
    }
}

/** Reads and validates every platform key from `config`, applying defaults; throws one {@link ConfigError} listing every problem. */
export function loadPlatformConfig(config: pulumi.Config = new pulumi.Config()): PlatformConfig {
    const errors: string[] = [];
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKey][]) {
        if (spec.secret) {
            // Presence decides which resources exist, so look at it without reading the value into plain text.
            const present = pulumi.runtime.getConfig(`${config.name}:${key}`) !== undefined;
            out[key] = present ? config.requireSecret(key) : undefined;
            continue;
        }
        const raw = config.get(key);
        if (raw === undefined) {
            out[key] = spec.default;
            continue;
        }
        const { value, error } = parseConfigValue(config.name, key, spec, raw);
        if (error) errors.push(error);
        out[key] = value;
    }
    if (errors.length > 0) throw new ConfigError(`invalid stack configuration:\n  - ${errors.join("\n  - ")}`);
    return out as unknown as PlatformConfig;
}
