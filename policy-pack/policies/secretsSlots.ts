/**
 * no-plaintext-credentials: the values of a resource the policy judges, as slots (see `./secrets.ts` for what is
 * checked where). This module holds the slot itself, the reader that turns a value unknown at preview into
 * {@link UNKNOWN}, and the walkers of map fields (Secret and ConfigMap data, annotations), Helm chart values and
 * the registry passwords of image builds; `./secretsObjects.ts` walks Kubernetes objects with them.
 */
import { UnknownValueError } from "@pulumi/policy";
import { PropertyPath, SecretnessView, unwrapSecret } from "../secrets/secretness";

/** Type tokens of the Helm resources whose `values` are checked. */
export const CHART_TYPES: ReadonlySet<string> = new Set([
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:helm.sh/v3:Release",
]);

/** Type tokens of image builds (@pulumi/docker, @pulumi/docker-build) whose registry credentials are checked. */
export const IMAGE_BUILD_TYPES: ReadonlySet<string> = new Set(["docker:index/image:Image", "docker-build:index:Image"]);

/** What a value found in a resource is for, which decides what is wrong with it. */
export type Role =
    /** Secret data: must be a Pulumi secret. */
    | "secret-value"
    /** ConfigMap data, env values, command/args, annotations: must be neither a Pulumi secret nor a credential. */
    | "plain-value"
    /** Helm values: no credential literal; a Pulumi secret is advisory. */
    | "chart-value";

/** One string value to judge. */
export interface Slot {
    role: Role;
    /** Path in the resource's properties (for the secretness lookup). */
    path: PropertyPath;
    /** The field as messages show it: `data["webhook-url"]`, `spec.template.spec.containers[0].env[1] (TOKEN).value`. */
    field: string;
    /** Context secretlint sees before the value (`NAME=`): rules such as AWS's need the key name. */
    prefix: string;
    /** File name hint for secretlint (a ConfigMap key such as `.npmrc`). */
    fileName: string;
    value: unknown;
    base64: boolean;
    /** The env var or ConfigMap key name, for the name check. */
    name?: string;
    /** Inside a map that is itself one Pulumi secret. */
    inSecret?: boolean;
    /** The value of an HTTP header that carries a credential by definition (Authorization, X-API-Key, ...). */
    credentialHeader?: boolean;
}

/** Stands for a value unknown at preview (reading it threw UnknownValueError). */
export const UNKNOWN = Symbol("unknown during preview");

/** Reads `container[key]`, turning @pulumi/policy's "unknown at preview" error into {@link UNKNOWN}. */
export function read(container: unknown, key: string | number): unknown {
    if (container === null || typeof container !== "object") return undefined;
    try {
        return (container as Record<string | number, unknown>)[key];
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/**
 * Calls `fn` with each index of a list, never reading its entries: over the props of a preview, `forEach` would read
 * every entry and throw on one unknown at preview, where a walker reads it with {@link read} and notes the field.
 */
export function eachIndex(list: readonly unknown[], fn: (i: number) => void): void {
    for (let i = 0; i < list.length; i++) fn(i);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `data.key` for identifiers, `data["service.webhook.x"]` otherwise. */
export function fieldPath(base: string, key: string | number): string {
    if (typeof key === "number") return `${base}[${key}]`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** Collects the string values of a map field (`data`, `annotations`) as slots. */
export function mapSlots(
    props: unknown,
    path: PropertyPath,
    field: string,
    role: Role,
    base64: boolean,
    out: Slot[],
    unknown: string[],
    view: SecretnessView,
): void {
    let container: unknown = props;
    for (const key of path) {
        container = read(container, key);
        if (container === UNKNOWN) {
            unknown.push(field);
            return;
        }
    }
    if (container === undefined || container === null) return;
    // A whole map that is one Pulumi secret (e.g. `stringData` wrapped in a policy.Secret): every entry is secret.
    const inSecret = view.at(path, container) === "secret";
    const map = unwrapSecret(container);
    if (inSecret && !isRecord(map)) {
        out.push({ role, path, field, prefix: "", fileName: "value.txt", value: container, base64, inSecret });
        return;
    }
    if (!isRecord(map)) return;
    for (const key of Object.keys(map)) {
        const value = read(map, key);
        const f = fieldPath(field, key);
        if (value === UNKNOWN) unknown.push(f);
        else if (value !== undefined && value !== null) {
            out.push({
                role,
                path: [...path, key],
                field: f,
                prefix: `${key}: `,
                fileName: key,
                value,
                base64,
                name: key,
                inSecret,
            });
        }
    }
}

/** Every string leaf of a chart's `values` (depth- and size-bounded). */
export function chartValueSlots(props: unknown, out: Slot[], unknown: string[]): void {
    const MAX_DEPTH = 32;
    const MAX_LEAVES = 5000;
    let leaves = 0;
    const walk = (v: unknown, path: (string | number)[], field: string, lastKey: string) => {
        if (leaves >= MAX_LEAVES || path.length > MAX_DEPTH) return;
        if (v === UNKNOWN) {
            unknown.push(field);
            return;
        }
        const inner = unwrapSecret(v);
        if (inner !== v || typeof v === "string") {
            leaves++;
            out.push({
                role: "chart-value",
                path,
                field,
                prefix: `${lastKey}: `,
                fileName: "values.yaml",
                value: v,
                base64: false,
            });
            return;
        }
        if (Array.isArray(v)) eachIndex(v, (i) => walk(read(v, i), [...path, i], `${field}[${i}]`, lastKey));
        else if (isRecord(v)) for (const k of Object.keys(v)) walk(read(v, k), [...path, k], fieldPath(field, k), k);
    };
    walk(read(props, "values"), ["values"], "values", "values");
    passwordSlot(props, ["repositoryOpts", "password"], out, unknown);
}

/** A password field that must be a Pulumi secret (a chart repository's, an image registry's). */
function passwordSlot(props: unknown, path: (string | number)[], out: Slot[], unknown: string[]): void {
    let value: unknown = props;
    for (let i = 0; i < path.length; i++) {
        value = read(value, path[i]);
        if (value === UNKNOWN) {
            unknown.push(fieldOf(path.slice(0, i + 1)));
            return;
        }
    }
    if (value === undefined || value === null || value === "") return;
    const field = fieldOf(path);
    out.push({ role: "secret-value", path, field, prefix: "password: ", fileName: "value.txt", value, base64: false });
}

/** `registries[0].password` from a path. */
function fieldOf(path: readonly (string | number)[]): string {
    return path.slice(1).reduce<string>((f, k) => fieldPath(f, k), String(path[0]));
}

/** The registry passwords of an image build. */
export function imageBuildSlots(type: string, props: unknown, out: Slot[], unknown: string[]): void {
    if (type === "docker:index/image:Image") {
        passwordSlot(props, ["registry", "password"], out, unknown);
        return;
    }
    const registries = read(props, "registries");
    if (registries === UNKNOWN) unknown.push("registries");
    else if (Array.isArray(registries))
        eachIndex(registries, (i) => passwordSlot(props, ["registries", i, "password"], out, unknown));
}
