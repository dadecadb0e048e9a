/**
 * Reading Kubernetes manifests for the offline checker: YAML or JSON files with any number of documents, whole
 * directories (recursively, *.yaml, *.yml, *.json), or standard input; lists (`kind: List`, `*List`, any object
 * with an `items` array, as kubectl reads them) are expanded at any depth. Every object keeps the file and line it
 * came from; a file that cannot be read or parsed raises a {@link ManifestError} naming the file and line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, Node, YAMLMap, YAMLSeq, isMap, isSeq, parseAllDocuments, visit } from "yaml";
import { ManifestObject } from "./engine";
import { KubeObject, MAX_LIST_DEPTH } from "./kubernetes";

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

/**
 * Splits a YAML stream before each `---` document marker at the start of a line. The YAML spec forbids that marker
 * inside any scalar (block, plain or quoted), so this never cuts a value in two; streams with directives (`%YAML`)
 * are left whole because a directive belongs to the document after it.
 */
function splitDocuments(text: string): { text: string; line: number }[] {
    if (/^%/m.test(text)) return [{ text, line: 0 }];
    const chunks: { text: string; line: number }[] = [];
    const marker = /^---(?=[ \t\r\n]|$)/gm;
    let start = 0;
    let line = 0;
    for (let m = marker.exec(text); m; m = marker.exec(text)) {
        if (m.index === start) continue;
        const chunk = text.slice(start, m.index);
        chunks.push({ text: chunk, line });
        line += countLines(chunk);
        start = m.index;
    }
    chunks.push({ text: text.slice(start), line });
    return chunks;
}

function countLines(s: string): number {
    let n = 0;
    for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
    return n;
}

/**
 * Parses the documents of one file's text into objects. The `yaml` parser slows down more than linearly with the
 * number of documents in one stream, so each document is parsed on its own (see {@link splitDocuments}).
 */
export function parseManifests(text: string, file: string): ManifestObject[] {
    const out: ManifestObject[] = [];
    let d = 0;
    for (const chunk of splitDocuments(text)) {
        d = parseChunk(chunk.text, chunk.line, file, d, out);
    }
    return out;
}

/** Parses one part of a stream whose first line is line `base + 1` of the file; returns the documents seen so far. */
function parseChunk(text: string, base: number, file: string, seen: number, out: ManifestObject[]): number {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
    if (!Array.isArray(docs)) return seen; // only comments or blank lines
    const lineOf = (node: Node | null | undefined): number | undefined =>
        node?.range ? base + lineCounter.linePos(node.range[0]).line : undefined;
    for (const doc of docs) {
        const d = seen++;
        const error = doc.errors[0];
        if (error) {
            const line = base + (error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line);
            const detail = firstLine(error.message).replace(/ at line \d+, column \d+$/, "");
            const col = error.linePos?.[0]?.col;
            throw new ManifestError(file, line, `invalid YAML/JSON${col ? ` (column ${col})` : ""}: ${detail}`);
        }
        const contents = doc.contents as Node | null;
        if (contents === null || (contents as { value?: unknown }).value === null) continue; // empty document
        const docLine = lineOf(contents);
        if (!isMap(contents)) {
            throw new ManifestError(file, docLine, `document ${d + 1} is not a mapping, so not a Kubernetes object`);
        }
        const value = toJS(doc, file, d, docLine, lineOf);
        expandLists(value, contents, file, docLine, `document ${d + 1}`, "", lineOf, 0, out);
    }
    return seen;
}

/** Aliases a document may expand: more is refused as a resource-exhaustion attack ("billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/**
 * The document as plain data. Exceeding the alias limit is an input error at the line of the document's first alias;
 * any other conversion failure is an input error at the document's line.
 */
function toJS(
    doc: Document,
    file: string,
    d: number,
    docLine: number | undefined,
    lineOf: (node: Node | null | undefined) => number | undefined,
): KubeObject {
    try {
        return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as KubeObject;
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (/alias count/i.test(message)) {
            let alias: Node | undefined;
            visit(doc, {
                Alias(_, node) {
                    alias = node;
                    return visit.BREAK;
                },
            });
            throw new ManifestError(
                file,
                lineOf(alias) ?? docLine,
                `document ${d + 1} expands YAML aliases more than ${MAX_ALIAS_COUNT} times (refused as a ` +
                    "resource-exhaustion attack); write the values out instead of nesting aliases",
            );
        }
        throw new ManifestError(file, docLine, `document ${d + 1} cannot be read: ${firstLine(message)}`);
    }
}

