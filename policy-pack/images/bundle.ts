/**
 * Sigstore bundles as cosign 3 stores image signatures: a DSSE envelope (`application/vnd.in-toto+json`) around an
 * in-toto statement whose predicate type is `https://sigstore.dev/cosign/sign/v1` and whose subject carries the
 * image's digest, kept in the registry as an OCI artifact of type `application/vnd.dev.sigstore.bundle.v0.3+json`
 * that refers to the image (see `verify.ts` for finding them, `sign.ts` for pushing them).
 *
 * Building and verifying use sigstore-js: `@sigstore/sign`'s DSSEBundleBuilder with a key-based signer, and
 * `@sigstore/verify`'s Verifier on `toSignedEntity(bundle)`, which checks the signature, the certificate chain up to
 * a trusted CA, transparency-log entries and timestamps against the trust material, and the signer's identity.
 * What this module adds is the cosign-specific reading of the statement: its type, its digest and its subject name.
 */
import { readFileSync } from "node:fs";
import { Bundle, SerializedBundle, assertBundle, bundleFromJSON, bundleToJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { DSSEBundleBuilder, Signer as BundleSigner, Witness } from "@sigstore/sign";
import { TrustMaterial, VerificationPolicy, Verifier, toSignedEntity, toTrustMaterial } from "@sigstore/verify";
import type { SignatureCheck } from "./cosign";
import { SigningKey, TrustedKey, signBytes } from "./keys";
import { COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1 } from "./oci";
import { ImageReference, ReferenceError, parseReference, repositoryName, sameRepository } from "./reference";

/** A keyless signer the pack trusts: the certificate's OIDC issuer and its subject (exact, or a whole-match regexp). */
export interface TrustedIdentity {
    issuer: string;
    subject?: string;
    subjectRegExp?: string;
}

/** Verification thresholds, as sigstore-js names them. */
export interface Thresholds {
    /** Transparency-log entries a bundle must carry. */
    tlogThreshold: number;
    /** Signed certificate timestamps a certificate must carry. */
    ctlogThreshold: number;
    /** Verified timestamps (log entries with a promise, RFC 3161). At least 1 for certificates. */
    timestampThreshold: number;
}

/** Everything a bundle is verified against. */
export interface BundleTrust {
    keys: readonly TrustedKey[];
    identities: readonly TrustedIdentity[];
    /** The trusted root (CAs, logs, timestamp authorities), needed for certificates and for log entries. */
    trustedRoot?: TrustedRoot;
    thresholds: Thresholds;
    /** Reject statements whose subject names no repository (cosign 3 leaves the name out). */
    requireSubjectName: boolean;
}

export class TrustRootError extends Error {}

/** Reads a sigstore TrustedRoot (`trusted_root.json`, as `cosign trusted-root create` writes) from JSON or a file. */
export function loadTrustedRoot(json: unknown, file?: string): TrustedRoot {
    let value = json;
    if (file !== undefined) {
        try {
            value = JSON.parse(readFileSync(file, "utf8"));
        } catch (e) {
            throw new TrustRootError(`cannot read the trusted root ${file}: ${(e as Error).message}`);
        }
    }
    if (!value || typeof value !== "object") throw new TrustRootError("the trusted root is not a JSON object");
    let root: TrustedRoot;
    try {
        root = TrustedRoot.fromJSON(value);
        // Building the trust material parses every certificate and key, so a broken root fails here, at config time.
        toTrustMaterial(root);
    } catch (e) {
        throw new TrustRootError(`the trusted root is not valid: ${(e as Error).message}`);
    }
    if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0 && root.timestampAuthorities.length === 0) {
        throw new TrustRootError(
            "the trusted root has no certificate authority, transparency log or timestamp authority",
        );
    }
    return root;
}

/** The in-toto statement cosign signs for an image digest, naming the repository in its subject. */
export function cosignStatement(ref: Pick<ImageReference, "registry" | "repository">, digest: string): Buffer {
    const [algorithm, hex] = digest.split(":");
    return Buffer.from(
        JSON.stringify({
            _type: IN_TOTO_STATEMENT_V1,
            subject: [{ name: repositoryName(ref), digest: { [algorithm]: hex } }],
            predicateType: COSIGN_SIGN_PREDICATE,
            predicate: {},
        }),
    );
}

