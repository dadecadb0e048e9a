/**
 * Names of what BlueGreenService creates for a service: the Kubernetes objects, their hosts and the metadata they
 * share. Pure; the program reads them too (index.ts), to point other components at a service's objects.
 */
import type { ReleaseSettings } from "./settings";

/** Names of everything the component creates for service `name`. */
export function releaseNames(name: string) {
    return {
        rollout: name,
        serviceAccount: name,
        /** Blue/green: the active Service. Canary: the root Service (all pods) the VirtualService routes to. */
        service: name,
        preview: `${name}-preview`,
        stable: `${name}-stable`,
        canary: `${name}-canary`,
        secret: `${name}-env`,
        virtualService: name,
        destinationRule: name,
        pdb: name,
        healthTemplate: `${name}-health-score`,
        smokeTemplate: `${name}-smoke-tests`,
        sloTemplate: `${name}-slo`,
        /** The VirtualService route Argo Rollouts rewrites the weights of (canary). */
        primaryRoute: "primary",
        previewRoute: "preview",
        stableSubset: "stable",
        canarySubset: "canary",
    };
}

/** Fully-qualified host of a Service in the release's namespace. */
export function serviceHost(s: ReleaseSettings, service: string): string {
    return `${service}.${s.namespace}.svc.cluster.local`;
}

/** The label every object and pod of the service carries; the Services, PDB and policies select by it. */
export function appLabels(s: ReleaseSettings): { app: string } {
    return { app: s.name };
}

/** Metadata of one of the service's objects: its name in the service namespace, with the app label. */
export function objectMeta(
    s: ReleaseSettings,
    name: string,
): { name: string; namespace: string; labels: { app: string } } {
    return { name, namespace: s.namespace, labels: appLabels(s) };
}
