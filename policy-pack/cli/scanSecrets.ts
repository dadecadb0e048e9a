/**
 * Repository secrets scan: secretlint's engine with its recommended rule preset, configured as in
 * `policy-pack/secrets/lint.ts` (the same rules the policy pack applies to manifests; `.secretlintrc.json` mirrors
 * them for running secretlint directly), over the git repository that contains the current directory, plus the
 * Pulumi stack-file check (`policy-pack/secrets/stackFiles.ts`). There is no allow-list: `.secretlintignore` must
 * stay empty (a test checks) and `secretlint-disable` comments are not honoured.
 *
 *   npm run scan:secrets                                   # every tracked file (git ls-files)
 *   npm run scan:secrets -- --changed-since origin/main    # a change: see below
 *
 * --changed-since REF scans the files changed between the merge base of REF and HEAD (as they are now), and every
 * earlier version of them that a commit in REF..HEAD wrote, merge commits included (a version a merge wrote that is in
 * none of its parents, such as a conflict resolution): a credential committed and then deleted within a pull request
 * is still in its history. --max-commits bounds that walk (default 500; more commits is an error, not a silent
 * partial scan).
 *
 * Nothing is skipped for its size: a file or version larger than 4 MiB is linted in windows of that size which
 * overlap by 64 KiB, so a credential up to that long is whole in one of them. Base64 tokens are decoded and linted
 * too, with the decoding the no-plaintext-credentials policy uses (`decodeBase64Text`).
 *
 * A finding prints as `file:line:column: rule kind: message` with the secret masked by secretlint (runs of `*` are
 * shortened so that not even the length shows); the matched text itself is never printed.
 * `--format sarif` prints SARIF 2.1.0 instead (for code scanning; see ../lib/reports.ts): every finding with its file,
 * line, rule, severity, enforcement level (always mandatory: any finding fails the scan) and remediation.
 * `--output FILE` writes the report to FILE; the summary always goes to standard error.
 * Exit status: 0 nothing found, 1 something found, 2 usage error or git failure.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { CredentialFinding, findCredentials, findEncodedCredentials } from "../secrets/lint";
import { checkStackFiles, stackFileNames } from "../secrets/stackFiles";
import { Finding, ReportRule, ReportWriteError, sarifReport, writeReport } from "../lib/reports";

const USAGE = `usage: npm run scan:secrets -- [--changed-since REF] [--max-commits N] [--format text|sarif] [--output FILE]

  (no option)           scan every tracked file (git ls-files) and the Pulumi stack files
  --changed-since REF   scan the files changed since the merge base of REF and HEAD, and their earlier
                        versions in the commits REF..HEAD (for pull requests: origin/<base branch>)
  --max-commits N       most commits --changed-since walks (default 500)
  --format FMT          text (default) or sarif (SARIF 2.1.0, for code scanning)
  --output FILE         write the report to FILE instead of standard output

exit status: 0 nothing found, 1 credentials found, 2 usage or git error`;

/** A user or environment error: one message, exit status 2. */
export class ScanError extends Error {}

/** One finding, ready to print. */
export interface ScanFinding {
    /** Path relative to the repository root. */
    file: string;
    line: number;
    column?: number;
    /** `slack IncomingWebhook` or `stack-config`. */
    rule: string;
    /** Masked message. */
    message: string;
    /** Commit that wrote this version, for earlier versions found by --changed-since. */
    commit?: string;
}

interface Io {
    stdout: (s: string) => void;
    stderr: (s: string) => void;
    cwd: string;
}

/** Files linted at once (bounded so that memory stays flat on large repositories). */
const CONCURRENCY = 16;
/** Text linted at once: larger files and blobs are linted in windows of this size. */
export const CHUNK_BYTES = 4 * 1024 * 1024;
/** How much consecutive windows overlap: a credential up to this long is whole in at least one window. */
export const OVERLAP_BYTES = 64 * 1024;

function git(cwd: string, args: string[], maxBuffer = 64 * 1024 * 1024): string {
    try {
        return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new ScanError(`git ${args.join(" ")} failed: ${(err.stderr || err.message).trim().split("\n")[0]}`);
    }
}

/** A blob's content as a stream (never whole in memory); a failing `git cat-file` is a {@link ScanError}. */
async function* gitBlob(cwd: string, blob: string): AsyncGenerator<Buffer> {
    const child = spawn("git", ["cat-file", "blob", blob], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", resolve);
    });
    try {
        for await (const piece of child.stdout) yield piece as Buffer;
    } finally {
        if (child.exitCode === null) child.kill();
    }
    const code = await exited.catch((e: Error) => {
        throw new ScanError(`git cat-file blob ${blob} failed: ${e.message}`);
    });
    if (code !== 0) throw new ScanError(`git cat-file blob ${blob} failed: ${stderr.trim().split("\n")[0]}`);
}

