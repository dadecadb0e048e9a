/**
 * The add-ons' real content, as their upstream projects render it (`../shared/upstream`, read at run time, never
 * copied here), against what the components set in their charts' values:
 *
 * - every image the upstream manifests name (containers, initContainers, and images or artifacts named in config:
 *   trivy's scanner and node-collector, the databases, falcoctl's rules and plugin) is overridden by the component's
 *   chart values, images with a digest from the stack's mirror;
 * - with those values applied (images, the chart switches the components set, the release namespace), the upstream
 *   RBAC, ServiceAccounts and workloads raise no mandatory violation under each stack's policy config, while the raw
 *   upstream content does; and the exemptions stay narrow (a rule granting more still fails).
 *
 * The upstream folder is data shared beside the repository. Locally the suite skips (with a message) when it is
 * absent; in CI (`CI` set) its absence fails.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ADDON_ARTIFACTS, ADDON_IMAGES, MirroredArtifact, PinnedImage } from "../../components/lib/images";
import { ManifestObject, PolicyEngine, Violation } from "../../policy-pack/lib/engine";
import { KubeObject, POD_BEARING_KINDS, podSpecOf } from "../../policy-pack/lib/kubernetes";
import { loadManifests } from "../../policy-pack/lib/manifests";
import { applyImageCliOptions } from "../../policy-pack/images/cliOptions";
import { CHART } from "../helpers/components";
import { REPO_ROOT, renderedStack, stackNames } from "../helpers/renderedStack";
import { loadStackConfig } from "../../tools/stacks";

const UPSTREAM = path.resolve(REPO_ROOT, "../shared/upstream");

type Addon = "argoRollouts" | "trivyOperator" | "falco";

/** The upstream files of each add-on and the chart resource the program registers for it. */
const ADDONS: Record<Addon, { files: string[]; chart: string }> = {
    argoRollouts: { files: ["argo-rollouts/install-v1.9.0.yaml"], chart: "rollouts-chart" },
    trivyOperator: { files: ["trivy-operator/trivy-operator-v0.32.0.yaml"], chart: "trivy-chart" },
    falco: { files: ["falco/falco-chart-9.1.0.yaml", "falco/falcosidekick-chart-9.1.0.yaml"], chart: "falco-chart" },
};

/** Kinds without a namespace (the rest get the chart's release namespace, as Helm renders `.Release.Namespace`). */
const CLUSTER_KINDS = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "PriorityClass",
]);

/** A reference an upstream object names, and where. */
interface FoundReference {
    repository: string;
    tag?: string;
    where: string;
    /** True for a container's `image` field (the pack judges those). */
    container: boolean;
}

/** `host.tld[:port]/path[:tag]` not preceded by a URL scheme: images and OCI artifacts named in strings. */
const REFERENCE = /(?<![\w/.:-])([a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:\/[a-z0-9._-]+)+)(?::([\w.-]+))?(?![\w/])/g;

function splitReference(ref: string): { repository: string; tag?: string } {
    const at = ref.indexOf("@");
    const noDigest = at < 0 ? ref : ref.slice(0, at);
    const colon = noDigest.lastIndexOf(":");
    if (colon > noDigest.lastIndexOf("/"))
        return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
    return { repository: noDigest };
}

function describe_(obj: KubeObject): string {
    return `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata?.name}`;
}

const CONTAINER_LISTS = ["containers", "initContainers", "ephemeralContainers"] as const;

