/** OCI image-spec and cosign media types, descriptors and manifests, and strict parsers for what a registry returns. */
import { createHash } from "node:crypto";
import { SHA256_DIGEST } from "./reference";
import { cleanRegistryText } from "./sanitize";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_EMPTY = "application/vnd.oci.empty.v1+json";
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
/** Manifests an image reference may resolve to. */
export const IMAGE_MANIFEST_TYPES = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST] as const;

/** cosign's classic signature format. */
export const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
export const COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
export const COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

/** Sigstore bundles attached as OCI referrers (cosign 3). */
export const SIGSTORE_BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
export const BUNDLE_CONTENT_ANNOTATION = "dev.sigstore.bundle.content";
export const BUNDLE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType";
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
export const IN_TOTO_STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
/** The predicate type of cosign's image signature statement. */
export const COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

/** The empty JSON object `{}`, the config blob of artifacts that have none. */
export const EMPTY_JSON = Buffer.from("{}");

export interface Descriptor {
    mediaType: string;
    digest: string;
    size: number;
    artifactType?: string;
    annotations?: Record<string, string>;
}

export interface ImageManifest {
    schemaVersion: 2;
    mediaType?: string;
    artifactType?: string;
    config: Descriptor;
    layers: Descriptor[];
    subject?: Descriptor;
    annotations?: Record<string, string>;
}

export interface ImageIndex {
    schemaVersion: 2;
    mediaType?: string;
    manifests: Descriptor[];
    annotations?: Record<string, string>;
}

/** A registry answer that does not have the shape the specs give it. */
export class MalformedError extends Error {}

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(bytes: Buffer): string {
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The tag cosign stores classic signatures under: `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
    return `${digest.replace(":", "-")}.sig`;
}

/** The referrers fallback tag of the distribution spec: `sha256-<hex>`. */
export function referrersTag(digest: string): string {
    return digest.replace(":", "-");
}

export function descriptorOf(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
    return { mediaType, digest: sha256Digest(bytes), size: bytes.length, ...extra };
}

function isStringMap(v: unknown): v is Record<string, string> {
    return !!v && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");
}

function parseDescriptor(v: unknown, where: string): Descriptor {
    const d = v as Partial<Descriptor> | null;
    if (!d || typeof d !== "object") throw new MalformedError(`${where} is not a descriptor`);
    if (typeof d.mediaType !== "string") throw new MalformedError(`${where} has no mediaType`);
    if (typeof d.digest !== "string" || !SHA256_DIGEST.test(d.digest)) {
        throw new MalformedError(`${where} has no sha256 digest`);
    }
    if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
        throw new MalformedError(`${where} has no valid size`);
    }
    if (d.artifactType !== undefined && typeof d.artifactType !== "string") {
        throw new MalformedError(`${where} has a non-string artifactType`);
    }
    if (d.annotations !== undefined && !isStringMap(d.annotations)) {
        throw new MalformedError(`${where} has annotations that are not strings`);
    }
    return {
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        artifactType: d.artifactType,
        annotations: d.annotations,
    };
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
    let v: unknown;
    try {
        v = JSON.parse(bytes.toString("utf8"));
    } catch (e) {
        throw new MalformedError(`${what} is not JSON: ${cleanRegistryText((e as Error).message)}`);
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new MalformedError(`${what} is not a JSON object`);
    return v as Record<string, unknown>;
}

/** Parses an image manifest (OCI or Docker schema 2). */
export function parseImageManifest(bytes: Buffer, what = "the manifest"): ImageManifest {
    const m = parseJson(bytes, what);
    if (m.schemaVersion !== 2) throw new MalformedError(`${what} is not schemaVersion 2`);
    if (m.mediaType !== undefined && m.mediaType !== OCI_MANIFEST && m.mediaType !== DOCKER_MANIFEST) {
        throw new MalformedError(
            `${what} has media type ${JSON.stringify(cleanRegistryText(m.mediaType, 100))}, not an image manifest`,
        );
    }
    if (!Array.isArray(m.layers)) throw new MalformedError(`${what} has no layers`);
    return {
        schemaVersion: 2,
        mediaType: m.mediaType as string | undefined,
        artifactType: typeof m.artifactType === "string" ? m.artifactType : undefined,
        config: parseDescriptor(m.config, `${what}'s config`),
        layers: m.layers.map((l, i) => parseDescriptor(l, `${what}'s layers[${i}]`)),
        subject: m.subject === undefined ? undefined : parseDescriptor(m.subject, `${what}'s subject`),
        annotations: isStringMap(m.annotations) ? m.annotations : undefined,
    };
}

/** Parses an image index (the referrers API answer and the referrers fallback tag). */
export function parseImageIndex(bytes: Buffer, what = "the index"): ImageIndex {
    const m = parseJson(bytes, what);
    if (m.schemaVersion !== 2) throw new MalformedError(`${what} is not schemaVersion 2`);
    if (m.mediaType !== undefined && m.mediaType !== OCI_INDEX) {
        throw new MalformedError(
            `${what} has media type ${JSON.stringify(cleanRegistryText(m.mediaType, 100))}, not an image index`,
        );
    }
    if (!Array.isArray(m.manifests)) throw new MalformedError(`${what} has no manifests list`);
    return {
        schemaVersion: 2,
        mediaType: m.mediaType as string | undefined,
        manifests: m.manifests.map((d, i) => parseDescriptor(d, `${what}'s manifests[${i}]`)),
        annotations: isStringMap(m.annotations) ? m.annotations : undefined,
    };
}

/** Serialises a manifest or index the way it is pushed (compact JSON; its digest is of these bytes). */
export function manifestBytes(m: ImageManifest | ImageIndex): Buffer {
    return Buffer.from(JSON.stringify(m));
}
