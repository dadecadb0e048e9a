/**
 * The rollback runbook in README.md: what a person on call reads at night. It must cover both strategies with the
 * commands for each, name the identity to use, keep prod changes in the approval-gated deploy workflow, and be one
 * click away from every alert's runbook.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const README = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");

/** The text of a section: from its heading to the next heading of the same or a higher level (outside code blocks). */
function section(heading: string): string {
    const level = /^#+/.exec(heading)![0].length;
    const lines = README.split("\n");
    const start = lines.indexOf(heading);
    assert.ok(start >= 0, `README has "${heading}"`);
    let fenced = false;
    let end = start + 1;
    for (; end < lines.length; end++) {
        if (lines[end].startsWith("```")) fenced = !fenced;
        const h = /^(#+) /.exec(lines[end]);
        if (!fenced && h && h[1].length <= level) break;
    }
    return lines.slice(start + 1, end).join("\n");
}

describe("README rollback runbook", () => {
    const runbook = section("## Rollback runbook");

    for (const [strategy, heading] of [
        ["blue/green", "### Blue/green: checkout in shop"],
        ["canary", "### Canary: catalog in shop"],
    ]) {
        it(`gives the ${strategy} abort and undo commands`, () => {
            const text = section(heading);
            assert.match(text, /kubectl argo rollouts abort \S+ -n \S+/);
            assert.match(text, /kubectl argo rollouts undo \S+ -n \S+/);
        });
    }

    it("never has a person run pulumi up: the rollback is committed and deployed by the workflow", () => {
        assert.doesNotMatch(runbook.replace(/Nobody runs `pulumi up`[^:]*:/, ""), /pulumi up/);
        assert.match(runbook, /\.github\/workflows\/deploy\.yml/);
        assert.ok(fs.existsSync(path.resolve(__dirname, "..", "..", ".github", "workflows", "deploy.yml")));
        assert.match(runbook, /Pulumi\.prod\.yaml/);
    });

    it("says which pipeline identity looks and which acts, and that the builder never does", () => {
        const who = section("### Who acts, with which identity");
        assert.match(who, /\*\*auditor\*\* \(`pipeline-auditor`\) to look/);
        assert.match(who, /\*\*deployer\*\* \(`pipeline-deployer`\) to act/);
        assert.match(who, /\*\*builder\*\* \(`pipeline-builder`\) never/);
    });

    it("is linked from every alert's runbook", () => {
        const alerts = section("### Runbooks")
            .split(/^#### /m)
            .slice(1);
        assert.ok(alerts.length >= 9, `found ${alerts.length} alert runbooks`);
        for (const alert of alerts) {
            const name = alert.split("\n")[0];
            assert.match(alert, /\]\(#rollback-runbook\)/, `${name} links to the rollback runbook`);
        }
    });
});