/** Every image and artifact an upstream object names. */
function referencesOf(obj: KubeObject): FoundReference[] {
    const out: FoundReference[] = [];
    const fromString = (s: string, where: string) => {
        for (const m of s.matchAll(REFERENCE)) out.push({ repository: m[1], tag: m[2], where, container: false });
    };
    if (POD_BEARING_KINDS.has(obj.kind ?? "")) {
        const spec = podSpecOf(obj) ?? {};
        for (const list of CONTAINER_LISTS) {
            for (const c of (spec[list] as Record<string, any>[] | undefined) ?? []) {
                const where = `${describe_(obj)} ${list} ${c.name}`;
                out.push({ ...splitReference(String(c.image)), where, container: true });
                for (const e of c.env ?? []) if (typeof e.value === "string") fromString(e.value, `${where} env`);
                for (const a of [...(c.args ?? []), ...(c.command ?? [])]) fromString(String(a), `${where} args`);
            }
        }
    }
    if (obj.kind === "ConfigMap") {
        for (const [key, value] of Object.entries((obj.data as Record<string, string>) ?? {})) {
            fromString(String(value), `${describe_(obj)} data.${key}`);
            // falcoctl names artifacts by index entry ("falco-rules:5"); the falcosecurity index resolves them under
            // ghcr.io/falcosecurity/rules/.
            if (key === "falcoctl.yaml") {
                const cfg = parse(String(value)) ?? {};
                for (const section of ["install", "follow"]) {
                    for (const ref of cfg.artifact?.[section]?.refs ?? []) {
                        if (!String(ref).includes("/")) {
                            const { repository, tag } = splitReference(String(ref));
                            out.push({
                                repository: `ghcr.io/falcosecurity/rules/${repository}`,
                                tag,
                                where: `${describe_(obj)} falcoctl ${section} refs`,
                                container: false,
                            });
                        }
                    }
                }
            }
        }
    }
    return out;
}

/** The value at `keys` of a values object. */
function at(values: any, keys: readonly string[]): any {
    return keys.reduce((v, k) => (v === undefined || v === null ? undefined : v[k]), values);
}

/** The image reference the chart renders from the values at an image's path (`registry/repository:tag` or full). */
function renderedImage(values: unknown, image: PinnedImage): string | undefined {
    const v = at(values, image.values.path);
    if (image.values.form === "full") return typeof v === "string" ? v : undefined;
    if (!v || typeof v.registry !== "string" || typeof v.repository !== "string" || typeof v.tag !== "string") {
        return undefined;
    }
    return `${v.registry}/${v.repository}:${v.tag}`;
}

function imageFor(addon: Addon, repository: string): PinnedImage | undefined {
    return Object.values(ADDON_IMAGES[addon] as Record<string, PinnedImage>).find((i) => i.upstream === repository);
}

function artifactFor(addon: Addon, repository: string): MirroredArtifact | undefined {
    const artifacts = ADDON_ARTIFACTS[addon as keyof typeof ADDON_ARTIFACTS] as
        Record<string, MirroredArtifact> | undefined;
    return Object.values(artifacts ?? {}).find((a) => a.upstream === repository);
}

/**
 * The upstream objects as the chart renders them with the component's values: the release namespace, every
 * container image the values override, and the chart switches the components set. Images without an override stay
 * upstream's (so a missing override shows up as a violation).
 */
function asPlatformRenders(addon: Addon, objects: ManifestObject[], chart: { namespace: string; values: any }) {
    const out: ManifestObject[] = [];
    for (const m of objects) {
        const obj = structuredClone(m.object) as KubeObject & Record<string, any>;
        // argo-rollouts: createClusterAggregateRoles=false renders no aggregate-to-* ClusterRoles.
        const labels = Object.keys(obj.metadata?.labels ?? {});
        if (
            addon === "argoRollouts" &&
            chart.values.createClusterAggregateRoles === false &&
            obj.kind === "ClusterRole" &&
            labels.some((l) => l.startsWith("rbac.authorization.k8s.io/aggregate-to-"))
        ) {
            continue;
        }
        if (!CLUSTER_KINDS.has(obj.kind ?? "")) obj.metadata = { ...obj.metadata, namespace: chart.namespace };
        for (const s of obj.subjects ?? []) if (s.kind === "ServiceAccount") s.namespace = chart.namespace;
        if (POD_BEARING_KINDS.has(obj.kind ?? "")) {
            const spec = podSpecOf(obj) ?? {};
            for (const list of CONTAINER_LISTS) {
                for (const c of (spec[list] as Record<string, any>[] | undefined) ?? []) {
                    const image = imageFor(addon, splitReference(String(c.image)).repository);
                    const rendered = image && renderedImage(chart.values, image);
                    if (rendered) c.image = rendered;
                }
            }
        }
        out.push({ ...m, object: obj });
    }
    return out;
}

