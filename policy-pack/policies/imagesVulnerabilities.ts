/**
 * `images-vulnerabilities`: every image digest a stack declares carries a signed vulnerability attestation (cosign's
 * vuln predicate around Trivy's JSON report) from a trusted signer, no older than the stack's limit, with no finding
 * at or above the stack's severity threshold that no exception in force accepts. Verified against the registry at
 * preview time like `images-signed`, with the same trust config; see `images/attestation.ts` for the formats and
 * `images/vulnerabilities.ts` for the rules.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { lookUpAttestationsCached } from "../images/attestation";
import { ImageReference, formatReference, isPinned } from "../images/reference";
import {
    CompiledVulnerabilitiesConfig,
    VULNERABILITIES_SCHEMA,
    VulnerabilitiesConfig,
    compileVulnerabilitiesConfig,
    judgeAttestations,
} from "../images/vulnerabilities";
import { configSchemaWith } from "../lib/policyKit";
import { PIN_FIX, imagesOf, reporterFor, where } from "./images";

const ATTEST_FIX =
    "Scan the digest with Trivy in CI and attest the report (`npm run attest -- IMAGE@sha256:<hex> --report " +
    "trivy.json --key cosign.key`, or `cosign attest --type vuln`) with a key or identity listed in the " +
    "images-vulnerabilities config of policy-pack/config/<stack>.json.";

let last: { key: string; compiled: CompiledVulnerabilitiesConfig } | undefined;

/** The compiled config of a validation (memoised on the config's JSON and the day: exceptions expire at midnight). */
function configOf(raw: VulnerabilitiesConfig): CompiledVulnerabilitiesConfig {
    const key = `${new Date().toISOString().slice(0, 10)}|${JSON.stringify(raw)}`;
    if (last?.key !== key) last = { key, compiled: compileVulnerabilitiesConfig(raw) };
    return last.compiled;
}

export const imagesVulnerabilities: ResourceValidationPolicy = {
    name: "images-vulnerabilities",
    description:
        "Every image digest carries a vulnerability attestation (in-toto statement, cosign vuln predicate, Trivy JSON " +
        "report) signed by a trusted key or identity, verified against its registry at preview time (cosign .att and " +
        "sigstore bundles): no older than maxAgeDays, and no finding at or above severityThreshold, fixable or not, " +
        "unless an exception (CVE, image, reason, expiry) accepts it. Expired exceptions fail; exceptions in force are " +
        "reported on every preview. A registry that cannot be asked fails closed.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["kubernetes", "supply-chain", "images", "vulnerabilities"],
    remediationSteps: ATTEST_FIX,
    configSchema: configSchemaWith(VULNERABILITIES_SCHEMA),
    validateResource: async (args, reportViolation) => {
        const found = imagesOf(args);
        if (!found || (found.images.length === 0 && found.problems.length === 0)) return;
        const raw = args.getConfig<VulnerabilitiesConfig>();
        const config = configOf(raw);
        if (config.offline) return;
        const report = reporterFor(args, found, raw.exemptions, reportViolation);
        for (const problem of found.problems) report(`${found.subject}: ${problem}`);
        if (config.problems.length > 0) {
            report(
                `${found.subject}: no vulnerability attestation can be verified because the images-vulnerabilities ` +
                    `config is not usable: ${config.problems.join("; ")}. Fix policy-pack/config/<stack>.json.`,
            );
            return;
        }
        const checks: { at: string; ref: ImageReference }[] = [];
        for (const { use, parsed } of found.images) {
            const at = where(found.subject, use);
            if (parsed === undefined || parsed instanceof Error || !isPinned(parsed)) {
                report(`${at} is not pinned by a sha256 digest, so no vulnerability attestation applies. ${PIN_FIX}`);
                continue;
            }
            checks.push({ at, ref: parsed });
        }
        const lookups = await Promise.all(checks.map((c) => lookUpAttestationsCached(c.ref, config.signed)));
        const now = new Date();
        lookups.forEach((lookup, i) => {
            const { at, ref } = checks[i];
            switch (lookup.status) {
                case "unavailable":
                    report(
                        `${at}: the vulnerability attestations of ${formatReference(ref)} could not be verified, so ` +
                            `the image is treated as unscanned: ${lookup.detail}. Make the registry reachable from ` +
                            "where the preview runs (network, credentials in the Docker config, insecureRegistries).",
                    );
                    break;
                case "none": {
                    const why =
                        lookup.rejected.length > 0
                            ? `attestations found were rejected: ${lookup.rejected.join("; ")}`
                            : `none found (looked for ${lookup.looked})`;
                    report(`${at} has no vulnerability attestation from a trusted signer: ${why}. ${ATTEST_FIX}`);
                    break;
                }
            }
            // The exceptions naming the image are reported whatever the lookup found, so none is forgotten.
            const attestations = lookup.status === "found" ? lookup.attestations : [];
            for (const j of judgeAttestations(ref, attestations, config, now))
                report(`${at}: ${j.message}`, j.advisory);
        });
    },
};
