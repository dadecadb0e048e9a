/**
 * Runs the platform program once under the mock runtime and collects what it declares. One render per process:
 * the SDK's runtime state is global, so callers that need several stacks run the render CLI once per stack.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KubeObject, objectOf } from "../policy-pack/lib/kubernetes";
import { outputDetails, RecordedResource, SECRET_PLACEHOLDER, startMockRuntime } from "./mockRuntime";
import type { ConfigOverrides } from "./engineConfig";
import { loadStackConfig } from "./stacks";

export interface RenderOptions extends ConfigOverrides {
    root: string;
    stack: string;
    preview?: boolean;
    onProgress?: (registered: number) => void;
}

export interface RenderResult {
    stack: string;
    preview: boolean;
    resources: RecordedResource[];
    /** Every Kubernetes object declared directly by the program (chart contents are rendered by the provider at deploy time). */
    objects: KubeObject[];
    /** The resource each entry of `objects` was registered as (same order). */
    objectResources: RecordedResource[];
    /** Stack outputs, secrets as "[secret]". */
    outputs: Record<string, unknown>;
}

/** Renders `stack` of the project in `root`. Throws `UsageError`/`ConfigError`/`ResourceError` for user mistakes. */
export async function renderStack(opts: RenderOptions): Promise<RenderResult> {
    const preview = opts.preview ?? false;
    // Overrides go through the engine's checks with the stack file, as `pulumi config set` then `pulumi preview` would.
    const stackConfig = loadStackConfig(opts.root, opts.stack, { set: opts.set, setSecret: opts.setSecret });
    pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);

    const session = await startMockRuntime({ project: stackConfig.project, stack: opts.stack, preview });
    const timer = opts.onProgress ? setInterval(() => opts.onProgress!(session.resources.length), 250) : undefined;
    let outputs: Record<string, unknown>;
    try {
        const program = require(path.join(opts.root, "index.ts")) as Record<string, unknown>;
        outputs = await resolveOutputs(program);
        await session.settle();
    } finally {
        if (timer) clearInterval(timer);
    }

    const objects: KubeObject[] = [];
    const objectResources: RecordedResource[] = [];
    for (const r of session.resources) {
        if (!r.custom || r.type.startsWith("pulumi:providers:")) continue;
        const obj = objectOf(r.type, r.inputs);
        if (obj) {
            objects.push(obj);
            objectResources.push(r);
        }
    }
    return { stack: opts.stack, preview, resources: session.resources, objects, objectResources, outputs };
}

/** Resolves the program's exports the way the engine resolves stack outputs; secrets become "[secret]". */
export async function resolveOutputs(program: Record<string, unknown>): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) {
            const { value: v, isKnown, isSecret } = await outputDetails(value);
            out[key] = isSecret ? SECRET_PLACEHOLDER : isKnown ? v : "[unknown]";
        } else {
            out[key] = value;
        }
    }
    return out;
}

/** A short text summary: resources per component, Kubernetes objects per kind, charts and stack outputs. */
/**
 * Names the outermost platform component a resource belongs to (`BlueGreenService "shop-checkout"`), or
 * "(program)" for resources the program creates directly.
 */
export function componentNamer(result: RenderResult): (r: RecordedResource) => string {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    return (r) => {
        let cur: RecordedResource | undefined = r;
        let top: RecordedResource | undefined;
        while (cur) {
            if (!cur.custom && cur.type.startsWith("zdp:")) top = cur;
            cur = cur.parent ? byUrn.get(cur.parent) : undefined;
        }
        return top ? `${top.type.split(":").pop()} "${top.name}"` : "(program)";
    };
}

export function summarize(result: RenderResult): string {
    const topComponent = componentNamer(result);
    const perComponent = new Map<string, number>();
    for (const r of result.resources) {
        const c = topComponent(r);
        perComponent.set(c, (perComponent.get(c) ?? 0) + 1);
    }
    const perKind = new Map<string, number>();
    for (const o of result.objects) perKind.set(String(o.kind), (perKind.get(String(o.kind)) ?? 0) + 1);
    const charts = result.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");

    const lines: string[] = [];
    lines.push(
        `Stack ${result.stack}${result.preview ? " (preview)" : ""}: ${result.resources.length} resources, ${result.objects.length} Kubernetes objects`,
    );
    lines.push("", "Resources by component:");
    for (const [c, n] of [...perComponent].sort()) lines.push(`  ${c.padEnd(40)} ${n}`);
    lines.push("", "Kubernetes objects by kind:");
    for (const [k, n] of [...perKind].sort()) lines.push(`  ${k.padEnd(40)} ${n}`);
    lines.push("", "Helm charts (rendered by the provider at deploy time):");
    for (const c of charts) {
        const i: Record<string, unknown> = c.inputs;
        const opts = i.repositoryOpts;
        const repo = opts !== null && typeof opts === "object" ? (opts as { repo?: unknown }).repo : undefined;
        lines.push(`  ${String(i.chart).padEnd(16)} ${String(i.version).padEnd(8)} ${repo ?? ""} -> ns ${i.namespace}`);
    }
    lines.push("", "Stack outputs:");
    for (const [k, v] of Object.entries(result.outputs)) lines.push(`  ${k.padEnd(26)} ${JSON.stringify(v)}`);
    return `${lines.join("\n")}\n`;
}
