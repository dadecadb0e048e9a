/**
 * Docs that run: every command README.md and docs/**\/*.md show in a fenced shell block is classified below, and the
 * ones that need nothing but this checkout run here, against fresh renders in a temporary folder (paths the docs
 * write to, `out/...`, and files they make up, `my.json`, are moved there). A command shown in the docs and missing
 * from the table fails, and so does an entry the docs no longer show. Commands that need a cluster, the Pulumi CLI
 * or the real engine (`npm run test:engine` runs those), and slow ones, are checked for what can be checked here.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { allPolicies } from "../../policy-pack/policies";
import { commandsOf, projectDocCommands, shellWords } from "./docCommands";

const ROOT = path.resolve(__dirname, "..", "..");
const SCRIPTS: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
    /** Where the docs' own paths (`out/staging`, `my.json`) land for this run. */
    tmp: string;
}

type Verdict =
    | { kind: "runs"; check: (r: Run) => void; prepare?: (tmp: string) => Promise<void> }
    | { kind: "needs a cluster"; why: string }
    | { kind: "needs the Pulumi CLI"; why: string }
    | { kind: "real engine" }
    | { kind: "slow"; why: string }
    | { kind: "not run here"; why: string };

/** `<namespace>/<name>` of every service in a stack file (never a fixed count: stacks change). */
function servicesOf(stack: string): string[] {
    const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    return (file.config["zdp:services"] as { name: string; namespace: string }[]).map(
        (s) => `${s.namespace}/${s.name}`,
    );
}

/** stdout without the `> zdp@… script` banner npm prints before running a script. */
function output(r: Run): string {
    return r.stdout.replace(/^\s*(> [^\n]*\n)+\s*/, "");
}

