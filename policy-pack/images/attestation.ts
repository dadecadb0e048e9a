/**
 * Vulnerability attestations of image digests, in the two formats cosign writes, and the scanner report they carry:
 *
 * - the statement: an in-toto statement (v1; v0.1 is read too) whose subject is the image digest and whose
 *   predicate is cosign's vulnerability predicate (`https://cosign.sigstore.dev/attestation/vuln/v1`):
 *   `{invocation, scanner: {uri, version, db, result}, metadata: {scanStartedOn, scanFinishedOn}}`, with Trivy's JSON
 *   report (SchemaVersion 2) as `scanner.result`, as `trivy image --format cosign-vuln` writes it.
 * - `cosign` (classic): the manifest tagged `sha256-<hex>.att`, one layer of type
 *   `application/vnd.dsse.envelope.v1+json` per attestation (annotation `predicateType`); the layer is a DSSE
 *   envelope whose signature covers the DSSE pre-authentication encoding of the statement.
 * - `bundle` (cosign 3): a sigstore bundle (DSSE) as an OCI referrer of the image, annotated with the predicate type,
 *   found through the referrers API or the fallback tag, exactly as signature bundles are (see `verify.ts`).
 *
 * Verification reuses the images-signed machinery: the trusted keys and identities, the registry client per config,
 * sigstore-js for bundles. Every attestation that verifies and names the digest is returned; the policy judges the
 * newest. Lookups are cached per config fingerprint and `registry/repository@digest`, as promises.
 */
import { Witness } from "@sigstore/sign";
import { checkStatement, createStatementBundle, keySigner, verifyBundleEnvelope } from "./bundle";
import { CompiledSignedConfig } from "./config";
import { SigningKey, signBytes, verifyBytes } from "./keys";
import {
    BUNDLE_PREDICATE_ANNOTATION,
    DOCKER_MANIFEST,
    Descriptor,
    IN_TOTO_PAYLOAD_TYPE,
    IN_TOTO_STATEMENT_V1,
    MalformedError,
    OCI_MANIFEST,
    SIGSTORE_BUNDLE_V03,
    parseImageManifest,
} from "./oci";
import { ImageReference, isPinned, repositoryName } from "./reference";
import { RegistryClient, RegistryError } from "./registry";
import { cleanRegistryText } from "./sanitize";
import { SignError, SignFormat, appendClassicLayer, pushBundleArtifact, subjectDescriptor } from "./sign";
import { MAX_CANDIDATES, bundleDescriptors, clientFor } from "./verify";

/** cosign's vulnerability scan predicate type. */
export const COSIGN_VULN_PREDICATE = "https://cosign.sigstore.dev/attestation/vuln/v1";
/** Media type of a DSSE envelope layer in cosign's `.att` manifests. */
export const DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json";
/** The layer annotation cosign puts the statement's predicate type in. */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";
/** Largest attestation read (a Trivy report of a large image, with descriptions, is a few megabytes). */
export const MAX_ATTESTATION_BYTES = 8 * 1024 * 1024;
/** Trivy's severities, lowest first. */
export const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

const VULN = { type: COSIGN_VULN_PREDICATE, what: "a vulnerability attestation" };
const MAX_REASON = 300;

/** The tag cosign stores classic attestations under: `sha256-<hex>.att`. */
export function attestationTag(digest: string): string {
    return `${digest.replace(":", "-")}.att`;
}