/** A file's content as a stream; a file that cannot be read is a {@link ScanError} (never a silent pass). */
async function* fileContent(full: string, rel: string): AsyncGenerator<Buffer> {
    try {
        for await (const piece of fs.createReadStream(full, { highWaterMark: 1024 * 1024 })) yield piece as Buffer;
    } catch (e) {
        throw new ScanError(`${rel}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
}

function countNewlines(b: Buffer): number {
    let n = 0;
    for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
    return n;
}

/**
 * Cuts a stream into windows of at most `chunk` bytes (at a line end where there is one) that overlap by at least
 * `overlap` bytes, each with the 0-based line its first byte is on. Content up to `chunk` bytes is one window.
 */
export async function* windows(
    source: AsyncIterable<Buffer>,
    chunk = CHUNK_BYTES,
    overlap = OVERLAP_BYTES,
): AsyncGenerator<{ bytes: Buffer; line: number }> {
    if (!(chunk > 2 * overlap)) throw new Error("windows: chunk must be more than twice the overlap");
    let buf: Buffer = Buffer.alloc(0);
    let line = 0;
    for await (const piece of source) {
        buf = buf.length === 0 ? piece : Buffer.concat([buf, piece]);
        while (buf.length > chunk) {
            // End at the last line end in the window, unless that leaves too little (one very long line).
            let end = buf.lastIndexOf(10, chunk - 1) + 1;
            if (end <= 2 * overlap) end = chunk;
            yield { bytes: buf.subarray(0, end), line };
            // Start the next window at a line start at least `overlap` bytes before the end (always > 0).
            let start = buf.lastIndexOf(10, end - overlap - 1) + 1;
            if (start <= 0) start = end - overlap;
            line += countNewlines(buf.subarray(0, start));
            buf = buf.subarray(start);
        }
    }
    if (buf.length > 0 || line === 0) yield { bytes: buf, line };
}

const splitZ = (s: string) => s.split("\0").filter((x) => x !== "");

/** Regular files only: a tracked symlink could point outside the repository. */
function isRegularFile(root: string, rel: string): boolean {
    try {
        return fs.lstatSync(path.join(root, rel)).isFile();
    } catch {
        return false;
    }
}

/** Binary content, by git's own test: a NUL byte near the start. */
function isBinary(content: Buffer): boolean {
    return content.subarray(0, 8000).includes(0);
}

/**
 * The findings in one file's (or blob's) content, read as a stream and linted window by window (see
 * {@link windows}); findings in the overlap of two windows are reported once. Binary content (a NUL byte near the
 * start, git's own test) is not text and is not linted.
 */
async function lintContent(
    file: string,
    content: AsyncIterable<Buffer>,
    commit?: string,
    chunk = CHUNK_BYTES,
    overlap = OVERLAP_BYTES,
): Promise<{ findings: ScanFinding[]; windows: number }> {
    const out = new Map<string, ScanFinding>();
    let count = 0;
    for await (const w of windows(content, chunk, overlap)) {
        if (count++ === 0 && isBinary(w.bytes)) {
            // Drain nothing more: the rest of a binary file is not read.
            return { findings: [], windows: 0 };
        }
        const text = w.bytes.toString("utf8");
        const name = path.basename(file);
        const found: CredentialFinding[] = [
            ...(await findCredentials(text, name)),
            ...(await findEncodedCredentials(text, name)),
        ];
        for (const f of found) {
            const line = w.line + f.line;
            const key = `${line}:${f.rule}:${f.kind}:${f.column}`;
            if (!out.has(key)) {
                out.set(key, { file, line, column: f.column, rule: `${f.rule} ${f.kind}`, message: f.message, commit });
            }
        }
    }
    return { findings: [...out.values()], windows: count };
}

/** Runs `fn` over `items`, at most {@link CONCURRENCY} at a time, keeping the order of the results. */
async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return out;
}

/**
 * Blobs that commits in base..HEAD wrote, excluding those still at HEAD. A merge commit contributes the blobs that
 * differ from every one of its parents (git's combined diff): what the merge itself wrote, such as a conflict
 * resolution; what it brings in from a parent is the business of that parent's own commits.
 */
function historyBlobs(
    root: string,
    mergeBase: string,
    maxCommits: number,
): { commits: number; blobs: { blob: string; file: string; commit: string }[] } {
    const commits = git(root, ["rev-list", "--reverse", `${mergeBase}..HEAD`])
        .split("\n")
        .filter((c) => c !== "");
    if (commits.length > maxCommits) {
        throw new ScanError(
            `${commits.length} commits since the merge base, more than --max-commits ${maxCommits}; raise it to scan them all`,
        );
    }
    const atHead = new Set<string>();
    for (const entry of splitZ(git(root, ["ls-tree", "-r", "-z", "HEAD"]))) {
        const m = /^\d+ blob ([0-9a-f]+)\t/.exec(entry);
        if (m) atHead.add(m[1]);
    }
    const seen = new Set<string>();
    const blobs: { blob: string; file: string; commit: string }[] = [];
    for (const commit of commits) {
        // Raw format, NUL-separated: ":<old mode> <new mode> <old blob> <new blob> <status>\0<path>[\0<new path>]\0";
        // for a merge (-c), one colon per parent and the old modes and blobs of each: "::<m1> <m2> <new mode> <b1>
        // <b2> <new blob> <status per parent>\0<path>\0" (no renames in a combined diff).
        const fields = splitZ(git(root, ["diff-tree", "-r", "-z", "-c", "--root", "--no-commit-id", "--raw", commit]));
        for (let i = 0; i < fields.length; i++) {
            const colons = /^:+/.exec(fields[i])?.[0].length ?? 0;
            if (colons === 0) continue;
            const parts = fields[i].slice(colons).split(" ");
            // parents + 1 modes, parents + 1 blobs, then the status.
            const parents = colons;
            const mode = parts[parents];
            const blob = parts[2 * parents + 1];
            const status = parts[2 * parents + 2] ?? "";
            const renamed = parents === 1 && /^[RC]/.test(status);
            const file = renamed ? fields[i + 2] : fields[i + 1];
            i += renamed ? 2 : 1;
            // Deleted (no new blob) and unmerged entries have nothing to read.
            if (status.includes("D") || !blob || /^0+$/.test(blob)) continue;
            // Regular files only (no symlinks or submodules).
            if (!mode.startsWith("100") || atHead.has(blob) || seen.has(blob)) continue;
            seen.add(blob);
            blobs.push({ blob, file, commit });
        }
    }
    return { commits: commits.length, blobs };
}

/** Scans the repository that contains `cwd`; returns the findings and a one-line summary. */
export async function scan(
    cwd: string,
    options: {
        changedSince?: string;
        maxCommits?: number;
        /** Window size and overlap for large content (tests make them small); defaults {@link CHUNK_BYTES}. */
        chunkBytes?: number;
        overlapBytes?: number;
    } = {},
): Promise<{ findings: ScanFinding[]; summary: string }> {
    const root = git(cwd, ["rev-parse", "--show-toplevel"]).trim();
    let files: string[];
    let history = { commits: 0, blobs: [] as { blob: string; file: string; commit: string }[] };
    if (options.changedSince !== undefined) {
        const ref = options.changedSince;
        try {
            execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
                cwd: root,
                stdio: "ignore",
            });
        } catch {
            throw new ScanError(
                `--changed-since ${ref}: no such commit here (in CI, fetch it: actions/checkout with fetch-depth: 0)`,
            );
        }
        const mergeBase = git(root, ["merge-base", ref, "HEAD"]).trim();
        files = splitZ(git(root, ["diff", "-z", "--name-only", "--diff-filter=ACMRT", mergeBase, "HEAD"]));
        history = historyBlobs(root, mergeBase, options.maxCommits ?? 500);
    } else {
        files = splitZ(git(root, ["ls-files", "-z"]));
    }
    files = [...new Set(files)].filter((f) => isRegularFile(root, f)).sort();

    const chunk = options.chunkBytes ?? CHUNK_BYTES;
    const overlap = options.overlapBytes ?? OVERLAP_BYTES;
    let chunked = 0;
    const lintAll = async (results: { findings: ScanFinding[]; windows: number }[]) => {
        chunked += results.filter((r) => r.windows > 1).length;
        return results.flatMap((r) => r.findings);
    };
    const findings = await lintAll(
        await mapBounded(files, (file) =>
            lintContent(file, fileContent(path.join(root, file), file), undefined, chunk, overlap),
        ),
    );
    findings.push(
        ...(await lintAll(
            await mapBounded(history.blobs, ({ blob, file, commit }) =>
                lintContent(file, gitBlob(root, blob), commit, chunk, overlap),
            ),
        )),
    );

    // Stack files: all tracked ones in a full scan; for a change, those it touches, or all when Pulumi.yaml changed
    // (a key newly declared secret: true must not stay plaintext in any stack).
    const projectChanged = files.includes("Pulumi.yaml");
    const stackFiles = stackFileNames(root).filter(
        (f) => files.includes(f) || (options.changedSince !== undefined && projectChanged),
    );
    let checkedStacks = 0;
    if ((stackFiles.length > 0 || projectChanged) && fs.existsSync(path.join(root, "Pulumi.yaml"))) {
        checkedStacks = stackFiles.length;
        for (const p of await checkStackFiles(root, stackFiles)) {
            findings.push({ file: p.file, line: p.line, rule: "stack-config", message: p.message });
        }
    }

    findings.sort(
        (a, b) => a.file.localeCompare(b.file) || a.line - b.line || (a.commit ?? "").localeCompare(b.commit ?? ""),
    );
    const scope =
        options.changedSince === undefined
            ? `${files.length} tracked file(s)`
            : `${files.length} changed file(s) and ${history.blobs.length} earlier version(s) from ${history.commits} commit(s) since ${options.changedSince}`;
    const stacks = checkedStacks ? `, ${checkedStacks} stack file(s)` : "";
    const big = chunked ? ` (${chunked} large file(s) and version(s) scanned in overlapping windows)` : "";
    return {
        findings,
        summary: `secrets scan: ${scope}${stacks}: ${findings.length ? `${findings.length} finding(s)` : "no credentials found"}${big}`,
    };
}

/** What to do about any finding: the same advice the text report ends with. */
export const REMEDIATION =
    "Remove the credential from the file (and from history), rotate it, and keep it as Pulumi secret config " +
    "instead: see docs/secrets.md.";

/** The report rule of a finding: the secretlint rule and kind (`@secretlint/secretlint-rule-slack/IncomingWebhook`). */
function ruleIdOf(f: ScanFinding): string {
    return f.rule.replace(/ /g, "/");
}

/** The findings as a SARIF 2.1.0 log: one rule per secretlint rule and kind found (and the stack-file check). */
export function sarifOfScan(findings: readonly ScanFinding[]): string {
    const ids = [...new Set(["stack-config", ...findings.map(ruleIdOf)])].sort();
    const rules: ReportRule[] = ids.map((id) => ({
        id,
        description:
            id === "stack-config"
                ? "A value that the project declares secret (or that looks like a credential) is in plain text in a Pulumi stack file."
                : `A credential that secretlint's rule ${id} recognises is in a tracked file or an earlier version of one.`,
        severity: "critical",
        enforcementLevel: "mandatory",
        remediation: REMEDIATION,
        tags: ["secrets"],
    }));
    const out: Finding[] = findings.map((f) => ({
        file: f.file,
        line: f.line,
        column: f.column,
        policy: ruleIdOf(f),
        severity: "critical",
        enforcementLevel: "mandatory",
        remediation: REMEDIATION,
        message: f.message,
        subject: f.commit ? `version written by commit ${f.commit.slice(0, 12)}` : undefined,
    }));
    return sarifReport({ name: "zdp-scan-secrets", version: SCANNER_VERSION }, rules, out);
}

