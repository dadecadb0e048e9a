/**
 * The kinds of stack configuration key, each with its typed parser: a key declared with `integerKey` reads as a
 * `number`, one declared with `enumKey({ allowed: ["staging", "prod"] })` as `"staging" | "prod"`. The keys
 * (config/keys.ts) are declared with these builders, and `PlatformConfig` (platformConfig.ts) is derived from them,
 * so the compiler knows each setting's type from its declaration alone.
 *
 * A key also holds what `Pulumi.yaml` declares for it (tools/configReference.ts generates the `config:` block): the
 * engine's type, the type of its items, its description, default and secret flag. The engine's rules apply: a key
 * without a default is required (the engine stops before the program runs when a stack does not set it).
 *
 * Every problem is one message naming the stack key (`zdp:scanSeverities[1]`), what was given, what is allowed and the
 * command that fixes it (config/messages.ts). A secret's value is never repeated in a message.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkChartRepository } from "../lib/charts";
import { checkImageRegistry } from "../lib/images";
import { checkDnsLabel, checkGatewayHost, checkHttpUrl } from "../lib/validation";
import { configError, configSetCommand, isSecretConfig, StackRef } from "./messages";

/** The types the engine accepts in `Pulumi.yaml`'s `config:` block (its project schema's `simpleConfigType`). */
export const ENGINE_CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"] as const;

/** What a string value, or each item of a list of strings, must look like. */
export type ConfigFormat = "dnsLabel" | "gatewayHost" | "httpUrl" | "httpsUrl" | "chartRepository" | "imageRegistry";

/** What one key declares: how `Pulumi.yaml` and the configuration reference describe it, and what the program allows. */
export interface ConfigKeyFacts {
    /** The engine's type (`type` in Pulumi.yaml). */
    readonly type: (typeof ENGINE_CONFIG_TYPES)[number];
    /** Type of each item of an array (`items.type` in Pulumi.yaml). */
    readonly items?: "string" | "object";
    /** One paragraph: what the key does, and what its default or an empty value means. */
    readonly description: string;
    /**
     * Value used when the stack sets none; absent means the stack must set it. An empty string default means "unset":
     * the program then reads the key as not given.
     */
    readonly default?: string | number | boolean | readonly string[];
    readonly secret?: boolean;
    /** Why the key is not declared in Pulumi.yaml (the program still reads and validates it). */
    readonly undeclared?: string;
    /** Values a string, or each item of a list of strings, may take. */
    readonly allowed?: readonly string[];
    readonly min?: number;
    readonly max?: number;
    /** What a non-empty string, or each item of a list of strings, must look like. */
    readonly format?: ConfigFormat;
    /** A valid value, shown in the message for one that does not have the format. */
    readonly example?: string;
    /** Fewest items a list may have. */
    readonly minItems?: number;
    /** The loader that reads and validates this structured key instead of `loadPlatformConfig`. */
    readonly readBy?: string;
}

/** A value read from the stack, or one message per problem (and no value). */
export interface Parsed<T> {
    value?: T;
    errors: string[];
}

/** What keys are read from: the stack's configuration, and how messages name the stack. */
export interface ConfigSource {
    readonly config: pulumi.Config;
    readonly ref: StackRef;
}

/** A key that `loadPlatformConfig` reads: its facts and its kind's typed parser. `T` is what the program gets. */
export interface ConfigKey<T, P = T> extends ConfigKeyFacts {
    /** Checks and parses a value as the stack sets it (a string; JSON for a list). `P`: a secret's plain text. */
    readonly parse: (ref: StackRef, key: string, raw: string) => Parsed<P>;
    /** Reads the key from the stack: the default when unset, the parsed value, or why neither. */
    readonly read: (source: ConfigSource, key: string) => Parsed<T>;
}

/** The value type of a key: `number` for an `integerKey`, the allowed values' union for an `enumKey`. */
export type ValueOf<S> = S extends { read: (source: ConfigSource, key: string) => Parsed<infer T> } ? T : never;

type Parser<T> = (ref: StackRef, key: string, raw: string) => Parsed<T>;
/** Checks one string: a scalar value (`at` is the key) or an item of a list (`at` is `key[i]`, set with `--path`). */
type ItemParser<T> = (ref: StackRef, at: string, raw: string, path: boolean) => Parsed<T>;

const LIST_EXAMPLE = 'a list of strings such as ["a", "b"]';
const quoted = (values: readonly string[]) => values.map((a) => `"${a}"`).join(", ");

