/**
 * A loopback HTTP front for the test registry that counts the requests it passes on, and can
 *
 * - demand bearer tokens, issued by its own `/token` realm (optionally only to Basic credentials), the flow of the
 *   distribution spec's token authentication;
 * - serve the OCI referrers API, which Debian's registry (distribution 2.8) lacks: manifests uploaded through the
 *   proxy with a `subject` are remembered and listed under `/v2/<name>/referrers/<digest>`, and their upload is
 *   answered with `OCI-Subject`.
 */
import { createHash, randomBytes } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";

export interface ProxyOptions {
    /** Demand a bearer token on /v2/ requests. */
    bearer?: boolean;
    /** With bearer: the token realm wants these Basic credentials. */
    credentials?: { username: string; password: string };
    /** Serve the referrers API. */
    referrers?: boolean;
}

export interface TestProxy {
    host: string;
    /** /v2/ requests received (token requests not included). */
    requests: number;
    /** Token requests received, by scope. */
    tokenScopes: string[];
    /** Method and path of every /v2/ request. */
    log: string[];
    stop(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
}

export async function startProxy(upstream: string, options: ProxyOptions = {}): Promise<TestProxy> {
    const tokens = new Map<string, string>();
    const referrers = new Map<string, object[]>();
    let self = "";
    const state: TestProxy = { host: "", requests: 0, tokenScopes: [], log: [], stop: async () => undefined };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const url = new URL(req.url ?? "/", `http://${self}`);
        if (url.pathname === "/token") {
            const scope = url.searchParams.get("scope") ?? "";
            state.tokenScopes.push(scope);
            if (url.searchParams.get("service") !== "zdp-test") {
                res.writeHead(400).end("wrong service");
                return;
            }
            if (options.credentials) {
                const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString("base64")}`;
                if (req.headers.authorization !== expected) {
                    res.writeHead(401).end("bad credentials");
                    return;
                }
            }
            const token = randomBytes(16).toString("hex");
            tokens.set(token, scope);
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, expires_in: 300 }));
            return;
        }
        state.requests++;
        state.log.push(`${req.method} ${url.pathname}`);
        const name = /^\/v2\/(.+?)\/(manifests|blobs|referrers|tags)\//.exec(url.pathname)?.[1];
        if (options.bearer && url.pathname !== "/v2/") {
            const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
            const scope = token ? tokens.get(token) : undefined;
            const wants = req.method === "GET" || req.method === "HEAD" ? "pull" : "push";
            if (!scope || !scope.startsWith(`repository:${name}:`) || !scope.split(":")[2].split(",").includes(wants)) {
                res.writeHead(401, {
                    "www-authenticate": `Bearer realm="http://${self}/token",service="zdp-test",scope="repository:${name}:${wants === "pull" ? "pull" : "pull,push"}"`,
                }).end();
                return;
            }
        }
        const referrer = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
        if (options.referrers && referrer && req.method === "GET") {
            const list = referrers.get(`${referrer[1]}@${referrer[2]}`) ?? [];
            const artifactType = url.searchParams.get("artifactType");
            const manifests = artifactType
                ? list.filter((d) => (d as { artifactType?: string }).artifactType === artifactType)
                : list;
            res.writeHead(200, {
                "content-type": "application/vnd.oci.image.index.v1+json",
                ...(artifactType ? { "oci-filters-applied": "artifactType" } : {}),
            }).end(
                JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }),
            );
            return;
        }
        const payload = req.method === "GET" || req.method === "HEAD" ? undefined : await body(req);
        const headers: Record<string, string> = {};
        for (const h of ["accept", "content-type"]) if (req.headers[h]) headers[h] = String(req.headers[h]);
        const up = await fetch(`http://${upstream}${url.pathname}${url.search}`, {
            method: req.method,
            headers,
            body: payload,
            redirect: "manual",
        });
        const out: Record<string, string> = {};
        up.headers.forEach((v, k) => {
            if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection" && k !== "keep-alive") {
                out[k] = k === "location" ? v.replace(upstream, self) : v;
            }
        });
        const upBody = Buffer.from(await up.arrayBuffer());
        if (options.referrers && payload && name && /\/manifests\//.test(url.pathname) && up.status === 201) {
            const manifest = JSON.parse(payload.toString("utf8"));
            if (manifest.subject?.digest) {
                const key = `${name}@${manifest.subject.digest}`;
                const digest = `sha256:${createHash("sha256").update(payload).digest("hex")}`;
                const list = referrers.get(key) ?? [];
                list.push({
                    mediaType: manifest.mediaType,
                    digest,
                    size: payload.length,
                    artifactType: manifest.artifactType ?? manifest.config?.mediaType,
                    annotations: manifest.annotations,
                });
                referrers.set(key, list);
                out["oci-subject"] = manifest.subject.digest;
            }
        }
        res.writeHead(up.status, out).end(req.method === "HEAD" ? undefined : upBody);
    };

    const server: Server = createServer((req, res) => {
        handle(req, res).catch((e) => {
            res.writeHead(502).end(String(e));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    state.host = self;
    state.stop = () => new Promise((resolve) => server.close(() => resolve()));
    return state;
}

/** A server on 127.0.0.1 that accepts connections and never answers (a hung registry). */
export async function startSilentServer(): Promise<{ host: string; stop(): Promise<void> }> {
    const sockets = new Set<import("node:net").Socket>();
    const server = createServer(() => {
        // Never respond.
    });
    server.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
        stop: () =>
            new Promise((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
