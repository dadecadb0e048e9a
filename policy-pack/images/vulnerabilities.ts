/**
 * The config of `images-vulnerabilities` and the judgement of an image's newest vulnerability attestation:
 *
 * - trust and registry access: the very keys of `images-signed` (`SIGNED_SCHEMA`, compiled by
 *   `compileSignedConfig`), since CrossGuard hands each policy only its own config;
 * - `maxAgeDays`: the newest attestation's scan must have finished at most that many days ago;
 * - `severityThreshold`: every finding at or above it fails, whether or not a fix is available (the stricter
 *   reading: the release workflow already fails the fixable ones, so what reaches a deploy with such a finding is
 *   a risk nobody accepted yet); findings Trivy could not rank (`UNKNOWN`) count as at the threshold (fail closed);
 * - `exceptions`: the accepted risks, each naming the vulnerability, the image, the reason and the last day it
 *   holds. An exception in force turns the finding into an advisory message; an expired one fails the image it
 *   names; every exception naming an image is reported on every preview.
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { Finding, SEVERITIES, Severity, VerifiedAttestation, hasFix } from "./attestation";
import {
    CompiledSignedConfig,
    SIGNED_SCHEMA,
    SignedConfig,
    ExceptionTarget,
    compileSignedConfig,
    exceptionTarget,
    exceptionsNaming,
    isCalendarDay,
    isoDay,
} from "./config";
import { ImageReference, repositoryName } from "./reference";
import type { Exemption } from "../lib/policyKit";

/** The `images-signed` keys `images-vulnerabilities` takes too: who is trusted, and how registries are asked. */
export const SHARED_TRUST_KEYS = [
    "trustedKeys",
    "trustedIdentities",
    "trustedRoot",
    "trustedRootFile",
    "formats",
    "requireSubjectName",
    "tlogThreshold",
    "ctlogThreshold",
    "timestampThreshold",
    "insecureRegistries",
    "timeoutSeconds",
    "deadlineSeconds",
    "concurrency",
    "offline",
] as const;

/** Longest an exception may run, counted from the day the preview runs. */
export const MAX_EXCEPTION_DAYS = 90;
/** Findings quoted per message (the rest are counted). */
const MAX_LISTED = 20;
/** A scan time this far ahead of the clock is refused (clock skew allowance). */
const FUTURE_SKEW_MS = 5 * 60_000;

export interface VulnerabilityException {
    cve: string;
    image: string;
    reason: string;
    expires: string;
}

export type VulnerabilitiesConfig = Pick<SignedConfig, (typeof SHARED_TRUST_KEYS)[number]> & {
    exemptions?: Exemption[];
    maxAgeDays?: number;
    severityThreshold?: Severity;
    exceptions?: VulnerabilityException[];
};

export const VULNERABILITIES_SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    ...Object.fromEntries(SHARED_TRUST_KEYS.map((k) => [k, SIGNED_SCHEMA[k]])),
    maxAgeDays: {
        type: "integer",
        minimum: 1,
        maximum: 365,
        default: 7,
        description:
            "Age limit of the newest vulnerability attestation: its scan (metadata.scanFinishedOn) finished at most " +
            "this many days before the preview.",
    },
    severityThreshold: {
        type: "string",
        enum: [...SEVERITIES],
        default: "HIGH",
        description:
            "Findings at or above this severity fail, fixable or not (UNKNOWN counts as at the threshold), unless an " +
            "exception in force names them.",
    },
    exceptions: {
        type: "array",
        default: [],
        description:
            "Accepted risks: {cve, image, reason, expires}. image is HOST/PATH (every digest) or HOST/PATH@sha256:<hex>; " +
            `expires is the last day it holds (YYYY-MM-DD, UTC, at most ${MAX_EXCEPTION_DAYS} days ahead). An expired ` +
            "exception fails the images it names; every exception is reported on every preview.",
        items: {
            type: "object",
            additionalProperties: false,
            required: ["cve", "image", "reason", "expires"],
            properties: {
                cve: {
                    type: "string",
                    minLength: 1,
                    description: "The vulnerability ID as the scanner reports it: CVE-2024-1234, GHSA-xxxx-xxxx-xxxx.",
                },
                image: { type: "string", minLength: 1, description: "HOST/PATH or HOST/PATH@sha256:<64 hex>." },
                reason: {
                    type: "string",
                    minLength: 1,
                    pattern: "\\S",
                    description: "Why the risk is accepted, and who decided: shown on every preview.",
                },
                expires: {
                    type: "string",
                    pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    description: "Last day the exception holds, YYYY-MM-DD (UTC).",
                },
            },
        },
    },
};

