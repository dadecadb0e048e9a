/**
 * Every container image the add-ons' charts run, pinned by digest: one declaration that the components turn into
 * chart values, and that a test checks against the upstream projects' rendered manifests (every image there must be
 * overridden here).
 *
 * The digests are the platform mirror's. Copying an image with `crane copy` or `skopeo copy --all` keeps its
 * manifest, so the mirror's digest is the upstream digest of the same tag. Refresh after mirroring a new version:
 *
 *     crane digest <mirror>/<path>:<tag>          # e.g. registry.example.com/platform/mirror/falcosecurity/falco:0.44.1
 *
 * and paste the `sha256:…` here, in the same change that bumps the chart in `charts.ts` (docs/architecture.md, "Platform add-ons").
 */

/** Where a chart takes an image in its values, and in which form. */
export interface ImageValues {
    /** Path of the values object (`["controller", "image"]`) or string (`["pilot", "image"]`). */
    readonly path: readonly string[];
    /**
     * `split`: an object `{registry, repository, tag}` that the chart joins as `registry/repository:tag` (the tag
     * carries the digest: `v1.9.0@sha256:…`, which container runtimes resolve by digest). `full`: one string, the
     * whole reference.
     */
    readonly form: "split" | "full";
}

export interface PinnedImage {
    /** Repository the upstream chart uses by default, registry host included (`quay.io/argoproj/argo-rollouts`). */
    readonly upstream: string;
    /** Exact tag mirrored. */
    readonly tag: string;
    /** Digest of that tag in the mirror: `sha256:` and 64 hex digits. */
    readonly digest: string;
    readonly values: ImageValues;
}

/**
 * OCI artifacts the add-ons pull at run time by tag: vulnerability databases rebuilt every few hours, rule bundles
 * and plugins. They are redirected to the mirror with the images but not pinned by digest (they are data that must
 * stay fresh; the mirror's sync job decides what they contain). Not container images, so no image policy judges them.
 */
export interface MirroredArtifact {
    /** Repository upstream, registry host included. */
    readonly upstream: string;
    /** Tag pulled, when the add-on pins one. */
    readonly tag?: string;
}

/** Container images, per add-on. */
export const ADDON_IMAGES = {
    istio: {
        pilot: {
            upstream: "docker.io/istio/pilot",
            tag: "1.30.5",
            digest: "sha256:836ab9f9f65d7dfda34471c8ccde8bedc2c6709166ab80a1eae4832d8557d51e",
            values: { path: ["pilot", "image"], form: "full" },
        },
        // The sidecar and the ingress gateway's pods: both get it from istiod's injection template.
        proxy: {
            upstream: "docker.io/istio/proxyv2",
            tag: "1.30.5",
            digest: "sha256:9cfb60cfbdb0eda27ef423cfceeae0d38d4d9884115bc81c5c0057b443d14ea7",
            values: { path: ["global", "proxy", "image"], form: "full" },
        },
    },
    argoRollouts: {
        controller: {
            upstream: "quay.io/argoproj/argo-rollouts",
            tag: "v1.9.0",
            digest: "sha256:fc36843d2f2f81d530a6b73bd09db98f4c0c924b9fbabbf4b1e6635ff8146e99",
            values: { path: ["controller", "image"], form: "split" },
        },
    },
    trivyOperator: {
        operator: {
            upstream: "mirror.gcr.io/aquasec/trivy-operator",
            tag: "0.32.0",
            digest: "sha256:c93bf81ec580cb032de2c19473a0ac3c37dc52998a984a0b71a4c76d5424378c",
            values: { path: ["image"], form: "split" },
        },
        // The scanner the operator starts in its scan jobs (trivy-operator-trivy-config: trivy.repository, trivy.tag).
        scanner: {
            upstream: "mirror.gcr.io/aquasec/trivy",
            tag: "0.72.0",
            digest: "sha256:8455ff7519b3be1dac910608e5d2d6c904f3fc7759220da7b7b98240ba6685c7",
            values: { path: ["trivy", "image"], form: "split" },
        },
        // The node-collector jobs of the infra assessment (trivy-operator ConfigMap: node.collector.imageRef).
        nodeCollector: {
            upstream: "ghcr.io/aquasecurity/node-collector",
            tag: "0.3.1",
            digest: "sha256:7fbcfe9b663b7c284618546aa72dff784de038fcb151cc59be4cae44a52b688e",
            values: { path: ["nodeCollector"], form: "split" },
        },
    },
    falco: {
        falco: {
            upstream: "docker.io/falcosecurity/falco",
            tag: "0.44.1",
            digest: "sha256:e7078b1eab848b48404e27621ea75e0159adc03ddbe1168e1d1b817a9b7ce495",
            values: { path: ["image"], form: "split" },
        },
        driverLoader: {
            upstream: "docker.io/falcosecurity/falco-driver-loader",
            tag: "0.44.1",
            digest: "sha256:dd7a4e8397371f420e6e7816b58e88f3ac1d0a9de4f92b33d24921dd3dd368d2",
            values: { path: ["driver", "loader", "initContainer", "image"], form: "split" },
        },
        falcoctl: {
            upstream: "docker.io/falcosecurity/falcoctl",
            tag: "0.13.0",
            digest: "sha256:49d1f197dbce553792850ff6e14824503d7e1b3301a407fc904b1ff0627e40dc",
            values: { path: ["falcoctl", "image"], form: "split" },
        },
        falcosidekick: {
            upstream: "docker.io/falcosecurity/falcosidekick",
            tag: "2.32.0",
            digest: "sha256:777d3af836b255a7b7066d61ae786d3f53aaa549f1badb8633102c833881cf75",
            values: { path: ["falcosidekick", "image"], form: "split" },
        },
    },
} as const satisfies Record<string, Record<string, PinnedImage>>;

