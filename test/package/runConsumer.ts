/**
 * Runs a consumer program (a path to its index.ts) under the mock runtime and prints what it registered and its
 * outputs as JSON. Used by the import-path test, in a child process so that the consumer resolves "zdp" the way an
 * installed package would.
 */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_PLACEHOLDER, startMockRuntime } from "../tools/mockRuntime";

async function main(): Promise<void> {
    const [program, configJson] = process.argv.slice(2);
    const { config, secretKeys } = JSON.parse(configJson) as { config: Record<string, string>; secretKeys: string[] };
    pulumi.runtime.setAllConfig(config, secretKeys);
    const session = await startMockRuntime({ project: "orders", stack: "dev" });
    const exports: Record<string, pulumi.Output<unknown>> = require(program);
    const outputs: Record<string, unknown> = {};
    for (const [k, o] of Object.entries(exports)) {
        const [value, secret] = await Promise.all([(o as any).promise(), (o as any).isSecret]);
        outputs[k] = secret ? SECRET_PLACEHOLDER : value;
    }
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
