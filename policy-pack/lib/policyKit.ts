/**
 * What every policy of the pack shares: its metadata (CIS control, severity, remediation), the `exemptions` config
 * every policy accepts, reporting a violation either at the policy's level or, for an exempt object, as advisory,
 * and compiling a policy's config once rather than for every resource.
 */
import {
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject, describeObject, kindOfType } from "./kubernetes";

/** The benchmark the controls come from; numbering of section 5.1 is stable from v1.8.0 on. */
export const CIS_BENCHMARK = "CIS Kubernetes Benchmark";
export const CIS_VERSION = "1.8.0+";

/** The facts a reviewer needs about a policy; {@link policyMetadata} turns them into @pulumi/policy fields. */
export interface PolicyDoc {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    /** CIS control id (`5.1.3`), or undefined for a check that comes from the RBAC good-practices page only. */
    cis?: string;
    /** Title of the control, or the good-practices heading. */
    control: string;
    /** What to do about a violation; also appended to every violation message. */
    remediation: string;
}

/** The @pulumi/policy fields for a policy documented by `doc`. */
export function policyMetadata(doc: PolicyDoc): Omit<Policy, "configSchema"> {
    return {
        name: doc.name,
        description: doc.description,
        enforcementLevel: doc.enforcementLevel,
        severity: doc.severity,
        remediationSteps: doc.remediation,
        tags: ["kubernetes", "rbac", ...(doc.cis ? [`cis-${doc.cis}`] : [])],
        framework: doc.cis
            ? { name: CIS_BENCHMARK, version: CIS_VERSION, reference: doc.cis, specification: doc.control }
            : undefined,
    };
}

/** The CIS control id a policy implements, read back from its metadata (for `--list` and docs). */
export function cisControlOf(policy: Policy): string | undefined {
    return policy.framework?.name === CIS_BENCHMARK ? policy.framework.reference : undefined;
}

/** One exemption from a policy: the object it names is reported as advisory, with the justification. */
export interface Exemption {
    kind: string;
    /** Namespace of the object; omitted for cluster-scoped objects, `*` for the same name in every namespace. */
    namespace?: string;
    name: string;
    justification: string;
    /**
     * Narrows the exemption to the rules of a Role or ClusterRole whose findings are all listed here, written as the
     * violation shows them (`create batch/jobs`, `get secrets`, `nonResourceURLs "/healthz/*"`): a rule that grants
     * anything more stays a violation. Only the rule policies (rbac-no-*) report grants; elsewhere an exemption
     * with `grants` never applies.
     */
    grants?: string[];
}

/** JSON schema of the `exemptions` property every policy accepts. */
export const EXEMPTIONS_SCHEMA: PolicyConfigJSONSchema = {
    type: "array",
    description:
        "Objects this policy reports as advisory instead of failing: {kind, namespace?, name, justification}. " +
        'Omit namespace for cluster-scoped objects; use "*" for every namespace. The justification is required.',
    default: [],
    items: {
        type: "object",
        additionalProperties: false,
        required: ["kind", "name", "justification"],
        properties: {
            kind: { type: "string", minLength: 1, description: "Kind of the exempt object, e.g. ClusterRole." },
            namespace: { type: "string", minLength: 1, description: "Namespace, or * for any." },
            name: { type: "string", minLength: 1, description: "Name of the exempt object." },
            grants: {
                type: "array",
                minItems: 1,
                items: { type: "string", minLength: 1 },
                description:
                    "Rule policies only: the findings exempted, as the violation shows them (create batch/jobs); a " +
                    "rule granting anything else still fails.",
            },
            justification: {
                type: "string",
                minLength: 1,
                pattern: "\\S",
                description: "Why the exemption is acceptable; shown with every exempt violation.",
            },
        },
    },
};

/** A config schema with `exemptions` plus the policy's own properties. */
export function configSchemaWith(properties: Record<string, PolicyConfigJSONSchema> = {}): PolicyConfigSchema {
    return { properties: { exemptions: EXEMPTIONS_SCHEMA, ...properties } };
}

/** True when the pattern `{kind, namespace?, name}` names the object. */
export function namesObject(pattern: { kind: string; namespace?: string; name: string }, obj: KubeObject): boolean {
    if (pattern.kind !== obj.kind || pattern.name !== obj.metadata?.name) return false;
    const ns = obj.metadata?.namespace || undefined;
    if (pattern.namespace === undefined) return ns === undefined;
    return pattern.namespace === "*" || pattern.namespace === ns;
}

