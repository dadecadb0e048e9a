/**
 * Order of a release's database migrations (expand/contract), judged at preview from the objects a stack declares.
 * A migration Job is one labelled `platform.zdp.dev/migration-phase` ("expand" or "contract"); the BlueGreenService
 * component creates them (components/blueGreenService/migrations.ts) and the Rollout it gates names them in its
 * `platform.zdp.dev/migration-jobs` annotation, as its `dependsOn` does.
 *
 * A migration Job is rejected when the engine would not hold the release back for it:
 * - no Rollout of its namespace waits on it (names it; with the Pulumi engine, also depends on it), so traffic could
 *   move before the migration ran, or while it fails;
 * - it carries `pulumi.com/skipAwait: "true"`: the engine would not wait for the Job to complete.
 * A contract Job is rejected when it could run while the version it retires still serves:
 * - it does not name that version (`platform.zdp.dev/retired-image`, digest-pinned);
 * - a Rollout of the stack runs that image (it is the version in service, or the one being released);
 * - the same release also expands the same service (the version before this release still serves, and is kept for
 *   rollback, while the release runs).
 */
import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, containersOf, podSpecOf } from "../lib/kubernetes";
import { Exemption, PolicyDoc, configCompiler, configSchemaWith, reportObject } from "../lib/policyKit";
import { StackObject, guardUnknown, indexStack, reportUnknownResources } from "../lib/stack";

/** Label of a migration Job: "expand" or "contract". */
export const MIGRATION_PHASE_LABEL = "platform.zdp.dev/migration-phase";
/** Label of a migration Job: the service it migrates. */
export const MIGRATION_SERVICE_LABEL = "platform.zdp.dev/migration";
/** Annotation of a contract Job: the digest-pinned image of the version it retires. */
export const RETIRED_IMAGE_ANNOTATION = "platform.zdp.dev/retired-image";
/** Annotation of a Rollout: the migration Jobs it waits for, comma-separated names. */
export const MIGRATION_JOBS_ANNOTATION = "platform.zdp.dev/migration-jobs";
/** Pulumi's Kubernetes provider does not wait for an object annotated so. */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

const DIGEST_REF = /^[^\s@]+@sha256:[a-f0-9]{64}$/;

export interface MigrationsOrderingConfig {
    exemptions?: Exemption[];
}

const DOC: PolicyDoc = {
    name: "release-migrations-ordering",
    description:
        "Database migrations run in the order that keeps the version in service working: an expand Job completes " +
        "before its Rollout moves traffic (the Rollout waits on it, the engine awaits it), and a contract Job names " +
        "the version it retires, which no Rollout of the stack runs, never in the release that expands.",
    enforcementLevel: "mandatory",
    severity: "high",
    control: "Backward-compatible database migrations",
    remediation:
        "declare migrations through the service's `migrations` argument (BlueGreenService) rather than by hand; ship " +
        "the expand and the contract in separate releases, the contract once the retired version is gone and past " +
        "its rollback window; never set pulumi.com/skipAwait on a migration Job (see docs/runbooks/migrations.md).",
};

const compile = configCompiler((raw: MigrationsOrderingConfig) => ({ exemptions: raw.exemptions ?? [] }));

function labelOf(obj: KubeObject, key: string): string | undefined {
    const v = (obj.metadata?.labels as Record<string, unknown> | undefined)?.[key];
    return typeof v === "string" ? v : undefined;
}

function annotationOf(obj: KubeObject, key: string): string | undefined {
    const v = (obj.metadata?.annotations as Record<string, unknown> | undefined)?.[key];
    return typeof v === "string" ? v : undefined;
}

/** Every image a pod-bearing object runs. */
function imagesOf(obj: KubeObject): string[] {
    const spec = podSpecOf(obj);
    if (!spec) return [];
    return containersOf(spec)
        .map((c) => c.container.image)
        .filter((i): i is string => typeof i === "string");
}

