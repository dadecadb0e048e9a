/**
 * The Pulumi engine's configuration rules, for the offline tools: what `pulumi preview` checks before the program
 * runs, with the engine's own sentences (checked against the Pulumi CLI v3.274), so that the offline render and
 * preview are never more lenient than the engine. Each message adds the command that fixes it, with `--stack`.
 *
 * - `Pulumi.yaml`'s `config:` block: types are string, integer, boolean, array (with `items`) and object; a default
 *   must have the declared type; a key of another namespace takes a `value`, not a type or default.
 * - A key of the project declared without a default (typed or not) is required: "Stack 'prod' is missing
 *   configuration value 'environment'".
 * - A stack value of an explicitly typed key must have that type (primitives are strings to the engine: `5` is a
 *   valid string, "5" a valid integer); a key declared `secret: true` must be set with `--secret`.
 * - Keys the project does not declare pass through: the program itself refuses the ones it does not read.
 *
 * Encrypted (`secure:`) stack values cannot be decrypted offline: they count as set and secret, and their type is not
 * checked here (the engine checks it after decrypting).
 */

import { ENGINE_CONFIG_TYPES } from "../components/config/kinds";

const DECLARATION_FIELDS = ["type", "description", "items", "default", "value", "secret"];

interface ItemsDecl {
    type: string;
    items?: ItemsDecl;
}

