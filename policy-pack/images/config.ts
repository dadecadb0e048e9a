/**
 * The per-stack config of the image policies (`policy-pack/config/<stack>.json`, one object per policy), its JSON
 * schemas (declared as each policy's `configSchema`, so the Pulumi engine and the offline checker validate it), and
 * its compilation into keys, identities and a trusted root. A config that cannot be compiled is not ignored: the
 * compiled form carries the problems, and `images-signed` reports them on every image (fail closed).
 */
import { createHash } from "node:crypto";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { BundleTrust, Thresholds, TrustRootError, TrustedIdentity, loadTrustedRoot } from "./bundle";
import { KeyError, TrustedKey, parsePublicKey } from "./keys";
import {
    AllowedRegistry,
    ImageReference,
    ReferenceError,
    isPinned,
    isValidDomain,
    parseAllowedRegistry,
    parseReference,
    repositoryName,
    sameRepository,
} from "./reference";
import type { Exemption } from "../lib/policyKit";

/** Config of `images-allowed-registries`. */
export interface AllowedRegistriesConfig {
    exemptions?: Exemption[];
    /** `HOST[:PORT][/PREFIX]` entries; the host must match exactly, the prefix at a path-segment boundary. */
    allowedRegistries?: string[];
}

export type SignatureFormat = "cosign" | "bundle";

/** Config of `images-signed`. */
export interface SignedConfig {
    exemptions?: Exemption[];
    trustedKeys?: { name: string; publicKey: string }[];
    trustedIdentities?: TrustedIdentity[];
    trustedRoot?: Record<string, unknown>;
    trustedRootFile?: string;
    formats?: SignatureFormat[];
    requireSubjectName?: boolean;
    tlogThreshold?: number;
    ctlogThreshold?: number;
    timestampThreshold?: number;
    insecureRegistries?: string[];
    timeoutSeconds?: number;
    deadlineSeconds?: number;
    concurrency?: number;
    breakGlass?: BreakGlassEntry[];
    offline?: boolean;
    /** Removed: registry failures always fail. Still read, to say so (see {@link compileSignedConfig}). */
    registryErrors?: unknown;
}

/**
 * A break-glass exception of `images-signed`: while a registry is failing, the images it names are reported as
 * advisory instead of failing, until it expires. It names exact images: a repository (`HOST/PATH`, every digest of
 * it) or one digest of it (`HOST/PATH@sha256:<hex>`), never a tag or a prefix.
 */
export interface BreakGlassEntry {
    image: string;
    /** Last day the exception holds, `YYYY-MM-DD` (UTC): from the next day on it fails. */
    expires: string;
    justification: string;
}

/** A break-glass exception ready to match images. */
export interface CompiledBreakGlass extends ExceptionTarget {
    /** `breakGlass[0] (registry.example.com/shop/checkout)`, for messages. */
    label: string;
    expires: string;
    justification: string;
    expired: boolean;
}

/** Longest a break-glass exception may run, counted from the day the preview runs. */
export const MAX_BREAK_GLASS_DAYS = 30;
/** Default deadline for the whole verification of one image. */
export const DEFAULT_DEADLINE_SECONDS = 60;

export const ALLOWED_REGISTRIES_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    allowedRegistries: {
        type: "array",
        description:
            "Registries images may come from, as HOST[:PORT][/PREFIX] (e.g. registry.example.com/platform). The host " +
            "must equal the image's registry exactly, port included; the prefix must be the repository or a leading " +
            "run of its path segments. Docker Hub is docker.io (docker.io/nginx means docker.io/library/nginx).",
        default: [],
        items: { type: "string", minLength: 1 },
    },
};

const THRESHOLD = (what: string): PolicyConfigJSONSchema => ({
    type: "integer",
    minimum: 0,
    maximum: 10,
    default: 0,
    description: what,
});

