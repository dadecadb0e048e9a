import { strict as assert } from "node:assert";
import {
    findAllowedRegistry,
    isPinned,
    parseAllowedRegistry,
    parseReference,
    ReferenceError,
    registryAllows,
    sameRepository,
    tryParseReference,
} from "../../policy-pack/images/reference";

const HEX = "0123456789abcdef".repeat(4);
const DIGEST = `sha256:${HEX}`;

describe("image reference parsing (distribution/reference grammar)", () => {
    const valid: [string, { registry: string; repository: string; tag?: string; digest?: string }][] = [
        ["nginx", { registry: "docker.io", repository: "library/nginx" }],
        ["nginx:1.27", { registry: "docker.io", repository: "library/nginx", tag: "1.27" }],
        [`nginx@${DIGEST}`, { registry: "docker.io", repository: "library/nginx", digest: DIGEST }],
        [`nginx:1.27@${DIGEST}`, { registry: "docker.io", repository: "library/nginx", tag: "1.27", digest: DIGEST }],
        ["bitnami/redis:7", { registry: "docker.io", repository: "bitnami/redis", tag: "7" }],
        ["docker.io/nginx", { registry: "docker.io", repository: "library/nginx" }],
        ["index.docker.io/library/nginx", { registry: "docker.io", repository: "library/nginx" }],
        ["registry-1.docker.io/acme/app", { registry: "docker.io", repository: "acme/app" }],
        ["registry.example.com/team/app:v1", { registry: "registry.example.com", repository: "team/app", tag: "v1" }],
        ["registry.example.com:5000/team/app", { registry: "registry.example.com:5000", repository: "team/app" }],
        [
            `registry.example.com:5000/team/app:v1@${DIGEST}`,
            { registry: "registry.example.com:5000", repository: "team/app", tag: "v1", digest: DIGEST },
        ],
        ["localhost/app", { registry: "localhost", repository: "app" }],
        ["localhost:5000/app:latest", { registry: "localhost:5000", repository: "app", tag: "latest" }],
        ["127.0.0.1:5000/a/b/c", { registry: "127.0.0.1:5000", repository: "a/b/c" }],
        ["[::1]:5000/app", { registry: "[::1]:5000", repository: "app" }],
        ["Registry.Example.COM/app", { registry: "registry.example.com", repository: "app" }],
        [
            "ghcr.io/acme/my_app.v2-x__y:Tag_1.0-rc",
            { registry: "ghcr.io", repository: "acme/my_app.v2-x__y", tag: "Tag_1.0-rc" },
        ],
        // One path element without a dot, colon or upper case is a Docker Hub namespace, not a host.
        ["registry/app", { registry: "docker.io", repository: "registry/app" }],
        // "localhost:5000" alone is the Docker Hub image library/localhost with tag 5000, as Docker reads it.
        ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
    ];
    for (const [input, expected] of valid) {
        it(`parses ${input}`, () => {
            const ref = parseReference(input);
            assert.deepEqual(
                { registry: ref.registry, repository: ref.repository, tag: ref.tag, digest: ref.digest },
                { tag: undefined, digest: undefined, ...expected },
            );
        });
    }

    const malformed: [string, RegExp][] = [
        ["", /empty/],
        [" nginx", /white space/],
        ["nginx latest", /white space/],
        ["Nginx", /not a valid repository path component/],
        ["registry.example.com/Team/app", /"Team" is not a valid repository path component/],
        ["registry.example.com//app", /empty component/],
        ["registry.example.com/", /repository path is empty/],
        ["app:", /"" is not a valid tag/],
        ["app:-bad", /not a valid tag/],
        [`app:${"t".repeat(129)}`, /not a valid tag/],
        ["app@sha256:abc", /not a valid digest/],
        ["app@", /not a valid digest/],
        ["app@@sha256:" + HEX, /not a valid digest/],
        ["-registry.com/app", /not a valid registry host/],
        ["registry-.example.com/app", /not a valid registry host/],
        ["registry.example.com:port/app", /not a valid registry host/],
        ["app_/x", /not a valid repository path component/],
        ["a..b/app", /not a valid registry host/],
        [`${"a".repeat(250)}/bbbbbb`, /longer than 255/],
        [":tag", /name is empty/],
    ];
    for (const [input, reason] of malformed) {
        it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + "…" : input)}`, () => {
            assert.throws(
                () => parseReference(input),
                (e: unknown) => e instanceof ReferenceError && reason.test(e.message),
            );
            assert.ok(tryParseReference(input) instanceof ReferenceError);
        });
    }

    it("accepts as pinned only sha256 with 64 lower-case hex digits", () => {
        assert.equal(isPinned(parseReference(`app@${DIGEST}`)), true);
        assert.equal(isPinned(parseReference("app:1")), false);
        assert.equal(isPinned(parseReference(`app@sha256:${HEX.toUpperCase()}`)), false);
        assert.equal(isPinned(parseReference(`app@sha512:${HEX}${HEX}`)), false);
        assert.equal(isPinned(parseReference(`app@sha256:${HEX}aa`)), false);
    });

    it("compares repositories across Docker Hub spellings", () => {
        assert.ok(sameRepository(parseReference("nginx"), parseReference("index.docker.io/library/nginx:1")));
        assert.ok(!sameRepository(parseReference("r.io/a"), parseReference("r.io:443/a")));
    });
});

describe("registry allow-list matching", () => {
    const allowList = ["registry.example.com/platform", "ghcr.io/acme", "localhost:5000", "docker.io/nginx"].map(
        parseAllowedRegistry,
    );
    const allowed = (image: string) => findAllowedRegistry(allowList, parseReference(image))?.source;

    it("admits the exact host and a repository under the prefix", () => {
        assert.equal(allowed("registry.example.com/platform/api:1"), "registry.example.com/platform");
        assert.equal(allowed("registry.example.com/platform"), "registry.example.com/platform");
        assert.equal(allowed("registry.example.com/platform/team/deep/app"), "registry.example.com/platform");
        assert.equal(allowed("ghcr.io/acme/app"), "ghcr.io/acme");
        assert.equal(allowed("localhost:5000/anything"), "localhost:5000");
        assert.equal(allowed("nginx:1.27"), "docker.io/nginx");
        assert.equal(allowed("docker.io/library/nginx"), "docker.io/nginx");
    });

    it("never admits look-alike hosts, hosts hidden in the path, other ports or prefix look-alikes", () => {
        for (const image of [
            "registry.example.com.evil.io/platform/api",
            "evil.io/registry.example.com/platform/api",
            "evil-registry.example.com/platform/api",
            "registry.example.com:443/platform/api",
            "registry.example.com/platformer/api",
            "registry.example.com/other/platform/api",
            "ghcr.io/acme-evil/app",
            "ghcr.io/acmeapp",
            "localhost:5001/app",
            "localhost/app",
            "127.0.0.1:5000/app",
            "evil/nginx",
            "nginx-evil",
        ]) {
            assert.equal(allowed(image), undefined, image);
        }
    });

    it("parses entries strictly", () => {
        assert.deepEqual(parseAllowedRegistry("Registry.Example.com:5000/team/"), {
            host: "registry.example.com:5000",
            prefix: "team",
            source: "Registry.Example.com:5000/team/",
        });
        assert.deepEqual(parseAllowedRegistry("index.docker.io"), { host: "docker.io", source: "index.docker.io" });
        for (const bad of [
            "",
            "https://registry.example.com",
            "registry example.com",
            "registry.example.com/Team",
            "-x.io",
        ]) {
            assert.throws(() => parseAllowedRegistry(bad), ReferenceError, bad);
        }
    });

    it("matches hosts exactly, port included", () => {
        const entry = parseAllowedRegistry("registry.example.com");
        assert.equal(registryAllows(entry, parseReference("registry.example.com/a")), true);
        assert.equal(registryAllows(entry, parseReference("registry.example.com:5000/a")), false);
    });
});
