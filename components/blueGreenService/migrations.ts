/**
 * Backward-compatible database migrations of a release, as pure builders (no resources): the expand/contract pattern.
 *
 * - **Expand** (add what the new version needs, keep what the old one uses) runs as a Job before any traffic moves:
 *   the component creates the Job and makes the Rollout depend on it, and Pulumi's Kubernetes provider waits for a
 *   Job to complete (its `Complete` condition) and fails the update at once when the Job fails. A failing expand
 *   therefore stops the update before the Rollout changes: the version in service keeps serving, untouched.
 * - **Contract** (remove what only the retired version used) runs only once that version can no longer serve: it is
 *   a step of a later release that names the retired version's image (`retiredImage`); it is refused at
 *   construction when the retired version could still serve (it is the release's own image, or the same release also
 *   expands), and at run time the Job first asks Prometheus (kube-state-metrics' `kube_pod_container_info`) that no
 *   pod has run the retired image within {@link GUARD_LOOKBACK_SECONDS}, with a bounded number of tries, and fails
 *   otherwise. The previous version's pods are kept for `scaleDownDelaySeconds` after a promotion, for an instant
 *   rollback: while they run, the guard refuses, so a contract never runs while the retired version can still be
 *   rolled back to by a selector switch.
 *
 * Why not Argo Rollouts' pre-promotion analysis with a Job metric: it starts only once the new ReplicaSet's pods are
 * fully available (Argo Rollouts, BlueGreen strategy, "prePromotionAnalysis"), so the new version would start
 * against a schema that is not there yet. A Job gate that the engine awaits runs before any new pod exists.
 *
 * Both Jobs are named per release (a hash of the phase, the migration image, command and arguments, the release's
 * own image and, for a contract, the retired image): each release runs its migration once, a re-run of the same
 * release finds the completed Job and runs nothing, and a failed Job is replaced on the next update
 * (`pulumi.com/replaceUnready`), so a contract refused too early runs again once retried.
 */
import { createHash } from "node:crypto";
import { checkInteger } from "../lib/validation";
import { checkImageReference, isRecord, push, unknownKeys } from "./checks";

// ---------------------------------------------------------------------------------------------------------------
// Arguments

/** One migration step: what the migration image runs. */
export interface MigrationStepArgs {
    /** Entrypoint of the step, run without a shell, e.g. ["/app/migrate", "expand"]. Required; no default. */
    readonly command: string[];
    /** Arguments after `command`. Defaults to none. */
    readonly args?: string[];
}

/** The contract step: what it runs, and which version it retires. */
export interface ContractStepArgs {
    /** Entrypoint of the step, run without a shell, e.g. ["/app/migrate", "contract"]. Required; no default. */
    readonly command: string[];
    /** Arguments after `command`. Defaults to none. */
    readonly args?: string[];
    /**
     * Digest-pinned image of the last version of the service that still used the old schema: the contract runs only
     * when no pod has run it for a while. Required; no default.
     */
    readonly retiredImage: string;
}

/** The release's database migrations (expand before traffic moves, contract once the old version is gone). */
export interface MigrationsArgs {
    /** Digest-pinned image holding the migrations, run as the service's user. Required; no default. */
    readonly image: string;
    /** Runs before the Rollout changes; a failure stops the update and the current version keeps serving. Defaults to none. */
    readonly expand?: MigrationStepArgs;
    /** Runs before the Rollout changes, once no pod runs `retiredImage`; never in the release that expands. Defaults to none. */
    readonly contract?: ContractStepArgs;
    /** Names of the service's `secretEnv` variables the migrations receive (by secretKeyRef). Defaults to none. */
    readonly secretEnv?: string[];
    /** Longest a migration Job may run (its activeDeadlineSeconds), 60-3600. Defaults to 600. */
    readonly timeoutSeconds?: number;
    /** Retries of a failed migration pod (its backoffLimit), 0-5. Defaults to 0 (a failure stops the release). */
    readonly backoffLimit?: number;
    /** Digest-pinned image with /bin/sh and curl that checks Prometheus before the contract. Defaults to `analysis.smokeTest.image`. */
    readonly guardImage?: string;
}

