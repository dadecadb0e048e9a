/**
 * The rollback runbook, docs/runbooks/rollback.md: what a person on call reads at night. It must cover both
 * strategies with the commands for each, name the identity to use, keep prod changes in the approval-gated deploy
 * workflow, and be one click away from every alert's runbook page.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { alertSpecs } from "../../components/observability/rules";
import { ruleOptionsFor } from "../helpers/components";
import { page, relativeLinks, ROOT, section } from "./markdown";

const RUNBOOK = "docs/runbooks/rollback.md";

describe("rollback runbook (docs/runbooks/rollback.md)", () => {
    const runbook = page(RUNBOOK);

    it("is its own page, titled as such", () => {
        assert.match(runbook, /^# Rollback runbook\n/);
    });

    for (const [strategy, heading] of [
        ["blue/green", "## Blue/green: checkout in shop"],
        ["canary", "## Canary: catalog in shop"],
    ]) {
        it(`gives the ${strategy} abort and undo commands`, () => {
            const text = section(RUNBOOK, heading);
            assert.match(text, /kubectl argo rollouts abort \S+ -n \S+/);
            assert.match(text, /kubectl argo rollouts undo \S+ -n \S+/);
        });
    }

    it("never has a person run pulumi up: the rollback is committed and deployed by the workflow", () => {
        assert.doesNotMatch(runbook.replace(/Nobody runs `pulumi up`[^:]*:/, ""), /pulumi up/);
        assert.match(runbook, /\.github\/workflows\/deploy\.yml/);
        assert.ok(fs.existsSync(path.join(ROOT, ".github", "workflows", "deploy.yml")));
        assert.match(runbook, /Pulumi\.prod\.yaml/);
    });

    it("says which pipeline identity looks and which acts, and that the builder never does", () => {
        const who = section(RUNBOOK, "## Who acts, with which identity");
        assert.match(who, /\*\*auditor\*\* \(`pipeline-auditor`\) to look/);
        assert.match(who, /\*\*deployer\*\* \(`pipeline-deployer`\) to act/);
        assert.match(who, /\*\*builder\*\* \(`pipeline-builder`\) never/);
    });

    it("is linked from every alert's runbook page", () => {
        const alerts = alertSpecs(ruleOptionsFor("prod")).map((s) => s.alert);
        assert.ok(alerts.length >= 9, `found ${alerts.length} alerts`);
        for (const alert of alerts) {
            const file = `docs/runbooks/${alert.toLowerCase()}.md`;
            const targets = relativeLinks(page(file), file).map((l) => l.target);
            assert.ok(targets.includes("rollback.md"), `${file} links to the rollback runbook`);
        }
    });

    it("is where the releases page sends a rollback", () => {
        const targets = relativeLinks(page("docs/releases.md"), "docs/releases.md").map((l) => l.target);
        assert.ok(targets.includes("runbooks/rollback.md"));
    });
});
