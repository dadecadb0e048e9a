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
});
