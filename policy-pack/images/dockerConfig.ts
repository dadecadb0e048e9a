/**
 * Registry credentials as the Docker client finds them, from its config file (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`):
 * - `credHelpers` (`{"<host>": "<name>"}`): that host's credentials come from the helper `docker-credential-<name>`;
 * - `credsStore` (`"<name>"`): every other host's credentials come from `docker-credential-<name>`, and `auths` is
 *   then only a list of hosts, as Docker keeps it;
 * - `auths`: the file store `docker login` writes without a helper (`auth` is base64 of `user:password`;
 *   `username`/`password` are accepted too; `identitytoken` is an OAuth refresh token).
 *
 * A helper is run as Docker runs it: `docker-credential-<name> get` found on PATH, the registry's server address on
 * standard input (`https://index.docker.io/v1/` for Docker Hub, the host otherwise), a JSON answer
 * `{"ServerURL", "Username", "Secret"}`. A `Username` of `<token>` makes `Secret` an identity token. A helper that
 * answers "credentials not found" leaves the host anonymous (as Docker does); any other failure (not installed,
 * exit status, no JSON, no answer within 10 s) is a {@link CredentialHelperError} naming the helper: the registry
 * client then refuses the request rather than go on anonymously.
 *
 * An identity token is used as Docker uses it: a refresh token posted to the registry's token endpoint
 * (`grant_type=refresh_token`), never as a password (see registry.ts).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DOCKER_HUB, normaliseRegistry } from "./reference";

/** A user name and a password, or an identity (refresh) token. */
export interface RegistryCredentials {
    username: string;
    password?: string;
    /** OAuth refresh token (`identitytoken`, or a helper's Secret under the user `<token>`). */
    identityToken?: string;
}

/** @deprecated the credentials may be an identity token: use {@link RegistryCredentials}. */
export type BasicCredentials = RegistryCredentials;

/** Credentials by registry host, as read from one Docker config file. */
export interface CredentialStore {
    /** The file the credentials came from (for messages), or undefined when none was found. */
    readonly source?: string;
    /** A problem reading the file, reported in messages when a registry then refuses access. */
    readonly problem?: string;
    /** The credentials for a host; throws {@link CredentialHelperError} when its helper fails. */
    get(host: string): RegistryCredentials | undefined;
    /** Where a host's credentials come from, for messages (`docker-credential-pass`, or the file). */
    origin?(host: string): string | undefined;
}

/** A credential helper failed: the message names the helper and the host. */
export class CredentialHelperError extends Error {}

/** What Docker's helpers print when they hold nothing for the server (docker-credential-helpers' message). */
const NOT_FOUND = "credentials not found in native keychain";
/** How long a helper may take (a keychain prompt would block forever). */
const HELPER_TIMEOUT_MS = 10_000;

/** The host an `auths` key stands for: `https://index.docker.io/v1/` is `docker.io`, `https://r.io/` is `r.io`. */
export function hostOfAuthKey(key: string): string {
    let host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    const slash = host.indexOf("/");
    if (slash >= 0) host = host.slice(0, slash);
    return normaliseRegistry(host);
}

/** The server address Docker hands a helper for a host: Docker Hub's index URL, or the host itself. */
export function helperServerAddress(host: string): string {
    const h = normaliseRegistry(host);
    return h === DOCKER_HUB ? "https://index.docker.io/v1/" : h;
}

function decode(entry: Record<string, unknown>): RegistryCredentials | undefined {
    let username = typeof entry.username === "string" ? entry.username : "";
    let password = typeof entry.password === "string" ? entry.password : undefined;
    if (typeof entry.auth === "string" && entry.auth.length > 0) {
        const text = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = text.indexOf(":");
        if (colon > 0) {
            username = text.slice(0, colon);
            password = text.slice(colon + 1);
        }
    }
    if (typeof entry.identitytoken === "string" && entry.identitytoken.length > 0) {
        return { username, identityToken: entry.identitytoken };
    }
    if (username && password) return { username, password };
    return undefined;
}

/** The path of the Docker config file for an environment. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
    return join(env.DOCKER_CONFIG || join(homedir(), ".docker"), "config.json");
}

/** A helper name as Docker accepts it (the part after `docker-credential-`): no path, no option. */
function checkHelperName(name: unknown, where: string): string {
    if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
        throw new CredentialHelperError(`${where}: ${JSON.stringify(name)} is not a credential helper name`);
    }
    return name;
}