/** The message for a value that is not of the key's type: what it must be, what was given (unless secret), the fix. */
function mismatch(ref: StackRef, key: string, facts: ConfigKeyFacts, what: string, raw: string): Parsed<never> {
    const shown = facts.secret ? "the value is not shown: it is secret" : `got ${JSON.stringify(raw)}`;
    // Lists are set item by item with --path (or written in the stack file).
    const fix =
        facts.type === "array"
            ? configSetCommand(ref, `${key}[0]`, { path: true })
            : configSetCommand(ref, key, { secret: facts.secret });
    return { errors: [configError(ref, key, `must be ${what} (${shown})`, fix)] };
}

/** A string of the key's format (any string when it has none). */
function formatted(facts: ConfigKeyFacts): ItemParser<string> {
    return (ref, at, raw, path) => {
        const field = `config ${ref.project}:${at}`;
        let problem: string | undefined;
        switch (facts.format) {
            case "dnsLabel":
                problem = checkDnsLabel(field, raw);
                break;
            case "gatewayHost":
                problem = checkGatewayHost(field, raw);
                break;
            case "httpUrl":
                problem = checkHttpUrl(field, raw, { example: facts.example });
                break;
            case "httpsUrl":
                problem = checkHttpUrl(field, raw, { httpsOnly: true, secret: facts.secret });
                break;
            case "chartRepository":
                problem = checkChartRepository(field, raw);
                break;
            case "imageRegistry":
                problem = checkImageRegistry(field, raw);
                break;
        }
        if (problem === undefined) return { value: raw, errors: [] };
        return { errors: [`${problem}; fix it with: ${configSetCommand(ref, at, { path, secret: facts.secret })}`] };
    };
}

/** One of `allowed`, typed as their union. */
function oneOf<const A extends readonly string[]>(allowed: A): ItemParser<A[number]> {
    return (ref, at, raw, path) => {
        const value = allowed.find((a) => a === raw);
        if (value !== undefined) return { value, errors: [] };
        const problem = `must be one of ${quoted(allowed)} (got ${JSON.stringify(raw)})`;
        return { errors: [configError(ref, at, problem, configSetCommand(ref, at, { path }))] };
    };
}

/** A list of strings (JSON, as the engine passes a list), each checked by `item` and named by its index. */
function listOf<T>(facts: ConfigKeyFacts, item: ItemParser<T>): Parser<T[]> {
    return (ref, key, raw) => {
        const parsed = parseJson(raw);
        if (!Array.isArray(parsed) || !parsed.every((x): x is string => typeof x === "string")) {
            const each = facts.allowed ? `a list of strings, each one of ${quoted(facts.allowed)}` : LIST_EXAMPLE;
            return mismatch(ref, key, facts, each, raw);
        }
        const errors: string[] = [];
        if (parsed.length < (facts.minItems ?? 0)) {
            const fix = configSetCommand(ref, `${key}[0]`, { path: true });
            errors.push(configError(ref, key, `must list at least ${facts.minItems} item(s) (got [])`, fix));
        }
        const values: T[] = [];
        parsed.forEach((raw, i) => {
            const { value, errors: itemErrors } = item(ref, `${key}[${i}]`, raw, true);
            errors.push(...itemErrors);
            if (value !== undefined) values.push(value);
        });
        return errors.length > 0 ? { errors } : { value: values, errors };
    };
}

function parseJson(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return undefined;
    }
}

/**
 * A key of `facts`, parsed by `parse`: `unset` gives the value when the stack sets none (a required key, without
 * default, is an error then), and `finish` turns a parsed value into what the program gets.
 */
function keyOf<F extends ConfigKeyFacts, T, P>(
    facts: F,
    parse: Parser<P>,
    unset: () => T | undefined,
    finish: (value: P, source: ConfigSource, key: string) => T,
): F & ConfigKey<T, P> {
    const read = ({ config, ref }: ConfigSource, key: string): Parsed<T> => {
        const fullKey = `${config.name}:${key}`;
        const raw = pulumi.runtime.getConfig(fullKey);
        if (raw === undefined) {
            if (facts.default !== undefined || facts.secret) return { value: unset(), errors: [] };
            const placeholder = facts.allowed ? facts.allowed.join("|") : "<value>";
            const fix = configSetCommand(ref, key, { value: placeholder });
            return { errors: [configError(ref, key, "is not set, and has no default", fix)] };
        }
        if (facts.secret && isSecretConfig(fullKey) === false) {
            const fix = configSetCommand(ref, key, { secret: true });
            return { errors: [configError(ref, key, "is stored in plain text, but it is a credential", fix)] };
        }
        const { value, errors } = parse(ref, key, raw);
        return value === undefined ? { errors } : { value: finish(value, { config, ref }, key), errors };
    };
    return { ...facts, parse, read };
}

