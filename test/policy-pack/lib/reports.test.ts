/**
 * Machine-readable reports (policy-pack/lib/reports.ts) of `policy:check`, `scan:secrets` and `preview:offline`:
 * SARIF validated against the published SARIF 2.1.0 JSON schema (as shipped by @microsoft/jest-sarif, the SARIF SDK's
 * package) with ajv, JUnit parsed as XML with fast-xml-parser; every finding carries file, line, policy, severity,
 * enforcement level and remediation; --output writes the report while the summary stays on stderr.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { allPolicies } from "../../../policy-pack/policies";
import { artifactUri, junitReport, rulesOfPolicies, sarifReport } from "../../../policy-pack/lib/reports";
import { slackWebhookUrl } from "../secrets/fakeCredentials";
import { FIXTURES, REPO } from "../helpers";

const SCHEMA = JSON.parse(
    fs.readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
);
// unicodeRegExp off: the schema's language pattern has a stray "]" that only a non-unicode RegExp accepts.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(SCHEMA);
/** The validator as a plain predicate (its type guard would narrow the log to unknown). */
const schemaOk = (data: unknown): boolean => validateSarif(data);

function assertValidSarif(text: string): any {
    const log: any = JSON.parse(text);
    const ok = schemaOk(log);
    assert.ok(ok, `SARIF schema errors: ${JSON.stringify(validateSarif.errors?.slice(0, 5), null, 2)}`);
    assert.equal(log.version, "2.1.0");
    return log;
}

const xml = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "",
    isArray: (n) => /^(testsuite|testcase|property)$/.test(n),
});

function parseJunit(text: string): any {
    assert.equal(XMLValidator.validate(text), true, "well-formed XML");
    return xml.parse(text).testsuites;
}

const FACTS = ["file", "line", "policy", "severity", "enforcementLevel", "remediation"];
const SEVERITIES = ["low", "medium", "high", "critical"];

