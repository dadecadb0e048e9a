/**
 * Where the render CLI writes (`--out DIR`), without ever losing a file:
 *
 * - Ownership. DIR holds a marker, `.zdp-render`, listing every file the render wrote there. A new render replaces
 *   DIR only when DIR is missing, empty, or holds exactly the files its marker lists; any other file (the user's) makes
 *   it refuse, naming the file, and nothing is deleted.
 * - Atomic results. Files are written into a sibling temporary folder (same filesystem) that is renamed into place, so
 *   an interrupted run leaves the previous complete result or none, never a mix. Leftovers of interrupted runs
 *   (`.DIR.render-tmp-*`, `.DIR.render-old-*`) are removed by the next run.
 * - One run at a time. A lock file beside DIR (`.DIR.render-lock`, created with O_EXCL, holding the pid) refuses a
 *   second run on the same DIR; the lock of a process that no longer exists is taken over.
 * - Filesystem errors (a file where a folder is expected, no permission, a read-only or full filesystem) are one-line
 *   {@link OutputError}s naming the path: the CLI exits 2 without a stack trace.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "./stacks";

/** The marker file listing what the render wrote. */
export const MARKER = ".zdp-render";
const MARKER_TOOL = "zdp render";

/** A problem with the output folder: one line, exit status 2. */
export class OutputError extends UsageError {}

const HINTS: Record<string, string> = {
    ENOTDIR: "a part of the path is a file, not a folder",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EDQUOT: "disk quota exceeded",
    ENAMETOOLONG: "path too long",
    EISDIR: "a folder is where a file is expected",
    ENOENT: "no such file or folder",
    EXDEV: "not on the same filesystem",
    EEXIST: "a file is where a folder is expected",
};

function describe(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) return e instanceof Error ? e.message : String(e);
    return HINTS[code] ? `${code}, ${HINTS[code]}` : code;
}

/** True when a process with this pid exists (EPERM: it exists, owned by someone else). */
/** A lock file that stayed empty: its run was killed between creating it and writing its pid. */
const EMPTY_LOCK = "empty";
/** How long an empty lock file is given to receive its pid (a live run writes it within microseconds). */
const EMPTY_LOCK_GRACE_MS = 1000;

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** What the marker says the render wrote, or undefined when there is no marker; a broken marker is refused. */
function readMarker(dir: string, out: string): Set<string> | undefined {
    const file = path.join(dir, MARKER);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new OutputError(`--out ${out}: cannot read ${MARKER}: ${describe(e)}`);
    }
    try {
        const parsed = JSON.parse(text) as { tool?: unknown; files?: unknown };
        if (
            parsed.tool === MARKER_TOOL &&
            Array.isArray(parsed.files) &&
            parsed.files.every((f) => typeof f === "string")
        ) {
            return new Set(parsed.files as string[]);
        }
    } catch {
        // refused below
    }
    throw new OutputError(
        `--out ${out}: ${MARKER} is not a render marker, so the files there cannot be told apart from yours; ` +
            "choose an empty or new folder",
    );
}

/** Every entry below `dir` that is not a folder (files, links, ...), relative, `/`-separated, sorted. */
function entriesBelow(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) {
                const before = out.length;
                walk(child);
                // An empty folder is an entry too: the render never leaves one, so it is not the render's.
                if (out.length === before) out.push(`${child}/`);
            } else out.push(child);
        }
    };
    walk("");
    return out.sort();
}

/** An output folder, locked for this process: {@link openOutput}, then {@link RenderOutput.commit}. */
export class RenderOutput {
    readonly dir: string;
    private readonly parent: string;
    private readonly base: string;
    readonly lockFile: string;
    private lockIno: number | undefined;
    private tmp: string | undefined;
    private readonly onExit = () => this.release();

    constructor(private readonly out: string) {
        this.dir = path.resolve(out);
        this.parent = path.dirname(this.dir);
        this.base = path.basename(this.dir);
        this.lockFile = path.join(this.parent, `.${this.base}.render-lock`);
    }

