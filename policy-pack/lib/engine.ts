/**
 * An offline policy engine: runs the pack's resource and stack policies (the very same policy objects the Pulumi
 * analyzer serves) over plain Kubernetes objects, with a policy-pack config in Pulumi's format, and returns the
 * violations. The offline checker (`npm run policy:check`), the tests and the benchmark use it; a preview tool can
 * hand it the objects a Pulumi program would create.
 *
 * It follows the Pulumi engine and @pulumi/policy's analyzer server where they define behaviour:
 * - config: `{"all": level, "<policy>": level | {"enforcementLevel"?: level, ...properties}}`; the top-level
 *   `default` of each property of a policy's `configSchema` is filled in, then the properties are validated against
 *   the schema (errors name the policy and the property path). Stricter than Pulumi: unknown policy names and unknown
 *   top-level properties are errors, so typos do not silently turn a check off.
 * - enforcement level: the policy's configured level, else `all`, else the policy's own, else the pack's;
 *   `disabled` skips the policy; `remediate` is reported as `mandatory` (there is nothing to remediate offline).
 * - values unknown at preview (@pulumi/policy's sentinels) make props an `unknownCheckingProxy`, and a policy that
 *   reads one gets `UnknownValueError`, reported as an advisory "can't run ... during preview" violation.
 * - `reportViolation` takes a message (and, for stack policies, the URN of the object at fault) or the object form
 *   `{message, enforcementLevel?, urn?}` the pack uses to report exempt objects as advisory.
 *
 * API:
 *   const engine = new PolicyEngine({ policies?, config?, only?, packEnforcementLevel? });  // throws PolicyConfigError
 *   engine.policies                  // PolicyInfo[]: name, kind, enforcementLevel (as configured), description, ...
 *   await engine.check(objects)      // objects: ManifestObject[] ({object, file?, line?}) -> Violation[]
 *   hasMandatory(violations)         // true when the checker should fail
 *   resolvePolicyConfig(policies, config, packLevel)   // the effective config, or PolicyConfigError
 */
