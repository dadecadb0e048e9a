/**
 * BlueGreenService: the component class. It validates its arguments, applies the defaults (settings.ts), asks the
 * pure builders for each part (pod.ts, analysis.ts, traffic.ts, isolation.ts, rollout.ts) and creates them as its
 * children. Resource names, types and parents are fixed: test/components/blueGreenService/urns.test.ts guards them.
 */
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { formatArgErrors } from "../lib/validation";
import { analysisTemplates } from "./analysis";
import type { BlueGreenServiceArgs } from "./args";
import { checkImageReference } from "./checks";
import {
    MIGRATION_JOBS_ANNOTATION,
    MIGRATION_RESOURCE_SUFFIXES,
    migrationAwaitSeconds,
    migrationJob,
    migrationServiceAccountName,
} from "./migrations";
import { networkPolicies, peerAuthentication, previewSecurity } from "./isolation";
import { appLabels, objectMeta, releaseNames } from "./names";
import { podRevision, secretEnvNames } from "./pod";
import { rollout } from "./rollout";
import { releaseSettings } from "./settings";
import { checkReleaseTiming, releaseTimingOf, ReleaseTimingSummary, timingSummary } from "./timing";
import { destinationRule, mainHost, services, testHost, virtualService } from "./traffic";
import { validateBlueGreenServiceArgs } from "./validation";

/**
 * A service released without downtime: an Argo Rollouts Rollout (blue/green by default, or an Istio canary) gated
 * by a health score, smoke tests and SLOs, with the previous version kept for an instant rollback, behind an Istio
 * VirtualService and DestinationRule, isolated by NetworkPolicies, with its ServiceAccount, Services, Secret and
 * PodDisruptionBudget. Its release timing (healthy promotion, worst-case rollback, exposure) is an output.
 */
export class BlueGreenService extends pulumi.ComponentResource {
    /** Name of the Rollout (and of the service). */
    public readonly rolloutName: pulumi.Output<string>;
    /** Host production clients call: the active (blue/green) or root (canary) Service. */
    public readonly serviceHost: pulumi.Output<string>;
    /** Host of the new version under test: the preview (blue/green) or canary Service. */
    public readonly previewHost: pulumi.Output<string>;
    /** "blueGreen" or "canary". */
    public readonly strategy: pulumi.Output<string>;
    /** The digest-pinned image deployed (unknown at preview when built in this stack). */
    public readonly image: pulumi.Output<string>;
    /** Revision label of the pod template: the SLO queries select the new version by it. */
    public readonly revision: pulumi.Output<string>;
    /** Release timing computed from this configuration. */
    public readonly timing: pulumi.Output<ReleaseTimingSummary>;
    /** Names of the AnalysisTemplates gating the release. */
    public readonly analysisTemplates: pulumi.Output<string[]>;
    /** Name of the Secret holding `secretEnv`, when given. */
    public readonly envSecretName: pulumi.Output<string | undefined>;

