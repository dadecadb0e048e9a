/**
 * Signing keys: ECDSA P-256 (SHA-256, the scheme cosign uses by default) and Ed25519, as PEM. Verification and
 * signing go through node:crypto; nothing here implements a signature scheme.
 */
import { KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";

export type KeyAlgorithm = "ecdsa-p256" | "ed25519";

/** A public key the pack trusts, with the name config gave it (for messages). */
export interface TrustedKey {
    name: string;
    key: KeyObject;
    algorithm: KeyAlgorithm;
}

export class KeyError extends Error {}

function algorithmOf(key: KeyObject, what: string): KeyAlgorithm {
    if (key.asymmetricKeyType === "ed25519") return "ed25519";
    if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ecdsa-p256";
    const detail =
        key.asymmetricKeyType === "ec" ? `EC ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new KeyError(`${what} is a ${detail} key; only ECDSA P-256 and Ed25519 keys are supported`);
}

/** The hash node:crypto is told to use for a key type (Ed25519 hashes internally). */
export function hashFor(algorithm: KeyAlgorithm): string | null {
    return algorithm === "ed25519" ? null : "sha256";
}

/** Parses a PEM public key (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo). */
export function parsePublicKey(name: string, pem: string): TrustedKey {
    if (typeof pem !== "string" || !pem.includes("-----BEGIN PUBLIC KEY-----")) {
        throw new KeyError(`trusted key "${name}" is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
    }
    let key: KeyObject;
    try {
        key = createPublicKey({ key: pem, format: "pem" });
    } catch (e) {
        throw new KeyError(`trusted key "${name}" cannot be read: ${(e as Error).message}`);
    }
    return { name, key, algorithm: algorithmOf(key, `trusted key "${name}"`) };
}

/** A private signing key with its public half. */
export interface SigningKey {
    privateKey: KeyObject;
    publicKey: KeyObject;
    algorithm: KeyAlgorithm;
    publicPem: string;
}

/** Parses a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, unencrypted). */
export function parsePrivateKey(pem: string, what = "the private key"): SigningKey {
    if (pem.includes("ENCRYPTED")) {
        throw new KeyError(
            `${what} is encrypted; decrypt it first (openssl pkcs8 -in KEY -out plain.key) or generate one with ` +
                "`npm run sign -- generate-key-pair`",
        );
    }
    let privateKey: KeyObject;
    try {
        privateKey = createPrivateKey({ key: pem, format: "pem" });
    } catch (e) {
        throw new KeyError(`${what} cannot be read: ${(e as Error).message}`);
    }
    const algorithm = algorithmOf(privateKey, what);
    const publicKey = createPublicKey(privateKey);
    return {
        privateKey,
        publicKey,
        algorithm,
        publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
}

/** A new key pair as PEM (PKCS#8 private key, SPKI public key). */
export function generateKeyPair(algorithm: KeyAlgorithm = "ecdsa-p256"): { privatePem: string; publicPem: string } {
    const pair =
        algorithm === "ed25519"
            ? generateKeyPairSync("ed25519")
            : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    return {
        privatePem: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        publicPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
}

/** Signs bytes the way cosign does for the key type (ECDSA: DER signature over SHA-256; Ed25519: pure). */
export function signBytes(key: SigningKey, data: Buffer): Buffer {
    return sign(hashFor(key.algorithm), data, key.privateKey);
}

/** Verifies a signature made by {@link signBytes} (or cosign) with a trusted key. */
export function verifyBytes(key: TrustedKey, data: Buffer, signature: Buffer): boolean {
    try {
        return verify(hashFor(key.algorithm), data, key.key, signature);
    } catch {
        return false;
    }
}
