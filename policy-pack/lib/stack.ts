/**
 * A view of a stack for the stack policies: its Kubernetes objects by kind and name, the role a binding grants, and
 * a guard that turns a value unknown at preview into an advisory note about that one object instead of aborting
 * the whole policy.
 */
import { PolicyResource, ReportViolation, UnknownValueError } from "@pulumi/policy";
import { KubeObject, describeObject } from "./kubernetes";
import { ViolationReport, lazyObjectOf } from "./policyKit";
import { BINDING_KINDS, BUILT_IN_CLUSTER_ROLES, namespaceOf, roleRefOf } from "./rbac";

/** A Kubernetes object of the stack with the URN to report violations against. */
export interface StackObject {
    obj: KubeObject;
    urn: string;
}

export interface StackIndex {
    objects: StackObject[];
    /** Roles by `namespace/name`. */
    roles: Map<string, StackObject>;
    /** ClusterRoles by name. */
    clusterRoles: Map<string, StackObject>;
    bindings: StackObject[];
    /** ServiceAccounts by `namespace/name`. */
    serviceAccounts: Map<string, StackObject>;
    /** Resources whose kind or name is not known yet (preview). */
    unknown: { urn: string; error: UnknownValueError }[];
}

const cache = new WeakMap<readonly PolicyResource[], StackIndex>();

/** Indexes the Kubernetes objects of a stack (computed once per resource list). */
export function indexStack(resources: readonly PolicyResource[]): StackIndex {
    const hit = cache.get(resources);
    if (hit) return hit;
    const index: StackIndex = {
        objects: [],
        roles: new Map(),
        clusterRoles: new Map(),
        bindings: [],
        serviceAccounts: new Map(),
        unknown: [],
    };
    for (const r of resources) {
        try {
            const obj = lazyObjectOf(r.type, r.props, r.name);
            if (!obj) continue;
            const so = { obj, urn: r.urn };
            index.objects.push(so);
            const name = obj.metadata!.name as string;
            if (obj.kind === "Role") index.roles.set(`${namespaceOf(obj)}/${name}`, so);
            else if (obj.kind === "ClusterRole") index.clusterRoles.set(name, so);
            else if (obj.kind === "ServiceAccount") index.serviceAccounts.set(`${namespaceOf(obj)}/${name}`, so);
            else if (BINDING_KINDS.has(obj.kind ?? "")) index.bindings.push(so);
        } catch (e) {
            if (!(e instanceof UnknownValueError)) throw e;
            index.unknown.push({ urn: r.urn, error: e });
        }
    }
    cache.set(resources, index);
    return index;
}

/** What a binding's roleRef resolves to. */
export type ResolvedRole =
    | { status: "stack"; role: StackObject }
    | { status: "built-in"; name: string; rules: readonly Record<string, string[]>[] }
    | { status: "unresolved"; reason: string };

/** Resolves a binding's roleRef: a Role in the binding's namespace, or a ClusterRole of the stack or built in. */
export function resolveRoleRef(index: StackIndex, binding: KubeObject): ResolvedRole {
    const ref = roleRefOf(binding);
    if (!ref) return { status: "unresolved", reason: "roleRef is missing or lacks kind and name" };
    if (ref.kind === "Role") {
        if (binding.kind === "ClusterRoleBinding") {
            return { status: "unresolved", reason: "a ClusterRoleBinding cannot refer to a Role" };
        }
        const key = `${namespaceOf(binding)}/${ref.name}`;
        const role = index.roles.get(key);
        return role ? { status: "stack", role } : { status: "unresolved", reason: `no Role ${key} in the stack` };
    }
    if (ref.kind === "ClusterRole") {
        const role = index.clusterRoles.get(ref.name);
        if (role) return { status: "stack", role };
        const builtIn = BUILT_IN_CLUSTER_ROLES[ref.name];
        if (builtIn) return { status: "built-in", name: ref.name, rules: builtIn };
        return { status: "unresolved", reason: `no ClusterRole ${ref.name} in the stack` };
    }
    return { status: "unresolved", reason: `roleRef.kind "${ref.kind}" is neither Role nor ClusterRole` };
}

/**
 * Runs `fn` for one object; a value unknown at preview is reported as an advisory note about that object rather
 * than aborting the policy for the whole stack.
 */
export function guardUnknown(reportViolation: ReportViolation, so: StackObject, fn: () => void): void {
    try {
        fn();
    } catch (e) {
        if (!(e instanceof UnknownValueError)) throw e;
        const error: UnknownValueError = e;
        reportAdvisory(
            reportViolation,
            `cannot judge ${describeObject(so.obj)} during preview: ${error.message}`,
            so.urn,
        );
    }
}

/** Reports an advisory note (see {@link ViolationReport}). */
export function reportAdvisory(reportViolation: ReportViolation, message: string, urn?: string): void {
    (reportViolation as unknown as (v: ViolationReport) => void)({ message, enforcementLevel: "advisory", urn });
}

/** Reports the resources the index could not read because their kind or name is unknown at preview. */
export function reportUnknownResources(reportViolation: ReportViolation, index: StackIndex, policy: string): void {
    for (const u of index.unknown) {
        reportAdvisory(
            reportViolation,
            `${policy} cannot judge this resource during preview: ${u.error.message}`,
            u.urn,
        );
    }
}
