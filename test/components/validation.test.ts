/**
 * The argument checks of components/lib/validation.ts, called directly (awsx style), plus a bounded, seeded
 * property check of the DNS-label and integer checks against independent oracles.
 */
import * as assert from "node:assert/strict";
import {
    checkChartVersion,
    checkDnsLabel,
    checkGatewayHost,
    checkHttpPath,
    checkHttpUrl,
    checkInteger,
    checkOneOf,
    closestName,
    collectErrors,
    editDistance,
    formatArgErrors,
} from "../../components/lib/validation";

/** Small deterministic PRNG (mulberry32) so that a failure reproduces. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

describe("lib/validation", () => {
    describe("checkDnsLabel", () => {
        it("accepts DNS-1123 labels", () => {
            for (const v of ["a", "shop", "istio-system", "a1", "1a", "x".repeat(63)]) {
                assert.equal(checkDnsLabel("namespace", v), undefined, v);
            }
        });

        it("rejects empty and non-string values, naming the field", () => {
            for (const v of ["", undefined, null, 42, ["shop"], {}]) {
                const err = checkDnsLabel("services[2].namespace", v);
                assert.ok(err, `expected an error for ${JSON.stringify(v)}`);
                assert.ok(err.startsWith("services[2].namespace must be a non-empty string"), err);
            }
        });

        it("rejects upper case, leading/trailing '-', dots, underscores and over-long labels with the value", () => {
            for (const v of ["Shop", "-shop", "shop-", "shop.eu", "shop_eu", "sh op", "x".repeat(64), "é"]) {
                const err = checkDnsLabel("namespace", v);
                assert.ok(err, `expected an error for ${JSON.stringify(v)}`);
                assert.ok(err.startsWith("namespace must be a DNS-1123 label of at most 63 characters"), err);
                assert.ok(err.includes(`(got "${v}")`), err);
            }
        });

        it("honours a custom maximum length", () => {
            assert.equal(checkDnsLabel("name", "x".repeat(10), 10), undefined);
            assert.match(checkDnsLabel("name", "x".repeat(11), 10) ?? "", /at most 10 characters/);
        });

        it("agrees with an independent oracle on 2000 generated strings", () => {
            const alphabet = "abz09-A._ ";
            const rand = prng(0x5eed);
            const oracle = (s: string) =>
                s.length >= 1 &&
                s.length <= 63 &&
                [...s].every((c) => (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "-") &&
                s[0] !== "-" &&
                s[s.length - 1] !== "-";
            for (let i = 0; i < 2000; i++) {
                const len = Math.floor(rand() * 70);
                let s = "";
                for (let j = 0; j < len; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
                assert.equal(checkDnsLabel("f", s) === undefined, oracle(s), `disagreement on ${JSON.stringify(s)}`);
            }
        });
    });

    describe("checkInteger", () => {
        it("accepts integers within the bounds, inclusive", () => {
            assert.equal(checkInteger("replicas", 1, 1, 5), undefined);
            assert.equal(checkInteger("replicas", 5, 1, 5), undefined);
            assert.equal(checkInteger("replicas", 1_000_000, 1), undefined);
        });

        it("rejects out-of-range, fractional and non-numbers, naming the field, range and value", () => {
            assert.equal(checkInteger("replicas", 0, 1, 5), "replicas must be an integer between 1 and 5 (got 0)");
            assert.equal(checkInteger("replicas", 6, 1, 5), "replicas must be an integer between 1 and 5 (got 6)");
            assert.equal(checkInteger("replicas", 1.5, 1, 5), "replicas must be an integer between 1 and 5 (got 1.5)");
            assert.equal(checkInteger("replicas", "3", 1, 5), 'replicas must be an integer between 1 and 5 (got "3")');
            assert.equal(checkInteger("replicas", NaN, 1), "replicas must be an integer >= 1 (got null)");
            assert.equal(checkInteger("replicas", undefined, 1), "replicas must be an integer >= 1 (got undefined)");
        });

        it("agrees with an independent oracle on 1000 generated values", () => {
            const rand = prng(42);
            for (let i = 0; i < 1000; i++) {
                const v = Math.round((rand() * 40 - 20) * (rand() < 0.3 ? 1.5 : 1) * 2) / 2;
                const [min, max] = [Math.floor(rand() * 10) - 5, Math.floor(rand() * 10) + 5];
                const ok = Number.isInteger(v) && v >= min && v <= max;
                assert.equal(
                    checkInteger("n", v, min, max) === undefined,
                    ok,
                    `disagreement on ${v} in [${min}, ${max}]`,
                );
            }
        });
    });

    describe("checkOneOf", () => {
        const allowed = ["staging", "prod"] as const;
        it("accepts an allowed value", () => {
            assert.equal(checkOneOf("environment", "prod", allowed), undefined);
        });
        it("rejects anything else, listing what is allowed", () => {
            for (const v of ["Prod", "qa", "", undefined, 1]) {
                assert.equal(
                    checkOneOf("environment", v, allowed),
                    `environment must be one of "staging", "prod" (got ${JSON.stringify(v)})`,
                );
            }
        });
    });

    describe("checkHttpPath", () => {
        it("accepts paths starting with '/'", () => {
            for (const v of ["/", "/healthz", "/api/v1/ready?x=1"])
                assert.equal(checkHttpPath("path", v), undefined, v);
        });
        it("rejects relative paths, spaces and non-strings, naming the field", () => {
            for (const v of ["healthz", "", "/health z", "/a\tb", undefined, 7]) {
                const err = checkHttpPath("healthPath", v);
                assert.ok(
                    err?.startsWith("healthPath must be an HTTP path starting with '/'"),
                    `${JSON.stringify(v)}: ${err}`,
                );
            }
        });
    });

    describe("checkChartVersion", () => {
        it("accepts exact versions, with a pre-release suffix", () => {
            for (const v of ["1.30.1", "0.0.1", "2.41.0-rc.1", "10.20.30-beta-2"]) {
                assert.equal(checkChartVersion("version", v), undefined, v);
            }
        });
        it("rejects ranges, partial versions and non-strings, naming the field", () => {
            for (const v of ["^1.2.3", "~1.2.3", ">=1.0.0", "1.2", "1.2.x", "v1.2.3", "latest", "", undefined, 1.2]) {
                const err = checkChartVersion("version", v);
                assert.ok(err?.startsWith("version must be an exact chart version"), `${JSON.stringify(v)}: ${err}`);
            }
        });
    });

    describe("collectErrors and formatArgErrors", () => {
        it("keeps failed checks in order, flattening lists and dropping passes", () => {
            assert.deepEqual(collectErrors(undefined, "a", [undefined, "b", "c"], undefined, [], "d"), [
                "a",
                "b",
                "c",
                "d",
            ]);
            assert.deepEqual(collectErrors(undefined, [undefined]), []);
        });
        it("formats one message naming the component, one problem per line", () => {
            assert.equal(
                formatArgErrors("IstioMesh", "mesh", ["x must be 1", "y must be 2"]),
                'invalid arguments for IstioMesh "mesh":\n  - x must be 1\n  - y must be 2',
            );
        });
    });

    describe("checkGatewayHost", () => {
        it("accepts '*', wildcards and host names", () => {
            for (const h of ["*", "*.example.com", "shop.example.com", "localhost"])
                assert.equal(checkGatewayHost("hosts[0]", h), undefined, h);
        });
        it("rejects empty, malformed and non-string hosts, naming the field and the value", () => {
            for (const h of ["", " ", "a..b", "*.", "**.a.com", "a.*.com", "https://a.com", "Shop.example.com", 3]) {
                assert.match(
                    checkGatewayHost("hosts[0]", h) ?? "",
                    /^hosts\[0\] must be a host name .*\(got /,
                    String(h),
                );
            }
        });
    });

    describe("checkHttpUrl", () => {
        it("accepts absolute http(s) URLs, https only when asked", () => {
            assert.equal(checkHttpUrl("u", "http://git.example.com/r/README.md"), undefined);
            assert.equal(checkHttpUrl("u", "https://git.example.com/r/README.md"), undefined);
            assert.match(
                checkHttpUrl("u", "http://hooks.example.com/x", { httpsOnly: true }) ?? "",
                /^u must be an absolute https URL/,
            );
        });
        it("rejects relative paths, other schemes, spaces and non-strings; a secret's value is never shown", () => {
            for (const v of [
                "README.md",
                "/x",
                "ftp://a.com/x",
                "javascript:alert(1)",
                "https://",
                "http://a b",
                "",
                1,
            ]) {
                assert.match(checkHttpUrl("u", v) ?? "", /^u must be an absolute http\(s\) URL/, String(v));
            }
            const secret = checkHttpUrl("u", "hooks.example.com/T0/s3cr3t", { httpsOnly: true, secret: true }) ?? "";
            assert.match(secret, /the value is not shown: it is secret/);
            assert.ok(!secret.includes("s3cr3t"));
        });
    });

    describe("editDistance and closestName", () => {
        it("counts insertions, deletions and substitutions", () => {
            assert.equal(editDistance("", ""), 0);
            assert.equal(editDistance("istiodReplica", "istiodReplicas"), 1);
            assert.equal(editDistance("kitten", "sitting"), 3);
            assert.equal(editDistance("abc", ""), 3);
        });
        it("is a metric on 300 generated pairs: symmetric, zero only for equal strings, bounded by the longer length", () => {
            const next = prng(7);
            const word = () =>
                Array.from({ length: Math.floor(next() * 8) }, () => "abc"[Math.floor(next() * 3)]).join("");
            for (let i = 0; i < 300; i++) {
                const [a, b, c] = [word(), word(), word()];
                const d = editDistance(a, b);
                assert.equal(d, editDistance(b, a));
                assert.equal(d === 0, a === b);
                assert.ok(d <= Math.max(a.length, b.length));
                assert.ok(editDistance(a, c) <= d + editDistance(b, c), "triangle inequality");
            }
        });
        it("suggests the closest name ignoring case, first alphabetically on ties, none when too far", () => {
            const keys = ["environment", "istiodReplicas", "gatewayReplicas", "services"];
            assert.equal(closestName("Environment", keys), "environment");
            assert.equal(closestName("istiodReplica", keys), "istiodReplicas");
            assert.equal(closestName("service", keys), "services");
            assert.equal(closestName("zzzzzzzz", keys), undefined);
            assert.equal(closestName("ab", ["ac", "aa"]), "aa");
        });
    });
});
