/**
 * images-vulnerabilities against a real registry (Debian's docker-registry on a loopback port): images are pushed by
 * the tests, attested by the project's own command (`npm run attest`'s `main`) from Trivy JSON reports the tests
 * write, and judged by the policy in both formats cosign writes (`.att` DSSE envelopes, sigstore bundles found
 * through the referrers fallback tag). Skipped, with the reason printed, only when the registry binary is absent.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as attestCli } from "../../../policy-pack/cli/attest";
import {
    DSSE_ENVELOPE,
    attestationLookupCount,
    attestationTag,
    clearAttestationCache,
} from "../../../policy-pack/images/attestation";
import { generateKeyPair } from "../../../policy-pack/images/keys";
import { OCI_MANIFEST, manifestBytes, parseImageManifest, referrersTag } from "../../../policy-pack/images/oci";
import { RegistryClient, registryRequestCount } from "../../../policy-pack/images/registry";
import { imagesVulnerabilities } from "../../../policy-pack/policies/imagesVulnerabilities";
import { Reported, argsFor, rollout, run } from "./helpers/policy";
import { TestRegistry, pushTestImage, requireRegistry, startRegistry } from "./helpers/registry";
import { TestFinding, trivyReport, writeReport } from "./helpers/trivy";

const DAY = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);

describe("images-vulnerabilities against a real registry", function () {
    this.timeout(60_000);
    let registry: TestRegistry;
    let client: RegistryClient;
    let host: string;
    let dir: string;
    const ci = generateKeyPair();
    const intruder = generateKeyPair();
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };

    const config = (extra: object = {}) => ({
        trustedKeys: [{ name: "release-ci", publicKey: ci.publicPem }],
        timeoutSeconds: 2,
        maxAgeDays: 7,
        severityThreshold: "HIGH",
        ...extra,
    });
    const check = (image: string, cfg: object = config(), name = "api") =>
        run(
            imagesVulnerabilities,
            argsFor("kubernetes:argoproj.io/v1alpha1:Rollout", rollout(name, image), cfg, { name }),
        );
    const mandatory = (r: Reported[]) => r.filter((v) => v.enforcementLevel !== "advisory");
    const advisory = (r: Reported[]) => r.filter((v) => v.enforcementLevel === "advisory");

    /** Pushes an image, writes its Trivy report and attests it with the attest command; returns `host/repo@digest`. */
    async function attested(
        repository: string,
        label: string,
        findings: TestFinding[],
        opts: { format?: string; scannedDaysAgo?: number; key?: string } = {},
    ): Promise<string> {
        const digest = await pushTestImage(client, host, repository, label);
        const image = `${host}/${repository}@${digest}`;
        const report = trivyReport(image, digest, new Date(Date.now() - (opts.scannedDaysAgo ?? 0) * DAY), findings);
        const file = writeReport(dir, `${label}.json`, report);
        const code = await attestCli(
            [image, "--report", file, "--key", opts.key ?? join(dir, "ci.key"), "--format", opts.format ?? "both"],
            io,
        );
        assert.equal(code, 0, lines.join("\n"));
        return image;
    }

    before(async function () {
        requireRegistry(this);
        registry = await startRegistry();
        host = registry.host;
        client = new RegistryClient({ credentials: { get: () => undefined }, timeoutMs: 5000 });
        dir = mkdtempSync(join(tmpdir(), "zdp-attest-"));
        writeFileSync(join(dir, "ci.key"), ci.privatePem, { mode: 0o600 });
        writeFileSync(join(dir, "intruder.key"), intruder.privatePem, { mode: 0o600 });
    });
    after(async () => {
        await registry?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
        clearAttestationCache();
        lines.length = 0;
    });

    it("passes a clean scan in either format, and the command says what it pushed", async () => {
        const image = await attested("team/app", "clean", [
            { id: "CVE-2024-0001", severity: "MEDIUM", fixed: "3.0.12-1" },
            { id: "CVE-2024-0002", severity: "LOW" },
        ]);
        assert.ok(lines.some((l) => l.startsWith("pushed cosign attestation") && l.includes(".att")));
        assert.ok(lines.some((l) => l.startsWith("pushed attestation bundle") && l.includes("fallback tag")));
        for (const formats of [["cosign"], ["bundle"]]) {
            clearAttestationCache();
            assert.deepEqual(await check(image, config({ formats })), [], `formats ${formats}`);
        }
    });

    it("fails a HIGH finding with a fix available, naming the CVE, the package and the fix", async () => {
        const image = await attested("team/app", "high-fixable", [
            { id: "CVE-2024-1111", severity: "HIGH", pkg: "openssl", installed: "3.0.11-1", fixed: "3.0.13-1" },
            { id: "CVE-2024-1112", severity: "MEDIUM", fixed: "3.0.13-1" },
        ]);
        for (const formats of [["cosign"], ["bundle"]]) {
            clearAttestationCache();
            const reported = await check(image, config({ formats }));
            assert.equal(reported.length, 1, JSON.stringify(reported));
            assert.equal(reported[0].enforcementLevel, undefined, "mandatory: at the policy's level");
            assert.match(
                reported[0].message,
                /^Rollout prod\/api: containers\[0\] \(app\) image ".*": .* has 1 vulnerability at or above HIGH \(1 with a fix available\) .*CVE-2024-1111 \(HIGH, openssl 3\.0\.11-1, fixed in 3\.0\.13-1\)/,
            );
            assert.doesNotMatch(reported[0].message, /CVE-2024-1112/, "MEDIUM is below the threshold");
        }
        // A CRITICAL threshold lets the HIGH finding pass.
        clearAttestationCache();
        assert.deepEqual(await check(image, config({ severityThreshold: "CRITICAL" })), []);
    });

    it("fails a finding without a fix too (the stricter reading), and one Trivy could not rank", async () => {
        const image = await attested("team/app", "high-unfixed", [
            { id: "CVE-2024-2222", severity: "CRITICAL", pkg: "zlib", installed: "1.2.13" },
            { id: "CVE-2024-2223", severity: "UNKNOWN", pkg: "libc6", installed: "2.36" },
        ]);
        const reported = mandatory(await check(image));
        assert.equal(reported.length, 1);
        assert.match(reported[0].message, /2 vulnerabilities at or above HIGH \(0 with a fix available\)/);
        assert.match(reported[0].message, /CVE-2024-2222 \(CRITICAL, zlib 1\.2\.13, no fix available\)/);
        assert.match(reported[0].message, /CVE-2024-2223 \(UNKNOWN, libc6 2\.36, no fix available\)/);
    });

    it("reports a finding covered by an exception as advisory, on every preview", async () => {
        const image = await attested("team/app", "excepted", [
            { id: "CVE-2024-3333", severity: "HIGH", pkg: "zlib", installed: "1.2.13" },
        ]);
        const repo = image.replace(/@.*/, "");
        const exceptions = [
            { cve: "CVE-2024-3333", image: repo, reason: "not reachable: no zlib use, SEC-42", expires: day(10) },
        ];
        for (let preview = 0; preview < 2; preview++) {
            const reported = await check(image, config({ exceptions }));
            assert.equal(mandatory(reported).length, 0, JSON.stringify(reported));
            assert.equal(advisory(reported).length, 1);
            assert.match(
                advisory(reported)[0].message,
                /exception in force: exceptions\[0\] \(CVE-2024-3333 for .*\) until \d{4}-\d\d-\d\d: not reachable: no zlib use, SEC-42; it excuses CVE-2024-3333 \(HIGH, zlib 1\.2\.13, no fix available\)/,
            );
        }
        // An exception for another CVE, or for another image, excuses nothing.
        clearAttestationCache();
        const other = [{ ...exceptions[0], cve: "CVE-2024-9999" }];
        assert.match(mandatory(await check(image, config({ exceptions: other })))[0].message, /CVE-2024-3333/);
        const elsewhere = [{ ...exceptions[0], image: `${host}/team/other` }];
        assert.equal(mandatory(await check(image, config({ exceptions: elsewhere }))).length, 1);
    });

    it("fails an expired exception, even when it names a finding no longer present", async () => {
        const image = await attested("team/app", "expired", [{ id: "CVE-2024-4444", severity: "HIGH" }]);
        const exceptions = [{ cve: "CVE-2024-4444", image, reason: "vendor fix pending, SEC-7", expires: day(-1) }];
        const reported = mandatory(await check(image, config({ exceptions })));
        assert.equal(reported.length, 2);
        assert.match(reported[0].message, /CVE-2024-4444/);
        assert.match(
            reported[1].message,
            /the exception exceptions\[0\] .* expired on \d{4}-\d\d-\d\d, so it excuses nothing/,
        );
        const clean = await attested("team/app", "expired-clean", []);
        const stale = [{ ...exceptions[0], image: clean }];
        const cleanReported = mandatory(await check(clean, config({ exceptions: stale })));
        assert.equal(cleanReported.length, 1);
        assert.match(cleanReported[0].message, /expired on/);
    });

    it("fails a stale attestation past the stack's limit, and passes it under a longer one", async () => {
        const image = await attested("team/app", "stale", [], { scannedDaysAgo: 10 });
        const reported = await check(image, config({ maxAgeDays: 7 }));
        assert.equal(reported.length, 1);
        assert.match(
            reported[0].message,
            /newest vulnerability attestation of .* is stale: the scan finished at .*, 10 days ago, and the stack's limit is 7 days \(maxAgeDays\)/,
        );
        clearAttestationCache();
        assert.deepEqual(await check(image, config({ maxAgeDays: 30 })), []);
        // A newer attestation of the same digest is the one judged.
        const file = writeReport(dir, "fresh.json", trivyReport(image, image.split("@")[1], new Date()));
        assert.equal(await attestCli([image, "--report", file, "--key", join(dir, "ci.key")], io), 0);
        clearAttestationCache();
        assert.deepEqual(await check(image, config({ maxAgeDays: 7 })), []);
    });

    it("fails an image without attestation, and one attested by an untrusted key", async () => {
        const digest = await pushTestImage(client, host, "team/app", "unattested");
        const none = await check(`${host}/team/app@${digest}`);
        assert.equal(none.length, 1);
        assert.match(
            none[0].message,
            /has no vulnerability attestation from a trusted signer: none found \(looked for sha256-[0-9a-f]{64}\.att \(cosign\) and referrers\/sigstore bundles\)\. .*npm run attest --/,
        );
        const image = await attested("team/app", "intruder", [], { key: join(dir, "intruder.key") });
        const reported = await check(image);
        assert.equal(reported.length, 1);
        assert.match(reported[0].message, /a cosign attestation does not verify with any trusted key \(release-ci\)/);
        assert.match(reported[0].message, /a bundle does not verify with any trusted key/);
    });

    it("fails an unsigned attestation (a DSSE envelope with no signature)", async () => {
        const image = await attested("team/app", "unsigned", [], { format: "cosign" });
        const digest = image.split("@")[1];
        const tag = attestationTag(digest);
        const att = parseImageManifest((await client.getManifest(host, "team/app", tag, [OCI_MANIFEST]))!.bytes);
        const envelope = JSON.parse((await client.getBlob(host, "team/app", att.layers[0])).toString("utf8"));
        envelope.signatures = [];
        const blob = await client.pushBlob(host, "team/app", Buffer.from(JSON.stringify(envelope)));
        att.layers = [{ ...att.layers[0], digest: blob.digest, size: blob.size }];
        await client.putManifest(host, "team/app", tag, manifestBytes(att), OCI_MANIFEST);
        const reported = await check(image, config({ formats: ["cosign"] }));
        assert.equal(reported.length, 1);
        assert.match(reported[0].message, /attestations found were rejected: a cosign attestation does not verify/);
    });

    it("fails an attestation made for another digest and copied onto the image, in both formats", async () => {
        const other = await attested("team/app", "other", []);
        const victim = await pushTestImage(client, host, "team/app", "victim");
        const otherDigest = other.split("@")[1];
        const att = await client.getManifest(host, "team/app", attestationTag(otherDigest), [OCI_MANIFEST]);
        await client.putManifest(host, "team/app", attestationTag(victim), att!.bytes, OCI_MANIFEST);
        const index = await client.getManifest(host, "team/app", referrersTag(otherDigest), [
            "application/vnd.oci.image.index.v1+json",
        ]);
        await client.putManifest(
            host,
            "team/app",
            referrersTag(victim),
            index!.bytes,
            "application/vnd.oci.image.index.v1+json",
        );
        const cosign = await check(`${host}/team/app@${victim}`, config({ formats: ["cosign"] }));
        assert.equal(cosign.length, 1);
        assert.match(cosign[0].message, new RegExp(`signed \\{"sha256":"${otherDigest.slice(7)}"\\}, not ${victim}`));
        clearAttestationCache();
        const bundle = await check(`${host}/team/app@${victim}`, config({ formats: ["bundle"] }));
        assert.equal(bundle.length, 1);
        assert.match(bundle[0].message, new RegExp(`refers to ${otherDigest}, not this image`));
    });

    it("fails an attestation whose payload was tampered with (a HIGH finding turned LOW)", async () => {
        const image = await attested("team/app", "tampered", [{ id: "CVE-2024-5555", severity: "HIGH", fixed: "2" }], {
            format: "cosign",
        });
        const tag = attestationTag(image.split("@")[1]);
        const att = parseImageManifest((await client.getManifest(host, "team/app", tag, [OCI_MANIFEST]))!.bytes);
        assert.equal(att.layers[0].mediaType, DSSE_ENVELOPE);
        const envelope = JSON.parse((await client.getBlob(host, "team/app", att.layers[0])).toString("utf8"));
        const statement = Buffer.from(envelope.payload, "base64").toString("utf8");
        envelope.payload = Buffer.from(statement.replace('"Severity":"HIGH"', '"Severity":"LOW"')).toString("base64");
        assert.notEqual(Buffer.from(envelope.payload, "base64").toString("utf8"), statement);
        const blob = await client.pushBlob(host, "team/app", Buffer.from(JSON.stringify(envelope)));
        att.layers = [{ ...att.layers[0], digest: blob.digest, size: blob.size }];
        await client.putManifest(host, "team/app", tag, manifestBytes(att), OCI_MANIFEST);
        const reported = await check(image, config({ formats: ["cosign"] }));
        assert.equal(reported.length, 1);
        assert.match(reported[0].message, /rejected: a cosign attestation does not verify with any trusted key/);
    });

    it("looks each digest up once per process, and not at all offline", async () => {
        const image = await attested("team/app", "cached", []);
        const before = attestationLookupCount();
        await Promise.all([check(image), check(image, config(), "web")]);
        await check(image);
        assert.equal(attestationLookupCount() - before, 1);
        const requests = registryRequestCount();
        assert.deepEqual(await check(`${host}/team/app@sha256:${"c".repeat(64)}`, config({ offline: true })), []);
        assert.equal(registryRequestCount(), requests);
    });

    it("fails closed on an unreachable registry and on an unusable config, naming the cause", async () => {
        const unreachable = await check(`127.0.0.1:9/team/app@sha256:${"d".repeat(64)}`);
        assert.equal(unreachable.length, 1);
        assert.match(unreachable[0].message, /could not be verified, so the image is treated as unscanned/);
        const requests = registryRequestCount();
        const noKey = await check(`${host}/team/app@sha256:${"d".repeat(64)}`, { maxAgeDays: 7 });
        assert.match(noKey[0].message, /images-vulnerabilities config is not usable: no trusted keys or identities/);
        const badException = await check(
            `${host}/team/app@sha256:${"d".repeat(64)}`,
            config({ exceptions: [{ cve: "CVE-1", image: `${host}/team/app:1.0`, reason: "x", expires: day(1) }] }),
        );
        assert.match(badException[0].message, /exceptions\[0\]\.image ".*:1\.0" must name a repository/);
        const tooLong = await check(
            `${host}/team/app@sha256:${"d".repeat(64)}`,
            config({ exceptions: [{ cve: "CVE-1", image: `${host}/team/app`, reason: "x", expires: day(200) }] }),
        );
        assert.match(tooLong[0].message, /exceptions\[0\]\.expires .* is more than 90 days ahead/);
        assert.equal(registryRequestCount(), requests, "an unusable config asks no registry");
    });

    describe("npm run attest", () => {
        it("exits 2 on usage errors and bad input files, naming the file and the field; 1 on registry failures", async () => {
            const digest = await pushTestImage(client, host, "team/cli", "cli");
            const image = `${host}/team/cli@${digest}`;
            const good = writeReport(dir, "good.json", trivyReport(image, digest, new Date()));
            const key = join(dir, "ci.key");
            const last = () => lines[lines.length - 1];
            assert.equal(await attestCli([image, "--key", key], io), 2);
            assert.match(last(), /^attest: --report FILE is required\n\nUsage:/);
            assert.equal(await attestCli([`${host}/team/cli:latest`, "--report", good, "--key", key], io), 2);
            assert.match(last(), /has no digest: attest IMAGE@sha256:<64 hex>, never a tag/);
            assert.equal(await attestCli([image, "--report", good, "--key", key, "--format", "sbom"], io), 2);
            const old = trivyReport(image, digest, new Date()) as Record<string, unknown>;
            delete old.CreatedAt;
            const noTime = writeReport(dir, "no-time.json", old);
            assert.equal(await attestCli([image, "--report", noTime, "--key", key], io), 2);
            assert.match(last(), /^attest: --report .*no-time\.json: CreatedAt is missing .*; pass --scanned-at TIME/);
            assert.equal(
                await attestCli(
                    [image, "--report", noTime, "--key", key, "--scanned-at", new Date().toISOString()],
                    io,
                ),
                0,
                lines.join("\n"),
            );
            const v1 = writeReport(dir, "v1.json", { ...old, SchemaVersion: 1 });
            assert.equal(await attestCli([image, "--report", v1, "--key", key], io), 2);
            assert.match(last(), /v1\.json: SchemaVersion is 1, not 2/);
            writeFileSync(join(dir, "broken.json"), "{");
            assert.equal(await attestCli([image, "--report", join(dir, "broken.json"), "--key", key], io), 2);
            assert.match(last(), /broken\.json: is not JSON/);
            assert.equal(await attestCli([image, "--report", join(dir, "missing.json"), "--key", key], io), 2);
            assert.match(last(), /missing\.json: cannot read it \(ENOENT\)/);
            writeFileSync(join(dir, "ci.pub"), ci.publicPem);
            assert.equal(await attestCli([image, "--report", good, "--key", join(dir, "ci.pub")], io), 2);
            assert.match(last(), /is a public key/);
            assert.equal(
                await attestCli([`${host}/team/cli@sha256:${"e".repeat(64)}`, "--report", good, "--key", key], io),
                1,
            );
            assert.match(last(), /does not exist in the registry; push the image first/);
            assert.equal(await attestCli([`127.0.0.1:9/team/cli@${digest}`, "--report", good, "--key", key], io), 1);
        });

        it("takes a cosign-vuln predicate as Trivy writes it (--format cosign-vuln)", async () => {
            const digest = await pushTestImage(client, host, "team/cli", "predicate");
            const image = `${host}/team/cli@${digest}`;
            const finished = new Date().toISOString();
            const predicate = {
                invocation: { parameters: null, uri: "", event_id: "", "builder.id": "" },
                scanner: {
                    uri: "pkg:github/aquasecurity/trivy@0.58.0",
                    version: "0.58.0",
                    db: { uri: "", version: "" },
                    result: trivyReport(image, digest, new Date(), [{ id: "CVE-2024-6666", severity: "CRITICAL" }]),
                },
                metadata: { scanStartedOn: finished, scanFinishedOn: finished },
            };
            const file = writeReport(dir, "predicate.json", predicate);
            assert.equal(await attestCli([image, "--report", file, "--key", join(dir, "ci.key")], io), 0);
            const reported = await check(image);
            assert.equal(reported.length, 1);
            assert.match(reported[0].message, /CVE-2024-6666 \(CRITICAL/);
            assert.ok(JSON.parse(readFileSync(file, "utf8")).scanner.result.Results.length > 0);
        });
    });
});

describe("images-vulnerabilities in the committed stack configs", () => {
    const stackConfig = (stack: string) =>
        JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "policy-pack", "config", `${stack}.json`), "utf8"));

    for (const [stack, days] of [
        ["prod", 7],
        ["staging", 30],
    ] as const) {
        it(`${stack}: mandatory, ${days} days, HIGH, no exception, trusting exactly the signers of images-signed`, () => {
            const config = stackConfig(stack);
            const vulns = config["images-vulnerabilities"];
            assert.equal(vulns.enforcementLevel, "mandatory");
            assert.equal(vulns.maxAgeDays, days);
            assert.equal(vulns.severityThreshold, "HIGH");
            assert.deepEqual(vulns.exceptions, []);
            // One fact, two places (CrossGuard gives a policy only its own config): the CI key signs and attests.
            for (const key of ["trustedKeys", "trustedIdentities", "trustedRoot", "trustedRootFile", "formats"]) {
                assert.deepEqual(
                    vulns[key],
                    config["images-signed"][key],
                    `${stack}: ${key} differs from images-signed`,
                );
            }
        });
    }
});