function policyConfig(stack: string): unknown {
    const raw = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy-pack", "config", `${stack}.json`), "utf8"));
    // As `policy:check --offline` and the offline preview: signatures are not fetched from a registry here.
    return applyImageCliOptions(raw, { offline: true });
}

const mandatory = (vs: Violation[]) => vs.filter((v) => v.enforcementLevel === "mandatory");
const show = (vs: Violation[]) => vs.map((v) => `${v.policy}: ${v.message.slice(0, 220)}`).join("\n");

describe("add-ons: the upstream projects' rendered content", function () {
    this.timeout(240_000);
    const upstream: Partial<Record<Addon, ManifestObject[]>> = {};

    before(async function () {
        if (!fs.existsSync(UPSTREAM)) {
            if (process.env.CI) throw new Error(`upstream manifests not found at ${UPSTREAM}; CI must provide them`);
            console.log(`      skipped: upstream manifests not found at ${UPSTREAM} (they live beside the repository)`);
            this.skip();
        }
        for (const [addon, { files }] of Object.entries(ADDONS) as [Addon, { files: string[] }][]) {
            upstream[addon] = await loadManifests(files.map((f) => path.join(UPSTREAM, f)));
            assert.ok(upstream[addon]!.length > 0, `no objects in ${files.join(", ")}`);
        }
    });

    for (const stack of stackNames()) {
        describe(`stack ${stack}`, () => {
            let charts: Record<Addon, { namespace: string; values: any }>;
            let mirror: string;

            before(async () => {
                const rendered = await renderedStack(stack);
                charts = Object.fromEntries(
                    (Object.keys(ADDONS) as Addon[]).map((addon) => {
                        const inputs = rendered.get(CHART, ADDONS[addon].chart).inputs;
                        return [addon, { namespace: inputs.namespace, values: inputs.values }];
                    }),
                ) as typeof charts;
                const loaded = loadStackConfig(REPO_ROOT, stack);
                mirror = loaded.config[`${loaded.project}:addonImageRegistry`];
                assert.ok(mirror, `Pulumi.${stack}.yaml sets no zdp:addonImageRegistry`);
            });

            for (const addon of Object.keys(ADDONS) as Addon[]) {
                it(`${addon}: every image and artifact upstream names is overridden from the mirror, images by digest`, () => {
                    const refs = (upstream[addon] ?? []).flatMap((m) => referencesOf(m.object));
                    assert.ok(
                        refs.some((r) => r.container),
                        "found no container image: the reader is broken",
                    );
                    const problems: string[] = [];
                    for (const ref of refs) {
                        const image = imageFor(addon, ref.repository);
                        const artifact = artifactFor(addon, ref.repository);
                        if (!image && !artifact) {
                            problems.push(
                                `${ref.where}: ${ref.repository} is in neither ADDON_IMAGES.${addon} nor ADDON_ARTIFACTS`,
                            );
                            continue;
                        }
                        if (ref.container && !image) {
                            problems.push(`${ref.where}: container image ${ref.repository} is only an artifact`);
                            continue;
                        }
                        if (image) {
                            const rendered = renderedImage(charts[addon].values, image);
                            const path_ = image.values.path.join(".");
                            const expected = new RegExp(
                                `^${mirror.replace(/[.]/g, "\\.")}/[a-z0-9._/-]+:${image.tag.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`,
                            );
                            if (!rendered) problems.push(`${ref.where}: chart values leave ${path_} unset`);
                            else if (!expected.test(rendered)) {
                                problems.push(
                                    `${ref.where}: ${path_} renders ${rendered}, not ${mirror}/…:${image.tag}@sha256:…`,
                                );
                            }
                        }
                    }
                    assert.deepEqual(problems, []);
                });
            }

            it("falcoctl and trivy fetch their artifacts from the mirror", () => {
                const falco = charts.falco.values.falcoctl.config.artifact;
                for (const ref of [...falco.install.refs, ...falco.follow.refs]) {
                    assert.ok(String(ref).startsWith(`${mirror}/`), `falcoctl ref ${ref}`);
                }
                assert.deepEqual(charts.falco.values.falcoctl.config.indexes, []);
                const trivy = charts.trivyOperator.values;
                for (const [reg, repo] of [
                    [trivy.trivy.dbRegistry, trivy.trivy.dbRepository],
                    [trivy.trivy.javaDbRegistry, trivy.trivy.javaDbRepository],
                    [trivy.policiesBundle.registry, trivy.policiesBundle.repository],
                ]) {
                    assert.ok(`${reg}/${repo}`.startsWith(`${mirror}/`), `${reg}/${repo}`);
                }
            });

            it("raw upstream content fails the pack, as the platform's charts render it none is mandatory", async () => {
                const engine = new PolicyEngine({ config: policyConfig(stack) });
                const before: Violation[] = [];
                const after: Violation[] = [];
                for (const addon of Object.keys(ADDONS) as Addon[]) {
                    before.push(...(await engine.check(upstream[addon]!)));
                    after.push(...(await engine.check(asPlatformRenders(addon, upstream[addon]!, charts[addon]))));
                }
                console.log(
                    `      ${stack}: upstream ${mandatory(before).length} mandatory, as rendered by the platform ` +
                        `${mandatory(after).length} mandatory (${after.length - mandatory(after).length} advisory)`,
                );
                assert.ok(
                    mandatory(before).length > 0,
                    "the raw upstream content must fail, or this test proves nothing",
                );
                assert.deepEqual(show(mandatory(after)), "");
            });

            it("an image the component does not override still fails the pack", async () => {
                const engine = new PolicyEngine({ config: policyConfig(stack) });
                const values = structuredClone(charts.falco.values);
                delete values.falcosidekick.image;
                const found = mandatory(
                    await engine.check(asPlatformRenders("falco", upstream.falco!, { ...charts.falco, values })),
                );
                assert.ok(
                    found.some((v) => v.name === "falcosidekick" && v.policy === "images-digest-pinned"),
                    show(found),
                );
            });

            it("exemptions are narrow: a controller role granting more than its exempt rules still fails", async () => {
                const engine = new PolicyEngine({ config: policyConfig(stack) });
                const roleOf = (addon: Addon, name: string) =>
                    structuredClone(
                        asPlatformRenders(addon, upstream[addon]!, charts[addon]).find(
                            (m) => m.object.kind === "ClusterRole" && m.object.metadata?.name === name,
                        )!.object,
                    ) as any;
                const argo = roleOf("argoRollouts", "argo-rollouts");
                // A new rule, and the exempt rule itself widened by one more dangerous grant.
                argo.rules.push({ apiGroups: ["apps"], resources: ["deployments"], verbs: ["create"] });
                argo.rules.find((r: any) => r.resources?.includes("replicasets")).resources.push("statefulsets");
                // trivy-operator is exempt for get on Secrets, not list.
                const trivy = roleOf("trivyOperator", "trivy-operator");
                trivy.rules.push({ apiGroups: [""], resources: ["secrets"], verbs: ["list"] });
                const found = mandatory(await engine.check([{ object: argo }, { object: trivy }]));
                assert.deepEqual(
                    found.map((v) => `${v.name} ${v.policy}`).sort(),
                    [
                        "argo-rollouts rbac-no-pod-create",
                        "argo-rollouts rbac-no-pod-create",
                        "trivy-operator rbac-no-secret-read",
                    ],
                    show(found),
                );
            });
        });
    }
});