/** The DSSE pre-authentication encoding: what a DSSE signature covers. */
export function pae(payloadType: string, payload: Buffer): Buffer {
    const type = Buffer.from(payloadType, "utf8");
    return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** One finding of a Trivy report. */
export interface Finding {
    id: string;
    pkg: string;
    installed: string;
    /** Version(s) that fix it, empty when the scanner knows no fix. */
    fixedVersion: string;
    /** `fixed`, `affected`, `will_not_fix`, ... (Trivy's status), or empty. */
    status: string;
    /** The report's severity, upper case; anything Trivy does not rank is `UNKNOWN`. */
    severity: Severity | "UNKNOWN";
    target: string;
}

export class ReportError extends Error {}

function text(v: unknown, max = 200): string {
    return typeof v === "string" ? cleanRegistryText(v, max) : "";
}

/**
 * Reads the findings of a Trivy JSON report (SchemaVersion 2: `Results[].Vulnerabilities[]`); anything else is a
 * {@link ReportError} naming the field, because a report that cannot be read must not pass as clean.
 */
export function trivyFindings(report: unknown): Finding[] {
    const r = report as Record<string, unknown> | null;
    if (!r || typeof r !== "object" || Array.isArray(r)) throw new ReportError("the report is not a JSON object");
    if (r.SchemaVersion !== 2) {
        throw new ReportError(`SchemaVersion is ${JSON.stringify(r.SchemaVersion)}, not 2 (trivy --format json)`);
    }
    if (r.Results !== undefined && r.Results !== null && !Array.isArray(r.Results)) {
        throw new ReportError("Results is not a list");
    }
    const findings: Finding[] = [];
    ((r.Results as unknown[] | undefined) ?? []).forEach((result, i) => {
        const res = result as Record<string, unknown> | null;
        if (!res || typeof res !== "object") throw new ReportError(`Results[${i}] is not an object`);
        const vulns = res.Vulnerabilities;
        if (vulns === undefined || vulns === null) return;
        if (!Array.isArray(vulns)) throw new ReportError(`Results[${i}].Vulnerabilities is not a list`);
        vulns.forEach((vuln, j) => {
            const v = vuln as Record<string, unknown> | null;
            const where = `Results[${i}].Vulnerabilities[${j}]`;
            if (!v || typeof v !== "object") throw new ReportError(`${where} is not an object`);
            if (typeof v.VulnerabilityID !== "string" || v.VulnerabilityID === "") {
                throw new ReportError(`${where}.VulnerabilityID is missing`);
            }
            const severity = typeof v.Severity === "string" ? v.Severity.toUpperCase() : "";
            findings.push({
                id: text(v.VulnerabilityID, 100),
                pkg: text(v.PkgName, 100),
                installed: text(v.InstalledVersion, 100),
                fixedVersion: text(v.FixedVersion, 100),
                status: text(v.Status, 40),
                severity: (SEVERITIES as readonly string[]).includes(severity) ? (severity as Severity) : "UNKNOWN",
                target: text(res.Target, 200),
            });
        });
    });
    return findings;
}

/** A fix is available when the scanner names a fixed version or says the status is `fixed`. */
export function hasFix(finding: Finding): boolean {
    return finding.fixedVersion !== "" || finding.status === "fixed";
}

/** A report file as the attest command reads it: a Trivy JSON report, or a cosign-vuln predicate wrapping one. */
export interface VulnPredicate {
    invocation: { parameters: unknown; uri: string; event_id: string; "builder.id": string };
    scanner: { uri: string; version: string; db: { uri: string; version: string }; result: unknown };
    metadata: { scanStartedOn: string; scanFinishedOn: string };
}

/** An RFC 3339 time with a zone, as Go and Trivy write them; undefined otherwise. */
export function parseTime(v: unknown): Date | undefined {
    if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) {
        return undefined;
    }
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The cosign vulnerability predicate for a report file: a Trivy JSON report is wrapped (scan time from its
 * `CreatedAt`, or `scannedAt` when given; the scanner version from `Trivy.Version`); a file that already is a
 * cosign-vuln predicate (`trivy --format cosign-vuln`) is taken as it is. Either way the Trivy report inside must
 * be readable. Throws {@link ReportError} naming what is wrong.
 */
export function vulnPredicateOf(
    file: unknown,
    scannedAt?: Date,
    invocation: Partial<VulnPredicate["invocation"]> = {},
): VulnPredicate {
    const f = file as Record<string, unknown> | null;
    if (!f || typeof f !== "object" || Array.isArray(f)) throw new ReportError("the report is not a JSON object");
    if (f.scanner !== undefined) {
        const p = f as unknown as VulnPredicate;
        trivyFindings(p.scanner?.result);
        if (!parseTime(p.metadata?.scanFinishedOn)) {
            throw new ReportError("metadata.scanFinishedOn of the cosign-vuln predicate is not an RFC 3339 time");
        }
        return p;
    }
    trivyFindings(f);
    const at = scannedAt ?? parseTime(f.CreatedAt);
    if (!at) {
        throw new ReportError(
            "CreatedAt is missing or not an RFC 3339 time (Trivy 0.48 and later write it); pass --scanned-at TIME",
        );
    }
    const version = text((f.Trivy as Record<string, unknown> | undefined)?.Version, 40);
    const time = at.toISOString();
    return {
        invocation: {
            parameters: null,
            uri: invocation.uri ?? "",
            event_id: invocation.event_id ?? "",
            "builder.id": invocation["builder.id"] ?? "",
        },
        scanner: {
            uri: `pkg:github/aquasecurity/trivy${version ? `@${version}` : ""}`,
            version,
            db: { uri: "", version: "" },
            result: f,
        },
        metadata: { scanStartedOn: time, scanFinishedOn: time },
    };
}

/** The in-toto statement of a vulnerability attestation for `image@digest`. */
export function vulnStatement(
    ref: Pick<ImageReference, "registry" | "repository">,
    digest: string,
    predicate: VulnPredicate,
): Buffer {
    const [algorithm, hex] = digest.split(":");
    return Buffer.from(
        JSON.stringify({
            _type: IN_TOTO_STATEMENT_V1,
            subject: [{ name: repositoryName(ref), digest: { [algorithm]: hex } }],
            predicateType: COSIGN_VULN_PREDICATE,
            predicate,
        }),
    );
}

/** A DSSE envelope over a statement, signed with a local key, as cosign's `.att` layers hold it. */
export function dsseEnvelope(statement: Buffer, key: SigningKey): Buffer {
    const signature = signBytes(key, pae(IN_TOTO_PAYLOAD_TYPE, statement));
    return Buffer.from(
        JSON.stringify({
            payloadType: IN_TOTO_PAYLOAD_TYPE,
            payload: statement.toString("base64"),
            signatures: [{ keyid: "", sig: signature.toString("base64") }],
        }),
    );
}

export interface AttestResult {
    cosign?: { tag: string; digest: string; attestations: number };
    bundle?: Awaited<ReturnType<typeof pushBundleArtifact>>;
}

/** Adds an envelope layer to the `.att` manifest of a digest, keeping the attestations already there. */
async function pushClassic(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    envelope: Buffer,
): Promise<NonNullable<AttestResult["cosign"]>> {
    const { registry: host, repository } = ref;
    const blob = await client.pushBlob(host, repository, envelope);
    const tag = attestationTag(digest);
    const { digest: manifestDigest, layers } = await appendClassicLayer(
        client,
        ref,
        tag,
        {
            mediaType: DSSE_ENVELOPE,
            digest: blob.digest,
            size: blob.size,
            annotations: { [PREDICATE_TYPE_ANNOTATION]: COSIGN_VULN_PREDICATE },
        },
        // The same envelope (statement and signature) is the same attestation.
        (l) => l.digest === blob.digest,
    );
    return { tag, digest: manifestDigest, attestations: layers };
}

/** Attaches a vulnerability attestation of `ref` (which must carry a sha256 digest), signed with `key`. */
export async function attestImage(
    client: RegistryClient,
    ref: ImageReference,
    key: SigningKey,
    predicate: VulnPredicate,
    options: { format: SignFormat; witnesses?: Witness[]; log?: (line: string) => void },
): Promise<AttestResult> {
    const log = options.log ?? (() => undefined);
    if (!ref.digest || !isPinned(ref)) {
        throw new SignError(`${ref.original} has no sha256 digest: attest IMAGE@sha256:<64 hex>, never a tag`);
    }
    const subject = await subjectDescriptor(client, ref);
    const statement = vulnStatement(ref, subject.digest, predicate);
    const result: AttestResult = {};
    if (options.format === "cosign" || options.format === "both") {
        result.cosign = await pushClassic(client, ref, subject.digest, dsseEnvelope(statement, key));
        log(
            `pushed cosign attestation ${repositoryName(ref)}:${result.cosign.tag} (${result.cosign.attestations} attestation(s))`,
        );
    }
    if (options.format === "bundle" || options.format === "both") {
        const bundle = await createStatementBundle(keySigner(key), statement, options.witnesses ?? []);
        result.bundle = await pushBundleArtifact(client, ref, subject, bundle, COSIGN_VULN_PREDICATE);
        const where = result.bundle.tag ? `, listed under ${repositoryName(ref)}:${result.bundle.tag}` : "";
        log(
            `pushed attestation bundle ${repositoryName(ref)}@${result.bundle.digest} (${result.bundle.indexedBy}${where}) for ${repositoryName(ref)}@${subject.digest}`,
        );
    }
    return result;
}

/** A vulnerability attestation that verified against the trust config and names the digest. */
export interface VerifiedAttestation {
    signer: string;
    format: "cosign" | "bundle";
    scanFinishedOn: Date;
    scanner: string;
    findings: Finding[];
}

/** What the lookup of one digest found. */
export type AttestationLookup =
    | { status: "found"; attestations: VerifiedAttestation[]; rejected: string[] }
    /** The registry answered; no attestation verified (`rejected` says why for those found). */
    | { status: "none"; rejected: string[]; looked: string }
    /** Nothing can be concluded: the registry could not be asked, answered nonsense, or tampered content. */
    | { status: "unavailable"; detail: string };

/** Reads a verified statement's predicate; a reason when it is not a usable vulnerability attestation. */
function readStatement(payload: Buffer, signer: string, format: "cosign" | "bundle"): VerifiedAttestation | string {
    const statement = JSON.parse(payload.toString("utf8")) as { predicate?: VulnPredicate };
    const predicate = statement.predicate;
    const finished = parseTime(predicate?.metadata?.scanFinishedOn);
    if (!finished) return `the attestation signed by ${signer} has no RFC 3339 metadata.scanFinishedOn`;
    let findings: Finding[];
    try {
        findings = trivyFindings(predicate?.scanner?.result);
    } catch (e) {
        if (!(e instanceof ReportError)) throw e;
        return `the scanner result attested by ${signer} is not a Trivy JSON report: ${e.message}`;
    }
    return { signer, format, scanFinishedOn: finished, scanner: text(predicate?.scanner?.uri, 100), findings };
}

/** Verifies one classic `.att` layer (a DSSE envelope) with the trusted keys. */
function checkEnvelope(
    bytes: Buffer,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
): VerifiedAttestation | string {
    let envelope: { payloadType?: unknown; payload?: unknown; signatures?: unknown };
    try {
        envelope = JSON.parse(bytes.toString("utf8"));
    } catch {
        return "an attestation layer is not JSON";
    }
    if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof envelope.payload !== "string") {
        return `an attestation layer is not a DSSE envelope of ${IN_TOTO_PAYLOAD_TYPE}`;
    }
    const payload = Buffer.from(envelope.payload, "base64");
    const signed = pae(IN_TOTO_PAYLOAD_TYPE, payload);
    const signatures = Array.isArray(envelope.signatures) ? envelope.signatures : [];
    const keys = config.trust.keys;
    let signer: string | undefined;
    for (const s of signatures.slice(0, MAX_CANDIDATES)) {
        const sig = (s as { sig?: unknown })?.sig;
        if (typeof sig !== "string") continue;
        const key = keys.find((k) => verifyBytes(k, signed, Buffer.from(sig, "base64")));
        if (key) {
            signer = `key "${key.name}" (cosign attestation)`;
            break;
        }
    }
    if (!signer) {
        return `a cosign attestation does not verify with any trusted key (${keys.map((k) => k.name).join(", ") || "none configured"})`;
    }
    const statement = checkStatement(payload, ref, digest, signer, config.trust.requireSubjectName, VULN);
    if (!statement.ok) return statement.reason;
    return readStatement(payload, signer, "cosign");
}