import {
    EnforcementLevel,
    Policies,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    UnknownValueError,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { KubeObject, describeObject, typeOfKind } from "./kubernetes";
import { cisControlOf } from "./policyKit";
import { UnsupportedSchemaError, validateValue } from "./schema";
import { allPolicies, packEnforcementLevel } from "../policies";

/** A Kubernetes object to check, with where it came from (for messages). */
export interface ManifestObject {
    object: KubeObject;
    /** File the object was read from (`<stdin>` for standard input); undefined for objects built in memory. */
    file?: string;
    /** 1-based line of the object in the file. */
    line?: number;
}

/** One violation found by the engine. */
export interface Violation {
    policy: string;
    enforcementLevel: "advisory" | "mandatory";
    kind: string | null;
    namespace: string | null;
    name: string | null;
    file: string | null;
    line: number | null;
    message: string;
}

/** What `--list` shows about a policy. */
export interface PolicyInfo {
    name: string;
    kind: "resource" | "stack";
    description: string;
    /** The level in force under the engine's config (`disabled` policies are not run). */
    enforcementLevel: EnforcementLevel;
    severity?: string;
    cis?: string;
}

/** Bad policy config (or `--policy` names): each entry of `errors` names the policy and the field. */
export class PolicyConfigError extends Error {
    constructor(readonly errors: string[]) {
        super(errors.join("\n"));
    }
}

/** `only` named policies the engine does not have. */
export class UnknownPolicyError extends Error {
    constructor(
        readonly unknown: string[],
        readonly valid: string[],
    ) {
        super(`no such policy: ${unknown.join(", ")} (valid: ${valid.join(", ")})`);
    }
}

/** The effective config of one policy. */
export interface ResolvedPolicyConfig {
    enforcementLevel: EnforcementLevel;
    properties: Record<string, unknown>;
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function isLevel(v: unknown): v is EnforcementLevel {
    return typeof v === "string" && (LEVELS as readonly string[]).includes(v);
}

function isResourcePolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is ResourceValidationPolicy {
    return !("validateStack" in p);
}

/**
 * The effective config of every policy: schema defaults, then `all`, then the policy's own entry; validated against
 * each policy's configSchema. Throws {@link PolicyConfigError} listing every problem.
 */
export function resolvePolicyConfig(
    policies: Policies,
    config: unknown = {},
    packLevel: EnforcementLevel = packEnforcementLevel,
): Map<string, ResolvedPolicyConfig> {
    const errors: string[] = [];
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyConfigError(["policy config must be a JSON object keyed by policy name"]);
    }
    const raw = config as Record<string, unknown>;
    const byName = new Map(policies.map((p) => [p.name, p]));
    let allLevel: EnforcementLevel | undefined;
    const given = new Map<string, { level?: EnforcementLevel; props: Record<string, unknown> }>();
    for (const [key, value] of Object.entries(raw)) {
        if (key !== "all" && !byName.has(key)) {
            errors.push(`${key}: no such policy (valid: all, ${[...byName.keys()].join(", ")})`);
            continue;
        }
        let level: EnforcementLevel | undefined;
        let props: Record<string, unknown> = {};
        if (typeof value === "string") {
            if (isLevel(value)) level = value;
            else errors.push(`${key}: "${value}" is not an enforcement level (${LEVELS.join(", ")})`);
        } else if (value && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...rest } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined) {
                if (isLevel(enforcementLevel)) level = enforcementLevel;
                else
                    errors.push(
                        `${key}.enforcementLevel: ${JSON.stringify(enforcementLevel)} is not an enforcement level (${LEVELS.join(", ")})`,
                    );
            }
            props = rest;
        } else {
            errors.push(`${key}: must be an enforcement level or an object, got ${JSON.stringify(value)}`);
        }
        if (key === "all") {
            allLevel = level;
            if (Object.keys(props).length) errors.push(`all: only enforcementLevel can be set for all policies`);
        } else {
            given.set(key, { level, props });
        }
    }
    const out = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const schemaProps = p.configSchema?.properties ?? {};
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(schemaProps)) {
            if (typeof s === "object" && s.default !== undefined) properties[k] = structuredClone(s.default);
        }
        const entry = given.get(p.name);
        Object.assign(properties, entry?.props ?? {});
        const schema = {
            type: "object" as const,
            properties: schemaProps,
            required: p.configSchema?.required,
            additionalProperties: false,
        };
        try {
            errors.push(...validateValue(schema, properties, p.name));
        } catch (e) {
            if (e instanceof UnsupportedSchemaError)
                throw new Error(`policy ${p.name} has an unsupported configSchema: ${e.message}`);
            throw e;
        }
        const level = entry?.level ?? allLevel ?? p.enforcementLevel ?? packLevel;
        out.set(p.name, { enforcementLevel: level, properties: Object.freeze(properties) });
    }
    if (errors.length) throw new PolicyConfigError(errors);
    return out;
}

export interface EngineOptions {
    /** The policies to run; defaults to the whole pack. */
    policies?: Policies;
    /** Policy-pack config in Pulumi's format (the content of config/<stack>.json); defaults to none. */
    config?: unknown;
    /** Run only these policies (by name); unknown names throw UnknownPolicyError. */
    only?: readonly string[];
    /** Level of policies that set none; defaults to the pack's. */
    packEnforcementLevel?: EnforcementLevel;
    /** Stack tags handed to the policies. */
    stackTags?: ReadonlyMap<string, string>;
}

/** Thrown by `notApplicable()` inside a policy run by the engine. */
class NotApplicable extends Error {}

const DEFAULT_OPTS: PolicyResourceOptions = Object.freeze({
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
}) as PolicyResourceOptions;

// @pulumi/policy's sentinels for values unknown at preview (its proxy module keeps them out of the typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyModule = require("@pulumi/policy/proxy") as Record<string, unknown>;
const UNKNOWN_SENTINELS: ReadonlySet<unknown> = new Set(
    Object.entries(proxyModule)
        .filter(([k]) => /^unknown[A-Z]\w*Value$/.test(k))
        .map(([, v]) => v),
);