/** A sigstore-js signer over a local key pair, with the public key as verification material. */
export function keySigner(key: SigningKey, hint = ""): BundleSigner {
    return {
        sign: async (data: Buffer) => ({
            signature: signBytes(key, data),
            key: { $case: "publicKey", publicKey: key.publicPem, hint },
        }),
    };
}

/** Signs a statement into a sigstore bundle (DSSE) with sigstore-js; witnesses add log entries or timestamps. */
export async function createStatementBundle(
    signer: BundleSigner,
    statement: Buffer,
    witnesses: Witness[] = [],
): Promise<SerializedBundle> {
    const builder = new DSSEBundleBuilder({ signer, witnesses });
    const bundle = await builder.create({ data: statement, type: IN_TOTO_PAYLOAD_TYPE });
    return bundleToJSON(bundle);
}

const KEY_ONLY_TRUST: Omit<TrustMaterial, "publicKey"> = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
};

function materialForKey(key: TrustedKey, root: TrustedRoot | undefined): TrustMaterial {
    // The bundle's key hint is not trusted to pick the key: every trusted key is tried in turn, as cosign --key does.
    const finder = () => ({ publicKey: key.key, validFor: () => true });
    return root ? toTrustMaterial(root, finder) : { ...KEY_ONLY_TRUST, publicKey: finder };
}

function policyFor(identity: TrustedIdentity): VerificationPolicy {
    const san = identity.subjectRegExp !== undefined ? new RegExp(`^(?:${identity.subjectRegExp})$`) : identity.subject;
    return { subjectAlternativeName: san, extensions: { issuer: identity.issuer } };
}

function describeIdentity(identity: TrustedIdentity): string {
    return `${identity.subject ?? `/${identity.subjectRegExp}/`} from ${identity.issuer}`;
}

function errorText(e: unknown): string {
    const err = e as { message?: string; cause?: unknown; fields?: unknown };
    const fields = Array.isArray(err.fields) && err.fields.length > 0 ? ` (${err.fields.join(", ")})` : "";
    const cause = err.cause ? `: ${(err.cause as Error).message ?? String(err.cause)}` : "";
    return `${err.message ?? String(e)}${fields}${cause}`;
}

/**
 * Checks the in-toto statement inside a verified envelope: its type, its predicate type (cosign's image signature
 * unless `predicate` names another, e.g. a vulnerability attestation), a subject with the digest and, when named,
 * the same repository.
 */
export function checkStatement(
    payload: Buffer,
    image: Pick<ImageReference, "registry" | "repository">,
    digest: string,
    signer: string,
    requireSubjectName: boolean,
    predicate: { type: string; what: string } = { type: COSIGN_SIGN_PREDICATE, what: "an image signature" },
): SignatureCheck {
    let statement: Record<string, unknown>;
    try {
        statement = JSON.parse(payload.toString("utf8"));
    } catch {
        return { ok: false, reason: `the statement signed by ${signer} is not JSON` };
    }
    if (statement._type !== IN_TOTO_STATEMENT_V1 && statement._type !== IN_TOTO_STATEMENT_V01) {
        return { ok: false, reason: `the payload signed by ${signer} is not an in-toto statement` };
    }
    if (statement.predicateType !== predicate.type) {
        return {
            ok: false,
            reason: `${signer} signed a ${String(statement.predicateType)} attestation, not ${predicate.what}`,
        };
    }
    const [algorithm, hex] = digest.split(":");
    const subjects = Array.isArray(statement.subject) ? (statement.subject as Record<string, unknown>[]) : [];
    const matching = subjects.filter((s) => (s?.digest as Record<string, unknown> | undefined)?.[algorithm] === hex);
    if (matching.length === 0) {
        const signed = subjects.map((s) => JSON.stringify(s?.digest)).join(", ") || "no digest";
        return { ok: false, reason: `${signer} signed ${signed}, not ${digest}` };
    }
    for (const subject of matching) {
        if (subject.name === undefined || subject.name === "") {
            if (!requireSubjectName) return { ok: true, signer };
            continue;
        }
        if (typeof subject.name !== "string") continue;
        try {
            if (sameRepository(parseReference(subject.name), image)) return { ok: true, signer };
        } catch (e) {
            if (!(e instanceof ReferenceError)) throw e;
        }
    }
    const names = matching.map((s) => (typeof s.name === "string" && s.name ? s.name : "(no name)")).join(", ");
    return { ok: false, reason: `${signer} signed this digest for ${names}, not ${repositoryName(image)}` };
}