interface Progress {
    found: VerifiedAttestation[];
    rejected: string[];
    failures: string[];
    tampered: string[];
}

function malformed(host: string, e: unknown): never {
    if (e instanceof MalformedError) throw new RegistryError("malformed", `${host} answered ${e.message}`);
    throw e;
}

async function classicAttestations(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
    p: Progress,
): Promise<void> {
    const { registry: host, repository } = ref;
    const tag = attestationTag(digest);
    const fetched = await client.getManifest(host, repository, tag, [OCI_MANIFEST, DOCKER_MANIFEST]);
    if (!fetched) return;
    let layers: Descriptor[];
    try {
        layers = parseImageManifest(fetched.bytes, `the attestation manifest ${tag}`).layers;
    } catch (e) {
        malformed(host, e);
    }
    const candidates = layers
        .filter((l) => l.mediaType === DSSE_ENVELOPE)
        .filter((l) => (l.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? COSIGN_VULN_PREDICATE) === COSIGN_VULN_PREDICATE)
        .slice(0, MAX_CANDIDATES);
    for (const layer of candidates) {
        if (layer.size > MAX_ATTESTATION_BYTES) {
            p.rejected.push(`an attestation of ${layer.size} bytes is larger than the ${MAX_ATTESTATION_BYTES} read`);
            continue;
        }
        const checked = checkEnvelope(await client.getBlob(host, repository, layer), ref, digest, config);
        if (typeof checked === "string") p.rejected.push(checked);
        else p.found.push(checked);
    }
}

