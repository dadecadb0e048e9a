/**
 * Fake credentials for tests, assembled at run time from pieces and random characters, so that the repository never
 * holds a credential-shaped string (the repository scan has no allow-list and would flag one). Each call returns a
 * fresh value: a test can then assert that the value appears nowhere in an output, which a fixed string could pass
 * by accident.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** `n` random characters from `alphabet`. */
export function randomText(n: number, alphabet = ALNUM): string {
    const bytes = randomBytes(n);
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[bytes[i] % alphabet.length];
    return out;
}

/** A Slack incoming-webhook URL (what `alertWebhookUrl` holds in production). */
export function slackWebhookUrl(): string {
    return [
        "https://hooks",
        ".slack.com/services/",
        "T",
        randomText(10, UPPER_ALNUM),
        "/B",
        randomText(10, UPPER_ALNUM),
        "/",
        randomText(24),
    ].join("");
}

/** A classic GitHub personal access token. */
export function githubToken(): string {
    return ["gh", "p_", randomText(36)].join("");
}

/** An npm access token. */
export function npmToken(): string {
    return ["np", "m_", randomText(36)].join("");
}

/** An AWS access key id. */
export function awsAccessKeyId(): string {
    return ["AK", "IA", randomText(16, UPPER_ALNUM)].join("");
}

/** A URL with a user and password in it. */
export function basicAuthUrl(): string {
    return ["https://", "deployer", ":", randomText(20), "@", "git.example.com/acme/app.git"].join("");
}

/** A PostgreSQL connection string with a password. */
export function postgresUrl(): string {
    return ["postgres", "ql://", "app", ":", randomText(20), "@", "db.example.com:5432/shop"].join("");
}

/** A URL that carries a token as a query parameter. */
export function tokenInQueryUrl(): string {
    return `https://api.example.com/v1/hooks?access_token=${githubToken()}`;
}

/** A freshly generated EC private key, PEM (PKCS #8). */
export function privateKeyPem(): string {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Base64, as Kubernetes `Secret.data` and `ConfigMap.binaryData` hold values. */
export function b64(text: string): string {
    return Buffer.from(text, "utf8").toString("base64");
}

/** Every kind above, by name, for table-driven tests. */
export const FAKE_CREDENTIALS: Record<string, () => string> = {
    slackWebhookUrl,
    githubToken,
    npmToken,
    awsAccessKeyId,
    basicAuthUrl,
    postgresUrl,
    tokenInQueryUrl,
    privateKeyPem,
};
