/**
 * no-plaintext-credentials: the slots of one resource (see `./secrets.ts` for what is checked where). Kubernetes
 * objects, `List`s flattened, give their annotations, Secret and ConfigMap data, the env values, commands and args
 * of the containers of every pod template, and the arguments and metric providers of Argo analyses; charts and
 * image builds are handed to the walkers of `./secretsSlots.ts`.
 */
import { MAX_LIST_DEPTH, flattenObjects, kindOfType, pathText, podSpecsOf } from "../lib/kubernetes";
import { PropertyPath, SecretnessView, isMarkedSecret } from "../secrets/secretness";
import {
    CHART_TYPES,
    IMAGE_BUILD_TYPES,
    Slot,
    UNKNOWN,
    chartValueSlots,
    eachIndex,
    fieldPath,
    imageBuildSlots,
    isRecord,
    mapSlots,
    read,
} from "./secretsSlots";

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
        eachIndex(args, (i) => {
            const arg = read(args, i);
            const name = read(arg, "name");
            const value = read(arg, "value");
            const f = `${label}spec.args[${i}]${typeof name === "string" ? ` (${name})` : ""}.value`;
            if (arg === UNKNOWN) unknown.push(`${label}spec.args[${i}]`);
            else if (value === UNKNOWN) unknown.push(f);
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
    eachIndex(metrics, (i) => {
        const metric = read(metrics, i);
        if (metric === UNKNOWN) {
            unknown.push(`${label}spec.metrics[${i}]`);
            return;
        }
        const mname = read(metric, "name");
        const mfield = `${label}spec.metrics[${i}]${typeof mname === "string" ? ` (${mname})` : ""}.provider`;
        const provider = read(metric, "provider");
        if (provider === UNKNOWN) {
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
        eachIndex(v, (i) => walkStrings(read(v, i), [...path, i], `${field}[${i}]`, lastKey, out, unknown, depth + 1));
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
        eachIndex(containers, (i) => {
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
                eachIndex(env, (j) => {
                    const entry = read(env, j);
                    const name = read(entry, "name");
                    const value = read(entry, "value");
                    const label = typeof name === "string" ? ` (${name})` : "";
                    const f = `${cfield}.env[${j}]${label}.value`;
                    if (entry === UNKNOWN) unknown.push(`${cfield}.env[${j}]`);
                    else if (value === UNKNOWN) unknown.push(f);
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
                    eachIndex(args, (k) => {
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
