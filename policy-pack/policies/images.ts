/**
 * Image supply-chain policies: every image of every workload (and of Helm chart values) is pinned by digest, comes
 * from an allowed registry, and carries a signature from a trusted key or keyless identity, verified against the
 * registry at preview time. See `policy-pack/images/` for the parsing, registry and verification code, and the
 * pack README for the set-up.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    ALLOWED_REGISTRIES_SCHEMA,
    AllowedRegistriesConfig,
    CompiledSignedConfig,
    MAX_BREAK_GLASS_DAYS,
    SIGNED_SCHEMA,
    SignedConfig,
    breakGlassFor,
    breakGlassTarget,
    compileAllowList,
    compileSignedConfig,
} from "../images/config";
import {
    ImageReference,
    findAllowedRegistry,
    formatReference,
    isPinned,
    repositoryName,
    tryParseReference,
} from "../images/reference";
import { verifyImageSignatureCached } from "../images/verify";
import { ImageUse, imagesOfResource } from "../images/workloads";
import { Exemption, ViolationReport, configSchemaWith, exemptionFor } from "../lib/policyKit";

export const PIN_FIX =
    "Pin it by digest: IMAGE@sha256:<64 hex> (the digest CI printed when it pushed the image, or " +
    "`docker buildx imagetools inspect IMAGE:TAG`); a tag may stay in front of the digest for readability.";

/** `Deployment prod/web: containers[0] (app) image "nginx:1.27"`. */
export function where(subject: string, use: ImageUse): string {
    return `${subject}: ${use.location} image ${typeof use.image === "string" ? JSON.stringify(use.image) : "(none)"}`;
}

/** Parsed images of a resource, or undefined when the resource has none to check. */
export function imagesOf(args: Pick<ResourceValidationArgs, "type" | "props" | "name">) {
    const found = imagesOfResource(args.type, args.props, args.name);
    if (!found) return undefined;
    return {
        subject: found.subject,
        object: found.object,
        problems: found.problems,
        images: found.images.map((use) => ({
            use,
            parsed: typeof use.image === "string" ? tryParseReference(use.image) : undefined,
        })),
    };
}

/**
 * Reports a violation as advisory whatever the policy's level, with the object form of `reportViolation` that
 * @pulumi/policy's analyzer (pulumi/pulumi-policy#424) and the pack's offline engine accept.
 */
function reportAdvisory(reportViolation: ReportViolation, message: string, urn?: string): void {
    (reportViolation as unknown as (v: ViolationReport) => void)({ message, enforcementLevel: "advisory", urn });
}

/**
 * A reporter for one resource: at the policy's level, or advisory (`exempt: <justification>: …`) when an exemption of
 * the policy's config names the object, as every policy of the pack does. `advisory` forces the advisory level.
 */
export function reporterFor(
    args: Pick<ResourceValidationArgs, "urn">,
    found: NonNullable<ReturnType<typeof imagesOf>>,
    exemptions: readonly Exemption[] | undefined,
    reportViolation: ReportViolation,
): (message: string, advisory?: boolean) => void {
    const exemption = exemptionFor(exemptions, found.object);
    return (message, advisory = false) => {
        if (exemption) reportAdvisory(reportViolation, `exempt: ${exemption.justification}: ${message}`, args.urn);
        else if (advisory) reportAdvisory(reportViolation, message, args.urn);
        else reportViolation(message);
    };
}

