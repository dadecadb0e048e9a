/**
 * Test helpers: hand-built validation args (as pulumi-policy's own tests build them) and a collector for the
 * violations a policy reports, in string or object form.
 */
import {
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { KubeObject, typeOfKind } from "../../policy-pack/lib/kubernetes";

export interface Reported {
    message: string;
    /** The level the policy asked for (object form), or undefined for the policy's own level. */
    enforcementLevel?: string;
    urn?: string;
}

/** A reportViolation that records what it is given. */
export function collector(): { reported: Reported[]; report: ReportViolation } {
    const reported: Reported[] = [];
    const report = ((m: string | Reported, urn?: string) => {
        reported.push(typeof m === "string" ? { message: m, urn } : m);
    }) as ReportViolation;
    return { reported, report };
}

const OPTS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** The Pulumi type token of a Kubernetes object. */
export function typeOf(obj: KubeObject): string {
    return typeOfKind(obj.apiVersion ?? "v1", obj.kind ?? "Unknown");
}

export function urnOf(obj: KubeObject): string {
    return `urn:pulumi:test::zdp::${typeOf(obj)}::${obj.metadata?.namespace ?? ""}/${obj.metadata?.name}`;
}

/**
 * Validation args for one object. `preview: true` wraps the props the way the analyzer server does, so reading an
 * unknown value throws UnknownValueError.
 */
export function resourceArgs(
    obj: KubeObject,
    config: object = {},
    opts: { preview?: boolean } = {},
): ResourceValidationArgs {
    const type = typeOf(obj);
    const props = opts.preview ? unknownCheckingProxy(obj) : obj;
    return {
        type,
        props,
        urn: urnOf(obj),
        name: String(obj.metadata?.name ?? "unnamed"),
        opts: OPTS,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

/** Runs a resource policy on one object and returns what it reported. */
export async function runResource(
    policy: ResourceValidationPolicy,
    obj: KubeObject,
    config: object = {},
    opts: { preview?: boolean } = {},
): Promise<Reported[]> {
    const { reported, report } = collector();
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    for (const v of validations) await v(resourceArgs(obj, config, opts), report);
    return reported;
}

/** Stack validation args for a list of objects. */
export function stackArgs(
    objs: KubeObject[],
    config: object = {},
    opts: { preview?: boolean } = {},
): StackValidationArgs {
    const resources: PolicyResource[] = objs.map((obj) => ({
        type: typeOf(obj),
        props: opts.preview ? unknownCheckingProxy(obj) : obj,
        urn: urnOf(obj),
        name: String(obj.metadata?.name ?? "unnamed"),
        opts: OPTS,
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

export async function runStack(
    policy: StackValidationPolicy,
    objs: KubeObject[],
    config: object = {},
    opts: { preview?: boolean } = {},
): Promise<Reported[]> {
    const { reported, report } = collector();
    await policy.validateStack(stackArgs(objs, config, opts), report);
    return reported;
}

/** The violations a policy reports at its own level (not advisory/exempt). */
export function enforced(reported: Reported[]): Reported[] {
    return reported.filter((r) => r.enforcementLevel === undefined);
}

/** Parses a YAML object literal written in the test (one document). */
export function y(text: string): KubeObject {
    return parse(text) as KubeObject;
}

/** Policy config with every schema default filled in, as the engine hands it over. */
export function defaults(
    policy: { configSchema?: { properties: Record<string, unknown> } },
    extra: object = {},
): object {
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(policy.configSchema?.properties ?? {})) {
        const d = (s as { default?: unknown }).default;
        if (d !== undefined) out[k] = structuredClone(d);
    }
    return { ...out, ...extra };
}

export const REPO = path.resolve(__dirname, "../..");
/** Each policy's fixtures, beside the policies: `<FIXTURES>/<policy-name>/{pass,fail,advisory}-*.yaml`. */
export const FIXTURES = path.join(REPO, "policy-pack", "policies", "fixtures");

export function readText(p: string): string {
    return fs.readFileSync(p, "utf8");
}
