/**
 * A small client of the OCI distribution API: manifests, blobs, the referrers API, and pushing, with
 *
 * - the bearer-token flow: a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` makes the client ask the
 *   realm for a token (anonymously, or with Basic credentials from the Docker config when it has some for the host),
 *   and retry; tokens are kept per host and scope, and a host known to want tokens gets one before the first request
 *   of a new scope. A `WWW-Authenticate: Basic` challenge is answered with the Docker config's credentials.
 * - https only, except for loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`) and hosts the caller lists as insecure,
 *   which are reached over plain http. The same rule applies to token realms.
 * - a timeout on every request (answer and body), a bound on answer sizes, and a bound on concurrent requests.
 *
 * Every failure is a {@link RegistryError} whose message says what was asked of whom and what went wrong.
 */
import { CredentialHelperError, CredentialStore, RegistryCredentials, loadDockerCredentials } from "./dockerConfig";
import { Limiter } from "./limit";
import { Descriptor, ImageIndex, MalformedError, OCI_INDEX, parseImageIndex, sha256Digest } from "./oci";
import { DOCKER_HUB } from "./reference";
import { cleanRegistryText } from "./sanitize";

/**
 * What went wrong talking to a registry. `tampered` is content that does not match the digest (or size) it was asked
 * for: never a registry failure to excuse, always a verification failure.
 */
export type RegistryErrorKind = "unreachable" | "malformed" | "denied" | "status" | "tampered";

/** Longest registry error message (it quotes URLs and registry text, each bounded on its own as well). */
const MAX_ERROR_TEXT = 1000;

export class RegistryError extends Error {
    constructor(
        readonly kind: RegistryErrorKind,
        message: string,
    ) {
        // Messages quote what a registry said: no control characters or escape sequences reach a terminal.
        super(cleanRegistryText(message, MAX_ERROR_TEXT));
    }
}

export interface RegistryClientOptions {
    /** Per-request timeout (headers and body), in milliseconds. Defaults to 10 000. */
    timeoutMs?: number;
    /** Hosts (`host[:port]`) reached over plain http although they are not loopback. Defaults to none. */
    insecureRegistries?: readonly string[];
    /** Requests in flight at once, over all hosts. Defaults to 8. */
    concurrency?: number;
    /** Credentials by host. Defaults to the Docker config file of the environment. */
    credentials?: CredentialStore;
    /** Largest answer read, in bytes. Defaults to 8 MiB. */
    maxBytes?: number;
}

/** A registry answer with its body read. */
export interface RegistryResponse {
    status: number;
    headers: Headers;
    body: Buffer;
}

/** A manifest (or index) as fetched: raw bytes, their digest and the content type the registry gave. */
export interface FetchedManifest {
    bytes: Buffer;
    digest: string;
    mediaType: string;
}

interface Challenge {
    scheme: "bearer" | "basic";
    realm?: string;
    service?: string;
}

/** Requests made by every client of this process (for the benchmark and for tests). */
let requestCount = 0;
export function registryRequestCount(): number {
    return requestCount;
}

/** True for hosts that are this machine: `localhost`, 127.0.0.0/8 and `[::1]`, any port. */
export function isLoopbackHost(host: string): boolean {
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
    return name === "localhost" || name === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** Parses a `WWW-Authenticate` header (one challenge; quoted or token parameter values). */
export function parseChallenge(header: string | null): Challenge | undefined {
    if (!header) return undefined;
    const m = /^\s*(Bearer|Basic)\b(.*)$/i.exec(header);
    if (!m) return undefined;
    const params: Record<string, string> = {};
    const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    let p: RegExpExecArray | null;
    while ((p = re.exec(m[2])) !== null)
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
    return { scheme: m[1].toLowerCase() as "bearer" | "basic", realm: params.realm, service: params.service };
}

function describeCause(e: unknown): string {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === "TimeoutError" || err?.name === "AbortError") return "timed out";
    const cause = err?.cause;
    if (cause?.code) return cause.code;
    return cause?.message ?? err?.message ?? String(e);
}

