/**
 * images-signed against a real registry (Debian's docker-registry on a loopback port): images are built and pushed
 * by the tests, signed by this pack's signer (cosign .sig and sigstore bundles made by sigstore-js), and verified
 * through the policy. Skipped, with the reason printed, only when the registry binary is absent.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main as signCli } from "../../../policy-pack/cli/sign";
import { cosignStatement, createStatementBundle, keySigner } from "../../../policy-pack/images/bundle";
import { simpleSigningPayload } from "../../../policy-pack/images/cosign";
import {
    KeyAlgorithm,
    generateKeyPair,
    parsePrivateKey,
    signBytes,
    SigningKey,
} from "../../../policy-pack/images/keys";
import {
    COSIGN_SIGNATURE_ANNOTATION,
    ImageManifest,
    OCI_INDEX,
    OCI_MANIFEST,
    SIMPLE_SIGNING,
    manifestBytes,
    parseImageIndex,
    parseImageManifest,
    referrersTag,
    signatureTag,
} from "../../../policy-pack/images/oci";
import { parseReference } from "../../../policy-pack/images/reference";
import { RegistryClient } from "../../../policy-pack/images/registry";
import { pushBundleArtifact, signImage, subjectDescriptor } from "../../../policy-pack/images/sign";
import { clearVerificationCache, verificationCount } from "../../../policy-pack/images/verify";
import { imagesSigned } from "../../../policy-pack/policies/images";
import { argsFor, rollout, run } from "./helpers/policy";
import { TestProxy, startProxy, startSilentServer } from "./helpers/proxy";
import { TestRegistry, pushTestImage, requireRegistry, startRegistry } from "./helpers/registry";
import { makeTestSigstore } from "./helpers/sigstore";

const NO_CREDENTIALS = { get: () => undefined };

interface Key {
    name: string;
    signing: SigningKey;
    publicPem: string;
}

function newKey(name: string, algorithm: KeyAlgorithm = "ecdsa-p256"): Key {
    const pair = generateKeyPair(algorithm);
    return { name, signing: parsePrivateKey(pair.privatePem), publicPem: pair.publicPem };
}

describe("images-signed against a real registry", function () {
    this.timeout(60_000);
    let registry: TestRegistry;
    let client: RegistryClient;
    let host: string;
    const ci = newKey("release-ci");
    const intruder = newKey("intruder");
    const edKey = newKey("ed-ci", "ed25519");

    const config = (extra: object = {}, keys: Key[] = [ci]) => ({
        trustedKeys: keys.map((k) => ({ name: k.name, publicKey: k.publicPem })),
        timeoutSeconds: 2,
        ...extra,
    });
    const check = (image: string, cfg: object, name = "api") =>
        run(imagesSigned, argsFor("kubernetes:argoproj.io/v1alpha1:Rollout", rollout(name, image), cfg, { name }));
    const ref = (repository: string, digest: string, at = host) => parseReference(`${at}/${repository}@${digest}`);

    before(async function () {
        requireRegistry(this);
        registry = await startRegistry();
        host = registry.host;
        client = new RegistryClient({ credentials: NO_CREDENTIALS, timeoutMs: 5000 });
    });
    after(async () => {
        await registry?.stop();
    });
    beforeEach(() => clearVerificationCache());

    describe("cosign classic signatures", () => {
        it("passes an image signed by a trusted key, and reports an unsigned one", async () => {
            const signed = await pushTestImage(client, host, "team/app", "signed");
            const unsigned = await pushTestImage(client, host, "team/app", "unsigned");
            await signImage(client, ref("team/app", signed), ci.signing, { format: "cosign" });
            assert.deepEqual(await check(`${host}/team/app:signed@${signed}`, config({ formats: ["cosign"] })), []);
            const reported = await check(`${host}/team/app@${unsigned}`, config());
            assert.equal(reported.length, 1);
            assert.equal(reported[0].enforcementLevel, undefined, "mandatory: reported at the policy's level");
            assert.match(
                reported[0].message,
                /^Rollout prod\/api: containers\[0\] \(app\) image ".*" is not signed by a trusted signer: .*has no signature \(looked for sha256-[0-9a-f]{64}\.sig \(cosign\) or referrers\/sigstore bundles\)/,
            );
            assert.match(reported[0].message, /npm run sign -- IMAGE@sha256:<hex> --key cosign\.key/);
        });

        it("reports an image signed by another key", async () => {
            const digest = await pushTestImage(client, host, "team/app", "intruded");
            await signImage(client, ref("team/app", digest), intruder.signing, { format: "cosign" });
            const reported = await check(`${host}/team/app@${digest}`, config());
            assert.equal(reported.length, 1);
            assert.match(reported[0].message, /a cosign signature does not verify with any trusted key \(release-ci\)/);
            // Trusting the other key as well accepts it: the rejection was about the key, nothing else.
            clearVerificationCache();
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config({}, [ci, intruder])), []);
        });

        it("reports a tampered payload (the signature no longer matches it)", async () => {
            const digest = await pushTestImage(client, host, "team/app", "tampered");
            await signImage(client, ref("team/app", digest), ci.signing, { format: "cosign" });
            const tag = signatureTag(digest);
            const sig = parseImageManifest((await client.getManifest(host, "team/app", tag, [OCI_MANIFEST]))!.bytes);
            const original = JSON.parse((await client.getBlob(host, "team/app", sig.layers[0])).toString("utf8"));
            original.optional = { "ci.run": "forged" };
            const forged = await client.pushBlob(host, "team/app", Buffer.from(JSON.stringify(original)));
            sig.layers[0] = { ...sig.layers[0], digest: forged.digest, size: forged.size };
            await client.putManifest(host, "team/app", tag, manifestBytes(sig), OCI_MANIFEST);
            const reported = await check(`${host}/team/app@${digest}`, config());
            assert.equal(reported.length, 1);
            assert.match(reported[0].message, /does not verify with any trusted key/);
        });

        it("reports a valid signature of another digest copied onto the image", async () => {
            const victim = await pushTestImage(client, host, "team/app", "victim");
            const other = await pushTestImage(client, host, "team/app", "other");
            await signImage(client, ref("team/app", other), ci.signing, { format: "cosign" });
            const sig = await client.getManifest(host, "team/app", signatureTag(other), [OCI_MANIFEST]);
            await client.putManifest(host, "team/app", signatureTag(victim), sig!.bytes, OCI_MANIFEST);
            const reported = await check(`${host}/team/app@${victim}`, config());
            assert.equal(reported.length, 1);
            assert.match(reported[0].message, new RegExp(`key "release-ci" signed digest ${other}, not ${victim}`));
        });

        it("reports a signature made for the same digest in another repository", async () => {
            const digest = await pushTestImage(client, host, "team/app", "copied");
            await signImage(client, ref("team/app", digest), ci.signing, { format: "cosign" });
            // The same image content in another repository, with the signature copied along.
            const manifest = await client.getManifest(host, "team/app", digest, [OCI_MANIFEST]);
            const parsed = parseImageManifest(manifest!.bytes);
            for (const blob of [parsed.config, ...parsed.layers])
                await client.pushBlob(host, "team/other", await client.getBlob(host, "team/app", blob));
            await client.putManifest(host, "team/other", digest, manifest!.bytes, OCI_MANIFEST);
            const sig = parseImageManifest(
                (await client.getManifest(host, "team/app", signatureTag(digest), [OCI_MANIFEST]))!.bytes,
            );
            for (const blob of [sig.config, ...sig.layers])
                await client.pushBlob(host, "team/other", await client.getBlob(host, "team/app", blob));
            await client.putManifest(host, "team/other", signatureTag(digest), manifestBytes(sig), OCI_MANIFEST);
            const reported = await check(`${host}/team/other@${digest}`, config());
            assert.equal(reported.length, 1);
            assert.match(
                reported[0].message,
                new RegExp(`signed this digest for ${host}/team/app, not ${host}/team/other`),
            );
        });

        it("verifies Ed25519 keys", async () => {
            const digest = await pushTestImage(client, host, "team/app", "ed25519");
            await signImage(client, ref("team/app", digest), edKey.signing, { format: "both" });
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config({ formats: ["cosign"] }, [edKey])), []);
            clearVerificationCache();
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config({ formats: ["bundle"] }, [edKey])), []);
        });

        it("keeps earlier signatures when another key signs the same digest", async () => {
            const digest = await pushTestImage(client, host, "team/app", "cosigned");
            await signImage(client, ref("team/app", digest), intruder.signing, { format: "cosign" });
            const result = await signImage(client, ref("team/app", digest), ci.signing, { format: "cosign" });
            assert.equal(result.cosign?.signatures, 2);
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config()), []);
        });
    });

    describe("sigstore bundles", () => {
        it("passes a bundle found through the referrers fallback tag (the registry has no referrers API)", async () => {
            const digest = await pushTestImage(client, host, "team/app", "bundled");
            const result = await signImage(client, ref("team/app", digest), ci.signing, { format: "bundle" });
            assert.equal(result.bundle?.indexedBy, "fallback tag");
            const index = parseImageIndex(
                (await client.getManifest(host, "team/app", referrersTag(digest), [OCI_INDEX]))!.bytes,
            );
            assert.equal(index.manifests[0].artifactType, "application/vnd.dev.sigstore.bundle.v0.3+json");
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config({ formats: ["bundle"] })), []);
            const other = await check(`${host}/team/app@${digest}`, config({ formats: ["bundle"] }, [intruder]));
            assert.match(
                other[0].message,
                /a bundle does not verify with any trusted key \(key "intruder": signature verification failed\)/,
            );
        });

        it("passes a bundle found through the referrers API, and writes no fallback tag there", async () => {
            const proxy = await startProxy(host, { referrers: true });
            try {
                const digest = await pushTestImage(client, proxy.host, "team/app", "referred");
                const at = proxy.host;
                const result = await signImage(client, ref("team/app", digest, at), ci.signing, { format: "bundle" });
                assert.equal(result.bundle?.indexedBy, "referrers API");
                assert.equal(await client.getManifest(host, "team/app", referrersTag(digest), [OCI_INDEX]), undefined);
                assert.deepEqual(await check(`${at}/team/app@${digest}`, config({ formats: ["bundle"] })), []);
                assert.ok(
                    proxy.log.some((l) => l.startsWith(`GET /v2/team/app/referrers/${digest}`)),
                    proxy.log.join("\n"),
                );
            } finally {
                await proxy.stop();
            }
        });

        it("reports a tampered statement and a bundle of another digest", async () => {
            const victim = await pushTestImage(client, host, "team/app", "b-victim");
            const other = await pushTestImage(client, host, "team/app", "b-other");
            const victimRef = ref("team/app", victim);
            const subject = await subjectDescriptor(client, victimRef);
            // A genuine bundle for the other digest, attached to the victim.
            const foreign = await createStatementBundle(keySigner(ci.signing), cosignStatement(victimRef, other));
            await pushBundleArtifact(client, victimRef, subject, foreign);
            let reported = await check(`${host}/team/app@${victim}`, config({ formats: ["bundle"] }));
            assert.match(
                reported[0].message,
                new RegExp(
                    `key "release-ci" \\(sigstore bundle\\) signed \\{"sha256":"${other.slice(7)}"\\}, not ${victim}`,
                ),
            );
            // The right statement, edited after signing.
            clearVerificationCache();
            const genuine = await createStatementBundle(keySigner(ci.signing), cosignStatement(victimRef, victim));
            const statement = JSON.parse(Buffer.from(genuine.dsseEnvelope!.payload, "base64").toString("utf8"));
            statement.subject.push({ name: `${host}/team/app`, digest: { sha256: "f".repeat(64) } });
            genuine.dsseEnvelope!.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
            await pushBundleArtifact(client, victimRef, subject, genuine);
            reported = await check(`${host}/team/app@${victim}`, config({ formats: ["bundle"] }));
            assert.equal(reported.length, 1);
            assert.match(reported[0].message, /signature verification failed/);
        });

        it("ignores a referrer whose subject is another image", async () => {
            const victim = await pushTestImage(client, host, "team/app", "s-victim");
            const other = await pushTestImage(client, host, "team/app", "s-other");
            const result = await signImage(client, ref("team/app", other), ci.signing, { format: "bundle" });
            const artifact = await client.getManifest(host, "team/app", result.bundle!.digest, [OCI_MANIFEST]);
            const index = {
                schemaVersion: 2 as const,
                mediaType: OCI_INDEX,
                manifests: [
                    {
                        mediaType: OCI_MANIFEST,
                        digest: artifact!.digest,
                        size: artifact!.bytes.length,
                        artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
                    },
                ],
            };
            await client.putManifest(host, "team/app", referrersTag(victim), manifestBytes(index), OCI_INDEX);
            const reported = await check(`${host}/team/app@${victim}`, config({ formats: ["bundle"] }));
            assert.match(
                reported[0].message,
                new RegExp(`the bundle artifact ${artifact!.digest} refers to ${other}, not this image`),
            );
        });

        it("accepts cosign 3 statements without a subject name unless requireSubjectName is set", async () => {
            const digest = await pushTestImage(client, host, "team/app", "unnamed");
            const r = ref("team/app", digest);
            const statement = Buffer.from(
                JSON.stringify({
                    _type: "https://in-toto.io/Statement/v1",
                    subject: [{ digest: { sha256: digest.slice(7) }, annotations: {} }],
                    predicateType: "https://sigstore.dev/cosign/sign/v1",
                    predicate: {},
                }),
            );
            await pushBundleArtifact(
                client,
                r,
                await subjectDescriptor(client, r),
                await createStatementBundle(keySigner(ci.signing), statement),
            );
            assert.deepEqual(await check(`${host}/team/app@${digest}`, config({ formats: ["bundle"] })), []);
            clearVerificationCache();
            const strict = await check(
                `${host}/team/app@${digest}`,
                config({ formats: ["bundle"], requireSubjectName: true }),
            );
            assert.match(strict[0].message, /signed this digest for \(no name\)/);
        });

        it("verifies keyless bundles against a trusted root and identity", async function () {
            let sigstore;
            try {
                sigstore = makeTestSigstore();
            } catch (e) {
                throw new Error(`the keyless test needs the openssl CLI to make its CA: ${(e as Error).message}`);
            }
            const issuer = "https://token.actions.example.test";
            const subject = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
            const digest = await pushTestImage(client, host, "team/app", "keyless");
            await signImage(client, ref("team/app", digest), ci.signing, {
                format: "bundle",
                bundleSigner: sigstore.leafSigner(subject, issuer),
                witnesses: [sigstore.witness],
            });
            const keyless = (identity: object, extra: object = {}) => ({
                trustedIdentities: [identity],
                trustedRoot: sigstore.trustedRoot,
                formats: ["bundle"],
                timeoutSeconds: 2,
                ...extra,
            });
            assert.deepEqual(
                await check(
                    `${host}/team/app@${digest}`,
                    keyless({
                        issuer,
                        subjectRegExp:
                            "https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/heads/main",
                    }),
                ),
                [],
            );
            clearVerificationCache();
            assert.deepEqual(
                await check(`${host}/team/app@${digest}`, keyless({ issuer, subject }, { tlogThreshold: 1 })),
                [],
            );
            clearVerificationCache();
            const wrongSubject = await check(
                `${host}/team/app@${digest}`,
                keyless({ issuer, subjectRegExp: "https://github\\.com/acme/other/.*" }),
            );
            assert.match(
                wrongSubject[0].message,
                /certificate for https:\/\/github\.com\/acme\/app\/.* does not verify as a trusted identity/,
            );
            clearVerificationCache();
            const wrongIssuer = await check(
                `${host}/team/app@${digest}`,
                keyless({ issuer: "https://accounts.example.test", subject }),
            );
            assert.match(wrongIssuer[0].message, /does not verify as a trusted identity/);
            // Without a log entry there is no time to check the short-lived certificate at: rejected.
            const untimed = await pushTestImage(client, host, "team/app", "untimed");
            await signImage(client, ref("team/app", untimed), ci.signing, {
                format: "bundle",
                bundleSigner: sigstore.leafSigner(subject, issuer),
            });
            clearVerificationCache();
            const noTime = await check(`${host}/team/app@${untimed}`, keyless({ issuer, subject }));
            assert.match(noTime[0].message, /expected 1 timestamps, got 0/);
        });
    });

    describe("registry failures and the verdict cache", () => {
        it("fails closed within the timeout when the registry is down, hung or answers garbage", async () => {
            const silent = await startSilentServer();
            const garbage = createServer((_req, res) =>
                res.writeHead(200, { "content-type": OCI_MANIFEST }).end("this is not a manifest"),
            );
            await new Promise<void>((r) => garbage.listen(0, "127.0.0.1", r));
            const refused = await startProxy(host);
            const refusedHost = refused.host;
            await refused.stop();
            try {
                const digest = `sha256:${"d".repeat(64)}`;
                for (const [at, expected] of [
                    [refusedHost, /ECONNREFUSED/],
                    [silent.host, /no answer within 0\.5s/],
                    [
                        `127.0.0.1:${(garbage.address() as AddressInfo).port}`,
                        /answered the signature manifest .* is not JSON/,
                    ],
                ] as const) {
                    const started = Date.now();
                    const reported = await check(`${at}/team/app@${digest}`, config({ timeoutSeconds: 0.5 }));
                    const elapsed = Date.now() - started;
                    assert.ok(elapsed < 4000, `took ${elapsed} ms`);
                    assert.equal(reported.length, 1);
                    assert.equal(reported[0].enforcementLevel, undefined);
                    assert.match(
                        reported[0].message,
                        /could not be verified, so it is treated as unsigned: the signatures of .* could not be looked up/,
                    );
                    assert.match(reported[0].message, expected);
                }
                // Only a break-glass exception naming the image makes a registry failure advisory, and says so.
                clearVerificationCache();
                const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
                const breakGlass = [
                    { image: `${refusedHost}/team/app`, expires: until, justification: "outage INC-1" },
                ];
                const excused = await check(`${refusedHost}/team/app@${digest}`, config({ breakGlass }));
                assert.equal(excused.length, 1);
                assert.equal(excused[0].enforcementLevel, "advisory");
                assert.match(
                    excused[0].message,
                    /^break-glass \(breakGlass\[0\] .* until \d{4}-\d{2}-\d{2}: outage INC-1\)/,
                );
                assert.match(excused[0].message, /ECONNREFUSED/);
            } finally {
                await silent.stop();
                await new Promise((r) => garbage.close(r));
            }
        });

        it("verifies each digest once: later checks of it make no registry request", async () => {
            const proxy: TestProxy = await startProxy(host);
            try {
                const digest = await pushTestImage(client, proxy.host, "team/app", "cached");
                await signImage(client, ref("team/app", digest, proxy.host), ci.signing, { format: "bundle" });
                const image = `${proxy.host}/team/app@${digest}`;
                const before = proxy.requests;
                const verifications = verificationCount();
                // Two workloads sharing the image, checked concurrently, then a second evaluation of both.
                const first = await Promise.all([check(image, config(), "a"), check(image, config(), "b")]);
                assert.deepEqual(first, [[], []]);
                const firstRequests = proxy.requests - before;
                assert.ok(firstRequests > 0);
                assert.deepEqual(await check(image, config(), "a"), []);
                assert.deepEqual(await check(image, config(), "c"), []);
                assert.equal(proxy.requests - before, firstRequests, proxy.log.slice(-10).join("\n"));
                assert.equal(verificationCount() - verifications, 1);
            } finally {
                await proxy.stop();
            }
        });
    });

    describe("the sign CLI", () => {
        it("signs in both formats with a key file, and the policy accepts the result", async () => {
            const dir = mkdtempSync(join(tmpdir(), "zdp-sign-"));
            try {
                const lines: string[] = [];
                const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
                assert.equal(await signCli(["generate-key-pair", "--out", join(dir, "ci")], io), 0);
                const digest = await pushTestImage(client, host, "team/cli", "cli");
                assert.equal(
                    await signCli([`${host}/team/cli@${digest}`, "--key", join(dir, "ci.key"), "--format", "both"], io),
                    0,
                    lines.join("\n"),
                );
                assert.ok(lines.some((l) => l.startsWith("pushed cosign signature")));
                assert.ok(lines.some((l) => l.startsWith("pushed sigstore bundle")));
                const publicPem = (await import("node:fs")).readFileSync(join(dir, "ci.pub"), "utf8");
                const cfg = { trustedKeys: [{ name: "cli", publicKey: publicPem }] };
                assert.deepEqual(await check(`${host}/team/cli@${digest}`, { ...cfg, formats: ["cosign"] }), []);
                clearVerificationCache();
                assert.deepEqual(await check(`${host}/team/cli@${digest}`, { ...cfg, formats: ["bundle"] }), []);
                assert.equal(await signCli([`${host}/team/cli:latest`, "--key", join(dir, "ci.key")], io), 1);
                assert.equal(await signCli([`${host}/team/cli@${digest}`], io), 2);
                writeFileSync(
                    join(dir, "enc.key"),
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                );
                // A key file that is not a usable key is a usage error (2), like a missing --key.
                assert.equal(await signCli([`${host}/team/cli@${digest}`, "--key", join(dir, "enc.key")], io), 2);
                assert.match(lines[lines.length - 1], /is encrypted/);
            } finally {
                rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    it("reads the payload format cosign signs (simple signing, exact bytes)", async () => {
        // A hand-made .sig manifest holding a payload signed directly with node:crypto, in cosign's layout.
        const digest = await pushTestImage(client, host, "team/manual", "manual");
        const payload = simpleSigningPayload({ registry: host, repository: "team/manual" }, digest);
        const layer = await client.pushBlob(host, "team/manual", payload);
        const config = await client.pushBlob(host, "team/manual", Buffer.from("{}"));
        const manifest: ImageManifest = {
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config.digest, size: config.size },
            layers: [
                {
                    mediaType: SIMPLE_SIGNING,
                    digest: layer.digest,
                    size: layer.size,
                    annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signBytes(ci.signing, payload).toString("base64") },
                },
            ],
        };
        await client.putManifest(host, "team/manual", signatureTag(digest), manifestBytes(manifest), OCI_MANIFEST);
        assert.deepEqual(
            await check(`${host}/team/manual@${digest}`, { trustedKeys: [{ name: "ci", publicKey: ci.publicPem }] }),
            [],
        );
    });
});