/** OCI artifacts, per add-on (see {@link MirroredArtifact}). */
export const ADDON_ARTIFACTS = {
    trivyOperator: {
        db: { upstream: "mirror.gcr.io/aquasec/trivy-db" },
        javaDb: { upstream: "mirror.gcr.io/aquasec/trivy-java-db" },
        checks: { upstream: "mirror.gcr.io/aquasec/trivy-checks", tag: "1" },
    },
    falco: {
        rules: { upstream: "ghcr.io/falcosecurity/rules/falco-rules", tag: "5" },
        containerPlugin: { upstream: "ghcr.io/falcosecurity/plugins/plugin/container", tag: "0.7.1" },
    },
} as const satisfies Record<string, Record<string, MirroredArtifact>>;

/** `host[:port]` then lower-case path segments: what may precede an image's path. No scheme, tag or digest. */
const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Checks a mirror registry (`registry.example.com/platform/mirror`); returns an error naming `field`, or undefined. */
export function checkImageRegistry(field: string, value: unknown): string | undefined {
    if (typeof value === "string" && REGISTRY.test(value) && value.split("/")[0].includes(".")) return undefined;
    return (
        `${field} must be a registry host with an optional path, without scheme, tag or trailing '/', such as ` +
        `"registry.example.com/platform/mirror" (got ${JSON.stringify(value)})`
    );
}

/** Splits `host/path` into the registry host and the repository path. */
export function splitRepository(repository: string): { host: string; path: string } {
    const slash = repository.indexOf("/");
    return { host: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

/** The repository an upstream one is pulled from: `<registry>/<upstream path>`, or upstream itself without a mirror. */
export function mirroredRepository(upstream: string, registry?: string): string {
    if (registry === undefined) return upstream;
    return `${registry}/${splitRepository(upstream).path}`;
}

/** The full, digest-pinned reference of a pinned image: `<repository>:<tag>@sha256:…`. */
export function imageReference(image: PinnedImage, registry?: string): string {
    return `${mirroredRepository(image.upstream, registry)}:${image.tag}@${image.digest}`;
}

/** The chart values that make a chart run `images` from `registry` (upstream registries when undefined), by digest. */
export function imageValues(images: Record<string, PinnedImage>, registry?: string): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const image of Object.values(images)) {
        const repository = mirroredRepository(image.upstream, registry);
        const slash = repository.indexOf("/");
        const value =
            image.values.form === "full"
                ? imageReference(image, registry)
                : {
                      registry: repository.slice(0, slash),
                      repository: repository.slice(slash + 1),
                      tag: `${image.tag}@${image.digest}`,
                  };
        mergeValues(values, image.values.path, value);
    }
    return values;
}

/** Deep-merges `value` into `into` at `path` (objects merge key by key; anything else replaces). */
export function mergeValues(into: Record<string, unknown>, path: readonly string[], value: unknown): void {
    let node = into;
    for (const key of path.slice(0, -1)) {
        const next = node[key];
        if (!isPlainObject(next)) node[key] = {};
        node = node[key] as Record<string, unknown>;
    }
    const last = path[path.length - 1];
    const existing = node[last];
    node[last] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
}

/** `b` merged into a copy of `a`, recursively for plain objects. */
export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
        out[k] = isPlainObject(out[k]) && isPlainObject(v) ? deepMerge(out[k], v) : v;
    }
    return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}