export class RegistryClient {
    private readonly timeoutMs: number;
    private readonly insecure: ReadonlySet<string>;
    private readonly limiter: Limiter;
    private readonly credentials: CredentialStore;
    private readonly maxBytes: number;
    private readonly tokens = new Map<string, string>();
    private readonly challenges = new Map<string, Challenge>();
    /** Aborts every request of this view of the client (see {@link withSignal}). */
    private signal?: AbortSignal;

    constructor(options: RegistryClientOptions = {}) {
        this.timeoutMs = options.timeoutMs ?? 10_000;
        this.insecure = new Set((options.insecureRegistries ?? []).map((h) => h.toLowerCase()));
        this.limiter = new Limiter(options.concurrency ?? 8);
        this.credentials = options.credentials ?? loadDockerCredentials();
        this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    }

    /**
     * A view of this client whose requests also stop when `signal` aborts (a deadline over several requests). It
     * shares tokens, challenges, credentials and the concurrency bound with this client.
     */
    withSignal(signal: AbortSignal): RegistryClient {
        const view = Object.create(this) as RegistryClient;
        view.signal = signal;
        return view;
    }

    /** The base URL of a registry's API: Docker Hub's API host, http for loopback and insecure hosts. */
    baseUrl(host: string): string {
        if (host === DOCKER_HUB) return "https://registry-1.docker.io";
        const plain = isLoopbackHost(host) || this.insecure.has(host.toLowerCase());
        return `${plain ? "http" : "https"}://${host}`;
    }

    private checkRealm(realm: string, host: string): URL {
        let url: URL;
        try {
            url = new URL(realm);
        } catch {
            throw new RegistryError(
                "malformed",
                `${host} named a token realm that is not a URL: ${JSON.stringify(cleanRegistryText(realm))}`,
            );
        }
        if (url.protocol === "https:") return url;
        if (url.protocol === "http:" && (isLoopbackHost(url.host) || this.insecure.has(url.host.toLowerCase())))
            return url;
        throw new RegistryError(
            "denied",
            `${host} named the token realm ${JSON.stringify(cleanRegistryText(realm))}; only https realms (or http on ` +
                "loopback/insecure hosts) are used",
        );
    }

    /** The host's credentials; a failing credential helper refuses the request (never an anonymous retry). */
    private credentialsFor(host: string): RegistryCredentials | undefined {
        try {
            return this.credentials.get(host);
        } catch (e) {
            if (e instanceof CredentialHelperError) throw new RegistryError("denied", e.message);
            throw e;
        }
    }

    /** Basic credentials for the host: a user name and password (an identity token is never sent as a password). */
    private basicHeader(host: string): string | undefined {
        const creds = this.credentialsFor(host);
        if (!creds || creds.password === undefined) return undefined;
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
    }

    /** Why a request stopped: the deadline of the caller's signal, or this client's per-request timeout. */
    private stopReason(e: unknown): string {
        if (this.signal?.aborted) {
            const reason = this.signal.reason as { message?: unknown } | undefined;
            return typeof reason?.message === "string" ? reason.message : "stopped: the deadline passed";
        }
        const why = describeCause(e);
        return why === "timed out" ? `no answer within ${this.timeoutMs / 1000}s` : why;
    }

