/**
 * Signature lookup and verdicts (policy-pack/images/verify.ts) against an in-memory registry: what each format
 * fetches, the bounds on what a registry can make a check read, and how found, rejected, missing and unreadable
 * signatures turn into verified / rejected / unsigned / unavailable. The real-registry tests (signatures.test.ts)
 * cover the same paths over HTTP; these run without one, and fast enough for mutation testing.
 */
import { strict as assert } from "node:assert";
import { cosignStatement, createStatementBundle, keySigner } from "../../../policy-pack/images/bundle";
import { simpleSigningPayload } from "../../../policy-pack/images/cosign";
import { compileSignedConfig, SignatureFormat } from "../../../policy-pack/images/config";
import { generateKeyPair, parsePrivateKey, signBytes, SigningKey } from "../../../policy-pack/images/keys";
import {
    COSIGN_CERTIFICATE_ANNOTATION,
    COSIGN_SIGNATURE_ANNOTATION,
    Descriptor,
    descriptorOf,
    DOCKER_MANIFEST,
    ImageManifest,
    manifestBytes,
    OCI_INDEX,
    OCI_MANIFEST,
    referrersTag,
    SIGSTORE_BUNDLE_V03,
    signatureTag,
    SIMPLE_SIGNING,
} from "../../../policy-pack/images/oci";
import { ImageReference, parseReference } from "../../../policy-pack/images/reference";
import { RegistryClient, RegistryError } from "../../../policy-pack/images/registry";
import {
    clearVerificationCache,
    clientFor,
    MAX_CANDIDATES,
    verificationCount,
    verifyImageSignature,
    verifyImageSignatureCached,
} from "../../../policy-pack/images/verify";

const MiB = 1024 * 1024;
const IMAGE_DIGEST = `sha256:${"ab".repeat(32)}`;
const OTHER_DIGEST = `sha256:${"cd".repeat(32)}`;
const REF = parseReference(`r.example.com/team/app@${IMAGE_DIGEST}`);
const WHERE = `r.example.com/team/app@${IMAGE_DIGEST}`;

function newKey(): { signing: SigningKey; publicPem: string } {
    const pair = generateKeyPair();
    return { signing: parsePrivateKey(pair.privatePem), publicPem: pair.publicPem };
}
const ci = newKey();
const intruder = newKey();
const config = (formats?: SignatureFormat[]) =>
    compileSignedConfig({ trustedKeys: [{ name: "ci", publicKey: ci.publicPem }], formats });

/** An in-memory registry of one repository, recording every call the verifier makes. */
class FakeRegistry {
    manifests = new Map<string, Buffer | Error>();
    blobs = new Map<string, Buffer>();
    referrers: Descriptor[] | undefined | Error = undefined;
    calls: string[] = [];

    client(): RegistryClient {
        const client = {
            withSignal: () => client,
            getManifest: async (host: string, repository: string, reference: string, accept: readonly string[]) => {
                this.calls.push(`manifest ${host}/${repository} ${reference} [${accept.join(",")}]`);
                const m = this.manifests.get(reference);
                if (m instanceof Error) throw m;
                return m && { bytes: m, digest: descriptorOf(m, OCI_MANIFEST).digest, mediaType: OCI_MANIFEST };
            },
            getBlob: async (host: string, _repository: string, d: Descriptor) => {
                this.calls.push(`blob ${d.digest}`);
                const b = this.blobs.get(d.digest);
                if (!b) throw new RegistryError("status", `${host} answered HTTP 404 for blob ${d.digest}`);
                return b;
            },
            getReferrers: async (_host: string, _repository: string, digest: string, artifactType?: string) => {
                this.calls.push(`referrers ${digest} ${artifactType}`);
                if (this.referrers instanceof Error) throw this.referrers;
                return this.referrers && { schemaVersion: 2, mediaType: OCI_INDEX, manifests: this.referrers };
            },
        };
        return client as unknown as RegistryClient;
    }

    blob(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
        const d = descriptorOf(bytes, mediaType, extra);
        this.blobs.set(d.digest, bytes);
        return d;
    }

