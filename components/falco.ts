import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { chartSource, CHARTS, checkChartRepository } from "./lib/charts";
import {
    ADDON_ARTIFACTS,
    ADDON_IMAGES,
    checkImageRegistry,
    deepMerge,
    imageValues,
    mirroredRepository,
} from "./lib/images";
import { checkChartVersion, checkDnsLabel, checkOneOf, collectErrors, formatArgErrors } from "./lib/validation";

/** Falco priorities, most severe first. */
export const FALCO_PRIORITIES = [
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
] as const;

export interface FalcoArgs {
    /** falco chart version. Defaults to the version pinned in `lib/charts.ts`. */
    readonly version?: string;
    /** Namespace of Falco and falcosidekick. Defaults to "falco". */
    readonly namespace?: string;
    /** Namespaces that run the platform's services; the platform rules watch these. Defaults to none. */
    readonly serviceNamespaces?: string[];
    /** Lowest priority forwarded to the alert target. Defaults to "warning". */
    readonly minimumPriority?: string;
    /** Incoming-webhook URL that falcosidekick forwards alerts to; pass a Pulumi secret. Defaults to no forwarding. */
    readonly alertWebhookUrl?: pulumi.Input<string>;
    /**
     * Falco is already installed another way (GitOps, another team's stack): install no chart and create no
     * namespace; only the platform's rules go into Falco's namespace as the ConfigMap `falco-platform-rules` (key
     * `platform-rules.yaml`), for that install to mount. Alerts are forwarded by that install, so `alertWebhookUrl`
     * must be unset. Defaults to false (install).
     */
    readonly existing?: boolean;
    /**
     * Repository of the falco chart: an organisation's mirror as `oci://host/path` or an HTTP(S) chart repository.
     * Defaults to the falcosecurity repository (`lib/charts.ts`).
     */
    readonly chartRepository?: string;
    /**
     * Registry (host and optional path) that mirrors the Falco, driver loader, falcoctl and falcosidekick images
     * (pinned by the digests in `lib/images.ts`) and the rules and plugin artifacts falcoctl installs. Defaults to
     * the upstream registries, images still pinned by digest.
     */
    readonly imageRegistry?: string;
}

/**
 * Falco runtime detection with the `modern_ebpf` driver, falcosidekick forwarding alerts, and the platform's own
 * rules for service containers delivered through the chart's `customRules`. With `existing`, only the rules, as a
 * ConfigMap for a Falco installed another way.
 */
export class Falco extends pulumi.ComponentResource {
    /** Namespace of Falco. */
    public readonly namespace: pulumi.Output<string>;
    /** Names of the platform's own rules. */
    public readonly platformRules: pulumi.Output<string[]>;

    constructor(name: string, args: FalcoArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        super(
            "zdp:index:Falco",
            name,
            // The engine stores a component's inputs in the state: keep the URL a secret there too, however the
            // caller passed it (a plain string from another language, say).
            args.alertWebhookUrl === undefined
                ? args
                : { ...args, alertWebhookUrl: pulumi.secret(args.alertWebhookUrl) },
            opts,
        );

        const version = args.version ?? CHARTS.falco.version;
        const namespace = args.namespace ?? "falco";
        const serviceNamespaces = args.serviceNamespaces ?? [];
        const minimumPriority = args.minimumPriority ?? "warning";
        const errors = collectErrors(
            checkChartVersion("version", version),
            checkDnsLabel("namespace", namespace),
            serviceNamespaces.map((ns, i) => checkDnsLabel(`serviceNamespaces[${i}]`, ns)),
            checkOneOf("minimumPriority", minimumPriority, FALCO_PRIORITIES),
            args.chartRepository === undefined
                ? undefined
                : checkChartRepository("chartRepository", args.chartRepository),
            args.imageRegistry === undefined ? undefined : checkImageRegistry("imageRegistry", args.imageRegistry),
            args.existing && args.alertWebhookUrl !== undefined
                ? "alertWebhookUrl must be unset with existing: the existing Falco install forwards its own alerts"
                : undefined,
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("Falco", name, errors), this);

        const rules = platformRules(serviceNamespaces);
        const ruleNames = pulumi.output(rules.filter((r) => "rule" in r).map((r) => r.rule as string));
        if (args.existing ?? false) {
            new k8s.core.v1.ConfigMap(
                `${name}-platform-rules`,
                {
                    metadata: { name: PLATFORM_RULES_CONFIGMAP, namespace },
                    data: { [PLATFORM_RULES_FILE]: stringify(rules) },
                },
                { parent: this },
            );
            this.namespace = pulumi.output(namespace);
            this.platformRules = ruleNames;
            this.registerOutputs({ namespace: this.namespace, platformRules: this.platformRules });
            return;
        }

        const forward = args.alertWebhookUrl !== undefined;
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespace } }, { parent: this });
        const dependsOn: pulumi.Resource[] = [];
        if (forward) {
            // falcosidekick reads its outputs from environment variables; the URL stays in this Secret.
            dependsOn.push(
                new k8s.core.v1.Secret(
                    `${name}-sidekick-secret`,
                    {
                        metadata: { name: "falcosidekick-outputs", namespace: ns.metadata.name },
                        type: "Opaque",
                        stringData: { WEBHOOK_ADDRESS: pulumi.secret(args.alertWebhookUrl!) },
                    },
                    { parent: this },
                ),
            );
        }

        const registry = args.imageRegistry;
        const rulesRef = artifactReference(ADDON_ARTIFACTS.falco.rules, registry);
        const pluginRef = artifactReference(ADDON_ARTIFACTS.falco.containerPlugin, registry);
        new k8s.helm.v4.Chart(
            `${name}-chart`,
            {
                ...chartSource(CHARTS.falco, args.chartRepository),
                version,
                namespace: ns.metadata.name,
                values: deepMerge(imageValues(ADDON_IMAGES.falco, registry), {
                    driver: { kind: "modern_ebpf" },
                    tty: true,
                    falco: { json_output: true, priority: "notice" },
                    customRules: { [PLATFORM_RULES_FILE]: stringify(rules) },
                    // falcoctl installs (and weekly follows) the default rules and the container plugin by full
                    // reference, from the mirror when there is one: then no index on the internet is needed.
                    falcoctl: {
                        config: {
                            ...(registry === undefined ? {} : { indexes: [] }),
                            artifact: {
                                install: { refs: [rulesRef, pluginRef], resolveDeps: registry === undefined },
                                follow: { refs: [rulesRef] },
                            },
                        },
                    },
                    falcosidekick: {
                        enabled: forward,
                        webui: { enabled: false },
                        config: forward
                            ? { existingSecret: "falcosidekick-outputs", webhook: { minimumpriority: minimumPriority } }
                            : {},
                    },
                }),
            },
            { parent: this, dependsOn },
        );

        this.namespace = ns.metadata.name;
        this.platformRules = ruleNames;
        this.registerOutputs({ namespace: this.namespace, platformRules: this.platformRules });
    }
}

