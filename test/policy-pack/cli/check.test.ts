/** End-to-end: spawn the offline checker as `npm run policy:check` does and check exit codes and output. */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIXTURES, REPO } from "../helpers";

const CLI = path.join(REPO, "policy-pack/cli/check.ts");

function check(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO, input, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fx = (policy: string, file: string) => path.join(FIXTURES, policy, file);
const FAIL = fx("rbac-no-wildcards", "fail-wildcard-verbs-second-doc.yaml");
const PASS = fx("rbac-no-wildcards", "pass-explicit-rules.yaml");

describe("policy:check CLI", function () {
    this.timeout(60000);

    it("exits 0 and says so when nothing is violated", () => {
        const r = check(["--policy", "rbac-no-wildcards", PASS]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /No violations in 3 object\(s\) from 1 file\(s\)\./);
    });

    it("exits 1 on a mandatory violation and names file, line, policy and object", () => {
        const r = check([FAIL]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
            r.stdout,
            /fail-wildcard-verbs-second-doc\.yaml:\d+: MANDATORY \[rbac-no-wildcards\]\n {4}ClusterRole ops: rules\[1\]\.verbs\[0\] is "\*"/,
        );
    });

    it("prints JSON with the documented fields", () => {
        const r = check(["--format", "json", "--policy", "rbac-no-wildcards", FAIL]);
        assert.equal(r.code, 1, r.stderr);
        const out = JSON.parse(r.stdout) as Record<string, unknown>[];
        assert.equal(out.length, 1);
        assert.deepEqual(Object.keys(out[0]).sort(), [
            "enforcementLevel",
            "file",
            "kind",
            "line",
            "message",
            "name",
            "namespace",
            "policy",
            "remediation",
            "severity",
        ]);
        assert.deepEqual(
            [out[0].policy, out[0].enforcementLevel, out[0].kind, out[0].namespace, out[0].name],
            ["rbac-no-wildcards", "mandatory", "ClusterRole", null, "ops"],
        );
        assert.equal(out[0].file, FAIL);
    });

    it("reads standard input for -", () => {
        const r = check(["--format", "json", "-"], fs.readFileSync(FAIL, "utf8"));
        assert.equal(r.code, 1, r.stderr);
        assert.ok((JSON.parse(r.stdout) as { file: string }[]).every((v) => v.file === "<stdin>"));
    });

    it("checks directories recursively", () => {
        const r = check(["--format", "json", path.join(FIXTURES, "rbac-no-node-proxy")]);
        assert.equal(r.code, 1, r.stderr);
        const files = new Set((JSON.parse(r.stdout) as { file: string }[]).map((v) => path.basename(v.file)));
        assert.ok(files.has("fail-nodes-proxy-get.yaml"));
    });

    it("exits 0 with only advisory violations (staging relaxes the workload-identity policies)", () => {
        const file = fx("workload-no-default-service-account", "fail-no-service-account-name.yaml");
        const only = ["--policy", "workload-no-default-service-account", "--policy", "service-account-token-automount"];
        const staging = check(["--config", "policy-pack/config/staging.json", ...only, file]);
        assert.equal(staging.code, 0, staging.stdout + staging.stderr);
        assert.match(staging.stdout, /ADVISORY \[workload-no-default-service-account\]/);
        const prod = check(["--config", "policy-pack/config/prod.json", ...only, file]);
        assert.equal(prod.code, 1, prod.stdout + prod.stderr);
    });

    it("--list prints name, level and description of each policy, under the given config", () => {
        const r = check(["--list", "--config", "policy-pack/config/staging.json"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stdout,
            /^rbac-no-wildcards +mandatory +resource +CIS 5\.1\.3\n {4}Roles and ClusterRoles must name/m,
        );
        assert.match(r.stdout, /^workload-no-default-service-account +advisory /m);
        assert.match(r.stdout, /^pipeline-separation-of-duties +mandatory +stack /m);
    });

    it("exits 2 listing valid names for an unknown --policy", () => {
        const r = check(["--policy", "rbac-no-wildcard", PASS]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /unknown policy "rbac-no-wildcard"; valid names:\n {2}rbac-no-cluster-admin-binding\n/);
    });

    it("exits 2 naming file and line for unparsable input, without a stack trace", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
        const bad = path.join(dir, "bad.yaml");
        fs.writeFileSync(bad, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\nkind: [unclosed\n");
        const r = check([bad]);
        assert.equal(r.code, 2);
        assert.match(
            r.stderr,
            new RegExp(`^policy:check: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:[56]: invalid YAML/JSON`),
        );
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.equal(check([path.join(dir, "missing.yaml")]).code, 2);
    });

    it("exits 2 on a config that does not validate, naming the config file and field", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
        const cfg = path.join(dir, "config.json");
        fs.writeFileSync(cfg, JSON.stringify({ "rbac-no-wildcards": { exemptions: [{ kind: "Role", name: "x" }] } }));
        const r = check(["--config", cfg, PASS]);
        assert.equal(r.code, 2);
        assert.match(
            r.stderr,
            /config\.json: rbac-no-wildcards\.exemptions\[0\]: missing required property "justification"/,
        );
        fs.writeFileSync(cfg, "{ not json");
        assert.match(check(["--config", cfg, PASS]).stderr, /config\.json: invalid JSON/);
    });

    it("exits 2 on usage errors", () => {
        assert.equal(check([]).code, 2);
        assert.equal(check(["--format", "xml", PASS]).code, 2);
        assert.equal(check(["--bogus", PASS]).code, 2);
    });
});
