/**
 * Signature verification of one image digest against its registry, in the formats cosign writes:
 *
 * 1. cosign's classic format: the manifest tagged `sha256-<hex>.sig`, one simple-signing layer per signature.
 * 2. sigstore bundles (cosign 3): the referrers API `GET /v2/<repo>/referrers/<digest>` filtered by the bundle
 *    artifact type, or, when the registry answers 404 there (no referrers API), the image index under the fallback
 *    tag `sha256-<hex>`. Each listed manifest must refer to the image (`subject.digest`), and its bundle layer is
 *    verified by `bundle.ts`.
 *
 * The formats are tried in the configured order and the first signature that verifies ends the lookup. Verdicts are
 * cached for the life of the process, per config fingerprint and `registry/repository@digest`, as promises: checking
 * the same digest again (another workload, a second preview evaluation) waits for the first check and makes no
 * registry request.
 */
import { checkSimpleSigning, SignatureCheck } from "./cosign";
import { checkBundle } from "./bundle";
import { CompiledSignedConfig } from "./config";
import {
    COSIGN_CERTIFICATE_ANNOTATION,
    COSIGN_SIGNATURE_ANNOTATION,
    DOCKER_MANIFEST,
    Descriptor,
    MalformedError,
    OCI_INDEX,
    OCI_MANIFEST,
    SIGSTORE_BUNDLE_V03,
    SIMPLE_SIGNING,
    parseImageIndex,
    parseImageManifest,
    referrersTag,
    signatureTag,
} from "./oci";
import { ImageReference, repositoryName } from "./reference";
import { RegistryClient, RegistryError } from "./registry";
import { cleanRegistryText } from "./sanitize";

/** The outcome of verifying one image digest. */
export type Verdict =
    | { status: "verified"; signer: string }
    /** The registry answered, and holds no signature in any configured format. */
    | { status: "unsigned"; detail: string }
    /** Signatures were found, and none is acceptable (wrong key, tampered, another digest, another repository). */
    | { status: "rejected"; detail: string }
    /**
     * The registry could not be asked, or answered something malformed: nothing can be concluded. `excusable` is
     * false when a rejected signature was seen as well (a break-glass exception then does not apply).
     */
    | { status: "unavailable"; detail: string; excusable: boolean };

/** Signature artifacts looked at per format and image: a bound on the work a registry can make a preview do. */
export const MAX_CANDIDATES = 16;
/** Largest simple-signing payload or bundle read. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
/** Longest reason quoted per rejected signature (reasons quote signed claims, which a registry controls). */
const MAX_REASON = 300;

interface FormatResult {
    found: number;
    reasons: string[];
    signer?: string;
}

function malformed(host: string, e: unknown): never {
    if (e instanceof MalformedError) throw new RegistryError("malformed", `${host} answered ${e.message}`);
    throw e;
}

async function classic(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
    progress: Pick<Progress, "reasons">,
): Promise<FormatResult> {
    const { registry: host, repository } = ref;
    const fetched = await client.getManifest(host, repository, signatureTag(digest), [OCI_MANIFEST, DOCKER_MANIFEST]);
    if (!fetched) return { found: 0, reasons: progress.reasons };
    let layers: Descriptor[];
    try {
        layers = parseImageManifest(fetched.bytes, `the signature manifest ${signatureTag(digest)}`).layers;
    } catch (e) {
        malformed(host, e);
    }
    const signatures = layers.filter((l) => l.mediaType === SIMPLE_SIGNING).slice(0, MAX_CANDIDATES);
    // Reasons go straight into the progress, so that a deadline still reports the signatures rejected so far.
    const result: FormatResult = { found: signatures.length, reasons: progress.reasons };
    for (const layer of signatures) {
        if (layer.size > MAX_SIGNATURE_BYTES) {
            result.reasons.push(
                `a signature payload of ${layer.size} bytes is larger than the ${MAX_SIGNATURE_BYTES} read`,
            );
            continue;
        }
        const payload = await client.getBlob(host, repository, layer);
        const check = checkSimpleSigning(
            payload,
            layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION],
            ref,
            digest,
            config.trust.keys,
        );
        if (check.ok) return { ...result, signer: check.signer };
        const keyless = layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION] !== undefined;
        // Keyless signatures in the classic format are not verified here: cosign 3 signs keyless as bundles.
        result.reasons.push(
            keyless
                ? `${check.reason} (a keyless classic signature: verify keyless signers from bundles)`
                : check.reason,
        );
    }
    return result;
}

