import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, ".github", "workflows");
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;

/** Every `run:` line of a workflow, joined. */
function runLines(doc: any): string {
    return Object.values<any>(doc.jobs)
        .flatMap((j) => j.steps ?? [])
        .map((s: any) => s.run ?? "")
        .join("\n");
}

/** Steps that use pulumi/actions, with their job. */
function pulumiSteps(doc: any): { job: string; step: any }[] {
    return Object.entries<any>(doc.jobs).flatMap(([job, j]) =>
        (j.steps ?? [])
            .filter((s: any) => String(s.uses ?? "").startsWith("pulumi/actions@"))
            .map((step: any) => ({ job, step })),
    );
}

describe("GitHub workflows", () => {
    const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

    it("exist for pull requests, deploys and the scheduled mutation testing", () => {
        assert.deepEqual(
            files.sort(),
            ["deploy.yml", "mutation.yml", "drift.yml", "pull-request.yml", "release.yml", "security.yml"].sort(),
        );
    });

    for (const f of files) {
        it(`${f} is valid against the published workflow schema`, () => {
            const state = validateWorkflow(read(f));
            assert.deepEqual(state.errors, [], `${f}: ${JSON.stringify(state.errors, null, 2)}`);
        });

        it(`${f} calls only npm scripts that exist`, () => {
            const used = [...runLines(parse(read(f))).matchAll(/npm run(?: -s)? ([\w:-]+)/g)].map((m) => m[1]);
            for (const s of used) assert.ok(scripts[s], `${f} runs "npm run ${s}" but package.json has no such script`);
        });
    }

    it("the validator rejects a broken workflow (so the checks above can fail)", () => {
        const state = validateWorkflow(
            "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - usez: nothing\n",
        );
        assert.ok(state.errors.length > 0);
    });

    it("pull requests run lint, the secrets scan, tests, the offline preview and a policy preview of both stacks", () => {
        const doc = parse(read("pull-request.yml"));
        assert.ok(doc.on.pull_request, "triggered by pull_request");
        const runs = runLines(doc);
        for (const cmd of ["npm ci", "npm run lint", "npm run scan:secrets", "npm test", "preview:offline"]) {
            assert.ok(runs.includes(cmd), `pull-request.yml should run ${cmd}`);
        }
        // The policy preview runs the real engine without a cluster (test/workflows/identities.test.ts).
        assert.deepEqual(pulumiSteps(doc), []);
        assert.match(runs, /npm run -s preview:real -- --stack "\$STACK"/);
        assert.deepEqual(doc.jobs.preview.strategy.matrix.stack, ["staging", "prod"]);
    });

    it("main deploys staging, then prod behind the production environment's approval", () => {
        const doc = parse(read("deploy.yml"));
        assert.deepEqual(doc.on.push.branches, ["main"]);
        const ups = pulumiSteps(doc);
        assert.deepEqual(
            ups.map(({ job, step }) => [job, step.with.command, step.with.policyPackConfigs]),
            [
                ["staging", "up", "policy-pack/config/staging.json"],
                ["prod", "up", "policy-pack/config/prod.json"],
            ],
        );
        assert.equal(doc.jobs.prod.needs, "staging");
        assert.equal(doc.jobs.prod.environment, "production");
    });

    it("mutation testing runs on a schedule, one job per module of the Stryker config, and keeps the reports", async () => {
        const doc = parse(read("mutation.yml"));
        assert.ok(doc.on.schedule?.[0]?.cron, "scheduled");
        const { MODULES } = await import(path.join(ROOT, "stryker.config.mjs"));
        const job = doc.jobs.mutation;
        assert.deepEqual([...job.strategy.matrix.module].sort(), Object.keys(MODULES).sort());
        assert.match(runLines(doc), /npm run test:mutation -- "\$MODULE"/);
        assert.equal(
            job.steps.find((s: any) => String(s.run).includes("test:mutation")).env.MODULE,
            "${{ matrix.module }}",
        );
        assert.ok(job.steps.some((s: any) => String(s.uses).startsWith("actions/upload-artifact@")));
    });

    it("mutation testing pins every action to a full commit SHA", () => {
        const uses = Object.values<any>(parse(read("mutation.yml")).jobs).flatMap((j) =>
            (j.steps ?? []).filter((s: any) => s.uses).map((s: any) => String(s.uses)),
        );
        assert.ok(uses.length >= 3);
        for (const u of uses) assert.match(u, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, u);
    });

    it("no workflow holds a credential: secrets come from the repository's secret store", () => {
        for (const f of files) {
            for (const m of read(f).matchAll(/(TOKEN|KUBECONFIG[A-Z_]*):\s*(.+)$/gm)) {
                assert.match(m[2], /^\$\{\{ .*secrets\./, `${f}: ${m[1]} must come from secrets.*`);
            }
        }
    });
});