function ok(r: Run): void {
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`);
}

function filesUnder(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name));
}

function resourcesJson(r: Run, out: string): { stack: string; preview: boolean; outputs: Record<string, unknown> } {
    return JSON.parse(fs.readFileSync(path.join(r.tmp, out, "resources.json"), "utf8"));
}

/** Each service of `stack` has its Rollout in the render at `out`. */
function hasRollouts(r: Run, out: string, stack: string): void {
    for (const service of servicesOf(stack)) {
        const [ns, name] = service.split("/");
        assert.ok(
            fs.existsSync(path.join(r.tmp, out, "manifests", `rollout-${ns}-${name}.yaml`)),
            `Rollout of ${service}`,
        );
    }
}

const NEEDS_CLI_STATE = "needs the Pulumi CLI and a backend (npm run test:engine runs the CLI against a throwaway one)";
const ROLLBACK = "acts on a running Rollout with a pipeline identity's token";

const COMMANDS: Record<string, Verdict> = {
    "npm ci": { kind: "not run here", why: "installs node_modules, which the tests run from" },
    "npm start": {
        kind: "runs",
        check: (r) => {
            ok(r);
            assert.match(output(r), /^Offline preview of stack staging: PASS/m);
            for (const s of servicesOf("staging")) assert.match(output(r), new RegExp(`^  ${s} `, "m"));
        },
    },
    "npm test": { kind: "slow", why: "the whole suite, this file included" },
    "pulumi login --local": { kind: "needs the Pulumi CLI", why: NEEDS_CLI_STATE },
    "pulumi stack select staging": { kind: "needs the Pulumi CLI", why: NEEDS_CLI_STATE },
    "pulumi config set --secret alertWebhookUrl https://hooks.example.com/...": {
        kind: "needs the Pulumi CLI",
        why: "writes the stack file's ciphertext with the stack's secrets provider",
    },
    "pulumi preview --policy-pack policy-pack --policy-pack-config policy-pack/config/staging.json": {
        kind: "needs a cluster",
        why: "the Helm charts render with the cluster's API versions; npm run preview:real is the cluster-free form",
    },
    "pulumi up --policy-pack policy-pack --policy-pack-config policy-pack/config/staging.json": {
        kind: "needs a cluster",
        why: "deploys",
    },
    "npm run render -- --stack staging --out out/staging": {
        kind: "runs",
        check: (r) => {
            ok(r);
            hasRollouts(r, "out/staging", "staging");
            const json = resourcesJson(r, "out/staging");
            assert.equal(json.stack, "staging");
            assert.equal(json.preview, false);
        },
    },
    "npm run render -- --stack prod --summary": {
        kind: "runs",
        check: (r) => {
            ok(r);
            const timing = /^ {2}releaseTiming +(\{.*\})$/m.exec(output(r));
            assert.ok(timing, output(r));
            assert.deepEqual(Object.keys(JSON.parse(timing[1])).sort(), servicesOf("prod").sort());
        },
    },
    "npm run render -- --stack prod --preview --out out/prod": {
        kind: "runs",
        check: (r) => {
            ok(r);
            hasRollouts(r, "out/prod", "prod");
            assert.equal(resourcesJson(r, "out/prod").preview, true);
        },
    },
    "npm run render -- --stack prod --set-secret alertWebhookUrl=https://hooks.example.com/x --out out/prod": {
        kind: "runs",
        check: (r) => {
            // The same folder as the preview render above: the render replaces its own earlier output.
            ok(r);
            assert.equal(resourcesJson(r, "out/prod").preview, false);
            const files = filesUnder(path.join(r.tmp, "out", "prod"));
            for (const f of files) assert.ok(!fs.readFileSync(f, "utf8").includes("hooks.example.com/x"), f);
            const secrets = files.filter((f) => fs.readFileSync(f, "utf8").includes("[secret]"));
            assert.ok(
                secrets.some((f) => /manifests\/secret-/.test(f)),
                "a Secret holds the webhook as [secret]",
            );
        },
    },
    "npm run preview:offline -- --stack staging": {
        kind: "runs",
        check: (r) => {
            ok(r);
            assert.match(output(r), /^Offline preview of stack staging: PASS: no mandatory violation/m);
            assert.match(output(r), /^Policy results, mandatory \(0\):$/m);
        },
    },
    "npm run preview:offline -- --stack prod --format markdown": {
        kind: "runs",
        check: (r) => {
            ok(r);
            assert.match(output(r), /^### Offline preview of `prod`: PASS/);
            for (const s of servicesOf("prod")) assert.match(output(r), new RegExp(`^\\| ${s} \\|`, "m"));
        },
    },
    "npm run preview:offline -- --stack prod --format json": {
        kind: "runs",
        check: (r) => {
            ok(r);
            const report = JSON.parse(output(r));
            assert.equal(report.stack, "prod");
            assert.equal(report.mandatory, 0);
            const services = (report.services as { service: string }[]).map((s) => s.service);
            assert.deepEqual(services.sort(), servicesOf("prod").sort());
        },
    },
    "npm run preview:offline -- --stack prod --policy-config my.json": {
        kind: "runs",
        // "Another policy config": prod's, no longer admitting the last of its registries, so the preview fails.
        prepare: async (tmp) => {
            const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack/config/prod.json"), "utf8"));
            const allowed: string[] = config["images-allowed-registries"].allowedRegistries;
            fs.writeFileSync(
                path.join(tmp, "my.json"),
                JSON.stringify({
                    ...config,
                    "images-allowed-registries": {
                        ...config["images-allowed-registries"],
                        allowedRegistries: allowed.slice(0, -1),
                    },
                }),
            );
            fs.writeFileSync(path.join(tmp, "dropped-registry"), allowed[allowed.length - 1]);
        },
        check: (r) => {
            assert.equal(r.code, 1, r.stderr);
            assert.match(r.stderr, /running \d+ policies \([^)]*my\.json\)/);
            const dropped = fs.readFileSync(path.join(r.tmp, "dropped-registry"), "utf8");
            assert.match(output(r), /FAIL/);
            assert.ok(output(r).includes(`comes from ${dropped}`), output(r));
        },
    },
    "npm run engine:build": { kind: "real engine" },
    "npm run preview:real -- --stack staging": { kind: "real engine" },
    "npm run render:real -- --stack prod --out out/real-prod": { kind: "real engine" },
    "npm run test:engine": { kind: "real engine" },
    'AUDITOR="$(kubectl create token pipeline-auditor -n platform-pipeline --duration=1h)"': {
        kind: "needs a cluster",
        why: "asks the API server for a token",
    },
    'DEPLOYER="$(kubectl create token pipeline-deployer -n platform-pipeline --duration=1h)"': {
        kind: "needs a cluster",
        why: "asks the API server for a token",
    },
    'kubectl argo rollouts get rollout checkout -n shop --token "$AUDITOR" --watch': {
        kind: "needs a cluster",
        why: ROLLBACK,
    },
    'kubectl describe analysisrun <run> -n shop --token "$AUDITOR"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts abort checkout -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts undo checkout -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts undo checkout -n shop --to-revision=3 --token "$DEPLOYER"': {
        kind: "needs a cluster",
        why: ROLLBACK,
    },
    'kubectl argo rollouts promote checkout -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts abort catalog -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts pause catalog -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts undo catalog -n shop --token "$DEPLOYER"': { kind: "needs a cluster", why: ROLLBACK },
    'kubectl argo rollouts retry rollout catalog -n shop --token "$DEPLOYER"': {
        kind: "needs a cluster",
        why: ROLLBACK,
    },
    'kubectl get jobs -n shop -l platform.zdp.dev/migration=checkout --token "$AUDITOR"': {
        kind: "needs a cluster",
        why: "reads a release's migration Jobs with the auditor's token",
    },
    'kubectl logs job/<job> -n shop -c expand --token "$AUDITOR"': {
        kind: "needs a cluster",
        why: "reads a migration Job's log with the auditor's token",
    },
    'kubectl logs job/<job> -n shop -c retired-version-gone --token "$AUDITOR"': {
        kind: "needs a cluster",
        why: "reads a migration Job's log with the auditor's token",
    },
    "npm install --save-exact @pulumi/pulumi@3.270.0 ./zdp-0.1.0.tgz": {
        kind: "not run here",
        why: "a consumer's install; test/package/tarball.test.ts installs the packed tarball into a temporary project",
    },
    "npm version 0.2.0 --no-git-tag-version": { kind: "not run here", why: "the release job's own checkout" },
    "npm pkg delete private": { kind: "not run here", why: "the release job's own checkout" },
    'npm publish --registry "$INTERNAL_NPM_REGISTRY"': { kind: "not run here", why: "publishes" },
    "pulumi new python --name orders --yes": { kind: "needs the Pulumi CLI", why: "a Python consumer stack" },
    "pulumi package add <git host>/<org>/zdp@v0.1.0": { kind: "needs the Pulumi CLI", why: "a Python consumer stack" },
    "echo sdks/zdp >> requirements.txt": { kind: "not run here", why: "a Python consumer stack's file" },
    "pulumi install": { kind: "needs the Pulumi CLI", why: "a Python consumer stack" },
    "pulumi config set image registry.example.com/shop/orders@sha256:<64 hex>": {
        kind: "needs the Pulumi CLI",
        why: "a Python consumer stack",
    },
    "pulumi config set smokeTestImage registry.example.com/platform/smoke-curl@sha256:<64 hex>": {
        kind: "needs the Pulumi CLI",
        why: "a Python consumer stack",
    },
    "pulumi config set --secret databaseUrl postgres://...": {
        kind: "needs the Pulumi CLI",
        why: "a Python consumer stack",
    },
    "pulumi preview": { kind: "needs a cluster", why: "a Python consumer stack previewing against its cluster" },
    'export TOKEN="$(kubectl create token pipeline-deployer -n platform-pipeline --duration=720h)"': {
        kind: "needs a cluster",
        why: "a platform administrator issuing the deployer's credential",
    },
    'kubectl config view --minify --raw --flatten | yq \'.users = [{"name": "pipeline-deployer", "user": {"token": strenv(TOKEN)}}] | .contexts[0].context.user = "pipeline-deployer"\' > deployer.kubeconfig':
        { kind: "needs a cluster", why: "the administrator's kubeconfig of that cluster" },
    "gh secret set DEPLOYER_KUBECONFIG --env production < deployer.kubeconfig": {
        kind: "not run here",
        why: "writes a GitHub environment secret",
    },
    "rm deployer.kubeconfig": { kind: "not run here", why: "removes the file the command before it wrote" },
    "npm run policy:check -- --config policy-pack/config/staging.json --offline out/staging/manifests": {
        kind: "runs",
        // The render docs/offline-tools.md shows, run above; when this test runs alone, render it first the same way.
        prepare: async (tmp) => {
            if (fs.existsSync(path.join(tmp, "out/staging/manifests"))) return;
            ok(await npm(["run", "render", "--", "--stack", "staging", "--out", "out/staging"], tmp));
        },
        check: (r) => {
            ok(r);
            const files = fs.readdirSync(path.join(r.tmp, "out/staging/manifests")).length;
            assert.match(
                output(r),
                new RegExp(`^No violations in ${files} object\\(s\\) from ${files} file\\(s\\)\\.$`, "m"),
            );
        },
    },
    "npm run policy:check -- --list": {
        kind: "runs",
        check: (r) => {
            ok(r);
            for (const p of allPolicies) assert.match(output(r), new RegExp(`^${p.name} +(mandatory|advisory)`, "m"));
        },
    },
    "npm run sign -- registry.example.com/shop/checkout@sha256:... --key cosign.key": {
        kind: "not run here",
        why: "needs a signing key and the registry; test/images signs against a local registry",
    },
    "pulumi config set --secret checkoutDatabaseUrl 'postgresql://…' --stack prod": {
        kind: "needs the Pulumi CLI",
        why: "writes prod's ciphertext; test/docs/walkthroughs.test.ts sets such a key for a render",
    },
    "npm run bench": { kind: "slow", why: "minutes: renders up to 400 services" },
    "npm run bench:policy": { kind: "slow", why: "10,000 generated objects" },
    "npm run bench:images": { kind: "slow", why: "needs the local registry and minutes" },
    "go list -m github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3@v3.274.1": {
        kind: "not run here",
        why: "shows the Go module proxy refusing the module; needs the network",
    },
};

/** Runs `npm <args>` in the checkout, with the docs' relative output paths moved into `tmp`. */
function npm(args: string[], tmp: string): Promise<Run> {
    const moved = args.map((a) => (/^(out\/|my\.json$)/.test(a) ? path.join(tmp, a) : a));
    return new Promise((resolve, reject) => {
        const child = spawn("npm", moved, {
            cwd: ROOT,
            env: {
                ...process.env,
                PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
            },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr, tmp }));
    });
}

/** The npm script a command runs (`npm test`, `npm start`, `npm run <script> …`), if it is one. */
function scriptOf(command: string): string | undefined {
    const words = shellWords(command);
    if (words[0] !== "npm") return undefined;
    if (words[1] === "test" || words[1] === "start") return words[1];
    if (words[1] === "run") return words[2];
    return undefined;
}

describe("doc command extraction", () => {
    it("takes shell blocks' commands: comments dropped, continuations joined, && split, prompts in plain blocks", () => {
        const md = [
            "```sh",
            "# a comment line",
            "npm ci && npm start   # two commands",
            "kubectl config view \\",
            "  | yq '.a # not a comment' > f",
            "```",
            "```yaml",
            "npm run not-a-command: true",
            "```",
            "   ```",
            "   $ go version",
            "   go version go1.0 output",
            "   ```",
        ].join("\n");
        assert.deepEqual(commandsOf(md, "x.md"), [
            { command: "npm ci", where: "x.md:3" },
            { command: "npm start", where: "x.md:3" },
            { command: "kubectl config view | yq '.a # not a comment' > f", where: "x.md:4" },
            { command: "go version", where: "x.md:11" },
        ]);
        assert.deepEqual(shellWords(`a "b c" 'd e' f\\ g`), ["a", "b c", "d e", "f g"]);
    });
});

