/**
 * Renders a stack of a copy of the project (not this checkout) and runs the policy pack over it with this
 * checkout's policy config for the stack, as `npm run preview:offline` does. One render per process (the SDK's
 * runtime state is global), so tests run it as a child:
 *
 *   node --import tsx test/docs/renderCopy.ts ROOT STACK '{"set": {...}, "setSecret": {...}}'
 *
 * Prints `{objects, outputs, violations}` as JSON. Exit codes: 0 rendered; 2 a configuration or usage error (the
 * message on stderr), as the render's.
 */
import * as pulumi from "@pulumi/pulumi";
import { PolicyEngine } from "../../policy-pack/lib/engine";
import { loadPackConfig } from "../../tools/previewOffline";
import { renderStack } from "../../tools/renderStack";
import { UsageError } from "../../tools/stacks";

async function main(): Promise<void> {
    const [root, stack, overrides] = process.argv.slice(2);
    if (!root || !stack) throw new UsageError("usage: renderCopy.ts ROOT STACK [OVERRIDES_JSON]");
    const { set, setSecret } = JSON.parse(overrides ?? "{}");
    const result = await renderStack({ root, stack, set, setSecret });
    const engine = new PolicyEngine({ config: loadPackConfig(stack).config });
    const violations = await engine.check(
        result.objects.map((object, i) => ({ object, file: result.objectResources[i].urn })),
    );
    process.stdout.write(JSON.stringify({ objects: result.objects, outputs: result.outputs, violations }));
}

main().catch((err) => {
    const known = err instanceof UsageError || pulumi.RunError.isInstance(err) || pulumi.ResourceError.isInstance(err);
    process.stderr.write(`error: ${known ? err.message : (err?.stack ?? err)}\n`);
    process.exit(known ? 2 : 1);
});