export const SIGNED_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    trustedKeys: {
        type: "array",
        default: [],
        description:
            "Public keys (PEM, ECDSA P-256 or Ed25519) whose signatures are accepted, each with a name for messages.",
        items: {
            type: "object",
            additionalProperties: false,
            required: ["name", "publicKey"],
            properties: {
                name: { type: "string", minLength: 1, description: "Name of the key in messages, e.g. release-ci." },
                publicKey: { type: "string", minLength: 1, description: "-----BEGIN PUBLIC KEY----- PEM text." },
            },
        },
    },
    trustedIdentities: {
        type: "array",
        default: [],
        description:
            "Keyless signers accepted from sigstore bundles: certificate OIDC issuer and subject (exact) or " +
            "subjectRegExp (must match the whole subject). Needs trustedRoot or trustedRootFile.",
        items: {
            type: "object",
            additionalProperties: false,
            required: ["issuer"],
            properties: {
                issuer: { type: "string", minLength: 1, description: "OIDC issuer URL in the certificate." },
                subject: { type: "string", minLength: 1, description: "Exact subject (SAN): e-mail or URI." },
                subjectRegExp: {
                    type: "string",
                    minLength: 1,
                    description: "Regular expression for the whole subject.",
                },
            },
        },
    },
    trustedRoot: {
        type: "object",
        description:
            "A sigstore TrustedRoot (trusted_root.json) inline: CAs, transparency logs, timestamp authorities.",
    },
    trustedRootFile: {
        type: "string",
        minLength: 1,
        description: "Path of a sigstore TrustedRoot JSON file, relative to the working directory of the preview.",
    },
    formats: {
        type: "array",
        default: ["cosign", "bundle"],
        minItems: 1,
        uniqueItems: true,
        description: "Signature formats looked up, in order: cosign (sha256-<hex>.sig tag) and bundle (OCI referrers).",
        items: { type: "string", enum: ["cosign", "bundle"] },
    },
    requireSubjectName: {
        type: "boolean",
        default: false,
        description:
            "Reject bundle statements whose subject names no repository. cosign 3 leaves the name out, so keep false " +
            "for cosign-made bundles; this pack's signer always names the repository.",
    },
    tlogThreshold: THRESHOLD("Transparency-log entries each bundle must carry (needs the log in the trusted root)."),
    ctlogThreshold: THRESHOLD("Signed certificate timestamps each keyless certificate must carry."),
    timestampThreshold: THRESHOLD(
        "Verified timestamps each bundle must carry; keyless bundles always need at least 1 to check the certificate.",
    ),
    insecureRegistries: {
        type: "array",
        default: [],
        description: "Registry hosts (HOST[:PORT]) reached over plain http. Loopback hosts always are.",
        items: { type: "string", minLength: 1 },
    },
    timeoutSeconds: {
        type: "number",
        minimum: 0.1,
        maximum: 120,
        default: 10,
        description: "Timeout of each registry request; a registry that does not answer in time fails the check.",
    },
    deadlineSeconds: {
        type: "number",
        minimum: 0.1,
        maximum: 600,
        default: DEFAULT_DEADLINE_SECONDS,
        description:
            "Deadline for the whole signature check of one image (every request of every format, waiting for a " +
            "request slot included); an image without a verdict by then fails, with a message naming it.",
    },
    concurrency: {
        type: "integer",
        minimum: 1,
        maximum: 64,
        default: 8,
        description: "Registry requests in flight at once.",
    },
    breakGlass: {
        type: "array",
        default: [],
        description:
            "Break-glass exceptions for a failing registry: the images named (exact repository HOST/PATH, or " +
            "HOST/PATH@sha256:<hex>) are reported as advisory when their registry cannot be asked or answers " +
            `nonsense, until the expiry date (YYYY-MM-DD, UTC, at most ${MAX_BREAK_GLASS_DAYS} days ahead; expired ` +
            "fails). Never excuses a missing, rejected or tampered signature. Every preview lists the active ones.",
        items: {
            type: "object",
            additionalProperties: false,
            required: ["image", "expires", "justification"],
            properties: {
                image: {
                    type: "string",
                    minLength: 1,
                    description: "HOST/PATH (every digest of that repository) or HOST/PATH@sha256:<64 hex>.",
                },
                expires: {
                    type: "string",
                    pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    description: "Last day the exception holds, YYYY-MM-DD (UTC).",
                },
                justification: {
                    type: "string",
                    minLength: 1,
                    pattern: "\\S",
                    description: "Why, and who decided: shown with every excused violation.",
                },
            },
        },
    },
    offline: {
        type: "boolean",
        default: false,
        description: "Skip signature verification entirely (no network). Pinning and registry checks still apply.",
    },
};

/** The allow-list with the entries that could not be parsed. */
export interface CompiledAllowList {
    allowed: AllowedRegistry[];
    problems: string[];
}

export function compileAllowList(entries: readonly string[] | undefined): CompiledAllowList {
    const allowed: AllowedRegistry[] = [];
    const problems: string[] = [];
    for (const entry of entries ?? []) {
        try {
            allowed.push(parseAllowedRegistry(entry));
        } catch (e) {
            if (!(e instanceof ReferenceError)) throw e;
            problems.push(e.message);
        }
    }
    return { allowed, problems };
}

