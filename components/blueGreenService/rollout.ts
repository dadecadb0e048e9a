/**
 * The Rollout of a release: its strategy (blue/green with pre- and post-promotion gates, or an Istio canary with a
 * background analysis), the pod template, and the provenance annotations. Pure; the component creates it last.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { notificationSubscriptions, RELEASE_ANNOTATIONS } from "../argoRollouts";
import type { ReleaseProvenanceArgs } from "./args";
import { REVISION_LABEL, ROLE_LABEL } from "./constants";
import type { Inputs, Manifest } from "./model";
import { appLabels, objectMeta, releaseNames, serviceHost } from "./names";
import { podLabels, podSpec } from "./pod";
import type { ReleaseSettings } from "./settings";

/** The Rollout's `spec.strategy`, as inputs (the revision is unknown until the image is). */
export type RolloutStrategy = Inputs<NonNullable<IRollout["spec"]["strategy"]>>;

/**
 * The provenance annotations to set, and the ones to leave as the last deploy recorded (`ignoreChanges` paths): a
 * run without the deploy's identity (a pull request's or a laptop's preview) then shows no diff on the Rollouts,
 * while each real deploy records itself. Metadata only: the pods are not restarted, no new revision is made.
 */
export function releaseProvenance(release: ReleaseProvenanceArgs | undefined): {
    annotations: Record<string, string>;
    ignoreChanges: string[];
} {
    const annotations: Record<string, string> = {};
    const ignoreChanges: string[] = [];
    for (const [field, key] of Object.entries(RELEASE_ANNOTATIONS) as [keyof ReleaseProvenanceArgs, string][]) {
        const value = release?.[field];
        if (value !== undefined && value !== "") annotations[key] = value;
        else ignoreChanges.push(`metadata.annotations["${key}"]`);
    }
    return { annotations, ignoreChanges };
}

/**
 * The Rollout's `spec.strategy`. `revision` is the value of the pods' {@link REVISION_LABEL}, which the SLO
 * queries select the new version by.
 */
export function releaseStrategy(s: ReleaseSettings, revision: pulumi.Input<string>): RolloutStrategy {
    const n = releaseNames(s.name);
    const port = String(s.ports[0].port);
    const targetArgs = (service: string) => [
        { name: "service-host", value: serviceHost(s, service) },
        { name: "port", value: port },
    ];
    const sloArgs = [
        { name: "namespace", value: s.namespace },
        { name: "service", value: s.name },
        { name: "revision", value: revision },
    ];
    if (s.strategy === "blueGreen") {
        return {
            blueGreen: {
                activeService: n.service,
                previewService: n.preview,
                activeMetadata: { labels: { [ROLE_LABEL]: "active" } },
                previewMetadata: { labels: { [ROLE_LABEL]: "preview" } },
                autoPromotionEnabled: s.autoPromotion,
                ...(s.autoPromotion && s.autoPromotionSeconds !== undefined
                    ? { autoPromotionSeconds: s.autoPromotionSeconds }
                    : {}),
                ...(s.previewReplicas !== undefined ? { previewReplicaCount: s.previewReplicas } : {}),
                scaleDownDelaySeconds: s.scaleDownDelaySeconds,
                abortScaleDownDelaySeconds: s.abortScaleDownDelaySeconds,
                prePromotionAnalysis: {
                    templates: [
                        { templateName: n.healthTemplate },
                        ...(s.smokeTest ? [{ templateName: n.smokeTemplate }] : []),
                        // The preview's error rate aborts the release before any user sees it.
                        { templateName: n.sloTemplate },
                    ],
                    args: [...targetArgs(n.preview), ...sloArgs, { name: "check-service", value: n.preview }],
                },
                postPromotionAnalysis: { templates: [{ templateName: n.sloTemplate }], args: sloArgs },
            },
        };
    }
    const steps: NonNullable<NonNullable<RolloutStrategy["canary"]>["steps"]> = [];
    for (const step of s.canarySteps) {
        steps.push({ setWeight: step.weight });
        if (step.waitForPromotion) steps.push({ pause: {} });
        else if (step.pauseSeconds !== undefined && step.pauseSeconds > 0)
            steps.push({ pause: { duration: step.pauseSeconds } });
    }
    return {
        canary: {
            stableService: n.stable,
            canaryService: n.canary,
            stableMetadata: { labels: { [ROLE_LABEL]: "stable" } },
            canaryMetadata: { labels: { [ROLE_LABEL]: "canary" } },
            scaleDownDelaySeconds: s.scaleDownDelaySeconds,
            abortScaleDownDelaySeconds: s.abortScaleDownDelaySeconds,
            trafficRouting: {
                istio: {
                    virtualService: { name: n.virtualService, routes: [n.primaryRoute] },
                    destinationRule: {
                        name: n.destinationRule,
                        canarySubsetName: n.canarySubset,
                        stableSubsetName: n.stableSubset,
                    },
                },
            },
            steps,
            // From the first step to completion: health score against the canary Service plus the revision's SLOs.
            analysis: {
                templates: [{ templateName: n.healthTemplate }, { templateName: n.sloTemplate }],
                args: [...targetArgs(n.canary), ...sloArgs, { name: "check-service", value: n.canary }],
            },
        },
    };
}

/** The Rollout object and the annotations Pulumi leaves to the last deploy (see {@link releaseProvenance}). */
export interface RolloutPart {
    object: Manifest<IRollout>;
    ignoreChanges: string[];
}

/** The Rollout of the release running `image`, whose pod template has revision `revision`. */
export function rollout(s: ReleaseSettings, image: pulumi.Input<string>, revision: pulumi.Input<string>): RolloutPart {
    const provenance = releaseProvenance(s.release);
    const labels = appLabels(s);
    return {
        object: {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Rollout",
            metadata: {
                ...objectMeta(s, releaseNames(s.name).rollout),
                annotations: { ...notificationSubscriptions(), ...provenance.annotations },
            },
            spec: {
                replicas: s.replicas,
                revisionHistoryLimit: s.revisionHistoryLimit,
                progressDeadlineSeconds: s.progressDeadlineSeconds,
                // Pods that never become ready abort the release instead of leaving it stuck.
                progressDeadlineAbort: true,
                rollbackWindow: { revisions: s.rollbackWindowRevisions },
                selector: { matchLabels: labels },
                template: {
                    metadata: {
                        labels: { ...podLabels(s), [REVISION_LABEL]: revision },
                        annotations: { "kubectl.kubernetes.io/default-container": s.name },
                    },
                    spec: podSpec(s, image),
                },
                strategy: releaseStrategy(s, revision),
            },
        },
        ignoreChanges: provenance.ignoreChanges,
    };
}
