/**
 * Signs an image digest and pushes the signature to its registry, in the formats the `images-signed` policy verifies.
 *
 *     npm run sign -- IMAGE@sha256:<hex> --key cosign.key [--format cosign|bundle|both]
 *                     [--insecure-registry HOST[:PORT]]... [--timeout SECONDS]
 *     npm run sign -- generate-key-pair [--type ecdsa-p256|ed25519] [--out PREFIX]
 *
 * The key is an unencrypted PEM private key (PKCS#8 or SEC1 EC); `generate-key-pair` writes PREFIX.key (mode 0600)
 * and PREFIX.pub. Registry credentials come from the Docker config (`docker login`). Exit codes: 0 signed,
 * 1 failure (registry, network), 2 usage error or a --key file that is not such a key (missing, unreadable, a
 * directory, a public key, encrypted): the message names the file and what was expected.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { KeyAlgorithm, KeyError, SigningKey, generateKeyPair, parsePrivateKey } from "../images/keys";
import { ReferenceError, parseReference } from "../images/reference";
import { RegistryClient } from "../images/registry";
import { SignFormat, signImage } from "../images/sign";

export const USAGE = `Usage:
  npm run sign -- IMAGE@sha256:<hex> --key FILE [--format cosign|bundle|both] [--insecure-registry HOST[:PORT]]... [--timeout SECONDS]
  npm run sign -- generate-key-pair [--type ecdsa-p256|ed25519] [--out PREFIX]

Signs the image digest with the PEM private key and pushes the signature to the image's registry:
  cosign  the classic cosign signature (tag sha256-<hex>.sig, simple-signing payload)
  bundle  a sigstore bundle as an OCI referrer (fallback tag sha256-<hex> when the registry has no referrers API)
  both    both (default)
generate-key-pair writes PREFIX.key (private, mode 0600) and PREFIX.pub (public; put it in the policy config).`;

/** A PEM key is a few kilobytes; anything far larger is the wrong file. */
const MAX_KEY_BYTES = 1024 * 1024;

export interface Io {
    out: (line: string) => void;
    err: (line: string) => void;
}

class UsageError extends Error {}

/** A bad input file (the key): one line naming it and what was expected, exit code 2, no usage text. */
export class InputError extends Error {}

const EXPECTED_KEY =
    "expected an unencrypted PEM private key (PKCS#8 or SEC1 EC), such as PREFIX.key from `npm run sign -- generate-key-pair`";

/** Reads and parses the --key file; every way it can be wrong names the file and says what was expected. */
export function readSigningKey(file: string): SigningKey {
    const fail = (what: string) => new InputError(`--key ${file}: ${what}; ${EXPECTED_KEY}`);
    let stat;
    try {
        stat = statSync(file);
    } catch (e) {
        throw fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (stat.isDirectory()) throw fail("is a directory");
    if (!stat.isFile()) throw fail("is not a regular file");
    if (stat.size > MAX_KEY_BYTES) throw fail(`is ${stat.size} bytes, too large for a key`);
    let pem: string;
    try {
        pem = readFileSync(file, "utf8");
    } catch (e) {
        throw fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (pem.includes("-----BEGIN PUBLIC KEY-----")) {
        throw fail("is a public key (the .pub file belongs in the policy config's trustedKeys)");
    }
    if (pem.includes("-----BEGIN CERTIFICATE-----")) throw fail("is a certificate, not a key");
    if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem))
        throw fail("is not a PEM private key (no BEGIN … PRIVATE KEY line)");
    try {
        return parsePrivateKey(pem, `--key ${file}`);
    } catch (e) {
        if (e instanceof KeyError) throw new InputError(e.message);
        throw e;
    }
}

function valueOf(argv: string[], i: number, flag: string): string {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
}

function generate(argv: string[], io: Io): number {
    let type: KeyAlgorithm = "ecdsa-p256";
    let out = "cosign";
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--type") {
            const v = valueOf(argv, i++, arg);
            if (v !== "ecdsa-p256" && v !== "ed25519")
                throw new UsageError(`--type must be ecdsa-p256 or ed25519, not ${v}`);
            type = v;
        } else if (arg === "--out") out = valueOf(argv, i++, arg);
        else throw new UsageError(`unknown argument ${arg}`);
    }
    const keyFile = `${out}.key`;
    const pubFile = `${out}.pub`;
    for (const f of [keyFile, pubFile]) if (existsSync(f)) throw new UsageError(`${f} exists; choose another --out`);
    const pair = generateKeyPair(type);
    writeFileSync(keyFile, pair.privatePem, { mode: 0o600, flag: "wx" });
    writeFileSync(pubFile, pair.publicPem, { flag: "wx" });
    io.out(`wrote ${keyFile} (private, keep it secret: CI secret store) and ${pubFile} (public: add to trustedKeys)`);
    return 0;
}

/** Runs the command; returns the exit code. */
export async function main(argv: string[], io: Io = { out: console.log, err: console.error }): Promise<number> {
    try {
        if (argv.includes("--help") || argv.includes("-h")) {
            io.out(USAGE);
            return 0;
        }
        if (argv[0] === "generate-key-pair") return generate(argv.slice(1), io);
        let image: string | undefined;
        let keyFile: string | undefined;
        let format: SignFormat = "both";
        let timeoutSeconds = 30;
        const insecure: string[] = [];
        for (let i = 0; i < argv.length; i++) {
            const arg = argv[i];
            if (arg === "--key") keyFile = valueOf(argv, i++, arg);
            else if (arg === "--format") {
                const v = valueOf(argv, i++, arg);
                if (v !== "cosign" && v !== "bundle" && v !== "both")
                    throw new UsageError(`--format must be cosign, bundle or both, not ${v}`);
                format = v;
            } else if (arg === "--insecure-registry") insecure.push(valueOf(argv, i++, arg));
            else if (arg === "--timeout") {
                timeoutSeconds = Number(valueOf(argv, i++, arg));
                if (!(timeoutSeconds > 0)) throw new UsageError("--timeout must be a positive number of seconds");
            } else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
            else if (image === undefined) image = arg;
            else throw new UsageError(`unexpected argument ${arg}: sign one IMAGE@DIGEST at a time`);
        }
        if (!image) throw new UsageError("IMAGE@sha256:<hex> is required");
        if (!keyFile) throw new UsageError("--key FILE is required");
        let ref;
        try {
            ref = parseReference(image);
        } catch (e) {
            if (e instanceof ReferenceError) throw new UsageError(`${image} is not an image reference: ${e.message}`);
            throw e;
        }
        const key = readSigningKey(keyFile);
        const client = new RegistryClient({ timeoutMs: timeoutSeconds * 1000, insecureRegistries: insecure });
        await signImage(client, ref, key, { format, log: io.out });
        return 0;
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`sign: ${e.message}\n\n${USAGE}`);
            return 2;
        }
        if (e instanceof InputError) {
            io.err(`sign: ${e.message}`);
            return 2;
        }
        io.err(`sign: ${(e as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}
