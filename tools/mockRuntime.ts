/**
 * The Pulumi SDK's mock runtime, recording what a program registers. Used by the offline render and by the unit
 * tests: the real SDK and the real component code run; only the engine and providers are replaced.
 *
 * The SDK's `MockMonitor` hands `newResource` the type, name and inputs but not the resource options, so a subclass
 * reads the options (`dependsOn`, `ignoreChanges`, `protect`, parent, provider) from the same register request the
 * engine would receive.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settingsModule from "@pulumi/pulumi/runtime/settings";
import * as stateModule from "@pulumi/pulumi/runtime/state";

// Two SDK functions marked @internal (so missing from its type declarations) that the mock runtime needs: the store
// holding the monitor, and the wait for outstanding registrations.
const state = stateModule as unknown as { getStore(): { settings: { monitor: unknown } } };
const settings = settingsModule as unknown as { waitForRPCs(): Promise<void> };

/** Placeholder written wherever a value is a Pulumi secret: secrets never reach render output. */
export const SECRET_PLACEHOLDER = "[secret]";
/** Placeholder for values unknown at preview (computed by the engine or another resource). */
export const UNKNOWN_PLACEHOLDER = "[unknown]";

/**
 * A resource's inputs as recorded: plain JSON data of whatever shape its type takes. Left open on purpose: tests
 * assert on deep paths of many shapes (`inputs.spec.template.spec`); the tools read it as `unknown` and narrow.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one open type, see above
export type RecordedInputs = Record<string, any>;

/** One registered resource, as the engine would see it. */
export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    /** URN of the parent; null for a resource the program creates at top level. */
    parent: string | null;
    /** Provider reference (`urn::id`); null for components and providers themselves. */
    provider: string | null;
    /** Inputs with secrets replaced by {@link SECRET_PLACEHOLDER} and unknowns by {@link UNKNOWN_PLACEHOLDER}. */
    inputs: RecordedInputs;
    /** Top-level input names whose value is (or contains) a secret. */
    secretInputs: string[];
    /** Explicit dependencies: the engine's dependency list minus those implied by inputs. */
    dependsOn: string[];
    ignoreChanges: string[];
    protect: boolean;
}

/** What a test or tool can do with a registered resource's state. */
export type StateFn = (args: pulumi.runtime.MockResourceArgs, preview: boolean) => Record<string, unknown> | undefined;

/**
 * What an Output holds besides `apply` (marked @internal in the SDK, so missing from its type declarations): its
 * value with unknowns kept, and whether it is known and secret.
 */
interface OutputInternals<T> {
    promise(withUnknowns?: boolean): Promise<T>;
    readonly isKnown: Promise<boolean>;
    readonly isSecret: Promise<boolean>;
}

/** An Output's value (unknowns kept), and whether it is known and secret: what the engine reads of a stack output. */
export async function outputDetails<T>(
    o: pulumi.Output<T>,
): Promise<{ value: T | undefined; isKnown: boolean; isSecret: boolean }> {
    const internals = o as unknown as OutputInternals<T>;
    const value = await internals.promise(true);
    return { value, isKnown: await internals.isKnown, isSecret: await internals.isSecret };
}

/**
 * State a mocked provider returns: the inputs, plus what providers compute. Kubernetes objects echo their inputs
 * (names are always explicit in this project); a docker image gets a digest derived from its inputs, or none at
 * preview so that it is unknown, as with the real provider before the build.
 */
function defaultState(args: pulumi.runtime.MockResourceArgs, preview: boolean): Record<string, unknown> {
    if (args.type.startsWith("docker:") && /:Image$/.test(args.type)) {
        if (preview) return { ...args.inputs };
        const digest = `sha256:${createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex")}`;
        const imageName = String(args.inputs.imageName ?? args.name).replace(/:[^/:]+$/, "");
        return { ...args.inputs, repoDigest: `${imageName}@${digest}`, digest };
    }
    return { ...args.inputs };
}

/** The SDK's URN scheme for a registration (MockMonitor's `newUrn`, private in its declarations). */
type UrnOf = (parent: string, type: string, name: string) => string;

class RecordingMonitor extends MockMonitor {
    constructor(
        mocks: pulumi.runtime.Mocks,
        private readonly sink: RecordedResource[],
    ) {
        super(mocks);
    }

