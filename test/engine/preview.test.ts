/**
 * Differential test of the pull-request check: for each stack, the real `pulumi preview` with the policy pack
 * (npm run preview:real) against the offline preview (npm run preview:offline) on the same configuration. The
 * engine must run the program and load the pack without error, and the analyzer's verdicts must equal the offline
 * checker's: same policies, same resources, same enforcement levels.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listStacks } from "../../tools/stacks";
import { previewReal, RealPreviewReport } from "../../tools/previewReal";
import { ROOT } from "../../tools/engine/workspace";
import { ENGINE_SET, requireToolchain, runTool, setArgs } from "./helpers";

interface OfflineViolation {
    policy: string;
    enforcementLevel: string;
    /** The resource the violation is about (the offline preview's `file` is the stack file, for code scanning). */
    urn: string | null;
    message: string;
}

/** `policy level urn` keys, sorted: the comparable part of a verdict. */
function verdicts(items: { policy: string; enforcementLevel: string; urn?: string | null }[]): string[] {
    return items.map((v) => `${v.policy} ${v.enforcementLevel} ${v.urn ?? "(stack)"}`).sort();
}

for (const stack of listStacks(ROOT)) {
    describe(`real engine: preview of stack ${stack}`, function () {
        let real: RealPreviewReport;
        let offline: { violations: OfflineViolation[]; mandatory: number; resources: number };

        before(async function () {
            requireToolchain(this);
            real = await previewReal({ stack, set: ENGINE_SET });
            const r = runTool("tools/previewOffline.ts", [
                "--stack",
                stack,
                "--format",
                "json",
                ...setArgs(ENGINE_SET),
            ]);
            assert.ok(r.code === 0 || r.code === 1, `preview:offline failed (${r.code}): ${r.stderr}`);
            offline = JSON.parse(r.stdout);
        });

        it("runs the program and loads the policy pack without an error", () => {
            assert.deepEqual(real.errors, [], "the engine reported errors");
        });

        it("passes with the stack's own policy config, as the offline preview does", () => {
            assert.equal(
                real.mandatory,
                0,
                JSON.stringify(real.policies.filter((p) => p.enforcementLevel === "mandatory")),
            );
            assert.equal(offline.mandatory, 0);
            assert.equal(real.engineExitCode, 0);
        });

        it("declares the same number of resources as the offline render (render.test.ts compares the URNs)", () => {
            assert.equal(real.urns.length, offline.resources);
        });

        it("the analyzer's verdicts equal the offline checker's", () => {
            const realVerdicts = verdicts(real.policies);
            const offlineVerdicts = verdicts(offline.violations);
            assert.deepEqual(realVerdicts, offlineVerdicts);
        });
    });
}

/**
 * The stacks pass, so their verdict lists are empty; a config that narrows the registry allow-list to a registry the
 * stack does not use makes every image fail, and both paths must then report exactly the same violations.
 */
describe("real engine: preview with violations (staging, allow-list narrowed)", function () {
    let work: string;
    let real: RealPreviewReport;
    let offline: { violations: OfflineViolation[]; mandatory: number };

    before(async function () {
        requireToolchain(this);
        work = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-strict-"));
        const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack", "config", "staging.json"), "utf8"));
        config["images-allowed-registries"] = {
            ...config["images-allowed-registries"],
            allowedRegistries: ["registry.invalid/none"],
        };
        const policyConfig = path.join(work, "strict.json");
        fs.writeFileSync(policyConfig, JSON.stringify(config));
        real = await previewReal({ stack: "staging", set: ENGINE_SET, policyConfig });
        const r = runTool("tools/previewOffline.ts", [
            "--stack",
            "staging",
            "--format",
            "json",
            "--policy-config",
            policyConfig,
            ...setArgs(ENGINE_SET),
        ]);
        assert.equal(r.code, 1, `preview:offline should fail: ${r.stderr}`);
        offline = JSON.parse(r.stdout);
    });

    after(() => work && fs.rmSync(work, { recursive: true, force: true }));

    it("both fail with mandatory violations, and the engine's exit code says so", () => {
        assert.ok(real.mandatory > 0);
        assert.notEqual(real.engineExitCode, 0);
        assert.equal(real.mandatory, offline.mandatory);
    });

    it("the analyzer's verdicts equal the offline checker's, resource by resource", () => {
        assert.deepEqual(verdicts(real.policies), verdicts(offline.violations));
    });
});