/**
 * Adds `value` to `out`, or, when it is a list, its items, at any depth, as kubectl flattens lists: an object with an
 * `items` array is a list whatever its kind (`List`, `DeploymentList`, ...), and an item without apiVersion or kind
 * (the API server leaves them out of typed lists) takes the list's apiVersion and its kind without `List`. Items are
 * named `List item 0`, nested ones `List item 0, DeploymentList item 2`.
 */
function expandLists(
    value: unknown,
    node: Node | null | undefined,
    file: string,
    line: number | undefined,
    what: string,
    parent: string,
    lineOf: (node: Node | null | undefined) => number | undefined,
    depth: number,
    out: ManifestObject[],
): void {
    const obj =
        value !== null && typeof value === "object" && !Array.isArray(value) ? (value as KubeObject) : undefined;
    const items = obj?.items;
    if (!obj || !Array.isArray(items)) {
        out.push(checkObject(value, file, line, what));
        return;
    }
    const listKind = typeof obj.kind === "string" && obj.kind ? obj.kind : "List";
    if (depth >= MAX_LIST_DEPTH) {
        throw new ManifestError(file, line, `${what} nests lists more than ${MAX_LIST_DEPTH} deep; flatten it`);
    }
    const itemNodes = isMap(node) ? ((node as YAMLMap).get("items", true) as YAMLSeq | undefined) : undefined;
    items.forEach((item, i) => {
        const itemNode = isSeq(itemNodes) ? (itemNodes.items[i] as Node | undefined) : undefined;
        if (item !== null && typeof item === "object" && !Array.isArray(item)) {
            const o = item as KubeObject;
            if (o.apiVersion === undefined && typeof obj.apiVersion === "string") o.apiVersion = obj.apiVersion;
            if (o.kind === undefined && listKind.endsWith("List") && listKind !== "List") {
                o.kind = listKind.slice(0, -4);
            }
        }
        const name = `${parent}${listKind} item ${i}`;
        expandLists(item, itemNode, file, lineOf(itemNode) ?? line, name, `${name}, `, lineOf, depth + 1, out);
    });
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
    // Symbolic links are followed, to directories too; a directory (or file) is read once, by its real path, so a
    // link back up the tree (a loop) or two links to one place read nothing twice.
    const seen = new Set<string>();
    const cannot = (at: string, e: unknown, what = "cannot read") =>
        new ManifestError(at, undefined, `${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    const once = (at: string): boolean => {
        let real: string;
        try {
            real = fs.realpathSync(at);
        } catch (e) {
            throw cannot(at, e);
        }
        if (seen.has(real)) return false;
        seen.add(real);
        return true;
    };
    const walk = (dir: string) => {
        if (!once(dir)) return;
        let entries: fs.Dirent[];
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch (e) {
            throw cannot(dir, e, "cannot read directory");
        }
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
            const full = path.join(dir, e.name);
            const wanted = EXTENSIONS.has(path.extname(e.name).toLowerCase());
            let kind: { isDirectory(): boolean; isFile(): boolean } = e;
            if (e.isSymbolicLink()) {
                try {
                    kind = fs.statSync(full);
                } catch (err) {
                    // A link to nowhere may have been a manifest: say so rather than skip it.
                    if (wanted) throw cannot(full, err, "broken symbolic link, fix or remove it");
                    continue;
                }
            }
            if (kind.isDirectory()) walk(full);
            else if (!wanted) continue;
            else if (!kind.isFile()) throw new ManifestError(full, undefined, "not a regular file");
            else if (once(full)) out.push(full);
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
                throw new ManifestError(
                    file,
                    undefined,
                    `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
                );
            }
            out.push(...parseManifests(text, file));
        }
    }
    return out;
}