    async registerResource(
        req: RegisterResourceRequest,
        callback: (err: unknown, resp: unknown) => void,
    ): Promise<void> {
        const struct = req.getObject();
        const raw = struct?.toJavaScript() ?? {};
        // The SDK's MockMonitor converts the same Struct again to hand the mocks their inputs and only reads the
        // result: it gets this conversion instead of a second one.
        if (struct) {
            const convert = struct.toJavaScript.bind(struct);
            let once: typeof raw | undefined = raw;
            struct.toJavaScript = () => {
                const out = once ?? convert();
                // Not kept alive by the request: the inputs are recorded (scrubbed) already.
                once = undefined;
                return out;
            };
        }
        const secretInputs: string[] = [];
        const inputs: RecordedInputs = Object.fromEntries(
            Object.entries(raw).map(([key, value]) => {
                const seen = { secret: false };
                const scrubbed = scrub(value, seen);
                if (seen.secret) secretInputs.push(key);
                return [key, scrubbed];
            }),
        );
        const implied = new Set<string>();
        req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((u) => implied.add(u)));
        const urnOf: UrnOf = (this as unknown as { newUrn: UrnOf }).newUrn.bind(this);
        this.sink.push({
            urn: urnOf(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent() || null,
            provider: req.getProvider() || null,
            inputs,
            secretInputs,
            dependsOn: req.getDependenciesList().filter((u) => !implied.has(u)),
            ignoreChanges: req.getIgnorechangesList(),
            protect: req.getProtect() === true,
        });
        return super.registerResource(req, callback);
    }
}

/** Keeps a secret's shape (map keys, list lengths) so schemas still apply, but hides every leaf value. */
function maskLeaves(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(maskLeaves);
    if (v !== null && typeof v === "object" && (v as Record<string, unknown>)[rpc.specialSigKey] === undefined) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskLeaves(x)]));
    }
    return SECRET_PLACEHOLDER;
}

/**
 * Replaces secrets and unknowns by placeholders and unwraps resource references to their URN, in one walk;
 * `seen.secret` is set when a secret was met.
 */
function scrub(v: unknown, seen: { secret: boolean }): unknown {
    if (v === rpc.unknownValue) return UNKNOWN_PLACEHOLDER;
    if (Array.isArray(v)) return v.map((x) => scrub(x, seen));
    if (v === null || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    switch (o[rpc.specialSigKey]) {
        case rpc.specialSecretSig:
            seen.secret = true;
            return maskLeaves(o.value);
        case rpc.specialResourceSig:
            return o.urn;
        case rpc.specialOutputValueSig:
            return "value" in o ? scrub(o.value, seen) : UNKNOWN_PLACEHOLDER;
        default:
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, scrub(x, seen)]));
    }
}

export interface MockSession {
    /** Everything registered so far, in registration order. */
    resources: RecordedResource[];
    /** Finds registered resources by type token (exact) and, optionally, logical name. */
    find(type: string, name?: string): RecordedResource[];
    /** Like {@link find} but exactly one must match. */
    get(type: string, name: string): RecordedResource;
    /** Resolves once every registration started so far has been answered. */
    settle(): Promise<void>;
}

/**
 * Installs the mock runtime with recording. `call` throws for any invoke: this project's program makes none, so an
 * unexpected lookup fails loudly instead of returning made-up data.
 */
export async function startMockRuntime(
    opts: { project?: string; stack?: string; preview?: boolean; state?: StateFn } = {},
): Promise<MockSession> {
    const preview = opts.preview ?? false;
    const resources: RecordedResource[] = [];
    const mocks: pulumi.runtime.Mocks = {
        newResource: (args) => ({
            id: args.custom ? `${args.name}-id` : undefined,
            state: opts.state?.(args, preview) ?? defaultState(args, preview),
        }),
        call: (args) => {
            throw new Error(`unexpected provider function call ${args.token}: the program should make no invokes`);
        },
    };
    await pulumi.runtime.setMocks(mocks, opts.project ?? "zdp", opts.stack ?? "test", preview);
    // setMocks installed a plain MockMonitor and the feature flags (secrets, resource references, ...); swap in the
    // recording monitor without resetting those flags.
    state.getStore().settings.monitor = new RecordingMonitor(mocks, resources);
    const find = (type: string, name?: string) =>
        resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    return {
        resources,
        find,
        get(type, name) {
            const found = find(type, name);
            if (found.length !== 1) {
                const names = resources.filter((r) => r.type === type).map((r) => r.name);
                throw new Error(
                    `expected one ${type} named ${name}, found ${found.length} (registered: ${names.join(", ") || "none"})`,
                );
            }
            return found[0];
        },
        settle: () => settings.waitForRPCs(),
    };
}

/** Resolves an Output's value. */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => resolve(v)));
}
