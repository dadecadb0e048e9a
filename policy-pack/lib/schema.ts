/**
 * Validation of policy config against each policy's `configSchema`, the way the Pulumi engine does it: JSON Schema
 * draft-07 (the engine validates each policy's config with a draft-07 validator after filling in the top-level
 * `default`s). The validator is ajv, the standard one for JavaScript; this module only turns ajv's errors into one
 * message per problem that starts with the JSON path of the offending value (`rbac-no-wildcards.exemptions[0].name`)
 * and says what was expected.
 *
 * A schema ajv cannot compile, or one with a keyword draft-07 does not define (a typo such as `patern`), makes
 * {@link validateValue} throw {@link UnsupportedSchemaError}: a policy author never gets a schema that silently
 * validates nothing.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import type { PolicyConfigJSONSchemaDefinition } from "@pulumi/policy/schema";

/** A schema ajv refuses (unknown keyword, invalid value). A bug in a policy, not in the user's config. */
export class UnsupportedSchemaError extends Error {}

const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    // Unknown keywords are errors; the engine's schemas are loose about types and tuples, so those checks stay off.
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    // Each validator runs once per config resolved: optimising its generated code costs more than it saves (half
    // of the engine's start-up), and validates the same.
    code: { optimize: false },
});

/** Compiled validators by schema text: the engine builds the same schemas anew for every config it resolves. */
const compiled = new Map<string, ValidateFunction>();

function compile(schema: PolicyConfigJSONSchemaDefinition, path: string): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = compiled.get(key);
    if (!fn) {
        try {
            fn = ajv.compile(schema as object);
        } catch (e) {
            throw new UnsupportedSchemaError(`invalid schema at ${path}: ${(e as Error).message}`);
        }
        compiled.set(key, fn);
    }
    return fn;
}

function typeOf(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    return typeof value;
}

const show = (value: unknown): string => JSON.stringify(value);

/** `path` extended by a JSON pointer into `root`: `[0]` for array items, `.name` for properties. */
function pathOf(path: string, pointer: string, root: unknown): string {
    let out = path;
    let node: unknown = root;
    for (const raw of pointer.split("/").slice(1)) {
        const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        out += Array.isArray(node) ? `[${seg}]` : `.${seg}`;
        node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
    }
    return out;
}

/** One ajv error as a message: the value's path, then what was expected. */
function describe(e: ErrorObject, path: string, root: unknown): string {
    const at = pathOf(path, e.instancePath, root);
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
        case "type":
            return `${at}: expected ${[p.type].flat().join(" or ")}, got ${typeOf(e.data)}`;
        case "enum":
            return `${at}: ${show(e.data)} is not one of ${(p.allowedValues as unknown[]).map(show).join(", ")}`;
        case "const":
            return `${at}: must be ${show(p.allowedValue)}`;
        case "required":
            return `${at}: missing required property "${String(p.missingProperty)}"`;
        case "additionalProperties": {
            const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
            return (
                `${at}: unknown property "${String(p.additionalProperty)}"` +
                (allowed.length ? ` (allowed: ${allowed.join(", ")})` : " (no properties are allowed)")
            );
        }
        case "pattern":
            return `${at}: ${show(e.data)} does not match the pattern ${String(p.pattern)}`;
        case "minLength":
            return `${at}: must be at least ${String(p.limit)} character(s) long`;
        case "maxLength":
            return `${at}: must be at most ${String(p.limit)} character(s) long`;
        case "minimum":
        case "maximum":
        case "exclusiveMinimum":
        case "exclusiveMaximum":
            return `${at}: must be ${String(p.comparison)} ${String(p.limit)}`;
        case "minItems":
            return `${at}: must have at least ${String(p.limit)} item(s)`;
        case "maxItems":
            return `${at}: must have at most ${String(p.limit)} item(s)`;
        case "uniqueItems": {
            // The later of the two equal items is the duplicate.
            const later = Math.max(p.i as number, p.j as number);
            return `${at}[${later}]: duplicate item ${show((e.data as unknown[])[later])}`;
        }
        case "false schema":
            return `${at}: no value is allowed here`;
        default:
            return `${at}: ${e.message ?? e.keyword}`;
    }
}

/**
 * Validates `value` against `schema` (draft-07) and returns one message per problem, each starting with the JSON
 * path of the offending value (`path` is the path of `value` itself, e.g. `rbac-no-wildcards.exemptions[0]`). A
 * value of the wrong type gets only that message: the other keywords at its path are meaningless then.
 */
export function validateValue(schema: PolicyConfigJSONSchemaDefinition, value: unknown, path: string): string[] {
    const validate = compile(schema, path);
    if (validate(value)) return [];
    const errors = validate.errors ?? [];
    // The subschema (schema path without its keyword) and value of every type error.
    const parent = (e: ErrorObject) => `${e.schemaPath.slice(0, e.schemaPath.lastIndexOf("/"))}|${e.instancePath}`;
    const wrongType = new Set(errors.filter((e) => e.keyword === "type").map(parent));
    const kept = errors.filter(
        (e) =>
            (e.keyword === "type" || !wrongType.has(parent(e))) &&
            // A combinator's own summary ("must match a schema in anyOf") adds nothing to the errors it lists.
            !(e.keyword === "anyOf" || e.keyword === "oneOf" || e.keyword === "allOf" || e.keyword === "if"),
    );
    return [...new Set((kept.length ? kept : errors).map((e) => describe(e, path, value)))];
}