/** True when an unknown sentinel appears anywhere in `value`. */
export function containsUnknown(value: unknown): boolean {
    if (typeof value === "string") return UNKNOWN_SENTINELS.has(value);
    if (!value || typeof value !== "object") return false;
    if (Array.isArray(value)) {
        for (const v of value) if (containsUnknown(v)) return true;
        return false;
    }
    for (const k in value) if (containsUnknown((value as Record<string, unknown>)[k])) return true;
    return false;
}

interface Report {
    message: string;
    enforcementLevel?: EnforcementLevel;
    urn?: string;
}

interface Prepared {
    source: ManifestObject;
    type: string;
    urn: string;
    name: string;
    props: Record<string, unknown>;
}

interface ActivePolicy {
    policy: ResourceValidationPolicy | StackValidationPolicy;
    level: "advisory" | "mandatory";
    getConfig: <T extends object>() => T;
}

/** Runs the pack's policies over plain objects; see the module comment. */
export class PolicyEngine {
    /** Every policy of the engine (including disabled ones), with its configured level. */
    readonly policies: readonly PolicyInfo[];
    private readonly resourcePolicies: ActivePolicy[] = [];
    private readonly stackPolicies: ActivePolicy[] = [];
    private readonly stackTags: ReadonlyMap<string, string>;

    constructor(options: EngineOptions = {}) {
        const policies = options.policies ?? allPolicies;
        const resolved = resolvePolicyConfig(policies, options.config ?? {}, options.packEnforcementLevel);
        const names = new Set(policies.map((p) => p.name));
        const unknown = (options.only ?? []).filter((n) => !names.has(n));
        if (unknown.length) throw new UnknownPolicyError(unknown, [...names]);
        const only = options.only?.length ? new Set(options.only) : undefined;
        this.stackTags = options.stackTags ?? new Map();
        const infos: PolicyInfo[] = [];
        for (const p of policies) {
            const { enforcementLevel, properties } = resolved.get(p.name)!;
            const resource = isResourcePolicy(p);
            infos.push({
                name: p.name,
                kind: resource ? "resource" : "stack",
                description: p.description,
                enforcementLevel,
                severity: p.severity,
                cis: cisControlOf(p),
            });
            if (enforcementLevel === "disabled" || (only && !only.has(p.name))) continue;
            // The same frozen object every time, so that policies compile their config once.
            const getConfig = <T extends object>() => properties as T;
            const active = {
                policy: p,
                level: enforcementLevel === "advisory" ? "advisory" : "mandatory",
                getConfig,
            } as const;
            if (resource) this.resourcePolicies.push(active);
            else this.stackPolicies.push(active);
        }
        this.policies = infos;
    }

    /** Checks the objects with every enabled policy and returns the violations, sorted by file, line and policy. */
    async check(objects: readonly ManifestObject[]): Promise<Violation[]> {
        const prepared = this.prepare(objects);
        const violations: Violation[] = [];
        for (const item of prepared) {
            for (const active of this.resourcePolicies) {
                await this.runResource(active, item, violations);
            }
        }
        if (this.stackPolicies.length) {
            const byUrn = new Map(prepared.map((item) => [item.urn, item]));
            const resources = prepared.map((item) => this.policyResource(item));
            for (const active of this.stackPolicies) {
                await this.runStack(active, resources, byUrn, violations);
            }
        }
        return violations.sort(
            (a, b) =>
                (a.file ?? "").localeCompare(b.file ?? "") ||
                (a.line ?? 0) - (b.line ?? 0) ||
                a.policy.localeCompare(b.policy),
        );
    }

    private prepare(objects: readonly ManifestObject[]): Prepared[] {
        const seen = new Map<string, number>();
        return objects.map((source) => {
            const obj = source.object;
            const type = typeOfKind(String(obj.apiVersion ?? "v1"), String(obj.kind ?? "Unknown"));
            const name = typeof obj.metadata?.name === "string" ? obj.metadata.name : "unnamed";
            const ns = typeof obj.metadata?.namespace === "string" ? `${obj.metadata.namespace}/` : "";
            let urn = `urn:pulumi:offline::policy-check::${type}::${ns}${name}`;
            const n = seen.get(urn) ?? 0;
            seen.set(urn, n + 1);
            if (n > 0) urn += `#${n}`;
            const props = containsUnknown(obj) ? unknownCheckingProxy(obj) : obj;
            return { source, type, urn, name, props };
        });
    }

