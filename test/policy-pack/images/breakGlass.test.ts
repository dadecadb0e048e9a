/**
 * The images-signed config that replaced `registryErrors`: break-glass exceptions (validated, with one clear error
 * per bad entry, and every problem failing every image), the per-image deadline, and the removed setting itself.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    MAX_BREAK_GLASS_DAYS,
    breakGlassFor,
    compileBreakGlass,
    compileSignedConfig,
} from "../../../policy-pack/images/config";
import { generateKeyPair } from "../../../policy-pack/images/keys";
import { parseReference } from "../../../policy-pack/images/reference";
import { PolicyConfigError, PolicyEngine } from "../../../policy-pack/lib/engine";
import { imagesSigned } from "../../../policy-pack/policies/images";
import { DIGEST_A, DIGEST_B, argsFor, rollout, run } from "./helpers/policy";

const NOW = new Date("2026-03-10T12:00:00Z");
const KEY = [{ name: "ci", publicKey: generateKeyPair("ecdsa-p256").publicPem }];
const entry = (extra: object) => ({
    image: "registry.example.com/shop/checkout",
    expires: "2026-03-20",
    justification: "registry outage INC-7, approved by the platform lead",
    ...extra,
});

describe("images-signed break-glass exceptions", () => {
    it("compiles exact repositories and digests, and knows which have expired (the expiry day still holds)", () => {
        const problems: string[] = [];
        const compiled = compileBreakGlass(
            [
                entry({}),
                entry({ image: `registry.example.com/shop/cart@${DIGEST_A}`, expires: "2026-03-10" }),
                entry({ image: "registry.example.com/shop/old", expires: "2026-03-09" }),
            ],
            problems,
            NOW,
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(
            compiled.map((c) => [c.label, c.expired]),
            [
                ["breakGlass[0] (registry.example.com/shop/checkout)", false],
                [`breakGlass[1] (registry.example.com/shop/cart@${DIGEST_A})`, false],
                ["breakGlass[2] (registry.example.com/shop/old)", true],
            ],
        );
        const ref = (s: string) => parseReference(s);
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com/shop/checkout@${DIGEST_B}`)).length, 1);
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com/shop/cart@${DIGEST_A}`)).length, 1);
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com/shop/cart@${DIGEST_B}`)).length, 0);
        // Exact repositories only: neither a prefix nor a longer path matches.
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com/shop/checkout-v2@${DIGEST_A}`)).length, 0);
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com/shop@${DIGEST_A}`)).length, 0);
        assert.equal(breakGlassFor(compiled, ref(`registry.example.com:5000/shop/checkout@${DIGEST_A}`)).length, 0);
    });

    const bad: [string, object, RegExp][] = [
        [
            "a tag",
            entry({ image: "registry.example.com/shop/checkout:1.2" }),
            /^breakGlass\[0\]\.image .* must name a repository .*a tag names no fixed image$/,
        ],
        [
            "a short digest",
            entry({ image: "registry.example.com/shop/checkout@sha256:abc" }),
            /^breakGlass\[0\]\.image .* is not an image reference/,
        ],
        ["no image", entry({ image: "" }), /^breakGlass\[0\]\.image is missing/],
        [
            "not a reference",
            entry({ image: "Registry Example/x" }),
            /^breakGlass\[0\]\.image "Registry Example\/x" is not an image reference/,
        ],
        [
            "a date that does not exist",
            entry({ expires: "2026-02-30" }),
            /^breakGlass\[0\]\.expires must be a date YYYY-MM-DD/,
        ],
        [
            "a date with a time",
            entry({ expires: "2026-03-20T00:00:00Z" }),
            /^breakGlass\[0\]\.expires must be a date YYYY-MM-DD/,
        ],
        [
            "too far ahead",
            entry({ expires: "2026-06-01" }),
            new RegExp(
                `^breakGlass\\[0\\]\\.expires 2026-06-01 is more than ${MAX_BREAK_GLASS_DAYS} days ahead \\(latest 2026-04-09\\)`,
            ),
        ],
        ["a blank justification", entry({ justification: "  " }), /^breakGlass\[0\]\.justification is missing/],
        [
            "not an object",
            "registry.example.com/shop/checkout" as unknown as object,
            /^breakGlass\[0\] must be \{image, expires, justification\}$/,
        ],
    ];
    for (const [what, value, message] of bad) {
        it(`refuses ${what} with one clear error`, () => {
            const problems: string[] = [];
            assert.deepEqual(compileBreakGlass([value as never], problems, NOW), []);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], message);
        });
    }

    it("a bad entry fails every image (no network), naming the entry", async () => {
        const reported = await run(
            imagesSigned,
            argsFor(
                "kubernetes:argoproj.io/v1alpha1:Rollout",
                rollout("api", `registry.example.com/shop/api@${DIGEST_A}`),
                { trustedKeys: KEY, breakGlass: [entry({ image: "registry.example.com/shop/checkout:latest" })] },
                { name: "api" },
            ),
        );
        assert.equal(reported.length, 1);
        assert.equal(reported[0].enforcementLevel, undefined);
        assert.match(
            reported[0].message,
            /images-signed config is not usable: breakGlass\[0\]\.image .* a tag names no fixed image/,
        );
    });

    it("registryErrors is gone: the engine rejects it, and the analyzer path fails every image with the way out", async () => {
        assert.throws(
            () =>
                new PolicyEngine({
                    config: { "images-signed": { registryErrors: "advisory" } },
                    only: ["images-signed"],
                }),
            (e: unknown) => e instanceof PolicyConfigError && /images-signed.*registryErrors/.test(e.message),
        );
        const compiled = compileSignedConfig({ trustedKeys: KEY, registryErrors: "advisory" });
        assert.equal(compiled.problems.length, 1);
        assert.match(
            compiled.problems[0],
            /^registryErrors was removed: .* name the images in breakGlass with an expiry date/,
        );
    });

    it("the engine validates breakGlass and deadlineSeconds against the schema", () => {
        const errors = (config: object): string => {
            try {
                new PolicyEngine({ config: { "images-signed": config }, only: ["images-signed"] });
                return "";
            } catch (e) {
                return (e as Error).message;
            }
        };
        assert.match(
            errors({ breakGlass: [{ image: "x", expires: "tomorrow", justification: "j" }] }),
            /breakGlass\[0\]\.expires: "tomorrow" does not match the pattern/,
        );
        assert.match(
            errors({ breakGlass: [{ image: "x", expires: "2026-01-01" }] }),
            /breakGlass\[0\]: missing required property "justification"/,
        );
        assert.match(
            errors({ breakGlass: [{ image: "x", expires: "2026-01-01", justification: "j", until: 1 }] }),
            /unknown property "until"/,
        );
        assert.match(errors({ deadlineSeconds: 0 }), /deadlineSeconds: must be >= 0\.1/);
        assert.equal(errors({ deadlineSeconds: 30, breakGlass: [] }), "");
    });

    it("defaults the deadline to 60 s, and both stacks' configs have neither registryErrors nor an exception", () => {
        assert.equal(compileSignedConfig({ trustedKeys: KEY }).deadlineMs, 60_000);
        assert.equal(compileSignedConfig({ trustedKeys: KEY, deadlineSeconds: 2.5 }).deadlineMs, 2500);
        for (const stack of ["staging", "prod"]) {
            const file = path.join(__dirname, "..", "..", "..", "policy-pack", "config", `${stack}.json`);
            const signed = JSON.parse(fs.readFileSync(file, "utf8"))["images-signed"];
            assert.equal(signed.registryErrors, undefined, `${stack}.json still has registryErrors`);
            assert.deepEqual(signed.breakGlass, [], `${stack}.json has a break-glass exception`);
            assert.equal(signed.enforcementLevel, "mandatory");
        }
    });
});
