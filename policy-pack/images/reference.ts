/**
 * Container image references, parsed by the grammar of distribution/reference (the grammar Docker, containerd and
 * the kubelet use), and the registry allow-list matching built on it.
 *
 *     reference  := name [ ":" tag ] [ "@" digest ]
 *     name       := [ domain "/" ] path
 *     domain     := host [ ":" port ]          host: DNS name, IPv4 or [IPv6]
 *     path       := component ( "/" component )*
 *     component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *     tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *     digest     := algorithm ":" hex
 *
 * The first path element is a registry host only when it contains "." or ":", is `localhost`, or has upper-case
 * letters; otherwise the image is on Docker Hub (`docker.io`), and a single-element Docker Hub path gains the
 * implicit `library/` prefix (`nginx` is `docker.io/library/nginx`).
 */

/** A parsed, normalised image reference. */
export interface ImageReference {
    /** Registry host as written (lower-cased), port included: `registry.example.com:5000`; `docker.io` for Hub. */
    registry: string;
    /** Repository path inside the registry, normalised: `library/nginx`, `team/app`. */
    repository: string;
    tag?: string;
    /** `algorithm:hex` exactly as written. */
    digest?: string;
    /** The string that was parsed. */
    original: string;
}

/** Why a string is not an image reference. */
export class ReferenceError extends Error {}

export const DOCKER_HUB = "docker.io";
/** Host names that all mean Docker Hub. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

const NAME_MAX = 255;
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const DOMAIN_COMPONENT = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const PORT = /^[0-9]+$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
/** The only digest form this pack accepts as a pin: SHA-256, 64 lower-case hex digits. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True when `host` (with optional port) is a valid registry domain by the reference grammar. */
export function isValidDomain(domain: string): boolean {
    let host = domain;
    const v6 = /^(\[[^\]]*\])(?::(.*))?$/.exec(domain);
    if (v6) {
        if (!IPV6.test(v6[1])) return false;
        return v6[2] === undefined || PORT.test(v6[2]);
    }
    const colon = domain.lastIndexOf(":");
    if (colon >= 0) {
        if (!PORT.test(domain.slice(colon + 1))) return false;
        host = domain.slice(0, colon);
    }
    if (host.length === 0) return false;
    return host.split(".").every((c) => DOMAIN_COMPONENT.test(c));
}

/** The canonical spelling of a registry host: lower case, Docker Hub aliases folded into `docker.io`. */
export function normaliseRegistry(host: string): string {
    const lower = host.toLowerCase();
    return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** True when the first element of a name is a registry host rather than a repository path component. */
function looksLikeDomain(first: string): boolean {
    return first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase();
}

/** Splits `name` into registry and repository, applying Docker Hub's implicit `library/`. */
function splitName(name: string): { registry: string; repository: string } {
    const slash = name.indexOf("/");
    let registry = DOCKER_HUB;
    let path = name;
    if (slash >= 0 && looksLikeDomain(name.slice(0, slash))) {
        const domain = name.slice(0, slash);
        if (!isValidDomain(domain)) throw new ReferenceError(`"${domain}" is not a valid registry host`);
        registry = normaliseRegistry(domain);
        path = name.slice(slash + 1);
    }
    if (path.length === 0) throw new ReferenceError("the repository path is empty");
    for (const component of path.split("/")) {
        if (!COMPONENT.test(component)) {
            throw new ReferenceError(
                component.length === 0
                    ? "the repository path has an empty component"
                    : `"${component}" is not a valid repository path component (lower-case letters, digits and . _ - separators)`,
            );
        }
    }
    if (registry === DOCKER_HUB && !path.includes("/")) path = `library/${path}`;
    return { registry, repository: path };
}

/** Parses an image reference; throws {@link ReferenceError} with the reason when it is malformed. */
export function parseReference(ref: string): ImageReference {
    if (typeof ref !== "string") throw new ReferenceError("the image is not a string");
    if (ref.length === 0) throw new ReferenceError("the image is empty");
    if (ref !== ref.trim() || /\s/.test(ref)) throw new ReferenceError("the image contains white space");
    let rest = ref;
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
        if (!DIGEST.test(digest)) throw new ReferenceError(`"${digest}" is not a valid digest (algorithm:hex)`);
    }
    let tag: string | undefined;
    // A tag follows the last ":" only when no "/" comes after it (otherwise the colon belongs to a host:port).
    const colon = rest.lastIndexOf(":");
    if (colon >= 0 && !rest.slice(colon + 1).includes("/")) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
        if (!TAG.test(tag)) throw new ReferenceError(`"${tag}" is not a valid tag`);
    }
    if (rest.length === 0) throw new ReferenceError("the image name is empty");
    if (rest.length > NAME_MAX) throw new ReferenceError(`the image name is longer than ${NAME_MAX} characters`);
    const { registry, repository } = splitName(rest);
    return { registry, repository, tag, digest, original: ref };
}