/** The fields of `T` in the order written; the literal must name each field of `T` and nothing else, or it does not compile. */
function fieldsOf<T>(keys: Record<keyof T, true>): readonly string[] {
    return Object.keys(keys);
}

const MIGRATIONS_KEYS = fieldsOf<MigrationsArgs>({
    image: true,
    expand: true,
    contract: true,
    secretEnv: true,
    timeoutSeconds: true,
    backoffLimit: true,
    guardImage: true,
});
const STEP_KEYS = fieldsOf<MigrationStepArgs>({ command: true, args: true });
const CONTRACT_KEYS = fieldsOf<ContractStepArgs>({ command: true, args: true, retiredImage: true });

// ---------------------------------------------------------------------------------------------------------------
// Constants

/** The two phases of a backward-compatible schema change. */
export type MigrationPhase = "expand" | "contract";
export const MIGRATION_PHASES: readonly MigrationPhase[] = ["expand", "contract"];

/** Label of a migration Job and its pod: the service it migrates. Not `app`, so no release NetworkPolicy selects it. */
export const MIGRATION_SERVICE_LABEL = "platform.zdp.dev/migration";
/** Label of a migration Job and its pod: "expand" or "contract". */
export const MIGRATION_PHASE_LABEL = "platform.zdp.dev/migration-phase";
/** Annotation of a contract Job: the digest-pinned image of the version it retires. */
export const RETIRED_IMAGE_ANNOTATION = "platform.zdp.dev/retired-image";
/** Annotation of a migration Job: the image of the release it belongs to. */
export const RELEASE_IMAGE_ANNOTATION = "platform.zdp.dev/release-image";
/** Annotation of the Rollout: the migration Jobs (comma-separated names) it waits for, as its `dependsOn` says. */
export const MIGRATION_JOBS_ANNOTATION = "platform.zdp.dev/migration-jobs";
/** Pulumi's Kubernetes provider skips its await (here: waiting for the Job to complete) when this is "true". */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
/** Pulumi's Kubernetes provider replaces a resource that did not become ready on the next update when "true". */
export const REPLACE_UNREADY_ANNOTATION = "pulumi.com/replaceUnready";

/** Attempts of the contract's guard before it gives up, and the wait between them. */
export const GUARD_TRIES = 10;
export const GUARD_INTERVAL_SECONDS = 30;
/** Longest one guard query may take (curl's --max-time). */
export const GUARD_QUERY_TIMEOUT_SECONDS = 10;
/**
 * A pod seen running the retired image this recently still counts: it covers scrape intervals and gaps, and a pod
 * scaled down a moment ago, so the guard never mistakes a missed scrape for the version being gone.
 */
export const GUARD_LOOKBACK_SECONDS = 300;
/** Longest the guard can take: every try at its full timeout, and the waits between them. */
export const GUARD_MAX_SECONDS = GUARD_TRIES * GUARD_QUERY_TIMEOUT_SECONDS + (GUARD_TRIES - 1) * GUARD_INTERVAL_SECONDS;

export const MIGRATION_DEFAULTS = { timeoutSeconds: 600, backoffLimit: 0 } as const;
/** Seconds the engine waits for a Job beyond its deadline (pod scheduling, image pull, status propagation). */
export const MIGRATION_AWAIT_MARGIN_SECONDS = 120;

// ---------------------------------------------------------------------------------------------------------------
// Validation

/** What the migrations are checked against: the rest of the service's arguments. */
export interface MigrationContext {
    /** The service's image (a string when given; an Output or undefined when built in the stack). */
    image: unknown;
    /** The service's `secretEnv` map (its keys are the variables the migrations may name). */
    secretEnv: unknown;
    /** The smoke test image, the guard image's default. */
    smokeTestImage: unknown;
}

function checkStringList(field: string, value: unknown, required: boolean): string[] {
    if (value === undefined && !required) return [];
    if (!Array.isArray(value) || (required && value.length === 0) || value.length > 64)
        return [
            `${field} must be a list of ${required ? "1" : "0"} to 64 strings, run without a shell (got ${JSON.stringify(value)})`,
        ];
    return value.flatMap((v, i) =>
        typeof v === "string" && v.length > 0 && v.length <= 4096
            ? []
            : [`${field}[${i}] must be a non-empty string (got ${JSON.stringify(v)})`],
    );
}

