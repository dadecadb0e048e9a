/**
 * Helpers shared by every policy: turning a Pulumi resource (type token + inputs) or a plain manifest into a
 * Kubernetes object, and finding the pod templates inside the pod-bearing kinds.
 */

/** A Kubernetes object as policies see it: plain data, possibly with unknown values at preview. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata?: {
        name?: string;
        namespace?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
        [key: string]: unknown;
    };
    [key: string]: unknown;
}

/** Kinds whose objects carry a pod template (or are a pod). */
export const POD_BEARING_KINDS: ReadonlySet<string> = new Set([
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Rollout",
]);

/** The Kubernetes kind and apiVersion a Pulumi type token stands for, e.g. `kubernetes:apps/v1:Deployment`. */
export function kindOfType(type: string): { apiVersion: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    return { apiVersion: group === "core" ? version : `${group}/${version}`, kind };
}

/** The Pulumi type token for a Kubernetes apiVersion and kind (the inverse of {@link kindOfType}). */
export function typeOfKind(apiVersion: string, kind: string): string {
    const slash = apiVersion.indexOf("/");
    const group = slash < 0 ? "core" : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    return `kubernetes:${group}/${version}:${kind}`;
}

/**
 * The object a Pulumi Kubernetes resource declares. Pulumi's typed resources set `apiVersion`/`kind` themselves, so
 * the inputs may lack them; the type token fills them in.
 */
export function objectOf(type: string, props: Record<string, unknown>): KubeObject | undefined {
    const k = kindOfType(type);
    if (!k) return undefined;
    return {
        ...props,
        apiVersion: (props.apiVersion as string) ?? k.apiVersion,
        kind: (props.kind as string) ?? k.kind,
    };
}

/** `value` as an object, or undefined when it is not one. */
function asRecord(value: unknown): Record<string, unknown> | undefined {
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
}

/** The pod spec of a pod-bearing object, or undefined for other kinds (or when the template is absent). */
export function podSpecOf(obj: KubeObject): Record<string, unknown> | undefined {
    const spec = asRecord(obj.spec);
    if (!spec) return undefined;
    const templateSpec = (owner: Record<string, unknown> | undefined) => asRecord(asRecord(owner?.template)?.spec);
    switch (obj.kind) {
        case "Pod":
            return spec;
        case "CronJob":
            return templateSpec(asRecord(asRecord(spec.jobTemplate)?.spec));
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "ReplicationController":
        case "Job":
        case "Rollout":
            return templateSpec(spec);
        default:
            return undefined;
    }
}

/**
 * Where pod specs sit in objects of each kind, as paths of keys where `*` stands for every element of an array. Every
 * kind of the schemas the project validates against (kubernetes-models, @kubernetes-models/argo-rollouts,
 * @kubernetes-models/istio) that holds a pod spec is listed; test/policy-pack/lib/podTemplates.test.ts derives that
 * set from the schemas and fails when a kind is missing here. The kind decides, not the group: a look-alike custom resource
 * of another group is checked at the same places (checking more never lets anything pass).
 */
export const POD_SPEC_PATHS: Readonly<Record<string, readonly (readonly string[])[]>> = {
    Pod: [["spec"]],
    PodTemplate: [["template", "spec"]],
    Deployment: [["spec", "template", "spec"]],
    StatefulSet: [["spec", "template", "spec"]],
    DaemonSet: [["spec", "template", "spec"]],
    ReplicaSet: [["spec", "template", "spec"]],
    ReplicationController: [["spec", "template", "spec"]],
    Job: [["spec", "template", "spec"]],
    CronJob: [["spec", "jobTemplate", "spec", "template", "spec"]],
    Rollout: [["spec", "template", "spec"]],
    // Argo Rollouts: the Job of every job metric, and every ReplicaSet template of an Experiment.
    AnalysisTemplate: [["spec", "metrics", "*", "provider", "job", "spec", "template", "spec"]],
    ClusterAnalysisTemplate: [["spec", "metrics", "*", "provider", "job", "spec", "template", "spec"]],
    AnalysisRun: [["spec", "metrics", "*", "provider", "job", "spec", "template", "spec"]],
    Experiment: [["spec", "templates", "*", "template", "spec"]],
};

/** Reads `container[key]`; a policy that must survive values unknown at preview passes its own. */
export type Reader = (container: unknown, key: string | number) => unknown;

const plainRead: Reader = (container, key) =>
    container !== null && typeof container === "object" ? (container as Record<string, unknown>)[key] : undefined;

