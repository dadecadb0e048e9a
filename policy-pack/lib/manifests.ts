/**
 * Reading Kubernetes manifests for the offline checker: YAML or JSON files with any number of documents, whole
 * directories (recursively, *.yaml, *.yml, *.json), or standard input; `kind: List` (and `*List`) items are
 * expanded. Every object keeps the file and line it came from; a file that cannot be read or parsed raises a
 * {@link ManifestError} naming the file and line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, Node, YAMLMap, YAMLSeq, isMap, isSeq, parseAllDocuments } from "yaml";
import { ManifestObject } from "./engine";
import { KubeObject } from "./kubernetes";

/** Input that cannot be read or is not a Kubernetes manifest: a user error, shown without a stack trace. */
export class ManifestError extends Error {
    constructor(
        readonly file: string,
        readonly line: number | undefined,
        readonly detail: string,
    ) {
        super(`${file}${line ? `:${line}` : ""}: ${detail}`);
    }
}

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** The name standard input is reported under. */
export const STDIN = "<stdin>";

/** Parses the documents of one file's text into objects. */
export function parseManifests(text: string, file: string): ManifestObject[] {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
    if (!Array.isArray(docs)) return []; // an empty stream
    const lineOf = (node: Node | null | undefined): number | undefined =>
        node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const out: ManifestObject[] = [];
    docs.forEach((doc, d) => {
        const error = doc.errors[0];
        if (error) {
            const line = error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line;
            throw new ManifestError(file, line, `invalid YAML/JSON: ${firstLine(error.message)}`);
        }
        const contents = doc.contents as Node | null;
        if (contents === null || (contents as { value?: unknown }).value === null) return; // empty document
        const docLine = lineOf(contents);
        if (!isMap(contents)) {
            throw new ManifestError(file, docLine, `document ${d + 1} is not a mapping, so not a Kubernetes object`);
        }
        const value = doc.toJS({ maxAliasCount: 100 }) as KubeObject;
        const items = value.items;
        if (typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(items)) {
            const itemNodes = (contents as YAMLMap).get("items", true) as YAMLSeq | undefined;
            items.forEach((item, i) => {
                const node = isSeq(itemNodes) ? (itemNodes.items[i] as Node | undefined) : undefined;
                out.push(checkObject(item, file, lineOf(node) ?? docLine, `${value.kind} item ${i}`));
            });
        } else {
            out.push(checkObject(value, file, docLine, `document ${d + 1}`));
        }
    });
    return out;
}

function firstLine(s: string): string {
    return s.split("\n")[0].replace(/:$/, "");
}

function checkObject(value: unknown, file: string, line: number | undefined, what: string): ManifestObject {
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new ManifestError(file, line, `${what} is not a mapping, so not a Kubernetes object`);
    }
    const obj = value as KubeObject;
    for (const field of ["apiVersion", "kind"] as const) {
        if (typeof obj[field] !== "string" || obj[field] === "") {
            throw new ManifestError(file, line, `${what} has no ${field}, so it is not a Kubernetes object`);
        }
    }
    if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== "object")) {
        throw new ManifestError(file, line, `${what}: metadata must be a mapping`);
    }
    return { object: obj, file, line };
}

/** The manifest files under a path: the file itself, or every *.yaml/*.yml/*.json below a directory, sorted. */
export function manifestFiles(p: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(p);
    } catch (e) {
        throw new ManifestError(p, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (!stat.isDirectory()) return [p];
    const out: string[] = [];
    const walk = (dir: string) => {
        const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) walk(full);
            else if (EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push(full);
        }
    };
    walk(p);
    return out;
}

/** Reads a whole stream (standard input). */
export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString("utf8");
}

/** Loads every object from the paths (`-` is standard input), in order. */
export async function loadManifests(
    paths: readonly string[],
    stdin: NodeJS.ReadableStream = process.stdin,
): Promise<ManifestObject[]> {
    const out: ManifestObject[] = [];
    for (const p of paths) {
        if (p === "-") {
            out.push(...parseManifests(await readStream(stdin), STDIN));
            continue;
        }
        for (const file of manifestFiles(p)) {
            let text: string;
            try {
                text = fs.readFileSync(file, "utf8");
            } catch (e) {
                throw new ManifestError(file, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
            }
            out.push(...parseManifests(text, file));
        }
    }
    return out;
}
