/**
 * Runs a consumer program (a path to its index.ts) under the mock runtime and prints what it registered and its
 * outputs as JSON. Used by the import-path test, in a child process so that the consumer resolves "zdp" the way an
 * installed package would.
 */
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime } from "../tools/mockRuntime";
import { resolveOutputs } from "../tools/renderStack";

async function main(): Promise<void> {
    const [program, configJson] = process.argv.slice(2);
    const { config, secretKeys } = JSON.parse(configJson) as { config: Record<string, string>; secretKeys: string[] };
    pulumi.runtime.setAllConfig(config, secretKeys);
    const session = await startMockRuntime({ project: "orders", stack: "dev" });
    const outputs = await resolveOutputs(require(program));
    await session.settle();
    process.stdout.write(
        JSON.stringify({
            outputs,
            resources: session.resources.map((r) => ({
                type: r.type,
                name: r.name,
                secretInputs: r.secretInputs,
                inputs: r.inputs,
            })),
        }),
    );
}

main().catch((e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
});
