/**
 * How the image commands (sign, attest) fail: one mapping of errors to exit codes and messages, and the options both
 * take, checked on the shared helper and through both commands.
 */
import * as assert from "node:assert/strict";
import { main as attest } from "../../../policy-pack/cli/attest";
import {
    InputError,
    Io,
    UsageError,
    formatOption,
    imageArgument,
    imageCommand,
    timeoutOption,
} from "../../../policy-pack/cli/imageCommand";
import { main as sign } from "../../../policy-pack/cli/sign";

/** An Io that records what a command writes. */
function recorder(): { io: Io; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

describe("image commands: errors, exit codes and shared options", () => {
    it("maps usage errors, bad input files and other failures to 2, 2 and 1, each one line after the name", async () => {
        const cases: [unknown, number, string][] = [
            [new UsageError("--key FILE is required"), 2, "tool: --key FILE is required\n\nUsage: tool"],
            [new InputError("--key k: is a directory"), 2, "tool: --key k: is a directory"],
            [
                new Error("registry.example.test: connection refused"),
                1,
                "tool: registry.example.test: connection refused",
            ],
        ];
        for (const [thrown, code, message] of cases) {
            const r = recorder();
            const main = imageCommand("tool", "Usage: tool", () => {
                throw thrown;
            });
            assert.equal(await main(["x"], r.io), code, message);
            assert.deepEqual(r.err, [message]);
            assert.deepEqual(r.out, []);
        }
        const done = recorder();
        assert.equal(await imageCommand("tool", "Usage: tool", async () => 0)(["x"], done.io), 0);
        assert.deepEqual(done.err, []);
    });

    it("prints the usage for --help or -h without running the command", async () => {
        for (const flag of ["--help", "-h"]) {
            const r = recorder();
            let ran = false;
            const main = imageCommand("tool", "Usage: tool", () => {
                ran = true;
                return 1;
            });
            assert.equal(await main(["x", flag], r.io), 0);
            assert.deepEqual(r.out, ["Usage: tool"]);
            assert.equal(ran, false);
        }
    });

    it("sign and attest report the same option mistakes the same way", async () => {
        const image = `registry.example.test/team/app@sha256:${"a".repeat(64)}`;
        const mistakes: [string[], RegExp][] = [
            [["--format", "pgp"], /--format must be cosign, bundle or both, not pgp\n\nUsage:/],
            [["--timeout", "0"], /--timeout must be a positive number of seconds\n\nUsage:/],
            [["--timeout", "soon"], /--timeout must be a positive number of seconds\n\nUsage:/],
        ];
        // attest requires --report, sign refuses it.
        for (const [name, main, required] of [
            ["sign", sign, []],
            ["attest", attest, ["--report", "r"]],
        ] as const) {
            for (const [args, message] of mistakes) {
                const r = recorder();
                assert.equal(await main([image, "--key", "k", ...required, ...args], r.io), 2, `${name} ${args}`);
                assert.equal(r.err.length, 1);
                assert.ok(r.err[0].startsWith(`${name}: `), r.err[0]);
                assert.match(r.err[0], message);
            }
            const bad = recorder();
            assert.equal(await main(["UPPER/Case@sha256:xyz", "--key", "k", ...required], bad.io), 2);
            assert.match(bad.err[0], new RegExp(`^${name}: UPPER/Case@sha256:xyz is not an image reference: `));
        }
    });

    it("defaults --format to both and --timeout to 30 seconds", () => {
        assert.equal(formatOption(undefined), "both");
        for (const f of ["cosign", "bundle", "both"]) assert.equal(formatOption(f), f);
        assert.equal(timeoutOption(undefined), 30);
        assert.equal(timeoutOption("2.5"), 2.5);
        assert.throws(() => timeoutOption("-1"), UsageError);
        assert.equal(imageArgument(`ghcr.io/acme/app@sha256:${"b".repeat(64)}`).digest, `sha256:${"b".repeat(64)}`);
        assert.throws(() => imageArgument("Not A Reference"), UsageError);
    });
});
