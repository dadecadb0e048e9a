/**
 * Shared set-up of the real-engine tests: the toolchain from tools/engine/build.sh must be there (CI builds it, so
 * there a missing toolchain fails; on a laptop without Go the tests skip and say how to get it), and the offline
 * tools run as subprocesses, one stack each, as users run them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, TOOLS_BIN } from "../../tools/engine/workspace";

export { ENGINE_SET, setArgs } from "../../tools/engine/workspace";

export function toolchainMissing(): string | undefined {
    const missing = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-kubernetes"].filter(
        (b) => !fs.existsSync(path.join(TOOLS_BIN, b)),
    );
    return missing.length
        ? `the real Pulumi toolchain is not built (${missing.join(", ")}); run: npm run engine:build`
        : undefined;
}

/** Skips the suite (locally) or fails it (CI, where .ci/run builds the toolchain) when the toolchain is missing. */
export function requireToolchain(ctx: Mocha.Context): void {
    const missing = toolchainMissing();
    if (!missing) return;
    if (process.env.CI) throw new Error(missing);
    console.log(`      skipped: ${missing}`);
    ctx.skip();
}

/** Runs one of the project's npm scripts' entry points under the pinned Node; returns exit code and output. */
export function runTool(script: string, args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "node"), ["--import", "tsx", script, ...args], {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}