export const imagesDigestPinned: ResourceValidationPolicy = {
    name: "images-digest-pinned",
    description:
        "Every container image (containers, initContainers, ephemeralContainers of every pod template: Pods, " +
        "PodTemplates, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Argo Rollouts, the Jobs of " +
        "Argo analysis job metrics and Experiment templates, inside List objects too; and images in Helm chart " +
        "values) is pinned by a sha256 digest, so that what was reviewed and signed is exactly what runs.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["kubernetes", "supply-chain", "images"],
    remediationSteps: PIN_FIX,
    configSchema: configSchemaWith(),
    validateResource: (args, reportViolation) => {
        const found = imagesOf(args);
        if (!found) return;
        const report = reporterFor(
            args,
            found,
            args.getConfig<{ exemptions?: Exemption[] }>().exemptions,
            reportViolation,
        );
        for (const problem of found.problems) report(`${found.subject}: ${problem}`);
        for (const { use, parsed } of found.images) {
            const at = where(found.subject, use);
            if (parsed === undefined) {
                report(`${at}: the image must be a string reference. ${PIN_FIX}`);
            } else if (parsed instanceof Error) {
                report(`${at} is not a valid image reference: ${parsed.message}. ${PIN_FIX}`);
            } else if (!parsed.digest) {
                report(`${at} is not pinned by digest. ${PIN_FIX}`);
            } else if (!isPinned(parsed)) {
                report(`${at} has digest ${parsed.digest}; only sha256:<64 lower-case hex> is accepted. ${PIN_FIX}`);
            }
        }
    },
};

let lastAllowList: { raw: string; compiled: ReturnType<typeof compileAllowList> } | undefined;

export const imagesAllowedRegistries: ResourceValidationPolicy = {
    name: "images-allowed-registries",
    description:
        "Every image comes from a registry of the stack's allow-list (exact host and port, optional repository prefix " +
        "at a path-segment boundary), so that a look-alike host or a public image cannot slip in.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["kubernetes", "supply-chain", "images"],
    remediationSteps:
        "Push the image to an allowed registry (and reference it there), or add its registry to allowedRegistries " +
        "in policy-pack/config/<stack>.json after review.",
    configSchema: configSchemaWith(ALLOWED_REGISTRIES_SCHEMA),
    validateResource: (args, reportViolation) => {
        const found = imagesOf(args);
        if (!found || (found.images.length === 0 && found.problems.length === 0)) return;
        const cfg = args.getConfig<AllowedRegistriesConfig>();
        const report = reporterFor(args, found, cfg.exemptions, reportViolation);
        for (const problem of found.problems) report(`${found.subject}: ${problem}`);
        const raw = cfg.allowedRegistries ?? [];
        const key = JSON.stringify(raw);
        if (lastAllowList?.raw !== key) lastAllowList = { raw: key, compiled: compileAllowList(raw) };
        const { allowed, problems } = lastAllowList.compiled;
        if (problems.length > 0) {
            report(
                `${found.subject}: images-allowed-registries config is invalid: ${problems.join("; ")}. Fix the entries.`,
            );
        }
        const list = allowed.map((a) => a.source).join(", ") || "none: allowedRegistries is empty";
        for (const { use, parsed } of found.images) {
            const at = where(found.subject, use);
            if (parsed === undefined || parsed instanceof Error) {
                report(`${at} is not a valid image reference, so its registry cannot be checked. Allowed: ${list}.`);
                continue;
            }
            if (!findAllowedRegistry(allowed, parsed)) {
                report(
                    `${at} comes from ${repositoryName(parsed)}, which no allowed registry admits (allowed: ${list}). ` +
                        "Use an image from an allowed registry, or add the registry to allowedRegistries after review.",
                );
            }
        }
    },
};

let lastSigned: { raw: string; compiled: CompiledSignedConfig } | undefined;

/** The compiled `images-signed` config of a validation (memoised on the config's JSON). */
export function signedConfigOf(args: Pick<ResourceValidationArgs, "getConfig">): CompiledSignedConfig {
    const raw = args.getConfig<SignedConfig>();
    // The day is part of the key: break-glass exceptions expire at midnight (UTC).
    const key = `${new Date().toISOString().slice(0, 10)}|${JSON.stringify(raw)}`;
    if (lastSigned?.raw !== key) lastSigned = { raw: key, compiled: compileSignedConfig(raw) };
    return lastSigned.compiled;
}