/**
 * Runs `docker-credential-<name> get` for `host`, as Docker does. Undefined when the helper holds nothing for it;
 * a {@link CredentialHelperError} naming the helper for any other failure.
 */
export function runCredentialHelper(
    name: string,
    host: string,
    env: NodeJS.ProcessEnv = process.env,
): RegistryCredentials | undefined {
    const program = `docker-credential-${name}`;
    const server = helperServerAddress(host);
    let out: string;
    try {
        out = execFileSync(program, ["get"], {
            input: server,
            encoding: "utf8",
            env,
            timeout: HELPER_TIMEOUT_MS,
            maxBuffer: 1024 * 1024,
            stdio: ["pipe", "pipe", "pipe"],
        });
    } catch (e) {
        const err = e as NodeJS.ErrnoException & {
            stdout?: string;
            stderr?: string;
            status?: number | null;
            signal?: string | null;
        };
        const said = `${err.stdout ?? ""}\n${err.stderr ?? ""}`.trim();
        if (said.split("\n").some((l) => l.trim() === NOT_FOUND)) return undefined;
        const why =
            err.code === "ENOENT"
                ? "not found on PATH"
                : err.code === "ETIMEDOUT" || err.signal === "SIGTERM"
                  ? `no answer within ${HELPER_TIMEOUT_MS / 1000}s`
                  : `exit status ${err.status ?? err.code ?? "unknown"}${said ? `: ${said.split("\n")[0].slice(0, 200)}` : ""}`;
        throw new CredentialHelperError(`credential helper ${program} failed for ${server}: ${why}`);
    }
    let answer: { Username?: unknown; Secret?: unknown };
    try {
        answer = JSON.parse(out) as typeof answer;
    } catch {
        throw new CredentialHelperError(`credential helper ${program} did not answer JSON for ${server}`);
    }
    const username = typeof answer?.Username === "string" ? answer.Username : "";
    const secret = typeof answer?.Secret === "string" ? answer.Secret : "";
    if (!secret) {
        if (!username) return undefined;
        throw new CredentialHelperError(`credential helper ${program} answered no Secret for ${server}`);
    }
    // Docker's convention: the user name <token> marks the secret as an identity token.
    if (username === "<token>") return { username: "", identityToken: secret };
    return { username, password: secret };
}

/**
 * Reads the credential configuration of the Docker config file; a missing file yields an empty store. Helpers run
 * when a host's credentials are first asked for, once per host.
 */
export function loadDockerCredentials(
    path: string = dockerConfigPath(),
    env: NodeJS.ProcessEnv = process.env,
): CredentialStore {
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return { get: () => undefined };
        return { problem: `cannot read ${path}: ${(e as Error).message}`, get: () => undefined };
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        return { problem: `${path} is not valid JSON: ${(e as Error).message}`, get: () => undefined };
    }
    const config = (parsed && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
    const fileStore = new Map<string, RegistryCredentials>();
    const auths = config.auths;
    if (auths && typeof auths === "object") {
        for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
            if (!entry || typeof entry !== "object") continue;
            const creds = decode(entry as Record<string, unknown>);
            if (creds) fileStore.set(hostOfAuthKey(key), creds);
        }
    }
    // A malformed helper setting is an error when a host that would use it is asked for, never a silent skip.
    const helpers = new Map<string, unknown>();
    if (config.credHelpers && typeof config.credHelpers === "object") {
        for (const [key, name] of Object.entries(config.credHelpers as Record<string, unknown>)) {
            helpers.set(hostOfAuthKey(key), name);
        }
    }
    const store = config.credsStore;
    const helperOf = (host: string): { name: unknown; where: string } | undefined => {
        if (helpers.has(host)) return { name: helpers.get(host), where: `${path}: credHelpers["${host}"]` };
        if (store !== undefined && store !== "") return { name: store, where: `${path}: credsStore` };
        return undefined;
    };
    const cache = new Map<string, RegistryCredentials | undefined>();
    return {
        source: path,
        get(host) {
            const h = normaliseRegistry(host);
            if (cache.has(h)) return cache.get(h);
            const helper = helperOf(h);
            const creds = helper
                ? runCredentialHelper(checkHelperName(helper.name, helper.where), h, env)
                : fileStore.get(h);
            cache.set(h, creds);
            return creds;
        },
        origin(host) {
            const helper = helperOf(normaliseRegistry(host));
            return helper && typeof helper.name === "string" ? `docker-credential-${helper.name}` : path;
        },
    };
}
