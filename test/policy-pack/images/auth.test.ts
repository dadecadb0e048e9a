/**
 * The registry client's authentication against a tiny loopback registry that demands bearer tokens (the
 * distribution spec's token flow) or Basic credentials, with credentials read from a Docker config file.
 */
import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSignedConfig } from "../../../policy-pack/images/config";
import { simpleSigningPayload } from "../../../policy-pack/images/cosign";
import { hostOfAuthKey, loadDockerCredentials } from "../../../policy-pack/images/dockerConfig";
import { generateKeyPair, parsePrivateKey, signBytes } from "../../../policy-pack/images/keys";
import {
    COSIGN_SIGNATURE_ANNOTATION,
    OCI_MANIFEST,
    SIMPLE_SIGNING,
    descriptorOf,
    manifestBytes,
    signatureTag,
} from "../../../policy-pack/images/oci";
import { parseReference } from "../../../policy-pack/images/reference";
import { RegistryClient, isLoopbackHost, parseChallenge } from "../../../policy-pack/images/registry";
import { clearVerificationCache, verifyImageSignature } from "../../../policy-pack/images/verify";
import { imagesSigned } from "../../../policy-pack/policies/images";
import { DIGEST_A, argsFor, rollout, run } from "./helpers/policy";

interface AuthServer {
    host: string;
    tokenRequests: { scope: string | null; authorization?: string }[];
    registryRequests: { path: string; authorization?: string }[];
    stop(): Promise<void>;
}

const pair = generateKeyPair();
const key = parsePrivateKey(pair.privatePem);
const USER = { username: "ci-bot", password: "s3cret-pass" };

/**
 * Serves the cosign signature of DIGEST_A in repository team/app. `mode` says what it demands: bearer tokens from
 * its realm (anonymous or with Basic credentials), or Basic credentials on every request.
 */
async function startAuthServer(
    mode: { bearer: true; realmNeedsPassword: boolean; realm?: string } | { basic: true },
): Promise<AuthServer> {
    const state: AuthServer = { host: "", tokenRequests: [], registryRequests: [], stop: async () => undefined };
    const issued = new Set<string>();
    const basic = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString("base64")}`;
    let payload: Buffer = Buffer.alloc(0);
    let manifest: Buffer = Buffer.alloc(0);
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
        const url = new URL(req.url ?? "/", `http://${state.host}`);
        if (url.pathname === "/token") {
            state.tokenRequests.push({
                scope: url.searchParams.get("scope"),
                authorization: req.headers.authorization,
            });
            if ("bearer" in mode && mode.realmNeedsPassword && req.headers.authorization !== basic) {
                res.writeHead(401).end();
                return;
            }
            const token = `t${issued.size}`;
            issued.add(token);
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: token }));
            return;
        }
        state.registryRequests.push({ path: url.pathname, authorization: req.headers.authorization });
        if ("bearer" in mode) {
            const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
            if (!token || !issued.has(token)) {
                const realm = mode.realm ?? `http://${state.host}/token`;
                res.writeHead(401, {
                    "www-authenticate": `Bearer realm="${realm}",service="tiny",scope="repository:team/app:pull"`,
                }).end();
                return;
            }
        } else if (req.headers.authorization !== basic) {
            res.writeHead(401, { "www-authenticate": 'Basic realm="tiny"' }).end();
            return;
        }
        if (url.pathname === `/v2/team/app/manifests/${signatureTag(DIGEST_A)}`) {
            res.writeHead(200, { "content-type": OCI_MANIFEST }).end(manifest);
        } else if (url.pathname === `/v2/team/app/blobs/${descriptorOf(payload, SIMPLE_SIGNING).digest}`) {
            res.writeHead(200).end(payload);
        } else {
            res.writeHead(404).end();
        }
    };
    const server: Server = createServer(handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    payload = simpleSigningPayload({ registry: state.host, repository: "team/app" }, DIGEST_A);
    const layer = descriptorOf(payload, SIMPLE_SIGNING, {
        annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signBytes(key, payload).toString("base64") },
    });
    manifest = manifestBytes({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptorOf(Buffer.from("{}"), "application/vnd.oci.image.config.v1+json"),
        layers: [layer],
    });
    state.stop = () => new Promise((r) => server.close(() => r()));
    return state;
}