    /**
     * One request, with its answer read whole. `limit` bounds the body (default: the client's maxBytes); `overLimit`
     * is how an answer beyond it is classified (a blob longer than its descriptor is `tampered`).
     */
    private async send(
        url: string,
        init: RequestInit,
        what: string,
        limit: { bytes?: number; overLimit?: RegistryErrorKind } = {},
    ): Promise<RegistryResponse> {
        return this.limiter.run(async () => {
            requestCount++;
            const timeout = AbortSignal.timeout(this.timeoutMs);
            const signal = this.signal ? AbortSignal.any([timeout, this.signal]) : timeout;
            let res: Response;
            try {
                if (this.signal?.aborted) throw this.signal.reason;
                res = await fetch(url, { ...init, signal, redirect: "follow" });
            } catch (e) {
                throw new RegistryError(
                    "unreachable",
                    `cannot reach the registry for ${what} (${url}): ${this.stopReason(e)}`,
                );
            }
            try {
                const body = await this.readLimited(res, url, limit.bytes ?? this.maxBytes, limit.overLimit);
                return { status: res.status, headers: res.headers, body };
            } catch (e) {
                if (e instanceof RegistryError) throw e;
                throw new RegistryError(
                    "unreachable",
                    `the answer to ${what} (${url}) broke off: ${this.stopReason(e)}`,
                );
            }
        });
    }

    private async readLimited(
        res: Response,
        url: string,
        max: number,
        overLimit: RegistryErrorKind = "malformed",
    ): Promise<Buffer> {
        const declared = Number(res.headers.get("content-length") ?? "0");
        if (declared > max) {
            await res.body?.cancel().catch(() => undefined);
            throw new RegistryError(overLimit, `${url} answered ${declared} bytes, more than the ${max} expected`);
        }
        if (!res.body) return Buffer.alloc(0);
        const chunks: Buffer[] = [];
        let total = 0;
        for await (const chunk of res.body) {
            total += chunk.length;
            if (total > max) {
                await res.body.cancel().catch(() => undefined);
                throw new RegistryError(overLimit, `${url} answered more than the ${max} bytes expected`);
            }
            chunks.push(Buffer.from(chunk));
        }
        return Buffer.concat(chunks);
    }

    private async fetchToken(host: string, challenge: Challenge, scope: string): Promise<string> {
        if (!challenge.realm)
            throw new RegistryError("malformed", `${host} asked for a bearer token but named no realm`);
        const url = this.checkRealm(challenge.realm, host);
        if (challenge.service) url.searchParams.set("service", challenge.service);
        const identityToken = this.credentialsFor(host)?.identityToken;
        let res: RegistryResponse;
        if (identityToken) {
            // As Docker does with an identity token: the OAuth2 refresh-token grant, posted to the realm.
            const form = new URLSearchParams({
                grant_type: "refresh_token",
                refresh_token: identityToken,
                client_id: "zdp-policy-pack",
                scope,
            });
            if (challenge.service) form.set("service", challenge.service);
            res = await this.send(
                url.toString(),
                {
                    method: "POST",
                    headers: { "content-type": "application/x-www-form-urlencoded" },
                    body: form.toString(),
                },
                `a token for ${scope}`,
            );
        } else {
            url.searchParams.set("scope", scope);
            const headers: Record<string, string> = {};
            const basic = this.basicHeader(host);
            if (basic) headers.authorization = basic;
            res = await this.send(url.toString(), { headers }, `a token for ${scope}`);
        }
        if (res.status !== 200) {
            throw new RegistryError(
                res.status === 401 || res.status === 403 ? "denied" : "status",
                `the token service of ${host} refused ${scope} with HTTP ${res.status}${this.credentialNote(host)}`,
            );
        }
        let token: unknown;
        try {
            const json = JSON.parse(res.body.toString("utf8")) as { token?: unknown; access_token?: unknown };
            token = json.token ?? json.access_token;
        } catch {
            throw new RegistryError("malformed", `the token service of ${host} did not answer JSON`);
        }
        if (typeof token !== "string" || token.length === 0) {
            throw new RegistryError("malformed", `the token service of ${host} answered no token`);
        }
        this.tokens.set(`${host}|${scope}`, token);
        return token;
    }

    private credentialNote(host: string): string {
        const creds = this.credentialsFor(host);
        if (creds) {
            const what = creds.identityToken ? "the identity token" : "the credentials";
            return ` (with ${what} of ${this.credentials.origin?.(host) ?? this.credentials.source})`;
        }
        const problem = this.credentials.problem ? `; ${this.credentials.problem}` : "";
        return ` (anonymously: no credentials for ${host} in the Docker config${problem})`;
    }

