/**
 * Every relative link of README.md and docs/**\/*.md leads somewhere: the file or folder exists in the repository,
 * and an anchor (`#…`, in the same page or another) names one of that page's headings.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { anchorOf, anchorsOf, brokenLink, docPages, page, relativeLinks } from "./markdown";

describe("links between the docs", () => {
    const pages = docPages();

    it("the pages are README.md and every Markdown page under docs/, nested ones included", () => {
        assert.equal(pages[0], "README.md");
        assert.ok(pages.includes("docs/runbooks/rollback.md"), pages.join(", "));
        assert.ok(pages.includes("docs/reference/components.md"), pages.join(", "));
    });

    it("README.md links every page of docs/ at the top level (the door to the rest)", () => {
        const linked = new Set(relativeLinks(page("README.md"), "README.md").map((l) => l.target.split("#")[0]));
        const top = pages.filter((p) => /^docs\/[^/]+\.md$/.test(p));
        assert.deepEqual(
            top.filter((p) => !linked.has(p)),
            [],
        );
    });

    for (const file of pages) {
        it(`${file}: every relative link and anchor resolves`, () => {
            const broken = relativeLinks(page(file), file)
                .map((l) => brokenLink(file, l))
                .filter((b) => b !== undefined);
            assert.deepEqual(broken, []);
        });
    }

    describe("the link check itself", () => {
        let root: string;
        before(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-links-"));
            fs.mkdirSync(path.join(root, "docs", "sub"), { recursive: true });
            fs.writeFileSync(path.join(root, "README.md"), "# Title\n\n## Set-up (two commands)\n");
            fs.writeFileSync(path.join(root, "docs", "sub", "page.md"), '# Page\n\n<a id="kept"></a>Text\n');
        });
        after(() => fs.rmSync(root, { recursive: true, force: true }));

        const check = (file: string, target: string) => brokenLink(file, { target, where: `${file}:1` }, root);

        it("accepts existing files, folders, headings and ids, relative to the linking page", () => {
            assert.equal(check("docs/sub/page.md", "../../README.md#set-up-two-commands"), undefined);
            assert.equal(check("README.md", "docs/sub/page.md#kept"), undefined);
            assert.equal(check("README.md", "docs/sub/"), undefined);
            assert.equal(check("README.md", "#title"), undefined);
        });

        it("refuses a missing file, a missing heading, and a path out of the repository", () => {
            assert.match(check("README.md", "docs/page.md")!, /no docs\/page\.md/);
            assert.match(check("docs/sub/page.md", "../../README.md#setup")!, /has no heading #setup/);
            assert.match(check("README.md", "#nowhere")!, /README\.md has no heading #nowhere/);
            assert.match(check("README.md", "../elsewhere.md")!, /leaves the repository/);
        });

        it("reads links outside code only, and skips URLs", () => {
            const md = [
                "[a](a.md) and `[b](b.md)` and [c](https://example.com/c.md) and [d](mailto:x@example.com)",
                "```md",
                "[e](e.md)",
                "```",
                "[f](f.md#g 'title')",
            ].join("\n");
            assert.deepEqual(
                relativeLinks(md, "x.md").map((l) => `${l.where} ${l.target}`),
                ["x.md:1 a.md", "x.md:5 f.md#g"],
            );
        });

        it("names anchors as GitHub does: punctuation dropped, repeated headings numbered", () => {
            assert.equal(anchorOf("Helm: `helm.v4.Chart`, and why"), "helm-helmv4chart-and-why");
            assert.equal(anchorOf("Node.js runtime: pinned"), "nodejs-runtime-pinned");
            const anchors = anchorsOf("# A\n\n## Notes\n\n```sh\n# not a heading\n```\n\n## Notes\n");
            assert.deepEqual([...anchors], ["a", "notes", "notes-1"]);
        });
    });
});