/** `spec.metrics[0].provider`: a message form of a property path. */
export function pathText(path: readonly (string | number)[]): string {
    return path.reduce<string>(
        (text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${key}` : key),
        "",
    );
}

/** One pod spec found in an object (or where the walk to it hit a value unknown at preview). */
export interface PodSpecAt {
    /** Property path of the pod spec (or of the unknown value) inside the object. */
    path: (string | number)[];
    /** The pod spec; undefined when {@link unknown}. */
    spec?: Record<string, unknown>;
    /** True when a value on the way is unknown at preview (the reader returned `unknownMarker`). */
    unknown?: boolean;
    /** True when the path goes through an array (several pod specs of one kind): messages then name the path. */
    repeated: boolean;
}

/**
 * Every pod spec of an object of `kind` (see {@link POD_SPEC_PATHS}); empty for kinds that hold none. `read` and
 * `unknownMarker` let the secrets policy walk props whose values may be unknown at preview.
 */
export function podSpecsOf(
    obj: unknown,
    kind: string | undefined,
    read: Reader = plainRead,
    unknownMarker?: unknown,
): PodSpecAt[] {
    const out: PodSpecAt[] = [];
    const walk = (value: unknown, pattern: readonly string[], path: (string | number)[], repeated: boolean) => {
        if (unknownMarker !== undefined && value === unknownMarker) {
            out.push({ path, unknown: true, repeated });
            return;
        }
        if (pattern.length === 0) {
            if (value !== null && typeof value === "object" && !Array.isArray(value)) {
                out.push({ path, spec: value as Record<string, unknown>, repeated });
            }
            return;
        }
        const [key, ...rest] = pattern;
        if (key === "*") {
            if (!Array.isArray(value)) return;
            for (let i = 0; i < value.length; i++) walk(read(value, i), rest, [...path, i], true);
            return;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) return;
        walk(read(value, key), rest, [...path, key], repeated);
    };
    for (const pattern of POD_SPEC_PATHS[kind ?? ""] ?? []) walk(obj, pattern, [], false);
    return out;
}

/** Lists nested deeper than this are not expanded; the policies report them (fail closed). */
export const MAX_LIST_DEPTH = 16;

/** One object inside a (possibly nested) list, as kubectl flattens lists. */
export interface ListItem {
    /** Property path of the item inside the top-level object (`["items", 0, "items", 2]`); `[]` for the object. */
    path: (string | number)[];
    object: unknown;
    apiVersion?: string;
    kind?: string;
    /** True when the walk to this item hit a value unknown at preview. */
    unknown?: boolean;
    /** True when the item is a list nested deeper than {@link MAX_LIST_DEPTH}, so not expanded. */
    tooDeep?: boolean;
}

/**
 * The objects of `obj` with every list flattened, at any depth, as kubectl does: an object with an `items` array is
 * a list, and an item without apiVersion/kind (typed lists such as `DeploymentList`) takes the list's apiVersion
 * and its kind without `List`. A non-list object is returned as itself.
 */
export function flattenObjects(
    obj: unknown,
    apiVersion: string | undefined,
    kind: string | undefined,
    read: Reader = plainRead,
    unknownMarker?: unknown,
): ListItem[] {
    const out: ListItem[] = [];
    const walk = (
        o: unknown,
        av: string | undefined,
        k: string | undefined,
        path: (string | number)[],
        depth: number,
    ) => {
        if (unknownMarker !== undefined && o === unknownMarker) {
            out.push({ path, object: o, apiVersion: av, kind: k, unknown: true });
            return;
        }
        const items = o !== null && typeof o === "object" ? read(o, "items") : undefined;
        if (unknownMarker !== undefined && items === unknownMarker) {
            out.push({ path: [...path, "items"], object: items, apiVersion: av, kind: k, unknown: true });
            return;
        }
        if (!Array.isArray(items)) {
            out.push({ path, object: o, apiVersion: av, kind: k });
            return;
        }
        if (depth >= MAX_LIST_DEPTH) {
            out.push({ path, object: o, apiVersion: av, kind: k, tooDeep: true });
            return;
        }
        for (let i = 0; i < items.length; i++) {
            const item = read(items, i);
            const itemKind = unknownMarker !== undefined && item === unknownMarker ? undefined : read(item, "kind");
            const itemVersion =
                unknownMarker !== undefined && item === unknownMarker ? undefined : read(item, "apiVersion");
            walk(
                item,
                typeof itemVersion === "string" && itemVersion ? itemVersion : av,
                typeof itemKind === "string" && itemKind
                    ? itemKind
                    : k?.endsWith("List")
                      ? k.slice(0, -4) || undefined
                      : undefined,
                [...path, "items", i],
                depth + 1,
            );
        }
    };
    walk(obj, apiVersion, kind, [], 0);
    return out;
}

/** One container of a pod spec, with the list it came from (for messages that name the field). */
export interface ContainerRef {
    field: "containers" | "initContainers" | "ephemeralContainers";
    index: number;
    container: Record<string, unknown>;
}

/** Every container, init container and ephemeral container of a pod spec. */
export function containersOf(podSpec: Record<string, unknown>): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const field of ["containers", "initContainers", "ephemeralContainers"] as const) {
        const list = podSpec[field];
        if (!Array.isArray(list)) continue;
        list.forEach((container, index) => {
            if (container && typeof container === "object") out.push({ field, index, container });
        });
    }
    return out;
}

/** `kind namespace/name` for messages. */
export function describeObject(obj: KubeObject): string {
    const ns = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? "(unnamed)";
    return `${obj.kind ?? "object"} ${ns ? `${ns}/` : ""}${name}`;
}

/** The ServiceAccount name a pod spec runs as, or undefined when it names none (Kubernetes then uses `default`). */
export function serviceAccountNameOf(podSpec: Record<string, unknown>): string | undefined {
    // `serviceAccount` is the deprecated alias; the API server uses it only when serviceAccountName is empty.
    for (const field of ["serviceAccountName", "serviceAccount"]) {
        const v = podSpec[field];
        if (typeof v === "string" && v !== "") return v;
    }
    return undefined;
}
