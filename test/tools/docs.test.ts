import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GENERATED_DOCS, ROOT, endMarker, expected, sectionOf, staleDocs, startMarker } from "../../tools/docs";
import { componentsReference } from "../../tools/componentsReference";

describe("generated docs (tools/docs.ts)", function () {
    this.timeout(180_000);

    for (const doc of GENERATED_DOCS) {
        const label = doc.section ? `${doc.file} (${doc.section})` : doc.file;
        it(`${label} is what the code generates (run \`npm run docs\` after changing its source)`, async () => {
            assert.deepEqual(await staleDocs([doc]), [], `${label} is out of date: run \`npm run docs\``);
        });
    }

    it("notices a hand edit inside a generated section, and a missing marker is an error naming the file", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-docs-"));
        try {
            const rel = path.relative(ROOT, path.join(dir, "page.md"));
            const doc = { file: rel, section: "demo", generate: async () => "| a | b |\n|---|---|\n| 1 | 2 |" };
            fs.writeFileSync(path.join(ROOT, rel), `# Page\n\n${startMarker("demo")}\n\n${endMarker("demo")}\n`);
            assert.deepEqual(await staleDocs([doc]), [`${rel} (demo)`]);
            fs.writeFileSync(path.join(ROOT, rel), await expected(doc));
            assert.deepEqual(await staleDocs([doc]), []);
            assert.equal(
                sectionOf(fs.readFileSync(path.join(ROOT, rel), "utf8"), "demo"),
                "| a   | b   |\n| --- | --- |\n| 1   | 2   |",
            );
            fs.writeFileSync(path.join(ROOT, rel), "# Page\n\nno markers\n");
            await assert.rejects(
                expected(doc),
                new RegExp(`${rel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} lacks the markers`),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the components reference documents every type it links to (no resource-typed or unknown types leak)", async () => {
        const ref = await componentsReference();
        const headings = new Set([...ref.matchAll(/^#{3,4} (\S+)$/gm)].map((m) => m[1].toLowerCase()));
        for (const [, target] of ref.matchAll(/\]\(#([a-z0-9-]+)\)/g)) {
            assert.ok(headings.has(target), `the reference links to #${target}, which it does not document`);
        }
    });
});