/** The sigstore bundle artifacts listed for a digest: referrers API, else the fallback tag's index. */
export async function bundleDescriptors(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
): Promise<Descriptor[] | undefined> {
    const { registry: host, repository } = ref;
    const referrers = await client.getReferrers(host, repository, digest, SIGSTORE_BUNDLE_V03);
    if (referrers) return referrers.manifests;
    const fallback = await client.getManifest(host, repository, referrersTag(digest), [OCI_INDEX]);
    if (!fallback) return undefined;
    try {
        const index = parseImageIndex(fallback.bytes, `the referrers index ${referrersTag(digest)}`);
        // Entries without artifactType are kept: the manifest itself says what it is.
        return index.manifests.filter((d) => d.artifactType === undefined || d.artifactType === SIGSTORE_BUNDLE_V03);
    } catch (e) {
        malformed(host, e);
    }
}

async function bundles(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
    progress: Pick<Progress, "reasons">,
): Promise<FormatResult> {
    const { registry: host, repository } = ref;
    const descriptors = (await bundleDescriptors(client, ref, digest)) ?? [];
    const result: FormatResult = { found: 0, reasons: progress.reasons };
    for (const descriptor of descriptors.slice(0, MAX_CANDIDATES)) {
        const fetched = await client.getManifest(host, repository, descriptor.digest, [OCI_MANIFEST]);
        if (!fetched) {
            result.reasons.push(`the referrer ${descriptor.digest} is listed but missing`);
            continue;
        }
        let layer: Descriptor | undefined;
        try {
            const manifest = parseImageManifest(fetched.bytes, `the referrer ${descriptor.digest}`);
            if (manifest.artifactType !== SIGSTORE_BUNDLE_V03 && manifest.config.mediaType !== SIGSTORE_BUNDLE_V03)
                continue;
            result.found++;
            if (manifest.subject?.digest !== digest) {
                result.reasons.push(
                    `the bundle artifact ${descriptor.digest} refers to ${manifest.subject?.digest ?? "no subject"}, not this image`,
                );
                continue;
            }
            layer = manifest.layers.find((l) => l.mediaType === SIGSTORE_BUNDLE_V03);
        } catch (e) {
            malformed(host, e);
        }
        if (!layer) {
            result.reasons.push(`the bundle artifact ${descriptor.digest} has no ${SIGSTORE_BUNDLE_V03} layer`);
            continue;
        }
        if (layer.size > MAX_SIGNATURE_BYTES) {
            result.reasons.push(`a bundle of ${layer.size} bytes is larger than the ${MAX_SIGNATURE_BYTES} read`);
            continue;
        }
        const bytes = await client.getBlob(host, repository, layer);
        let json: unknown;
        try {
            json = JSON.parse(bytes.toString("utf8"));
        } catch {
            result.reasons.push(`the bundle ${layer.digest} is not JSON`);
            continue;
        }
        const check: SignatureCheck = checkBundle(json, ref, digest, config.trust);
        if (check.ok) return { ...result, signer: check.signer };
        result.reasons.push(check.reason);
    }
    return result;
}

/** What one verification has learnt so far (kept outside the lookup, so a deadline can still report it). */
interface Progress {
    reasons: string[];
    failures: string[];
    tampered: string[];
    found: number;
}

/**
 * The verdict from what a lookup learnt. Tampering decides first: content that does not match its digest is a
 * verification failure, whatever else went wrong (a hostile registry must not turn "forged" into "unavailable").
 */
function verdictOf(ref: ImageReference, digest: string, config: CompiledSignedConfig, p: Progress): Verdict {
    const where = `${repositoryName(ref)}@${digest}`;
    const reasons = p.reasons.map((r) => cleanRegistryText(r, MAX_REASON));
    const why = reasons.length > 0 ? `; signatures found were rejected: ${reasons.join("; ")}` : "";
    if (p.tampered.length > 0) {
        return {
            status: "rejected",
            detail:
                `the registry answered content that does not match its digest for ${where} (tampered or corrupt, ` +
                `never excused as a registry error): ${p.tampered.join("; ")}${why}`,
        };
    }
    if (p.failures.length > 0) {
        return {
            status: "unavailable",
            detail: `the signatures of ${where} could not be looked up: ${p.failures.join("; ")}${why}`,
            excusable: reasons.length === 0,
        };
    }
    const { found } = p;
    if (found > 0 || reasons.length > 0)
        return { status: "rejected", detail: `no acceptable signature for ${where}${why}` };
    const looked = config.formats
        .map((f) => (f === "cosign" ? `${signatureTag(digest)} (cosign)` : "referrers/sigstore bundles"))
        .join(" or ");
    return { status: "unsigned", detail: `${where} has no signature (looked for ${looked})` };
}

