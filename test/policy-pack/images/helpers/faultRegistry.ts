/**
 * A registry that fails on purpose, for the fail-closed tests of images-signed: an HTTP server on 127.0.0.1 (a free
 * port) that answers every request of the distribution API with one fault, and is stopped by the test. Every fault
 * is bounded: drips and hangs end when the server stops, and nothing loops on the server's side.
 *
 *     const registry = await startFaultRegistry("status-500");
 *     // … check `${registry.host}/team/app@sha256:…` …
 *     await registry.stop();
 */
import { createHash } from "node:crypto";
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo, Socket } from "node:net";
import { OCI_MANIFEST, SIMPLE_SIGNING } from "../../../../policy-pack/images/oci";

/** The faults the server can inject. */
export type Fault =
    /** Nothing listens on the port. */
    | "refused"
    /** Every request: HTTP 500. */
    | "status-500"
    /** Connections are accepted and never answered. */
    | "hang"
    /** A 200 whose body arrives one byte every 100 ms, never ending. */
    | "slow-drip"
    /** A 200 that declares a 64 MiB body. */
    | "oversized-declared"
    /** A 200 that streams more than 8 MiB without declaring a length. */
    | "oversized-streamed"
    /** A 200 whose body is not JSON. */
    | "garbage"
    /** A redirect to itself, for ever. */
    | "redirect-loop"
    /** The connection is reset as soon as a request arrives. */
    | "reset"
    /** 401 with a bearer challenge; the token realm hands out tokens, and they are never accepted. */
    | "unauthorized-loop"
    /** A manifest whose media type carries ANSI escapes, C1 controls and 5000 characters of text. */
    | "escape-sequences"
    /** A signature manifest whose payload blob is answered with other bytes of the same length. */
    | "tampered-blob"
    /** A signature manifest whose payload blob is answered with 9 MiB instead of its declared size. */
    | "oversized-blob"
    /** 16 signatures whose payloads each take 250 ms to arrive (and whose signatures do not verify). */
    | "slow-bad-signatures";

export const FAULTS: readonly Fault[] = [
    "refused",
    "status-500",
    "hang",
    "slow-drip",
    "oversized-declared",
    "oversized-streamed",
    "garbage",
    "redirect-loop",
    "reset",
    "unauthorized-loop",
    "escape-sequences",
    "tampered-blob",
    "oversized-blob",
    "slow-bad-signatures",
];

export interface FaultRegistry {
    /** `127.0.0.1:<port>`. */
    host: string;
    /** Requests received (token requests included). */
    requests: number;
    stop(): Promise<void>;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const PAYLOAD = Buffer.from('{"critical":{"type":"cosign container image signature"},"optional":null}');

/** A cosign signature manifest with `count` simple-signing layers over `payload` (signatures that do not verify). */
function signatureManifest(payload: Buffer, count: number): Buffer {
    const config = Buffer.from("{}");
    return Buffer.from(
        JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: 2 },
            layers: Array.from({ length: count }, () => ({
                mediaType: SIMPLE_SIGNING,
                digest: sha256(payload),
                size: payload.length,
                annotations: {
                    "dev.cosignproject.cosign/signature": Buffer.from("not a signature").toString("base64"),
                },
            })),
        }),
    );
}

export async function startFaultRegistry(fault: Fault): Promise<FaultRegistry> {
    const sockets = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    const state: FaultRegistry = { host: "", requests: 0, stop: async () => undefined };
    const isSignatureManifest = (url: string) => /\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(url);
    const isBlob = (url: string) => /\/blobs\/sha256:[0-9a-f]{64}$/.test(url);

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
        state.requests++;
        const url = req.url ?? "/";
        // One request per connection: an answer the client stopped reading never spoils the next request.
        res.shouldKeepAlive = false;
        switch (fault) {
            case "status-500":
                res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
                return;
            case "hang":
                return;
            case "slow-drip": {
                res.writeHead(200, { "content-type": OCI_MANIFEST });
                const timer = setInterval(() => res.write("{"), 100);
                timers.add(timer);
                res.on("close", () => clearInterval(timer));
                return;
            }
            case "oversized-declared":
                res.writeHead(200, { "content-type": OCI_MANIFEST, "content-length": String(64 * 1024 * 1024) });
                res.write("{");
                return;
            case "oversized-streamed": {
                res.writeHead(200, { "content-type": OCI_MANIFEST });
                const chunk = Buffer.alloc(1024 * 1024, 0x20);
                for (let i = 0; i < 9; i++) res.write(chunk);
                res.end();
                return;
            }
            case "garbage":
                res.writeHead(200, { "content-type": OCI_MANIFEST }).end("\u0000\u00ffthis is not json at all");
                return;
            case "redirect-loop":
                res.writeHead(302, { location: url }).end();
                return;
            case "reset":
                req.socket.destroy();
                return;
            case "unauthorized-loop":
                if (url.startsWith("/token")) {
                    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "t" }));
                    return;
                }
                res.writeHead(401, {
                    "www-authenticate": `Bearer realm="http://${state.host}/token",service="fault",scope="x"`,
                }).end();
                return;
            case "escape-sequences":
                res.writeHead(200, { "content-type": OCI_MANIFEST }).end(
                    JSON.stringify({
                        schemaVersion: 2,
                        mediaType: `\u001b[2J\u001b[31mFORGED\u001b]0;title\u0007\u009b1m\u202e${"x".repeat(5000)}`,
                        layers: [],
                    }),
                );
                return;
            case "tampered-blob":
            case "oversized-blob":
            case "slow-bad-signatures": {
                const count = fault === "slow-bad-signatures" ? 16 : 1;
                if (isSignatureManifest(url)) {
                    res.writeHead(200, { "content-type": OCI_MANIFEST }).end(signatureManifest(PAYLOAD, count));
                } else if (isBlob(url) && fault === "tampered-blob") {
                    const forged = Buffer.from(PAYLOAD.toString("utf8").replace("cosign", "COSIGN"));
                    res.writeHead(200).end(forged);
                } else if (isBlob(url) && fault === "oversized-blob") {
                    res.writeHead(200);
                    const chunk = Buffer.alloc(1024 * 1024, 0x20);
                    for (let i = 0; i < 9; i++) res.write(chunk);
                    res.end();
                } else if (isBlob(url)) {
                    const timer = setTimeout(() => res.writeHead(200).end(PAYLOAD), 250);
                    timers.add(timer);
                } else {
                    res.writeHead(404, { "content-type": "application/json" }).end('{"errors":[]}');
                }
                return;
            }
            case "refused":
                res.writeHead(500).end();
                return;
        }
    };

    const server: Server = createServer(handle);
    server.on("connection", (s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stop = () =>
        new Promise<void>((resolve) => {
            for (const t of timers) clearTimeout(t);
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
        });
    if (fault === "refused") await stop();
    state.stop = fault === "refused" ? async () => undefined : stop;
    return state;
}
