/**
 * The workflows' fit with the tools around them: the scheduled drift check (.github/workflows/drift.yml), the Pulumi
 * CLI pinned to the version the project builds and tests with (tools/engine/cli/go.mod), pulumi/actions on its node24
 * major pinned by commit SHA, the registry login before every policy check that reads signatures, and the SARIF
 * findings uploaded to code scanning.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, ".github", "workflows");
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const doc = (f: string): any => parse(read(f));
const steps = (d: any): any[] => Object.values<any>(d.jobs).flatMap((j) => j.steps ?? []);

/** The Pulumi version the engine tools build: github.com/pulumi/pulumi/pkg/v3 in tools/engine/cli/go.mod. */
function enginePulumiVersion(): string {
    const gomod = fs.readFileSync(path.join(ROOT, "tools", "engine", "cli", "go.mod"), "utf8");
    const m = /^\s*github\.com\/pulumi\/pulumi\/pkg\/v3 v(\d+\.\d+\.\d+)\b/m.exec(gomod);
    assert.ok(m, "tools/engine/cli/go.mod pins github.com/pulumi/pulumi/pkg/v3");
    return m[1];
}

/** The stacks: one per Pulumi.<stack>.yaml. */
const STACKS = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

describe("workflows: drift detection, Pulumi CLI pin, registry login, code scanning", () => {
    const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
    const withPulumi = files.filter((f) => steps(doc(f)).some((s) => /^pulumi\/actions@/.test(String(s.uses))));

    it("drift.yml is valid against the published workflow schema, scheduled and runnable by hand", () => {
        assert.deepEqual(validateWorkflow(read("drift.yml")).errors, []);
        const d = doc("drift.yml");
        assert.match(d.on.schedule[0].cron, /^\S+ \S+ \* \* \*$/, "daily");
        assert.ok("workflow_dispatch" in d.on);
        assert.deepEqual(d.permissions, { contents: "read" });
    });

    it("drift.yml previews every stack with --refresh --expect-no-changes and the stack's policy config", () => {
        const job = doc("drift.yml").jobs.drift;
        assert.deepEqual([...job.strategy.matrix.stack].sort(), STACKS);
        assert.equal(job.strategy["fail-fast"], false, "one stack's drift does not hide another's");
        const preview = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        assert.equal(preview.with.command, "preview");
        assert.equal(preview.with.refresh, true);
        assert.equal(preview.with["expect-no-changes"], true);
        assert.equal(preview.with.policyPacks, "policy-pack");
        assert.equal(preview.with.policyPackConfigs, "policy-pack/config/${{ matrix.stack }}.json");
        assert.match(preview.with["stack-name"], /\/zdp\/\$\{\{ matrix\.stack \}\}$/);
        assert.match(preview.with.target, /zdp:index:BlueGreenService\*\*/, "the releases, as the deploy applies them");
        for (const stack of STACKS) assert.ok(fs.existsSync(path.join(ROOT, "policy-pack", "config", `${stack}.json`)));
    });

    it("drift.yml announces drift on the release webhook and fails visibly, also when the webhook is unset", () => {
        const job = doc("drift.yml").jobs.drift;
        const i = job.steps.findIndex((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        const notify = job.steps.slice(i + 1).find((s: any) => /RELEASE_WEBHOOK_URL/.test(String(s.run)));
        assert.ok(notify, "a step after the preview posts to the webhook");
        assert.equal(notify.if, "failure()");
        assert.equal(notify.env.RELEASE_WEBHOOK_URL, "${{ secrets.RELEASE_WEBHOOK_URL }}");
        assert.match(notify.run, /::error::/);
        assert.match(notify.run, /jq -n --arg text "\$text" '\{text: \$text\}'/, "a JSON body with text, built by jq");
        assert.match(notify.run, /curl --fail/);
        assert.match(notify.run, /if \[ -z "\$RELEASE_WEBHOOK_URL" \]; then[\s\S]*exit 1/);
    });

    it("drift.yml shares the deploy's concurrency group (a deploy in progress is not drift)", () => {
        assert.equal(doc("drift.yml").concurrency.group, doc("deploy.yml").concurrency.group);
        assert.equal(doc("drift.yml").concurrency["cancel-in-progress"], false);
    });

    it("every pulumi/actions step runs the Pulumi CLI the engine tools build (go.mod), on v7 pinned by SHA", () => {
        const version = enginePulumiVersion();
        assert.equal(version, "3.274.1");
        assert.ok(withPulumi.includes("deploy.yml") && withPulumi.includes("drift.yml"), withPulumi.join(", "));
        for (const f of withPulumi) {
            for (const s of steps(doc(f)).filter((x) => /^pulumi\/actions@/.test(String(x.uses)))) {
                assert.equal(String(s.with?.["pulumi-version"]), version, `${f}: pulumi-version`);
                assert.match(s.uses, /^pulumi\/actions@[0-9a-f]{40}$/, `${f}: pinned by commit SHA`);
            }
            assert.match(read(f), /pulumi\/actions@[0-9a-f]{40} # v7\.\d+\.\d+/, `${f}: v7 (node24) noted`);
        }
    });

    it("a registry login comes before every pulumi step that runs the policy pack against the registry", () => {
        for (const f of withPulumi) {
            for (const [name, job] of Object.entries<any>(doc(f).jobs)) {
                const list: any[] = job.steps ?? [];
                const pulumi = list.findIndex((s) => /^pulumi\/actions@/.test(String(s.uses)) && s.with?.policyPacks);
                if (pulumi < 0) continue;
                const login = list.findIndex((s) => /docker login/.test(String(s.run ?? "")));
                assert.ok(login >= 0 && login < pulumi, `${f} ${name}: docker login before the policy checks`);
                const step = list[login];
                assert.match(step.run, /--password-stdin/, "the password never appears on a command line");
                assert.match(step.env.REGISTRY_PASSWORD, /^\$\{\{ secrets\.\w+ \}\}$/);
            }
        }
    });

    it("pull requests upload the policy and secrets findings to code scanning (SARIF, upload-sarif pinned by SHA)", () => {
        const job = doc("pull-request.yml").jobs.checks;
        assert.equal(job.permissions["security-events"], "write");
        const run = job.steps.map((s: any) => String(s.run ?? "")).join("\n");
        assert.match(run, /preview:offline -- --stack "\$stack" --format sarif --output/);
        assert.match(run, /scan:secrets -- .*--format sarif --output reports\/sarif\/credential-scan\.sarif/);
        const uploads = job.steps.filter((s: any) => String(s.uses).startsWith("github/codeql-action/upload-sarif@"));
        assert.deepEqual(uploads.map((s: any) => s.with.category).sort(), ["policy-prod", "policy-staging", "secrets"]);
        for (const u of uploads) {
            assert.match(u.uses, /^github\/codeql-action\/upload-sarif@[0-9a-f]{40}$/);
            assert.match(u.if, /!cancelled\(\)/, "uploaded even when a check above failed on its findings");
        }
        // One codeql-action version across the workflows (security.yml's init and analyze).
        const codeql = files.flatMap((f) => [...read(f).matchAll(/github\/codeql-action\/[\w-]+@([0-9a-f]{40})/g)]);
        assert.equal(new Set(codeql.map((m) => m[1])).size, 1, "one codeql-action commit");
    });
});
