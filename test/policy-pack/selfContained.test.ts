/**
 * The policy pack is what `pulumi policy publish` uploads and what `--policy-pack policy-pack` loads: its folder on
 * its own. These tests pack it with npm, unpack the tarball into an empty folder beside the installed packages only,
 * and check that it type-checks there with its own tsconfig.json (the CLI's ts-node type-checks it the same way),
 * that its policies load, and that the policies' fixtures stay out. The shared timing model is a generated copy that
 * must match its source.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SHARED_SOURCES, staleCopies } from "../../tools/syncPolicyPack";

const ROOT = path.resolve(__dirname, "..", "..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");

describe("policy pack: self-contained", function () {
    this.timeout(240_000);
    let unpacked: string;
    let work: string;

    before(function () {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-pack-"));
        const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], {
            cwd: path.join(ROOT, "policy-pack"),
            encoding: "utf8",
        }).trim();
        fs.mkdirSync(path.join(work, "out"));
        execFileSync("tar", ["-xzf", path.join(work, tarball), "-C", path.join(work, "out")]);
        unpacked = path.join(work, "out", "package");
        // The pack's dependencies as npm ci installed them (the workspace's own, then the hoisted ones), nothing else
        // of the repository.
        fs.symlinkSync(path.join(ROOT, "policy-pack", "node_modules"), path.join(unpacked, "node_modules"), "dir");
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(work, "out", "node_modules"), "dir");
    });

    after(() => fs.rmSync(work, { recursive: true, force: true }));

    it("the generated copies of shared sources match their source (npm run sync:policy-pack)", () => {
        assert.deepEqual(staleCopies(), []);
        for (const copy of Object.values(SHARED_SOURCES)) assert.ok(copy.startsWith("policy-pack/"), copy);
    });

    it("the tarball carries the pack's tsconfig.json, PulumiPolicy.yaml and every source file", () => {
        for (const f of [
            "tsconfig.json",
            "PulumiPolicy.yaml",
            "index.ts",
            "policies/index.ts",
            "lib/releaseTiming.ts",
        ]) {
            assert.ok(fs.existsSync(path.join(unpacked, f)), `${f} is missing from the packed pack`);
        }
    });

    it("leaves the policies' fixtures (test inputs) out of the tarball", () => {
        const fixtures = path.join(ROOT, "policy-pack", "policies", "fixtures");
        assert.ok(fs.readdirSync(fixtures).length > 0, "policy-pack/policies/fixtures/ is empty: nothing to leave out");
        assert.ok(
            !fs.existsSync(path.join(unpacked, "policies", "fixtures")),
            'policies/fixtures/ is in the packed pack: narrow "files" in policy-pack/package.json',
        );
    });

    it("type-checks on its own with its own tsconfig.json, importing nothing outside its folder", () => {
        const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
        const r = spawnSync(NODE, [tsc, "-p", path.join(unpacked, "tsconfig.json"), "--listFilesOnly"], {
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const files = r.stdout.split("\n").filter((f) => f.trim() !== "");
        const outside = files.filter(
            (f) => !f.startsWith(unpacked) && !f.includes(`${path.sep}node_modules${path.sep}`),
        );
        assert.deepEqual(outside, [], "files compiled from outside the pack's folder");
        const check = spawnSync(NODE, [tsc, "-p", path.join(unpacked, "tsconfig.json")], { encoding: "utf8" });
        assert.equal(check.status, 0, check.stdout + check.stderr);
    });

    it("its policies load from the unpacked folder", () => {
        const script = `const p = require(${JSON.stringify(path.join(unpacked, "policies", "index.ts"))});
            console.log(JSON.stringify(p.allPolicies.map((x) => x.name)));`;
        const r = spawnSync(NODE, ["--import", "tsx", "-e", script], { cwd: unpacked, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const names: string[] = JSON.parse(r.stdout);
        assert.ok(names.includes("release-safety"), names.join(", "));
        assert.ok(names.length >= 20, `only ${names.length} policies loaded`);
    });
});