/** A plain key: the program gets the parsed value. */
const plainKey = <F extends ConfigKeyFacts, T>(facts: F, parse: Parser<T>, unset: () => T | undefined) =>
    keyOf(facts, parse, unset, (value) => value);

/** A scalar string key parsed by `item`; with `emptyIsUnset`, an empty string reads as not given. */
function scalar<T>(item: ItemParser<T>, emptyIsUnset = false): Parser<T> {
    return (ref, key, raw) => (raw === "" && emptyIsUnset ? { errors: [] } : item(ref, key, raw, false));
}

interface Described {
    readonly description: string;
}

/** A string with a default: an empty string is a value. */
export function stringKey<const D extends Described & { default: string; format?: ConfigFormat }>(spec: D) {
    const facts = { type: "string", ...spec } as const;
    return plainKey(facts, scalar(formatted(facts)), () => spec.default);
}

/** An optional string: empty, the default, means unset (the program reads `undefined`). */
export function optionalStringKey<const D extends Described & { format?: ConfigFormat; example?: string }>(spec: D) {
    const facts = { type: "string", default: "", ...spec } as const;
    return plainKey<typeof facts, string | undefined>(facts, scalar(formatted(facts), true), () => undefined);
}

/** One of the `allowed` strings; without a default, every stack must set it. */
export function enumKey<const A extends readonly string[], const D extends Described & { default?: A[number] }>(
    spec: D & { allowed: A },
) {
    const facts = { type: "string", ...spec } as const;
    return plainKey(facts, scalar(oneOf(spec.allowed)), () => spec.default);
}

/** An integer, from `min` to `max` when they are given. */
export function integerKey<const D extends Described & { default: number; min?: number; max?: number }>(spec: D) {
    const facts = { type: "integer", ...spec } as const;
    const parse: Parser<number> = (ref, key, raw) => {
        const n = Number(raw);
        const min = spec.min ?? Number.MIN_SAFE_INTEGER;
        const max = spec.max ?? Number.MAX_SAFE_INTEGER;
        if (!/^-?\d+$/.test(raw.trim()) || n < min || n > max) {
            return mismatch(
                ref,
                key,
                facts,
                spec.min !== undefined ? `an integer from ${min} to ${max}` : "an integer",
                raw,
            );
        }
        return { value: n, errors: [] };
    };
    return plainKey(facts, parse, () => spec.default);
}

/** true or false. */
export function booleanKey<const D extends Described & { default: boolean }>(spec: D) {
    const facts = { type: "boolean", ...spec } as const;
    const parse: Parser<boolean> = (ref, key, raw) =>
        raw === "true" || raw === "false"
            ? { value: raw === "true", errors: [] }
            : mismatch(ref, key, facts, "true or false", raw);
    return plainKey(facts, parse, () => spec.default);
}

/** A list of strings, each of the key's format (any string when it has none). */
export function stringListKey<
    const D extends Described & { default: readonly string[]; format?: ConfigFormat; minItems?: number },
>(spec: D) {
    const facts = { type: "array", items: "string", ...spec } as const;
    return plainKey(facts, listOf(facts, formatted(facts)), () => [...spec.default]);
}

/** A list of strings, each one of `allowed`. */
export function enumListKey<
    const A extends readonly string[],
    const D extends Described & { default: readonly A[number][]; minItems?: number },
>(spec: D & { allowed: A }) {
    const facts = { type: "array", items: "string", ...spec } as const;
    return plainKey(facts, listOf(facts, oneOf(spec.allowed)), () => [...spec.default]);
}

/**
 * Why an optional secret key is not declared in Pulumi.yaml: the engine has no optional secret key (it refuses a
 * secret's default, which would be plain text, and requires a secret without one). The program reads it, refuses it
 * in plain text, and checks its format instead.
 */
export const OPTIONAL_SECRET_UNDECLARED =
    "the engine has no optional secret key: a declared secret key with a default fails (the default is plain text), and one without a default is required";

/**
 * An optional credential: the program only ever sees it as a secret Output (read with `requireSecret`), refuses it
 * stored in plain text, and reads `undefined` when the stack does not set it.
 */
export function secretKey<const D extends Described & { format?: ConfigFormat }>(spec: D) {
    const facts = { type: "string", secret: true, undeclared: OPTIONAL_SECRET_UNDECLARED, ...spec } as const;
    return keyOf<typeof facts, pulumi.Output<string> | undefined, string>(
        facts,
        scalar(formatted(facts)),
        () => undefined,
        (_plain, { config }, key) => config.requireSecret(key),
    );
}

/** A list of objects that a loader of its own reads and validates (`readBy`), field by field. */
export function objectListKey<const D extends Described & { readBy: string }>(spec: D) {
    return { type: "array", items: "object", ...spec } as const;
}
