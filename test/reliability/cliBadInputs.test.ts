/**
 * Bad inputs to the command-line tools, run as users run them (`node --import tsx <cli> ...` with the project's
 * pinned Node): each case maps one bad input to the exit status and a message pattern, and no output may hold a
 * stack trace or an "internal error". One table for policy:check, scan:secrets, sign and render --out, so a tool
 * that starts to lose or hide something fails here.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { generateKeyPairSync } from "node:crypto";

const ROOT = path.resolve(__dirname, "..", "..");
/** The project's pinned Node, as `npm run` uses it. */
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
/** tsx by URL, for runs whose working directory is not the repository (the scan runs in the repository it scans). */
const TSX = pathToFileURL(require.resolve("tsx")).href;
const CLIS = {
    check: "policy-pack/cli/check.ts",
    scan: "policy-pack/cli/scanSecrets.ts",
    sign: "policy-pack/cli/sign.ts",
    render: "tools/render.ts",
} as const;
const STACK_TRACE_LINE = /^ {4}at /m;
/** CLI runs at once: each is a Node process compiling TypeScript. */
const PARALLEL = Math.max(1, Math.min(3, os.availableParallelism() - 1));

interface Case {
    cli: keyof typeof CLIS;
    what: string;
    /** Arguments; `@/` is replaced by the fixture folder. */
    args: string[];
    /** Working directory, `@/...` for one under the fixture folder; defaults to the repository. */
    cwd?: string;
    exit: number;
    message: RegExp;
}

const pem = (type: "private" | "public") => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    return type === "private"
        ? privateKey.export({ type: "pkcs8", format: "pem" }).toString()
        : publicKey.export({ type: "spki", format: "pem" }).toString();
};

const IMAGE = `registry.example.test/team/app@sha256:${"a".repeat(64)}`;

/** The fixture folder's files (relative path to content; a value of null makes a folder). */
function fixtures(): Record<string, string | null> {
    const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: app}\n";
    return {
        "empty.yaml": "",
        "comments.yaml": "# nothing here\n---\n# nor here\n",
        "empty-dir": null,
        "invalid.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [oops\n",
        "list.yaml": "- a\n- b\n",
        "no-kind.yaml": "apiVersion: v1\nmetadata: {name: x}\n",
        "dup-key.yaml": "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
        "bomb.yaml":
            "apiVersion: v1\nkind: ConfigMap\n" +
            "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" +
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
            "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        "broken-link/cm.yaml": cm,
        "loop/cm.yaml": cm,
        "config-bad.json": "{ not json",
        "config-levels.json": '{"rbac-no-wildcards": "loud"}',
        "keys/cosign.key": pem("private"),
        "keys/cosign.pub": pem("public"),
        "keys/enc.key": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        "keys/cert.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "keys/notes.txt": "not a key at all\n",
        "keys/dir.key": null,
        "out-foreign/notes.md": "my notes, not the render's\n",
        "out-file": "a file, not a folder\n",
        "not-a-repo": null,
        "repo/README.md": "# demo\n",
    };
}

