/**
 * The release and security workflows: the release scans before it pushes and fails on a fixable HIGH or CRITICAL
 * finding, then signs and attests the pushed digest with the full report (what images-signed and
 * images-vulnerabilities check at deploy time); pull requests run CodeQL over TypeScript and npm audit with a
 * threshold; every action is pinned by a full commit SHA, the same SHA wherever the same action appears.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const DIR = path.resolve(__dirname, "..", "..", ".github", "workflows");
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const PINNED = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/;

function steps(doc: any): any[] {
    return Object.values<any>(doc.jobs).flatMap((j) => j.steps ?? []);
}

/** Index of the first step matching, failing when none does. */
function indexOf(all: any[], what: string, match: (s: any) => boolean): number {
    const i = all.findIndex(match);
    assert.ok(i >= 0, `no step ${what}`);
    return i;
}

describe("release and security workflows", () => {
    const release = parse(read("release.yml"));
    const security = parse(read("security.yml"));

    it("the release builds, gates on fixable HIGH/CRITICAL, pushes, signs and attests, in that order", () => {
        const all = steps(release);
        const build = indexOf(all, "docker build", (s) => /docker build /.test(s.run ?? ""));
        const trivy = all.filter((s) => String(s.uses ?? "").startsWith("aquasecurity/trivy-action@"));
        const gate = trivy.find((s) => s.with["exit-code"] === "1");
        assert.ok(gate, "a Trivy step that fails the job");
        assert.equal(gate.with.severity, "HIGH,CRITICAL");
        assert.equal(gate.with["ignore-unfixed"], true, "fixable findings only");
        const full = trivy.find((s) => s.with.format === "json");
        assert.ok(full, "a Trivy JSON report");
        assert.equal(full.with["ignore-unfixed"], undefined, "the attested report holds every finding");
        assert.equal(full.with.severity, undefined);
        const push = indexOf(all, "docker push", (s) => /docker push /.test(s.run ?? ""));
        const sign = indexOf(all, "npm run sign", (s) => /npm run sign -- "\$IMAGE@\$DIGEST"/.test(s.run ?? ""));
        const attest = indexOf(all, "npm run attest", (s) =>
            /npm run attest -- "\$IMAGE@\$DIGEST" --report trivy\.json/.test(s.run ?? ""),
        );
        assert.equal(full.with.output, "trivy.json");
        assert.ok(build < all.indexOf(gate) && all.indexOf(gate) < push, "the gate runs before anything is pushed");
        assert.ok(all.indexOf(full) < push && push < sign && sign < attest);
        assert.match(all[push].run, /echo "digest=\$digest" >> "\$GITHUB_OUTPUT"/);
        const forget = all.find((s) => /rm -f "\$RUNNER_TEMP\/release\.key"/.test(s.run ?? ""));
        assert.equal(forget?.if, "always()", "the key is removed whatever happened");
        assert.deepEqual(Object.keys(release.on.workflow_call.secrets).sort(), [
            "REGISTRY_PASSWORD",
            "REGISTRY_USERNAME",
            "SIGNING_KEY",
        ]);
    });

    it("pull requests run CodeQL over TypeScript and npm audit failing at HIGH", () => {
        assert.ok(security.on.pull_request, "triggered by pull_request");
        const all = steps(security);
        const init = all.find((s) => String(s.uses ?? "").startsWith("github/codeql-action/init@"));
        assert.equal(init?.with.languages, "javascript-typescript");
        assert.ok(all.some((s) => String(s.uses ?? "").startsWith("github/codeql-action/analyze@")));
        assert.equal(security.jobs.codeql.permissions["security-events"], "write");
        assert.ok(all.some((s) => /npm audit --audit-level=high\b/.test(s.run ?? "")));
    });

    it("pins every action by a full commit SHA, the same one wherever the same action appears", () => {
        const seen = new Map<string, string>();
        const all = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));
        for (const f of ["release.yml", "security.yml", "mutation.yml"]) {
            for (const s of steps(parse(read(f))).filter((x) => x.uses)) {
                const m = PINNED.exec(String(s.uses));
                assert.ok(m, `${f}: ${s.uses} is not pinned by a commit SHA`);
                const action = m[1].split("/").slice(0, 2).join("/");
                assert.equal(seen.get(action) ?? m[2], m[2], `${f}: ${action} pinned to another SHA elsewhere`);
                seen.set(action, m[2]);
            }
        }
        assert.ok(all.includes("release.yml") && all.includes("security.yml"));
        // Each SHA is followed by the release it is, for review.
        for (const f of ["release.yml", "security.yml"]) {
            for (const line of read(f)
                .split("\n")
                .filter((l) => /uses: \S+@[0-9a-f]{40}/.test(l))) {
                assert.match(line, /@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${f}: ${line.trim()}`);
            }
        }
    });
});
