/**
 * The verifier against signatures it did not make: cosign signatures published in other projects' tests, and sigstore
 * bundles built here directly with sigstore-js's own bundle builders (not through the pack's signer).
 */
import { strict as assert } from "node:assert";
import { createRequire } from "node:module";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { BundleTrust, checkBundle } from "../../../policy-pack/images/bundle";
import { checkSimpleSigning } from "../../../policy-pack/images/cosign";
import { generateKeyPair, parsePrivateKey, parsePublicKey, signBytes } from "../../../policy-pack/images/keys";
import { parseReference } from "../../../policy-pack/images/reference";

// The pack's own copy of sigstore-js (the repository root holds an older one for other tools).
const packRequire = createRequire(join(__dirname, "../../../policy-pack/package.json"));
const sigstoreSign = packRequire("@sigstore/sign") as typeof import("../../../policy-pack/node_modules/@sigstore/sign");
const sigstoreBundle = packRequire(
    "@sigstore/bundle",
) as typeof import("../../../policy-pack/node_modules/@sigstore/bundle");

interface Vector {
    source: string;
    publicKey: string;
    payload: string;
    signature: string;
    image: string;
    expect: string;
}
const vectors: Vector[] = JSON.parse(
    readFileSync(join(__dirname, "fixtures/cosign-public-vectors.json"), "utf8"),
).vectors;

describe("interoperability: cosign signatures made elsewhere", () => {
    const [rs, containers] = vectors;

    it("verifies sigstore-rs's published cosign signature", () => {
        const image = parseReference(rs.image);
        const check = checkSimpleSigning(Buffer.from(rs.payload), rs.signature, image, image.digest!, [
            parsePublicKey("sigstore-rs", rs.publicKey),
        ]);
        assert.deepEqual(check, { ok: true, signer: 'key "sigstore-rs" (cosign signature)' });
    });

    it("rejects it for another digest, another repository, another key, or a changed byte", () => {
        const image = parseReference(rs.image);
        const key = [parsePublicKey("sigstore-rs", rs.publicKey)];
        const other = `sha256:${"0".repeat(64)}`;
        assert.match(
            check(checkSimpleSigning(Buffer.from(rs.payload), rs.signature, image, other, key)),
            /signed digest sha256:f3cf.*, not sha256:0000/,
        );
        const elsewhere = parseReference("registry-testing.svc.lan/busybox-evil");
        assert.match(
            check(checkSimpleSigning(Buffer.from(rs.payload), rs.signature, elsewhere, image.digest!, key)),
            /for registry-testing\.svc\.lan\/busybox, not registry-testing\.svc\.lan\/busybox-evil/,
        );
        const stranger = [parsePublicKey("stranger", generateKeyPair().publicPem)];
        assert.match(
            check(checkSimpleSigning(Buffer.from(rs.payload), rs.signature, image, image.digest!, stranger)),
            /does not verify with any trusted key \(stranger\)/,
        );
        const changed = Buffer.from(rs.payload.replace("busybox", "busyb0x"));
        assert.match(check(checkSimpleSigning(changed, rs.signature, image, image.digest!, key)), /does not verify/);
        assert.match(
            check(checkSimpleSigning(Buffer.from(rs.payload), "not base64!", image, image.digest!, key)),
            /not base64/,
        );
    });

    it("reads the claims only after the signature verifies: a genuine signature over {} is still rejected", () => {
        const image = parseReference(containers.image);
        const key = [parsePublicKey("containers-image", containers.publicKey)];
        assert.match(
            check(checkSimpleSigning(Buffer.from(containers.payload), containers.signature, image, image.digest!, key)),
            /key "containers-image" has type undefined, not a cosign image signature/,
        );
    });
});

function check(result: { ok: boolean; reason?: string; signer?: string }): string {
    assert.equal(result.ok, false, "expected a rejection");
    return result.reason ?? "";
}

