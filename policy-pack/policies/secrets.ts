/**
 * no-plaintext-credentials: credentials reach the cluster only as Kubernetes Secrets whose values are Pulumi
 * secrets, referenced by name; nowhere else does a credential-looking literal appear.
 *
 * What is checked, one resource at a time:
 * - Secret `data` (base64: decoded first) and `stringData`: each value must be a Pulumi secret. When the engine says
 *   a value is not one, that is a violation (it sits unencrypted in the Pulumi state and in preview diffs). Where
 *   nobody can say (plain manifests in the offline checker), a value that secretlint recognises as a credential is a
 *   violation (base64 is an encoding, not encryption) and any other literal is an advisory note.
 * - ConfigMap `data` and `binaryData` (decoded), container `env[].value`, `command` and `args` of every pod-bearing
 *   kind, and `metadata.annotations` of every object: a Pulumi secret there is a violation (it would reach the
 *   cluster outside a Secret), and so is a literal that secretlint recognises as a credential. An env var or
 *   ConfigMap key whose name says credential (`DB_PASSWORD`, `apiKey`) with a literal value is an advisory note.
 * - Helm chart resources (`helm.sh/v3` Chart and Release, `helm.sh/v4` Chart): a credential-looking literal anywhere
 *   in `values` is a violation, and so is a `repositoryOpts.password` that is not a Pulumi secret; a Pulumi secret in
 *   `values` is an advisory note (the chart decides where it lands: pass an existing Secret's name instead).
 * - Image builds (`docker:index/image:Image` `registry.password`, `docker-build:index:Image` `registries[].password`):
 *   judged like Secret data, since neither provider marks the password secret by itself.
 *
 * Credential recognition is secretlint's recommended preset (the same rules as `npm run scan:secrets`). Messages name
 * the resource, the field and the kind of credential, never the value.
 *
 * Secretness: see `../secrets/secretness.ts` for how a policy learns which values are Pulumi secrets (@pulumi/policy
 * does not tell it; importing this module installs a hook into the analyzer that records it).
 *
 * This module is the policy itself (config, subject, reporting); `./secretsObjects.ts` and `./secretsSlots.ts` find
 * the values to judge (slots), `./secretsJudge.ts` judges one.
 */
import { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject, describeObject, kindOfType } from "../lib/kubernetes";
import { Exemption, ViolationReport, configCompiler, configSchemaWith, exemptionFor } from "../lib/policyKit";
import { installAnalyzerSecretnessHook, secretnessOf } from "../secrets/secretness";
import { JudgeSettings, Problem, judge } from "./secretsJudge";
import { slotsOf } from "./secretsObjects";
import { CHART_TYPES, IMAGE_BUILD_TYPES, read } from "./secretsSlots";

export { literalCredentialPart, looksLikeLiteral } from "./secretsJudge";
export { CREDENTIAL_HEADER, slotsOf } from "./secretsObjects";
export { CHART_TYPES, IMAGE_BUILD_TYPES, fieldPath } from "./secretsSlots";

installAnalyzerSecretnessHook();

export const NO_PLAINTEXT_CREDENTIALS = "no-plaintext-credentials";

/** Env var and ConfigMap key names that say "credential": the sensitive word ends the name. */
export const DEFAULT_SENSITIVE_NAME_PATTERN =
    "(password|passwd|passphrase|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credentials?)$";

export interface NoPlaintextCredentialsConfig {
    exemptions?: Exemption[];
    /** Report Secret values whose secretness nobody can tell (plain manifests) as advisory. Defaults to true. */
    reportUnmarkedSecretData?: boolean;
    /** Case-insensitive pattern of credential-like names; "" turns the name check off. Defaults to the list above. */
    sensitiveNamePattern?: string;
}

interface Compiled extends JudgeSettings {
    exemptions: readonly Exemption[];
}

const SCHEMA: Record<string, PolicyConfigJSONSchema> = {
    reportUnmarkedSecretData: {
        type: "boolean",
        default: true,
        description:
            "Report as advisory the Secret values nobody can tell are Pulumi secrets (plain manifests in the offline " +
            "checker carry no secretness). Values recognised as credentials are violations either way.",
    },
    sensitiveNamePattern: {
        type: "string",
        default: DEFAULT_SENSITIVE_NAME_PATTERN,
        description:
            "Case-insensitive regular expression for env var and ConfigMap key names that hold a credential; a literal " +
            "value under such a name is reported as advisory. Empty: off.",
    },
};

