/**
 * Secret hygiene of a Pulumi project's configuration files: `Pulumi.yaml` and every `Pulumi.<stack>.yaml` beside it.
 *
 * - A key that `Pulumi.yaml` declares `secret: true` has no `default` there, and in a stack file holds only Pulumi
 *   ciphertext (`{secure: "v1:…"}`, what `pulumi config set --secret` writes), at every leaf of a structured value.
 * - A `secure:` value is Pulumi ciphertext (`v1:<nonce>:<ciphertext>`), not a plaintext pasted under `secure:`.
 * - No plaintext value in either file is a credential by secretlint's recommended rules, base64-encoded or not.
 *
 * Problems name the file, the line and the key, never the value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Document, LineCounter, Node, Pair, Scalar, isMap, isScalar, isSeq, parseDocument } from "yaml";
import { decodeBase64Text, describeFindings, findCredentials } from "./lint";

/** One problem in a project or stack file. */
export interface StackFileProblem {
    /** File name relative to the project directory. */
    file: string;
    /** 1-based line. */
    line: number;
    /** The configuration key (`zdp:alertWebhookUrl`), or undefined for a problem with the file itself. */
    key?: string;
    message: string;
}

/** Pulumi's ciphertext format for config secrets (every secrets provider encrypts values this way). */
const CIPHERTEXT = /^v1:[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/;

/**
 * `Pulumi.<stack>.yaml` (and `.yml`) file names in a project directory, sorted; a stack name may hold dots
 * (`Pulumi.prod.eu.yaml`).
 */
export function stackFileNames(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .filter((f) => /^Pulumi\..+\.ya?ml$/.test(f))
        .sort();
}

interface Parsed {
    doc: Document;
    lines: LineCounter;
}

function parse(file: string, text: string, problems: StackFileProblem[]): Parsed | undefined {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        problems.push({
            file,
            line: e.linePos?.[0]?.line ?? 1,
            message: `not valid YAML: ${e.message.split("\n")[0]}`,
        });
        return undefined;
    }
    return { doc, lines };
}

function lineOf(p: Parsed, node: Node | Pair | null | undefined): number {
    const range = (node as Node | undefined)?.range ?? ((node as Pair | undefined)?.key as Node | undefined)?.range;
    return range ? p.lines.linePos(range[0]).line : 1;
}

/** True for `{secure: <string>}`. */
function isSecureNode(node: unknown): node is Node {
    if (!isMap(node) || node.items.length !== 1) return false;
    const key = node.items[0].key;
    return isScalar(key) && key.value === "secure";
}

/** Names that `Pulumi.yaml` declares `secret: true`, qualified (`project:key`), with the line of each declaration. */
function declaredSecrets(
    project: Parsed,
    projectName: string,
    file: string,
    problems: StackFileProblem[],
): Set<string> {
    const out = new Set<string>();
    const config = project.doc.get("config", true);
    if (!isMap(config)) return out;
    for (const pair of config.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined || !isMap(pair.value)) continue;
        const decl = pair.value;
        if (decl.get("secret") !== true) continue;
        const qualified = key.includes(":") ? key : `${projectName}:${key}`;
        out.add(qualified);
        if (decl.has("default")) {
            problems.push({
                file,
                line: lineOf(project, decl.get("default", true) as Node),
                key: qualified,
                message: `${qualified} is declared secret: true but has a default: a default is plaintext in the repository; drop it and set the value per stack with pulumi config set --secret`,
            });
        }
    }
    return out;
}

/** The string leaves of a config value that are plaintext, with their nodes. */
function plaintextLeaves(node: unknown, out: Scalar[] = [], depth = 0): Scalar[] {
    if (depth > 32 || isSecureNode(node)) return out;
    if (isScalar(node)) {
        if (node.value !== null && node.value !== "") out.push(node);
    } else if (isMap(node)) {
        for (const pair of node.items) plaintextLeaves(pair.value, out, depth + 1);
    } else if (isSeq(node)) {
        for (const item of node.items) plaintextLeaves(item, out, depth + 1);
    }
    return out;
}

/** Every `{secure: …}` node below a config value. */
function secureNodes(node: unknown, out: Node[] = [], depth = 0): Node[] {
    if (depth > 32) return out;
    if (isSecureNode(node)) out.push(node);
    else if (isMap(node)) for (const pair of node.items) secureNodes(pair.value, out, depth + 1);
    else if (isSeq(node)) for (const item of node.items) secureNodes(item, out, depth + 1);
    return out;
}