/** Name of the ConfigMap that carries the platform's rules when Falco is `existing`. */
export const PLATFORM_RULES_CONFIGMAP = "falco-platform-rules";
/** File name of the platform's rules (the chart's `customRules` key, the ConfigMap's data key). */
export const PLATFORM_RULES_FILE = "platform-rules.yaml";

/** `<repository>:<tag>` of a falcoctl artifact, from the mirror when `registry` is set. */
function artifactReference(artifact: { upstream: string; tag: string }, registry: string | undefined): string {
    return `${mirroredRepository(artifact.upstream, registry)}:${artifact.tag}`;
}

/**
 * The platform's Falco rules: conditions use only Falco's own event fields (no macros from the default rule set), so
 * they keep working when the default rules change.
 */
export function platformRules(serviceNamespaces: string[]): Record<string, unknown>[] {
    const scope =
        serviceNamespaces.length > 0 ? `k8s.ns.name in (${serviceNamespaces.join(", ")})` : "k8s.ns.name exists";
    return [
        { list: "platform_shells", items: ["sh", "bash", "dash", "ash", "zsh", "ksh", "csh", "busybox"] },
        {
            list: "platform_binary_dirs",
            items: ["/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"],
        },
        {
            list: "platform_package_managers",
            items: ["apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "pip", "pip3", "npm"],
        },
        {
            rule: "Platform shell spawned in a service container",
            desc: "A shell started inside a platform service container: services never need one at run time.",
            condition: `evt.type in (execve, execveat) and evt.dir = < and container.id != host and proc.name in (platform_shells) and ${scope}`,
            output: "Shell in service container (ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name cmd=%proc.cmdline user=%user.name)",
            priority: "WARNING",
            tags: ["platform", "container", "shell", "mitre_execution"],
        },
        {
            rule: "Platform write below binary directory",
            desc: "A service container wrote below a binary directory: images are immutable, so this is tampering.",
            condition: `evt.type in (open, openat, openat2) and evt.is_open_write = true and container.id != host and fd.directory in (platform_binary_dirs) and ${scope}`,
            output: "Write below binary dir in service container (ns=%k8s.ns.name pod=%k8s.pod.name file=%fd.name cmd=%proc.cmdline)",
            priority: "ERROR",
            tags: ["platform", "container", "filesystem", "mitre_persistence"],
        },
        {
            rule: "Platform package manager run in a service container",
            desc: "Installing packages into a running service container bypasses the signed, scanned image.",
            condition: `evt.type in (execve, execveat) and evt.dir = < and container.id != host and proc.name in (platform_package_managers) and ${scope}`,
            output: "Package manager in service container (ns=%k8s.ns.name pod=%k8s.pod.name cmd=%proc.cmdline)",
            priority: "ERROR",
            tags: ["platform", "container", "software_mgmt"],
        },
    ];
}