/**
 * The exemption that covers the object, if any. `grants` are the findings of one rule (rule policies only): an
 * exemption that lists grants covers it only when it lists every one of them.
 */
export function exemptionFor(
    exemptions: readonly Exemption[] | undefined,
    obj: KubeObject,
    grants?: readonly string[],
): Exemption | undefined {
    return exemptions?.find(
        (e) =>
            namesObject(e, obj) &&
            (e.grants === undefined ||
                (grants !== undefined && grants.length > 0 && grants.every((g) => e.grants!.includes(g)))),
    );
}

/**
 * The object form of a violation. @pulumi/policy's server accepts it (pulumi/pulumi-policy#424) though the public
 * `ReportViolation` type only shows the string form; this pack uses it only to report exempt objects as advisory.
 */
export interface ViolationReport {
    message: string;
    enforcementLevel?: EnforcementLevel;
    urn?: string;
}

/**
 * Reports one violation about `obj`: at the policy's level, or as advisory `exempt: <justification>` when an
 * exemption names the object (and, when it lists `grants`, every one of the finding's `grants`). `detail` should say which field is wrong; the remediation is appended.
 */
export function reportObject(
    reportViolation: ReportViolation,
    doc: PolicyDoc,
    obj: KubeObject,
    detail: string,
    exemptions: readonly Exemption[] | undefined,
    urn?: string,
    grants?: readonly string[],
): void {
    const message = `${describeObject(obj)}: ${detail} Remediation: ${doc.remediation}`;
    const exemption = exemptionFor(exemptions, obj, grants);
    if (exemption) {
        const report = reportViolation as unknown as (v: ViolationReport) => void;
        report({ message: `exempt: ${exemption.justification}: ${message}`, enforcementLevel: "advisory", urn });
    } else {
        reportViolation(message, urn);
    }
}

/**
 * Memoises the compilation of a policy's config. The Pulumi engine hands out a fresh copy of the config object on
 * every `getConfig()` whose property values are the same objects each time, so the cache compares property values
 * by identity; the offline engine hands out the very same object.
 */
export function configCompiler<Raw extends object, Compiled>(
    compile: (raw: Raw) => Compiled,
): (args: { getConfig<T extends object>(): T }) => Compiled {
    let lastRaw: Raw | undefined;
    let lastCompiled: Compiled | undefined;
    return (args) => {
        const raw = args.getConfig<Raw>();
        if (lastRaw !== undefined && (raw === lastRaw || shallowSame(raw, lastRaw))) return lastCompiled as Compiled;
        lastCompiled = compile(raw);
        lastRaw = raw;
        return lastCompiled;
    };
}

function shallowSame(a: object, b: object): boolean {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (const k of ka) {
        if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
    }
    return true;
}

/**
 * The Kubernetes object a resource validation is about, or undefined for other resources. The resource name stands
 * in for `metadata.name` when Pulumi has not filled it in yet (auto-naming).
 */
export function objectOfArgs(args: Pick<ResourceValidationArgs, "type" | "props" | "name">): KubeObject | undefined {
    // Every policy of a pack sees the same props object for one resource in the offline engine; build it once.
    const cached = objectCache.get(args.props);
    if (cached && cached.type === args.type) return cached.obj;
    const obj = lazyObjectOf(args.type, args.props, args.name);
    objectCache.set(args.props, { type: args.type, obj });
    return obj;
}

/**
 * Like `objectOf` from ./kubernetes, but without copying the props: the object reads through to them, so that at
 * preview (when the props are @pulumi/policy's unknown-checking proxy) only the fields a policy actually reads can
 * throw UnknownValueError. `name` stands in for a missing `metadata.name`.
 */
export function lazyObjectOf(type: string, props: Record<string, unknown>, name: string): KubeObject | undefined {
    const k = kindOfType(type);
    if (!k) return undefined;
    const obj = Object.create(props) as KubeObject;
    obj.apiVersion = typeof props.apiVersion === "string" ? props.apiVersion : k.apiVersion;
    obj.kind = typeof props.kind === "string" ? props.kind : k.kind;
    const metadata = props.metadata as KubeObject["metadata"];
    if (typeof metadata?.name !== "string") {
        // Spreading would read every metadata field; read through to them instead.
        obj.metadata = Object.assign(Object.create(metadata ?? null) as object, { name }) as KubeObject["metadata"];
    }
    return obj;
}

const objectCache = new WeakMap<object, { type: string; obj: KubeObject | undefined }>();