/** `images-signed` config ready for use. */
export interface CompiledSignedConfig {
    /** Problems that make every verification fail (reported on every image). */
    problems: string[];
    trust: BundleTrust;
    formats: SignatureFormat[];
    insecureRegistries: string[];
    timeoutMs: number;
    /** Deadline of the whole verification of one image. */
    deadlineMs: number;
    concurrency: number;
    breakGlass: CompiledBreakGlass[];
    offline: boolean;
    /** Hash of everything that affects a verdict: verdicts are cached per fingerprint and image digest. */
    fingerprint: string;
}

const DEFAULTS = { timeoutSeconds: 10, concurrency: 8 };

function compileIdentity(identity: TrustedIdentity, index: number, problems: string[]): TrustedIdentity | undefined {
    const where = `trustedIdentities[${index}]`;
    if (typeof identity?.issuer !== "string" || identity.issuer.length === 0) {
        problems.push(`${where} has no issuer`);
        return undefined;
    }
    const hasSubject = typeof identity.subject === "string" && identity.subject.length > 0;
    const hasRegExp = typeof identity.subjectRegExp === "string" && identity.subjectRegExp.length > 0;
    if (hasSubject === hasRegExp) {
        problems.push(`${where} must have exactly one of subject and subjectRegExp`);
        return undefined;
    }
    if (hasRegExp) {
        try {
            new RegExp(identity.subjectRegExp as string);
        } catch (e) {
            problems.push(`${where}.subjectRegExp is not a valid regular expression: ${(e as Error).message}`);
            return undefined;
        }
    }
    return { issuer: identity.issuer, subject: identity.subject, subjectRegExp: identity.subjectRegExp };
}

