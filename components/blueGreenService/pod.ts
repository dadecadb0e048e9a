/**
 * The pods of a release: the Rollout's pod template (hardened container, probes, resources, spread) and the
 * revision label that names it. Pure; the component puts them into the Rollout (rollout.ts).
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import type { Inputs } from "./model";
import { appLabels, releaseNames } from "./names";
import type { ReleaseSettings } from "./settings";

/** The pod spec of a Rollout's template, as inputs (the image may be unknown until built). */
export type PodSpec = Inputs<NonNullable<NonNullable<IRollout["spec"]["template"]>["spec"]>>;

/** Labels of the pod template besides the revision: the app label and the recommended `app.kubernetes.io` ones. */
export function podLabels(s: ReleaseSettings): Record<string, string> {
    return { ...appLabels(s), "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": "zdp" };
}

/**
 * The container's environment: plain variables, then the secret ones by secretKeyRef into the release's Secret
 * (see {@link secretEnvNames}), each group sorted by name.
 */
function containerEnv(s: ReleaseSettings) {
    const secret = releaseNames(s.name).secret;
    return [
        ...Object.keys(s.env)
            .sort()
            .map((k) => ({ name: k, value: s.env[k] })),
        ...secretEnvNames(s).map((k) => ({ name: k, valueFrom: { secretKeyRef: { name: secret, key: k } } })),
    ];
}

/** Names of the secret environment variables, sorted; none means the release has no Secret. */
export function secretEnvNames(s: ReleaseSettings): string[] {
    return Object.keys(s.secretEnv).sort();
}

/** The pod spec of the release running `image`. */
export function podSpec(s: ReleaseSettings, image: pulumi.Input<string>): PodSpec {
    const port = s.ports[0];
    const labels = appLabels(s);
    const env = containerEnv(s);
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path, port: port.name },
        periodSeconds,
        failureThreshold,
        timeoutSeconds: 1,
    });
    return {
        serviceAccountName: releaseNames(s.name).serviceAccount,
        automountServiceAccountToken: s.automountServiceAccountToken,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: s.runAsUser,
            runAsGroup: s.runAsUser,
            fsGroup: s.runAsUser,
            seccompProfile: { type: "RuntimeDefault" },
        },
        topologySpreadConstraints: [
            // Each ReplicaSet (old and new version) spreads on its own: rollouts-pod-template-hash tells them apart.
            {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "DoNotSchedule",
                labelSelector: { matchLabels: labels },
                matchLabelKeys: ["rollouts-pod-template-hash"],
            },
            {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: labels },
                matchLabelKeys: ["rollouts-pod-template-hash"],
            },
        ],
        containers: [
            {
                name: s.name,
                image,
                ports: s.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: "TCP" })),
                ...(env.length > 0 ? { env } : {}),
                startupProbe: probe(s.startupPath, 2, 30),
                readinessProbe: probe(s.readinessPath, 5, 2),
                livenessProbe: probe(s.livenessPath, 10, 3),
                resources: s.resources,
                securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    capabilities: { drop: ["ALL"] },
                },
                // The root filesystem is read-only; /tmp is the one writable place.
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
        ],
        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
    };
}

/**
 * The revision of the pod template running `image`: a hash of everything in it (labels and spec), so any change to
 * the pods is a new revision. The SLO queries select the new version by it (the Rollout's `REVISION_LABEL`).
 */
export function podRevision(s: ReleaseSettings, image: string): string {
    return createHash("sha256")
        .update(stableJson({ labels: podLabels(s), spec: podSpec(s, image) }))
        .digest("hex")
        .slice(0, 16);
}

/** JSON with the keys of every object sorted, so equal values hash alike whatever their key order. */
function stableJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
    if (v !== null && typeof v === "object") {
        return `{${Object.keys(v as object)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v) ?? "null";
}
