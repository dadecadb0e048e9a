/**
 * The repository secrets scan (`npm run scan:secrets`, policy-pack/cli/scanSecrets.ts) against temporary git
 * repositories holding fake credentials assembled at run time: it fails with the file and line and never prints the
 * credential; it scans a change's history too; and the repository itself is clean.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { CHUNK_BYTES, OVERLAP_BYTES, main, scan } from "../../../policy-pack/cli/scanSecrets";
import {
    FAKE_CREDENTIALS,
    awsAccessKeyId,
    b64,
    githubToken,
    privateKeyPem,
    randomText,
    slackWebhookUrl,
} from "./fakeCredentials";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CLI = path.join(ROOT, "policy-pack", "cli", "scanSecrets.ts");
const TSX = pathToFileURL(require.resolve("tsx")).href;

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Runs the scan CLI as CI does (a separate process), in `cwd`. */
function runCli(cwd: string, args: string[] = []): Run {
    const r = spawnSync(process.execPath, ["--import", TSX, CLI, ...args], { cwd, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A throw-away git repository. */
class TempRepo {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-scan-"));

    constructor() {
        this.git("init", "-q", "-b", "main");
    }

    git(...args: string[]): string {
        return execFileSync(
            "git",
            ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args],
            { cwd: this.dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
        );
    }

    write(file: string, content: string | Buffer): void {
        const full = path.join(this.dir, file);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, content);
    }

    commit(message: string): string {
        this.git("add", "-A");
        this.git("commit", "-q", "--allow-empty", "-m", message);
        return this.git("rev-parse", "HEAD").trim();
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** Base64 of random bytes (binary once decoded). */
function randomBytesB64(): string {
    return Buffer.from(Buffer.from(randomText(48), "latin1").map((c) => c ^ 0x80)).toString("base64");
}

/** Asserts that no line of `value` (8 characters or more) appears in `output`. */
function assertNotShown(output: string, value: string): void {
    assert.ok(!output.includes(value), "the output shows the credential");
    for (const line of value.split("\n")) {
        if (line.trim().length >= 8)
            assert.ok(!output.includes(line.trim()), "the output shows part of the credential");
    }
}

describe("secrets: repository scan (npm run scan:secrets)", function () {
    this.timeout(120_000);
    let repo: TempRepo;

    beforeEach(() => {
        repo = new TempRepo();
        repo.write("README.md", "# demo\n\nAlerts go to the webhook in the `alertWebhookUrl` secret config.\n");
        repo.write("config/app.yaml", "logLevel: info\nreplicas: 2\n");
        repo.commit("initial");
    });

    afterEach(() => repo.remove());

    it("passes a clean repository", () => {
        const r = runCli(repo.dir);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stderr, /secrets scan: 2 tracked file\(s\).*no credentials found/);
    });

    it("fails on a planted credential with file and line, without printing it; passes again once it is removed", () => {
        const webhook = slackWebhookUrl();
        const key = privateKeyPem();
        repo.write("config/app.yaml", `logLevel: info\nreplicas: 2\nalerts: ${webhook}\n`);
        repo.write("keys/deploy.pem", key);
        // Staged, not committed: what a pre-commit run would see.
        repo.git("add", "-A");
        const r = runCli(repo.dir);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^config\/app\.yaml:3:9: slack IncomingWebhook: /m);
        assert.match(r.stdout, /^keys\/deploy\.pem:1:1: privatekey PrivateKey: /m);
        assert.match(r.stderr, /2 finding\(s\)/);
        assertNotShown(r.stdout + r.stderr, webhook);
        assertNotShown(r.stdout + r.stderr, key);

        fs.rmSync(path.join(repo.dir, "keys"), { recursive: true });
        repo.write("config/app.yaml", "logLevel: info\nreplicas: 2\n");
        repo.git("add", "-A");
        assert.equal(runCli(repo.dir).code, 0);
    });

    for (const [kind, make] of Object.entries(FAKE_CREDENTIALS)) {
        it(`fails on a fake ${kind} in a tracked file`, async () => {
            const value = make();
            repo.write("notes.txt", `line one\nvalue: ${value}\n`);
            repo.git("add", "-A");
            let out = "";
            const code = await main([], { stdout: (s) => (out += s), stderr: (s) => (out += s), cwd: repo.dir });
            assert.equal(code, 1, out);
            assert.match(out, /^notes\.txt:2:\d+: /m);
            assertNotShown(out, value);
        });
    }

    it("scans tracked files only, and binary files are not read as text", () => {
        repo.write("untracked.txt", `token: ${githubToken()}\n`);
        repo.write("image.bin", Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(`token: ${githubToken()}`)]));
        repo.git("add", "image.bin");
        const r = runCli(repo.dir);
        assert.equal(r.code, 0, r.stdout + r.stderr);
    });

    it("finds a credential in a file force-added below an ignored directory", () => {
        repo.write(".gitignore", "out/\n");
        repo.write("out/creds.env", `AWS_ACCESS_KEY_ID=${awsAccessKeyId()}\n`);
        repo.git("add", "-f", ".gitignore", "out/creds.env");
        const r = runCli(repo.dir);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout, /^out\/creds\.env:1:/m);
    });

    describe("--changed-since (pull requests)", () => {
        it("scans only the files the change touches", () => {
            // A credential already on main is the full scan's business, not this change's.
            repo.git("checkout", "-q", "-b", "legacy");
            repo.write("legacy.txt", `token: ${githubToken()}\n`);
            repo.commit("legacy secret");
            repo.git("checkout", "-q", "main");
            repo.git("merge", "-q", "--ff-only", "legacy");
            repo.git("checkout", "-q", "-b", "feature");
            repo.write("docs/change.md", "A harmless change.\n");
            repo.commit("change");
            const r = runCli(repo.dir, ["--changed-since", "main"]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.match(r.stderr, /1 changed file\(s\) and 0 earlier version\(s\) from 1 commit\(s\) since main/);
            assert.equal(runCli(repo.dir).code, 1, "the full scan still finds the old one");
        });

        it("finds a credential that a commit of the change added and a later commit removed", () => {
            repo.git("checkout", "-q", "-b", "feature");
            const token = githubToken();
            repo.write("config/app.yaml", `logLevel: info\nreplicas: 2\ntoken: ${token}\n`);
            const leaking = repo.commit("add token");
            repo.write("config/app.yaml", "logLevel: info\nreplicas: 3\n");
            repo.commit("remove token again");
            const r = runCli(repo.dir, ["--changed-since", "main"]);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(
                r.stdout,
                new RegExp(
                    `^config/app\\.yaml:3:\\d+ \\(version written by commit ${leaking.slice(0, 12)}\\): github`,
                    "m",
                ),
            );
            assertNotShown(r.stdout + r.stderr, token);
            // The tree as it is now is clean: only the history scan catches it.
            assert.equal(runCli(repo.dir).code, 0);
        });

        it("finds a credential that a merge commit added (a conflict resolution) and a later commit removed", () => {
            repo.write("config/app.yaml", "logLevel: info\nreplicas: 2\nowner: platform\n");
            repo.commit("base");
            repo.git("checkout", "-q", "-b", "feature");
            repo.write("config/app.yaml", "logLevel: debug\nreplicas: 2\nowner: platform\n");
            repo.commit("feature: debug logs");
            repo.git("checkout", "-q", "-b", "other", "main");
            repo.write("config/app.yaml", "logLevel: warn\nreplicas: 2\nowner: platform\n");
            repo.commit("other: quieter logs");
            repo.git("checkout", "-q", "feature");
            // The merge conflicts; its resolution writes a credential that neither parent has.
            assert.throws(() => repo.git("merge", "-q", "--no-edit", "other"));
            const token = githubToken();
            repo.write("config/app.yaml", `logLevel: info\nreplicas: 2\nowner: platform\ntoken: ${token}\n`);
            repo.git("add", "config/app.yaml");
            repo.git("commit", "-q", "--no-edit");
            const merge = repo.git("rev-parse", "HEAD").trim();
            assert.equal(repo.git("rev-list", "--parents", "-n", "1", "HEAD").trim().split(" ").length, 3, "a merge");
            repo.write("config/app.yaml", "logLevel: info\nreplicas: 2\nowner: platform\n");
            repo.commit("remove token again");

            const r = runCli(repo.dir, ["--changed-since", "main"]);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(
                r.stdout,
                new RegExp(
                    `^config/app\\.yaml:4:\\d+ \\(version written by commit ${merge.slice(0, 12)}\\): github`,
                    "m",
                ),
            );
            assertNotShown(r.stdout + r.stderr, token);
            assert.equal(runCli(repo.dir).code, 0, "the tree as it is now is clean");
        });

        it("refuses an unknown base ref (exit 2) instead of scanning nothing", () => {
            const r = runCli(repo.dir, ["--changed-since", "origin/does-not-exist"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /--changed-since origin\/does-not-exist: no such commit here/);
        });

        it("refuses to walk more commits than --max-commits", () => {
            repo.git("checkout", "-q", "-b", "feature");
            for (let i = 0; i < 3; i++) {
                repo.write(`f${i}.txt`, `${i}\n`);
                repo.commit(`c${i}`);
            }
            const r = runCli(repo.dir, ["--changed-since", "main", "--max-commits", "2"]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /3 commits since the merge base, more than --max-commits 2/);
        });
    });

    describe("Pulumi stack files", () => {
        beforeEach(() => {
            repo.write(
                "Pulumi.yaml",
                "name: demo\nruntime: nodejs\nconfig:\n  hook:\n    type: string\n    secret: true\n",
            );
        });

        it("fails on a key declared secret that a stack file holds in plaintext, naming file, line and key", () => {
            const webhook = slackWebhookUrl();
            repo.write("Pulumi.dev.yaml", `config:\n  demo:replicas: 2\n  demo:hook: ${webhook}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(
                r.stdout,
                /^Pulumi\.dev\.yaml:3: stack-config: demo:hook is declared secret: true in Pulumi\.yaml but holds a plaintext value/m,
            );
            assertNotShown(r.stdout + r.stderr, webhook);
        });

        it("checks stack files whose stack name holds dots (Pulumi.prod.eu.yaml)", () => {
            const webhook = slackWebhookUrl();
            repo.write("Pulumi.prod.eu.yaml", `config:\n  demo:hook: ${webhook}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(r.stdout, /^Pulumi\.prod\.eu\.yaml:2: stack-config: demo:hook is declared secret: true/m);
            assert.match(r.stderr, /1 stack file\(s\)/);
            assertNotShown(r.stdout + r.stderr, webhook);
        });

        it("finds a base64-encoded credential in a stack file's plaintext value", () => {
            const token = githubToken();
            repo.write("Pulumi.dev.yaml", `config:\n  demo:replicas: 2\n  demo:note: ${b64(`token: ${token}`)}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(r.stdout, /^Pulumi\.dev\.yaml:3: stack-config: demo:note holds a plaintext .*base64-encoded/m);
            assertNotShown(r.stdout + r.stderr, token);
        });

        it("passes a stack file that holds the key as Pulumi ciphertext", () => {
            const ciphertext = `v1:${Buffer.from("nonce-123456").toString("base64")}:${Buffer.from("ciphertext-bytes").toString("base64")}`;
            repo.write("Pulumi.dev.yaml", `config:\n  demo:hook:\n    secure: ${ciphertext}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            assert.match(r.stderr, /1 stack file\(s\)/);
        });
    });

    describe("base64 (decoded as the no-plaintext-credentials policy decodes values)", () => {
        it("finds a credential base64-encoded in a manifest's Secret data, at the token's line and column", () => {
            const token = githubToken();
            const value = b64(token);
            const manifest = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  token: ${value}\n`;
            repo.write("deploy/secret.yaml", manifest);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(r.stdout, /^deploy\/secret\.yaml:6:10: github .*base64-encoded/m);
            assertNotShown(r.stdout + r.stderr, token);
            assertNotShown(r.stdout + r.stderr, value);
        });

        it("passes base64 that decodes to harmless text or to binary", () => {
            repo.write("data.yaml", `a: ${b64("just a harmless sentence here")}\nb: ${randomBytesB64()}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 0, r.stdout + r.stderr);
        });
    });

    describe("large files are scanned, never skipped", () => {
        it("finds a credential at the end of a file larger than the window (the real limits, via the CLI)", () => {
            const token = githubToken();
            const filler = "an ordinary log line without any credential in it, just words\n";
            const lines = Math.ceil((CHUNK_BYTES * 2 + 1000) / filler.length);
            repo.write("logs/big.log", `${filler.repeat(lines)}token: ${token}\n`);
            repo.git("add", "-A");
            const r = runCli(repo.dir);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(r.stdout, new RegExp(`^logs/big\\.log:${lines + 1}:\\d+: github`, "m"));
            assert.match(r.stderr, /1 large file\(s\) and version\(s\) scanned in overlapping windows/);
            assertNotShown(r.stdout + r.stderr, token);
        });

        it("finds a credential that straddles a window boundary once, at its line (small windows)", async () => {
            const key = privateKeyPem();
            const chunkBytes = 4096;
            const filler = "x".repeat(60) + "\n";
            // The key (about 240 bytes) starts just before the first window's end.
            const before = Math.floor((chunkBytes - 100) / filler.length);
            repo.write("keys.txt", `${filler.repeat(before)}${key}${filler.repeat(200)}`);
            repo.git("add", "-A");
            const { findings, summary } = await scan(repo.dir, { chunkBytes, overlapBytes: 1024 });
            const inKeys = findings.filter((f) => f.file === "keys.txt");
            assert.deepEqual(
                inKeys.map((f) => [f.line, f.rule]),
                [[before + 1, "privatekey PrivateKey"]],
                summary,
            );
            assert.ok(OVERLAP_BYTES > key.length, "the real overlap holds a whole private key");
        });

        it("scans a large earlier version in the history of a change too", async () => {
            repo.git("checkout", "-q", "-b", "feature");
            const token = githubToken();
            repo.write("dump.txt", `${"y".repeat(70)}\n`.repeat(300) + `token: ${token}\n`);
            const leaking = repo.commit("add dump");
            fs.rmSync(path.join(repo.dir, "dump.txt"));
            repo.commit("remove dump");
            const { findings } = await scan(repo.dir, { changedSince: "main", chunkBytes: 8192, overlapBytes: 1024 });
            assert.deepEqual(
                findings.map((f) => [f.file, f.line, f.commit]),
                [["dump.txt", 301, leaking]],
            );
        });
    });

    it("the repository itself holds no credential (what CI runs)", async () => {
        let out = "";
        const code = await main([], { stdout: (s) => (out += s), stderr: (s) => (out += s), cwd: ROOT });
        assert.equal(code, 0, out);
    });

    it("package.json runs this scan as scan:secrets, and the pull-request workflow scans the change", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        assert.equal(scripts["scan:secrets"], "node --import tsx policy-pack/cli/scanSecrets.ts");
        const workflow = fs.readFileSync(path.join(ROOT, ".github", "workflows", "pull-request.yml"), "utf8");
        assert.match(workflow, /npm run scan:secrets -- --changed-since "origin\/\$\{\{ github\.base_ref \}\}"/);
    });
});
