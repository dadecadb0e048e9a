/**
 * cosign's classic signature format (cosign's SIGNATURE_SPEC): the signatures of image `repo@sha256:<hex>` are the
 * layers of the manifest tagged `sha256-<hex>.sig` in the same repository; each layer is a simple-signing payload
 *
 *     {"critical":{"identity":{"docker-reference":"<registry>/<repository>"},
 *                  "image":{"docker-manifest-digest":"sha256:<hex>"},
 *                  "type":"cosign container image signature"},"optional":null}
 *
 * of media type `application/vnd.dev.cosign.simplesigning.v1+json`, with the base64 signature of the payload bytes
 * in the layer annotation `dev.cosignproject.cosign/signature`. Only key-based signatures are verified in this
 * format; keyless signers are verified from sigstore bundles (see `bundle.ts`).
 */
import { TrustedKey, verifyBytes } from "./keys";
import { COSIGN_SIGNATURE_TYPE } from "./oci";
import { ImageReference, ReferenceError, parseReference, repositoryName, sameRepository } from "./reference";

/** The result of checking one signature: who signed it, or why it is not acceptable. */
export type SignatureCheck = { ok: true; signer: string } | { ok: false; reason: string };

/** The simple-signing payload cosign signs for an image digest. */
export function simpleSigningPayload(ref: Pick<ImageReference, "registry" | "repository">, digest: string): Buffer {
    return Buffer.from(
        JSON.stringify({
            critical: {
                identity: { "docker-reference": repositoryName(ref) },
                image: { "docker-manifest-digest": digest },
                type: COSIGN_SIGNATURE_TYPE,
            },
            optional: null,
        }),
    );
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function field(obj: unknown, ...path: string[]): unknown {
    let v = obj;
    for (const p of path) {
        if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
        v = (v as Record<string, unknown>)[p];
    }
    return v;
}

/**
 * Checks one classic signature: the signature must verify over the exact payload bytes with one of the trusted keys,
 * and only then are the payload's claims read: its type, its digest (equal to the image's) and its reference (naming
 * the image's repository; a tag or digest in it is ignored).
 */
export function checkSimpleSigning(
    payload: Buffer,
    signatureBase64: string | undefined,
    image: Pick<ImageReference, "registry" | "repository">,
    digest: string,
    keys: readonly TrustedKey[],
): SignatureCheck {
    if (signatureBase64 === undefined) return { ok: false, reason: "a signature layer has no signature annotation" };
    if (!BASE64.test(signatureBase64) || signatureBase64.length === 0) {
        return { ok: false, reason: "a signature annotation is not base64" };
    }
    const signature = Buffer.from(signatureBase64, "base64");
    const signer = keys.find((k) => verifyBytes(k, payload, signature));
    if (!signer) {
        return {
            ok: false,
            reason: `a cosign signature does not verify with any trusted key (${keys.map((k) => k.name).join(", ") || "none configured"})`,
        };
    }
    let claims: unknown;
    try {
        claims = JSON.parse(payload.toString("utf8"));
    } catch {
        return { ok: false, reason: `the payload signed by key "${signer.name}" is not JSON` };
    }
    const type = field(claims, "critical", "type");
    if (type !== COSIGN_SIGNATURE_TYPE) {
        return {
            ok: false,
            reason: `the payload signed by key "${signer.name}" has type ${JSON.stringify(type)}, not a cosign image signature`,
        };
    }
    const signedDigest = field(claims, "critical", "image", "docker-manifest-digest");
    if (signedDigest !== digest) {
        return { ok: false, reason: `key "${signer.name}" signed digest ${String(signedDigest)}, not ${digest}` };
    }
    const signedRef = field(claims, "critical", "identity", "docker-reference");
    if (typeof signedRef !== "string") {
        return { ok: false, reason: `the payload signed by key "${signer.name}" names no docker-reference` };
    }
    let parsed: ImageReference;
    try {
        parsed = parseReference(signedRef);
    } catch (e) {
        if (!(e instanceof ReferenceError)) throw e;
        return { ok: false, reason: `key "${signer.name}" signed the malformed reference "${signedRef}"` };
    }
    if (!sameRepository(parsed, image)) {
        return {
            ok: false,
            reason: `key "${signer.name}" signed this digest for ${repositoryName(parsed)}, not ${repositoryName(image)}`,
        };
    }
    return { ok: true, signer: `key "${signer.name}" (cosign signature)` };
}
