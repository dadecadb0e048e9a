/**
 * Attaches a signed vulnerability attestation to an image digest, in the formats the `images-vulnerabilities`
 * policy verifies: the scanner's report (Trivy JSON, `trivy image --format json`, or the cosign-vuln predicate
 * `trivy image --format cosign-vuln` writes) inside cosign's vulnerability predicate, in an in-toto statement whose
 * subject is the digest.
 *
 *     npm run attest -- IMAGE@sha256:<hex> --report trivy.json --key cosign.key [--format cosign|bundle|both]
 *                       [--scanned-at TIME] [--insecure-registry HOST[:PORT]]... [--timeout SECONDS]
 *
 * Conventions of `npm run sign`: the key is an unencrypted PEM private key, registry credentials come from the
 * Docker config (`docker login`), progress goes to stdout. Exit codes: 0 attested, 1 failure (registry, network),
 * 2 usage error or an input file that is not what is expected (the key, the report): the message names the file.
 */
import { readFileSync, statSync } from "node:fs";
import {
    MAX_ATTESTATION_BYTES,
    ReportError,
    VulnPredicate,
    attestImage,
    parseTime,
    vulnPredicateOf,
} from "../images/attestation";
import { RegistryClient } from "../images/registry";
import {
    InputError,
    UsageError,
    formatOption,
    imageArgument,
    imageCommand,
    runAsProgram,
    timeoutOption,
} from "./imageCommand";
import { readSigningKey } from "./sign";

export const USAGE = `Usage:
  npm run attest -- IMAGE@sha256:<hex> --report FILE --key FILE [--format cosign|bundle|both] [--scanned-at TIME] [--insecure-registry HOST[:PORT]]... [--timeout SECONDS]

Attests the image digest's vulnerability scan, signed with the PEM private key, in the image's registry:
  --report  Trivy's JSON report of the digest (trivy image --format json), or its cosign-vuln predicate
  --scanned-at  RFC 3339 time the scan finished, for reports without CreatedAt (Trivy before 0.48)
  cosign  the classic cosign attestation (tag sha256-<hex>.att, DSSE envelope)
  bundle  a sigstore bundle as an OCI referrer (fallback tag sha256-<hex> when the registry has no referrers API)
  both    both (default)`;

/** A scan report of a large image is a few megabytes; the attestation must stay within what the policy reads. */
const MAX_REPORT_BYTES = MAX_ATTESTATION_BYTES / 2;

function valueOf(argv: string[], i: number, flag: string): string {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
    return v;
}

/** Reads the --report file into the predicate to attest; every way it can be wrong names the file and the field. */
export function readReport(file: string, scannedAt?: Date): VulnPredicate {
    const fail = (what: string) =>
        new InputError(`--report ${file}: ${what}; expected Trivy's JSON report (trivy image --format json)`);
    let size: number;
    try {
        const stat = statSync(file);
        if (!stat.isFile()) throw fail("is not a regular file");
        size = stat.size;
    } catch (e) {
        if (e instanceof InputError) throw e;
        throw fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    if (size > MAX_REPORT_BYTES) {
        throw fail(`is ${size} bytes, more than the ${MAX_REPORT_BYTES} an attestation may carry`);
    }
    let json: unknown;
    try {
        json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
        throw fail(`is not JSON (${(e as Error).message})`);
    }
    try {
        return vulnPredicateOf(json, scannedAt);
    } catch (e) {
        if (e instanceof ReportError) throw fail(e.message);
        throw e;
    }
}

/** Runs the command; returns the exit code. */
export const main = imageCommand("attest", USAGE, async (argv, io) => {
    let image: string | undefined;
    let keyFile: string | undefined;
    let reportFile: string | undefined;
    let scannedAt: Date | undefined;
    // The defaults of the options, as sign has them.
    let format = formatOption(undefined);
    let timeoutSeconds = timeoutOption(undefined);
    const insecure: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--key") keyFile = valueOf(argv, i++, arg);
        else if (arg === "--report") reportFile = valueOf(argv, i++, arg);
        else if (arg === "--scanned-at") {
            const v = valueOf(argv, i++, arg);
            scannedAt = parseTime(v);
            if (!scannedAt)
                throw new UsageError(`--scanned-at must be an RFC 3339 time (2026-03-01T12:00:00Z), not ${v}`);
        } else if (arg === "--format") format = formatOption(valueOf(argv, i++, arg));
        else if (arg === "--insecure-registry") insecure.push(valueOf(argv, i++, arg));
        else if (arg === "--timeout") timeoutSeconds = timeoutOption(valueOf(argv, i++, arg));
        else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else if (image === undefined) image = arg;
        else throw new UsageError(`unexpected argument ${arg}: attest one IMAGE@DIGEST at a time`);
    }
    if (!image) throw new UsageError("IMAGE@sha256:<hex> is required");
    if (!reportFile) throw new UsageError("--report FILE is required");
    if (!keyFile) throw new UsageError("--key FILE is required");
    const ref = imageArgument(image);
    if (!ref.digest) throw new UsageError(`${image} has no digest: attest IMAGE@sha256:<64 hex>, never a tag`);
    const predicate = readReport(reportFile, scannedAt);
    const key = readSigningKey(keyFile);
    const client = new RegistryClient({ timeoutMs: timeoutSeconds * 1000, insecureRegistries: insecure });
    await attestImage(client, ref, key, predicate, { format, log: io.out });
    return 0;
});

runAsProgram(module, main);
