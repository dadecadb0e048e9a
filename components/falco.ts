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
import { RELEASE_CHECK_LABEL } from "./blueGreenService/constants";

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
    /**
     * The releases' smoke tests, which run `/bin/sh` in the service namespace on every blue/green release: the shell
     * rule does not fire for a pod that carries the release-check label with this service's name, in this namespace,
     * running this image's repository. Defaults to none (every shell fires).
     */
    readonly releaseChecks?: ReleaseCheckArgs[];
}

/** One release's smoke test, as the Falco shell rule's exception matches it. */
export interface ReleaseCheckArgs {
    /** Namespace of the service. */
    readonly namespace: string;
    /** Name of the service: the value of the release-check label on its check Jobs' pods. */
    readonly service: string;
    /** Image the smoke test runs (`analysis.smokeTest.image`); its repository is matched, without tag or digest. */
    readonly image: string;
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
            (args.releaseChecks ?? []).flatMap((c, i) =>
                checkReleaseCheck(`releaseChecks[${i}]`, c, serviceNamespaces),
            ),
            args.existing && args.alertWebhookUrl !== undefined
                ? "alertWebhookUrl must be unset with existing: the existing Falco install forwards its own alerts"
                : undefined,
        );
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("Falco", name, errors), this);

        const rules = platformRules(serviceNamespaces, args.releaseChecks ?? []);
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
 * they keep working when the default rules change. The shell rule carries one exception, for the releases' smoke
 * tests (`releaseChecks`).
 */
export function platformRules(
    serviceNamespaces: string[],
    releaseChecks: readonly ReleaseCheckArgs[] = [],
): Record<string, unknown>[] {
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
            ...(releaseChecks.length > 0 ? { exceptions: [releaseCheckException(releaseChecks)] } : {}),
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

/** Falco field of the release-check label the smoke test's pods carry (value: the service name). */
export const RELEASE_CHECK_LABEL_FIELD = `k8s.pod.label[${RELEASE_CHECK_LABEL}]`;

/**
 * The shell rule's exception (Falco's `exceptions`: the rule does not fire when every field of one tuple of `values`
 * matches): namespace, release-check label and image repository together, so that neither the label alone (any pod
 * may set it) nor the image alone (an application could run it) silences a shell.
 */
export function releaseCheckException(releaseChecks: readonly ReleaseCheckArgs[]): Record<string, unknown> {
    const values = releaseChecks.map((c) => [c.namespace, c.service, imageRepository(c.image)]);
    const unique = [...new Map(values.map((v) => [JSON.stringify(v), v])).values()];
    return {
        name: "platform_release_checks",
        fields: ["k8s.ns.name", RELEASE_CHECK_LABEL_FIELD, "container.image.repository"],
        comps: ["=", "=", "="],
        values: unique,
    };
}

/**
 * The repository of an image reference as the container runtime reports it to Falco: without tag or digest, and
 * fully qualified (`docker.io/library/` for a Docker Hub name the way containerd and CRI-O normalise it).
 */
export function imageRepository(image: string): string {
    const withoutDigest = image.split("@")[0];
    const slash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    const repository = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
    const first = repository.split("/")[0];
    const hasHost = repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    if (hasHost) return repository;
    return repository.includes("/") ? `docker.io/${repository}` : `docker.io/library/${repository}`;
}

/** Checks one `releaseChecks` entry; returns its problems. */
export function checkReleaseCheck(
    field: string,
    c: ReleaseCheckArgs,
    serviceNamespaces: readonly string[],
): (string | undefined)[] {
    return [
        checkDnsLabel(`${field}.namespace`, c?.namespace),
        serviceNamespaces.includes(c?.namespace)
            ? undefined
            : `${field}.namespace "${c?.namespace}" is not one of serviceNamespaces: the rules watch only those`,
        checkDnsLabel(`${field}.service`, c?.service),
        typeof c?.image === "string" && /^[a-z0-9][a-z0-9._\-/:@]*$/.test(c.image)
            ? undefined
            : `${field}.image must be an image reference (got ${JSON.stringify(c?.image)})`,
    ];
}