describe("commands shown in README.md and docs/", function () {
    this.timeout(180_000);
    const shown = projectDocCommands(ROOT);
    const shownSet = new Set(shown.map((c) => c.command));

    it("are all classified (classify a new one in COMMANDS)", () => {
        const missing = shown.filter((c) => !(c.command in COMMANDS)).map((c) => `${c.where}: ${c.command}`);
        assert.deepEqual(missing, []);
    });

    it("are all still shown (drop an entry the docs no longer show)", () => {
        assert.deepEqual(
            Object.keys(COMMANDS).filter((c) => !shownSet.has(c)),
            [],
        );
    });

    it("are classified by what they need", () => {
        for (const [command, verdict] of Object.entries(COMMANDS)) {
            const script = scriptOf(command);
            if (script) assert.ok(script in SCRIPTS, `${command}: no npm script "${script}"`);
            switch (verdict.kind) {
                case "runs":
                    assert.ok(script, `${command}: only npm scripts run here`);
                    break;
                case "needs a cluster":
                    assert.match(command, /\bkubectl\b|^pulumi (up|preview)\b/, command);
                    break;
                case "needs the Pulumi CLI":
                    assert.match(command, /^pulumi /, command);
                    break;
                case "real engine":
                    // What `npm run test:engine` runs, or that script itself.
                    assert.ok(script, command);
                    assert.match(SCRIPTS[script], /tools\/|test\/engine/, command);
                    break;
                case "slow":
                    assert.ok(script, `${command}: a slow command is an npm script, checked to exist`);
                    break;
                case "not run here":
                    assert.ok(verdict.why.length > 0);
                    break;
            }
        }
    });

    describe("that run, on fresh renders in a temporary folder", () => {
        let tmp: string;
        before(() => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-doc-commands-"));
        });
        after(() => fs.rmSync(tmp, { recursive: true, force: true }));

        for (const [command, verdict] of Object.entries(COMMANDS)) {
            if (verdict.kind !== "runs" || !shownSet.has(command)) continue;
            it(command, async () => {
                await verdict.prepare?.(tmp);
                const words = shellWords(command);
                verdict.check(await npm(words.slice(1), tmp));
            });
        }
    });
});