    constructor(name: string, args: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // The component's recorded inputs must not hold secret values in plain text either.
        super(
            "zdp:index:BlueGreenService",
            name,
            { ...args, secretEnv: args.secretEnv && pulumi.secret(args.secretEnv) },
            opts,
        );

        const errors = validateBlueGreenServiceArgs(args);
        if (errors.length > 0) throw new pulumi.ResourceError(formatArgErrors("BlueGreenService", name, errors), this);
        const s = releaseSettings(name, args);
        const timing = releaseTimingOf(s);
        const timingErrors = checkReleaseTiming(timing, s.budget);
        if (timingErrors.length > 0)
            throw new pulumi.ResourceError(formatArgErrors("BlueGreenService", name, timingErrors), this);

        const n = releaseNames(s.name);
        // Everything goes into a namespace (and uses CRDs) another component creates: what the component waits for,
        // its children wait for too.
        const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            parent: this,
            dependsOn: opts?.dependsOn,
            ...extra,
        });

        // Image: pinned by the caller, or built here and pinned by the digest the registry returns.
        let image: pulumi.Output<string>;
        if (s.build) {
            const built = new docker.Image(
                `${name}-image`,
                {
                    imageName: s.build.imageName,
                    build: { context: s.build.context, dockerfile: s.build.dockerfile, platform: "linux/amd64" },
                },
                { parent: this },
            );
            image = built.repoDigest.apply((digest) => {
                const e = checkImageReference("build (repoDigest)", digest);
                if (e) throw new pulumi.ResourceError(`BlueGreenService "${name}": ${e}`, this);
                return digest;
            });
        } else {
            image = pulumi.output(s.image!);
        }

        const sa = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: objectMeta(s, n.serviceAccount),
                automountServiceAccountToken: s.automountServiceAccountToken,
            },
            child(),
        );
        const secret =
            secretEnvNames(s).length > 0
                ? new k8s.core.v1.Secret(
                      `${name}-env`,
                      {
                          metadata: objectMeta(s, n.secret),
                          type: "Opaque",
                          // Whatever the caller passed, the values are Pulumi secrets from here on.
                          stringData: pulumi.secret(pulumi.output(s.secretEnv)) as pulumi.Output<
                              Record<string, string>
                          >,
                      },
                      child(),
                  )
                : undefined;

        // The revision hashes the whole pod template; the image is its only Output, so only it is lifted (an Output of
        // the whole template would make an Output of every nested value, which costs the SDK far more than the hash).
        const revision = image.apply((img) => podRevision(s, img));

        const templateParts = analysisTemplates(s);
        const templates = templateParts.map(
            (t) => new k8s.apiextensions.CustomResource(`${name}-${t.role}`, t.object, child()),
        );
        // Argo Rollouts adds rollouts-pod-template-hash to the selectors of the Services it manages at run time.
        const serviceResources = services(s).map(
            (svc) => new k8s.core.v1.Service(`${name}-${svc.role}`, svc.args, child(ignoring(svc.ignoreChanges))),
        );
        const vs = virtualService(s);
        const vsResource = new k8s.apiextensions.CustomResource(
            `${name}-vs`,
            vs.object,
            child(ignoring(vs.ignoreChanges)),
        );
        const dr = destinationRule(s);
        const drResource = new k8s.apiextensions.CustomResource(
            `${name}-dr`,
            dr.object,
            child(ignoring(dr.ignoreChanges)),
        );
        const pa = new k8s.apiextensions.CustomResource(`${name}-release-checks`, peerAuthentication(s), child());
        const policies = networkPolicies(s).map(
            (p) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-${p.role}`,
                    { metadata: objectMeta(s, `${s.name}-${p.role}`), spec: p.spec },
                    child(),
                ),
        );
        const security = previewSecurity(s);
        const previewResources = [
            ...(security.jwt
                ? [new k8s.apiextensions.CustomResource(`${name}-preview-jwt`, security.jwt, child())]
                : []),
            ...(security.access
                ? [new k8s.apiextensions.CustomResource(`${name}-preview-access`, security.access, child())]
                : []),
        ];
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: objectMeta(s, n.pdb),
                spec: { maxUnavailable: 1, selector: { matchLabels: appLabels(s) } },
            },
            child(),
        );

        // Migrations: the release's expand or contract Job, which the engine awaits and the Rollout depends on, so a
        // failing migration stops the update before any traffic moves (migrations.ts).
        const migrationJobs: k8s.batch.v1.Job[] = [];
        let migrationJobNames: pulumi.Output<string> | undefined;
        const m = s.migrations;
        if (m) {
            const migrationSa = new k8s.core.v1.ServiceAccount(
                `${name}-${MIGRATION_RESOURCE_SUFFIXES.serviceAccount}`,
                { metadata: objectMeta(s, migrationServiceAccountName(s.name)), automountServiceAccountToken: false },
                child(),
            );
            const jobs = image.apply((img) =>
                m.steps.map((step) =>
                    migrationJob(m, step, {
                        service: s.name,
                        namespace: s.namespace,
                        releaseImage: img,
                        runAsUser: s.runAsUser,
                        resources: s.resources,
                        secretName: n.secret,
                        prometheusAddress: s.sloSpec.prometheusAddress,
                    }),
                ),
            );
            const wait = `${migrationAwaitSeconds(m)}s`;
            m.steps.forEach((step, i) =>
                migrationJobs.push(
                    new k8s.batch.v1.Job(
                        `${name}-${MIGRATION_RESOURCE_SUFFIXES[step.phase]}`,
                        {
                            metadata: jobs.apply(
                                (j) => j[i].metadata,
                            ) as unknown as pulumi.Output<k8s.types.input.meta.v1.ObjectMeta>,
                            spec: jobs.apply(
                                (j) => j[i].spec,
                            ) as unknown as pulumi.Output<k8s.types.input.batch.v1.JobSpec>,
                        },
                        child({
                            dependsOn: [...dependencyList(opts?.dependsOn), migrationSa, ...(secret ? [secret] : [])],
                            customTimeouts: { create: wait, update: wait },
                        }),
                    ),
                ),
            );
            // The Rollout names the Jobs it waits for (the policy pack checks it), from the same builder.
            migrationJobNames = jobs.apply((j) => j.map((job) => String(job.metadata.name)).join(","));
        }

        const r = rollout(s, image, revision);
        if (migrationJobNames !== undefined)
            r.object.metadata = {
                ...r.object.metadata,
                annotations: { ...r.object.metadata?.annotations, [MIGRATION_JOBS_ANNOTATION]: migrationJobNames },
            };
        const rolloutResource = new k8s.apiextensions.CustomResource(
            `${name}-rollout`,
            r.object,
            // The Rollout needs what it references in place: its ServiceAccount, Secret, Services, templates and routes.
            child({
                ignoreChanges: r.ignoreChanges,
                dependsOn: [
                    ...dependencyList(opts?.dependsOn),
                    sa,
                    ...(secret ? [secret] : []),
                    ...serviceResources,
                    ...templates,
                    vsResource,
                    drResource,
                    pa,
                    ...policies,
                    ...previewResources,
                    ...migrationJobs,
                ],
            }),
        );

        this.envSecretName = secret ? secret.metadata.name : pulumi.output(undefined);
        this.rolloutName = rolloutResource.metadata.name;
        this.serviceHost = pulumi.output(mainHost(s));
        this.previewHost = pulumi.output(testHost(s));
        this.strategy = pulumi.output(s.strategy);
        this.image = image;
        this.revision = revision;
        this.timing = pulumi.output(timingSummary(timing));
        this.analysisTemplates = pulumi.output(templateParts.map((t) => t.name));
        this.registerOutputs({
            rolloutName: this.rolloutName,
            serviceHost: this.serviceHost,
            previewHost: this.previewHost,
            strategy: this.strategy,
            image: this.image,
            revision: this.revision,
            timing: this.timing,
            analysisTemplates: this.analysisTemplates,
            envSecretName: this.envSecretName,
        });
    }
}

/** Options that leave `paths` to the Argo Rollouts controller (none: no option at all). */
function ignoring(paths: string[]): pulumi.CustomResourceOptions {
    return paths.length > 0 ? { ignoreChanges: paths } : {};
}

/** The component's own `dependsOn` as a list, so children can add their own dependencies to it. */
function dependencyList(d: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) return [];
    if (Array.isArray(d)) return d;
    if (pulumi.Resource.isInstance(d)) return [d];
    // An Output or Promise of a list: wait for all of it.
    return [
        pulumi.output(d as pulumi.Input<pulumi.Resource[]>).apply((list) => list[0]) as pulumi.Output<pulumi.Resource>,
    ];
}