const SIGN_FIX =
    "Sign the digest in CI (`npm run sign -- IMAGE@sha256:<hex> --key cosign.key`, or cosign sign) with a key or " +
    "identity listed in the images-signed config of policy-pack/config/<stack>.json.";

export const imagesSigned: ResourceValidationPolicy = {
    name: "images-signed",
    description:
        "Every image digest carries a signature from a trusted key or keyless identity, verified against its registry " +
        "at preview time (cosign .sig signatures and sigstore bundles); the signed payload must name the same digest " +
        "and repository. A registry that cannot be asked, answers nonsense or misses the per-image deadline fails " +
        "closed; only a break-glass exception (named images, expiry date) reports that as advisory, and never a " +
        "missing, rejected or tampered signature.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["kubernetes", "supply-chain", "images", "signatures"],
    remediationSteps: SIGN_FIX,
    configSchema: configSchemaWith(SIGNED_SCHEMA),
    validateResource: async (args, reportViolation) => {
        const found = imagesOf(args);
        if (!found || (found.images.length === 0 && found.problems.length === 0)) return;
        const config = signedConfigOf(args);
        if (config.offline) return;
        const report = reporterFor(args, found, args.getConfig<SignedConfig>().exemptions, reportViolation);
        for (const problem of found.problems) report(`${found.subject}: ${problem}`);
        if (config.problems.length > 0) {
            report(
                `${found.subject}: no image signature can be verified because the images-signed config is not usable: ` +
                    `${config.problems.join("; ")}. Fix policy-pack/config/<stack>.json.`,
            );
            return;
        }
        const checks: { at: string; ref: ImageReference }[] = [];
        for (const { use, parsed } of found.images) {
            const at = where(found.subject, use);
            if (parsed === undefined || parsed instanceof Error || !isPinned(parsed)) {
                report(`${at} is not pinned by a sha256 digest, so no signature can be verified for it. ${PIN_FIX}`);
                continue;
            }
            checks.push({ at, ref: parsed });
        }
        const verdicts = await Promise.all(checks.map((c) => verifyImageSignatureCached(c.ref, config)));
        verdicts.forEach((verdict, i) => {
            const { at, ref } = checks[i];
            const glass = breakGlassFor(config.breakGlass, ref);
            const expired = glass.filter((g) => g.expired);
            const active = glass.filter((g) => !g.expired);
            for (const g of expired) {
                report(
                    `${at}: the break-glass exception ${g.label} expired on ${g.expires}, so it excuses nothing and ` +
                        "fails the check. Delete it from images-signed.breakGlass in policy-pack/config/<stack>.json " +
                        `once the registry works, or renew it with a new date (at most ${MAX_BREAK_GLASS_DAYS} days ahead).`,
                );
            }
            // Every preview shows the exceptions in force, whatever the verdict, so they are not forgotten.
            const note =
                active.length > 0
                    ? active
                          .map((g) => `${g.label} for ${breakGlassTarget(g)} until ${g.expires}: ${g.justification}`)
                          .join("; ")
                    : undefined;
            switch (verdict.status) {
                case "verified":
                    if (note) report(`${at}: break-glass exception in force (signature verified): ${note}.`, true);
                    return;
                case "unsigned":
                case "rejected":
                    report(`${at} is not signed by a trusted signer: ${verdict.detail}. ${SIGN_FIX}`);
                    if (note)
                        report(`${at}: break-glass exception in force (it excuses no bad signature): ${note}.`, true);
                    return;
                case "unavailable": {
                    const message =
                        `${at}: the signature of ${formatReference(ref)} could not be verified, so it is treated as ` +
                        `unsigned: ${verdict.detail}. Make the registry reachable from where the preview runs (network, ` +
                        "credentials in the Docker config, insecureRegistries for plain-http hosts).";
                    if (note && verdict.excusable) report(`break-glass (${note}): ${message}`, true);
                    else if (note)
                        report(`${message} The break-glass exception does not apply: a signature was rejected.`);
                    else report(message);
                    return;
                }
            }
        });
    },
};