const compileConfig = configCompiler<NoPlaintextCredentialsConfig, Compiled>((raw) => {
    const pattern = raw.sensitiveNamePattern ?? DEFAULT_SENSITIVE_NAME_PATTERN;
    let sensitiveName: RegExp | undefined;
    try {
        sensitiveName = pattern === "" ? undefined : new RegExp(pattern, "i");
    } catch (e) {
        throw new Error(
            `${NO_PLAINTEXT_CREDENTIALS}.sensitiveNamePattern is not a valid regular expression: ${(e as Error).message}`,
        );
    }
    return {
        exemptions: raw.exemptions ?? [],
        // Defaults again here: Pulumi's analyzer hands out {} when the stack's policy config names no properties.
        reportUnmarkedSecretData: raw.reportUnmarkedSecretData ?? true,
        sensitiveName,
    };
});

/** `Secret shop/app-env`, or `Helm chart falco/falco-chart` for chart resources. */
function subjectOf(type: string, props: unknown, name: string): { subject: string; obj: KubeObject } {
    const meta = read(props, "metadata");
    const metaName = read(meta, "name");
    const metaNs = read(meta, "namespace");
    const resolvedName = typeof metaName === "string" ? metaName : name;
    if (CHART_TYPES.has(type)) {
        const ns = read(props, "namespace");
        const kind = type.endsWith(":Release") ? "Release" : "Chart";
        const obj: KubeObject = { kind, metadata: { name, namespace: typeof ns === "string" ? ns : undefined } };
        return { subject: `Helm ${kind.toLowerCase()} ${typeof ns === "string" ? `${ns}/` : ""}${name}`, obj };
    }
    if (IMAGE_BUILD_TYPES.has(type)) {
        return { subject: `Image build ${name}`, obj: { kind: "Image", metadata: { name } } };
    }
    const k = kindOfType(type);
    const obj: KubeObject = {
        apiVersion: k?.apiVersion,
        kind: k?.kind,
        metadata: { name: resolvedName, namespace: typeof metaNs === "string" ? metaNs : undefined },
    };
    return { subject: describeObject(obj), obj };
}

/** Reports one problem, as advisory when the problem is or the object is exempt. */
function report(
    reportViolation: ReportViolation,
    subject: string,
    obj: KubeObject,
    p: Problem,
    exemptions: readonly Exemption[],
    urn?: string,
): void {
    const message = `${subject}: ${p.field} ${p.detail}`;
    const exemption = exemptionFor(exemptions, obj);
    const send = reportViolation as unknown as (v: ViolationReport) => void;
    if (exemption)
        send({ message: `exempt: ${exemption.justification}: ${message}`, enforcementLevel: "advisory", urn });
    else if (p.advisory) send({ message, enforcementLevel: "advisory", urn });
    else reportViolation(message, urn);
}

export const noPlaintextCredentials: ResourceValidationPolicy = {
    name: NO_PLAINTEXT_CREDENTIALS,
    description:
        "Credentials reach the cluster only as Kubernetes Secrets whose values are Pulumi secrets, referenced by name: " +
        "no credential-looking literal (secretlint's recommended rules: API tokens, webhook URLs, passwords in URLs, " +
        "private keys, base64-encoded ones included) in Secret data, ConfigMaps, container env values, command or " +
        "args, annotations or Helm chart values, no registry password of an image build that is not a Pulumi " +
        "secret, and no Pulumi secret outside a Secret.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Store the credential as Pulumi secret config (pulumi config set --secret KEY), read it with " +
        "config.requireSecret(), put it in a Kubernetes Secret and reference that Secret by name " +
        "(env[].valueFrom.secretKeyRef, envFrom[].secretRef, a secret volume, or a chart's existingSecret). " +
        "Rotate any credential that was ever committed or deployed in plaintext.",
    tags: ["kubernetes", "secrets"],
    configSchema: configSchemaWith(SCHEMA),
    validateResource: async (args, reportViolation) => {
        const type = args.type;
        if (!CHART_TYPES.has(type) && !IMAGE_BUILD_TYPES.has(type) && !kindOfType(type)) return;
        const config = compileConfig(args);
        const view = secretnessOf(args.props);
        const { slots, unknown, unchecked } = slotsOf(type, args.props, view);
        if (slots.length === 0 && unknown.length === 0 && unchecked.length === 0) return;
        const { subject, obj } = subjectOf(type, args.props, args.name);
        for (const text of unchecked) {
            report(reportViolation, subject, obj, { field: "", detail: text, advisory: false }, config.exemptions);
        }
        const problems = await Promise.all(slots.map((s) => judge(s, view, config)));
        for (const p of problems) {
            if (p) report(reportViolation, subject, obj, p, config.exemptions);
        }
        // A field two walks reach (the pod spec of a job metric, the metric itself) is named once.
        const fields = [...new Set(unknown)];
        if (fields.length > 0) {
            const shown = fields.slice(0, 3).join(", ") + (fields.length > 3 ? ` and ${fields.length - 3} more` : "");
            const send = reportViolation as unknown as (v: ViolationReport) => void;
            send({
                message: `${subject}: ${shown} not known during preview, so not checked for credentials yet (checked again at update).`,
                enforcementLevel: "advisory",
            });
        }
    },
};
