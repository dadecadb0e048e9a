/**
 * Every resource BlueGreenService registers, listed without creating any: the program checks that two services of
 * a stack do not collide (components/serviceConfig.ts), and a test keeps the list equal to what the class creates.
 */
import { releaseTemplates } from "./analysis";
import { migrationResources } from "./migrations";
import { releaseNames } from "./names";
import type { ReleaseSettings } from "./settings";

/** One resource the component registers: its Pulumi type and name, and the Kubernetes object it manages. */
export interface ReleaseResource {
    /** Pulumi type token (children are registered under the component, whose type prefixes theirs in the URN). */
    type: string;
    /** Pulumi resource name, unique per type within a stack. */
    name: string;
    /** `Kind namespace/name` of the Kubernetes object, for resources that manage one. */
    object?: string;
}

/**
 * Every resource `new BlueGreenService(name, args)` registers, itself first (a test keeps this list equal to what the
 * constructor registers). Two services of one stack must not share a Pulumi type and name (the engine refuses a
 * duplicate URN) nor a Kubernetes object (two resources would manage one object).
 */
export function releaseResources(
    name: string,
    s: ReleaseSettings,
    opts: { build?: boolean; secretEnv?: boolean } = {},
): ReleaseResource[] {
    const n = releaseNames(s.name);
    const k8s = (type: string, suffix: string, objectName: string): ReleaseResource => ({
        type: `kubernetes:${type}`,
        name: `${name}-${suffix}`,
        object: `${type.split(":").pop()} ${s.namespace}/${objectName}`,
    });
    const services: [string, string][] =
        s.strategy === "blueGreen"
            ? [
                  ["active", n.service],
                  ["preview", n.preview],
              ]
            : [
                  ["root", n.service],
                  ["stable", n.stable],
                  ["canary", n.canary],
              ];
    const policies =
        s.strategy === "blueGreen"
            ? ["active", "preview", "preview-egress"]
            : ["production", "release-checks", "canary-egress"];
    const publicPreview = s.isolation.exposure === "public";
    return [
        { type: "zdp:index:BlueGreenService", name },
        ...(opts.build ? [{ type: "docker:index/image:Image", name: `${name}-image` }] : []),
        k8s("core/v1:ServiceAccount", "sa", n.serviceAccount),
        ...(opts.secretEnv ? [k8s("core/v1:Secret", "env", n.secret)] : []),
        ...Object.keys(releaseTemplates(s)).map((t) =>
            k8s("argoproj.io/v1alpha1:AnalysisTemplate", t.slice(s.name.length + 1), t),
        ),
        ...services.map(([suffix, svc]) => k8s("core/v1:Service", suffix, svc)),
        k8s("networking.istio.io/v1:VirtualService", "vs", n.virtualService),
        k8s("networking.istio.io/v1:DestinationRule", "dr", n.destinationRule),
        k8s("security.istio.io/v1:PeerAuthentication", "release-checks", `${s.name}-release-checks`),
        ...policies.map((p) => k8s("networking.k8s.io/v1:NetworkPolicy", p, `${s.name}-${p}`)),
        ...(publicPreview && s.isolation.access.jwt
            ? [k8s("security.istio.io/v1:RequestAuthentication", "preview-jwt", `${s.name}-preview-jwt`)]
            : []),
        ...(publicPreview
            ? [k8s("security.istio.io/v1:AuthorizationPolicy", "preview-access", `${s.name}-preview-access`)]
            : []),
        k8s("policy/v1:PodDisruptionBudget", "pdb", n.pdb),
        k8s("argoproj.io/v1alpha1:Rollout", "rollout", n.rollout),
        ...migrationResources(name, s.name, s.namespace, s.migrations, s.image),
    ];
}