async function bundleAttestations(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
    p: Progress,
): Promise<void> {
    const { registry: host, repository } = ref;
    const listed = (await bundleDescriptors(client, ref, digest)) ?? [];
    // Bundles annotated with another predicate (image signatures) are not attestations of scans: not even fetched.
    const candidates = listed
        .filter(
            (d) => (d.annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? COSIGN_VULN_PREDICATE) === COSIGN_VULN_PREDICATE,
        )
        .slice(0, MAX_CANDIDATES);
    for (const descriptor of candidates) {
        const fetched = await client.getManifest(host, repository, descriptor.digest, [OCI_MANIFEST]);
        if (!fetched) {
            p.rejected.push(`the referrer ${descriptor.digest} is listed but missing`);
            continue;
        }
        let layer: Descriptor | undefined;
        try {
            const manifest = parseImageManifest(fetched.bytes, `the referrer ${descriptor.digest}`);
            const predicate = manifest.annotations?.[BUNDLE_PREDICATE_ANNOTATION];
            if (predicate !== undefined && predicate !== COSIGN_VULN_PREDICATE) continue;
            if (manifest.subject?.digest !== digest) {
                p.rejected.push(
                    `the attestation artifact ${descriptor.digest} refers to ${manifest.subject?.digest ?? "no subject"}, not this image`,
                );
                continue;
            }
            layer = manifest.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_V03);
        } catch (e) {
            malformed(host, e);
        }
        if (!layer) {
            p.rejected.push(`the attestation artifact ${descriptor.digest} has no ${SIGSTORE_BUNDLE_V03} layer`);
            continue;
        }
        if (layer.size > MAX_ATTESTATION_BYTES) {
            p.rejected.push(`a bundle of ${layer.size} bytes is larger than the ${MAX_ATTESTATION_BYTES} read`);
            continue;
        }
        let json: unknown;
        try {
            json = JSON.parse((await client.getBlob(host, repository, layer)).toString("utf8"));
        } catch (e) {
            if (e instanceof RegistryError) throw e;
            p.rejected.push(`the bundle ${layer.digest} is not JSON`);
            continue;
        }
        const verified = verifyBundleEnvelope(json, config.trust);
        if (!verified.ok) {
            p.rejected.push(verified.reason);
            continue;
        }
        const statement = checkStatement(
            verified.payload,
            ref,
            digest,
            verified.signer,
            config.trust.requireSubjectName,
            VULN,
        );
        if (!statement.ok) {
            p.rejected.push(statement.reason);
            continue;
        }
        const checked = readStatement(verified.payload, verified.signer, "bundle");
        if (typeof checked === "string") p.rejected.push(checked);
        else p.found.push(checked);
    }
}

