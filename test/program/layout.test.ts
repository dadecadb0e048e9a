/**
 * The layout docs/contributing.md describes, held by a test: product code never imports from test/, TypeScript files
 * are camelCase, and no test sits loose at the root of test/ (tests mirror the source tree).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
})
    .split("\n")
    .filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));

const PRODUCT = /^(components|policy-pack|tools|bench|examples)\/|^index\.ts$/;

describe("repository layout", () => {
    it("product code never imports from test/", () => {
        const offenders: string[] = [];
        for (const file of tracked.filter((f) => PRODUCT.test(f) && /\.(ts|mjs|js)$/.test(f))) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const m of text.matchAll(/(?:from\s+|import\(|require\()["']([^"']+)["']/g)) {
                if (!m[1].startsWith(".")) continue;
                const target = path.relative(ROOT, path.resolve(ROOT, path.dirname(file), m[1]));
                if (target === "test" || target.startsWith(`test${path.sep}`))
                    offenders.push(`${file} imports ${m[1]}`);
            }
        }
        assert.deepEqual(offenders, [], "move what both need out of test/ (see docs/contributing.md)");
    });

    it("TypeScript files are named in camelCase", () => {
        const bad = tracked.filter(
            (f) => f.endsWith(".ts") && !/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*\.ts$/.test(path.basename(f)),
        );
        assert.deepEqual(bad, [], "rename these files in camelCase (docs/contributing.md)");
    });

    it("tests mirror the source tree: none sits loose at the root of test/", () => {
        const loose = tracked.filter((f) => /^test\/[^/]+\.test\.ts$/.test(f));
        assert.deepEqual(loose, [], "move each test beside the path of the module it tests, under test/");
    });
});