/**
 * Checks `migrations` (raw arguments or a stack config entry), returning one message per problem, each naming the
 * field through `f` (which adds the caller's prefix).
 */
export function checkMigrations(raw: unknown, ctx: MigrationContext, f: (path: string) => string): string[] {
    if (raw === undefined) return [];
    const at = (p: string) => f(`migrations${p}`);
    if (!isRecord(raw))
        return [
            `${at("")} must be an object { image, expand?, contract?, secretEnv?, timeoutSeconds?, backoffLimit? }`,
        ];
    const errors: string[] = [...unknownKeys(at(""), raw, MIGRATIONS_KEYS)];
    push(errors, checkImageReference(at(".image"), raw.image));

    for (const phase of MIGRATION_PHASES) {
        const step = raw[phase];
        if (step === undefined) continue;
        if (!isRecord(step)) {
            errors.push(
                `${at(`.${phase}`)} must be an object { command, args?${phase === "contract" ? ", retiredImage" : ""} }`,
            );
            continue;
        }
        errors.push(...unknownKeys(at(`.${phase}`), step, phase === "contract" ? CONTRACT_KEYS : STEP_KEYS));
        errors.push(...checkStringList(at(`.${phase}.command`), step.command, true));
        errors.push(...checkStringList(at(`.${phase}.args`), step.args, false));
    }
    const expand = raw.expand;
    const contract = isRecord(raw.contract) ? raw.contract : undefined;
    if (expand === undefined && raw.contract === undefined)
        errors.push(`${at("")} has neither expand nor contract: give the step this release runs, or remove migrations`);
    if (expand !== undefined && raw.contract !== undefined)
        errors.push(
            `${at(".contract")} is in the same release as ${at(".expand")}: the version this release replaces still ` +
                `serves (and is kept for rollback) while the release runs, so the contract could remove what it uses; ` +
                `ship the expand now and the contract in a later release, once the retired version is gone`,
        );
    if (contract) {
        const e = checkImageReference(at(".contract.retiredImage"), contract.retiredImage);
        push(errors, e);
        if (!e && typeof ctx.image === "string" && contract.retiredImage === ctx.image)
            errors.push(
                `${at(".contract.retiredImage")} is this release's own image (${ctx.image}): it still serves after ` +
                    `the release, so nothing is retired; name the image of the last version that used the old schema`,
            );
        const guard = raw.guardImage ?? ctx.smokeTestImage;
        if (guard === undefined)
            errors.push(
                `${at(".guardImage")} is required with a contract when there is no analysis.smokeTest.image: a ` +
                    `digest-pinned image with /bin/sh and curl that checks the retired version is gone`,
            );
    }
    if (raw.guardImage !== undefined) push(errors, checkImageReference(at(".guardImage"), raw.guardImage));

    if (raw.secretEnv !== undefined) {
        const known = isRecord(ctx.secretEnv) ? Object.keys(ctx.secretEnv) : [];
        if (!Array.isArray(raw.secretEnv))
            errors.push(`${at(".secretEnv")} must be a list of names of the service's secretEnv variables`);
        else
            raw.secretEnv.forEach((name: unknown, i: number) => {
                if (typeof name !== "string" || !known.includes(name))
                    errors.push(
                        `${at(`.secretEnv[${i}]`)} ${JSON.stringify(name)} is not a variable of ${f("secretEnv")} ` +
                            `(${known.length > 0 ? `known: ${known.join(", ")}` : "it has none"}): migrations get ` +
                            `secrets only from the service's own secretEnv; add it there or remove it here`,
                    );
                else if (raw.secretEnv !== undefined && (raw.secretEnv as unknown[]).indexOf(name) !== i)
                    errors.push(`${at(`.secretEnv[${i}]`)} "${name}" is listed twice`);
            });
    }
    if (raw.timeoutSeconds !== undefined)
        push(errors, checkInteger(at(".timeoutSeconds"), raw.timeoutSeconds, 60, 3600));
    if (raw.backoffLimit !== undefined) push(errors, checkInteger(at(".backoffLimit"), raw.backoffLimit, 0, 5));
    const timeout = typeof raw.timeoutSeconds === "number" ? raw.timeoutSeconds : MIGRATION_DEFAULTS.timeoutSeconds;
    if (contract && timeout < GUARD_MAX_SECONDS + 60)
        errors.push(
            `${at(".timeoutSeconds")} (${timeout}) must be at least ${GUARD_MAX_SECONDS + 60} with a contract: its ` +
                `guard alone may take ${GUARD_MAX_SECONDS} s before the contract starts`,
        );
    return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Settings and names

/** One step with its defaults applied. */
export interface MigrationStep {
    phase: MigrationPhase;
    command: string[];
    args: string[];
    /** The contract's retired image; undefined for an expand. */
    retiredImage: string | undefined;
}

/** Validated `migrations` with the defaults applied. */
export interface MigrationSettings {
    image: string;
    steps: MigrationStep[];
    secretEnv: string[];
    timeoutSeconds: number;
    backoffLimit: number;
    /** The contract's guard image; undefined without a contract. */
    guardImage: string | undefined;
}

/** Applies the defaults to validated `migrations` (undefined: the release has none). */
export function migrationSettings(
    m: MigrationsArgs | undefined,
    smokeTestImage: string | undefined,
): MigrationSettings | undefined {
    if (m === undefined) return undefined;
    const steps: MigrationStep[] = [];
    if (m.expand)
        steps.push({ phase: "expand", command: m.expand.command, args: m.expand.args ?? [], retiredImage: undefined });
    if (m.contract)
        steps.push({
            phase: "contract",
            command: m.contract.command,
            args: m.contract.args ?? [],
            retiredImage: m.contract.retiredImage,
        });
    return {
        image: m.image,
        steps,
        secretEnv: [...(m.secretEnv ?? [])].sort(),
        timeoutSeconds: m.timeoutSeconds ?? MIGRATION_DEFAULTS.timeoutSeconds,
        backoffLimit: m.backoffLimit ?? MIGRATION_DEFAULTS.backoffLimit,
        // The smoke test image has /bin/sh and curl, all the guard needs.
        guardImage: m.contract ? (m.guardImage ?? smokeTestImage) : undefined,
    };
}

/** Name of the migrations' own ServiceAccount (not the service's: the Jobs run with no API token either way). */
export function migrationServiceAccountName(service: string): string {
    return `${service}-migrations`;
}

/** Characters of the release hash in a Job's name. */
const HASH_LENGTH = 10;

/**
 * The per-release hash of a step: the phase, the migration image, command and arguments, the release's image and the
 * retired image. The same release hashes the same (no new Job, nothing re-runs); any change is a new Job.
 */
export function migrationHash(
    service: string,
    namespace: string,
    settings: MigrationSettings,
    step: MigrationStep,
    releaseImage: string,
): string {
    const identity = JSON.stringify([
        namespace,
        service,
        step.phase,
        settings.image,
        step.command,
        step.args,
        releaseImage,
        step.retiredImage ?? null,
    ]);
    return createHash("sha256").update(identity).digest("hex").slice(0, HASH_LENGTH);
}

/**
 * Name of a step's Job, `<service>-<phase>-<hash>`: at most 63 characters, since the Job controller copies it into a
 * label value of the pods (the service name is shortened to fit; the hash keeps it unique).
 */
export function migrationJobName(service: string, phase: MigrationPhase, hash: string): string {
    const room = 63 - phase.length - hash.length - 2;
    const prefix = service.slice(0, room).replace(/-+$/, "");
    return `${prefix}-${phase}-${hash}`;
}

/** Pulumi resource name suffixes of the migration resources (the component prefixes its own name). */
export const MIGRATION_RESOURCE_SUFFIXES = {
    serviceAccount: "migrations-sa",
    expand: "migrate-expand",
    contract: "migrate-contract",
} as const;

// ---------------------------------------------------------------------------------------------------------------
// The contract's guard

/**
 * The guard's PromQL: one sample when the contract may run, none otherwise. It may run when kube-state-metrics
 * reports the namespace's pods now (so an empty answer below means "gone", not "not scraped") and no container,
 * in any namespace, ran the retired image within {@link GUARD_LOOKBACK_SECONDS}, matched by the image as written in
 * the pod spec (`image_spec`) or by its digest as the runtime resolved it (`image_id`).
 */
export function retiredImageQuery(namespace: string, retiredImage: string): string {
    const digest = retiredImage.slice(retiredImage.indexOf("@") + 1);
    const w = `${GUARD_LOOKBACK_SECONDS}s`;
    const retired =
        `count(count_over_time(kube_pod_container_info{image_spec="${retiredImage}"}[${w}]) ` +
        `or count_over_time(kube_pod_container_info{image_id=~".*${digest.replace(":", "[:]")}"}[${w}]))`;
    return `(count(kube_pod_container_info{namespace="${namespace}"}) > 0) unless on() (${retired} > 0)`;
}

/**
 * Shell of the guard (an init container: the contract container starts only when it exits 0). Fails closed: an
 * error, an unreachable Prometheus or an answer it cannot read counts as "the retired version may still run".
 */
export const RETIRED_VERSION_GUARD_SCRIPT = [
    "set -u",
    "i=1",
    'while [ "$i" -le "$GUARD_TRIES" ]; do',
    '  body=$(curl --silent --show-error --fail --max-time "$GUARD_QUERY_TIMEOUT" --get --data-urlencode "query=$GUARD_QUERY" "$PROMETHEUS_URL/api/v1/query") || body=""',
    '  case "$body" in',
    '    *\'"status":"success"\'*\'"result":[{\'*)',
    '      echo "PASS no pod has run $RETIRED_IMAGE for ${GUARD_LOOKBACK_SECONDS}s: the contract may run"',
    "      exit 0 ;;",
    "  esac",
    '  echo "WAIT try $i of $GUARD_TRIES: $RETIRED_IMAGE may still run (or Prometheus cannot tell)"',
    "  i=$((i + 1))",
    '  if [ "$i" -le "$GUARD_TRIES" ]; then sleep "$GUARD_INTERVAL"; fi',
    "done",
    'echo "FAIL the retired version $RETIRED_IMAGE may still serve or be rolled back to: the contract did not run; retry the release once it is gone"',
    "exit 1",
].join("\n");

// ---------------------------------------------------------------------------------------------------------------
// The Job

/** What a step's Job needs from the rest of the release. */
export interface MigrationJobContext {
    service: string;
    namespace: string;
    /** The release's own image (digest-pinned). */
    releaseImage: string;
    runAsUser: number;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
    /** The service's Secret holding `secretEnv`. */
    secretName: string;
    prometheusAddress: string;
}

/** Container security of the migration Jobs: as the service's containers. */
function containerSecurity(): Record<string, unknown> {
    return {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
    };
}

/** Resources of the guard container: one curl at a time. */
const GUARD_RESOURCES = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } };

