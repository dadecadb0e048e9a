/**
 * cosign's classic signature check (policy-pack/images/cosign.ts) on hand-made payloads, without a registry: every
 * way a signature layer can be malformed, and every claim of the payload, is refused with its own reason, and the
 * claims are read only from a payload that verifies.
 */
import { strict as assert } from "node:assert";
import { checkSimpleSigning, simpleSigningPayload } from "../../../policy-pack/images/cosign";
import {
    generateKeyPair,
    parsePrivateKey,
    parsePublicKey,
    signBytes,
    TrustedKey,
} from "../../../policy-pack/images/keys";
import { COSIGN_SIGNATURE_TYPE } from "../../../policy-pack/images/oci";
import { parseReference } from "../../../policy-pack/images/reference";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const OTHER_DIGEST = `sha256:${"cd".repeat(32)}`;
const IMAGE = parseReference("registry.example.com/team/app");

function keyPair(name: string) {
    const pair = generateKeyPair();
    return { signing: parsePrivateKey(pair.privatePem), trusted: parsePublicKey(name, pair.publicPem) };
}
const ci = keyPair("release-ci");
const other = keyPair("other");

/** A payload with the given claims, signed by `key`, as (payload, base64 signature). */
function signed(claims: unknown, key = ci): [Buffer, string] {
    const payload = Buffer.isBuffer(claims) ? claims : Buffer.from(JSON.stringify(claims));
    return [payload, signBytes(key.signing, payload).toString("base64")];
}
function claims(
    reference: unknown = "registry.example.com/team/app",
    digest: unknown = DIGEST,
    type: unknown = COSIGN_SIGNATURE_TYPE,
) {
    return {
        critical: { identity: { "docker-reference": reference }, image: { "docker-manifest-digest": digest }, type },
        optional: null,
    };
}
const check = ([payload, signature]: [Buffer, string | undefined], keys: readonly TrustedKey[] = [ci.trusted]) =>
    checkSimpleSigning(payload, signature, IMAGE, DIGEST, keys);

describe("cosign classic signatures (simple signing)", () => {
    it("writes the payload cosign signs, byte for byte", () => {
        assert.equal(
            simpleSigningPayload({ registry: "docker.io", repository: "library/nginx" }, DIGEST).toString("utf8"),
            `{"critical":{"identity":{"docker-reference":"docker.io/library/nginx"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
        );
    });

    it("accepts the payload it writes, signed by a trusted key, naming the signer", () => {
        const result = check(signed(simpleSigningPayload(IMAGE, DIGEST)), [other.trusted, ci.trusted]);
        assert.deepEqual(result, { ok: true, signer: 'key "release-ci" (cosign signature)' });
    });

    it("accepts a reference with a tag or digest, or another spelling of the same repository", () => {
        for (const reference of [
            "registry.example.com/team/app:v1",
            `registry.example.com/team/app@${DIGEST}`,
            "REGISTRY.example.com/team/app",
        ]) {
            assert.equal(check(signed(claims(reference))).ok, true, reference);
        }
    });

    it("refuses a layer without a signature annotation", () => {
        const [payload] = signed(claims());
        assert.deepEqual(check([payload, undefined]), {
            ok: false,
            reason: "a signature layer has no signature annotation",
        });
    });

    it("refuses an annotation that is empty or not base64", () => {
        const [payload, signature] = signed(claims());
        for (const bad of [
            "",
            "not base64!",
            `${signature}x`,
            `x${signature}`,
            signature.replace(/=+$/, "") + "===",
            "ab=c",
        ]) {
            assert.deepEqual(check([payload, bad]), { ok: false, reason: "a signature annotation is not base64" }, bad);
        }
        // Base64 of every padding length is read (and here does not verify).
        for (const padded of ["AAAA", "AAA=", "AA==", "AAAAAA=="]) {
            assert.match(reasonOf(check([payload, padded])), /does not verify/, padded);
        }
    });

    it("refuses a signature no trusted key verifies, listing the keys (or saying none is configured)", () => {
        const bySomeoneElse = signed(claims(), other);
        assert.deepEqual(check(bySomeoneElse), {
            ok: false,
            reason: "a cosign signature does not verify with any trusted key (release-ci)",
        });
        assert.equal(
            reasonOf(check(bySomeoneElse, [ci.trusted, keyPair("backup").trusted])),
            "a cosign signature does not verify with any trusted key (release-ci, backup)",
        );
        assert.equal(
            reasonOf(check(signed(claims()), [])),
            "a cosign signature does not verify with any trusted key (none configured)",
        );
        const [payload, signature] = signed(claims());
        const tampered = Buffer.from(payload.toString("utf8").replace(DIGEST, OTHER_DIGEST));
        assert.match(reasonOf(check([tampered, signature])), /does not verify/);
    });

    it("refuses a signed payload that is not JSON", () => {
        assert.deepEqual(check(signed(Buffer.from("not json {"))), {
            ok: false,
            reason: 'the payload signed by key "release-ci" is not JSON',
        });
    });

    it("refuses a signed payload of another type, or without one", () => {
        assert.equal(
            reasonOf(check(signed(claims(undefined, undefined, "in-toto attestation")))),
            'the payload signed by key "release-ci" has type "in-toto attestation", not a cosign image signature',
        );
        for (const payload of [null, [], "x", { critical: null }, { critical: [] }, { critical: "x" }]) {
            assert.equal(
                reasonOf(check(signed(payload))),
                'the payload signed by key "release-ci" has type undefined, not a cosign image signature',
                JSON.stringify(payload),
            );
        }
    });

    it("refuses a signed payload for another digest, or none", () => {
        assert.equal(
            reasonOf(check(signed(claims(undefined, OTHER_DIGEST)))),
            `key "release-ci" signed digest ${OTHER_DIGEST}, not ${DIGEST}`,
        );
        const noImage = claims();
        delete (noImage.critical as Partial<typeof noImage.critical>).image;
        assert.equal(reasonOf(check(signed(noImage))), `key "release-ci" signed digest undefined, not ${DIGEST}`);
    });

    it("refuses a signed payload with a missing or malformed reference", () => {
        const noIdentity = claims();
        delete (noIdentity.critical as Partial<typeof noIdentity.critical>).identity;
        assert.equal(
            reasonOf(check(signed(noIdentity))),
            'the payload signed by key "release-ci" names no docker-reference',
        );
        for (const reference of [42, null, ["registry.example.com/team/app"]]) {
            assert.equal(
                reasonOf(check(signed(claims(reference)))),
                'the payload signed by key "release-ci" names no docker-reference',
                String(reference),
            );
        }
        for (const reference of ["", "Registry.example.com/Team/app", "registry.example.com/team/app@sha256:1"]) {
            assert.equal(
                reasonOf(check(signed(claims(reference)))),
                `key "release-ci" signed the malformed reference "${reference}"`,
            );
        }
    });

    it("refuses a signature of this digest made for another repository or registry", () => {
        assert.equal(
            reasonOf(check(signed(claims("registry.example.com/team/other")))),
            'key "release-ci" signed this digest for registry.example.com/team/other, not registry.example.com/team/app',
        );
        assert.match(
            reasonOf(check(signed(claims("registry.example.com:5000/team/app")))),
            /for registry\.example\.com:5000\/team\/app,/,
        );
        assert.match(reasonOf(check(signed(claims("team/app")))), /for docker\.io\/team\/app,/);
    });
});

function reasonOf(result: ReturnType<typeof checkSimpleSigning>): string {
    assert.equal(result.ok, false, "expected a refusal");
    return (result as { reason: string }).reason;
}
