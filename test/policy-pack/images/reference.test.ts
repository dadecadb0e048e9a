import { strict as assert } from "node:assert";
import {
    findAllowedRegistry,
    formatReference,
    isPinned,
    isValidDomain,
    normaliseRegistry,
    parseAllowedRegistry,
    parseReference,
    ReferenceError,
    registryAllows,
    repositoryName,
    sameRepository,
    SHA256_DIGEST,
    tryParseReference,
} from "../../../policy-pack/images/reference";

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

describe("image reference grammar: anchors and boundaries", () => {
    const rejects = (input: string, reason: RegExp) =>
        assert.throws(
            () => parseReference(input),
            (e: unknown) => e instanceof ReferenceError && reason.test(e.message),
            input,
        );

    it("pins only a whole `sha256:<64 lower-case hex>` digest", () => {
        const pinned = (digest: string | undefined) =>
            isPinned({ registry: "r.io", repository: "a", digest, original: "" });
        assert.equal(pinned(DIGEST), true);
        assert.equal(pinned(undefined), false);
        assert.equal(pinned(`x${DIGEST}`), false);
        assert.equal(pinned(`${DIGEST}0`), false);
        assert.equal(pinned(`${DIGEST}\n`), false);
        assert.equal(pinned(`sha256:${HEX.slice(1)}`), false);
        assert.equal(pinned(`sha256:${HEX.slice(1)}g`), false);
        assert.equal(isPinned(parseReference(`app@xsha256:${HEX}`)), false, "another algorithm ending in sha256");
        assert.ok(SHA256_DIGEST.test(DIGEST));
    });

    it("reads a digest as a whole `algorithm:hex` of at least 32 hex digits", () => {
        assert.equal(parseReference(`app@sha256:${HEX.slice(0, 32)}`).digest, `sha256:${HEX.slice(0, 32)}`);
        assert.equal(parseReference(`app@sha256+b64.x_y-z:${HEX}`).digest, `sha256+b64.x_y-z:${HEX}`);
        rejects(`app@sha256:${HEX.slice(0, 31)}`, /not a valid digest/);
        rejects(`app@9sha256:${HEX}`, /"9sha256:[0-9a-f]+" is not a valid digest/);
        rejects(`app@sha256:${HEX}!`, /not a valid digest/);
        rejects(`app@sha256:${HEX}:`, /not a valid digest/);
        rejects(`app@sha256:g${HEX}`, /not a valid digest/);
        rejects(`app@sha256-:${HEX}`, /not a valid digest/);
        rejects(`app@sha256:`, /not a valid digest/);
    });

    it("accepts a registry port of digits only", () => {
        assert.equal(parseReference("r.example.com:443/app").registry, "r.example.com:443");
        for (const host of ["r.example.com:x443", "r.example.com:443x", "r.example.com:", "r.example.com:4 43"]) {
            assert.equal(isValidDomain(host), false, host);
        }
        rejects("r.example.com:x443/app", /"r\.example\.com:x443" is not a valid registry host/);
        rejects("r.example.com:/app", /not a valid registry host/);
    });

    it("accepts a bracketed IPv6 host, with an optional port of digits, and nothing around it", () => {
        assert.equal(isValidDomain("[::1]"), true);
        assert.equal(isValidDomain("[fe80::1:AB]:5000"), true);
        assert.equal(isValidDomain("[::ffff:127.0.0.1]"), true);
        for (const host of [
            "[]",
            "[::g]",
            "[[::1]",
            "[::1]x",
            "x[::1]",
            "x[::1]:5000",
            "[::1]:",
            "[::1]:50x",
            "[::1]:x50",
        ]) {
            assert.equal(isValidDomain(host), false, host);
        }
        assert.deepEqual(parseReference("[fe80::1]/team/app:v1"), {
            registry: "[fe80::1]",
            repository: "team/app",
            tag: "v1",
            digest: undefined,
            original: "[fe80::1]/team/app:v1",
        });
        rejects("[::1]x/app", /not a valid registry host/);
    });

    it("checks every label of a DNS host", () => {
        assert.equal(isValidDomain("a.b-c.d1"), true);
        assert.equal(isValidDomain("a"), true);
        for (const host of ["", ":5000", "a.", ".a", "a_b.io", "a.-b.io", "a.b-.io", "a..b", "a.b!"]) {
            assert.equal(isValidDomain(host), false, host);
        }
    });

    it("checks every repository path component against the separators the grammar allows", () => {
        for (const path of ["a__b", "a--b", "a---b", "a.b", "a_b", "a1/b2/c3"]) {
            assert.equal(parseReference(`r.io/${path}`).repository, path, path);
        }
        for (const path of ["a___b", "a.-b", "a..b", "-a", "a-", "_a", "a_", ".a", "a/B"]) {
            rejects(`r.io/${path}`, /not a valid repository path component/);
        }
    });

    it("takes a tag of up to 128 characters starting with a word character", () => {
        const tag = `T${"a".repeat(127)}`;
        assert.equal(parseReference(`app:${tag}`).tag, tag);
        assert.equal(parseReference("app:_x").tag, "_x");
        for (const bad of [".x", "x!"]) rejects(`app:${bad}`, /not a valid tag/);
    });

    it("takes a name of up to 255 characters", () => {
        const name = `r.io/${"a".repeat(250)}`;
        assert.equal(name.length, 255);
        assert.equal(parseReference(name).repository, "a".repeat(250));
        rejects(`${name}b`, /^the image name is longer than 255 characters$/);
    });

    it("reads the first element as a host only with a dot, a colon, upper case, or `localhost`", () => {
        assert.equal(parseReference("Registry/app").registry, "registry");
        assert.equal(parseReference("localhost/app").registry, "localhost");
        assert.equal(parseReference("localhostx/app").registry, "docker.io");
        assert.equal(parseReference("reg:1/app").registry, "reg:1");
        assert.equal(parseReference("a.b/app").registry, "a.b");
        assert.equal(parseReference("team/app").repository, "team/app");
        assert.equal(parseReference("r.io/app").repository, "app", "no library/ outside Docker Hub");
        assert.equal(formatReference(parseReference("r.io")), "docker.io/library/r.io", "a single element is a name");
        rejects("r.io/:tag", /^the repository path is empty$/);
    });

    it("says why a reference is malformed", () => {
        rejects(42 as unknown as string, /^the image is not a string$/);
        rejects("", /^the image is empty$/);
        rejects("ng\tinx", /^the image contains white space$/);
        rejects("nginx\n", /^the image contains white space$/);
        rejects("@" + DIGEST, /^the image name is empty$/);
        rejects("r.io/a//b", /^the repository path has an empty component$/);
        rejects("r.io/A", /^"A" is not a valid repository path component/);
        rejects("a..b/app", /^"a\.\.b" is not a valid registry host$/);
        rejects("app:-x", /^"-x" is not a valid tag$/);
        rejects("app@x", /^"x" is not a valid digest \(algorithm:hex\)$/);
        const err = tryParseReference("");
        assert.ok(err instanceof ReferenceError && err.message === "the image is empty");
        assert.equal((tryParseReference("nginx") as { repository: string }).repository, "library/nginx");
    });

    it("formats the normalised reference and its repository name", () => {
        assert.equal(
            formatReference(parseReference(`Index.Docker.IO/nginx:1@${DIGEST}`)),
            `docker.io/library/nginx:1@${DIGEST}`,
        );
        assert.equal(formatReference(parseReference("r.io:5000/a/b")), "r.io:5000/a/b");
        assert.equal(formatReference(parseReference("r.io/a:v2")), "r.io/a:v2");
        assert.equal(repositoryName(parseReference("nginx")), "docker.io/library/nginx");
        assert.equal(normaliseRegistry("REGISTRY-1.docker.io"), "docker.io");
        assert.equal(normaliseRegistry("Docker.IO.evil"), "docker.io.evil");
        assert.ok(!sameRepository(parseReference("r.io/a"), parseReference("r.io/b")));
        assert.ok(
            sameRepository(
                { registry: "INDEX.docker.io", repository: "x/y" },
                { registry: "docker.io", repository: "x/y" },
            ),
        );
    });
});

