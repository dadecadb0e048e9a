/**
 * secretlint as the pack uses it: which fake credentials it recognises, that results never carry the value, the
 * base64 decoding, and that `.secretlintrc.json` (for developers running secretlint directly) is the same
 * configuration as the one the scan and the policy use.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    SECRETLINT_CONFIG,
    decodeBase64Text,
    describeFindings,
    findCredentials,
} from "../../../policy-pack/secrets/lint";
import { FAKE_CREDENTIALS, b64, randomText } from "./fakeCredentials";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("secrets: secretlint wrapper", () => {
    for (const [kind, make] of Object.entries(FAKE_CREDENTIALS)) {
        it(`recognises a fake ${kind}, and the finding does not carry it`, async () => {
            const value = make();
            const found = await findCredentials(`value: ${value}`);
            assert.ok(found.length > 0, `${kind} not recognised`);
            const shown = JSON.stringify(found) + describeFindings(found);
            assert.ok(!shown.includes(value), "a finding carries the value");
            for (const line of value.split("\n")) if (line.length >= 8) assert.ok(!shown.includes(line));
        });
    }

    it("finds nothing in ordinary configuration text", async () => {
        const text = [
            "url: $webhook-url",
            "image: ghcr.io/acme/app:1.2.3",
            "endpoint: https://api.example.com/v1/hooks",
            "logLevel: info",
            `requestId: ${randomText(32)}`,
        ].join("\n");
        assert.deepEqual(await findCredentials(text), []);
    });

    it("reports the line of each finding", async () => {
        const found = await findCredentials(`a: 1\nb: 2\ntoken: ${FAKE_CREDENTIALS.githubToken()}\n`);
        assert.deepEqual(
            found.map((f) => [f.rule, f.line]),
            [["github", 3]],
        );
    });

    for (const form of ["disable-line", "disable-next-line", "disable"]) {
        it(`does not honour a secretlint-${form} comment (content cannot exempt itself)`, async () => {
            const directive = `// ${["secretlint", form].join("-")}`;
            const token = FAKE_CREDENTIALS.githubToken();
            const text = form === "disable-line" ? `token: ${token} ${directive}` : `${directive}\ntoken: ${token}\n`;
            assert.equal((await findCredentials(text)).length, 1);
            // ...and the positions are those of the original text.
            const [f] = await findCredentials(text);
            assert.equal(f.line, form === "disable-line" ? 1 : 2);
            assert.equal(f.column, "token: ".length + 1);
        });
    }

    it("decodes base64 text and refuses binary or non-base64 input", () => {
        const text = `user:${randomText(12)}`;
        assert.equal(decodeBase64Text(b64(text)), text);
        assert.equal(decodeBase64Text(Buffer.from([0, 1, 2, 3, 255, 254, 10, 11, 12]).toString("base64")), undefined);
        assert.equal(decodeBase64Text("not base64 at all!"), undefined);
        assert.equal(decodeBase64Text("c2g="), undefined, "shorter than 8 characters");
    });

    it(".secretlintrc.json is the configuration the scan and the policy use", () => {
        const file = JSON.parse(fs.readFileSync(path.join(ROOT, ".secretlintrc.json"), "utf8"));
        assert.deepEqual(file, JSON.parse(JSON.stringify(SECRETLINT_CONFIG)));
    });

    it("the configuration is the recommended preset with no allow-list", () => {
        const text = JSON.stringify(SECRETLINT_CONFIG);
        for (const allow of ["allows", "allowMessageIds"]) assert.ok(!text.includes(allow), `config has ${allow}`);
        const rules = SECRETLINT_CONFIG.rules;
        assert.equal(rules.length, 1);
        assert.equal(rules[0].id, "@secretlint/secretlint-rule-preset-recommend");
        assert.ok(!text.includes("disabled"), "no rule of the preset is disabled");
    });

    it(".secretlintignore lists no path (no allow-list)", () => {
        const lines = fs
            .readFileSync(path.join(ROOT, ".secretlintignore"), "utf8")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== "" && !l.startsWith("#"));
        assert.deepEqual(lines, []);
    });
});
