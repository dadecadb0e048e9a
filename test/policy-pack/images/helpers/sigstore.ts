/**
 * A self-made sigstore for keyless tests, since the public one is out of reach here: a certificate authority and a
 * leaf certificate in Fulcio's shape (made with the openssl CLI at test time: SAN URI of a CI workflow, the OIDC
 * issuer in Fulcio's extension 1.3.6.1.4.1.57264.1.8, code-signing usage), a transparency log whose signed entry
 * timestamps and checkpoints are made with node:crypto, and the TrustedRoot JSON naming both. Nothing here is committed key material.
 */
import { execFileSync } from "node:child_process";
import { KeyObject, createHash, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SignOptions } from "../../../../policy-pack/images/sign";

export type BundleSigner = NonNullable<SignOptions["bundleSigner"]>;
export type Witness = NonNullable<SignOptions["witnesses"]>[number];

export interface TestSigstore {
    trustedRoot: Record<string, unknown>;
    /** A signer holding a leaf certificate for `subject` issued by `issuer`. */
    leafSigner(subject: string, issuer: string): BundleSigner;
    /** A transparency-log witness: a dsse entry with a signed entry timestamp. */
    witness: Witness;
}

function openssl(args: string[], cwd: string): void {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a CA (and, per call of leafSigner, a leaf) with openssl, and a log key. Throws when openssl is missing. */
export function makeTestSigstore(): TestSigstore {
    const dir = mkdtempSync(join(tmpdir(), "zdp-sigstore-"));
    try {
        openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"], dir);
        openssl(
            [
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-sha256",
                "-days",
                "2",
                "-subj",
                "/O=zdp-test/CN=zdp test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "ca.pem",
            ],
            dir,
        );
        const caPem = readFileSync(join(dir, "ca.pem"), "utf8");
        const caKey = readFileSync(join(dir, "ca.key"), "utf8");
        const caDer = Buffer.from(caPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
        const log = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        const logDer = log.publicKey.export({ type: "spki", format: "der" });
        const logId = createHash("sha256").update(logDer).digest();
        const start = new Date(Date.now() - 3600_000).toISOString();
        const trustedRoot = {
            mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            tlogs: [
                {
                    baseUrl: "https://log.zdp.test",
                    hashAlgorithm: "SHA2_256",
                    publicKey: {
                        rawBytes: logDer.toString("base64"),
                        keyDetails: "PKIX_ECDSA_P256_SHA_256",
                        validFor: { start },
                    },
                    logId: { keyId: logId.toString("base64") },
                },
            ],
            certificateAuthorities: [
                {
                    subject: { organization: "zdp-test", commonName: "zdp test CA" },
                    uri: "https://ca.zdp.test",
                    certChain: { certificates: [{ rawBytes: caDer.toString("base64") }] },
                    validFor: { start },
                },
            ],
            ctlogs: [],
            timestampAuthorities: [],
        };
        let entries = 0;
        const leafSigner = (subject: string, issuer: string): BundleSigner => {
            const leafDir = mkdtempSync(join(tmpdir(), "zdp-leaf-"));
            try {
                writeFileSync(join(leafDir, "ca.pem"), caPem);
                writeFileSync(join(leafDir, "ca.key"), caKey);
                openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "leaf.key"], leafDir);
                openssl(["req", "-new", "-key", "leaf.key", "-subj", "/O=zdp-test", "-out", "leaf.csr"], leafDir);
                writeFileSync(
                    join(leafDir, "ext.cnf"),
                    [
                        "basicConstraints=critical,CA:FALSE",
                        "keyUsage=critical,digitalSignature",
                        "extendedKeyUsage=codeSigning",
                        `subjectAltName=critical,URI:${subject}`,
                        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${issuer}`,
                        "",
                    ].join("\n"),
                );
                openssl(
                    [
                        "x509",
                        "-req",
                        "-in",
                        "leaf.csr",
                        "-CA",
                        "ca.pem",
                        "-CAkey",
                        "ca.key",
                        "-CAcreateserial",
                        "-days",
                        "1",
                        "-sha256",
                        "-extfile",
                        "ext.cnf",
                        "-out",
                        "leaf.pem",
                    ],
                    leafDir,
                );
                const certificate = readFileSync(join(leafDir, "leaf.pem"), "utf8");
                const key: KeyObject = createPrivateKey(readFileSync(join(leafDir, "leaf.key"), "utf8"));
                return {
                    sign: async (data: Buffer) => ({
                        signature: sign("sha256", data, key),
                        key: { $case: "x509Certificate" as const, certificate },
                    }),
                };
            } finally {
                rmSync(leafDir, { recursive: true, force: true });
            }
        };
        const witness: Witness = {
            testify: async (content, publicKey) => {
                if (content.$case !== "dsseEnvelope") throw new Error("the test log records DSSE envelopes only");
                const env = content.dsseEnvelope;
                const body = Buffer.from(
                    JSON.stringify({
                        apiVersion: "0.0.1",
                        kind: "dsse",
                        spec: {
                            payloadHash: {
                                algorithm: "sha256",
                                value: createHash("sha256").update(env.payload).digest("hex"),
                            },
                            signatures: [
                                {
                                    signature: env.signatures[0].sig.toString("base64"),
                                    verifier: Buffer.from(publicKey).toString("base64"),
                                },
                            ],
                        },
                    }),
                );
                const integratedTime = Math.floor(Date.now() / 1000);
                // Every entry is the only leaf of its own tree: index 0, size 1, root = leaf hash, no proof hashes.
                const logIndex = 0;
                entries++;
                const rootHash = createHash("sha256")
                    .update(Buffer.from([0]))
                    .update(body)
                    .digest();
                const note = `log.zdp.test - ${entries}\n1\n${rootHash.toString("base64")}\n`;
                const noteSignature = Buffer.concat([
                    logId.subarray(0, 4),
                    sign("sha256", Buffer.from(note), log.privateKey),
                ]);
                const envelope = `${note}\n\u2014 log.zdp.test ${noteSignature.toString("base64")}\n`;
                // The log's promise: its signature over the canonical JSON of body, time, index and log id (keys sorted).
                const promised = JSON.stringify({
                    body: body.toString("base64"),
                    integratedTime,
                    logID: logId.toString("hex"),
                    logIndex,
                });
                const signedEntryTimestamp = sign("sha256", Buffer.from(promised), log.privateKey);
                return {
                    tlogEntries: [
                        {
                            logIndex: String(logIndex),
                            logId: { keyId: logId },
                            kindVersion: { kind: "dsse", version: "0.0.1" },
                            integratedTime: String(integratedTime),
                            inclusionPromise: { signedEntryTimestamp },
                            inclusionProof: {
                                logIndex: "0",
                                rootHash,
                                treeSize: "1",
                                hashes: [],
                                checkpoint: { envelope },
                            },
                            canonicalizedBody: body,
                        },
                    ],
                };
            },
        };
        return { trustedRoot, leafSigner, witness };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
