/**
 * Schema validation of rendered Kubernetes objects against the published schemas of the kubernetes-models family:
 *
 * - `kubernetes-models`: the built-in API groups (core `v1`, `apps/v1`, `rbac.authorization.k8s.io/v1`, `policy/v1`,
 *   `networking.k8s.io/v1`, `batch/v1`, `autoscaling/v2`, ...);
 * - `@kubernetes-models/argo-rollouts`: `argoproj.io/v1alpha1` (Rollout, AnalysisTemplate, ...);
 * - `@kubernetes-models/istio`: `networking.istio.io`, `security.istio.io`, `telemetry.istio.io`, ...;
 * - `@kubernetes-models/prometheus-operator`: `monitoring.coreos.com` (ServiceMonitor, PrometheusRule, ...).
 *
 * Each package has one module per API group version (`kubernetes-models/apps/v1`, listed in its `exports`) whose
 * exported model classes carry static `apiVersion` and `kind` and a `validate()` that throws with the schema's
 * message. {@link findModel} looks the class up by apiVersion + kind; {@link validateObject} validates one object.
 *
 * An object whose apiVersion/kind has no model is a FAILURE (`reason: "no-schema"`), never a silent pass: adding a
 * kind to the platform means adding (or finding) its schema.
 *
 *     import { validateManifests, formatFailures } from "./helpers/schemas";
 *     const failures = await validateManifests(rendered.manifests);   // [] when every object is valid
 *     assert.deepStrictEqual(failures, [], formatFailures(failures));
 *
 * The modules are ECMAScript modules, loaded with dynamic `import()`; loaded modules are cached per process.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The packages searched for models, in order. */
export const SCHEMA_PACKAGES = [
    "kubernetes-models",
    "@kubernetes-models/argo-rollouts",
    "@kubernetes-models/istio",
    "@kubernetes-models/prometheus-operator",
] as const;

/** A kubernetes-models model class: `new Model(data).validate()` throws when `data` breaks the schema. */
export interface ModelClass {
    readonly apiVersion: string;
    readonly kind: string;
    new (data?: unknown): { validate(): void };
}

/** Where a model was found: package, module specifier and class. */
export interface ModelRef {
    package: string;
    module: string;
    model: ModelClass;
}

/** Why an object failed validation. */
export type FailureReason = "not-an-object" | "no-type" | "no-schema" | "invalid";

export interface SchemaFailure {
    /** Where the object came from (a manifest path), or a caller-chosen label. */
    source: string;
    apiVersion?: string;
    kind?: string;
    name?: string;
    reason: FailureReason;
    /** The schema's message for `invalid`, an explanation otherwise. */
    message: string;
}

export type SchemaResult = { ok: true; schema: string } | { ok: false; failure: SchemaFailure };

const moduleCache = new Map<string, Promise<Record<string, unknown> | undefined>>();
let exportMaps: Map<string, Set<string>> | undefined;

/** Each package's exported subpaths (`./apps/v1`, `./v1`, ...), read from its package.json. */
function packageExports(): Map<string, Set<string>> {
    if (exportMaps === undefined) {
        exportMaps = new Map();
        for (const pkg of SCHEMA_PACKAGES) {
            const manifest = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "package.json");
            const exportsField = JSON.parse(fs.readFileSync(manifest, "utf8")).exports ?? {};
            exportMaps.set(pkg, new Set(Object.keys(exportsField)));
        }
    }
    return exportMaps;
}

/** The module specifiers that can hold models of `apiVersion` (`apps/v1` → `kubernetes-models/apps/v1`). */
export function modulesFor(apiVersion: string): { package: string; module: string }[] {
    // "v1" is the core group; everything else is "<group>/<version>". Reject anything else before building a path.
    if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return [];
    const subpath = `./${apiVersion}`;
    const out: { package: string; module: string }[] = [];
    for (const [pkg, subpaths] of packageExports()) {
        if (subpaths.has(subpath)) out.push({ package: pkg, module: `${pkg}/${apiVersion}` });
    }
    return out;
}

function loadModule(specifier: string): Promise<Record<string, unknown> | undefined> {
    let pending = moduleCache.get(specifier);
    if (pending === undefined) {
        pending = import(specifier).then((m: Record<string, unknown>) => m);
        moduleCache.set(specifier, pending);
    }
    return pending;
}

function isModelClass(v: unknown): v is ModelClass {
    return (
        typeof v === "function" &&
        typeof (v as unknown as ModelClass).apiVersion === "string" &&
        typeof (v as unknown as ModelClass).kind === "string" &&
        typeof (v as { prototype?: { validate?: unknown } }).prototype?.validate === "function"
    );
}

/** The model class for `apiVersion` + `kind`, or undefined when no package publishes a schema for it. */
export async function findModel(apiVersion: string, kind: string): Promise<ModelRef | undefined> {
    for (const candidate of modulesFor(apiVersion)) {
        const mod = await loadModule(candidate.module);
        for (const value of Object.values(mod ?? {})) {
            if (isModelClass(value) && value.apiVersion === apiVersion && value.kind === kind) {
                return { ...candidate, model: value };
            }
        }
    }
    return undefined;
}

/** Validates one object against its published schema. `source` names it in the failure (e.g. its file path). */
export async function validateObject(obj: unknown, source = "(object)"): Promise<SchemaResult> {
    const fail = (reason: FailureReason, message: string, extra: Partial<SchemaFailure> = {}): SchemaResult => ({
        ok: false,
        failure: { source, reason, message, ...extra },
    });
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
        return fail("not-an-object", `expected a Kubernetes object, got ${JSON.stringify(obj)}`);
    }
    const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
    const ids = {
        apiVersion: typeof o.apiVersion === "string" ? o.apiVersion : undefined,
        kind: typeof o.kind === "string" ? o.kind : undefined,
        name: typeof o.metadata?.name === "string" ? o.metadata.name : undefined,
    };
    if (ids.apiVersion === undefined || ids.kind === undefined) {
        return fail("no-type", "apiVersion and kind must both be strings", ids);
    }
    const ref = await findModel(ids.apiVersion, ids.kind);
    if (ref === undefined) {
        return fail(
            "no-schema",
            `no published schema for ${ids.apiVersion} ${ids.kind} in ${SCHEMA_PACKAGES.join(", ")}`,
            ids,
        );
    }
    try {
        // The model copies the data (dropping undefined values, as serialisation would) and validates the copy.
        new ref.model(structuredClone(obj)).validate();
    } catch (e) {
        return fail("invalid", e instanceof Error ? e.message : String(e), ids);
    }
    return { ok: true, schema: `${ref.module}#${ref.model.kind}` };
}

/** Validates every manifest; returns the failures (empty when all are valid), in input order. */
export async function validateManifests(
    manifests: readonly { file: string; object: unknown }[],
): Promise<SchemaFailure[]> {
    const failures: SchemaFailure[] = [];
    for (const m of manifests) {
        const result = await validateObject(m.object, m.file);
        if (!result.ok) failures.push(result.failure);
    }
    return failures;
}

/** One line per failure: `source: apiVersion kind name: [reason] message`. */
export function formatFailures(failures: readonly SchemaFailure[]): string {
    return failures
        .map((f) => `${f.source}: ${f.apiVersion ?? "?"} ${f.kind ?? "?"} ${f.name ?? "?"}: [${f.reason}] ${f.message}`)
        .join("\n");
}