    /** Stores a manifest under a tag, or (without one) under its digest; returns its descriptor. */
    manifest(m: ImageManifest, tag?: string): Descriptor {
        const bytes = manifestBytes(m);
        const d = descriptorOf(bytes, OCI_MANIFEST, m.artifactType ? { artifactType: m.artifactType } : {});
        this.manifests.set(tag ?? d.digest, bytes);
        return d;
    }

    /** A cosign .sig manifest with the given layers. */
    sig(layers: Descriptor[]): void {
        this.manifest(
            { schemaVersion: 2, mediaType: OCI_MANIFEST, config: this.emptyConfig(), layers },
            signatureTag(IMAGE_DIGEST),
        );
    }

    /** A simple-signing layer signed by `key` (with the payload for `ref`, `digest` unless given). */
    signatureLayer(
        key = ci,
        payload = simpleSigningPayload(REF, IMAGE_DIGEST),
        annotations: Record<string, string> = {},
    ): Descriptor {
        return this.blob(payload, SIMPLE_SIGNING, {
            annotations: {
                [COSIGN_SIGNATURE_ANNOTATION]: signBytes(key.signing, payload).toString("base64"),
                ...annotations,
            },
        });
    }

    emptyConfig(mediaType = "application/vnd.oci.empty.v1+json"): Descriptor {
        return this.blob(Buffer.from("{}"), mediaType);
    }

    /** A bundle artifact manifest for `subject`, stored by digest; returns its descriptor. */
    bundleArtifact(
        bundle: Buffer | undefined,
        opts: {
            subject?: string | null;
            artifactType?: string;
            configType?: string;
            layerType?: string;
            layerSize?: number;
        } = {},
    ): Descriptor {
        const layer = bundle && {
            ...this.blob(bundle, opts.layerType ?? SIGSTORE_BUNDLE_V03),
            ...(opts.layerSize ? { size: opts.layerSize } : {}),
        };
        const subject = opts.subject === null ? undefined : (opts.subject ?? IMAGE_DIGEST);
        return this.manifest({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType: "artifactType" in opts ? opts.artifactType : SIGSTORE_BUNDLE_V03,
            config: this.emptyConfig(opts.configType),
            layers: layer ? [layer] : [],
            subject: subject ? { mediaType: OCI_MANIFEST, digest: subject, size: 10 } : undefined,
        });
    }
}

async function bundleOf(key = ci, ref: Pick<ImageReference, "registry" | "repository"> = REF, digest = IMAGE_DIGEST) {
    return Buffer.from(
        JSON.stringify(await createStatementBundle(keySigner(key.signing), cosignStatement(ref, digest))),
    );
}

