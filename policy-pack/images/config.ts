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
import { AllowedRegistry, ReferenceError, isValidDomain, parseAllowedRegistry } from "./reference";
import type { Exemption } from "../lib/policy-kit";

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
    concurrency?: number;
    registryErrors?: "mandatory" | "advisory";
    offline?: boolean;
}

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
    concurrency: {
        type: "integer",
        minimum: 1,
        maximum: 64,
        default: 8,
        description: "Registry requests in flight at once.",
    },
    registryErrors: {
        type: "string",
        enum: ["mandatory", "advisory"],
        default: "mandatory",
        description:
            "How an unreachable registry or a malformed answer is reported: mandatory fails the preview (fail closed); " +
            "advisory only warns. Bad or missing signatures are always reported at the policy's level.",
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
    concurrency: number;
    registryErrors: "mandatory" | "advisory";
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
    // Only what changes a verdict: exemptions, offline and registryErrors change how verdicts are reported.
    const fingerprint = createHash("sha256")
        .update(JSON.stringify({ ...raw, exemptions: undefined, offline: undefined, registryErrors: undefined }))
        .digest("hex");
    return {
        problems,
        trust: { keys, identities, trustedRoot, thresholds, requireSubjectName: raw.requireSubjectName ?? false },
        formats,
        insecureRegistries,
        timeoutMs: Math.round((raw.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000),
        concurrency: raw.concurrency ?? DEFAULTS.concurrency,
        registryErrors: raw.registryErrors ?? "mandatory",
        offline: raw.offline ?? false,
        fingerprint,
    };
}
