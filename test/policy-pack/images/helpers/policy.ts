/** Hand-built validation args for the image policies, and a collector of what a policy reports. */
import {
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";

export interface Reported {
    message: string;
    /** Set when the policy reported in object form with its own level (advisory registry errors). */
    enforcementLevel?: string;
    urn?: string;
}

export const DIGEST_A = `sha256:${"a".repeat(64)}`;
export const DIGEST_B = `sha256:${"b".repeat(64)}`;

/** Validation args for a resource; `preview` wraps props as the analyzer does, so unknown values throw. */
export function argsFor(
    type: string,
    props: Record<string, unknown>,
    config: object = {},
    opts: { name?: string; preview?: boolean } = {},
): ResourceValidationArgs {
    const name = opts.name ?? "res";
    return {
        type,
        props: opts.preview ? unknownCheckingProxy(props) : props,
        urn: `urn:pulumi:test::zdp::${type}::${name}`,
        name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
        },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

/** Runs a resource policy's validation and returns the violations it reported. */
export async function run(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Reported[]> {
    const reported: Reported[] = [];
    const report = ((m: string | Reported, urn?: string) => {
        reported.push(typeof m === "string" ? { message: m, urn } : m);
    }) as ReportViolation;
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) await validate?.(args, report);
    return reported;
}

/** A Deployment with the given containers (and optional init/ephemeral containers). */
export function deployment(
    name: string,
    containers: Record<string, unknown>[],
    extra: { initContainers?: Record<string, unknown>[]; ephemeralContainers?: Record<string, unknown>[] } = {},
): Record<string, unknown> {
    return {
        metadata: { name, namespace: "prod" },
        spec: {
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name } }, spec: { containers, ...extra } },
        },
    };
}

/** An Argo Rollout (the platform's workload kind) running one image. */
export function rollout(name: string, image: string): Record<string, unknown> {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name, namespace: "prod" },
        spec: { template: { spec: { containers: [{ name: "app", image }] } }, strategy: { canary: {} } },
    };
}