/** Like {@link parseReference}, but returns the error instead of throwing it. */
export function tryParseReference(ref: string): ImageReference | ReferenceError {
    try {
        return parseReference(ref);
    } catch (e) {
        if (e instanceof ReferenceError) return e;
        throw e;
    }
}

/** True when the reference is pinned the way this pack requires: a `sha256:` digest of 64 lower-case hex digits. */
export function isPinned(ref: ImageReference): boolean {
    return ref.digest !== undefined && SHA256_DIGEST.test(ref.digest);
}

/** `registry/repository`, the repository's full name (`docker.io/library/nginx`). */
export function repositoryName(ref: Pick<ImageReference, "registry" | "repository">): string {
    return `${ref.registry}/${ref.repository}`;
}

/** The full normalised form: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
    return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** True when two references name the same repository (registry aliases and `library/` normalised). */
export function sameRepository(a: Pick<ImageReference, "registry" | "repository">, b: typeof a): boolean {
    return normaliseRegistry(a.registry) === normaliseRegistry(b.registry) && a.repository === b.repository;
}

/** One entry of a registry allow-list: an exact host (port included) and an optional repository prefix. */
export interface AllowedRegistry {
    host: string;
    /** Repository path prefix, matched at a path-segment boundary; undefined allows the whole registry. */
    prefix?: string;
    /** The entry as written in config. */
    source: string;
}

/**
 * Parses an allow-list entry `HOST[:PORT][/PREFIX]`. A bare Docker Hub prefix of one element gets the implicit
 * `library/` as references do (`docker.io/nginx` allows `docker.io/library/nginx`).
 */
export function parseAllowedRegistry(entry: string): AllowedRegistry {
    if (typeof entry !== "string" || entry.length === 0) throw new ReferenceError("an allowed registry is empty");
    if (/\s/.test(entry) || /^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) {
        throw new ReferenceError(
            `allowed registry "${entry}" must be HOST[:PORT][/PREFIX], without a scheme or spaces`,
        );
    }
    const trimmed = entry.replace(/\/+$/, "");
    const slash = trimmed.indexOf("/");
    const domain = slash < 0 ? trimmed : trimmed.slice(0, slash);
    if (!isValidDomain(domain))
        throw new ReferenceError(`allowed registry "${entry}": "${domain}" is not a valid host`);
    const host = normaliseRegistry(domain);
    if (slash < 0) return { host, source: entry };
    let prefix = trimmed.slice(slash + 1);
    for (const component of prefix.split("/")) {
        if (!COMPONENT.test(component)) {
            throw new ReferenceError(
                `allowed registry "${entry}": "${component}" is not a valid repository path component`,
            );
        }
    }
    if (host === DOCKER_HUB && !prefix.includes("/")) prefix = `library/${prefix}`;
    return { host, prefix, source: entry };
}

/** True when the reference's registry is exactly the entry's host and its repository lies under the prefix. */
export function registryAllows(
    allowed: AllowedRegistry,
    ref: Pick<ImageReference, "registry" | "repository">,
): boolean {
    if (normaliseRegistry(ref.registry) !== allowed.host) return false;
    if (allowed.prefix === undefined) return true;
    return ref.repository === allowed.prefix || ref.repository.startsWith(`${allowed.prefix}/`);
}

/** The entry of the allow-list that admits the reference, if any. */
export function findAllowedRegistry(
    allowList: readonly AllowedRegistry[],
    ref: Pick<ImageReference, "registry" | "repository">,
): AllowedRegistry | undefined {
    return allowList.find((a) => registryAllows(a, ref));
}