    private authorization(host: string, scope: string): string | undefined {
        const challenge = this.challenges.get(host);
        if (challenge?.scheme === "basic") return this.basicHeader(host);
        const token = this.tokens.get(`${host}|${scope}`);
        return token ? `Bearer ${token}` : undefined;
    }

    /**
     * One request to `/v2/<repository>/<path>` of `host`, authenticated as the registry asks. `push` asks for a
     * `pull,push` token. Returns the answer whatever its status, except that a refusal after authenticating throws.
     */
    async request(
        host: string,
        repository: string,
        path: string,
        init: {
            method?: string;
            accept?: readonly string[];
            body?: Buffer;
            contentType?: string;
            push?: boolean;
            /** Largest answer body expected, and how a longer one is classified. */
            limit?: { bytes?: number; overLimit?: RegistryErrorKind };
        } = {},
        what = `${path} of ${host}/${repository}`,
    ): Promise<RegistryResponse> {
        const scope = `repository:${repository}:${init.push ? "pull,push" : "pull"}`;
        const url =
            path.startsWith("http://") || path.startsWith("https://")
                ? path
                : `${this.baseUrl(host)}/v2/${repository}/${path}`;
        const build = (): RequestInit => {
            const headers: Record<string, string> = {};
            if (init.accept) headers.accept = init.accept.join(", ");
            if (init.contentType) headers["content-type"] = init.contentType;
            const auth = this.authorization(host, scope);
            if (auth) headers.authorization = auth;
            return { method: init.method ?? "GET", headers, body: init.body };
        };
        const known = this.challenges.get(host);
        if (known?.scheme === "bearer" && !this.tokens.has(`${host}|${scope}`))
            await this.fetchToken(host, known, scope);
        let res = await this.send(url, build(), what, init.limit);
        if (res.status !== 401) return res;
        const challenge = parseChallenge(res.headers.get("www-authenticate"));
        if (!challenge) {
            throw new RegistryError(
                "denied",
                `${host} refused ${what} with HTTP 401 and no usable WWW-Authenticate challenge`,
            );
        }
        this.challenges.set(host, challenge);
        if (challenge.scheme === "bearer") await this.fetchToken(host, challenge, scope);
        else if (!this.basicHeader(host)) {
            throw new RegistryError("denied", `${host} wants a password for ${what}${this.credentialNote(host)}`);
        }
        res = await this.send(url, build(), what, init.limit);
        if (res.status === 401 || res.status === 403) {
            throw new RegistryError(
                "denied",
                `${host} refused ${what} with HTTP ${res.status}${this.credentialNote(host)}`,
            );
        }
        return res;
    }

    /** Fetches a manifest by tag or digest; undefined when the registry has none (404). */
    async getManifest(
        host: string,
        repository: string,
        reference: string,
        accept: readonly string[],
    ): Promise<FetchedManifest | undefined> {
        const what = `manifest ${host}/${repository}${reference.includes(":") ? "@" : ":"}${reference}`;
        const res = await this.request(host, repository, `manifests/${reference}`, { accept }, what);
        if (res.status === 404) return undefined;
        if (res.status !== 200) throw new RegistryError("status", `${host} answered HTTP ${res.status} for ${what}`);
        const digest = sha256Digest(res.body);
        if (reference.includes(":") && reference !== digest) {
            throw new RegistryError("tampered", `${host} answered ${what} with content of digest ${digest}`);
        }
        const mediaType = (res.headers.get("content-type") ?? "").split(";")[0].trim();
        return { bytes: res.body, digest, mediaType };
    }

