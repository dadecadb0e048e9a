/**
 * no-plaintext-credentials: credentials reach the cluster only as Kubernetes Secrets whose values are Pulumi
 * secrets, referenced by name; nowhere else does a credential-looking literal appear.
 *
 * What is checked, one resource at a time:
 * - Secret `data` (base64: decoded first) and `stringData`: each value must be a Pulumi secret. When the engine says
 *   a value is not one, that is a violation (it sits unencrypted in the Pulumi state and in preview diffs). Where
 *   nobody can say (plain manifests in the offline checker), a value that secretlint recognises as a credential is a
 *   violation (base64 is an encoding, not encryption) and any other literal is an advisory note.
 * - ConfigMap `data` and `binaryData` (decoded), container `env[].value`, `command` and `args` of every pod-bearing
 *   kind, and `metadata.annotations` of every object: a Pulumi secret there is a violation (it would reach the
 *   cluster outside a Secret), and so is a literal that secretlint recognises as a credential. An env var or
 *   ConfigMap key whose name says credential (`DB_PASSWORD`, `apiKey`) with a literal value is an advisory note.
 * - Helm chart resources (`helm.sh/v3` Chart and Release, `helm.sh/v4` Chart): a credential-looking literal anywhere
 *   in `values` is a violation, and so is a `repositoryOpts.password` that is not a Pulumi secret; a Pulumi secret in
 *   `values` is an advisory note (the chart decides where it lands: pass an existing Secret's name instead).
 * - Image builds (`docker:index/image:Image` `registry.password`, `docker-build:index:Image` `registries[].password`):
 *   judged like Secret data, since neither provider marks the password secret by itself.
 *
 * Credential recognition is secretlint's recommended preset (the same rules as `npm run scan:secrets`). Messages name
 * the resource, the field and the kind of credential, never the value.
 *
 * Secretness: see `../secrets/secretness.ts` for how a policy learns which values are Pulumi secrets (@pulumi/policy
 * does not tell it; importing this module installs a hook into the analyzer that records it).
 */
import { ReportViolation, ResourceValidationPolicy, UnknownValueError } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import {
    KubeObject,
    MAX_LIST_DEPTH,
    describeObject,
    flattenObjects,
    kindOfType,
    pathText,
    podSpecsOf,
} from "../lib/kubernetes";
import { Exemption, ViolationReport, configCompiler, configSchemaWith, exemptionFor } from "../lib/policyKit";
import { CredentialFinding, decodeBase64Text, describeFindings, findCredentials } from "../secrets/lint";
import {
    PropertyPath,
    SecretnessView,
    installAnalyzerSecretnessHook,
    isMarkedSecret,
    secretnessOf,
    unwrapSecret,
} from "../secrets/secretness";

installAnalyzerSecretnessHook();

export const NO_PLAINTEXT_CREDENTIALS = "no-plaintext-credentials";

/** Type tokens of the Helm resources whose `values` are checked. */
export const CHART_TYPES: ReadonlySet<string> = new Set([
    "kubernetes:helm.sh/v3:Chart",
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:helm.sh/v3:Release",
]);

/** Type tokens of image builds (@pulumi/docker, @pulumi/docker-build) whose registry credentials are checked. */
export const IMAGE_BUILD_TYPES: ReadonlySet<string> = new Set(["docker:index/image:Image", "docker-build:index:Image"]);

/** Env var and ConfigMap key names that say "credential": the sensitive word ends the name. */
export const DEFAULT_SENSITIVE_NAME_PATTERN =
    "(password|passwd|passphrase|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credentials?)$";

export interface NoPlaintextCredentialsConfig {
    exemptions?: Exemption[];
    /** Report Secret values whose secretness nobody can tell (plain manifests) as advisory. Defaults to true. */
    reportUnmarkedSecretData?: boolean;
    /** Case-insensitive pattern of credential-like names; "" turns the name check off. Defaults to the list above. */
    sensitiveNamePattern?: string;
}