    private fail(what: string, e: unknown): OutputError {
        return new OutputError(`--out ${this.out}: ${what}: ${describe(e)}`);
    }

    /** Creates the parent folder, takes the lock, removes leftovers of interrupted runs and checks ownership. */
    open(): this {
        if (this.dir === this.parent) throw new OutputError(`--out ${this.out}: cannot replace a filesystem root`);
        try {
            fs.mkdirSync(this.parent, { recursive: true });
        } catch (e) {
            throw this.fail(`cannot create ${this.parent}`, e);
        }
        this.lock();
        process.on("exit", this.onExit);
        try {
            this.removeLeftovers();
            this.checkOwnership();
        } catch (e) {
            this.release();
            throw e;
        }
        return this;
    }

    private lock(): void {
        for (let attempt = 0; attempt < 2; attempt++) {
            let fd: number;
            try {
                fd = fs.openSync(this.lockFile, "wx", 0o644);
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw this.fail("cannot create the lock file", e);
                const holder = this.lockHolder() ?? this.pidOrEmpty();
                if (attempt === 0 && (holder === EMPTY_LOCK || (holder !== undefined && !alive(holder)))) {
                    // Stale: its process is gone. Move it aside (only one taker can) and try again, once.
                    const aside = `${this.lockFile}.stale-${process.pid}`;
                    try {
                        fs.renameSync(this.lockFile, aside);
                        fs.rmSync(aside, { force: true });
                    } catch {
                        // another run took it over first; the retry reports it
                    }
                    continue;
                }
                const who =
                    holder === undefined || holder === EMPTY_LOCK ? "another render" : `another render (pid ${holder})`;
                throw new OutputError(
                    `--out ${this.out} is being written by ${who}: wait for it to finish, or delete ` +
                        `${this.lockFile} if no render is running`,
                );
            }
            try {
                fs.writeSync(fd, `${process.pid}\n`);
                this.lockIno = fs.fstatSync(fd).ino;
            } finally {
                fs.closeSync(fd);
            }
            return;
        }
    }

    /**
     * For a lock file without a pid: a live run writes its pid right after creating the file, so one that stays
     * empty for {@link EMPTY_LOCK_GRACE_MS} belongs to a run killed in between, and is stale (EMPTY_LOCK). Undefined
     * when the pid appears, or the file holds something else (never judged stale then).
     */
    private pidOrEmpty(): number | typeof EMPTY_LOCK | undefined {
        const deadline = Date.now() + EMPTY_LOCK_GRACE_MS;
        for (;;) {
            let text: string;
            try {
                text = fs.readFileSync(this.lockFile, "utf8");
            } catch {
                return undefined;
            }
            if (text !== "") return this.lockHolder();
            if (Date.now() >= deadline) return EMPTY_LOCK;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
    }

    /** The pid in the lock file; undefined while it is being written or when it is not a pid (never stale then). */
    private lockHolder(): number | undefined {
        try {
            const pid = Number(fs.readFileSync(this.lockFile, "utf8").trim());
            return Number.isInteger(pid) && pid > 0 ? pid : undefined;
        } catch {
            return undefined;
        }
    }

    /** Still this run's lock: the same file (inode) holding this pid (an inode number can be reused). */
    private ownsLock(): boolean {
        try {
            return (
                this.lockIno !== undefined &&
                fs.statSync(this.lockFile).ino === this.lockIno &&
                this.lockHolder() === process.pid
            );
        } catch {
            return false;
        }
    }

    private removeLeftovers(): void {
        const prefixes = [`.${this.base}.render-tmp-`, `.${this.base}.render-old-`];
        let names: string[];
        try {
            names = fs.readdirSync(this.parent);
        } catch (e) {
            throw this.fail(`cannot list ${this.parent}`, e);
        }
        for (const name of names) {
            if (prefixes.some((p) => name.startsWith(p))) {
                // Under the lock no other run writes here: these are left by runs that were interrupted.
                fs.rmSync(path.join(this.parent, name), { recursive: true, force: true });
            }
        }
    }

    private checkOwnership(): void {
        let stat: fs.Stats;
        try {
            stat = fs.lstatSync(this.dir);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
            throw this.fail("cannot read it", e);
        }
        if (stat.isSymbolicLink()) {
            throw new OutputError(
                `--out ${this.out} is a symbolic link; give the folder it points to, or a new folder`,
            );
        }
        if (!stat.isDirectory()) throw new OutputError(`--out ${this.out} is a file, not a folder; choose a folder`);
        let entries: string[];
        try {
            entries = entriesBelow(this.dir);
        } catch (e) {
            throw this.fail("cannot list it", e);
        }
        if (entries.length === 0) return;
        const ours = readMarker(this.dir, this.out);
        const foreign = entries.filter((f) => f !== MARKER && !ours?.has(f));
        if (foreign.length > 0) {
            const shown =
                foreign.slice(0, 3).join(", ") + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : "");
            // Output of a render from before the marker existed looks the same: the user decides, not the tool.
            const older = ours ? "" : ` (no ${MARKER} marker; if it is an older render's output, delete the folder)`;
            throw new OutputError(
                `--out ${this.out} holds ${foreign.length} file(s) the render did not write (${shown})${older}; ` +
                    "the render replaces the whole folder, so choose an empty or new folder, or move them away",
            );
        }
    }

