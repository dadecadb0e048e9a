/**
 * Where images appear in the resources the pack sees:
 *
 * - every container, init container and ephemeral container of the pod-bearing kinds (Pod, Deployment, StatefulSet,
 *   DaemonSet, ReplicaSet, ReplicationController, Job, CronJob and Argo Rollout), read with the shared helpers of
 *   `lib/kubernetes.ts`;
 * - the `values` of Helm chart resources (`kubernetes:helm.sh/v3:Chart`, `kubernetes:helm.sh/v4:Chart`,
 *   `kubernetes:helm.sh/v3:Release`), walked generically. At any depth (arrays included) a property named `image`,
 *   or ending in `Image` (`sidecarImage`, `initImage`), is recognised when its value is
 *     - a string: an image reference (`ghcr.io/acme/app:1.2@sha256:…`), or
 *     - an object with a string `repository` and optional `registry`, `tag` (string or number) and `digest`, the
 *       convention of most public charts: the reference is `[registry/]repository[:tag][@digest]`.
 *   Anything else under such a key (an object without `repository`, a boolean) is not an image and is walked into.
 *   Chart defaults that the values do not override, and global overrides such as `global.imageRegistry`, are not
 *   applied: the workloads the chart renders are checked one by one as pod-bearing objects anyway.
 */
import { KubeObject, containersOf, describeObject, objectOf, podSpecOf } from "../lib/kubernetes";

/** Type tokens of the Helm resources whose `values` are walked for images. */
export const CHART_TYPES: ReadonlySet<string> = new Set([
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:helm.sh/v3:Release",
]);

/** One image found in a resource, with where it was found (for messages). */
export interface ImageUse {
    /** The reference as written (or composed from a chart's image object); not a string when the field is wrong. */
    image: unknown;
    /** `containers[0] (app)`, `initContainers[1] (migrate)`, `values.controller.image`. */
    location: string;
}

/** The images of one resource, and how to name the resource in messages. */
export interface ResourceImages {
    subject: string;
    /** The object the images belong to (a chart is `{kind: "Chart", metadata: {name, namespace}}`), for exemptions. */
    object: KubeObject;
    images: ImageUse[];
}

/** Images of a pod-bearing Kubernetes object (empty for other kinds). */
export function imagesOfObject(obj: KubeObject): ImageUse[] {
    const podSpec = podSpecOf(obj);
    if (!podSpec) return [];
    return containersOf(podSpec).map(({ field, index, container }) => {
        const name = typeof container.name === "string" ? ` (${container.name})` : "";
        return { image: container.image, location: `${field}[${index}]${name}` };
    });
}

function isImageKey(key: string): boolean {
    return key === "image" || /[a-z0-9]Image$/.test(key);
}

function composeChartImage(value: Record<string, unknown>): string | undefined {
    const { registry, repository, tag, digest } = value;
    if (typeof repository !== "string" || repository.length === 0) return undefined;
    let ref =
        typeof registry === "string" && registry.length > 0
            ? `${registry.replace(/\/+$/, "")}/${repository}`
            : repository;
    if ((typeof tag === "string" && tag.length > 0) || typeof tag === "number") ref += `:${tag}`;
    if (typeof digest === "string" && digest.length > 0) ref += `@${digest}`;
    return ref;
}

const MAX_DEPTH = 64;

/** Images named in Helm chart values (see the module comment for what is recognised). */
export function imagesOfChartValues(values: unknown): ImageUse[] {
    const out: ImageUse[] = [];
    const walk = (node: unknown, path: string, depth: number): void => {
        if (depth > MAX_DEPTH || node === null || typeof node !== "object") return;
        if (Array.isArray(node)) {
            node.forEach((item, i) => walk(item, `${path}[${i}]`, depth + 1));
            return;
        }
        for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
            const here = `${path}.${key}`;
            if (isImageKey(key)) {
                if (typeof value === "string") {
                    out.push({ image: value, location: here });
                    continue;
                }
                if (value && typeof value === "object" && !Array.isArray(value)) {
                    const composed = composeChartImage(value as Record<string, unknown>);
                    if (composed !== undefined) {
                        out.push({ image: composed, location: here });
                        continue;
                    }
                }
            }
            walk(value, here, depth + 1);
        }
    };
    walk(values, "values", 0);
    return out;
}

/**
 * The images a resource uses, or undefined when the resource is neither a pod-bearing Kubernetes object nor a Helm
 * chart. `name` is the Pulumi resource name, used for charts and for objects without `metadata.name`.
 */
export function imagesOfResource(
    type: string,
    props: Record<string, unknown>,
    name: string,
): ResourceImages | undefined {
    if (CHART_TYPES.has(type)) {
        const kind = type.slice(type.lastIndexOf(":") + 1);
        const namespace = typeof props.namespace === "string" && props.namespace ? props.namespace : undefined;
        const chart = typeof props.chart === "string" ? ` (chart ${props.chart})` : "";
        return {
            subject: `${kind} ${namespace ? `${namespace}/` : ""}${name}${chart}`,
            object: { kind, metadata: { name, namespace } },
            images: imagesOfChartValues(props.values),
        };
    }
    const obj = objectOf(type, props);
    if (!obj || !podSpecOf(obj)) return undefined;
    if (typeof obj.metadata?.name !== "string") obj.metadata = { ...(obj.metadata ?? {}), name };
    return { subject: describeObject(obj), object: obj, images: imagesOfObject(obj) };
}
