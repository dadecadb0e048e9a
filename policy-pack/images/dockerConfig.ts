/**
 * Registry credentials from the Docker client's config file, `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json`: the `auths` map written by `docker login` with a file store (`auth` is base64 of
 * `user:password`; `username`/`password` are accepted too). Credential helpers (`credsStore`, `credHelpers`) and
 * OAuth refresh tokens (`identitytoken`) are not used: such hosts are accessed anonymously.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { normaliseRegistry } from "./reference";

export interface BasicCredentials {
    username: string;
    password: string;
}

/** Credentials by registry host, as read from one Docker config file. */
export interface CredentialStore {
    /** The file the credentials came from (for messages), or undefined when none was found. */
    readonly source?: string;
    /** A problem reading the file, reported in messages when a registry then refuses access. */
    readonly problem?: string;
    get(host: string): BasicCredentials | undefined;
}

/** The host an `auths` key stands for: `https://index.docker.io/v1/` is `docker.io`, `https://r.io/` is `r.io`. */
export function hostOfAuthKey(key: string): string {
    let host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
    const slash = host.indexOf("/");
    if (slash >= 0) host = host.slice(0, slash);
    return normaliseRegistry(host);
}

function decode(entry: Record<string, unknown>): BasicCredentials | undefined {
    if (typeof entry.auth === "string" && entry.auth.length > 0) {
        const text = Buffer.from(entry.auth, "base64").toString("utf8");
        const colon = text.indexOf(":");
        if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
        return undefined;
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") {
        return { username: entry.username, password: entry.password };
    }
    return undefined;
}

/** The path of the Docker config file for an environment. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
    return join(env.DOCKER_CONFIG || join(homedir(), ".docker"), "config.json");
}

/** Reads the credentials of the Docker config file; a missing file yields an empty store. */
export function loadDockerCredentials(path: string = dockerConfigPath()): CredentialStore {
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
    const auths = (parsed as { auths?: unknown })?.auths;
    const byHost = new Map<string, BasicCredentials>();
    if (auths && typeof auths === "object") {
        for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
            if (!entry || typeof entry !== "object") continue;
            const creds = decode(entry as Record<string, unknown>);
            if (creds) byHost.set(hostOfAuthKey(key), creds);
        }
    }
    return { source: path, get: (host) => byHost.get(normaliseRegistry(host)) };
}
