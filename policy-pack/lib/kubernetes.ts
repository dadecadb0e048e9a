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

/** The path of the pod spec inside an object of a pod-bearing kind, for messages (`spec.template.spec`). */
export function podSpecPath(kind: string | undefined): string {
    switch (kind) {
        case "Pod":
            return "spec";
        case "CronJob":
            return "spec.jobTemplate.spec.template.spec";
        default:
            return "spec.template.spec";
    }
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