/** Compiles `images-signed` config; problems are collected, never thrown. */
export function compileSignedConfig(raw: SignedConfig = {}): CompiledSignedConfig {
    const problems: string[] = [];
    const keys: TrustedKey[] = [];
    (raw.trustedKeys ?? []).forEach((k, i) => {
        const name = typeof k?.name === "string" && k.name ? k.name : `trustedKeys[${i}]`;
        try {
            keys.push(parsePublicKey(name, k?.publicKey));
        } catch (e) {
            if (!(e instanceof KeyError)) throw e;
            problems.push(e.message);
        }
    });
    const identities = (raw.trustedIdentities ?? [])
        .map((id, i) => compileIdentity(id, i, problems))
        .filter((id): id is TrustedIdentity => id !== undefined);
    let trustedRoot: TrustedRoot | undefined;
    if (raw.trustedRoot !== undefined || raw.trustedRootFile !== undefined) {
        try {
            trustedRoot = loadTrustedRoot(raw.trustedRoot, raw.trustedRootFile);
        } catch (e) {
            if (!(e instanceof TrustRootError)) throw e;
            problems.push(e.message);
        }
    }
    if (identities.length > 0 && !trustedRoot && raw.trustedRoot === undefined && raw.trustedRootFile === undefined) {
        problems.push("trustedIdentities need a trusted root (trustedRoot or trustedRootFile) to check certificates");
    }
    if ((raw.trustedKeys ?? []).length === 0 && (raw.trustedIdentities ?? []).length === 0) {
        problems.push(
            "no trusted keys or identities are configured (trustedKeys, trustedIdentities), so no signature can be accepted",
        );
    }
    const insecureRegistries: string[] = [];
    for (const host of raw.insecureRegistries ?? []) {
        if (isValidDomain(host)) insecureRegistries.push(host.toLowerCase());
        else problems.push(`insecureRegistries entry "${host}" is not HOST[:PORT]`);
    }
    const thresholds: Thresholds = {
        tlogThreshold: raw.tlogThreshold ?? 0,
        ctlogThreshold: raw.ctlogThreshold ?? 0,
        timestampThreshold: raw.timestampThreshold ?? 0,
    };
    const formats =
        raw.formats && raw.formats.length > 0 ? [...new Set(raw.formats)] : (["cosign", "bundle"] as SignatureFormat[]);
    if (raw.registryErrors !== undefined) {
        problems.push(
            "registryErrors was removed: a registry failure always fails the check; for an outage, name the images in " +
                "breakGlass with an expiry date (see policy-pack/README.md) and delete registryErrors",
        );
    }
    const breakGlass = compileBreakGlass(raw.breakGlass, problems);
    // Only what changes a verdict: exemptions, offline and breakGlass change how verdicts are reported.
    const fingerprint = createHash("sha256")
        .update(JSON.stringify({ ...raw, exemptions: undefined, offline: undefined, breakGlass: undefined }))
        .digest("hex");
    return {
        problems,
        trust: { keys, identities, trustedRoot, thresholds, requireSubjectName: raw.requireSubjectName ?? false },
        formats,
        insecureRegistries,
        timeoutMs: Math.round((raw.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000),
        deadlineMs: Math.round((raw.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) * 1000),
        concurrency: raw.concurrency ?? DEFAULTS.concurrency,
        breakGlass,
        offline: raw.offline ?? false,
        fingerprint,
    };
}

/** The UTC day of `now` as `YYYY-MM-DD`. */
export function isoDay(now: Date): string {
    return now.toISOString().slice(0, 10);
}

/** A real calendar day `YYYY-MM-DD` (2025-02-30 is not). */
export function isCalendarDay(day: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
    const d = new Date(`${day}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && isoDay(d) === day;
}

/**
 * Compiles the break-glass exceptions; a bad entry is a problem (which fails every image), not a skipped entry.
 * `now` decides which entries have expired (an entry holds through its `expires` day, UTC).
 */
export function compileBreakGlass(
    entries: readonly BreakGlassEntry[] | undefined,
    problems: string[],
    now: Date = new Date(),
): CompiledBreakGlass[] {
    const out: CompiledBreakGlass[] = [];
    const today = isoDay(now);
    const latest = isoDay(new Date(now.getTime() + MAX_BREAK_GLASS_DAYS * 86_400_000));
    (entries ?? []).forEach((entry, i) => {
        const where = `breakGlass[${i}]`;
        if (entry === null || typeof entry !== "object") {
            problems.push(`${where} must be {image, expires, justification}`);
            return;
        }
        if (typeof entry.image !== "string" || entry.image === "") {
            problems.push(`${where}.image is missing: name the repository (HOST/PATH) or HOST/PATH@sha256:<hex>`);
            return;
        }
        const ref = exceptionTarget(where, entry.image);
        if (typeof ref === "string") {
            problems.push(ref);
            return;
        }
        if (typeof entry.expires !== "string" || !isCalendarDay(entry.expires)) {
            problems.push(`${where}.expires must be a date YYYY-MM-DD (UTC), the last day the exception holds`);
            return;
        }
        if (entry.expires > latest) {
            problems.push(
                `${where}.expires ${entry.expires} is more than ${MAX_BREAK_GLASS_DAYS} days ahead (latest ${latest}): ` +
                    "break-glass is for outages; fix the registry or renew the exception later",
            );
            return;
        }
        if (typeof entry.justification !== "string" || !/\S/.test(entry.justification)) {
            problems.push(`${where}.justification is missing: say why, and who decided`);
            return;
        }
        out.push({
            label: `${where} (${entry.image})`,
            ...ref,
            expires: entry.expires,
            justification: entry.justification.trim(),
            expired: entry.expires < today,
        });
    });
    return out;
}

/** What an exception of the image policies names: a repository, or one pinned digest of it. */
export interface ExceptionTarget {
    repository: Pick<ImageReference, "registry" | "repository">;
    digest?: string;
}

/**
 * The target of an exception's `image` (break-glass, vulnerability exceptions), or the problem to report at `where`:
 * a repository or one digest of it, never a tag (a tag names no fixed image).
 */
export function exceptionTarget(where: string, image: string): ExceptionTarget | string {
    let ref: ImageReference;
    try {
        ref = parseReference(image);
    } catch (e) {
        if (!(e instanceof ReferenceError)) throw e;
        return `${where}.image "${image}" is not an image reference: ${e.message}`;
    }
    if (ref.tag !== undefined || (ref.digest !== undefined && !isPinned(ref))) {
        return (
            `${where}.image "${image}" must name a repository (HOST/PATH) or one digest of it ` +
            "(HOST/PATH@sha256:<64 hex>); a tag names no fixed image"
        );
    }
    return { repository: { registry: ref.registry, repository: ref.repository }, digest: ref.digest };
}

/** The exceptions that name `ref`: its repository, or its repository and digest. */
export function exceptionsNaming<T extends ExceptionTarget>(
    entries: readonly T[],
    ref: Pick<ImageReference, "registry" | "repository" | "digest">,
): T[] {
    return entries.filter(
        (e) => sameRepository(e.repository, ref) && (e.digest === undefined || e.digest === ref.digest),
    );
}

/** The break-glass exceptions that name `ref` (its repository, or its repository and digest). */
export function breakGlassFor(
    entries: readonly CompiledBreakGlass[],
    ref: Pick<ImageReference, "registry" | "repository" | "digest">,
): CompiledBreakGlass[] {
    return exceptionsNaming(entries, ref);
}

/** `registry.example.com/shop/checkout@sha256:…` or the repository alone, as an entry names it. */
export function breakGlassTarget(entry: CompiledBreakGlass): string {
    return `${repositoryName(entry.repository)}${entry.digest ? `@${entry.digest}` : ""}`;
}