/** Verifies one sigstore bundle (its JSON form) as an image signature of `image@digest`. */
export function checkBundle(
    json: unknown,
    image: Pick<ImageReference, "registry" | "repository">,
    digest: string,
    trust: BundleTrust,
): SignatureCheck {
    const verified = verifyBundleEnvelope(json, trust);
    if (!verified.ok) return verified;
    return checkStatement(verified.payload, image, digest, verified.signer, trust.requireSubjectName);
}

/**
 * Verifies the DSSE envelope of a sigstore bundle (signature, certificate chain, identity, log entries, timestamps)
 * against the trust material, and returns the signed payload with the signer; the statement is not read here.
 */
export function verifyBundleEnvelope(
    json: unknown,
    trust: BundleTrust,
): { ok: true; signer: string; payload: Buffer } | { ok: false; reason: string } {
    let bundle: Bundle;
    try {
        bundle = bundleFromJSON(json);
        assertBundle(bundle);
    } catch (e) {
        return { ok: false, reason: `a bundle is not a valid sigstore bundle: ${errorText(e)}` };
    }
    if (bundle.content.$case !== "dsseEnvelope") {
        return {
            ok: false,
            reason: "a bundle holds a message signature, not the DSSE statement cosign signs images with",
        };
    }
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
        return {
            ok: false,
            reason: `a bundle's envelope has payload type ${envelope.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`,
        };
    }
    let entity: ReturnType<typeof toSignedEntity>;
    try {
        entity = toSignedEntity(bundle);
    } catch (e) {
        return { ok: false, reason: `a bundle cannot be read: ${errorText(e)}` };
    }
    const failures: string[] = [];
    let signer: string | undefined;
    if (entity.key.$case === "public-key") {
        if (trust.keys.length === 0)
            return { ok: false, reason: "a bundle is signed by a key, and no trusted keys are configured" };
        for (const key of trust.keys) {
            try {
                new Verifier(materialForKey(key, trust.trustedRoot), {
                    tlogThreshold: trust.thresholds.tlogThreshold,
                    ctlogThreshold: 0,
                    timestampThreshold: trust.thresholds.timestampThreshold,
                }).verify(entity);
                signer = `key "${key.name}" (sigstore bundle)`;
                break;
            } catch (e) {
                failures.push(`key "${key.name}": ${errorText(e)}`);
            }
        }
        if (!signer)
            return { ok: false, reason: `a bundle does not verify with any trusted key (${failures.join("; ")})` };
    } else {
        if (trust.identities.length === 0) {
            return {
                ok: false,
                reason: "a bundle is signed by a certificate, and no trusted identities are configured",
            };
        }
        if (!trust.trustedRoot) {
            return {
                ok: false,
                reason: "a bundle is signed by a certificate, and no trusted root is configured to check it",
            };
        }
        const verifier = new Verifier(toTrustMaterial(trust.trustedRoot), {
            tlogThreshold: trust.thresholds.tlogThreshold,
            ctlogThreshold: trust.thresholds.ctlogThreshold,
            // A certificate is checked at the time a log or timestamp authority vouches for: one is required.
            timestampThreshold: Math.max(1, trust.thresholds.timestampThreshold),
        });
        for (const identity of trust.identities) {
            try {
                verifier.verify(entity, policyFor(identity));
                signer = `identity ${describeIdentity(identity)} (sigstore bundle)`;
                break;
            } catch (e) {
                failures.push(`${describeIdentity(identity)}: ${errorText(e)}`);
            }
        }
        if (!signer) {
            const san = entity.key.certificate.subjectAltName ?? "no subject";
            return {
                ok: false,
                reason: `a bundle signed by certificate for ${san} does not verify as a trusted identity (${failures.join("; ")})`,
            };
        }
    }
    return { ok: true, signer, payload: envelope.payload };
}