function dockerConfigDir(auths: Record<string, object>): string {
    const dir = mkdtempSync(join(tmpdir(), "zdp-docker-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ auths }));
    return dir;
}

const trust = compileSignedConfig({
    trustedKeys: [{ name: "ci", publicKey: pair.publicPem }],
    formats: ["cosign"],
    timeoutSeconds: 2,
});

describe("registry authentication", () => {
    const servers: AuthServer[] = [];
    const dirs: string[] = [];
    after(async () => {
        for (const s of servers) await s.stop();
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    const start = async (mode: Parameters<typeof startAuthServer>[0]) => {
        const s = await startAuthServer(mode);
        servers.push(s);
        return s;
    };

    it("follows the anonymous bearer-token flow and reuses the token", async () => {
        const server = await start({ bearer: true, realmNeedsPassword: false });
        const client = new RegistryClient({ credentials: { get: () => undefined } });
        const verdict = await verifyImageSignature(
            client,
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.deepEqual(verdict, { status: "verified", signer: 'key "ci" (cosign signature)' });
        assert.deepEqual(server.tokenRequests, [{ scope: "repository:team/app:pull", authorization: undefined }]);
        // One 401 probe, then the manifest and the payload blob with the token.
        assert.deepEqual(
            server.registryRequests.map((r) => r.authorization),
            [undefined, "Bearer t0", "Bearer t0"],
        );
        // The host is known to want tokens, and the scope has one: no probe, no new token.
        await verifyImageSignature(client, parseReference(`${server.host}/team/app@${DIGEST_A}`), trust);
        assert.equal(server.tokenRequests.length, 1);
        assert.deepEqual(
            server.registryRequests.slice(3).map((r) => r.authorization),
            ["Bearer t0", "Bearer t0"],
        );
    });

    it("sends the Docker config's credentials to the token realm, through the policy", async () => {
        const server = await start({ bearer: true, realmNeedsPassword: true });
        const dir = dockerConfigDir({
            [`https://${server.host}`]: { auth: Buffer.from(`${USER.username}:${USER.password}`).toString("base64") },
        });
        dirs.push(dir);
        const saved = process.env.DOCKER_CONFIG;
        process.env.DOCKER_CONFIG = dir;
        try {
            clearVerificationCache();
            const reported = await run(
                imagesSigned,
                argsFor(
                    "kubernetes:argoproj.io/v1alpha1:Rollout",
                    rollout("api", `${server.host}/team/app@${DIGEST_A}`),
                    {
                        trustedKeys: [{ name: "ci", publicKey: pair.publicPem }],
                        formats: ["cosign"],
                    },
                ),
            );
            assert.deepEqual(reported, []);
            assert.equal(
                server.tokenRequests[0].authorization,
                `Basic ${Buffer.from("ci-bot:s3cret-pass").toString("base64")}`,
            );
        } finally {
            if (saved === undefined) delete process.env.DOCKER_CONFIG;
            else process.env.DOCKER_CONFIG = saved;
            clearVerificationCache();
        }
    });

    it("fails closed, naming the cause, when the realm refuses", async () => {
        const server = await start({ bearer: true, realmNeedsPassword: true });
        const anonymous = await verifyImageSignature(
            new RegistryClient({ credentials: { get: () => undefined } }),
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.equal(anonymous.status, "unavailable");
        assert.match(
            anonymous.status === "unavailable" ? anonymous.detail : "",
            /refused repository:team\/app:pull with HTTP 401 \(anonymously: no credentials for 127\.0\.0\.1:\d+ in the Docker config\)/,
        );
        const dir = dockerConfigDir({ [server.host]: { username: "ci-bot", password: "wrong" } });
        dirs.push(dir);
        const wrong = await verifyImageSignature(
            new RegistryClient({ credentials: loadDockerCredentials(join(dir, "config.json")) }),
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.match(
            wrong.status === "unavailable" ? wrong.detail : "",
            /HTTP 401 \(with the credentials of .*config\.json\)/,
        );
    });

    it("answers a Basic challenge with the Docker config's credentials", async () => {
        const server = await start({ basic: true });
        const creds = { get: (host: string) => (host === server.host ? USER : undefined) };
        const verdict = await verifyImageSignature(
            new RegistryClient({ credentials: creds }),
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.equal(verdict.status, "verified");
        const none = await verifyImageSignature(
            new RegistryClient({ credentials: { get: () => undefined } }),
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.match(none.status === "unavailable" ? none.detail : "", /wants a password/);
    });

    it("refuses a token realm over plain http on a non-loopback host", async () => {
        const server = await start({ bearer: true, realmNeedsPassword: false, realm: "http://auth.example.com/token" });
        const verdict = await verifyImageSignature(
            new RegistryClient({ credentials: { get: () => undefined } }),
            parseReference(`${server.host}/team/app@${DIGEST_A}`),
            trust,
        );
        assert.match(
            verdict.status === "unavailable" ? verdict.detail : "",
            /named the token realm "http:\/\/auth\.example\.com\/token"; only https realms/,
        );
        assert.equal(server.tokenRequests.length, 0);
    });

    it("parses challenges, auth keys and loopback hosts", () => {
        assert.deepEqual(
            parseChallenge(
                'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a:pull"',
            ),
            {
                scheme: "bearer",
                realm: "https://auth.example.com/token",
                service: "registry.example.com",
            },
        );
        assert.deepEqual(parseChallenge('basic realm="x"'), { scheme: "basic", realm: "x", service: undefined });
        assert.equal(parseChallenge("Negotiate abc"), undefined);
        assert.equal(hostOfAuthKey("https://index.docker.io/v1/"), "docker.io");
        assert.equal(hostOfAuthKey("registry.example.com:5000"), "registry.example.com:5000");
        assert.equal(hostOfAuthKey("https://Registry.Example.com/"), "registry.example.com");
        for (const h of ["localhost", "localhost:5000", "127.0.0.1:1", "127.9.9.9", "[::1]:5000"])
            assert.ok(isLoopbackHost(h), h);
        for (const h of ["localhost.evil.io", "127.0.0.1.evil.io", "10.0.0.1", "registry.example.com"])
            assert.ok(!isLoopbackHost(h), h);
        const client = new RegistryClient({
            credentials: { get: () => undefined },
            insecureRegistries: ["registry.lan:5000"],
        });
        assert.equal(client.baseUrl("registry.lan:5000"), "http://registry.lan:5000");
        assert.equal(client.baseUrl("registry.lan"), "https://registry.lan");
        assert.equal(client.baseUrl("docker.io"), "https://registry-1.docker.io");
        assert.equal(client.baseUrl("127.0.0.1:5000"), "http://127.0.0.1:5000");
    });

    it("reads credentials from a Docker config file's auths and reports a broken file (helpers: credentials.test.ts)", () => {
        const dir = dockerConfigDir({
            "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw").toString("base64") },
            "registry.example.com": { username: "u", password: "p" },
            "helper.example.com": {},
        });
        dirs.push(dir);
        const store = loadDockerCredentials(join(dir, "config.json"));
        assert.deepEqual(store.get("docker.io"), { username: "hub", password: "pw" });
        assert.deepEqual(store.get("index.docker.io"), { username: "hub", password: "pw" });
        assert.deepEqual(store.get("registry.example.com"), { username: "u", password: "p" });
        assert.equal(store.get("helper.example.com"), undefined);
        assert.equal(loadDockerCredentials(join(dir, "missing.json")).get("docker.io"), undefined);
        writeFileSync(join(dir, "broken.json"), "{not json");
        assert.match(loadDockerCredentials(join(dir, "broken.json")).problem ?? "", /is not valid JSON/);
    });
});
