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
import { parseArgs } from "node:util";
import { KeyAlgorithm, KeyError, SigningKey, generateKeyPair, parsePrivateKey } from "../images/keys";
import { RegistryClient } from "../images/registry";
import { signImage } from "../images/sign";
import {
    InputError,
    Io,
    UsageError,
    formatOption,
    imageArgument,
    imageCommand,
    runAsProgram,
    timeoutOption,
} from "./imageCommand";

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

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

/**
 * node:util's parseArgs, with its errors as this command's one-line usage messages: a missing value (or one that
 * is the next option) is `--key needs a value`, an unknown option `unknown option --x` (`unknown argument` where the
 * command takes no positional).
 */
function parse(
    argv: string[],
    options: Options,
    positionals: boolean,
): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
    try {
        return parseArgs({ args: argv, options, allowPositionals: positionals, strict: true });
    } catch (e) {
        const err = e as Error & { code?: string };
        const named = /'(-[^' ]+)/.exec(err.message)?.[1] ?? /'([^']+)'/.exec(err.message)?.[1] ?? "";
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new UsageError(`${named} needs a value`);
        if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
            throw new UsageError(`unknown ${positionals ? "option" : "argument"} ${named}`);
        }
        if (err.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") throw new UsageError(`unknown argument ${named}`);
        throw new UsageError(err.message);
    }
}

/** A value that is really the next option (`--key --format both`): the option has no value. */
function valueOf(value: string | undefined, flag: string): string | undefined {
    if (value !== undefined && (value === "" || value.startsWith("--"))) throw new UsageError(`${flag} needs a value`);
    return value;
}

function generate(argv: string[], io: Io): number {
    const { values } = parse(argv, { type: { type: "string" }, out: { type: "string" } }, false);
    const v = valueOf(values.type as string | undefined, "--type");
    if (v !== undefined && v !== "ecdsa-p256" && v !== "ed25519")
        throw new UsageError(`--type must be ecdsa-p256 or ed25519, not ${v}`);
    const type: KeyAlgorithm = (v as KeyAlgorithm | undefined) ?? "ecdsa-p256";
    const out = valueOf(values.out as string | undefined, "--out") ?? "cosign";
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
export const main = imageCommand("sign", USAGE, async (argv, io) => {
    if (argv[0] === "generate-key-pair") return generate(argv.slice(1), io);
    const { values, positionals } = parse(
        argv,
        {
            key: { type: "string" },
            format: { type: "string" },
            "insecure-registry": { type: "string", multiple: true },
            timeout: { type: "string" },
        },
        true,
    );
    const keyFile = valueOf(values.key as string | undefined, "--key");
    const format = formatOption(valueOf(values.format as string | undefined, "--format"));
    const insecure = ((values["insecure-registry"] as string[] | undefined) ?? []).map((h) =>
        valueOf(h, "--insecure-registry")!,
    );
    const timeoutSeconds = timeoutOption(valueOf(values.timeout as string | undefined, "--timeout"));
    if (positionals.length > 1) {
        throw new UsageError(`unexpected argument ${positionals[1]}: sign one IMAGE@DIGEST at a time`);
    }
    const image = positionals[0];
    if (!image) throw new UsageError("IMAGE@sha256:<hex> is required");
    if (!keyFile) throw new UsageError("--key FILE is required");
    const ref = imageArgument(image);
    const key = readSigningKey(keyFile);
    const client = new RegistryClient({ timeoutMs: timeoutSeconds * 1000, insecureRegistries: insecure });
    await signImage(client, ref, key, { format, log: io.out });
    return 0;
});

runAsProgram(module, main);