export interface CompiledException extends ExceptionTarget {
    /** `exceptions[0] (CVE-2024-1234 for registry.example.com/shop/checkout)`, for messages. */
    label: string;
    cve: string;
    reason: string;
    expires: string;
    expired: boolean;
}

export interface CompiledVulnerabilitiesConfig {
    /** Problems that fail every image (the trust part's and the exceptions'). */
    problems: string[];
    signed: CompiledSignedConfig;
    maxAgeDays: number;
    threshold: Severity;
    exceptions: CompiledException[];
    offline: boolean;
}

/** Compiles the config; problems are collected, never thrown. `now` decides which exceptions expired. */
export function compileVulnerabilitiesConfig(
    raw: VulnerabilitiesConfig = {},
    now: Date = new Date(),
): CompiledVulnerabilitiesConfig {
    const trust: SignedConfig = {};
    for (const k of SHARED_TRUST_KEYS) if (raw[k] !== undefined) (trust as Record<string, unknown>)[k] = raw[k];
    const signed = compileSignedConfig(trust);
    const problems = [...signed.problems];
    const exceptions = compileExceptions(raw.exceptions, problems, now);
    const threshold = raw.severityThreshold ?? "HIGH";
    if (!SEVERITIES.includes(threshold)) problems.push(`severityThreshold must be one of ${SEVERITIES.join(", ")}`);
    return {
        problems,
        signed,
        maxAgeDays: raw.maxAgeDays ?? 7,
        threshold,
        exceptions,
        offline: raw.offline ?? false,
    };
}

/** Compiles the exceptions; a bad entry is a problem (which fails every image), never a skipped entry. */
export function compileExceptions(
    entries: readonly VulnerabilityException[] | undefined,
    problems: string[],
    now: Date = new Date(),
): CompiledException[] {
    const out: CompiledException[] = [];
    const today = isoDay(now);
    const latest = isoDay(new Date(now.getTime() + MAX_EXCEPTION_DAYS * 86_400_000));
    (entries ?? []).forEach((entry, i) => {
        const where = `exceptions[${i}]`;
        if (entry === null || typeof entry !== "object") {
            problems.push(`${where} must be {cve, image, reason, expires}`);
            return;
        }
        if (typeof entry.cve !== "string" || !/^\S+$/.test(entry.cve)) {
            problems.push(`${where}.cve is missing: name the vulnerability ID the scanner reports (CVE-2024-1234)`);
            return;
        }
        const ref = exceptionTarget(where, String(entry.image ?? ""));
        if (typeof ref === "string") {
            problems.push(ref);
            return;
        }
        if (typeof entry.reason !== "string" || !/\S/.test(entry.reason)) {
            problems.push(`${where}.reason is missing: say why the risk is accepted, and who decided`);
            return;
        }
        if (typeof entry.expires !== "string" || !isCalendarDay(entry.expires)) {
            problems.push(`${where}.expires must be a date YYYY-MM-DD (UTC), the last day the exception holds`);
            return;
        }
        if (entry.expires > latest) {
            problems.push(
                `${where}.expires ${entry.expires} is more than ${MAX_EXCEPTION_DAYS} days ahead (latest ${latest}): ` +
                    "review the risk again by then",
            );
            return;
        }
        out.push({
            label: `${where} (${entry.cve} for ${entry.image})`,
            cve: entry.cve,
            ...ref,
            reason: entry.reason.trim(),
            expires: entry.expires,
            expired: entry.expires < today,
        });
    });
    return out;
}

