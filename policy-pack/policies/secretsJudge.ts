/**
 * no-plaintext-credentials: what is wrong with one slot, if anything (see `./secrets.ts` for the rules): whether it
 * must be a Pulumi secret or must not be one, what secretlint finds in it (base64 decoded first), and the name and
 * header checks. Messages name the field and the kind of credential, never the value.
 */
import { CredentialFinding, decodeBase64Text, describeFindings, findCredentials } from "../secrets/lint";
import { SecretnessView } from "../secrets/secretness";
import { Slot } from "./secretsSlots";

/** The settings of the policy's config that decide a slot's problems. */
export interface JudgeSettings {
    reportUnmarkedSecretData: boolean;
    sensitiveName?: RegExp;
}

/** One problem found, before exemptions. */
export interface Problem {
    field: string;
    detail: string;
    advisory: boolean;
}

/** What secretlint finds in a slot's value (decoded first when base64). */
async function credentialsIn(slot: Slot, value: string): Promise<CredentialFinding[]> {
    const text = slot.base64 ? decodeBase64Text(value) : value;
    if (text === undefined) return [];
    const found = await findCredentials(`${slot.prefix}${text}`, slot.fileName);
    // A value that was base64-encoded to hide it: look at the decoded text too.
    if (found.length === 0 && !slot.base64 && slot.role !== "secret-value") {
        const decoded = value.length >= 16 ? decodeBase64Text(value) : undefined;
        if (decoded !== undefined) return findCredentials(`${slot.prefix}${decoded}`, slot.fileName);
    }
    return found;
}

const ENCODED = " (base64 is an encoding, not encryption)";

/** The problem of a slot whose value secretlint recognises as a credential, with `fix` said after what it is. */
async function literalCredential(slot: Slot, value: string, fix: string): Promise<Problem | undefined> {
    const found = await credentialsIn(slot, value);
    if (found.length === 0) return undefined;
    return {
        field: slot.field,
        detail: `holds a literal ${describeFindings(found)}${slot.base64 ? ENCODED : ""}. ${fix}`,
        advisory: false,
    };
}

/** The problems of one slot. */
export async function judge(slot: Slot, view: SecretnessView, config: JudgeSettings): Promise<Problem | undefined> {
    const secretness = slot.inSecret ? "secret" : view.at(slot.path, slot.value);
    const field = slot.field;
    if (slot.role === "secret-value") {
        if (secretness === "secret") return undefined;
        if (secretness === "plain") {
            if (slot.value === "") return undefined;
            return {
                field,
                detail:
                    "is not a Pulumi secret, so it is stored unencrypted in the Pulumi state and shown in preview diffs. " +
                    "Read it with config.requireSecret()/getSecret() or wrap it in pulumi.secret().",
                advisory: false,
            };
        }
        if (typeof slot.value !== "string") return undefined;
        const literal = await literalCredential(
            slot,
            slot.value,
            "Keep credentials out of manifests and code: set them as Pulumi secret config " +
                "(pulumi config set --secret) and build the Secret from config.requireSecret().",
        );
        if (literal) return literal;
        if (!config.reportUnmarkedSecretData || slot.value === "") return undefined;
        return {
            field,
            detail:
                "is a literal that nothing marks as a Pulumi secret (plain manifests carry no secretness). " +
                "Make sure it comes from Pulumi secret config or an external secret store, not from the repository.",
            advisory: true,
        };
    }
    if (secretness === "secret") {
        if (slot.role === "chart-value") {
            return {
                field,
                detail:
                    "is a Pulumi secret handed to the chart, which decides where it lands (possibly a ConfigMap or a " +
                    "literal env value). Prefer creating the Secret yourself and passing its name (e.g. existingSecret).",
                advisory: true,
            };
        }
        return {
            field,
            detail:
                "holds a Pulumi secret: secrets reach the cluster only as Secret objects, referenced by name " +
                "(env[].valueFrom.secretKeyRef, envFrom[].secretRef or a secret volume).",
            advisory: false,
        };
    }
    if (typeof slot.value !== "string") return undefined;
    const literal = await literalCredential(
        slot,
        slot.value,
        "Put the credential in Pulumi secret config, create a Secret from it and reference the Secret by name " +
            "(env[].valueFrom.secretKeyRef, envFrom[].secretRef, a secret volume, or the chart's existingSecret).",
    );
    if (literal) return literal;
    if (slot.credentialHeader && literalCredentialPart(slot.value)) {
        return {
            field,
            detail:
                `holds a literal credential in the ${JSON.stringify(slot.name)} header. Pass it as an analysis argument ` +
                "that reads a Secret (args[].valueFrom.secretKeyRef) and use {{args.<name>}} in the header.",
            advisory: false,
        };
    }
    if (slot.name !== undefined && config.sensitiveName?.test(slot.name) && looksLikeLiteral(slot.value)) {
        return {
            field,
            detail:
                `is named like a credential (${JSON.stringify(slot.name)}) but holds a literal value. If it is a ` +
                "credential, reference a Secret instead (env[].valueFrom.secretKeyRef); if not, exempt the object or rename.",
            advisory: true,
        };
    }
    return undefined;
}

/** True when a credential header's value holds more than an auth scheme and `{{args.x}}` references. */
export function literalCredentialPart(value: string): boolean {
    const rest = value
        .replace(/\{\{[^}]*\}\}/g, "")
        .replace(/^\s*(bearer|basic|token|apikey|digest|negotiate)\b/i, "")
        .trim();
    return rest !== "";
}

/** Not empty and not a reference to something else (`$(VAR)`, `${VAR}`, `{{ .Values.x }}`). */
export function looksLikeLiteral(value: string): boolean {
    const v = value.trim();
    return v !== "" && !/^(\$\(\w+\)|\$\{[^}]+\}|\{\{.*\}\})$/.test(v);
}