describe("registry allow-list entries: strict reading", () => {
    const rejectsEntry = (entry: string, reason: RegExp) =>
        assert.throws(
            () => parseAllowedRegistry(entry),
            (e: unknown) => e instanceof ReferenceError && reason.test(e.message),
            entry,
        );

    it("refuses schemes in any case, spaces and empty entries, saying what an entry looks like", () => {
        for (const entry of ["HTTPS://r.io", "oci+https://r.io", "r.io\t", " r.io"]) {
            rejectsEntry(entry, /must be HOST\[:PORT\]\[\/PREFIX\], without a scheme or spaces$/);
        }
        rejectsEntry("", /^an allowed registry is empty$/);
        rejectsEntry(undefined as unknown as string, /^an allowed registry is empty$/);
        // "://" after the host is a bad path component, not a scheme
        rejectsEntry("r.io/a://b", /"a:" is not a valid repository path component$/);
        rejectsEntry("r.io:x/a", /^allowed registry "r.io:x\/a": "r.io:x" is not a valid host$/);
        rejectsEntry("r.io//a", /"" is not a valid repository path component$/);
        rejectsEntry("/team", /^allowed registry "\/team": "" is not a valid host$/);
    });

    it("drops trailing slashes only at the end, and adds library/ to a one-element Docker Hub prefix only", () => {
        assert.deepEqual(parseAllowedRegistry("r.io/team/app//"), {
            host: "r.io",
            prefix: "team/app",
            source: "r.io/team/app//",
        });
        assert.deepEqual(parseAllowedRegistry("r.io/"), { host: "r.io", source: "r.io/" });
        assert.equal(parseAllowedRegistry("docker.io/acme/app").prefix, "acme/app");
        assert.equal(parseAllowedRegistry("index.docker.io/redis").prefix, "library/redis");
        assert.equal(parseAllowedRegistry("r.io/redis").prefix, "redis");
        assert.equal(parseAllowedRegistry("[::1]:5000/a").host, "[::1]:5000");
    });

    it("admits the prefix itself and repositories below it, and returns the first entry that admits", () => {
        const entry = parseAllowedRegistry("r.io/team");
        assert.equal(registryAllows(entry, { registry: "r.io", repository: "team" }), true);
        assert.equal(registryAllows(entry, { registry: "r.io", repository: "team/x" }), true);
        assert.equal(registryAllows(entry, { registry: "R.IO", repository: "team/x" }), true);
        assert.equal(registryAllows(entry, { registry: "r.io", repository: "teamx" }), false);
        assert.equal(registryAllows(entry, { registry: "r.io", repository: "x/team" }), false);
        assert.equal(registryAllows(entry, { registry: "s.io", repository: "team" }), false);
        const list = ["r.io/team", "r.io"].map(parseAllowedRegistry);
        assert.equal(findAllowedRegistry(list, parseReference("r.io/team/a"))?.source, "r.io/team");
        assert.equal(findAllowedRegistry(list, parseReference("r.io/other"))?.source, "r.io");
        assert.equal(findAllowedRegistry([], parseReference("r.io/other")), undefined);
    });
});