describe("interoperability: bundles from sigstore-js's own builders", () => {
    const pair = generateKeyPair();
    const key = parsePrivateKey(pair.privatePem);
    const image = parseReference(`registry.example.com/team/app@sha256:${"e".repeat(64)}`);
    const trust = (publicPem = pair.publicPem): BundleTrust => ({
        keys: [parsePublicKey("ci", publicPem)],
        identities: [],
        thresholds: { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
        requireSubjectName: false,
    });
    const signer = {
        sign: async (data: Buffer) => ({
            signature: signBytes(key, data),
            key: { $case: "publicKey" as const, publicKey: pair.publicPem, hint: "ci" },
        }),
    };
    const statement = (digestHex: string, name?: string) =>
        Buffer.from(
            JSON.stringify({
                _type: "https://in-toto.io/Statement/v1",
                subject: [{ ...(name ? { name } : {}), digest: { sha256: digestHex } }],
                predicateType: "https://sigstore.dev/cosign/sign/v1",
                predicate: {},
            }),
        );
    const dsse = async (payload: Buffer) => {
        const builder = new sigstoreSign.DSSEBundleBuilder({ signer, witnesses: [] });
        return sigstoreBundle.bundleToJSON(
            await builder.create({ data: payload, type: "application/vnd.in-toto+json" }),
        );
    };

    it("accepts a DSSEBundleBuilder bundle of cosign's statement (with and without a subject name)", async () => {
        assert.deepEqual(
            checkBundle(
                await dsse(statement("e".repeat(64), "registry.example.com/team/app")),
                image,
                image.digest!,
                trust(),
            ),
            {
                ok: true,
                signer: 'key "ci" (sigstore bundle)',
            },
        );
        assert.equal(checkBundle(await dsse(statement("e".repeat(64))), image, image.digest!, trust()).ok, true);
    });

    it("rejects it for another key, a tampered payload, another digest, another repository or predicate", async () => {
        const good = await dsse(statement("e".repeat(64), "registry.example.com/team/app"));
        assert.match(
            check(checkBundle(good, image, image.digest!, trust(generateKeyPair().publicPem))),
            /does not verify with any trusted key/,
        );
        const tampered = JSON.parse(JSON.stringify(good));
        tampered.dsseEnvelope.payload = statement("f".repeat(64), "registry.example.com/team/app").toString("base64");
        assert.match(check(checkBundle(tampered, image, image.digest!, trust())), /signature verification failed/);
        assert.match(
            check(checkBundle(await dsse(statement("f".repeat(64))), image, image.digest!, trust())),
            /signed \{"sha256":"f+"\}, not sha256:e+/,
        );
        assert.match(
            check(
                checkBundle(
                    await dsse(statement("e".repeat(64), "registry.example.com/team/other")),
                    image,
                    image.digest!,
                    trust(),
                ),
            ),
            /for registry\.example\.com\/team\/other, not registry\.example\.com\/team\/app/,
        );
        const slsa = JSON.parse(statement("e".repeat(64)).toString("utf8"));
        slsa.predicateType = "https://slsa.dev/provenance/v1";
        assert.match(
            check(checkBundle(await dsse(Buffer.from(JSON.stringify(slsa))), image, image.digest!, trust())),
            /signed a https:\/\/slsa\.dev\/provenance\/v1 attestation, not an image signature/,
        );
    });

    it("rejects message-signature bundles and things that are not bundles", async () => {
        const builder = new sigstoreSign.MessageSignatureBundleBuilder({ signer, witnesses: [] });
        const message = sigstoreBundle.bundleToJSON(await builder.create({ data: statement("e".repeat(64)) }));
        assert.match(
            check(checkBundle(message, image, image.digest!, trust())),
            /message signature, not the DSSE statement/,
        );
        assert.match(
            check(checkBundle({ mediaType: "nonsense" }, image, image.digest!, trust())),
            /not a valid sigstore bundle/,
        );
        assert.match(check(checkBundle("string", image, image.digest!, trust())), /not a valid sigstore bundle/);
    });
});
