/**
 * Every policy has fixtures beside it, in policy-pack/policies/fixtures/<policy-name>/, checked with that policy alone
 * through the offline engine: `pass-*` files must produce no mandatory violation, `fail-*` files at least one, and
 * `advisory-*` files at least one advisory and no mandatory one. An optional `config.json` in the directory is the
 * policy-pack config for its files. Adding a fixture needs no code.
 *
 * A policy without a fixture directory fails, unless policy-pack/policies/fixtures/without-fixtures.json names it with
 * the reason a static file cannot show it passing and the tests that check it instead.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyEngine } from "../../../policy-pack/lib/engine";
import { loadManifests } from "../../../policy-pack/lib/manifests";
import { allPolicies } from "../../../policy-pack/policies";
import { FIXTURES, REPO } from "../helpers";

const OUTCOME = /^(pass|fail|advisory)-.+\.(ya?ml|json)$/;
const dirs = fs
    .readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
const WITHOUT: Record<string, { reason: string; tests: string[] }> = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, "without-fixtures.json"), "utf8"),
);

describe("policy fixtures", () => {
    it("names a policy of the pack with every fixture directory", () => {
        const names = new Set(allPolicies.map((p) => p.name));
        for (const d of dirs) assert.ok(names.has(d), `fixtures/${d} is not a policy of the pack`);
    });

    it("has a fixture directory for every policy, or a reason and the tests that stand in for it", () => {
        const missing = allPolicies.map((p) => p.name).filter((n) => !dirs.includes(n) && !(n in WITHOUT));
        assert.deepEqual(
            missing,
            [],
            "policies without fixtures (add a directory, or a reasoned entry to without-fixtures.json)",
        );
    });

    it("lists in without-fixtures.json only policies of the pack that have no fixtures, each with a reason and its tests", () => {
        const names = new Set(allPolicies.map((p) => p.name));
        for (const [name, entry] of Object.entries(WITHOUT)) {
            assert.ok(names.has(name), `without-fixtures.json: ${name} is not a policy of the pack`);
            assert.ok(!dirs.includes(name), `without-fixtures.json: ${name} has fixtures/${name}; remove the entry`);
            assert.match(entry.reason ?? "", /\S.{20,}/, `without-fixtures.json: ${name}.reason must say why`);
            assert.ok(entry.tests?.length > 0, `without-fixtures.json: ${name}.tests must name the tests instead`);
            for (const t of entry.tests)
                assert.ok(
                    fs.existsSync(path.join(REPO, t)),
                    `without-fixtures.json: ${name}.tests: ${t} does not exist`,
                );
        }
    });

    for (const dir of dirs) {
        describe(dir, () => {
            const full = path.join(FIXTURES, dir);
            const files = fs
                .readdirSync(full)
                .filter((f) => f !== "config.json")
                .sort();

            it("has only outcome-named files, with at least one pass and one fail", () => {
                for (const f of files) assert.match(f, OUTCOME, `${dir}/${f} does not say its outcome`);
                assert.ok(
                    files.some((f) => f.startsWith("pass-")),
                    `${dir} has no pass-* fixture`,
                );
                assert.ok(
                    files.some((f) => f.startsWith("fail-")),
                    `${dir} has no fail-* fixture`,
                );
            });

            const configFile = path.join(full, "config.json");
            const config = fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, "utf8")) : {};

            for (const file of files.filter((f) => OUTCOME.test(f))) {
                const outcome = OUTCOME.exec(file)![1];
                it(`${file} ${outcome === "pass" ? "passes" : outcome === "fail" ? "fails" : "is advisory only"}`, async () => {
                    const engine = new PolicyEngine({ config, only: [dir] });
                    const objects = await loadManifests([path.join(full, file)]);
                    assert.ok(objects.length > 0, "fixture has no objects");
                    const violations = await engine.check(objects);
                    const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory");
                    const advisory = violations.filter((v) => v.enforcementLevel === "advisory");
                    const shown = JSON.stringify(
                        violations.map((v) => v.message),
                        null,
                        2,
                    );
                    if (outcome === "pass") assert.equal(mandatory.length, 0, `unexpected violations: ${shown}`);
                    if (outcome === "fail") assert.ok(mandatory.length > 0, "expected a mandatory violation, got none");
                    if (outcome === "advisory") {
                        assert.equal(mandatory.length, 0, `unexpected mandatory violations: ${shown}`);
                        assert.ok(advisory.length > 0, "expected an advisory violation, got none");
                    }
                    for (const v of violations) assert.equal(v.policy, dir);
                });
            }
        });
    }
});