    private policyResource(item: Prepared): PolicyResource {
        const { type, props } = item;
        return {
            type,
            props,
            urn: item.urn,
            name: item.name,
            opts: DEFAULT_OPTS,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => pulumiTypeOf(cls) === type,
            asType: ((cls: unknown) => (pulumiTypeOf(cls) === type ? props : undefined)) as PolicyResource["asType"],
        };
    }

    private async runResource(active: ActivePolicy, item: Prepared, out: Violation[]): Promise<void> {
        const policy = active.policy as ResourceValidationPolicy;
        if (!policy.validateResource) return;
        const { type, props } = item;
        const args: ResourceValidationArgs = {
            type,
            props,
            urn: item.urn,
            name: item.name,
            opts: DEFAULT_OPTS,
            stackTags: this.stackTags,
            isType: (cls) => pulumiTypeOf(cls) === type,
            asType: ((cls: unknown) =>
                pulumiTypeOf(cls) === type ? props : undefined) as ResourceValidationArgs["asType"],
            getConfig: active.getConfig,
            notApplicable: notApplicable,
        };
        const report = (m: string | Report) => out.push(this.violation(active, m, item));
        const validations = Array.isArray(policy.validateResource)
            ? policy.validateResource
            : [policy.validateResource];
        for (const validate of validations) {
            try {
                const r = validate(args, report);
                if (r) await r;
            } catch (e) {
                this.handleError(e, active, item, out);
            }
        }
    }

    private async runStack(
        active: ActivePolicy,
        resources: PolicyResource[],
        byUrn: Map<string, Prepared>,
        out: Violation[],
    ): Promise<void> {
        const policy = active.policy as StackValidationPolicy;
        const args: StackValidationArgs = {
            resources,
            stackTags: this.stackTags,
            getConfig: active.getConfig,
            notApplicable: notApplicable,
        };
        const report = (m: string | Report, urn?: string) => {
            const target = (typeof m === "string" ? urn : m.urn) ?? undefined;
            out.push(this.violation(active, m, target ? byUrn.get(target) : undefined));
        };
        try {
            const r = policy.validateStack(args, report);
            if (r) await r;
        } catch (e) {
            this.handleError(e, active, undefined, out);
        }
    }

    private handleError(e: unknown, active: ActivePolicy, item: Prepared | undefined, out: Violation[]): void {
        if (e instanceof NotApplicable) return;
        if (e instanceof UnknownValueError) {
            const error = e as Error;
            out.push(
                this.violation(
                    active,
                    {
                        message: `can't run policy '${active.policy.name}' during preview: ${error.message}`,
                        enforcementLevel: "advisory",
                    },
                    item,
                ),
            );
            return;
        }
        const where = item ? ` on ${describeObject(item.source.object)}` : "";
        const message = e instanceof Error ? e.message : String(e);
        throw new Error(`policy ${active.policy.name} failed${where}: ${message}`, { cause: e });
    }

    private violation(active: ActivePolicy, m: string | Report, item: Prepared | undefined): Violation {
        const report = typeof m === "string" ? { message: m } : m;
        const requested = report.enforcementLevel;
        const level =
            requested === "advisory" || requested === "disabled" ? "advisory" : requested ? "mandatory" : active.level;
        const obj = item?.source.object;
        const ns = obj?.metadata?.namespace;
        return {
            policy: active.policy.name,
            enforcementLevel: level,
            kind: typeof obj?.kind === "string" ? obj.kind : null,
            namespace: typeof ns === "string" && ns !== "" ? ns : null,
            name: typeof obj?.metadata?.name === "string" ? obj.metadata.name : null,
            file: item?.source.file ?? null,
            line: item?.source.line ?? null,
            message: report.message || active.policy.description,
        };
    }
}

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason ?? "not applicable");
}

function pulumiTypeOf(cls: unknown): string | undefined {
    const t = (cls as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" ? t : undefined;
}

/** True when any violation is mandatory (the checker's exit code 1). */
export function hasMandatory(violations: readonly Violation[]): boolean {
    return violations.some((v) => v.enforcementLevel === "mandatory");
}