function run(cli: string, args: string[], cwd = REPO): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ["--import", TSX, path.join(REPO, cli), ...args], {
        cwd,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** tsx by path: the secrets scan runs in a temporary repository, outside this project's node_modules. */
const TSX = require.resolve("tsx");
const CHECK = "policy-pack/cli/check.ts";
const FAIL = path.join(FIXTURES, "rbac-no-wildcards", "fail-wildcard-verbs-second-doc.yaml");
const PASS = path.join(FIXTURES, "rbac-no-wildcards", "pass-explicit-rules.yaml");

describe("reports: SARIF and JUnit", function () {
    this.timeout(180_000);
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-reports-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the schema validator rejects a broken SARIF log (so the checks below can fail)", () => {
        const rules = rulesOfPolicies(allPolicies).slice(0, 1);
        const good: any = JSON.parse(sarifReport({ name: "t", version: "1" }, rules, []));
        assert.ok(schemaOk(good));
        good.runs[0].results = [{ level: "fatal", message: { text: "x" }, ruleId: rules[0].id }];
        assert.equal(schemaOk(good), false);
        assert.equal(schemaOk({ version: "2.1.0" }), false, "runs is required");
    });

    it("policy:check --format sarif --output: a valid SARIF log, every result with its facts; summary on stderr", () => {
        const out = path.join(dir, "nested", "check.sarif");
        const r = run(CHECK, ["--format", "sarif", "--output", out, FAIL, PASS]);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, "", "the report goes to the file only");
        assert.match(r.stderr, /2 mandatory and 0 advisory violation\(s\) in \d+ object\(s\) from 2 file\(s\)\./);
        const log = assertValidSarif(fs.readFileSync(out, "utf8"));
        const runOf = log.runs[0];
        assert.equal(runOf.tool.driver.name, "zdp-policy-check");
        const ruleIds = runOf.tool.driver.rules.map((x: any) => x.id);
        assert.deepEqual(ruleIds.sort(), allPolicies.map((p) => p.name).sort(), "every policy that ran is a rule");
        for (const rule of runOf.tool.driver.rules) {
            assert.ok(rule.help.text.length > 10, `${rule.id}: remediation as help`);
            assert.match(rule.properties["security-severity"], /^\d+\.\d$/);
        }
        assert.deepEqual(runOf.results.map((x: any) => x.ruleId).sort(), ["rbac-no-pod-create", "rbac-no-wildcards"]);
        for (const res of runOf.results) {
            assert.equal(res.level, "error");
            for (const k of FACTS) assert.ok(k in res.properties, `result lacks ${k}`);
            assert.ok(SEVERITIES.includes(res.properties.severity));
            assert.equal(res.properties.enforcementLevel, "mandatory");
            const loc = res.locations[0].physicalLocation;
            assert.equal(loc.artifactLocation.uri, path.relative(REPO, FAIL));
            assert.equal(loc.region.startLine, res.properties.line);
            assert.ok(loc.region.startLine > 1, "the second document's line");
            const policy = allPolicies.find((p) => p.name === res.ruleId)!;
            assert.equal(res.properties.remediation, policy.remediationSteps);
            assert.equal(res.properties.severity, policy.severity);
        }
    });

    it("policy:check --format json: every finding has file, line, policy, severity, enforcement level, remediation", () => {
        const r = run(CHECK, ["--format", "json", FAIL]);
        assert.equal(r.code, 1, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.ok(out.length >= 2);
        for (const f of out) {
            for (const k of FACTS)
                assert.ok(f[k] !== undefined && f[k] !== null, `${k} missing in ${JSON.stringify(f)}`);
            assert.ok(SEVERITIES.includes(f.severity));
        }
    });

    it("policy:check --format junit: parses as XML, one failing case per mandatory violation with its properties", () => {
        const r = run(CHECK, [
            "--format",
            "junit",
            "--policy",
            "rbac-no-wildcards",
            "--policy",
            "rbac-no-pod-create",
            FAIL,
        ]);
        assert.equal(r.code, 1, r.stderr);
        const suites = parseJunit(r.stdout);
        assert.equal(suites.name, "policy:check");
        assert.equal(Number(suites.failures), 2);
        assert.deepEqual(suites.testsuite.map((s: any) => s.name).sort(), ["rbac-no-pod-create", "rbac-no-wildcards"]);
        for (const suite of suites.testsuite) {
            const c = suite.testcase[0];
            const props = Object.fromEntries(c.properties.property.map((p: any) => [p.name, p.value]));
            for (const k of FACTS) assert.ok(props[k], `testcase lacks property ${k}`);
            assert.equal(props.file, FAIL);
            assert.equal(c.file, FAIL);
            assert.equal(c.failure.type, props.severity);
            assert.match(c.failure.message, /ClusterRole ops/);
        }
    });

    it("JUnit: a policy without findings is a passing case; an advisory finding passes with its message", () => {
        const rules = rulesOfPolicies(allPolicies).slice(0, 2);
        const text = junitReport("t", rules, [
            {
                file: "a & b.yaml",
                line: 3,
                policy: rules[0].id,
                severity: "low",
                enforcementLevel: "advisory",
                remediation: "do <this>",
                message: 'quote " and <tag>',
            },
        ]);
        const suites = parseJunit(text);
        assert.equal(Number(suites.failures), 0);
        assert.equal(Number(suites.tests), 2);
        const [advisory, clean] = suites.testsuite;
        assert.equal(advisory.testcase[0]["system-out"], 'advisory: quote " and <tag>');
        assert.equal(advisory.testcase[0].file, "a & b.yaml");
        assert.equal(clean.testcase[0].name, `${rules[1].id}: no finding`);
        assert.throws(() => junitReport("t", rules, [{ ...rules[0], policy: "nope" } as any]), /no report rule "nope"/);
    });

    it("policy:check refuses an unknown format, --list as SARIF and an --output it cannot write (exit 2)", () => {
        assert.match(run(CHECK, ["--format", "xml", PASS]).stderr, /--format must be one of text, json, sarif, junit/);
        assert.equal(run(CHECK, ["--list", "--format", "sarif"]).code, 2);
        const blocker = path.join(dir, "file");
        fs.writeFileSync(blocker, "");
        const r = run(CHECK, ["--format", "sarif", "--output", path.join(blocker, "x.sarif"), PASS]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--output .*x\.sarif: cannot write: (ENOTDIR|EEXIST)/);
    });

    it("artifact URIs are relative to the root, with forward slashes and percent-encoding", () => {
        assert.equal(artifactUri(path.join(REPO, "a b", "c.yaml"), REPO), "a%20b/c.yaml");
        assert.equal(artifactUri("<stdin>", REPO), "%3Cstdin%3E");
        assert.equal(artifactUri("/elsewhere/x.yaml", REPO), "file:///elsewhere/x.yaml");
    });

    it("scan:secrets --format sarif: a valid log whose result names file, line, rule and remediation, never the secret", () => {
        const repo = fs.mkdtempSync(path.join(dir, "repo-"));
        const git = (...a: string[]) =>
            execFileSync("git", ["-c", "user.name=T", "-c", "user.email=t@example.com", ...a], { cwd: repo });
        git("init", "-q", "-b", "main");
        const secret = slackWebhookUrl();
        fs.writeFileSync(path.join(repo, "app.yaml"), `name: x\nwebhook: ${secret}\n`);
        git("add", "app.yaml");
        git("commit", "-q", "-m", "x");
        const out = path.join(dir, "secrets.sarif");
        const r = run("policy-pack/cli/scanSecrets.ts", ["--format", "sarif", "--output", out], repo);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /1 finding/);
        const text = fs.readFileSync(out, "utf8");
        assert.ok(!text.includes(secret.slice(20)), "the secret is masked");
        const log = assertValidSarif(text);
        const [res] = log.runs[0].results;
        assert.match(res.ruleId, /slack/i);
        assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, "app.yaml");
        assert.equal(res.locations[0].physicalLocation.region.startLine, 2);
        for (const k of FACTS) assert.ok(res.properties[k] !== undefined, `lacks ${k}`);
        assert.equal(res.properties.enforcementLevel, "mandatory");
        assert.match(res.properties.remediation, /rotate it/);
    });

    it("preview:offline --format sarif: a release's finding is at its service's entry in the stack file", () => {
        const config = JSON.parse(fs.readFileSync(path.join(REPO, "policy-pack", "config", "staging.json"), "utf8"));
        config["images-allowed-registries"].allowedRegistries = ["registry.example.com/platform"];
        const narrow = path.join(dir, "narrow.json");
        fs.writeFileSync(narrow, JSON.stringify(config));
        const out = path.join(dir, "narrow.sarif");
        const r = run("tools/previewOffline.ts", [
            "--stack",
            "staging",
            "--policy-config",
            narrow,
            "--format",
            "sarif",
            "--output",
            out,
        ]);
        assert.equal(r.code, 1, r.stderr);
        const log = assertValidSarif(fs.readFileSync(out, "utf8"));
        const stackLines = fs.readFileSync(path.join(REPO, "Pulumi.staging.yaml"), "utf8").split("\n");
        const checkout = log.runs[0].results.find(
            (x: any) =>
                x.ruleId === "images-allowed-registries" && /BlueGreenService "shop-checkout"/.test(x.message.text),
        );
        assert.ok(checkout, "the checkout release is refused");
        assert.equal(checkout.level, "error");
        const line = checkout.locations[0].physicalLocation.region.startLine;
        assert.equal(checkout.properties.line, line);
        assert.match(stackLines[line - 1], /^\s*- name: checkout$/, `line ${line} is the service's entry`);
        assert.match(stackLines[line], /^\s*namespace: shop$/);
    });

    it("preview:offline --format sarif and junit: valid reports whose findings name the stack file and the URN", () => {
        const out = path.join(dir, "preview.sarif");
        const r = run("tools/previewOffline.ts", ["--stack", "prod", "--format", "sarif", "--output", out]);
        assert.ok(r.code === 0 || r.code === 1, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /running \d+ policies/);
        const log = assertValidSarif(fs.readFileSync(out, "utf8"));
        assert.equal(log.runs[0].tool.driver.name, "zdp-preview-offline");
        assert.equal(log.runs[0].tool.driver.rules.length, allPolicies.length);
        for (const res of log.runs[0].results) {
            assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, "Pulumi.prod.yaml");
            for (const k of FACTS) assert.ok(k in res.properties, `lacks ${k}`);
            assert.match(res.properties.subject, /urn:pulumi:prod::zdp::/);
        }
        const j = run("tools/previewOffline.ts", ["--stack", "prod", "--format", "junit"]);
        const suites = parseJunit(j.stdout);
        assert.equal(suites.testsuite.length, allPolicies.length);
        assert.equal(Number(suites.failures), log.runs[0].results.filter((x: any) => x.level === "error").length);
        assert.equal(j.code, Number(suites.failures) > 0 ? 1 : 0);
    });
});
