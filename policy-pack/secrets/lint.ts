/**
 * secretlint as a library: the recommended rule preset, configured exactly as the repository scan configures it
 * (`.secretlintrc.json`; a test keeps the two equal), applied to strings a policy or a check hands in.
 *
 * Findings say which rule matched and where, never what matched: secretlint's own result carries the unmasked source
 * text (`sourceContent`), so it never leaves this module.
 */
import { createHash } from "node:crypto";
import { lintSource } from "@secretlint/core";
import { creator as recommendedPreset } from "@secretlint/secretlint-rule-preset-recommend";

export const PRESET_ID = "@secretlint/secretlint-rule-preset-recommend";

/**
 * The preset's rule options that the project sets: AWS access key IDs (`AKIA…`) are reported too, not only secret
 * access keys.
 *
 * Comment directives (`secretlint-disable`, `-line`, `-next-line`) are NOT honoured: content must not be able to
 * exempt itself (no allow-list). The preset's comment-filter rule cannot be turned off by configuration (secretlint
 * 13 ignores `disabled` for a rule inside a preset), so {@link neutraliseDirectives} defuses the directives in the
 * text before it is linted, keeping every position.
 */
export const PRESET_RULE_OPTIONS = [
    { id: "@secretlint/secretlint-rule-aws", options: { enableIDScanRule: true } },
] as const;

/** The project's secretlint configuration in `.secretlintrc.json` form (a test keeps the file equal to it). */
export const SECRETLINT_CONFIG = { rules: [{ id: PRESET_ID, rules: PRESET_RULE_OPTIONS }] };

/** The text with secretlint's comment directives made inert; same length, same lines and columns. */
export function neutraliseDirectives(text: string): string {
    return text.replace(/secretlint-(disable|enable)/g, "secretlint_$1");
}

/** One credential-looking string found by secretlint. */
export interface CredentialFinding {
    /** The rule that matched, short form: `slack`, `privatekey`, `basicauth`. */
    rule: string;
    /** secretlint's message id, i.e. what kind of credential: `IncomingWebhook`, `PrivateKey`, `BasicAuth`. */
    kind: string;
    /** 1-based line of the match in the linted text. */
    line: number;
    /** 1-based column of the match. */
    column: number;
    /** secretlint's message with the matched text masked (`found slack token: ****`). */
    message: string;
}

const RULE_PREFIX = "@secretlint/secretlint-rule-";

// Results by SHA-256 of the text (the text itself is not kept as a key). Bounded: a policy process sees the same
// values over and over (each resource at preview and at update), but memory must not grow with the stack.
const CACHE_LIMIT = 4096;
const cache = new Map<string, Promise<CredentialFinding[]>>();

/**
 * The credential-looking strings in `text`, by secretlint's recommended rules. `fileName` is a hint some rules use
 * (by extension); the default treats the text as plain text.
 */
export function findCredentials(text: string, fileName = "value.txt"): Promise<CredentialFinding[]> {
    // No rule of the preset matches fewer than 8 characters.
    if (text.length < 8) return Promise.resolve([]);
    const key = createHash("sha256").update(fileName).update("\0").update(text).digest("hex");
    const hit = cache.get(key);
    if (hit) return hit;
    const pending = lint(text, fileName);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
    return pending;
}

async function lint(text: string, fileName: string): Promise<CredentialFinding[]> {
    const dot = fileName.lastIndexOf(".");
    const content = neutraliseDirectives(text);
    const result = await lintSource({
        source: { content, filePath: fileName, ext: dot >= 0 ? fileName.slice(dot) : "", contentType: "text" },
        options: {
            config: {
                rules: [{ id: PRESET_ID, rule: recommendedPreset, rules: PRESET_RULE_OPTIONS.map((r) => ({ ...r })) }],
            },
            maskSecrets: true,
            noPhysicFilePath: true,
        },
    });
    return result.messages
        .filter((m) => m.type === "message")
        .map((m) => ({
            rule: m.ruleId.startsWith(RULE_PREFIX) ? m.ruleId.slice(RULE_PREFIX.length) : m.ruleId,
            kind: m.messageId,
            line: m.loc.start.line,
            column: m.loc.start.column + 1,
            message: maskedMessage(m.message, content.slice(m.range[0], m.range[1])),
        }));
}

/**
 * secretlint's masked message, with every run of `*` shortened to four (the mask is as long as the secret), and,
 * should a rule ever put the matched text into its message unmasked, that text replaced too.
 */
function maskedMessage(message: string, matched: string): string {
    let out = message;
    if (matched.length >= 4) out = out.split(matched).join("****");
    for (const line of matched.split("\n")) if (line.trim().length >= 8) out = out.split(line).join("****");
    return out.replace(/\*{4,}/g, "****");
}

/** `a Slack IncomingWebhook (secretlint: slack)`; several findings are listed once each. */
export function describeFindings(findings: readonly CredentialFinding[]): string {
    const seen = new Set<string>();
    const parts: string[] = [];
    for (const f of findings) {
        const text = `${f.kind} (secretlint rule ${f.rule})`;
        if (!seen.has(text)) parts.push(text);
        seen.add(text);
    }
    return parts.join(", ");
}

/**
 * The text a base64 value decodes to, or undefined when it is not base64 or does not decode to text (binary data,
 * such as a keystore, cannot be linted as text). Kubernetes `Secret.data` and `ConfigMap.binaryData` are base64.
 */
export function decodeBase64Text(value: string): string | undefined {
    const compact = value.replace(/\s+/g, "");
    if (compact.length < 8 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
    const bytes = Buffer.from(compact, "base64");
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        return undefined;
    }
    // Text: no control characters other than tab, newline and carriage return.
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** A run of base64 characters long enough to hide a credential (the policy decodes values of 16 or more). */
const BASE64_TOKEN = /[A-Za-z0-9+/]{16,}={0,2}/g;

/**
 * Credentials hidden as base64 inside a text (a file): every base64-looking token is decoded with
 * {@link decodeBase64Text}, as the no-plaintext-credentials policy decodes values, and the decoded text is linted
 * after the part of its line before the token (the key, as in `password: <base64>`). Findings are reported at the
 * token's line and column, and say that the value was base64-encoded.
 */
export async function findEncodedCredentials(text: string, fileName = "value.txt"): Promise<CredentialFinding[]> {
    const out: CredentialFinding[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.length < 16) continue;
        for (const m of line.matchAll(BASE64_TOKEN)) {
            const decoded = decodeBase64Text(m[0]);
            if (decoded === undefined || decoded.trim().length < 8) continue;
            const prefix = line.slice(Math.max(0, m.index - 200), m.index);
            for (const f of await findCredentials(`${prefix}${decoded}`, fileName)) {
                out.push({
                    ...f,
                    line: i + 1,
                    column: m.index + 1,
                    message: `${f.message} (base64-encoded; base64 is an encoding, not encryption)`,
                });
            }
        }
    }
    return out;
}