function conclude(ref: ImageReference, digest: string, config: CompiledSignedConfig, p: Progress): AttestationLookup {
    const where = `${repositoryName(ref)}@${digest}`;
    const rejected = p.rejected.map((r) => cleanRegistryText(r, MAX_REASON));
    // Tampering and registry failures decide first: a verified attestation next to them may not be the newest.
    if (p.tampered.length > 0) {
        return {
            status: "unavailable",
            detail: `the registry answered content that does not match its digest for ${where} (tampered or corrupt): ${p.tampered.join("; ")}`,
        };
    }
    if (p.failures.length > 0) {
        return {
            status: "unavailable",
            detail: `the attestations of ${where} could not be looked up: ${p.failures.join("; ")}`,
        };
    }
    if (p.found.length > 0) return { status: "found", attestations: p.found, rejected };
    const looked = config.formats
        .map((f) => (f === "cosign" ? `${attestationTag(digest)} (cosign)` : "referrers/sigstore bundles"))
        .join(" and ");
    return { status: "none", rejected, looked };
}

/**
 * Looks up and verifies every vulnerability attestation of `ref` in the configured formats, within the config's
 * deadline for the image; at the deadline the requests in flight are aborted and the lookup is `unavailable`.
 */
export async function lookUpAttestations(
    client: RegistryClient,
    ref: ImageReference,
    config: CompiledSignedConfig,
): Promise<AttestationLookup> {
    const digest = ref.digest;
    if (!digest) return { status: "unavailable", detail: "the image has no digest" };
    const p: Progress = { found: [], rejected: [], failures: [], tampered: [] };
    const controller = new AbortController();
    const deadlineMessage = `no verdict within the ${config.deadlineMs / 1000}s deadline for ${repositoryName(ref)}@${digest} (deadlineSeconds)`;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => resolve("deadline"), config.deadlineMs);
    });
    const scoped = client.withSignal(controller.signal);
    const run = async () => {
        for (const format of config.formats) {
            try {
                if (format === "cosign") await classicAttestations(scoped, ref, digest, config, p);
                else await bundleAttestations(scoped, ref, digest, config, p);
            } catch (e) {
                if (!(e instanceof RegistryError)) throw e;
                (e.kind === "tampered" ? p.tampered : p.failures).push(e.message);
            }
        }
    };
    try {
        const lookup = run();
        lookup.catch(() => undefined);
        const outcome = await Promise.race([lookup.then(() => "done" as const), deadline]);
        if (outcome === "deadline") return conclude(ref, digest, config, { ...p, failures: [deadlineMessage] });
        return conclude(ref, digest, config, p);
    } finally {
        clearTimeout(timer);
        controller.abort(new Error(deadlineMessage));
    }
}

const lookups = new Map<string, Promise<AttestationLookup>>();
let lookupsRun = 0;

/** Lookups actually run (cache misses) in this process. */
export function attestationLookupCount(): number {
    return lookupsRun;
}

/** Forgets cached lookups (tests; a long-lived process that wants fresh answers). */
export function clearAttestationCache(): void {
    lookups.clear();
}

/** {@link lookUpAttestations} once per config and `registry/repository@digest` in this process. */
export function lookUpAttestationsCached(
    ref: ImageReference,
    config: CompiledSignedConfig,
): Promise<AttestationLookup> {
    const key = `${config.fingerprint}|${repositoryName(ref)}@${ref.digest}`;
    let found = lookups.get(key);
    if (!found) {
        lookupsRun++;
        found = lookUpAttestations(clientFor(config), ref, config).catch((e: unknown): AttestationLookup => ({
            status: "unavailable",
            detail: `the attestation lookup failed unexpectedly: ${cleanRegistryText((e as Error).message)}`,
        }));
        lookups.set(key, found);
    }
    return found;
}
