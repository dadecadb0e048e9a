/**
 * Stack files hold secrets only as Pulumi ciphertext: the project's own files pass, and copies of them with a
 * planted plaintext (assembled at run time) fail naming the file, line and key, never the value.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { checkStackFiles, stackFileNames } from "../../../policy-pack/secrets/stackFiles";
import { githubToken, randomText, slackWebhookUrl } from "./fakeCredentials";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Pulumi-shaped ciphertext (not decryptable, which does not matter here). */
function ciphertext(): string {
    return `v1:${Buffer.from(randomText(12)).toString("base64")}:${Buffer.from(randomText(40)).toString("base64")}`;
}

describe("secrets: Pulumi stack files", () => {
    let dir: string;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-stack-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        for (const f of stackFileNames(ROOT)) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        // The repository cannot declare alertWebhookUrl (the engine has no optional secret key: declared without a
        // default it is required); a project that requires it declares it secret, as the fixture does.
        fs.appendFileSync(path.join(dir, "Pulumi.yaml"), "  alertWebhookUrl:\n    type: string\n    secret: true\n");
    });

    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const append = (file: string, text: string) => fs.appendFileSync(path.join(dir, file), text);
    const lines = (file: string) => fs.readFileSync(path.join(dir, file), "utf8").split("\n").length;

    it("the fixture declares alertWebhookUrl secret: true, and the project has stack files to check", () => {
        const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        assert.equal(project.config.alertWebhookUrl.secret, true);
        assert.ok(stackFileNames(ROOT).length >= 2);
    });

    it("the project's Pulumi.yaml and stack files pass", async () => {
        assert.deepEqual(await checkStackFiles(ROOT), []);
    });

    it("a secure value in a stack file passes", async () => {
        append("Pulumi.prod.yaml", `  zdp:alertWebhookUrl:\n    secure: ${ciphertext()}\n`);
        assert.deepEqual(await checkStackFiles(dir), []);
    });

    for (const stack of ["staging", "prod"]) {
        it(`a plaintext alertWebhookUrl in Pulumi.${stack}.yaml fails with file, line and key, not the value`, async () => {
            const file = `Pulumi.${stack}.yaml`;
            const webhook = slackWebhookUrl();
            const line = lines(file);
            append(file, `  zdp:alertWebhookUrl: ${webhook}\n`);
            const problems = await checkStackFiles(dir);
            assert.equal(problems.length, 1, JSON.stringify(problems));
            assert.equal(problems[0].file, file);
            assert.equal(problems[0].line, line);
            assert.equal(problems[0].key, "zdp:alertWebhookUrl");
            assert.match(
                problems[0].message,
                /declared secret: true in Pulumi\.yaml but holds a plaintext value; set it with pulumi config set --secret alertWebhookUrl/,
            );
            assert.ok(!JSON.stringify(problems).includes(webhook));
        });
    }

    it("a key declared secret fails even when its plaintext does not look like a credential", async () => {
        append("Pulumi.staging.yaml", "  zdp:alertWebhookUrl: https://alerts.internal.example.com/in\n");
        const [p] = await checkStackFiles(dir);
        assert.equal(p?.key, "zdp:alertWebhookUrl");
    });

    it("a structured value of a declared-secret key must be ciphertext at every leaf", async () => {
        append(
            "Pulumi.prod.yaml",
            `  zdp:alertWebhookUrl:\n    url:\n      secure: ${ciphertext()}\n    channel: ops\n`,
        );
        const problems = await checkStackFiles(dir);
        assert.equal(problems.length, 1);
        assert.match(problems[0].message, /plaintext value/);
    });

    it("a credential under an undeclared key fails too (secretlint over every plaintext value)", async () => {
        const token = githubToken();
        const line = lines("Pulumi.staging.yaml");
        append("Pulumi.staging.yaml", `  zdp:ciToken: ${token}\n`);
        const problems = await checkStackFiles(dir);
        assert.deepEqual(
            problems.map((p) => [p.file, p.line, p.key]),
            [["Pulumi.staging.yaml", line, "zdp:ciToken"]],
        );
        assert.match(problems[0].message, /holds a plaintext GITHUB_TOKEN \(secretlint rule github\)/);
        assert.ok(!JSON.stringify(problems).includes(token));
    });

    it("a plaintext pasted under secure: fails", async () => {
        append("Pulumi.prod.yaml", `  zdp:alertWebhookUrl:\n    secure: ${slackWebhookUrl()}\n`);
        const problems = await checkStackFiles(dir);
        assert.ok(
            problems.some((p) => /not Pulumi ciphertext/.test(p.message)),
            JSON.stringify(problems),
        );
    });

    it("a default for a secret key in Pulumi.yaml fails (it would be plaintext in the repository)", async () => {
        const text = fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
        const planted = text.replace(
            /(  alertWebhookUrl:\n    type: string\n    secret: true\n)/,
            `$1    default: https://alerts.example.com/${randomText(8)}\n`,
        );
        assert.notEqual(planted, text, "the fixture edit did not apply");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), planted);
        const problems = await checkStackFiles(dir);
        assert.equal(problems.length, 1);
        assert.equal(problems[0].file, "Pulumi.yaml");
        assert.match(problems[0].message, /declared secret: true but has a default/);
    });

    it("a stack file that is not YAML is reported, not skipped", async () => {
        append("Pulumi.prod.yaml", "  : [unclosed\n");
        const problems = await checkStackFiles(dir);
        assert.equal(problems[0]?.file, "Pulumi.prod.yaml");
        assert.match(problems[0].message, /not valid YAML/);
    });
});