    /** Fetches a blob and checks its digest (and size, when a descriptor gives one). */
    async getBlob(
        host: string,
        repository: string,
        descriptor: Pick<Descriptor, "digest"> & { size?: number },
    ): Promise<Buffer> {
        const what = `blob ${host}/${repository}@${descriptor.digest}`;
        // A blob longer than its descriptor says cannot have its digest: stop reading there, and call it tampering.
        const limit = descriptor.size !== undefined ? { bytes: descriptor.size, overLimit: "tampered" as const } : {};
        const res = await this.request(host, repository, `blobs/${descriptor.digest}`, { limit }, what);
        if (res.status !== 200) throw new RegistryError("status", `${host} answered HTTP ${res.status} for ${what}`);
        const digest = sha256Digest(res.body);
        if (digest !== descriptor.digest || (descriptor.size !== undefined && descriptor.size !== res.body.length)) {
            throw new RegistryError(
                "tampered",
                `${host} answered ${what} with ${res.body.length} bytes of digest ${digest}`,
            );
        }
        return res.body;
    }

    /**
     * The referrers of a digest from the referrers API, filtered by artifact type when given; undefined when the
     * registry has no referrers API (404), the case where the referrers fallback tag is used instead.
     */
    async getReferrers(
        host: string,
        repository: string,
        digest: string,
        artifactType?: string,
    ): Promise<ImageIndex | undefined> {
        const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : "";
        const what = `referrers of ${host}/${repository}@${digest}`;
        const res = await this.request(host, repository, `referrers/${digest}${query}`, { accept: [OCI_INDEX] }, what);
        if (res.status === 404) return undefined;
        if (res.status !== 200) throw new RegistryError("status", `${host} answered HTTP ${res.status} for ${what}`);
        try {
            const index = parseImageIndex(res.body, `the ${what}`);
            // A registry that ignores the filter says so by leaving out OCI-Filters-Applied; filter here either way.
            if (artifactType) index.manifests = index.manifests.filter((d) => d.artifactType === artifactType);
            return index;
        } catch (e) {
            if (e instanceof MalformedError) throw new RegistryError("malformed", `${host}: ${e.message}`);
            throw e;
        }
    }

    /** Uploads a blob unless the registry has it already (monolithic upload: POST then PUT). */
    async pushBlob(host: string, repository: string, bytes: Buffer): Promise<Descriptor & { existed: boolean }> {
        const digest = sha256Digest(bytes);
        const what = `upload of blob ${digest} to ${host}/${repository}`;
        const head = await this.request(host, repository, `blobs/${digest}`, { method: "HEAD", push: true }, what);
        if (head.status === 200)
            return { mediaType: "application/octet-stream", digest, size: bytes.length, existed: true };
        const start = await this.request(host, repository, "blobs/uploads/", { method: "POST", push: true }, what);
        const location = start.headers.get("location");
        if (start.status !== 202 || !location) {
            throw new RegistryError("status", `${host} answered HTTP ${start.status} to the start of the ${what}`);
        }
        const url = new URL(location, `${this.baseUrl(host)}/`);
        url.searchParams.set("digest", digest);
        const put = await this.request(
            host,
            repository,
            url.toString(),
            { method: "PUT", push: true, body: bytes, contentType: "application/octet-stream" },
            what,
        );
        if (put.status !== 201) throw new RegistryError("status", `${host} answered HTTP ${put.status} to the ${what}`);
        return { mediaType: "application/octet-stream", digest, size: bytes.length, existed: false };
    }

    /** Stores a manifest under a tag or its digest; returns its digest and the answer's headers (OCI-Subject). */
    async putManifest(
        host: string,
        repository: string,
        reference: string,
        bytes: Buffer,
        mediaType: string,
    ): Promise<{ digest: string; headers: Headers }> {
        const what = `upload of manifest ${host}/${repository}:${reference}`;
        const res = await this.request(
            host,
            repository,
            `manifests/${reference}`,
            { method: "PUT", push: true, body: bytes, contentType: mediaType },
            what,
        );
        if (res.status !== 201) {
            const detail = cleanRegistryText(res.body.toString("utf8"), 300);
            throw new RegistryError("status", `${host} answered HTTP ${res.status} to the ${what}: ${detail}`);
        }
        return { digest: sha256Digest(bytes), headers: res.headers };
    }
}
