/**
 * How requests reach a release: its Kubernetes Services (which the Argo Rollouts controller points at the versions)
 * and the Istio VirtualService and DestinationRule (routes, preview header, retries, timeouts, circuit breaking).
 * Pure; each part names the fields the controller rewrites at run time, which Pulumi must leave alone.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import type { Manifest } from "./model";
import { appLabels, objectMeta, releaseNames, serviceHost } from "./names";
import type { ReleaseSettings } from "./settings";

/** One Service of the release. */
export interface ServicePart {
    /** Suffix of the Pulumi resource name: `active`/`preview` (blue/green), `root`/`stable`/`canary` (canary). */
    role: string;
    args: k8s.core.v1.ServiceArgs;
    /** The selector, when the controller manages the Service (it adds rollouts-pod-template-hash at run time). */
    ignoreChanges: string[];
}

/** The release's Services: active and preview (blue/green), or root, stable and canary (canary). */
export function services(s: ReleaseSettings): ServicePart[] {
    const n = releaseNames(s.name);
    const ports = s.ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.containerPort,
        protocol: "TCP",
        appProtocol: "http",
    }));
    const service = (role: string, name: string, managed: boolean): ServicePart => ({
        role,
        args: {
            metadata: objectMeta(s, name),
            spec: { type: "ClusterIP", selector: appLabels(s), ports },
        },
        ignoreChanges: managed ? ["spec.selector"] : [],
    });
    return s.strategy === "blueGreen"
        ? [service("active", n.service, true), service("preview", n.preview, true)]
        : [service("root", n.service, false), service("stable", n.stable, true), service("canary", n.canary, true)];
}

/** Host production clients call: the active (blue/green) or root (canary) Service. */
export function mainHost(s: ReleaseSettings): string {
    return serviceHost(s, releaseNames(s.name).service);
}

/** Host of the version under test: the preview (blue/green) or canary Service. */
export function testHost(s: ReleaseSettings): string {
    const n = releaseNames(s.name);
    return serviceHost(s, s.strategy === "blueGreen" ? n.preview : n.canary);
}

/** The VirtualService and, for a canary, the paths of the route weights the controller moves. */
export interface VirtualServicePart {
    object: Manifest<IVirtualService>;
    ignoreChanges: string[];
}

/**
 * Routes, with retries and timeouts on each: the preview header to the version under test, everything else to the
 * primary route (blue/green: the active Service; canary: stable and canary subsets, weighted by the controller).
 */
export function virtualService(s: ReleaseSettings): VirtualServicePart {
    const n = releaseNames(s.name);
    const t = s.traffic;
    const main = mainHost(s);
    const test = testHost(s);
    const routePolicy = {
        timeout: `${t.timeoutSeconds}s`,
        retries: {
            attempts: t.retries,
            perTryTimeout: `${t.perTryTimeoutSeconds}s`,
            // Only failures where the request did not reach the application: safe for non-idempotent requests.
            retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
        },
    };
    const destination = (host: string, subset?: string) => ({
        host,
        ...(subset ? { subset } : {}),
        port: { number: s.ports[0].port },
    });
    // An internal preview (the default) is matched for mesh callers only: at the ingress gateway the header is
    // ignored and the request goes to the primary route. A public one needs the AuthorizationPolicy (isolation.ts).
    const previewMatch = [
        {
            headers: { [t.previewHeader]: { exact: "true" } },
            ...(s.isolation.exposure === "internal" ? { gateways: ["mesh"] } : {}),
        },
    ];
    const http =
        s.strategy === "blueGreen"
            ? [
                  // Argo Rollouts cannot route blue/green with Istio: the preview is reached by header only.
                  {
                      name: n.previewRoute,
                      match: previewMatch,
                      route: [{ destination: destination(test) }],
                      ...routePolicy,
                  },
                  { name: n.primaryRoute, route: [{ destination: destination(main) }], ...routePolicy },
              ]
            : [
                  {
                      name: n.previewRoute,
                      match: previewMatch,
                      route: [{ destination: destination(main, n.canarySubset) }],
                      ...routePolicy,
                  },
                  {
                      name: n.primaryRoute,
                      route: [
                          { destination: destination(main, n.stableSubset), weight: 100 },
                          { destination: destination(main, n.canarySubset), weight: 0 },
                      ],
                      ...routePolicy,
                  },
              ];
    const primaryIndex = http.findIndex((r) => r.name === n.primaryRoute);
    return {
        object: {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: objectMeta(s, n.virtualService),
            spec: {
                hosts: [main, ...t.hosts],
                ...(t.hosts.length > 0 ? { gateways: [t.gateway!, "mesh"] } : {}),
                http,
            },
        },
        // The controller moves these weights during a canary; Pulumi leaves them alone.
        ignoreChanges:
            s.strategy === "canary" ? [0, 1].map((j) => `spec.http[${primaryIndex}].route[${j}].weight`) : [],
    };
}

/** The DestinationRule and, for a canary, the paths of the subset labels the controller adds to. */
export interface DestinationRulePart {
    object: Manifest<IDestinationRule>;
    ignoreChanges: string[];
}

/** Circuit breaking and outlier detection for the service host; for a canary, the stable and canary subsets. */
export function destinationRule(s: ReleaseSettings): DestinationRulePart {
    const n = releaseNames(s.name);
    const t = s.traffic;
    const labels = appLabels(s);
    const subsets =
        s.strategy === "canary"
            ? [
                  { name: n.stableSubset, labels },
                  { name: n.canarySubset, labels },
              ]
            : undefined;
    return {
        object: {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: objectMeta(s, n.destinationRule),
            spec: {
                host: mainHost(s),
                trafficPolicy: {
                    connectionPool: {
                        tcp: { maxConnections: t.maxConnections, connectTimeout: "3s" },
                        http: {
                            http1MaxPendingRequests: t.maxPendingRequests,
                            http2MaxRequests: t.maxConnections,
                            maxRetries: Math.max(1, t.retries) * 10,
                        },
                    },
                    outlierDetection: {
                        consecutive5xxErrors: t.consecutive5xxErrors,
                        interval: "10s",
                        baseEjectionTime: `${t.ejectionSeconds}s`,
                        maxEjectionPercent: 50,
                    },
                },
                ...(subsets ? { subsets } : {}),
            },
        },
        // The controller adds rollouts-pod-template-hash to the subsets' labels at run time.
        ignoreChanges: subsets ? subsets.map((_, i) => `spec.subsets[${i}].labels`) : [],
    };
}