/** The migration Jobs a Rollout says it waits for. */
function gatedJobs(rollout: KubeObject): string[] {
    return (annotationOf(rollout, MIGRATION_JOBS_ANNOTATION) ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

export const releaseMigrationsOrdering: StackValidationPolicy = {
    name: DOC.name,
    description: DOC.description,
    enforcementLevel: DOC.enforcementLevel,
    severity: DOC.severity,
    remediationSteps: DOC.remediation,
    tags: ["kubernetes", "release", "migrations"],
    configSchema: configSchemaWith(),
    validateStack: (args, reportViolation) => {
        const { exemptions } = compile(args);
        const index = indexStack(args.resources);
        reportUnknownResources(reportViolation, index, DOC.name);
        const byUrn = new Map<string, PolicyResource>(args.resources.map((r) => [r.urn, r]));
        const rollouts: StackObject[] = [];
        const jobs: StackObject[] = [];
        for (const so of index.objects) {
            guardUnknown(reportViolation, so, () => {
                if (so.obj.kind === "Rollout") rollouts.push(so);
                else if (so.obj.kind === "Job" && labelOf(so.obj, MIGRATION_PHASE_LABEL) !== undefined) jobs.push(so);
            });
        }
        const report = (so: StackObject, detail: string) =>
            reportObject(reportViolation, DOC, so.obj, detail, exemptions, so.urn);

        for (const so of jobs) {
            guardUnknown(reportViolation, so, () => {
                const job = so.obj;
                const ns = job.metadata?.namespace ?? "default";
                const name = job.metadata?.name as string;
                const phase = labelOf(job, MIGRATION_PHASE_LABEL);
                if (phase !== "expand" && phase !== "contract") {
                    report(so, `its ${MIGRATION_PHASE_LABEL} label is "${phase}", neither "expand" nor "contract".`);
                    return;
                }
                if (annotationOf(job, SKIP_AWAIT_ANNOTATION)?.toLowerCase() === "true")
                    report(
                        so,
                        `the ${phase} migration is annotated ${SKIP_AWAIT_ANNOTATION}: "true", so the engine would ` +
                            `not wait for it to complete and traffic could move before (or without) it.`,
                    );
                const waiting = rollouts.filter(
                    (r) => (r.obj.metadata?.namespace ?? "default") === ns && gatedJobs(r.obj).includes(name),
                );
                if (waiting.length === 0)
                    report(
                        so,
                        `no Rollout in namespace ${ns} waits on this ${phase} migration (none names it in ` +
                            `${MIGRATION_JOBS_ANNOTATION}), so traffic could move before it completes.`,
                    );
                for (const r of waiting) {
                    // The Pulumi engine tells what a resource depends on; the offline render does not (none listed).
                    const deps = byUrn.get(r.urn)?.dependencies ?? [];
                    if (deps.length > 0 && !deps.some((d) => d.urn === so.urn))
                        report(
                            so,
                            `Rollout ${ns}/${r.obj.metadata?.name} names this ${phase} migration but does not ` +
                                `depend on it, so the engine could change the Rollout before the Job completes.`,
                        );
                }
                if (phase !== "contract") return;

                const retired = annotationOf(job, RETIRED_IMAGE_ANNOTATION);
                if (retired === undefined || !DIGEST_REF.test(retired)) {
                    report(
                        so,
                        `the contract does not name the version it retires by digest (${RETIRED_IMAGE_ANNOTATION}: ` +
                            `${JSON.stringify(retired ?? null)}), so nothing shows that version no longer serves.`,
                    );
                } else {
                    for (const r of rollouts) {
                        if (imagesOf(r.obj).includes(retired))
                            report(
                                so,
                                `the contract retires ${retired}, which Rollout ${r.obj.metadata?.namespace}/` +
                                    `${r.obj.metadata?.name} runs: that version still serves (or is being released).`,
                            );
                    }
                }
                const service = labelOf(job, MIGRATION_SERVICE_LABEL);
                const expand = jobs.find(
                    (e) =>
                        (e.obj.metadata?.namespace ?? "default") === ns &&
                        labelOf(e.obj, MIGRATION_PHASE_LABEL) === "expand" &&
                        labelOf(e.obj, MIGRATION_SERVICE_LABEL) === service,
                );
                if (expand)
                    report(
                        so,
                        `the same release also expands service ${service} (Job ${ns}/${expand.obj.metadata?.name}): ` +
                            `the version this release replaces still serves, and is kept for rollback, while it runs.`,
                    );
            });
        }
    },
};
