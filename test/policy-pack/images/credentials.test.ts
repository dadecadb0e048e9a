/**
 * Registry credentials as the Docker client finds them (policy-pack/images/dockerConfig.ts): credential helpers
 * (`credHelpers`, `credsStore`) run as Docker runs them, identity tokens used as OAuth refresh tokens, and
 * DOCKER_CONFIG. Helpers are small scripts the tests write into a temporary folder put on PATH; the Basic flow runs
 * against Debian's docker-registry with htpasswd authentication, the refresh-token flow against a loopback token
 * service.
 */
import { strict as assert } from "node:assert";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import bcrypt from "bcryptjs";
import {
    CredentialHelperError,
    dockerConfigPath,
    helperServerAddress,
    loadDockerCredentials,
    runCredentialHelper,
} from "../../../policy-pack/images/dockerConfig";
import { RegistryClient, RegistryError } from "../../../policy-pack/images/registry";
import { pushTestImage, requireRegistry, startRegistry, TestRegistry } from "./helpers/registry";
import { OCI_MANIFEST } from "../../../policy-pack/images/oci";

const USER = { username: "ci-bot", password: "reg-pass-" + Math.random().toString(36).slice(2) };

/** A folder with fake `docker-credential-*` helpers, and the environment that puts it first on PATH. */
class Helpers {
    readonly dir = mkdtempSync(join(tmpdir(), "zdp-helpers-"));
    readonly env: NodeJS.ProcessEnv = { ...process.env, PATH: `${this.dir}${delimiter}${process.env.PATH ?? ""}` };

    /** A helper that logs each server address it is asked for, then runs `body` (a shell script fragment). */
    add(name: string, body: string): string {
        const file = join(this.dir, `docker-credential-${name}`);
        const log = join(this.dir, `${name}.log`);
        writeFileSync(
            file,
            [
                "#!/bin/sh",
                '[ "$1" = get ] || { echo "unexpected action $1" >&2; exit 9; }',
                "server=$(cat)",
                `printf '%s\\n' "$server" >> '${log}'`,
                body,
                "",
            ].join("\n"),
        );
        chmodSync(file, 0o755);
        return log;
    }

    /** The server addresses a helper was asked for, in order. */
    calls(name: string): string[] {
        const log = join(this.dir, `${name}.log`);
        return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    }

    /** A Docker config file in its own folder; returns the folder (what DOCKER_CONFIG names). */
    config(content: unknown): string {
        const dir = mkdtempSync(join(this.dir, "docker-"));
        writeFileSync(join(dir, "config.json"), JSON.stringify(content));
        return dir;
    }

