/**
 * The policy pack's generated checklist (tools/policyReference.ts): every policy of the pack has its row and its
 * checklist entry, and every link it writes resolves, to a file of the repository or a heading of the README.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { allPolicies } from "../../policy-pack/policies";
import { ROOT } from "../../tools/docs";
import { policyReference } from "../../tools/policyReference";

const README = path.join(ROOT, "policy-pack", "README.md");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
    heading
        .toLowerCase()
        .replace(/[^\w\s-]/g, "")
        .replace(/\s/g, "-");

describe("policy reference (tools/policyReference.ts)", function () {
    this.timeout(60_000);
    let text: string;
    before(async () => {
        text = await policyReference();
    });

    it("has a row and a checklist entry for every policy of the pack, with its fix", () => {
        for (const p of allPolicies) {
            assert.match(
                text,
                new RegExp(`^\\| \\[\`${p.name}\`\\]\\(policies/\\w+\\.ts\\) \\|`, "m"),
                `no row for ${p.name}`,
            );
            assert.match(
                text,
                new RegExp(`^- \\*\\*\`${p.name}\`\\*\\*: .+ _Fix:_ \\S`, "m"),
                `no entry for ${p.name}`,
            );
        }
    });

    it("links only to files that exist and to headings of the README", () => {
        const readme = fs.readFileSync(README, "utf8");
        const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1])));
        const links = [...text.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
        assert.ok(links.length > allPolicies.length * 2, `only ${links.length} links`);
        for (const target of links) {
            if (target.startsWith("#")) assert.ok(anchors.has(target.slice(1)), `no heading for ${target}`);
            else assert.ok(fs.existsSync(path.join(ROOT, "policy-pack", target)), `${target} does not exist`);
        }
    });
});
