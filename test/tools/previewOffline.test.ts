/**
 * The offline preview (`npm run preview:offline`, `npm start`): both stacks pass the whole policy pack with their own
 * policy config, each service's release timing is reported, mandatory violations fail the run, and user mistakes
 * give exit code 2 with a message.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "tools", "previewOffline.ts");

function preview(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The services a stack file configures, as `namespace/name`. */
function configuredServices(stack: string): string[] {
    const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    return doc.config["zdp:services"].map((s: any) => `${s.namespace}/${s.name}`);
}

describe("offline preview (policy pack over the rendered stack)", function () {
    this.timeout(300_000);
    const reports: Record<string, any> = {};

    for (const stack of ["staging", "prod"]) {
        it(`${stack}: the program's own output passes every mandatory policy (exit 0) and reports every service`, () => {
            const r = preview(["--stack", stack, "--format", "json"]);
            assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
            const report = JSON.parse(r.stdout);
            reports[stack] = report;
            assert.equal(report.mandatory, 0, JSON.stringify(report.violations, null, 2));
            assert.ok(report.policies >= 20, "the whole pack ran");
            assert.ok(report.objects > 50);
            assert.deepEqual(report.services.map((s: any) => s.service).sort(), configuredServices(stack).sort());
            for (const s of report.services) {
                assert.ok(s.gates.length > 0, `${s.service} has gates`);
                assert.ok(Number.isFinite(s.rollbackSeconds), `${s.service} rolls back automatically`);
            }
            // Progress goes to stderr, the report to stdout.
            assert.match(r.stderr, /rendering stack/);
            assert.match(r.stderr, /running \d+ policies/);
        });
    }

    it("staging meets its budgets (rollback <= 15 s, exposure <= 5 %); prod meets 30 s", () => {
        for (const [stack, budget] of [
            ["staging", 15],
            ["prod", 30],
        ] as const) {
            for (const s of reports[stack]?.services ?? assert.fail(`${stack} report missing`)) {
                assert.ok(s.rollbackSeconds <= budget, `${stack} ${s.service}: ${s.rollbackSeconds} s`);
                assert.ok(s.maxExposurePercent <= 5, `${stack} ${s.service}: ${s.maxExposurePercent}%`);
            }
        }
    });

    it("markdown is ready for a pull-request comment", () => {
        const r = preview(["--stack", "staging", "--format", "markdown"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^### Offline preview of `staging`: PASS/);
        assert.match(r.stdout, /\| service \| strategy \| gates \| healthy promotion \| worst-case rollback \|/);
        assert.match(r.stdout, /#### mandatory \(0\)/);
    });

    it("a mandatory violation fails the run (exit 1) and names the policy, object and component", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-preview-"));
        try {
            const config = JSON.parse(
                fs.readFileSync(path.join(ROOT, "policy-pack", "config", "staging.json"), "utf8"),
            );
            config["images-allowed-registries"].allowedRegistries = ["registry.example.com/platform"];
            const file = path.join(dir, "narrow.json");
            fs.writeFileSync(file, JSON.stringify(config));
            const r = preview(["--stack", "staging", "--policy-config", file]);
            assert.equal(r.code, 1, r.stdout + r.stderr);
            assert.match(r.stdout, /FAIL: \d+ mandatory violation/);
            assert.match(
                r.stdout,
                /\[images-allowed-registries\] BlueGreenService "shop-checkout": Rollout shop\/checkout: containers\[0\]/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("user mistakes exit 2 with a message and no stack trace", () => {
        const cases: [string[], RegExp][] = [
            [["--stack", "qa"], /unknown stack "qa"; the stacks of this project are: prod, staging/],
            [["--stack", "staging", "--format", "html"], /--format must be one of text, markdown, json/],
            [["--format", "json"], /--stack is required/],
            [["--stack", "staging", "--policy-config", "/nonexistent.json"], /no policy config/],
        ];
        for (const [args, message] of cases) {
            const r = preview(args);
            assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
            assert.match(r.stderr, message);
            assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
        }
    });
});
