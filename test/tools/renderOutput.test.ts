/**
 * `render --out` loses no file (tools/renderOutput.ts): it replaces only its own earlier output, atomically,
 * one run at a time, and filesystem errors are one line with exit status 2. The folder logic is tested directly
 * (fast); the CLI is run for what only the whole program shows (two renders at once, a read-only filesystem).
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { MARKER, OutputError, RenderOutput, openOutput } from "../../tools/renderOutput";
import { REPO_ROOT, RENDER_CLI, freshDir, listFiles, readRenderDir, runRenderCli } from "../helpers/renderedStack";

const TSX = pathToFileURL(require.resolve("tsx")).href;
const STACK_TRACE_LINE = /^\s+at /m;

/** Writes `files` through a fresh open/commit/release, as one render run does. */
function render(out: string, files: Record<string, string>): void {
    const output = openOutput(out);
    try {
        output.commit(new Map(Object.entries(files)));
    } finally {
        output.release();
    }
}

const read = (dir: string, rel: string) => fs.readFileSync(path.join(dir, rel), "utf8");

describe("render --out: the output folder", function () {
    this.timeout(120_000);
    let base: string;
    let out: string;

    beforeEach(() => {
        base = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-render-out-"));
        out = path.join(base, "out");
    });
    afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

    it("writes a new folder with a marker of its files, and leaves no lock or temporary folder beside it", () => {
        render(out, { "manifests/a.yaml": "a: 1\n", "resources.json": "{}\n" });
        assert.deepEqual(listFiles(out), [MARKER, path.join("manifests", "a.yaml"), "resources.json"]);
        assert.deepEqual(JSON.parse(read(out, MARKER)).files, ["manifests/a.yaml", "resources.json"]);
        assert.deepEqual(fs.readdirSync(base), ["out"]);
    });

    it("replaces its own earlier output, files it no longer writes included", () => {
        render(out, { "manifests/a.yaml": "a: 1\n", "manifests/old.yaml": "o: 1\n", "resources.json": "{}\n" });
        render(out, { "manifests/a.yaml": "a: 2\n", "resources.json": "[]\n" });
        assert.deepEqual(listFiles(out), [MARKER, path.join("manifests", "a.yaml"), "resources.json"]);
        assert.equal(read(out, "manifests/a.yaml"), "a: 2\n");
    });

    it("takes an empty existing folder", () => {
        fs.mkdirSync(out);
        render(out, { "resources.json": "{}\n" });
        assert.equal(read(out, "resources.json"), "{}\n");
    });

    const foreign: [string, (dir: string) => void, RegExp][] = [
        ["a user file beside the output", (d) => fs.writeFileSync(path.join(d, "notes.md"), "mine"), /\(notes\.md\)/],
        [
            "a user file inside manifests/",
            (d) => fs.writeFileSync(path.join(d, "manifests", "extra.yaml"), "mine"),
            /\(manifests\/extra\.yaml\)/,
        ],
        ["an empty user folder", (d) => fs.mkdirSync(path.join(d, "keep")), /\(keep\/\)/],
        ["a symbolic link", (d) => fs.symlinkSync("/etc/hostname", path.join(d, "link")), /\(link\)/],
    ];
    for (const [what, plant, named] of foreign) {
        it(`refuses a folder holding ${what}, naming it, and deletes nothing`, () => {
            render(out, { "manifests/a.yaml": "a: 1\n", "resources.json": "{}\n" });
            plant(out);
            const before = listFiles(out);
            assert.throws(
                () => openOutput(out),
                (e: Error) => e instanceof OutputError && named.test(e.message) && /did not write/.test(e.message),
            );
            assert.deepEqual(listFiles(out), before);
            assert.equal(read(out, "manifests/a.yaml"), "a: 1\n");
            assert.ok(!fs.existsSync(path.join(base, ".out.render-lock")), "the lock is released");
        });
    }

    it("refuses a folder of someone else's files (no marker), such as an older render's or a project folder", () => {
        fs.mkdirSync(path.join(out, "manifests"), { recursive: true });
        fs.writeFileSync(path.join(out, "resources.json"), "{}\n");
        fs.writeFileSync(path.join(out, "manifests", "a.yaml"), "a: 1\n");
        assert.throws(() => openOutput(out), /holds 2 file\(s\) the render did not write.*no \.zdp-render marker/);
        assert.equal(read(out, "manifests/a.yaml"), "a: 1\n");
    });

    it("refuses a marker it did not write (fail closed)", () => {
        fs.mkdirSync(out);
        fs.writeFileSync(path.join(out, MARKER), '{"files": ["x"]}');
        assert.throws(() => openOutput(out), /\.zdp-render is not a render marker/);
    });

    it("refuses --out naming a file, or a symbolic link", () => {
        fs.writeFileSync(out, "a file");
        assert.throws(() => openOutput(out), /is a file, not a folder/);
        fs.rmSync(out);
        fs.mkdirSync(path.join(base, "real"));
        fs.symlinkSync(path.join(base, "real"), out);
        assert.throws(() => openOutput(out), /is a symbolic link/);
    });

    describe("one run at a time (lock file beside the folder)", () => {
        it("refuses a second run while the first holds the lock, then allows it", () => {
            const first = openOutput(out);
            try {
                assert.throws(
                    () => openOutput(out),
                    new RegExp(`is being written by another render \\(pid ${process.pid}\\).*\\.out\\.render-lock`),
                );
                assert.equal(read(base, ".out.render-lock").trim(), String(process.pid));
            } finally {
                first.release();
            }
            render(out, { "resources.json": "{}\n" });
        });

        it("takes over the lock of a process that no longer exists", () => {
            const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
            assert.ok(dead, "a child pid");
            fs.writeFileSync(path.join(base, ".out.render-lock"), `${dead}\n`);
            render(out, { "resources.json": "{}\n" });
            assert.equal(read(out, "resources.json"), "{}\n");
            assert.ok(!fs.existsSync(path.join(base, ".out.render-lock")));
        });

        it("never takes over a lock whose holder it cannot tell (not a pid)", () => {
            fs.writeFileSync(path.join(base, ".out.render-lock"), "someone\n");
            assert.throws(() => openOutput(out), /being written by another render: wait .* delete/);
        });

        it("takes over a lock left empty for a second (its run was killed between creating it and writing its pid)", () => {
            fs.writeFileSync(path.join(base, ".out.render-lock"), "");
            const started = Date.now();
            render(out, { "resources.json": "{}\n" });
            assert.ok(Date.now() - started >= 1000, "an empty lock gets a grace second to receive its pid");
            assert.equal(read(out, "resources.json"), "{}\n");
            assert.ok(!fs.existsSync(path.join(base, ".out.render-lock")));
        });

        it("waits for the pid of a lock being written, and then judges that pid", async () => {
            const lock = path.join(base, ".out.render-lock");
            // Another process writes a live pid (this one's) into the lock 200 ms after saying it is ready.
            const writer = spawn(process.execPath, [
                "-e",
                `process.stdout.write("ready\\n"); ` +
                    `setTimeout(() => require("fs").writeFileSync(${JSON.stringify(lock)}, "${process.pid}\\n"), 200)`,
            ]);
            const exited = new Promise((r) => writer.once("exit", r));
            await new Promise((r) => writer.stdout.once("data", r));
            fs.writeFileSync(lock, "");
            assert.throws(() => openOutput(out), new RegExp(`another render \\(pid ${process.pid}\\)`));
            await exited;
        });

        it("refuses to commit when another run took the lock away meanwhile; nothing is written", () => {
            const output = openOutput(out);
            try {
                fs.rmSync(path.join(base, ".out.render-lock"));
                fs.writeFileSync(path.join(base, ".out.render-lock"), "1\n");
                assert.throws(() => output.commit(new Map([["a", "1"]])), /was taken by another run/);
                assert.ok(!fs.existsSync(out));
            } finally {
                output.release();
            }
            assert.equal(read(base, ".out.render-lock"), "1\n", "the other run's lock is left alone");
        });

        it("two render CLIs on one folder: one writes a complete result, the other is refused (exit 2)", async () => {
            const dir = path.join(freshDir("race"), "out");
            const runs = await Promise.all([0, 1].map(() => runRenderCli(["--stack", "staging", "--out", dir])));
            const codes = runs.map((r) => r.code).sort();
            assert.deepEqual(codes, [0, 2], runs.map((r) => r.stderr).join("\n"));
            const refused = runs.find((r) => r.code === 2)!;
            assert.match(refused.stderr, /is being written by another render \(pid \d+\)/);
            assert.doesNotMatch(refused.stderr, STACK_TRACE_LINE);
            const result = readRenderDir(dir);
            const marker = JSON.parse(read(dir, MARKER));
            assert.deepEqual(
                marker.files,
                result.files.filter((f) => f !== MARKER).map((f) => f.split(path.sep).join("/")),
            );
            assert.equal(result.manifests.length, marker.files.length - 1, "every manifest written is there");
        });
    });

    describe("atomic results", () => {
        it("a write that fails half-way leaves the previous result whole, and no temporary folder", () => {
            render(out, { "manifests/a.yaml": "a: 1\n", "resources.json": "{}\n" });
            const output = openOutput(out);
            try {
                // "x" is written as a file, then needed as a folder: the write fails after the first file.
                const files = new Map([
                    ["x", "1"],
                    ["x/y", "2"],
                ]);
                assert.throws(
                    () => output.commit(files),
                    (e: Error) => e instanceof OutputError && /ENOTDIR|EEXIST/.test(e.message),
                );
            } finally {
                output.release();
            }
            assert.deepEqual(listFiles(out), [MARKER, path.join("manifests", "a.yaml"), "resources.json"]);
            assert.deepEqual(fs.readdirSync(base), ["out"]);
        });

        it("a run killed at any moment leaves a complete result (old or new) or none; the next run cleans up", async () => {
            // A child rewrites the folder over and over (each version: 300 files, all holding the version number)
            // and is killed without warning; whatever is at `out` afterwards must be one whole version.
            const script = path.join(base, "writer.ts");
            fs.writeFileSync(
                script,
                `import { openOutput } from ${JSON.stringify(path.join(REPO_ROOT, "tools", "renderOutput.ts"))};
for (let v = 1; v <= 1000; v++) {
    const output = openOutput(${JSON.stringify(out)});
    const files = new Map<string, string>();
    for (let i = 0; i < 300; i++) files.set(\`manifests/f\${i}.yaml\`, \`v: \${v}\\n\`);
    output.commit(files);
    output.release();
    if (v === 2) process.stdout.write("ready\\n");
}
`,
            );
            for (let round = 0; round < 3; round++) {
                const child = spawn(process.execPath, ["--import", TSX, script], { stdio: ["ignore", "pipe", "pipe"] });
                await new Promise<void>((resolve, reject) => {
                    child.stdout.once("data", () => resolve());
                    child.once("exit", (code) => reject(new Error(`writer exited early (${code})`)));
                });
                await new Promise((r) => setTimeout(r, 50 + round * 97));
                child.kill("SIGKILL");
                await new Promise((r) => child.once("exit", r));
                if (fs.existsSync(out)) {
                    const names = fs.readdirSync(path.join(out, "manifests"));
                    assert.equal(names.length, 300, `round ${round}: a whole version`);
                    const versions = new Set(names.map((n) => read(out, `manifests/${n}`)));
                    assert.equal(versions.size, 1, `round ${round}: one version, not a mix`);
                }
                // The next run takes over the dead writer's lock and removes its temporary folders.
                render(out, { "resources.json": "{}\n" });
                assert.deepEqual(fs.readdirSync(base).sort(), ["out", "writer.ts"]);
                fs.rmSync(out, { recursive: true });
            }
        });
    });

    describe("filesystem errors: one line naming the path, exit 2, no stack trace", () => {
        it("a file where a folder is expected (ENOTDIR)", () => {
            fs.writeFileSync(path.join(base, "file"), "x");
            assert.throws(
                () => openOutput(path.join(base, "file", "sub", "out")),
                (e: Error) => e instanceof OutputError && /file\/sub: ENOTDIR/.test(e.message),
            );
        });

        it("a folder where nobody may create files, root included (sysfs: EACCES)", function () {
            if (!fs.existsSync("/sys/kernel")) this.skip();
            assert.throws(
                () => new RenderOutput("/sys/zdp-out").open(),
                (e: Error) =>
                    e instanceof OutputError && /--out \/sys\/zdp-out: .*EACCES, permission denied/.test(e.message),
            );
        });

        it("a read-only filesystem (EROFS), in a private mount namespace, through the CLI", function () {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-ro-"));
            try {
                const shell = `mount -t tmpfs -o ro,size=64k tmpfs "$1" && exec "$2" --import "$3" "$4" --stack staging --out "$1/out"`;
                const r = spawnSync(
                    "unshare",
                    [
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        shell,
                        "sh",
                        dir,
                        process.execPath,
                        TSX,
                        RENDER_CLI,
                    ],
                    { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 },
                );
                if (r.error || /unshare:|mount:/.test(r.stderr ?? "")) {
                    // Needs permission to make a mount namespace (root with CAP_SYS_ADMIN); say why it did not run.
                    this.skip();
                }
                assert.equal(r.status, 2, r.stderr);
                assert.match(r.stderr, /^error: --out .*\/out: .*EROFS, read-only file system$/m);
                assert.doesNotMatch(r.stderr, STACK_TRACE_LINE);
                assert.doesNotMatch(r.stderr, /rendering stack/, "checked before rendering");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