/** One declaration of `Pulumi.yaml`'s `config:` block, long form. */
export interface ConfigDecl {
    type?: string;
    items?: ItemsDecl;
    description?: string;
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

/** A stack's value for one key: plain (as YAML or `--set` gave it) or encrypted. */
export interface StackValue {
    value?: unknown;
    /** Set with `--secret` (a `secure:` value in the stack file, or `--set-secret`). */
    secure: boolean;
    /** False for a `secure:` value of the stack file: offline, its plaintext is unknown. */
    known: boolean;
}

/** Extra config, as `pulumi config set [--secret] KEY VALUE` would give (KEY without a namespace is the project's). */
export interface ConfigOverrides {
    set?: Record<string, string>;
    setSecret?: Record<string, string>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `key` with the project's namespace when it has none, as the engine reads keys. */
export function qualifyKey(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/** The engine's name of a declared type: `array<string>`, `integer`. */
export function engineTypeName(type: string, items?: ItemsDecl): string {
    return items ? `array<${engineTypeName(items.type, items.items)}>` : type;
}

/** The engine's `ValidateConfigValue`: whether `value` (a primitive as a string, or a structure) has the type. */
export function hasEngineType(type: string, items: ItemsDecl | undefined, value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return (
                (typeof value === "number" && Number.isInteger(value)) ||
                (typeof value === "string" && /^[+-]?\d+$/.test(value))
            );
        case "boolean":
            return typeof value === "boolean" || value === "true" || value === "false";
        case "object":
            return isMapping(value);
        case "array":
            return (
                Array.isArray(value) &&
                items !== undefined &&
                value.every((x) => hasEngineType(items.type, items.items, x))
            );
        default:
            return false;
    }
}

/** A stack file value as the engine holds it: primitives become strings, structures stay structures. */
function engineValue(v: unknown): unknown {
    return v !== null && typeof v === "object" ? v : String(v);
}

/** The declarations of `Pulumi.yaml`'s `config:` block in long form (shorthand `key: value` is a default). */
export function projectDeclarations(
    project: string,
    block: unknown,
): { decls: Record<string, ConfigDecl>; errors: string[] } {
    const decls: Record<string, ConfigDecl> = {};
    const errors: string[] = [];
    if (block === undefined || block === null) return { decls, errors };
    if (!isMapping(block)) return { decls, errors: ["Pulumi.yaml: config must be a mapping of keys to declarations"] };
    for (const [key, raw] of Object.entries(block)) {
        const own = !key.includes(":") || key.startsWith(`${project}:`);
        const decl: ConfigDecl = isMapping(raw) ? (raw as ConfigDecl) : own ? { default: raw } : { value: raw };
        decls[key] = decl;
        const at = `Pulumi.yaml: config.${key}`;
        if (isMapping(raw)) {
            const extra = Object.keys(raw).filter((f) => !DECLARATION_FIELDS.includes(f));
            if (extra.length > 0)
                errors.push(
                    `${at}: ${extra.map((f) => `'${f}'`).join(", ")} not allowed (allowed: ${DECLARATION_FIELDS.join(", ")})`,
                );
        }
        if (decl.type !== undefined && !(ENGINE_CONFIG_TYPES as readonly string[]).includes(decl.type)) {
            errors.push(
                `${at}.type: value must be one of ${ENGINE_CONFIG_TYPES.map((t) => `"${t}"`).join(", ")} (got ${JSON.stringify(decl.type)})`,
            );
            continue;
        }
        if (decl.default !== undefined && decl.value !== undefined)
            errors.push(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        if (own) {
            if (decl.type === "array" && decl.items === undefined)
                errors.push(
                    `The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
                );
            else if (
                decl.type !== undefined &&
                decl.default !== undefined &&
                decl.default !== null &&
                !hasEngineType(decl.type, decl.items, decl.default)
            )
                errors.push(
                    `The default value specified for configuration key '${key}' is not of the expected type '${engineTypeName(decl.type, decl.items)}'`,
                );
        } else if (decl.type !== undefined) {
            errors.push(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
        } else if (decl.default !== undefined) {
            errors.push(
                `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
            );
        } else if (decl.value === undefined) {
            errors.push(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
        }
    }
    return { decls, errors };
}

/** How a type is described to a person: `a list of strings`, `an integer`. */
function describeType(type: string, items?: ItemsDecl): string {
    switch (type) {
        case "integer":
            return "an integer";
        case "boolean":
            return "true or false";
        case "object":
            return "an object (a mapping of fields)";
        case "array":
            if (!items) return "a list";
            return items.type === "object"
                ? "a list of objects"
                : `a list of ${engineTypeName(items.type, items.items)}s`;
        default:
            return `a ${type}`;
    }
}

/** The command that sets a key, with `--stack`: structures item by item with `--path`. */
function setCommand(stack: string, fullKey: string, decl: ConfigDecl, secret = false): string {
    const flags = secret || decl.secret ? " --secret" : "";
    if (decl.type === "array" || decl.type === "object") {
        const path = decl.type === "array" ? `${fullKey}[0]` : `${fullKey}.<field>`;
        return `pulumi config set --stack ${stack}${flags} --path '${path}' <value> (or write ${fullKey} in Pulumi.${stack}.yaml)`;
    }
    return `pulumi config set --stack ${stack}${flags} ${fullKey} <value>`;
}

function formatKeys(keys: string[]): string {
    const quoted = [...keys].sort().map((k) => `'${k}'`);
    return quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/**
 * The engine's merge of project config into a stack's (`mergeConfig` with validation): applies defaults and
 * values, and returns the engine's errors (missing required keys first, then each invalid value), each with its fix.
 * `values` maps fully qualified keys to the stack's values and is completed in place.
 */
export function applyProjectConfig(
    project: string,
    stack: string,
    decls: Record<string, ConfigDecl>,
    values: Map<string, StackValue>,
): string[] {
    const errors: string[] = [];
    const keys = Object.keys(decls).sort();
    const missing: string[] = [];
    for (const key of keys) {
        const decl = decls[key];
        const fullKey = qualifyKey(project, key);
        if (values.has(fullKey)) continue;
        const own = fullKey.startsWith(`${project}:`);
        if (decl.default === undefined || decl.default === null) {
            if (decl.value !== undefined && decl.value !== null) {
                values.set(fullKey, { value: engineValue(decl.value), secure: false, known: true });
            } else if (own) {
                missing.push(key);
            }
            continue;
        }
        values.set(fullKey, { value: engineValue(decl.default), secure: false, known: true });
    }
    if (missing.length > 0) {
        errors.push(
            `validating stack config: Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${formatKeys(missing)}` +
                missing.map((k) => `\n  set it with: ${setCommand(stack, qualifyKey(project, k), decls[k])}`).join(""),
        );
        return errors;
    }
    for (const key of keys) {
        const decl = decls[key];
        const fullKey = qualifyKey(project, key);
        const v = values.get(fullKey);
        if (decl.type === undefined || v === undefined) continue;
        if (decl.secret && !v.secure) {
            errors.push(
                `validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret` +
                    `\n  set it with: ${setCommand(stack, fullKey, decl, true)}`,
            );
            continue;
        }
        if (!v.known || hasEngineType(decl.type, decl.items, v.value)) continue;
        const shown =
            decl.secret || v.secure ? "the value is not shown: it is secret" : `got ${JSON.stringify(v.value)}`;
        errors.push(
            `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${engineTypeName(decl.type, decl.items)}'` +
                `\n  config ${fullKey} must be ${describeType(decl.type, decl.items)} (${shown}); fix it with: ${setCommand(stack, fullKey, decl)}`,
        );
    }
    return errors;
}

/**
 * Applies `--set`/`--set-secret` overrides to a stack's values, as `pulumi config set [--secret]` would before the
 * engine validates. A list or object key takes JSON (the CLI sets those with `--path` or in the stack file); a value
 * that is not JSON stays a string, which the engine then refuses for such a key.
 */
export function applyOverrides(
    project: string,
    decls: Record<string, ConfigDecl>,
    values: Map<string, StackValue>,
    overrides: ConfigOverrides,
): void {
    const typeOf = (fullKey: string) => decls[fullKey.slice(project.length + 1)]?.type ?? decls[fullKey]?.type;
    const parse = (fullKey: string, raw: string): unknown => {
        const type = typeOf(fullKey);
        if (type !== "array" && type !== "object") return raw;
        try {
            const parsed: unknown = JSON.parse(raw);
            return parsed !== null && typeof parsed === "object" ? parsed : raw;
        } catch {
            return raw;
        }
    };
    for (const [secure, entries] of [
        [false, overrides.set ?? {}],
        [true, overrides.setSecret ?? {}],
    ] as const) {
        for (const [k, raw] of Object.entries(entries)) {
            const fullKey = qualifyKey(project, k);
            values.set(fullKey, { value: parse(fullKey, raw), secure, known: true });
        }
    }
}
