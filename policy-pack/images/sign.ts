/**
 * The signing side: signs an image digest with a local key and pushes the signature in the formats `verify.ts`
 * reads, the way cosign stores them:
 *
 * - `cosign`: the simple-signing payload as a blob, and a layer for it (signature in the
 *   `dev.cosignproject.cosign/signature` annotation) added to the manifest tagged `sha256-<hex>.sig`; signatures
 *   already there are kept.
 * - `bundle`: a sigstore bundle made by sigstore-js (DSSE over cosign's in-toto statement) as an OCI artifact of
 *   type `application/vnd.dev.sigstore.bundle.v0.3+json` whose `subject` is the image. A registry with the referrers
 *   API indexes it by itself (it answers the manifest upload with `OCI-Subject`, or 200 on the referrers endpoint);
 *   otherwise, when the referrers endpoint answers 404, the artifact is added to the image index under the fallback
 *   tag `sha256-<hex>`, as the distribution spec's referrers tag schema says.
 */
import { Signer as BundleSigner, Witness } from "@sigstore/sign";
import { createStatementBundle, cosignStatement, keySigner } from "./bundle";
import { simpleSigningPayload } from "./cosign";
import { SigningKey, signBytes } from "./keys";
import {
    BUNDLE_CONTENT_ANNOTATION,
    BUNDLE_PREDICATE_ANNOTATION,
    COSIGN_SIGNATURE_ANNOTATION,
    COSIGN_SIGN_PREDICATE,
    DOCKER_MANIFEST,
    Descriptor,
    EMPTY_JSON,
    IMAGE_MANIFEST_TYPES,
    ImageIndex,
    ImageManifest,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    SIGSTORE_BUNDLE_V03,
    SIMPLE_SIGNING,
    descriptorOf,
    manifestBytes,
    parseImageIndex,
    parseImageManifest,
    referrersTag,
    signatureTag,
} from "./oci";
import { ImageReference, formatReference, isPinned, repositoryName } from "./reference";
import { RegistryClient } from "./registry";

export type SignFormat = "cosign" | "bundle" | "both";

export interface SignOptions {
    format: SignFormat;
    /** Signer for the bundle; defaults to the key itself. Tests pass a certificate-based signer here. */
    bundleSigner?: BundleSigner;
    /** sigstore-js witnesses (transparency log, timestamp authority) for the bundle. Defaults to none. */
    witnesses?: Witness[];
    /** Progress lines. */
    log?: (line: string) => void;
}

export interface SignResult {
    /** The `.sig` manifest's digest, when the cosign format was pushed. */
    cosign?: { tag: string; digest: string; signatures: number };
    /** The bundle artifact's digest and how it was made findable. */
    bundle?: { digest: string; indexedBy: "referrers API" | "fallback tag"; tag?: string };
}

export class SignError extends Error {}

function subjectOf(ref: ImageReference): { registry: string; repository: string; digest: string } {
    if (!ref.digest || !isPinned(ref)) {
        throw new SignError(`${ref.original} has no sha256 digest: sign IMAGE@sha256:<64 hex>, never a tag`);
    }
    return { registry: ref.registry, repository: ref.repository, digest: ref.digest };
}

async function pushCosign(
    client: RegistryClient,
    ref: ImageReference,
    key: SigningKey,
): Promise<NonNullable<SignResult["cosign"]>> {
    const { registry: host, repository, digest } = subjectOf(ref);
    const payload = simpleSigningPayload(ref, digest);
    const signature = signBytes(key, payload).toString("base64");
    const blob = await client.pushBlob(host, repository, payload);
    const tag = signatureTag(digest);
    const { digest: manifestDigest, layers } = await appendClassicLayer(
        client,
        { registry: host, repository },
        tag,
        {
            mediaType: SIMPLE_SIGNING,
            digest: blob.digest,
            size: blob.size,
            annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature },
        },
        // The same payload signed again is the same signature only with the same signature value.
        (l) => l.digest === blob.digest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === signature,
    );
    return { tag, digest: manifestDigest, signatures: layers };
}

/**
 * Cosign's classic layout: the signatures (`.sig`) or attestations (`.att`) of a digest are the layers of one image
 * under a tag. Adds `layer` to the image at `tag`, keeping the layers already there, unless a layer there `isSame`,
 * and returns the new manifest's digest and its number of layers.
 */
export async function appendClassicLayer(
    client: RegistryClient,
    ref: Pick<ImageReference, "registry" | "repository">,
    tag: string,
    layer: Descriptor,
    isSame: (existing: Descriptor) => boolean,
): Promise<{ digest: string; layers: number }> {
    const { registry: host, repository } = ref;
    const existing = await client.getManifest(host, repository, tag, [OCI_MANIFEST, DOCKER_MANIFEST]);
    const layers: Descriptor[] = existing ? parseImageManifest(existing.bytes, `the manifest ${tag}`).layers : [];
    if (!layers.some(isSame)) layers.push(layer);
    const config = Buffer.from(
        JSON.stringify({
            architecture: "",
            os: "",
            config: {},
            rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
        }),
    );
    await client.pushBlob(host, repository, config);
    const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptorOf(config, OCI_CONFIG),
        layers,
    };
    const put = await client.putManifest(host, repository, tag, manifestBytes(manifest), OCI_MANIFEST);
    return { digest: put.digest, layers: layers.length };
}