/** True when `severity` is at or above `threshold`; `UNKNOWN` always is (fail closed). */
export function atOrAbove(severity: Finding["severity"], threshold: Severity): boolean {
    if (severity === "UNKNOWN") return true;
    return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/** `CVE-2024-1234 (HIGH, openssl 3.0.1, fixed in 3.0.2)`. */
export function describeFinding(f: Finding): string {
    const pkg = f.pkg ? `${f.pkg}${f.installed ? ` ${f.installed}` : ""}` : f.target || "unknown package";
    const fix = hasFix(f) ? `fixed in ${f.fixedVersion || "a newer version"}` : "no fix available";
    return `${f.id} (${f.severity}, ${pkg}, ${fix})`;
}

function listed(findings: Finding[]): string {
    const shown = findings.slice(0, MAX_LISTED).map(describeFinding).join("; ");
    return findings.length > MAX_LISTED ? `${shown}; and ${findings.length - MAX_LISTED} more` : shown;
}

/** One message of a judgement: `advisory` ones never fail a preview. */
export interface Judgement {
    message: string;
    advisory: boolean;
}

/**
 * Judges the newest of an image's verified attestations: its age, its findings at or above the threshold, and the
 * exceptions naming the image (reported even when there is no attestation to judge: every preview shows them).
 * Messages start with what they are about; the caller prefixes the workload.
 */
export function judgeAttestations(
    ref: ImageReference,
    attestations: readonly VerifiedAttestation[],
    config: Pick<CompiledVulnerabilitiesConfig, "maxAgeDays" | "threshold" | "exceptions">,
    now: Date = new Date(),
): Judgement[] {
    const exceptions = exceptionsNaming(config.exceptions, ref);
    if (attestations.length === 0) return exceptionReports(exceptions, []);
    const out: Judgement[] = [];
    const name = `${repositoryName(ref)}@${ref.digest}`;
    const newest = [...attestations].sort((a, b) => b.scanFinishedOn.getTime() - a.scanFinishedOn.getTime())[0];
    const scanned = newest.scanFinishedOn.toISOString();
    const by = `signed by ${newest.signer}`;
    const ageMs = now.getTime() - newest.scanFinishedOn.getTime();
    if (ageMs < -FUTURE_SKEW_MS) {
        out.push({
            message:
                `the newest vulnerability attestation of ${name} (${by}) says the scan finished at ${scanned}, in the ` +
                "future: the scanner's clock or the attestation is wrong. Scan and attest again.",
            advisory: false,
        });
    } else if (ageMs > config.maxAgeDays * 86_400_000) {
        const days = Math.floor(ageMs / 86_400_000);
        out.push({
            message:
                `the newest vulnerability attestation of ${name} (${by}) is stale: the scan finished at ${scanned}, ` +
                `${days} days ago, and the stack's limit is ${config.maxAgeDays} days (maxAgeDays). Scan the digest ` +
                "again and attest the report (`npm run attest -- IMAGE@sha256:<hex> --report trivy.json --key KEY`).",
            advisory: false,
        });
    }
    const active = exceptions.filter((e) => !e.expired);
    const failing: Finding[] = [];
    const excused: { finding: Finding; by: CompiledException }[] = [];
    const seen = new Set<string>();
    for (const f of newest.findings) {
        if (!atOrAbove(f.severity, config.threshold)) continue;
        const key = `${f.id}|${f.pkg}|${f.installed}|${f.target}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const exception = active.find((e) => e.cve === f.id);
        if (exception) excused.push({ finding: f, by: exception });
        else failing.push(f);
    }
    if (failing.length > 0) {
        const fixable = failing.filter(hasFix).length;
        out.push({
            message:
                `${name} has ${failing.length} vulnerabilit${failing.length === 1 ? "y" : "ies"} at or above ` +
                `${config.threshold} (${fixable} with a fix available) in its newest attestation (scan of ${scanned}, ` +
                `${by}): ${listed(failing)}. Rebuild with the fixed versions, scan and attest again; for a finding ` +
                "without a fix, add an exception {cve, image, reason, expires} to images-vulnerabilities in " +
                "policy-pack/config/<stack>.json after review.",
            advisory: false,
        });
    }
    return [...out, ...exceptionReports(exceptions, excused)];
}

/** Expired exceptions fail; those in force are advisory notes saying what they excuse. */
function exceptionReports(
    exceptions: readonly CompiledException[],
    excused: readonly { finding: Finding; by: CompiledException }[],
): Judgement[] {
    const out: Judgement[] = [];
    for (const e of exceptions) {
        if (e.expired) {
            out.push({
                message:
                    `the exception ${e.label} expired on ${e.expires}, so it excuses nothing and fails the check. ` +
                    "Delete it once the image is fixed, or renew it after a new review " +
                    `(at most ${MAX_EXCEPTION_DAYS} days ahead).`,
                advisory: false,
            });
            continue;
        }
        const hits = excused.filter((x) => x.by === e).map((x) => describeFinding(x.finding));
        out.push({
            message:
                `exception in force: ${e.label} until ${e.expires}: ${e.reason}; ` +
                (hits.length > 0 ? `it excuses ${hits.join("; ")}` : "it excuses no finding of a verified attestation"),
            advisory: true,
        });
    }
    return out;
}
