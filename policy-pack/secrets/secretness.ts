/**
 * Whether a value a policy sees is a Pulumi secret.
 *
 * What @pulumi/policy 1.21 gives a policy: the engine sends resource properties with secrets marked (it marshals
 * them with `KeepSecrets`), but the analyzer server deserializes them for `validateResource` and `validateStack`
 * with `proxySecrets = false`, which unwraps every secret to its plain value and drops the mark (only
 * `remediateResource` gets values wrapped in `policy.Secret`). So a policy cannot ask "is this a secret?"
 * (pulumi/pulumi-policy#241). This module gets the answer back in two ways:
 *
 * 1. {@link installAnalyzerSecretnessHook}: wraps @pulumi/policy's `deserializeProperties` to record, beside the
 *    plain props it returns, the paths that were secret on the wire. The props handed to policies are the same
 *    objects as before (other policies see no difference); {@link secretnessOf} looks the record up through the
 *    analyzer's unknown-checking proxy. If a future @pulumi/policy changes these internals the hook does not
 *    install (or records nothing) and every value reads as "unmarked": the policy then falls back to what it can
 *    judge from the values alone, never to "plain". A test drives the real analyzer RPC handler to catch that.
 * 2. Marks in the values themselves: a `policy.Secret` (remediation args, hand-built args), the wire form
 *    (`{[rpc.specialSigKey]: rpc.specialSecretSig, value}`, as the engine sends it) and the offline render's
 *    `"[secret]"` placeholder (tools/mockRuntime.ts writes it wherever a value was a secret).
 *
 * Plain manifests (the offline checker) carry no secretness at all: every literal there is "unmarked".
 */
import { Secret } from "@pulumi/policy";
import * as rpc from "@pulumi/pulumi/runtime/rpc";

/** What the offline render writes wherever a value was a Pulumi secret (same as tools/mockRuntime.ts). */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * - `secret`: the value is a Pulumi secret (encrypted in state, masked in previews);
 * - `plain`: the engine told us the value is not a secret;
 * - `unmarked`: nobody told us either way (plain manifests, or the hook is not active).
 */
export type Secretness = "secret" | "plain" | "unmarked";

/** A path into a resource's properties: keys and array indexes. */
export type PropertyPath = readonly (string | number)[];

/** True when `v` itself carries a secret mark (see the module comment, point 2). */
export function isMarkedSecret(v: unknown): boolean {
    if (v === SECRET_PLACEHOLDER || v instanceof Secret) return true;
    return (
        v !== null &&
        typeof v === "object" &&
        (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig
    );
}

/** The value inside a secret mark (a `policy.Secret` or the wire form); other values unchanged. */
export function unwrapSecret(v: unknown): unknown {
    if (v instanceof Secret) return v.value;
    if (
        v !== null &&
        typeof v === "object" &&
        (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig
    ) {
        return (v as Record<string, unknown>).value;
    }
    return v;
}

const SEP = "\u0000";
const pathKey = (path: PropertyPath) => path.map(String).join(SEP);

/** Secret paths recorded by the hook, by the props object the analyzer deserialized. */
const recorded = new WeakMap<object, ReadonlySet<string>>();

/** The wire-form secret paths of raw (`Struct.toJavaScript()`) properties. Depth-bounded. */
export function secretPathsOfWire(raw: unknown, maxDepth = 64): Set<string> {
    const out = new Set<string>();
    const walk = (v: unknown, path: (string | number)[]) => {
        if (path.length > maxDepth || v === null || typeof v !== "object") return;
        if ((v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig) {
            out.add(pathKey(path));
            return; // everything below a secret is secret
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
        else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(raw, []);
    return out;
}

/**
 * Records secret paths for `props`, as the hook does; for engines other than Pulumi's analyzer (e.g. a tool that
 * feeds the policy objects together with what it knows about their secrets).
 */
export function recordSecretPaths(props: object, secretPaths: Iterable<PropertyPath>): void {
    recorded.set(props, new Set([...secretPaths].map(pathKey)));
}

/** The object behind @pulumi/policy's unknown-checking proxy (the proxy answers this key with its target). */
function proxyTarget(props: object): object {
    try {
        const target = (props as Record<string, unknown>)["__getSpecialProxyTarget"];
        return target !== null && typeof target === "object" ? target : props;
    } catch {
        return props;
    }
}

/** How to ask about the secretness of a resource's properties. */
export interface SecretnessView {
    /** True when the engine told us which values are secret (so an unmarked value is known to be plain). */
    readonly known: boolean;
    /** The secretness of `value`, found at `path` of the props. */
    at(path: PropertyPath, value: unknown): Secretness;
}

/** The secretness view of a resource's props (as handed to `validateResource`). */
export function secretnessOf(props: object): SecretnessView {
    const paths = recorded.get(proxyTarget(props)) ?? recorded.get(props);
    return {
        known: paths !== undefined,
        at(path, value) {
            if (isMarkedSecret(value)) return "secret";
            if (!paths) return "unmarked";
            for (let i = 0; i <= path.length; i++) {
                if (paths.has(pathKey(path.slice(0, i)))) return "secret";
            }
            return "plain";
        },
    };
}

const HOOKED = Symbol.for("zdp.secretnessHook");

type Deserialize = ((struct: { toJavaScript(): unknown }, proxySecrets: boolean) => unknown) & { [HOOKED]?: true };

/**
 * Installs the secretness hook into @pulumi/policy's analyzer (see the module comment). Idempotent. Returns false
 * when @pulumi/policy does not have the expected internals, in which case nothing is changed.
 */
export function installAnalyzerSecretnessHook(): boolean {
    let mod: { deserializeProperties?: Deserialize };
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        mod = require("@pulumi/policy/deserialize");
    } catch {
        return false;
    }
    const original = mod.deserializeProperties;
    if (typeof original !== "function") return false;
    if (original[HOOKED]) return true;
    const hooked: Deserialize = function (this: unknown, struct, proxySecrets) {
        const props = original.call(this, struct, proxySecrets);
        try {
            if (props !== null && typeof props === "object" && typeof struct?.toJavaScript === "function") {
                recorded.set(props, secretPathsOfWire(struct.toJavaScript()));
            }
        } catch {
            // Recording is best effort: without it the values read as "unmarked", never as "plain".
        }
        return props;
    };
    hooked[HOOKED] = true;
    mod.deserializeProperties = hooked;
    return true;
}
