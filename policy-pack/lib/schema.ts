/**
 * A small JSON-schema validator for policy `configSchema`s, so that the offline checker rejects bad policy config the
 * way the Pulumi engine does (the engine validates each policy's config with a draft-07 validator after filling in
 * the top-level `default`s).
 *
 * Only the keywords this pack's schemas use are implemented. A schema that uses any other keyword makes
 * {@link validateValue} throw, so that a policy author never gets a schema that silently validates nothing.
 */
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

const SUPPORTED = new Set([
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "description",
    "default",
]);

/** A schema that uses a keyword this validator does not implement. A bug in a policy, not in the user's config. */
export class UnsupportedSchemaError extends Error {}

function typeOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

function typeMatches(expected: string, value: unknown): boolean {
    const actual = typeOf(value);
    return actual === expected || (expected === "number" && actual === "integer");
}

function show(value: unknown): string {
    return JSON.stringify(value);
}

/**
 * Validates `value` against `schema` and returns one message per problem, each starting with the JSON path of the
 * offending value (`path` is the path of `value` itself, e.g. `rbac-no-wildcards.exemptions[0]`).
 */
export function validateValue(schema: PolicyConfigJSONSchemaDefinition, value: unknown, path: string): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${path}: no value is allowed here`];
    for (const key of Object.keys(schema)) {
        if (!SUPPORTED.has(key))
            throw new UnsupportedSchemaError(`schema keyword "${key}" at ${path} is not supported`);
    }
    const s = schema as PolicyConfigJSONSchema;
    const errors: string[] = [];
    if (s.type !== undefined) {
        const types = Array.isArray(s.type) ? s.type : [s.type];
        if (!types.some((t) => typeMatches(t, value))) {
            // A value of the wrong type makes every other keyword meaningless.
            return [`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`];
        }
    }
    if (s.enum !== undefined && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
        errors.push(`${path}: ${show(value)} is not one of ${s.enum.map(show).join(", ")}`);
    }
    if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) {
        errors.push(`${path}: must be ${show(s.const)}`);
    }
    if (typeof value === "string") {
        if (s.minLength !== undefined && [...value].length < s.minLength) {
            errors.push(`${path}: must be at least ${s.minLength} character(s) long`);
        }
        if (s.maxLength !== undefined && [...value].length > s.maxLength) {
            errors.push(`${path}: must be at most ${s.maxLength} character(s) long`);
        }
        if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value)) {
            errors.push(`${path}: ${show(value)} does not match the pattern ${s.pattern}`);
        }
    }
    if (typeof value === "number") {
        if (s.minimum !== undefined && value < s.minimum) errors.push(`${path}: must be >= ${s.minimum}`);
        if (s.maximum !== undefined && value > s.maximum) errors.push(`${path}: must be <= ${s.maximum}`);
    }
    if (Array.isArray(value)) {
        if (s.minItems !== undefined && value.length < s.minItems) {
            errors.push(`${path}: must have at least ${s.minItems} item(s)`);
        }
        if (s.maxItems !== undefined && value.length > s.maxItems) {
            errors.push(`${path}: must have at most ${s.maxItems} item(s)`);
        }
        if (s.uniqueItems) {
            const seen = new Set<string>();
            value.forEach((item, i) => {
                const key = JSON.stringify(item);
                if (seen.has(key)) errors.push(`${path}[${i}]: duplicate item ${key}`);
                seen.add(key);
            });
        }
        if (s.items !== undefined) {
            if (Array.isArray(s.items)) throw new UnsupportedSchemaError(`tuple "items" at ${path} is not supported`);
            const itemSchema = s.items;
            value.forEach((item, i) => errors.push(...validateValue(itemSchema, item, `${path}[${i}]`)));
        }
    }
    if (typeOf(value) === "object") {
        const obj = value as Record<string, unknown>;
        for (const name of s.required ?? []) {
            if (!(name in obj)) errors.push(`${path}: missing required property "${name}"`);
        }
        const props = s.properties ?? {};
        for (const [name, v] of Object.entries(obj)) {
            const propSchema = props[name];
            if (propSchema !== undefined) {
                errors.push(...validateValue(propSchema, v, `${path}.${name}`));
            } else if (s.additionalProperties === false) {
                const allowed = Object.keys(props);
                errors.push(
                    `${path}: unknown property "${name}"` +
                        (allowed.length ? ` (allowed: ${allowed.join(", ")})` : " (no properties are allowed)"),
                );
            } else if (s.additionalProperties !== undefined && s.additionalProperties !== true) {
                errors.push(...validateValue(s.additionalProperties, v, `${path}.${name}`));
            }
        }
    }
    return errors;
}