interface Compiled {
    exemptions: readonly Exemption[];
    reportUnmarkedSecretData: boolean;
    sensitiveName?: RegExp;
}

const SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    reportUnmarkedSecretData: {
        type: "boolean",
        default: true,
        description:
            "Report as advisory the Secret values nobody can tell are Pulumi secrets (plain manifests in the offline " +
            "checker carry no secretness). Values recognised as credentials are violations either way.",
    },
    sensitiveNamePattern: {
        type: "string",
        default: DEFAULT_SENSITIVE_NAME_PATTERN,
        description:
            "Case-insensitive regular expression for env var and ConfigMap key names that hold a credential; a literal " +
            "value under such a name is reported as advisory. Empty: off.",
    },
};

const compileConfig = configCompiler<NoPlaintextCredentialsConfig, Compiled>((raw) => {
    const pattern = raw.sensitiveNamePattern ?? DEFAULT_SENSITIVE_NAME_PATTERN;
    let sensitiveName: RegExp | undefined;
    try {
        sensitiveName = pattern === "" ? undefined : new RegExp(pattern, "i");
    } catch (e) {
        throw new Error(
            `${NO_PLAINTEXT_CREDENTIALS}.sensitiveNamePattern is not a valid regular expression: ${(e as Error).message}`,
        );
    }
    return {
        exemptions: raw.exemptions ?? [],
        // Defaults again here: Pulumi's analyzer hands out {} when the stack's policy config names no properties.
        reportUnmarkedSecretData: raw.reportUnmarkedSecretData ?? true,
        sensitiveName,
    };
});

/** What a value found in a resource is for, which decides what is wrong with it. */
type Role =
    /** Secret data: must be a Pulumi secret. */
    | "secret-value"
    /** ConfigMap data, env values, command/args, annotations: must be neither a Pulumi secret nor a credential. */
    | "plain-value"
    /** Helm values: no credential literal; a Pulumi secret is advisory. */
    | "chart-value";