    remove(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** A helper body that answers with these credentials. */
const answer = (username: string, secret: string) =>
    `printf '{"ServerURL":"%s","Username":"${username}","Secret":"${secret}"}' "$server"`;

describe("registry credentials: Docker's helpers, identity tokens and DOCKER_CONFIG", function () {
    this.timeout(60_000);
    let helpers: Helpers;
    beforeEach(() => (helpers = new Helpers()));
    afterEach(() => helpers.remove());

    it("credHelpers: the host's helper gets the host on stdin and its answer is used, once per host", () => {
        helpers.add("team", answer(USER.username, USER.password));
        const dir = helpers.config({ credHelpers: { "registry.example.com": "team" }, auths: {} });
        const store = loadDockerCredentials(join(dir, "config.json"), helpers.env);
        assert.deepEqual(store.get("registry.example.com"), USER);
        assert.deepEqual(store.get("Registry.Example.com"), USER, "host names are case-insensitive");
        assert.equal(store.get("other.example.com"), undefined, "no helper and no auths entry: anonymous");
        assert.deepEqual(helpers.calls("team"), ["registry.example.com"]);
        assert.equal(store.origin?.("registry.example.com"), "docker-credential-team");
    });

    it("credsStore serves every host not in credHelpers; Docker Hub is asked for by its index URL", () => {
        helpers.add("store", answer("hub-user", "hub-pass"));
        helpers.add("ghcr", answer("gh-user", "gh-pass"));
        const dir = helpers.config({
            credsStore: "store",
            credHelpers: { "ghcr.io": "ghcr" },
            // With a store, auths only lists hosts: its content is not used (as in Docker).
            auths: { "quay.io": { auth: Buffer.from("file-user:file-pass").toString("base64") } },
        });
        const store = loadDockerCredentials(join(dir, "config.json"), helpers.env);
        assert.deepEqual(store.get("docker.io"), { username: "hub-user", password: "hub-pass" });
        assert.deepEqual(store.get("ghcr.io"), { username: "gh-user", password: "gh-pass" });
        assert.deepEqual(store.get("quay.io"), { username: "hub-user", password: "hub-pass" });
        assert.deepEqual(helpers.calls("store"), ["https://index.docker.io/v1/", "quay.io"]);
        assert.equal(helperServerAddress("index.docker.io"), "https://index.docker.io/v1/");
    });

    it("a helper's <token> user is an identity token; 'credentials not found' is anonymous", () => {
        helpers.add("tok", answer("<token>", "refresh-abc"));
        helpers.add("none", 'echo "credentials not found in native keychain"; exit 1');
        assert.deepEqual(runCredentialHelper("tok", "r.example.com", helpers.env), {
            username: "",
            identityToken: "refresh-abc",
        });
        assert.equal(runCredentialHelper("none", "r.example.com", helpers.env), undefined);
    });

    it("a failing, missing, silent or garbled helper is an error naming it (fail closed)", () => {
        helpers.add("broken", 'echo "keychain locked" >&2; exit 3');
        helpers.add("garbled", "echo not-json");
        helpers.add("nosecret", `printf '{"Username":"u","Secret":""}'`);
        const cases: [string, RegExp][] = [
            [
                "broken",
                /credential helper docker-credential-broken failed for r\.example\.com: exit status 3: keychain locked/,
            ],
            ["missing", /credential helper docker-credential-missing failed for r\.example\.com: not found on PATH/],
            ["garbled", /docker-credential-garbled did not answer JSON for r\.example\.com/],
            ["nosecret", /docker-credential-nosecret answered no Secret/],
        ];
        for (const [name, message] of cases) {
            assert.throws(
                () => runCredentialHelper(name, "r.example.com", helpers.env),
                (e: Error) => {
                    assert.ok(e instanceof CredentialHelperError, name);
                    assert.match(e.message, message);
                    return true;
                },
            );
        }
        const dir = helpers.config({ credHelpers: { "r.example.com": "../../bin/sh" } });
        assert.throws(
            () => loadDockerCredentials(join(dir, "config.json"), helpers.env).get("r.example.com"),
            /credHelpers\["r\.example\.com"\]: "\.\.\/\.\.\/bin\/sh" is not a credential helper name/,
        );
    });

    it("auths: identitytoken is an identity token, auth and username/password are Basic credentials", () => {
        const dir = helpers.config({
            auths: {
                "https://index.docker.io/v1/": { auth: Buffer.from("hub:pw").toString("base64") },
                "a.example.com": { username: "u", password: "p" },
                "b.example.com": { auth: Buffer.from("robot:").toString("base64"), identitytoken: "rt-1" },
            },
        });
        const store = loadDockerCredentials(join(dir, "config.json"));
        assert.deepEqual(store.get("docker.io"), { username: "hub", password: "pw" });
        assert.deepEqual(store.get("a.example.com"), { username: "u", password: "p" });
        assert.deepEqual(store.get("b.example.com"), { username: "robot", identityToken: "rt-1" });
    });

    it("DOCKER_CONFIG names the folder of config.json; without it, ~/.docker", () => {
        assert.equal(dockerConfigPath({ DOCKER_CONFIG: "/etc/ci-docker" }), "/etc/ci-docker/config.json");
        assert.match(dockerConfigPath({}), /\.docker\/config\.json$/);
    });

    describe("against docker-registry with htpasswd authentication", () => {
        let registry: TestRegistry;
        before(async function () {
            requireRegistry(this);
            const hash = bcrypt.hashSync(USER.password, 10);
            registry = await startRegistry({ htpasswd: `${USER.username}:${hash}\n` });
        });
        after(async () => registry?.stop());

        it("pushes and pulls with a credHelpers helper's credentials; anonymous and wrong ones are refused", async () => {
            helpers.add("ci", answer(USER.username, USER.password));
            const dir = helpers.config({ credHelpers: { [registry.host]: "ci" } });
            const client = new RegistryClient({
                credentials: loadDockerCredentials(join(dir, "config.json"), helpers.env),
            });
            const digest = await pushTestImage(client, registry.host, "team/app", "helper");
            const got = await client.getManifest(registry.host, "team/app", digest, [OCI_MANIFEST]);
            assert.equal(got?.digest, digest);
            assert.deepEqual(helpers.calls("ci"), [registry.host], "the helper ran once for the host");

            await assert.rejects(
                new RegistryClient({ credentials: { get: () => undefined } }).getManifest(
                    registry.host,
                    "team/app",
                    digest,
                    [OCI_MANIFEST],
                ),
                /wants a password .*anonymously/,
            );
            helpers.add("wrong", answer(USER.username, "not-the-password"));
            const wrongDir = helpers.config({ credsStore: "wrong" });
            await assert.rejects(
                new RegistryClient({
                    credentials: loadDockerCredentials(join(wrongDir, "config.json"), helpers.env),
                }).getManifest(registry.host, "team/app", digest, [OCI_MANIFEST]),
                /HTTP 401 \(with the credentials of docker-credential-wrong\)/,
            );
        });

        it("a failing helper refuses the request with its name, and nothing is tried anonymously", async () => {
            helpers.add("locked", 'echo "keychain locked" >&2; exit 1');
            const dir = helpers.config({ credsStore: "locked" });
            const client = new RegistryClient({
                credentials: loadDockerCredentials(join(dir, "config.json"), helpers.env),
            });
            await assert.rejects(
                client.getManifest(registry.host, "team/app", "latest", [OCI_MANIFEST]),
                (e: Error) =>
                    e instanceof RegistryError &&
                    e.kind === "denied" &&
                    /credential helper docker-credential-locked failed for 127\.0\.0\.1:\d+: exit status 1: keychain locked/.test(
                        e.message,
                    ),
            );
        });

        it("the default client reads the config of DOCKER_CONFIG (credsStore there)", async () => {
            helpers.add("envstore", answer(USER.username, USER.password));
            const dir = helpers.config({ credsStore: "envstore" });
            const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };
            process.env.DOCKER_CONFIG = dir;
            process.env.PATH = helpers.env.PATH;
            try {
                const client = new RegistryClient();
                await pushTestImage(client, registry.host, "team/env", "env");
            } finally {
                for (const [k, v] of Object.entries(saved)) {
                    if (v === undefined) delete process.env[k];
                    else process.env[k] = v;
                }
            }
            assert.deepEqual([...new Set(helpers.calls("envstore"))], [registry.host]);
        });
    });

    describe("identity token against a loopback token service", () => {
        let server: Server;
        let host: string;
        const requests: { method: string; form?: URLSearchParams; authorization?: string }[] = [];
        const REFRESH = "refresh-" + Math.random().toString(36).slice(2);
        const ACCESS = "access-" + Math.random().toString(36).slice(2);

        before(async () => {
            server = createServer((req: IncomingMessage, res: ServerResponse) => {
                const chunks: Buffer[] = [];
                req.on("data", (c: Buffer) => chunks.push(c));
                req.on("end", () => {
                    const url = new URL(req.url ?? "/", `http://${host}`);
                    if (url.pathname === "/token") {
                        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
                        requests.push({ method: req.method ?? "", form, authorization: req.headers.authorization });
                        const ok =
                            req.method === "POST" &&
                            form.get("grant_type") === "refresh_token" &&
                            form.get("refresh_token") === REFRESH &&
                            form.get("service") === "test-registry" &&
                            form.get("scope") === "repository:team/app:pull";
                        if (!ok) return void res.writeHead(401).end();
                        res.writeHead(200, { "content-type": "application/json" });
                        return void res.end(JSON.stringify({ access_token: ACCESS, expires_in: 300 }));
                    }
                    if (req.headers.authorization !== `Bearer ${ACCESS}`) {
                        res.writeHead(401, {
                            "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry"`,
                        });
                        return void res.end();
                    }
                    res.writeHead(404).end();
                });
            });
            await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
            host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        after(() => new Promise<void>((r) => server.close(() => r())));

        it("posts the identity token as a refresh-token grant and uses the access token it gets", async () => {
            const dir = helpers.config({
                auths: { [host]: { auth: Buffer.from("robot:").toString("base64"), identitytoken: REFRESH } },
            });
            const client = new RegistryClient({ credentials: loadDockerCredentials(join(dir, "config.json")) });
            // 404 after authenticating: the token was accepted (a refused one would be a 401 and an error).
            assert.equal(await client.getManifest(host, "team/app", "latest", [OCI_MANIFEST]), undefined);
            const grant = requests.at(-1)!;
            assert.equal(grant.method, "POST");
            assert.equal(grant.authorization, undefined, "the identity token is never sent as a password");

            requests.length = 0;
            const wrong = helpers.config({ auths: { [host]: { identitytoken: "stale" } } });
            await assert.rejects(
                new RegistryClient({ credentials: loadDockerCredentials(join(wrong, "config.json")) }).getManifest(
                    host,
                    "team/app",
                    "latest",
                    [OCI_MANIFEST],
                ),
                /token service of 127\.0\.0\.1:\d+ refused repository:team\/app:pull with HTTP 401 \(with the identity token of .*config\.json\)/,
            );
            assert.equal(requests[0].form?.get("refresh_token"), "stale");
        });
    });
});