/**
 * A step's Job (`metadata` and `spec` of a `batch/v1` Job): the service's user, no API token, its own
 * ServiceAccount, a read-only root filesystem with /tmp writable, no sidecar (it would keep the Job from completing),
 * the service's resources, and only the listed `secretEnv` variables, by secretKeyRef. A contract's pod starts with
 * the guard.
 */
export function migrationJob(
    settings: MigrationSettings,
    step: MigrationStep,
    ctx: MigrationJobContext,
): { metadata: Record<string, unknown>; spec: Record<string, unknown> } {
    const hash = migrationHash(ctx.service, ctx.namespace, settings, step, ctx.releaseImage);
    const labels = {
        [MIGRATION_SERVICE_LABEL]: ctx.service,
        [MIGRATION_PHASE_LABEL]: step.phase,
        "app.kubernetes.io/part-of": "zdp",
    };
    const env = settings.secretEnv.map((k) => ({
        name: k,
        valueFrom: { secretKeyRef: { name: ctx.secretName, key: k } },
    }));
    const guard =
        step.phase === "contract"
            ? [
                  {
                      name: "retired-version-gone",
                      image: settings.guardImage,
                      command: ["/bin/sh", "-c", RETIRED_VERSION_GUARD_SCRIPT],
                      env: [
                          { name: "PROMETHEUS_URL", value: ctx.prometheusAddress },
                          { name: "GUARD_QUERY", value: retiredImageQuery(ctx.namespace, step.retiredImage!) },
                          { name: "RETIRED_IMAGE", value: step.retiredImage },
                          { name: "GUARD_TRIES", value: String(GUARD_TRIES) },
                          { name: "GUARD_INTERVAL", value: String(GUARD_INTERVAL_SECONDS) },
                          { name: "GUARD_QUERY_TIMEOUT", value: String(GUARD_QUERY_TIMEOUT_SECONDS) },
                          { name: "GUARD_LOOKBACK_SECONDS", value: String(GUARD_LOOKBACK_SECONDS) },
                      ],
                      resources: GUARD_RESOURCES,
                      securityContext: containerSecurity(),
                  },
              ]
            : [];
    return {
        metadata: {
            name: migrationJobName(ctx.service, step.phase, hash),
            namespace: ctx.namespace,
            labels,
            annotations: {
                [RELEASE_IMAGE_ANNOTATION]: ctx.releaseImage,
                ...(step.retiredImage !== undefined ? { [RETIRED_IMAGE_ANNOTATION]: step.retiredImage } : {}),
                // A Job that failed (a contract refused too early, a broken migration) is run again by the next
                // update, instead of the engine waiting on the failed one for ever.
                [REPLACE_UNREADY_ANNOTATION]: "true",
            },
        },
        spec: {
            backoffLimit: settings.backoffLimit,
            activeDeadlineSeconds: settings.timeoutSeconds,
            template: {
                metadata: { labels: { ...labels, "sidecar.istio.io/inject": "false" } },
                spec: {
                    serviceAccountName: migrationServiceAccountName(ctx.service),
                    automountServiceAccountToken: false,
                    restartPolicy: "Never",
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: ctx.runAsUser,
                        runAsGroup: ctx.runAsUser,
                        fsGroup: ctx.runAsUser,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    ...(guard.length > 0 ? { initContainers: guard } : {}),
                    containers: [
                        {
                            name: step.phase,
                            image: settings.image,
                            command: step.command,
                            ...(step.args.length > 0 ? { args: step.args } : {}),
                            ...(env.length > 0 ? { env } : {}),
                            resources: ctx.resources,
                            securityContext: containerSecurity(),
                            // The root filesystem is read-only; /tmp is the one writable place.
                            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                        },
                    ],
                    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
                },
            },
        },
    };
}