/** The key as `pulumi config set` takes it: without the prefix when it is the project's own. */
function shortKey(qualified: string, projectName: string): string {
    return qualified.startsWith(`${projectName}:`) ? qualified.slice(projectName.length + 1) : qualified;
}

/** The secretlint findings of one plaintext config value, as problems. */
async function lintValue(
    file: string,
    key: string,
    leaf: Scalar,
    line: number,
    out: StackFileProblem[],
): Promise<void> {
    const text = typeof leaf.value === "string" ? leaf.value : String(leaf.value);
    const prefix = `${key.split(":").pop()}: `;
    let found = await findCredentials(`${prefix}${text}`, file);
    let encoded = "";
    // A value base64-encoded to hide it: decoded the way the no-plaintext-credentials policy decodes values.
    const decoded = found.length === 0 && text.length >= 16 ? decodeBase64Text(text) : undefined;
    if (decoded !== undefined) {
        found = await findCredentials(`${prefix}${decoded}`, file);
        encoded = " (base64-encoded; base64 is an encoding, not encryption)";
    }
    if (found.length > 0) {
        out.push({
            file,
            line,
            key,
            message: `${key} holds a plaintext ${describeFindings(found)}${encoded}; store it with pulumi config set --secret and rotate it`,
        });
    }
}

/**
 * Checks `Pulumi.yaml` and the stack files of the project in `projectDir` (all of them, or the stack files named in
 * `stackFiles`). Returns the problems, sorted by file and line.
 */
export async function checkStackFiles(
    projectDir: string,
    stackFiles = stackFileNames(projectDir),
): Promise<StackFileProblem[]> {
    const problems: StackFileProblem[] = [];
    const projectFile = "Pulumi.yaml";
    const projectPath = path.join(projectDir, projectFile);
    if (!fs.existsSync(projectPath)) return problems;
    const project = parse(projectFile, fs.readFileSync(projectPath, "utf8"), problems);
    if (!project) return problems;
    const projectName = String(project.doc.get("name") ?? "");
    const secrets = declaredSecrets(project, projectName, projectFile, problems);
    const pending: Promise<void>[] = [];

    // Plaintext in the project file (defaults, descriptions) must not be a credential either.
    const projectConfig = project.doc.get("config", true);
    if (isMap(projectConfig)) {
        for (const pair of projectConfig.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : "";
            const qualified = key.includes(":") ? key : `${projectName}:${key}`;
            for (const leaf of plaintextLeaves(pair.value)) {
                pending.push(lintValue(projectFile, qualified, leaf, lineOf(project, leaf), problems));
            }
        }
    }

    for (const file of stackFiles) {
        const parsed = parse(file, fs.readFileSync(path.join(projectDir, file), "utf8"), problems);
        if (!parsed) continue;
        const config = parsed.doc.get("config", true);
        if (config === undefined || config === null) continue;
        if (!isMap(config)) {
            problems.push({ file, line: lineOf(parsed, config as Node), message: "config must be a mapping" });
            continue;
        }
        for (const pair of config.items) {
            const key = isScalar(pair.key) ? String(pair.key.value) : "";
            const qualified = key.includes(":") ? key : `${projectName}:${key}`;
            for (const node of secureNodes(pair.value)) {
                const v = (node as unknown as { get(k: string): unknown }).get("secure");
                if (typeof v !== "string" || !CIPHERTEXT.test(v)) {
                    problems.push({
                        file,
                        line: lineOf(parsed, node),
                        key: qualified,
                        message: `${qualified} has a secure: value that is not Pulumi ciphertext (v1:…); set it with pulumi config set --secret instead of editing the file`,
                    });
                }
            }
            const leaves = plaintextLeaves(pair.value);
            if (secrets.has(qualified) && leaves.length > 0) {
                problems.push({
                    file,
                    line: lineOf(parsed, leaves[0]),
                    key: qualified,
                    message: `${qualified} is declared secret: true in Pulumi.yaml but holds a plaintext value; set it with pulumi config set --secret ${shortKey(qualified, projectName)} and rotate the exposed value`,
                });
            }
            for (const leaf of leaves) pending.push(lintValue(file, qualified, leaf, lineOf(parsed, leaf), problems));
        }
    }
    await Promise.all(pending);
    // One problem per file, line and key: the declared-secret problem already covers a credential on the same line.
    const seen = new Set<string>();
    return problems
        .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)
        .filter((p) => {
            const id = `${p.file}:${p.line}:${p.key ?? ""}`;
            if (seen.has(id)) return false;
            seen.add(id);
            return true;
        });
}