/** Runs the lookups of every configured format, recording what they learn in `progress`. */
async function lookUp(
    client: RegistryClient,
    ref: ImageReference,
    digest: string,
    config: CompiledSignedConfig,
    progress: Progress,
    signal: AbortSignal,
): Promise<string | undefined> {
    for (const format of config.formats) {
        if (signal.aborted) return undefined;
        try {
            const result =
                format === "cosign"
                    ? await classic(client, ref, digest, config, progress)
                    : await bundles(client, ref, digest, config, progress);
            if (result.signer) return result.signer;
            progress.found += result.found;
        } catch (e) {
            if (!(e instanceof RegistryError)) throw e;
            (e.kind === "tampered" ? progress.tampered : progress.failures).push(e.message);
        }
    }
    return undefined;
}

/**
 * Verifies the signatures of `ref` (which must carry its digest) without the cache, within the config's deadline
 * for the whole image (every request of every format). At the deadline the requests still in flight are aborted and
 * the verdict is made from what was learnt: tampering or rejected signatures seen so far stay rejections; otherwise
 * the image is `unavailable`, with a message naming it and the deadline. Every registry-controlled text in the
 * verdict is cleaned of control characters and bounded (see `sanitize.ts`).
 */
export async function verifyImageSignature(
    client: RegistryClient,
    ref: ImageReference,
    config: CompiledSignedConfig,
): Promise<Verdict> {
    const digest = ref.digest;
    if (!digest) return { status: "rejected", detail: "the image has no digest to verify" };
    const progress: Progress = { reasons: [], failures: [], tampered: [], found: 0 };
    const controller = new AbortController();
    const seconds = config.deadlineMs / 1000;
    const deadlineMessage = `no verdict within the ${seconds}s deadline for ${repositoryName(ref)}@${digest} (deadlineSeconds)`;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
        timer = setTimeout(() => {
            controller.abort(new Error(deadlineMessage));
            resolve("deadline");
        }, config.deadlineMs);
    });
    try {
        const lookup = lookUp(client.withSignal(controller.signal), ref, digest, config, progress, controller.signal);
        lookup.catch(() => undefined); // after the deadline nobody awaits it; an error then must not go unhandled
        const outcome = await Promise.race([lookup, deadline]);
        if (outcome === "deadline" || controller.signal.aborted) {
            const seen = { ...progress, failures: [deadlineMessage] };
            return cleanVerdict(verdictOf(ref, digest, config, seen));
        }
        if (outcome !== undefined) return { status: "verified", signer: outcome };
        return cleanVerdict(verdictOf(ref, digest, config, progress));
    } finally {
        clearTimeout(timer);
        controller.abort(new Error(deadlineMessage));
    }
}

/** Longest verdict detail shown (each registry text in it is bounded on its own too). */
const MAX_DETAIL = 2000;

function cleanVerdict(verdict: Verdict): Verdict {
    return verdict.status === "verified"
        ? verdict
        : { ...verdict, detail: cleanRegistryText(verdict.detail, MAX_DETAIL) };
}

const verdicts = new Map<string, Promise<Verdict>>();
const clients = new Map<string, RegistryClient>();
let verifications = 0;

/** Verifications actually run (cache misses) in this process. */
export function verificationCount(): number {
    return verifications;
}

/** Forgets cached verdicts and registry clients (tests; a long-lived process that wants fresh answers). */
export function clearVerificationCache(): void {
    verdicts.clear();
    clients.clear();
}

/** The registry client for a config: one per config, so tokens are reused across images. */
export function clientFor(config: CompiledSignedConfig): RegistryClient {
    let client = clients.get(config.fingerprint);
    if (!client) {
        client = new RegistryClient({
            timeoutMs: config.timeoutMs,
            insecureRegistries: config.insecureRegistries,
            concurrency: config.concurrency,
        });
        clients.set(config.fingerprint, client);
    }
    return client;
}

/** {@link verifyImageSignature} once per config and `registry/repository@digest` in this process. */
export function verifyImageSignatureCached(ref: ImageReference, config: CompiledSignedConfig): Promise<Verdict> {
    const key = `${config.fingerprint}|${repositoryName(ref)}@${ref.digest}`;
    let verdict = verdicts.get(key);
    if (!verdict) {
        verifications++;
        verdict = verifyImageSignature(clientFor(config), ref, config).catch((e: unknown): Verdict => ({
            status: "rejected",
            detail: `verification failed unexpectedly: ${(e as Error).message}`,
        }));
        verdicts.set(key, verdict);
    }
    return verdict;
}
