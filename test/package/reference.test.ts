import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { README, componentsReference, readmeSection } from "../tools/componentsReference";

describe("README components reference", function () {
    this.timeout(120_000);

    it("is what the components' own schema says (run `npm run docs` after changing args or outputs)", async () => {
        const section = readmeSection(fs.readFileSync(README, "utf8"));
        assert.ok(section !== undefined, "README.md has the components-reference markers");
        const expected = await componentsReference();
        assert.ok(section === expected, "README.md's components reference is out of date: run `npm run docs`");
    });

    it("every type it links to is documented in it (no resource-typed or unknown types leak into the API)", async () => {
        const ref = await componentsReference();
        const headings = new Set([...ref.matchAll(/^#{3,4} (\S+)$/gm)].map((m) => m[1].toLowerCase()));
        for (const [, target] of ref.matchAll(/\]\(#([a-z0-9-]+)\)/g)) {
            assert.ok(headings.has(target), `the reference links to #${target}, which it does not document`);
        }
    });
});