describe("signature verification (in-memory registry)", () => {
    let reg: FakeRegistry;
    beforeEach(() => {
        reg = new FakeRegistry();
        reg.referrers = [];
    });
    const verify = (formats?: SignatureFormat[], ref: ImageReference = REF) =>
        verifyImageSignature(reg.client(), ref, config(formats));

    it("rejects an image without a digest without asking the registry", async () => {
        assert.deepEqual(await verify(undefined, parseReference("r.example.com/team/app:v1")), {
            status: "rejected",
            detail: "the image has no digest to verify",
        });
        assert.deepEqual(reg.calls, []);
    });

    it("calls an image unsigned when neither format finds anything, saying where it looked", async () => {
        assert.deepEqual(await verify(), {
            status: "unsigned",
            detail: `${WHERE} has no signature (looked for ${signatureTag(IMAGE_DIGEST)} (cosign) or referrers/sigstore bundles)`,
        });
        assert.deepEqual(reg.calls, [
            `manifest r.example.com/team/app ${signatureTag(IMAGE_DIGEST)} [${OCI_MANIFEST},${DOCKER_MANIFEST}]`,
            `referrers ${IMAGE_DIGEST} ${SIGSTORE_BUNDLE_V03}`,
        ]);
        assert.equal((await verify(["bundle"])).status, "unsigned");
        assert.match(
            ((await verify(["bundle"])) as { detail: string }).detail,
            /\(looked for referrers\/sigstore bundles\)$/,
        );
        assert.match(
            ((await verify(["cosign"])) as { detail: string }).detail,
            /\(looked for sha256-[0-9a-f]{64}\.sig \(cosign\)\)$/,
        );
    });

    describe("cosign classic signatures", () => {
        it("verifies a signature by a trusted key and stops looking", async () => {
            reg.sig([reg.signatureLayer()]);
            assert.deepEqual(await verify(), { status: "verified", signer: 'key "ci" (cosign signature)' });
            assert.ok(!reg.calls.some((c) => c.startsWith("referrers")), "bundles are not looked up");
        });

        it("reads only simple-signing layers, and reads on past a rejected signature", async () => {
            const other = reg.blob(Buffer.from("{}"), "application/octet-stream");
            reg.sig([other, reg.signatureLayer(intruder), reg.signatureLayer()]);
            assert.equal((await verify(["cosign"])).status, "verified");
            assert.ok(!reg.calls.includes(`blob ${other.digest}`), "other layers are not fetched");

            reg = new FakeRegistry();
            reg.sig([reg.blob(Buffer.from("{}"), "application/octet-stream")]);
            assert.equal((await verify(["cosign"])).status, "unsigned", "no simple-signing layer: nothing found");
        });

        it("rejects signatures by other keys, with each reason, marking keyless ones", async () => {
            reg.sig([
                reg.signatureLayer(intruder),
                reg.signatureLayer(intruder, simpleSigningPayload(REF, OTHER_DIGEST), {
                    [COSIGN_CERTIFICATE_ANNOTATION]: "cert",
                }),
            ]);
            assert.deepEqual(await verify(["cosign"]), {
                status: "rejected",
                detail:
                    `no acceptable signature for ${WHERE}; signatures found were rejected: ` +
                    "a cosign signature does not verify with any trusted key (ci); " +
                    "a cosign signature does not verify with any trusted key (ci) (a keyless classic signature: verify keyless signers from bundles)",
            });
        });

        it("reads a payload of up to 1 MiB, and no larger one", async () => {
            const huge = { ...reg.signatureLayer(), size: MiB + 1 };
            reg.sig([huge]);
            assert.deepEqual(await verify(["cosign"]), {
                status: "rejected",
                detail: `no acceptable signature for ${WHERE}; signatures found were rejected: a signature payload of ${MiB + 1} bytes is larger than the ${MiB} read`,
            });
            assert.ok(!reg.calls.some((c) => c.startsWith("blob")), "the oversized payload is not fetched");
            const padded = Buffer.concat([simpleSigningPayload(REF, IMAGE_DIGEST), Buffer.alloc(MiB, " ")]);
            const atLimit = reg.signatureLayer(ci, padded.subarray(0, MiB));
            assert.equal(atLimit.size, MiB);
            reg.sig([atLimit]);
            assert.equal((await verify(["cosign"])).status, "verified");
        });

        it(`looks at no more than ${MAX_CANDIDATES} signatures`, async () => {
            assert.equal(MAX_CANDIDATES, 16);
            const bad = Array.from({ length: MAX_CANDIDATES }, () => reg.signatureLayer(intruder));
            reg.sig([...bad, reg.signatureLayer()]);
            const verdict = await verify(["cosign"]);
            assert.equal(verdict.status, "rejected");
            assert.equal(reg.calls.filter((c) => c.startsWith("blob")).length, MAX_CANDIDATES);
            reg.sig([...bad.slice(1), reg.signatureLayer()]);
            assert.equal((await verify(["cosign"])).status, "verified");
        });

        it("cannot conclude when the signature manifest is malformed or the registry fails", async () => {
            reg.manifests.set(signatureTag(IMAGE_DIGEST), Buffer.from("not json"));
            const verdict = await verify(["cosign"]);
            assert.equal(verdict.status, "unavailable");
            assert.match(
                (verdict as { detail: string }).detail,
                new RegExp(
                    `^the signatures of ${WHERE} could not be looked up: r\\.example\\.com answered the signature manifest sha256-[0-9a-f]{64}\\.sig is not JSON`,
                ),
            );
            reg.manifests.set(
                signatureTag(IMAGE_DIGEST),
                new RegistryError("unreachable", "r.example.com did not answer"),
            );
            assert.deepEqual(await verify(["cosign"]), {
                status: "unavailable",
                detail: `the signatures of ${WHERE} could not be looked up: r.example.com did not answer`,
                excusable: true,
            });
        });

        it("lets an unexpected error through (a bug, not a registry failure)", async () => {
            reg.manifests.set(signatureTag(IMAGE_DIGEST), new TypeError("boom"));
            await assert.rejects(verify(["cosign"]), TypeError);
        });
    });

    describe("sigstore bundles", () => {
        it("verifies a bundle listed by the referrers API, fetching the artifact by digest", async () => {
            const artifact = reg.bundleArtifact(await bundleOf());
            reg.referrers = [artifact];
            assert.deepEqual(await verify(["bundle"]), { status: "verified", signer: 'key "ci" (sigstore bundle)' });
            assert.ok(reg.calls.includes(`manifest r.example.com/team/app ${artifact.digest} [${OCI_MANIFEST}]`));
            assert.ok(!reg.calls.some((c) => c.includes(referrersTag(IMAGE_DIGEST) + " ")), "no fallback tag");
        });

        it("falls back to the referrers tag when there is no referrers API, keeping only bundle entries", async () => {
            const artifact = reg.bundleArtifact(await bundleOf());
            const untyped = { ...artifact, artifactType: undefined };
            const other = { ...reg.bundleArtifact(await bundleOf(intruder)), artifactType: "application/spdx+json" };
            reg.referrers = undefined;
            reg.manifests.set(
                referrersTag(IMAGE_DIGEST),
                Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [other, untyped] })),
            );
            assert.equal((await verify(["bundle"])).status, "verified");
            assert.ok(
                reg.calls.includes(`manifest r.example.com/team/app ${referrersTag(IMAGE_DIGEST)} [${OCI_INDEX}]`),
            );
            assert.ok(
                !reg.calls.some((c) => c.includes(other.digest)),
                "an entry of another artifact type is not fetched",
            );
        });

        it("calls the image unsigned when there is neither a referrers API nor a fallback tag", async () => {
            reg.referrers = undefined;
            assert.equal((await verify(["bundle"])).status, "unsigned");
        });

        it("cannot conclude when the fallback index or a referrer manifest is malformed", async () => {
            reg.referrers = undefined;
            reg.manifests.set(referrersTag(IMAGE_DIGEST), Buffer.from("[]"));
            const index = await verify(["bundle"]);
            assert.equal(index.status, "unavailable");
            assert.match(
                (index as { detail: string }).detail,
                /r\.example\.com answered the referrers index sha256-[0-9a-f]{64} is not a JSON object/,
            );
            reg.referrers = [descriptorOf(Buffer.from("x"), OCI_MANIFEST)];
            reg.manifests.set(reg.referrers[0].digest, Buffer.from("{}"));
            const manifest = await verify(["bundle"]);
            assert.equal(manifest.status, "unavailable");
            assert.match(
                (manifest as { detail: string }).detail,
                /r\.example\.com answered the referrer sha256:[0-9a-f]{64} is not schemaVersion 2/,
            );
        });

        it("rejects, with a reason each, referrers that are missing, about another image, empty, too large or not JSON", async () => {
            const missing = descriptorOf(Buffer.from("gone"), OCI_MANIFEST);
            const another = reg.bundleArtifact(await bundleOf(), { subject: OTHER_DIGEST });
            const noSubject = reg.bundleArtifact(await bundleOf(), { subject: null });
            const empty = reg.bundleArtifact(undefined);
            const wrongLayer = reg.bundleArtifact(Buffer.from("{}"), { layerType: "application/json" });
            const huge = reg.bundleArtifact(await bundleOf(), { layerSize: MiB + 1 });
            const notJson = reg.bundleArtifact(Buffer.from("not json"));
            const intruded = reg.bundleArtifact(await bundleOf(intruder));
            reg.referrers = [missing, another, noSubject, empty, wrongLayer, huge, notJson, intruded];
            const verdict = await verify(["bundle"]);
            assert.equal(verdict.status, "rejected");
            const reasons = (verdict as { detail: string }).detail.split("; ");
            assert.equal(reasons[0], `no acceptable signature for ${WHERE}`);
            assert.deepEqual(reasons.slice(1, 8), [
                `signatures found were rejected: the referrer ${missing.digest} is listed but missing`,
                `the bundle artifact ${another.digest} refers to ${OTHER_DIGEST}, not this image`,
                `the bundle artifact ${noSubject.digest} refers to no subject, not this image`,
                `the bundle artifact ${empty.digest} has no ${SIGSTORE_BUNDLE_V03} layer`,
                `the bundle artifact ${wrongLayer.digest} has no ${SIGSTORE_BUNDLE_V03} layer`,
                `a bundle of ${MiB + 1} bytes is larger than the ${MiB} read`,
                `the bundle ${descriptorOf(Buffer.from("not json"), SIGSTORE_BUNDLE_V03).digest} is not JSON`,
            ]);
            assert.equal(reasons.length, 9, "the intruder's bundle is rejected with the bundle check's reason");
        });

        it("skips artifacts that are not bundles, counting them as no signature", async () => {
            const notBundle = reg.bundleArtifact(await bundleOf(), { artifactType: "application/spdx+json" });
            reg.referrers = [notBundle];
            assert.equal((await verify(["bundle"])).status, "unsigned");
            // A bundle declared by its config media type alone is read.
            reg.referrers = [
                reg.bundleArtifact(await bundleOf(), { artifactType: undefined, configType: SIGSTORE_BUNDLE_V03 }),
            ];
            assert.equal((await verify(["bundle"])).status, "verified");
            // A found bundle that is rejected makes the image rejected, not unsigned.
            reg.referrers = [reg.bundleArtifact(Buffer.from("{}"), { subject: OTHER_DIGEST })];
            assert.equal((await verify(["bundle"])).status, "rejected");
        });

        it(`looks at no more than ${MAX_CANDIDATES} referrers`, async () => {
            const bad = [];
            for (let i = 0; i < MAX_CANDIDATES; i++) bad.push(reg.bundleArtifact(Buffer.from(`{"n":${i}}`)));
            reg.referrers = [...bad, reg.bundleArtifact(await bundleOf())];
            assert.equal((await verify(["bundle"])).status, "rejected");
            reg.referrers = [...bad.slice(1), reg.bundleArtifact(await bundleOf())];
            assert.equal((await verify(["bundle"])).status, "verified");
        });
    });

    describe("tampering and the deadline", () => {
        it("rejects content that does not match its digest, even when the other format could not be asked", async () => {
            reg.manifests.set(
                signatureTag(IMAGE_DIGEST),
                new RegistryError("tampered", "r.example.com sent a forged .sig"),
            );
            reg.referrers = new RegistryError("unreachable", "r.example.com did not answer");
            assert.deepEqual(await verify(), {
                status: "rejected",
                detail:
                    `the registry answered content that does not match its digest for ${WHERE} (tampered or corrupt, ` +
                    "never excused as a registry error): r.example.com sent a forged .sig",
            });
            reg.referrers = new RegistryError("tampered", "r.example.com sent a forged index");
            const both = await verify();
            assert.equal(both.status, "rejected");
            assert.match(
                (both as { detail: string }).detail,
                /error\): r\.example\.com sent a forged \.sig; r\.example\.com sent a forged index$/,
            );
        });

        it("gives up at the deadline for the whole image: unavailable, naming the image and the deadline", async () => {
            const hung = reg.client();
            (hung as unknown as { getManifest: () => Promise<never> }).getManifest = () => new Promise<never>(() => {});
            const cfg = { ...config(["cosign"]), deadlineMs: 50 };
            const started = Date.now();
            assert.deepEqual(await verifyImageSignature(hung, REF, cfg), {
                status: "unavailable",
                detail: `the signatures of ${WHERE} could not be looked up: no verdict within the 0.05s deadline for ${WHERE} (deadlineSeconds)`,
                excusable: true,
            });
            assert.ok(Date.now() - started < 5000);
        });

        it("keeps the rejections seen before the deadline", async () => {
            reg.sig([reg.signatureLayer(intruder)]);
            const slow = reg.client();
            (slow as unknown as { getReferrers: () => Promise<never> }).getReferrers = () =>
                new Promise<never>(() => {});
            const verdict = await verifyImageSignature(slow, REF, { ...config(), deadlineMs: 50 });
            assert.equal(verdict.status, "unavailable");
            assert.match(
                (verdict as { detail: string }).detail,
                /deadline .*; signatures found were rejected: a cosign signature does not verify/,
            );
            assert.equal((verdict as { excusable: boolean }).excusable, false, "a rejection is never excused");
        });

        it("reads a bundle of exactly 1 MiB", async () => {
            const bundle = await bundleOf();
            const padded = Buffer.concat([bundle, Buffer.alloc(MiB - bundle.length, " ")]);
            reg.referrers = [reg.bundleArtifact(padded)];
            assert.equal((await verify(["bundle"])).status, "verified");
        });

        it("follows a typed bundle entry of the referrers tag", async () => {
            reg.referrers = undefined;
            const artifact = reg.bundleArtifact(await bundleOf());
            assert.equal(artifact.artifactType, SIGSTORE_BUNDLE_V03);
            reg.manifests.set(
                referrersTag(IMAGE_DIGEST),
                Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [artifact] })),
            );
            assert.equal((await verify(["bundle"])).status, "verified");
        });
    });

    describe("both formats", () => {
        it("tries the formats in the configured order and stops at the first that verifies", async () => {
            reg.sig([reg.signatureLayer()]);
            reg.referrers = [reg.bundleArtifact(await bundleOf())];
            assert.deepEqual(await verify(["bundle", "cosign"]), {
                status: "verified",
                signer: 'key "ci" (sigstore bundle)',
            });
            assert.ok(!reg.calls.some((c) => c.includes(signatureTag(IMAGE_DIGEST))), "cosign is not looked up");
        });

        it("reports a registry failure of one format with the rejections of the other", async () => {
            reg.sig([reg.signatureLayer(intruder)]);
            reg.referrers = new RegistryError("status", "r.example.com answered HTTP 500");
            assert.deepEqual(await verify(), {
                status: "unavailable",
                detail:
                    `the signatures of ${WHERE} could not be looked up: r.example.com answered HTTP 500; ` +
                    "signatures found were rejected: a cosign signature does not verify with any trusted key (ci)",
                excusable: false,
            });
        });

        it("verifies through the second format when the first fails", async () => {
            reg.manifests.set(signatureTag(IMAGE_DIGEST), new RegistryError("status", "HTTP 500"));
            reg.referrers = [reg.bundleArtifact(await bundleOf())];
            assert.equal((await verify()).status, "verified");
        });
    });
});