/** How long the engine waits for a migration Job: its deadline and a margin. */
export function migrationAwaitSeconds(settings: MigrationSettings): number {
    return settings.timeoutSeconds + MIGRATION_AWAIT_MARGIN_SECONDS;
}

/** One resource the migrations register (as in resources.ts): its Pulumi type and name, and its Kubernetes object. */
export interface MigrationResource {
    type: string;
    name: string;
    /** `Kind namespace/name`; undefined for a Job whose name waits for an image built in the stack. */
    object?: string;
}

/**
 * The resources the component registers for `settings` (none without migrations): the migrations' ServiceAccount and
 * a Job per step. `releaseImage` is the service's image when known (a string), else the Jobs' names are not.
 */
export function migrationResources(
    name: string,
    service: string,
    namespace: string,
    settings: MigrationSettings | undefined,
    releaseImage: unknown,
): MigrationResource[] {
    if (settings === undefined) return [];
    return [
        {
            type: "kubernetes:core/v1:ServiceAccount",
            name: `${name}-${MIGRATION_RESOURCE_SUFFIXES.serviceAccount}`,
            object: `ServiceAccount ${namespace}/${migrationServiceAccountName(service)}`,
        },
        ...settings.steps.map((step) => ({
            type: "kubernetes:batch/v1:Job",
            name: `${name}-${MIGRATION_RESOURCE_SUFFIXES[step.phase]}`,
            ...(typeof releaseImage === "string"
                ? {
                      object: `Job ${namespace}/${migrationJobName(service, step.phase, migrationHash(service, namespace, settings, step, releaseImage))}`,
                  }
                : {}),
        })),
    ];
}