// The policy pack's version: the scanner ships with it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SCANNER_VERSION = (require("../package.json") as { version: string }).version;

export function formatFinding(f: ScanFinding): string {
    const where = `${f.file}:${f.line}${f.column ? `:${f.column}` : ""}`;
    const version = f.commit ? ` (version written by commit ${f.commit.slice(0, 12)})` : "";
    return `${where}${version}: ${f.rule}: ${f.message}`;
}

/** Runs the scan with command-line arguments; returns the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                "changed-since": { type: "string" },
                "max-commits": { type: "string" },
                format: { type: "string", default: "text" },
                output: { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
        }));
    } catch (e) {
        io.stderr(`scan:secrets: ${(e as Error).message}\n${USAGE}\n`);
        return 2;
    }
    if (values.help) {
        io.stdout(`${USAGE}\n`);
        return 0;
    }
    if (values.format !== "text" && values.format !== "sarif") {
        io.stderr(`scan:secrets: --format must be text or sarif, got "${values.format}"\n`);
        return 2;
    }
    if (values.output === "") {
        io.stderr(`scan:secrets: --output needs a file name\n`);
        return 2;
    }
    const maxCommits = values["max-commits"] === undefined ? undefined : Number(values["max-commits"]);
    if (maxCommits !== undefined && (!Number.isInteger(maxCommits) || maxCommits < 1)) {
        io.stderr(`scan:secrets: --max-commits must be a positive integer\n`);
        return 2;
    }
    try {
        const { findings, summary } = await scan(io.cwd, { changedSince: values["changed-since"], maxCommits });
        let text: string;
        if (values.format === "sarif") {
            text = sarifOfScan(findings);
        } else {
            text = findings.map((f) => `${formatFinding(f)}\n`).join("");
            if (findings.length > 0) {
                text +=
                    "Remove each credential from the file (and from history), rotate it, and keep it as Pulumi secret " +
                    "config instead: see docs/secrets.md.\n";
            }
        }
        writeReport(text, values.output, io.stdout);
        io.stderr(`${summary}\n`);
        return findings.length > 0 ? 1 : 0;
    } catch (e) {
        if (e instanceof ScanError || e instanceof ReportWriteError) {
            io.stderr(`scan:secrets: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    main(process.argv.slice(2), {
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
        cwd: process.cwd(),
    }).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`scan:secrets: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exitCode = 2;
        },
    );
}
