/**
 * The workflows use the pipeline identities: deploys run as each environment's deployer ServiceAccount and refuse
 * any other credential; pull-request jobs hold no cluster or Pulumi state credential at all.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../helpers/renderedStack";

const read = (f: string) => fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", f), "utf8");
const steps = (doc: any, job: string): any[] => doc.jobs[job].steps;

describe("Workflows and the pipeline identities", () => {
    const deploy = parse(read("deploy.yml"));
    const pr = read("pull-request.yml");

    for (const [job, stack] of [
        ["staging", "staging"],
        ["prod", "prod"],
    ]) {
        it(`deploy's ${job} job releases as the deployer, checks that identity first, and targets the releases only`, () => {
            const all = steps(deploy, job);
            const secretsUsed = JSON.stringify(all).match(/secrets\.[A-Z_]+/g) ?? [];
            assert.deepEqual([...new Set(secretsUsed)].sort(), [
                "secrets.DEPLOYER_KUBECONFIG",
                "secrets.PULUMI_ACCESS_TOKEN",
                // Read-only pull credential for the policy pack's signature checks (drift.test.ts).
                "secrets.REGISTRY_READ_TOKEN",
            ]);
            const i = all.findIndex((s) => s.env?.DEPLOYER_KUBECONFIG);
            const check = all[i];
            assert.equal(check.env.EXPECTED_IDENTITY, "system:serviceaccount:platform-pipeline:pipeline-deployer");
            assert.match(check.run, /kubectl auth whoami/);
            assert.match(check.run, /"\$who" != "\$EXPECTED_IDENTITY"[\s\S]*exit 1/);
            assert.match(check.run, /kubectl auth can-i create clusterrolebindings[\s\S]*exit 1/);
            const up = all.findIndex((s) => String(s.uses).startsWith("pulumi/actions@"));
            assert.ok(i >= 0 && i < up, "the identity is checked before pulumi up");
            assert.deepEqual(all[up].with.target.trim().split("\n"), [
                `urn:pulumi:${stack}::zdp::zdp:index:BlueGreenService**`,
            ]);
        });
    }

    it("deploy's jobs are bound to their GitHub environments, whose DEPLOYER_KUBECONFIG differ", () => {
        assert.equal(deploy.jobs.staging.environment, "staging");
        assert.equal(deploy.jobs.prod.environment, "production");
        assert.doesNotMatch(read("deploy.yml"), /KUBECONFIG_(PROD|STAGING)/);
    });

    it("pull requests hold no cluster or Pulumi state credential and preview with the real engine, offline", () => {
        assert.doesNotMatch(pr, /KUBECONFIG|PULUMI_ACCESS_TOKEN|kubectl/);
        assert.deepEqual(pr.match(/secrets\.[A-Za-z_]+/g) ?? [], []);
        const doc = parse(pr);
        assert.ok(steps(doc, "preview").some((s) => /npm run -s preview:real/.test(s.run ?? "")));
    });
});