/**
 * Pushes a sigstore bundle (JSON) as an OCI artifact referring to `subject`, and makes it findable: by the
 * registry's referrers API when it has one, else by the fallback tag's image index. `predicateType` is the signed
 * statement's (annotated on the artifact, as cosign does): an image signature unless an attestation is pushed.
 */
export async function pushBundleArtifact(
    client: RegistryClient,
    ref: Pick<ImageReference, "registry" | "repository">,
    subject: Descriptor,
    bundle: unknown,
    predicateType: string = COSIGN_SIGN_PREDICATE,
): Promise<NonNullable<SignResult["bundle"]>> {
    const { registry: host, repository } = ref;
    const digest = subject.digest;
    const bundleBytes = Buffer.from(JSON.stringify(bundle));
    const layer = await client.pushBlob(host, repository, bundleBytes);
    await client.pushBlob(host, repository, EMPTY_JSON);
    const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: SIGSTORE_BUNDLE_V03,
        config: descriptorOf(EMPTY_JSON, OCI_EMPTY),
        layers: [
            {
                mediaType: SIGSTORE_BUNDLE_V03,
                digest: layer.digest,
                size: layer.size,
                annotations: { "org.opencontainers.image.title": `${layer.digest.replace(":", "-")}.sigstore.json` },
            },
        ],
        subject,
        annotations: {
            [BUNDLE_CONTENT_ANNOTATION]: "dsse-envelope",
            [BUNDLE_PREDICATE_ANNOTATION]: predicateType,
            "org.opencontainers.image.created": new Date().toISOString(),
        },
    };
    const bytes = manifestBytes(manifest);
    const put = await client.putManifest(
        host,
        repository,
        descriptorOf(bytes, OCI_MANIFEST).digest,
        bytes,
        OCI_MANIFEST,
    );
    if (put.headers.get("oci-subject") === digest) return { digest: put.digest, indexedBy: "referrers API" };
    if (await client.getReferrers(host, repository, digest)) return { digest: put.digest, indexedBy: "referrers API" };
    // No referrers API: keep the fallback tag's index up to date, adding this artifact to what is listed already.
    const tag = referrersTag(digest);
    const existing = await client.getManifest(host, repository, tag, [OCI_INDEX]);
    const index: ImageIndex = existing
        ? parseImageIndex(existing.bytes, `the referrers index ${tag}`)
        : { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
    index.mediaType = OCI_INDEX;
    if (!index.manifests.some((d) => d.digest === put.digest)) {
        index.manifests.push(
            descriptorOf(bytes, OCI_MANIFEST, { artifactType: SIGSTORE_BUNDLE_V03, annotations: manifest.annotations }),
        );
    }
    await client.putManifest(host, repository, tag, manifestBytes(index), OCI_INDEX);
    return { digest: put.digest, indexedBy: "fallback tag", tag };
}

/** The descriptor of an image manifest in its registry (what a referrer's `subject` names). */
export async function subjectDescriptor(client: RegistryClient, ref: ImageReference): Promise<Descriptor> {
    const { registry: host, repository, digest } = subjectOf(ref);
    const image = await client.getManifest(host, repository, digest, IMAGE_MANIFEST_TYPES);
    if (!image)
        throw new SignError(`${repositoryName(ref)}@${digest} does not exist in the registry; push the image first`);
    return { mediaType: image.mediaType || OCI_MANIFEST, digest, size: image.bytes.length };
}

/** Signs `ref` (which must carry a sha256 digest) with `key` and pushes the signatures. */
export async function signImage(
    client: RegistryClient,
    ref: ImageReference,
    key: SigningKey,
    options: SignOptions,
): Promise<SignResult> {
    const log = options.log ?? (() => undefined);
    const subject = await subjectDescriptor(client, ref);
    const result: SignResult = {};
    if (options.format === "cosign" || options.format === "both") {
        result.cosign = await pushCosign(client, ref, key);
        log(
            `pushed cosign signature ${repositoryName(ref)}:${result.cosign.tag} (${result.cosign.signatures} signature(s))`,
        );
    }
    if (options.format === "bundle" || options.format === "both") {
        const signer = options.bundleSigner ?? keySigner(key);
        const bundle = await createStatementBundle(
            signer,
            cosignStatement(ref, subject.digest),
            options.witnesses ?? [],
        );
        result.bundle = await pushBundleArtifact(client, ref, subject, bundle);
        const where = result.bundle.tag ? `, listed under ${repositoryName(ref)}:${result.bundle.tag}` : "";
        log(
            `pushed sigstore bundle ${repositoryName(ref)}@${result.bundle.digest} (${result.bundle.indexedBy}${where}) for ${formatReference(ref)}`,
        );
    }
    return result;
}