describe("the verdict cache", () => {
    // A loopback port nothing listens on: the real client fails fast with a registry error.
    const ref = parseReference(`127.0.0.1:1/team/app@${IMAGE_DIGEST}`);
    const cfg = compileSignedConfig({ trustedKeys: [{ name: "ci", publicKey: ci.publicPem }], timeoutSeconds: 2 });
    beforeEach(() => clearVerificationCache());

    it("verifies each config and digest once, until cleared", async () => {
        const before = verificationCount();
        const first = verifyImageSignatureCached(ref, cfg);
        assert.equal(verifyImageSignatureCached(ref, cfg), first, "the same promise");
        assert.equal((await first).status, "unavailable");
        assert.equal(verificationCount(), before + 1);
        const other = compileSignedConfig({
            trustedKeys: [{ name: "ci2", publicKey: ci.publicPem }],
            timeoutSeconds: 2,
        });
        assert.notEqual(verifyImageSignatureCached(ref, other), first, "another config");
        assert.notEqual(verifyImageSignatureCached(parseReference(`127.0.0.1:1/team/app@${OTHER_DIGEST}`), cfg), first);
        assert.equal(verificationCount(), before + 3);
        clearVerificationCache();
        assert.notEqual(verifyImageSignatureCached(ref, cfg), first);
        assert.equal(verificationCount(), before + 4);
    });

    it("keeps one registry client per config", () => {
        const client = clientFor(cfg);
        assert.equal(clientFor(cfg), client);
        assert.notEqual(clientFor({ ...cfg, fingerprint: "other" }), client);
        clearVerificationCache();
        assert.notEqual(clientFor(cfg), client);
    });

    it("turns an unexpected error into a rejection that says so", async () => {
        const broken = { ...cfg, fingerprint: "broken", formats: null as unknown as SignatureFormat[] };
        const verdict = await verifyImageSignatureCached(ref, broken);
        assert.equal(verdict.status, "rejected");
        assert.match((verdict as { detail: string }).detail, /^verification failed unexpectedly: .*not iterable/);
    });
});