const CASES: Case[] = [
    // policy:check
    { cli: "check", what: "no PATH", args: [], exit: 2, message: /policy:check: no PATH given/ },
    {
        cli: "check",
        what: "an unknown option",
        args: ["--colour", "@/cm"],
        exit: 2,
        message: /Unknown option '--colour'/,
    },
    {
        cli: "check",
        what: "a bad --format",
        args: ["--format", "xml", "@/x"],
        exit: 2,
        message: /--format must be one of text, json, sarif, junit, got "xml"/,
    },
    {
        cli: "check",
        what: "a missing file",
        args: ["@/missing.yaml"],
        exit: 2,
        message: /missing\.yaml: cannot read: ENOENT/,
    },
    {
        cli: "check",
        what: "an empty file",
        args: ["@/empty.yaml"],
        exit: 2,
        message: /empty\.yaml: no Kubernetes object found \(the file is empty or only comments\)/,
    },
    {
        cli: "check",
        what: "a file of comments only",
        args: ["@/comments.yaml"],
        exit: 2,
        message: /comments\.yaml: no Kubernetes object found/,
    },
    {
        cli: "check",
        what: "a folder without manifests",
        args: ["@/empty-dir"],
        exit: 2,
        message: /empty-dir: no Kubernetes object found \(a directory with no \*\.yaml/,
    },
    {
        cli: "check",
        what: "empty standard input",
        args: ["-"],
        exit: 2,
        message: /standard input: no Kubernetes object found/,
    },
    {
        cli: "check",
        what: "one good PATH and one empty",
        args: ["@/loop", "@/empty.yaml"],
        exit: 2,
        message: /empty\.yaml: no Kubernetes object found/,
    },
    {
        cli: "check",
        what: "invalid YAML",
        args: ["@/invalid.yaml"],
        exit: 2,
        message: /invalid\.yaml:\d+: invalid YAML/,
    },
    {
        cli: "check",
        what: "a document that is a list",
        args: ["@/list.yaml"],
        exit: 2,
        message: /list\.yaml:1: document 1 is not a mapping/,
    },
    {
        cli: "check",
        what: "an object without kind",
        args: ["@/no-kind.yaml"],
        exit: 2,
        message: /no-kind\.yaml:1: document 1 has no kind/,
    },
    {
        cli: "check",
        what: "a duplicate key",
        args: ["@/dup-key.yaml"],
        exit: 2,
        message: /dup-key\.yaml:3: invalid YAML.*unique/i,
    },
    {
        cli: "check",
        what: "a YAML alias bomb",
        args: ["@/bomb.yaml"],
        exit: 2,
        message: /bomb\.yaml:4: document 1 expands YAML aliases more than 100 times/,
    },
    {
        cli: "check",
        what: "a broken symbolic link to a manifest",
        args: ["@/broken-link"],
        exit: 2,
        message: /broken-link\/gone\.yaml: broken symbolic link, fix or remove it: ENOENT/,
    },
    // A folder holding a link to itself is read once, not forever: the good input passes.
    {
        cli: "check",
        what: "a symbolic link loop (terminates)",
        args: ["@/loop"],
        exit: 0,
        message: /No violations in 1 object\(s\) from 1 file\(s\)/,
    },
    {
        cli: "check",
        what: "a missing --config",
        args: ["--config", "@/nope.json", "@/loop"],
        exit: 2,
        message: /nope\.json: cannot read config: ENOENT/,
    },
    {
        cli: "check",
        what: "a --config that is not JSON",
        args: ["--config", "@/config-bad.json", "@/loop"],
        exit: 2,
        message: /config-bad\.json: invalid JSON/,
    },
    {
        cli: "check",
        what: "a --config with a bad level",
        args: ["--config", "@/config-levels.json", "@/loop"],
        exit: 2,
        message: /invalid policy configuration:\n {2}- .*config-levels\.json: /,
    },
    {
        cli: "check",
        what: "an unknown --policy",
        args: ["--policy", "no-such-policy", "@/loop"],
        exit: 2,
        message: /unknown policy "no-such-policy"; valid names:/,
    },
    {
        cli: "check",
        what: "a bad --allowed-registry",
        args: ["--allowed-registry", "https://x", "@/loop"],
        exit: 2,
        message: /--allowed-registry: /,
    },

    // scan:secrets
    {
        cli: "scan",
        what: "an unknown option",
        args: ["--all"],
        cwd: "@/repo",
        exit: 2,
        message: /Unknown option '--all'/,
    },
    {
        cli: "scan",
        what: "a bad --max-commits",
        args: ["--max-commits", "0"],
        cwd: "@/repo",
        exit: 2,
        message: /--max-commits must be a positive integer/,
    },
    {
        cli: "scan",
        what: "an unknown --changed-since",
        args: ["--changed-since", "origin/nope"],
        cwd: "@/repo",
        exit: 2,
        message: /--changed-since origin\/nope: no such commit here/,
    },
    {
        cli: "scan",
        what: "no git repository",
        args: [],
        cwd: "@/not-a-repo",
        exit: 2,
        message: /scan:secrets: git rev-parse --show-toplevel failed: fatal: not a git repository/,
    },

    // sign
    {
        cli: "sign",
        what: "no image",
        args: ["--key", "@/keys/cosign.key"],
        exit: 2,
        message: /IMAGE@sha256:<hex> is required/,
    },
    { cli: "sign", what: "no --key", args: [IMAGE], exit: 2, message: /--key FILE is required/ },
    { cli: "sign", what: "--key without a value", args: [IMAGE, "--key"], exit: 2, message: /--key needs a value/ },
    {
        cli: "sign",
        what: "a key that is a folder",
        args: [IMAGE, "--key", "@/keys/dir.key"],
        exit: 2,
        message: /--key .*dir\.key: is a directory; expected an unencrypted PEM private key/,
    },
    {
        cli: "sign",
        what: "a public key",
        args: [IMAGE, "--key", "@/keys/cosign.pub"],
        exit: 2,
        message: /--key .*cosign\.pub: is a public key .*; expected an unencrypted PEM private key/,
    },
    {
        cli: "sign",
        what: "a missing key file",
        args: [IMAGE, "--key", "@/keys/none.key"],
        exit: 2,
        message: /--key .*none\.key: cannot read it \(ENOENT\); expected/,
    },
    {
        cli: "sign",
        what: "a key that is not PEM",
        args: [IMAGE, "--key", "@/keys/notes.txt"],
        exit: 2,
        message: /notes\.txt: is not a PEM private key/,
    },
    {
        cli: "sign",
        what: "a certificate as key",
        args: [IMAGE, "--key", "@/keys/cert.pem"],
        exit: 2,
        message: /cert\.pem: is a certificate, not a key/,
    },
    {
        cli: "sign",
        what: "an encrypted key",
        args: [IMAGE, "--key", "@/keys/enc.key"],
        exit: 2,
        message: /--key .*enc\.key is encrypted; decrypt it first/,
    },
    {
        cli: "sign",
        what: "a device as key",
        args: [IMAGE, "--key", "/dev/null"],
        exit: 2,
        message: /--key \/dev\/null: is not a regular file/,
    },
    {
        cli: "sign",
        what: "a bad --format",
        args: [IMAGE, "--key", "@/keys/cosign.key", "--format", "pgp"],
        exit: 2,
        message: /--format must be cosign, bundle or both, not pgp/,
    },
    {
        cli: "sign",
        what: "a bad --timeout",
        args: [IMAGE, "--key", "@/keys/cosign.key", "--timeout", "0"],
        exit: 2,
        message: /--timeout must be a positive number of seconds/,
    },
    {
        cli: "sign",
        what: "not an image reference",
        args: ["UPPER/Case@sha256:xyz", "--key", "@/keys/cosign.key"],
        exit: 2,
        message: /is not an image reference/,
    },
    {
        cli: "sign",
        what: "a tag instead of a digest",
        args: ["registry.example.test/team/app:1.0", "--key", "@/keys/cosign.key"],
        exit: 1,
        message: /has no sha256 digest: sign IMAGE@sha256:<64 hex>, never a tag/,
    },
    {
        cli: "sign",
        what: "generate-key-pair over existing files",
        args: ["generate-key-pair", "--out", "@/keys/cosign"],
        exit: 2,
        message: /cosign\.key exists; choose another --out/,
    },
    {
        cli: "sign",
        what: "generate-key-pair of an unknown type",
        args: ["generate-key-pair", "--type", "rsa"],
        exit: 2,
        message: /--type must be ecdsa-p256 or ed25519, not rsa/,
    },

    // render --out (checked before rendering, so these are quick)
    {
        cli: "render",
        what: "an --out folder holding the user's files",
        args: ["--stack", "staging", "--out", "@/out-foreign"],
        exit: 2,
        message: /--out .*out-foreign holds 1 file\(s\) the render did not write \(notes\.md\)/,
    },
    {
        cli: "render",
        what: "an --out that is a file",
        args: ["--stack", "staging", "--out", "@/out-file"],
        exit: 2,
        message: /--out .*out-file is a file, not a folder/,
    },
    {
        cli: "render",
        what: "an --out below a file (ENOTDIR)",
        args: ["--stack", "staging", "--out", "@/out-file/sub/out"],
        exit: 2,
        message: /--out .*out-file\/sub\/out: cannot create .*: (ENOTDIR|EEXIST)/,
    },
    {
        cli: "render",
        what: "an --out where nobody may write (sysfs, EACCES)",
        args: ["--stack", "staging", "--out", "/sys/zdp-out"],
        exit: 2,
        message: /--out \/sys\/zdp-out: cannot create the lock file: EACCES, permission denied/,
    },
    {
        cli: "render",
        what: "an --out another render is writing",
        args: ["--stack", "staging", "--out", "@/out-locked"],
        exit: 2,
        message: /--out .*out-locked is being written by another render \(pid \d+\)/,
    },
];

interface Outcome {
    code: number | null;
    stdout: string;
    stderr: string;
}

function run(c: Case, dir: string): Promise<Outcome> {
    const fill = (s: string) => s.replace(/^@\//, `${dir}/`);
    const cwd = c.cwd ? fill(c.cwd) : ROOT;
    // As users run them: from the repository, `--import tsx`; elsewhere tsx by URL.
    const loader = cwd === ROOT ? "tsx" : TSX;
    return new Promise((resolve) => {
        const child = spawn(NODE, ["--import", loader, path.join(ROOT, CLIS[c.cli]), ...c.args.map(fill)], {
            cwd,
            stdio: ["ignore", "pipe", "pipe"],
            env: { ...process.env, NO_COLOR: "1" },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

describe(`reliability: ${CASES.length} bad inputs to the CLIs (exit status and message, never a stack trace)`, function () {
    this.timeout(600_000);
    let dir: string;
    const outcomes = new Map<Case, Promise<Outcome>>();

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-reliability-"));
        for (const [rel, content] of Object.entries(fixtures())) {
            const full = path.join(dir, rel);
            if (content === null) fs.mkdirSync(full, { recursive: true });
            else {
                fs.mkdirSync(path.dirname(full), { recursive: true });
                fs.writeFileSync(full, content);
            }
        }
        fs.symlinkSync("missing.yaml", path.join(dir, "broken-link", "gone.yaml"));
        fs.mkdirSync(path.join(dir, "loop", "sub"));
        fs.symlinkSync("..", path.join(dir, "loop", "sub", "again"));
        execFileSync("git", ["init", "-q", "-b", "main"], { cwd: path.join(dir, "repo") });
        execFileSync(
            "git",
            ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "init"],
            { cwd: path.join(dir, "repo") },
        );
        // A lock held by a live process (this one).
        fs.writeFileSync(path.join(dir, ".out-locked.render-lock"), `${process.pid}\n`);

        let next = 0;
        const worker = async () => {
            while (next < CASES.length) {
                const c = CASES[next++];
                const p = run(c, dir);
                outcomes.set(c, p);
                await p;
            }
        };
        await Promise.all(Array.from({ length: PARALLEL }, worker));
    });

    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    for (const c of CASES) {
        it(`${c.cli}: ${c.what} → exit ${c.exit}`, async () => {
            const r = await outcomes.get(c)!;
            const all = r.stdout + r.stderr;
            assert.equal(r.code, c.exit, all);
            assert.match(all, c.message);
            assert.doesNotMatch(all, STACK_TRACE_LINE, "no stack trace");
            assert.doesNotMatch(all, /internal error/, "no internal error");
        });
    }

    it("nothing was written or deleted where the user's files were", () => {
        assert.deepEqual(fs.readdirSync(path.join(dir, "out-foreign")), ["notes.md"]);
        assert.equal(fs.readFileSync(path.join(dir, "out-file"), "utf8"), "a file, not a folder\n");
        assert.equal(fs.readFileSync(path.join(dir, ".out-locked.render-lock"), "utf8"), `${process.pid}\n`);
        assert.ok(!fs.existsSync(path.join(dir, "out-locked")));
        assert.deepEqual(fs.readdirSync(path.join(dir, "keys")).sort(), [
            "cert.pem",
            "cosign.key",
            "cosign.pub",
            "dir.key",
            "enc.key",
            "notes.txt",
        ]);
    });
});
