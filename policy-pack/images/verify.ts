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

/** The outcome of verifying one image digest. */
export type Verdict =
    | { status: "verified"; signer: string }
    /** The registry answered, and holds no signature in any configured format. */
    | { status: "unsigned"; detail: string }
    /** Signatures were found, and none is acceptable (wrong key, tampered, another digest, another repository). */
    | { status: "rejected"; detail: string }
    /** The registry could not be asked, or answered something malformed: nothing can be concluded. */
    | { status: "unavailable"; detail: string };

/** Signature artifacts looked at per format and image: a bound on the work a registry can make a preview do. */
export const MAX_CANDIDATES = 16;
/** Largest simple-signing payload or bundle read. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;

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
): Promise<FormatResult> {
    const { registry: host, repository } = ref;
    const fetched = await client.getManifest(host, repository, signatureTag(digest), [OCI_MANIFEST, DOCKER_MANIFEST]);
    if (!fetched) return { found: 0, reasons: [] };
    let layers: Descriptor[];
    try {
        layers = parseImageManifest(fetched.bytes, `the signature manifest ${signatureTag(digest)}`).layers;
    } catch (e) {
        malformed(host, e);
    }
    const signatures = layers.filter((l) => l.mediaType === SIMPLE_SIGNING).slice(0, MAX_CANDIDATES);
    const result: FormatResult = { found: signatures.length, reasons: [] };
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

async function bundleDescriptors(
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
): Promise<FormatResult> {
    const { registry: host, repository } = ref;
    const descriptors = (await bundleDescriptors(client, ref, digest)) ?? [];
    const result: FormatResult = { found: 0, reasons: [] };
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

/** Verifies the signatures of `ref` (which must carry its digest) without the cache. */
export async function verifyImageSignature(
    client: RegistryClient,
    ref: ImageReference,
    config: CompiledSignedConfig,
): Promise<Verdict> {
    const digest = ref.digest;
    if (!digest) return { status: "rejected", detail: "the image has no digest to verify" };
    const reasons: string[] = [];
    const failures: string[] = [];
    let found = 0;
    for (const format of config.formats) {
        try {
            const result =
                format === "cosign"
                    ? await classic(client, ref, digest, config)
                    : await bundles(client, ref, digest, config);
            if (result.signer) return { status: "verified", signer: result.signer };
            found += result.found;
            reasons.push(...result.reasons);
        } catch (e) {
            if (!(e instanceof RegistryError)) throw e;
            failures.push(e.message);
        }
    }
    const where = `${repositoryName(ref)}@${digest}`;
    const why = reasons.length > 0 ? `; signatures found were rejected: ${reasons.join("; ")}` : "";
    if (failures.length > 0) {
        return {
            status: "unavailable",
            detail: `the signatures of ${where} could not be looked up: ${failures.join("; ")}${why}`,
        };
    }
    if (found > 0 || reasons.length > 0)
        return { status: "rejected", detail: `no acceptable signature for ${where}${why}` };
    const looked = config.formats
        .map((f) => (f === "cosign" ? `${signatureTag(digest)} (cosign)` : "referrers/sigstore bundles"))
        .join(" or ");
    return { status: "unsigned", detail: `${where} has no signature (looked for ${looked})` };
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
