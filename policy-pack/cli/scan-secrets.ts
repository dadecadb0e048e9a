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
 * earlier version of them that a commit in REF..HEAD wrote: a credential committed and then deleted within a pull
 * request is still in its history. --max-commits bounds that walk (default 500; more commits is an error, not a
 * silent partial scan).
 *
 * A finding prints as `file:line:column: rule kind: message` with the secret masked by secretlint (runs of `*` are
 * shortened so that not even the length shows); the matched text itself is never printed.
 * Exit status: 0 nothing found, 1 something found, 2 usage error or git failure.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { findCredentials } from "../secrets/lint";
import { checkStackFiles, stackFileNames } from "../secrets/stackFiles";

const USAGE = `usage: npm run scan:secrets -- [--changed-since REF] [--max-commits N]

  (no option)           scan every tracked file (git ls-files) and the Pulumi stack files
  --changed-since REF   scan the files changed since the merge base of REF and HEAD, and their earlier
                        versions in the commits REF..HEAD (for pull requests: origin/<base branch>)
  --max-commits N       most commits --changed-since walks (default 500)

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
/** Files and blobs larger than this are not linted; the summary names them. */
const MAX_BYTES = 10 * 1024 * 1024;

function git(cwd: string, args: string[], maxBuffer = 64 * 1024 * 1024): string {
    try {
        return execFileSync("git", args, { cwd, encoding: "utf8", maxBuffer, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new ScanError(`git ${args.join(" ")} failed: ${(err.stderr || err.message).trim().split("\n")[0]}`);
    }
}

function gitBuffer(cwd: string, args: string[]): Buffer {
    try {
        return execFileSync("git", args, { cwd, maxBuffer: MAX_BYTES * 2, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        throw new ScanError(`git ${args.join(" ")} failed: ${(e as Error).message.split("\n")[0]}`);
    }
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

/** The findings in one file's (or blob's) content. */
async function lintContent(file: string, content: Buffer, commit?: string): Promise<ScanFinding[]> {
    if (isBinary(content)) return [];
    const found = await findCredentials(content.toString("utf8"), path.basename(file));
    return found.map((f) => ({
        file,
        line: f.line,
        column: f.column,
        rule: `${f.rule} ${f.kind}`,
        message: f.message,
        commit,
    }));
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

/** Blobs that commits in base..HEAD wrote (non-merge commits), excluding those still at HEAD. */
function historyBlobs(
    root: string,
    mergeBase: string,
    maxCommits: number,
): { commits: number; blobs: { blob: string; file: string; commit: string }[] } {
    const commits = git(root, ["rev-list", "--no-merges", "--reverse", `${mergeBase}..HEAD`])
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
        // Raw format, NUL-separated: ":<old mode> <new mode> <old blob> <new blob> <status>\0<path>[\0<new path>]\0".
        const fields = splitZ(
            git(root, ["diff-tree", "-r", "-z", "--no-commit-id", "--diff-filter=ACMRT", "--raw", commit]),
        );
        for (let i = 0; i < fields.length; i++) {
            const m = /^:\d+ (\d+) [0-9a-f]+ ([0-9a-f]+) ([A-Z])\d*$/.exec(fields[i]);
            if (!m) continue;
            const [, mode, blob, status] = m;
            const file = status === "R" || status === "C" ? fields[i + 2] : fields[i + 1];
            i += status === "R" || status === "C" ? 2 : 1;
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
    options: { changedSince?: string; maxCommits?: number } = {},
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

    const skipped: string[] = [];
    const findings = (
        await mapBounded(files, async (file) => {
            const full = path.join(root, file);
            if (fs.statSync(full).size > MAX_BYTES) {
                skipped.push(file);
                return [];
            }
            return lintContent(file, fs.readFileSync(full));
        })
    ).flat();
    const older = await mapBounded(history.blobs, async ({ blob, file, commit }) => {
        if (Number(git(root, ["cat-file", "-s", blob]).trim()) > MAX_BYTES) {
            skipped.push(`${file} (commit ${commit.slice(0, 12)})`);
            return [];
        }
        return lintContent(file, gitBuffer(root, ["cat-file", "blob", blob]), commit);
    });
    findings.push(...older.flat());

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
    const big = skipped.length
        ? `; NOT scanned, larger than ${MAX_BYTES / 1024 / 1024} MiB: ${skipped.sort().join(", ")}`
        : "";
    return {
        findings,
        summary: `secrets scan: ${scope}${stacks}: ${findings.length ? `${findings.length} finding(s)` : "no credentials found"}${big}`,
    };
}

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
    const maxCommits = values["max-commits"] === undefined ? undefined : Number(values["max-commits"]);
    if (maxCommits !== undefined && (!Number.isInteger(maxCommits) || maxCommits < 1)) {
        io.stderr(`scan:secrets: --max-commits must be a positive integer\n`);
        return 2;
    }
    try {
        const { findings, summary } = await scan(io.cwd, { changedSince: values["changed-since"], maxCommits });
        for (const f of findings) io.stdout(`${formatFinding(f)}\n`);
        if (findings.length > 0) {
            io.stdout(
                "Remove each credential from the file (and from history), rotate it, and keep it as Pulumi secret " +
                    'config instead: see README, "Secrets: how a team adds one the right way".\n',
            );
        }
        io.stderr(`${summary}\n`);
        return findings.length > 0 ? 1 : 0;
    } catch (e) {
        if (e instanceof ScanError) {
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