/** One string value to judge. */
interface Slot {
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

/** One problem found, before exemptions. */
interface Problem {
    field: string;
    detail: string;
    advisory: boolean;
}

const UNKNOWN = Symbol("unknown during preview");

/** Reads `container[key]`, turning @pulumi/policy's "unknown at preview" error into {@link UNKNOWN}. */
function read(container: unknown, key: string | number): unknown {
    if (container === null || typeof container !== "object") return undefined;
    try {
        return (container as Record<string | number, unknown>)[key];
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `data.key` for identifiers, `data["service.webhook.x"]` otherwise. */
export function fieldPath(base: string, key: string | number): string {
    if (typeof key === "number") return `${base}[${key}]`;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** Collects the string values of a map field (`data`, `annotations`) as slots. */
function mapSlots(
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

/**
 * The env values, commands and args of the containers of every pod spec of an object (see `POD_SPEC_PATHS` of
 * lib/kubernetes.ts: workloads, PodTemplates, the Jobs of Argo job metrics, Experiment templates). `base` is the
 * object's path from the resource's props (non-empty for list items), `label` goes in front of every field.
 */
function containerSlots(
    object: unknown,
    base: PropertyPath,
    label: string,
    kind: string | undefined,
    out: Slot[],
    unknown: string[],
): void {
    for (const at of podSpecsOf(object, kind, read, UNKNOWN)) {
        const specText = `${label}${pathText(at.path)}`;
        if (at.unknown || !at.spec) {
            unknown.push(specText);
            continue;
        }
        podSpecSlots(at.spec, [...base, ...at.path], specText, out, unknown);
    }
}

/** The slots of the containers of one pod spec found at `specPath` (from the props) and named `specText`. */
function podSpecSlots(
    podSpec: Record<string, unknown>,
    specPath: PropertyPath,
    specText: string,
    out: Slot[],
    unknown: string[],
): void {
    for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
        const containers = read(podSpec, list);
        if (containers === UNKNOWN) {
            unknown.push(`${specText}.${list}`);
            continue;
        }
        if (!Array.isArray(containers)) continue;
        containers.forEach((_, i) => {
            const container = read(containers, i);
            const cpath = [...specPath, list, i];
            const cname = read(container, "name");
            const cfield = `${fieldPath(specText, list)}[${i}]${typeof cname === "string" ? ` (${cname})` : ""}`;
            if (container === UNKNOWN) {
                unknown.push(cfield);
                return;
            }
            const env = read(container, "env");
            if (env === UNKNOWN) unknown.push(`${cfield}.env`);
            else if (Array.isArray(env)) {
                env.forEach((_e, j) => {
                    const entry = read(env, j);
                    const name = read(entry, "name");
                    const value = read(entry, "value");
                    const label = typeof name === "string" ? ` (${name})` : "";
                    const f = `${cfield}.env[${j}]${label}.value`;
                    if (entry === UNKNOWN || value === UNKNOWN) unknown.push(f);
                    else if (value !== undefined && value !== null) {
                        out.push({
                            role: "plain-value",
                            path: [...cpath, "env", j, "value"],
                            field: f,
                            prefix: typeof name === "string" ? `${name}=` : "",
                            fileName: "env.txt",
                            value,
                            base64: false,
                            name: typeof name === "string" ? name : undefined,
                        });
                    }
                });
            }
            for (const argsField of ["command", "args"]) {
                const args = read(container, argsField);
                if (args === UNKNOWN) unknown.push(`${cfield}.${argsField}`);
                else if (Array.isArray(args)) {
                    args.forEach((_a, k) => {
                        const value = read(args, k);
                        const f = `${cfield}.${argsField}[${k}]`;
                        if (value === UNKNOWN) unknown.push(f);
                        else if (value !== undefined && value !== null) {
                            out.push({
                                role: "plain-value",
                                path: [...cpath, argsField, k],
                                field: f,
                                prefix: "",
                                fileName: "args.txt",
                                value,
                                base64: false,
                            });
                        }
                    });
                }
            }
        });
    }
}

/** Every string leaf of a chart's `values` (depth- and size-bounded). */
function chartValueSlots(props: unknown, out: Slot[], unknown: string[]): void {
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
        if (Array.isArray(v)) v.forEach((_, i) => walk(read(v, i), [...path, i], `${field}[${i}]`, lastKey));
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
function imageBuildSlots(type: string, props: unknown, out: Slot[], unknown: string[]): void {
    if (type === "docker:index/image:Image") {
        passwordSlot(props, ["registry", "password"], out, unknown);
        return;
    }
    const registries = read(props, "registries");
    if (registries === UNKNOWN) unknown.push("registries");
    else if (Array.isArray(registries))
        registries.forEach((_, i) => passwordSlot(props, ["registries", i, "password"], out, unknown));
}

/** The slots of one resource. */
export function slotsOf(
    type: string,
    props: unknown,
    view: SecretnessView,
): { slots: Slot[]; unknown: string[]; unchecked: string[] } {
    const slots: Slot[] = [];
    const unknown: string[] = [];
    /** What cannot be checked at all (a list nested too deep): reported at the policy's level, never passed. */
    const unchecked: string[] = [];
    if (CHART_TYPES.has(type)) {
        chartValueSlots(props, slots, unknown);
        return { slots, unknown, unchecked };
    }
    if (IMAGE_BUILD_TYPES.has(type)) {
        imageBuildSlots(type, props, slots, unknown);
        return { slots, unknown, unchecked };
    }
    const k = kindOfType(type);
    if (!k) return { slots, unknown, unchecked };
    // List objects (v1 List, *List) are flattened at any depth, as kubectl flattens them; each item is judged by
    // its own kind, and its fields are named from the list (`items[0] (Secret).data.token`).
    for (const item of flattenObjects(props, k.apiVersion, k.kind, read, UNKNOWN)) {
        const label = item.path.length > 0 ? `${pathText(item.path)} (${item.kind ?? "object"}).` : "";
        if (item.unknown) {
            unknown.push(pathText(item.path));
            continue;
        }
        if (item.tooDeep) {
            unchecked.push(
                `${label ? `${label.slice(0, -1)} ` : "the object "}is a list nested more than ${MAX_LIST_DEPTH} lists deep, so it is not checked for credentials. Flatten the list.`,
            );
            continue;
        }
        objectSlots(item.object, item.path, label, item.apiVersion, item.kind, slots, unknown, view, props);
    }
    return { slots, unknown, unchecked };
}

/** The slots of one Kubernetes object found at `base` of the props (`[]` for the resource itself). */
function objectSlots(
    object: unknown,
    base: PropertyPath,
    label: string,
    apiVersion: string | undefined,
    kind: string | undefined,
    out: Slot[],
    unknown: string[],
    view: SecretnessView,
    props: unknown,
): void {
    const at = (...path: (string | number)[]) => [...base, ...path];
    mapSlots(
        props,
        at("metadata", "annotations"),
        `${label}metadata.annotations`,
        "plain-value",
        false,
        out,
        unknown,
        view,
    );
    if (apiVersion === "v1" && kind === "Secret") {
        mapSlots(props, at("data"), `${label}data`, "secret-value", true, out, unknown, view);
        mapSlots(props, at("stringData"), `${label}stringData`, "secret-value", false, out, unknown, view);
    } else if (apiVersion === "v1" && kind === "ConfigMap") {
        mapSlots(props, at("data"), `${label}data`, "plain-value", false, out, unknown, view);
        mapSlots(props, at("binaryData"), `${label}binaryData`, "plain-value", true, out, unknown, view);
    }
    containerSlots(object, base, label, kind, out, unknown);
    if (kind !== undefined && ANALYSIS_KINDS.has(kind)) analysisSlots(object, base, label, out, unknown);
}

/** Argo Rollouts kinds whose metrics and arguments are checked (their job metrics are pod specs, checked above). */
const ANALYSIS_KINDS: ReadonlySet<string> = new Set(["AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"]);

/** HTTP headers whose value is a credential by definition (`Authorization: Bearer …`). */
export const CREDENTIAL_HEADER = /^(proxy-)?authorization$|^(x-)?api-?key$|^x-auth-token$|^cookie$/i;

/**
 * The literal strings of an analysis: `spec.args[].value` (an argument may take its value from a Secret instead,
 * `valueFrom.secretKeyRef`) and every string of every metric provider except the Job (web `url`, `headers[].value`,
 * `body`, prometheus `address`, ...): a token in a URL or a header ends up in the cluster in plain text.
 */
function analysisSlots(object: unknown, base: PropertyPath, label: string, out: Slot[], unknown: string[]): void {
    const spec = read(object, "spec");
    if (spec === UNKNOWN) {
        unknown.push(`${label}spec`);
        return;
    }
    const args = read(spec, "args");
    if (args === UNKNOWN) unknown.push(`${label}spec.args`);
    else if (Array.isArray(args)) {
        args.forEach((_, i) => {
            const arg = read(args, i);
            const name = read(arg, "name");
            const value = read(arg, "value");
            const f = `${label}spec.args[${i}]${typeof name === "string" ? ` (${name})` : ""}.value`;
            if (arg === UNKNOWN || value === UNKNOWN) unknown.push(f);
            else if (typeof value === "string" || isMarkedSecret(value)) {
                out.push({
                    role: "plain-value",
                    path: [...base, "spec", "args", i, "value"],
                    field: f,
                    prefix: typeof name === "string" ? `${name}=` : "",
                    fileName: "args.txt",
                    value,
                    base64: false,
                    name: typeof name === "string" ? name : undefined,
                });
            }
        });
    }
    const metrics = read(spec, "metrics");
    if (metrics === UNKNOWN) unknown.push(`${label}spec.metrics`);
    if (!Array.isArray(metrics)) return;
    metrics.forEach((_, i) => {
        const metric = read(metrics, i);
        const mname = read(metric, "name");
        const mfield = `${label}spec.metrics[${i}]${typeof mname === "string" ? ` (${mname})` : ""}.provider`;
        const provider = read(metric, "provider");
        if (metric === UNKNOWN || provider === UNKNOWN) {
            unknown.push(mfield);
            return;
        }
        if (!isRecord(provider)) return;
        for (const key of Object.keys(provider)) {
            if (key === "job") continue; // a pod spec: checked with the containers
            walkStrings(
                read(provider, key),
                [...base, "spec", "metrics", i, "provider", key],
                fieldPath(mfield, key),
                key,
                out,
                unknown,
            );
        }
    });
}

/** Every string leaf below `v` as a plain-value slot (depth- and size-bounded); `{key, value}` pairs are headers. */
function walkStrings(
    v: unknown,
    path: (string | number)[],
    field: string,
    lastKey: string,
    out: Slot[],
    unknown: string[],
    depth = 0,
): void {
    if (depth > 16 || out.length > 5000) return;
    if (v === UNKNOWN) {
        unknown.push(field);
        return;
    }
    if (typeof v === "string" || isMarkedSecret(v)) {
        out.push({
            role: "plain-value",
            path,
            field,
            prefix: `${lastKey}: `,
            fileName: "metric.txt",
            value: v,
            base64: false,
            name: lastKey,
        });
        return;
    }
    if (Array.isArray(v)) {
        v.forEach((_, i) => walkStrings(read(v, i), [...path, i], `${field}[${i}]`, lastKey, out, unknown, depth + 1));
        return;
    }
    if (!isRecord(v)) return;
    const headerKey = read(v, "key");
    if (typeof headerKey === "string" && "value" in v) {
        // An HTTP header: judged under its own name, and a credential header holds a credential by definition.
        const value = read(v, "value");
        const f = `${field} (${headerKey}).value`;
        if (value === UNKNOWN) unknown.push(f);
        else if (typeof value === "string" || isMarkedSecret(value)) {
            out.push({
                role: "plain-value",
                path: [...path, "value"],
                field: f,
                prefix: `${headerKey}: `,
                fileName: "headers.txt",
                value,
                base64: false,
                name: headerKey,
                credentialHeader: CREDENTIAL_HEADER.test(headerKey),
            });
        }
        return;
    }
    for (const k of Object.keys(v))
        walkStrings(read(v, k), [...path, k], fieldPath(field, k), k, out, unknown, depth + 1);
}

/** What secretlint finds in a slot's value (decoded first when base64). */
async function credentialsIn(slot: Slot, value: string): Promise<CredentialFinding[]> {
    const text = slot.base64 ? decodeBase64Text(value) : value;
    if (text === undefined) return [];
    const found = await findCredentials(`${slot.prefix}${text}`, slot.fileName);
    // A value that was base64-encoded to hide it: look at the decoded text too.
    if (found.length === 0 && !slot.base64 && slot.role !== "secret-value") {
        const decoded = value.length >= 16 ? decodeBase64Text(value) : undefined;
        if (decoded !== undefined) return findCredentials(`${slot.prefix}${decoded}`, slot.fileName);
    }
    return found;
}

const ENCODED = " (base64 is an encoding, not encryption)";

/** The problems of one slot. */
async function judge(slot: Slot, view: SecretnessView, config: Compiled): Promise<Problem | undefined> {
    const secretness = slot.inSecret ? "secret" : view.at(slot.path, slot.value);
    const field = slot.field;
    if (slot.role === "secret-value") {
        if (secretness === "secret") return undefined;
        if (secretness === "plain") {
            if (slot.value === "") return undefined;
            return {
                field,
                detail:
                    "is not a Pulumi secret, so it is stored unencrypted in the Pulumi state and shown in preview diffs. " +
                    "Read it with config.requireSecret()/getSecret() or wrap it in pulumi.secret().",
                advisory: false,
            };
        }
        if (typeof slot.value !== "string") return undefined;
        const found = await credentialsIn(slot, slot.value);
        if (found.length > 0) {
            return {
                field,
                detail:
                    `holds a literal ${describeFindings(found)}${slot.base64 ? ENCODED : ""}. ` +
                    "Keep credentials out of manifests and code: set them as Pulumi secret config " +
                    "(pulumi config set --secret) and build the Secret from config.requireSecret().",
                advisory: false,
            };
        }
        if (!config.reportUnmarkedSecretData || slot.value === "") return undefined;
        return {
            field,
            detail:
                "is a literal that nothing marks as a Pulumi secret (plain manifests carry no secretness). " +
                "Make sure it comes from Pulumi secret config or an external secret store, not from the repository.",
            advisory: true,
        };
    }
    if (secretness === "secret") {
        if (slot.role === "chart-value") {
            return {
                field,
                detail:
                    "is a Pulumi secret handed to the chart, which decides where it lands (possibly a ConfigMap or a " +
                    "literal env value). Prefer creating the Secret yourself and passing its name (e.g. existingSecret).",
                advisory: true,
            };
        }
        return {
            field,
            detail:
                "holds a Pulumi secret: secrets reach the cluster only as Secret objects, referenced by name " +
                "(env[].valueFrom.secretKeyRef, envFrom[].secretRef or a secret volume).",
            advisory: false,
        };
    }
    if (typeof slot.value !== "string") return undefined;
    const found = await credentialsIn(slot, slot.value);
    if (found.length > 0) {
        return {
            field,
            detail:
                `holds a literal ${describeFindings(found)}${slot.base64 ? ENCODED : ""}. Put the credential in Pulumi ` +
                "secret config, create a Secret from it and reference the Secret by name " +
                "(env[].valueFrom.secretKeyRef, envFrom[].secretRef, a secret volume, or the chart's existingSecret).",
            advisory: false,
        };
    }
    if (slot.credentialHeader && literalCredentialPart(slot.value)) {
        return {
            field,
            detail:
                `holds a literal credential in the ${JSON.stringify(slot.name)} header. Pass it as an analysis argument ` +
                "that reads a Secret (args[].valueFrom.secretKeyRef) and use {{args.<name>}} in the header.",
            advisory: false,
        };
    }
    if (slot.name !== undefined && config.sensitiveName?.test(slot.name) && looksLikeLiteral(slot.value)) {
        return {
            field,
            detail:
                `is named like a credential (${JSON.stringify(slot.name)}) but holds a literal value. If it is a ` +
                "credential, reference a Secret instead (env[].valueFrom.secretKeyRef); if not, exempt the object or rename.",
            advisory: true,
        };
    }
    return undefined;
}

/** True when a credential header's value holds more than an auth scheme and `{{args.x}}` references. */
export function literalCredentialPart(value: string): boolean {
    const rest = value
        .replace(/\{\{[^}]*\}\}/g, "")
        .replace(/^\s*(bearer|basic|token|apikey|digest|negotiate)\b/i, "")
        .trim();
    return rest !== "";
}

/** Not empty and not a reference to something else (`$(VAR)`, `${VAR}`, `{{ .Values.x }}`). */
export function looksLikeLiteral(value: string): boolean {
    const v = value.trim();
    return v !== "" && !/^(\$\(\w+\)|\$\{[^}]+\}|\{\{.*\}\})$/.test(v);
}

/** `Secret shop/app-env`, or `Helm chart falco/falco-chart` for chart resources. */
function subjectOf(type: string, props: unknown, name: string): { subject: string; obj: KubeObject } {
    const meta = read(props, "metadata");
    const metaName = read(meta, "name");
    const metaNs = read(meta, "namespace");
    const resolvedName = typeof metaName === "string" ? metaName : name;
    if (CHART_TYPES.has(type)) {
        const ns = read(props, "namespace");
        const kind = type.endsWith(":Release") ? "Release" : "Chart";
        const obj: KubeObject = { kind, metadata: { name, namespace: typeof ns === "string" ? ns : undefined } };
        return { subject: `Helm ${kind.toLowerCase()} ${typeof ns === "string" ? `${ns}/` : ""}${name}`, obj };
    }
    if (IMAGE_BUILD_TYPES.has(type)) {
        return { subject: `Image build ${name}`, obj: { kind: "Image", metadata: { name } } };
    }
    const k = kindOfType(type);
    const obj: KubeObject = {
        apiVersion: k?.apiVersion,
        kind: k?.kind,
        metadata: { name: resolvedName, namespace: typeof metaNs === "string" ? metaNs : undefined },
    };
    return { subject: describeObject(obj), obj };
}

/** Reports one problem, as advisory when the problem is or the object is exempt. */
function report(
    reportViolation: ReportViolation,
    subject: string,
    obj: KubeObject,
    p: Problem,
    exemptions: readonly Exemption[],
    urn?: string,
): void {
    const message = `${subject}: ${p.field} ${p.detail}`;
    const exemption = exemptionFor(exemptions, obj);
    const send = reportViolation as unknown as (v: ViolationReport) => void;
    if (exemption)
        send({ message: `exempt: ${exemption.justification}: ${message}`, enforcementLevel: "advisory", urn });
    else if (p.advisory) send({ message, enforcementLevel: "advisory", urn });
    else reportViolation(message, urn);
}

export const noPlaintextCredentials: ResourceValidationPolicy = {
    name: NO_PLAINTEXT_CREDENTIALS,
    description:
        "Credentials reach the cluster only as Kubernetes Secrets whose values are Pulumi secrets, referenced by name: " +
        "no credential-looking literal (secretlint's recommended rules: API tokens, webhook URLs, passwords in URLs, " +
        "private keys, base64-encoded ones included) in Secret data, ConfigMaps, container env values, command or " +
        "args, annotations or Helm chart values, no registry password of an image build that is not a Pulumi " +
        "secret, and no Pulumi secret outside a Secret.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Store the credential as Pulumi secret config (pulumi config set --secret KEY), read it with " +
        "config.requireSecret(), put it in a Kubernetes Secret and reference that Secret by name " +
        "(env[].valueFrom.secretKeyRef, envFrom[].secretRef, a secret volume, or a chart's existingSecret). " +
        "Rotate any credential that was ever committed or deployed in plaintext.",
    tags: ["kubernetes", "secrets"],
    configSchema: configSchemaWith(SCHEMA),
    validateResource: async (args, reportViolation) => {
        const type = args.type;
        if (!CHART_TYPES.has(type) && !IMAGE_BUILD_TYPES.has(type) && !kindOfType(type)) return;
        const config = compileConfig(args);
        const view = secretnessOf(args.props);
        const { slots, unknown, unchecked } = slotsOf(type, args.props, view);
        if (slots.length === 0 && unknown.length === 0 && unchecked.length === 0) return;
        const { subject, obj } = subjectOf(type, args.props, args.name);
        for (const text of unchecked) {
            report(reportViolation, subject, obj, { field: "", detail: text, advisory: false }, config.exemptions);
        }
        const problems = await Promise.all(slots.map((s) => judge(s, view, config)));
        for (const p of problems) {
            if (p) report(reportViolation, subject, obj, p, config.exemptions);
        }
        if (unknown.length > 0) {
            const shown =
                unknown.slice(0, 3).join(", ") + (unknown.length > 3 ? ` and ${unknown.length - 3} more` : "");
            const send = reportViolation as unknown as (v: ViolationReport) => void;
            send({
                message: `${subject}: ${shown} not known during preview, so not checked for credentials yet (checked again at update).`,
                enforcementLevel: "advisory",
            });
        }
    },
};
