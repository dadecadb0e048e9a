/**
 * Where images appear in the resources the pack sees:
 *
 * - every container, init container and ephemeral container of every pod spec of an object: the pod-bearing kinds
 *   (Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, Argo
 *   Rollout), the Jobs of Argo job metrics (AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun) and the templates
 *   of Argo Experiments, in `List` and `*List` objects at any depth too (see `POD_SPEC_PATHS` and `flattenObjects`
 *   of `lib/kubernetes.ts`);
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
import {
    KubeObject,
    MAX_LIST_DEPTH,
    containersOf,
    describeObject,
    flattenObjects,
    objectOf,
    pathText,
    podSpecsOf,
} from "../lib/kubernetes";

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
    /** What makes the resource impossible to check fully (a list nested too deep): each fails every image policy. */
    problems: string[];
}

/** The images of the containers of one pod spec; `prefix` goes in front of each location. */
function imagesOfPodSpec(podSpec: Record<string, unknown>, prefix: string): ImageUse[] {
    return containersOf(podSpec).map(({ field, index, container }) => {
        const name = typeof container.name === "string" ? ` (${container.name})` : "";
        return { image: container.image, location: `${prefix}${field}[${index}]${name}` };
    });
}

/** `spec.metrics[0] (smoke-tests).provider.job.spec.template.spec`: a path with the names of the list entries. */
function namedPath(obj: unknown, path: readonly (string | number)[]): string {
    let text = "";
    let node: unknown = obj;
    for (const key of path) {
        node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[key] : undefined;
        if (typeof key === "number") {
            const name = node !== null && typeof node === "object" ? (node as { name?: unknown }).name : undefined;
            text += `[${key}]${typeof name === "string" ? ` (${name})` : ""}`;
        } else text += text ? `.${key}` : key;
    }
    return text;
}

/**
 * Images of every pod spec of a Kubernetes object (see `POD_SPEC_PATHS` of lib/kubernetes.ts), lists flattened at
 * any depth as kubectl flattens them; empty for kinds that run no pods. A kind with one pod template names its
 * containers as before (`containers[0] (app)`); a kind with several (job metrics, Experiment templates) and list
 * items are named by their path (`spec.metrics[0] (smoke-tests).provider.job.spec.template.spec.containers[0]`).
 */
export function imagesOfObject(obj: KubeObject): ImageUse[] {
    return podTemplatesOf(obj).images;
}

/** What {@link podTemplatesOf} finds: images, and lists too deep to expand (which fail the check). */
interface PodTemplates {
    images: ImageUse[];
    problems: string[];
    /** True when the object (or an item of it) holds a pod spec. */
    podBearing: boolean;
}

function podTemplatesOf(obj: KubeObject): PodTemplates {
    const out: PodTemplates = { images: [], problems: [], podBearing: false };
    for (const item of flattenObjects(obj, obj.apiVersion, obj.kind)) {
        const itemText = item.path.length > 0 ? `${pathText(item.path)} (${item.kind ?? "object"}) ` : "";
        if (item.tooDeep) {
            out.podBearing = true;
            out.problems.push(
                `${itemText || "the object "}is a list nested more than ${MAX_LIST_DEPTH} lists deep, so its images ` +
                    "cannot be checked. Flatten the list.",
            );
            continue;
        }
        for (const at of podSpecsOf(item.object, item.kind)) {
            out.podBearing = true;
            const where = at.repeated ? `${namedPath(item.object, at.path)}.` : "";
            out.images.push(...imagesOfPodSpec(at.spec as Record<string, unknown>, `${itemText}${where}`));
        }
    }
    return out;
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
            problems: [],
        };
    }
    const obj = objectOf(type, props);
    if (!obj) return undefined;
    const found = podTemplatesOf(obj);
    if (!found.podBearing) return undefined;
    if (typeof obj.metadata?.name !== "string") obj.metadata = { ...(obj.metadata ?? {}), name };
    return { subject: describeObject(obj), object: obj, images: found.images, problems: found.problems };
}
