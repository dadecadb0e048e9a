/**
 * The registry tests' use of the local registry (bench/localRegistry.ts, shared with `npm run bench:images`): the same
 * exports, plus skipping a suite when the registry binary is missing.
 */
import { registryUnavailableReason } from "../../../../bench/localRegistry";

export { pushTestImage, startRegistry } from "../../../../bench/localRegistry";
export type { TestRegistry } from "../../../../bench/localRegistry";

/**
 * For a suite's `before`: skips the suite, saying why, when the registry binary is missing on a developer machine;
 * fails it in CI (`CI` set), where a missing registry must not pass the registry tests off as skipped.
 */
export function requireRegistry(ctx: Mocha.Context, env: NodeJS.ProcessEnv = process.env): void {
    const reason = registryUnavailableReason();
    if (!reason) return;
    if (env.CI) throw new Error(`the registry tests cannot run in CI: ${reason}`);
    console.log(`      skipping the registry tests: ${reason}`);
    ctx.skip();
}