    /**
     * Writes `files` (relative `/`-separated path to content) as the folder's new content: into a sibling
     * temporary folder, then renamed into place.
     */
    commit(files: ReadonlyMap<string, string>): void {
        if (!this.ownsLock()) {
            throw new OutputError(
                `--out ${this.out}: the lock ${this.lockFile} was taken by another run; nothing written`,
            );
        }
        const tmp = path.join(this.parent, `.${this.base}.render-tmp-${process.pid}`);
        this.tmp = tmp;
        try {
            fs.mkdirSync(tmp);
            for (const [rel, content] of files) {
                const full = path.join(tmp, ...rel.split("/"));
                fs.mkdirSync(path.dirname(full), { recursive: true });
                fs.writeFileSync(full, content);
            }
            const marker = { tool: MARKER_TOOL, files: [...files.keys()].sort() };
            fs.writeFileSync(path.join(tmp, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
        } catch (e) {
            throw this.fail(`cannot write in ${this.parent}`, e);
        }
        if (!this.ownsLock()) {
            throw new OutputError(
                `--out ${this.out}: the lock ${this.lockFile} was taken by another run; nothing written`,
            );
        }
        const old = path.join(this.parent, `.${this.base}.render-old-${process.pid}`);
        let moved = false;
        try {
            if (fs.existsSync(this.dir)) {
                fs.renameSync(this.dir, old);
                moved = true;
            }
            fs.renameSync(tmp, this.dir);
            this.tmp = undefined;
        } catch (e) {
            if (moved) {
                try {
                    fs.renameSync(old, this.dir);
                } catch {
                    // the previous result stays complete in `old`, removed by the next run
                }
            }
            throw this.fail("cannot move the result into place", e);
        }
        if (moved) fs.rmSync(old, { recursive: true, force: true });
    }

    /** Removes the temporary folder (if a commit did not finish) and the lock, when it is still this run's. */
    release(): void {
        process.removeListener("exit", this.onExit);
        if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
        this.tmp = undefined;
        if (this.ownsLock()) fs.rmSync(this.lockFile, { force: true });
        this.lockIno = undefined;
    }
}

/** Opens `--out DIR` for writing: see the module comment. Call before the (long) render, so a mistake shows at once. */
export function openOutput(out: string): RenderOutput {
    return new RenderOutput(out).open();
}
