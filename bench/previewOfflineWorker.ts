/**
 * One measurement of the scale benchmark, in a process of its own so that peak memory is its own.
 *
 *   benchWorker floor <resources>         the SDK registering that many bare resources (tiny inputs, no parents)
 *   benchWorker replay <services> <file>  the SDK registering exactly what the program registered for that many
 *                                         services (same types, names, parents and inputs, as plain values, through
 *                                         the same @pulumi/kubernetes classes), read from <file>: the cost of the
 *                                         resources themselves, without the program's own work
 *   benchWorker program <services> [file] the platform program (staging stack) with that many services, then the
 *                                         policy pack; writes what it registered to [file] for `replay`
 *
 * Prints one JSON line: {ms, policyMs?, resources, objects?, maxRssMiB}. Times are wall-clock milliseconds, or with
 * BENCH_CLOCK=cpu the CPU time of this process over the same span (user + system, garbage collector threads
 * included): on a machine other work shares, CPU time moves far less than wall time with that work.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { apiextensions } from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PolicyEngine } from "../policy-pack/lib/engine";
import { startMockRuntime } from "../tools/mockRuntime";
import { loadPackConfig } from "../tools/previewOffline";
import { renderStack } from "../tools/renderStack";
import { errorText, loadStackConfig } from "../tools/stacks";

const ROOT = path.resolve(__dirname, "..");

/** The benchmark's clock, in milliseconds: wall time, or this process's CPU time with BENCH_CLOCK=cpu. */
const now =
    process.env.BENCH_CLOCK === "cpu"
        ? () => {
              const { user, system } = process.cpuUsage();
              return (user + system) / 1000;
          }
        : () => performance.now();

/** A service entry of the stack's `zdp:services`, as far as the benchmark varies it. */
interface StackService {
    name: string;
    traffic?: { hosts?: string[]; [field: string]: unknown };
    [field: string]: unknown;
}

/**
 * `count` services modelled on the staging stack's own, spread over 20 namespaces. Each public host gets the
 * service's index as a prefix: the program refuses two services routing one host.
 */
export function generatedServices(count: number): unknown[] {
    const base = JSON.parse(loadStackConfig(ROOT, "staging").config["zdp:services"]) as StackService[];
    return Array.from({ length: count }, (_, i) => {
        const svc = base[i % base.length];
        const hosts = svc.traffic?.hosts;
        return {
            ...svc,
            name: `${svc.name}-${i}`,
            namespace: `team-${i % 20}`,
            ...(hosts ? { traffic: { ...svc.traffic, hosts: hosts.map((h) => `s${i}-${h}`) } } : {}),
        };
    });
}

/** The cheapest resource the SDK can register: no inputs beyond an index, no children. */
class Bare extends pulumi.CustomResource {
    constructor(name: string, index: number) {
        super("bench:index:Bare", name, { index });
    }
}

async function floor(resources: number): Promise<object> {
    const session = await startMockRuntime({ project: "bench", stack: "bench" });
    const start = now();
    for (let i = 0; i < resources; i++) {
        new Bare(`bare-${i}`, i);
    }
    await session.settle();
    return { ms: now() - start, resources: session.resources.length };
}

type Kubernetes = typeof import("@pulumi/kubernetes");
type ResourceClass = new (name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) => pulumi.Resource;
type MakeResource = (name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) => pulumi.Resource;

/**
 * The class the Kubernetes SDK itself would use for a recorded type token (`kubernetes:core/v1:Service` →
 * `k8s.core.v1.Service`, a CRD kind → `k8s.apiextensions.CustomResource`), so that the floor pays what any program
 * declaring these objects with @pulumi/kubernetes pays (its aliases, versions, secret outputs), and nothing more.
 */
function kubernetesClass(k8s: Kubernetes, type: string): MakeResource | undefined {
    const m = /^kubernetes:([^:/]+)\/([^:]+):(\w+)$/.exec(type);
    if (!m) return undefined;
    const [, group, version, kind] = m;
    const module = {
        core: "core",
        apps: "apps",
        policy: "policy",
        "rbac.authorization.k8s.io": "rbac",
        "networking.k8s.io": "networking",
        "helm.sh": "helm",
    }[group];
    // The SDK's modules by name (`k8s.core.v1.Service`), read as plain maps of classes.
    const modules = k8s as unknown as Record<
        string,
        Record<string, Record<string, ResourceClass | undefined>> | undefined
    >;
    const cls = module ? modules[module]?.[version]?.[kind] : undefined;
    if (cls) return (name, inputs, opts) => new cls(name, inputs, opts);
    // A recorded custom resource's inputs carry its apiVersion and kind.
    return (name, inputs, opts) =>
        new k8s.apiextensions.CustomResource(name, inputs as apiextensions.CustomResourceArgs, opts);
}

/** Any other custom resource: registered as is. */
class ReplayedResource extends pulumi.CustomResource {
    constructor(type: string, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(type, name, inputs, opts);
    }
}

class ReplayedComponent extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
    }

    done(): void {
        this.registerOutputs({});
    }
}

interface Recorded {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent: string | null;
    inputs: Record<string, unknown>;
}

async function replay(file: string): Promise<object> {
    const recorded: Recorded[] = JSON.parse(fs.readFileSync(file, "utf8"));
    const k8s = await import("@pulumi/kubernetes");
    const session = await startMockRuntime({ project: "bench", stack: "bench" });
    const start = now();
    const created = new Map<string, pulumi.Resource>();
    const components: ReplayedComponent[] = [];
    for (const r of recorded) {
        if (r.type.startsWith("pulumi:providers:")) continue;
        const parent = r.parent ? created.get(r.parent) : undefined;
        const make = kubernetesClass(k8s, r.type);
        if (make) {
            created.set(r.urn, make(r.name, r.inputs, { parent }));
        } else if (r.custom) {
            created.set(r.urn, new ReplayedResource(r.type, r.name, r.inputs, { parent }));
        } else {
            const c = new ReplayedComponent(r.type, r.name, { parent });
            components.push(c);
            created.set(r.urn, c);
        }
    }
    for (const c of components) c.done();
    await session.settle();
    return { ms: now() - start, resources: session.resources.length };
}

async function program(services: number, dump?: string): Promise<object> {
    // Load (and compile) the modules first: the benchmark compares registration work, not module start-up, which
    // is the same one-off cost for any program using @pulumi/kubernetes.
    await import("@pulumi/kubernetes");
    await import("../components");
    // The benchmark's input, made before the clock starts: generating it is not the program's work.
    const set = { services: JSON.stringify(generatedServices(services)) };
    const start = now();
    const result = await renderStack({ root: ROOT, stack: "staging", set });
    const ms = now() - start;
    if (dump) {
        const recorded: Recorded[] = result.resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            parent: r.parent ?? null,
            inputs: r.inputs,
        }));
        fs.writeFileSync(dump, JSON.stringify(recorded));
    }
    // The whole pack with the staging policy config, image signatures not verified (no registry here; the
    // signature path has its own benchmark, npm run bench:images).
    const { config } = loadPackConfig("staging");
    const t = now();
    const engine = new PolicyEngine({ config });
    const violations = await engine.check(result.objects.map((object) => ({ object })));
    const policyMs = now() - t;
    return {
        ms,
        policyMs,
        resources: result.resources.length,
        objects: result.objects.length,
        violations: violations.length,
    };
}

async function main(): Promise<void> {
    // The SDK captures a stack trace for every resource and every internal promise. tsx turns on source-map
    // translation of stack traces, which makes each capture cost in proportion to the TypeScript frames on the stack,
    // a tax on running TypeScript through tsx rather than on the work measured. Both sides run without it.
    if (process.env.BENCH_SOURCE_MAPS !== "1") process.setSourceMapsEnabled(false);
    const [mode, n, file] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
    if (!Number.isInteger(n) || n <= 0) throw new Error("usage: benchWorker floor|replay|program <count> [file]");
    const out =
        mode === "floor"
            ? await floor(n)
            : mode === "replay"
              ? await replay(file)
              : mode === "program"
                ? await program(n, file)
                : undefined;
    if (!out) throw new Error(`unknown mode "${mode}"`);
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`${JSON.stringify({ ...out, maxRssMiB })}\n`);
}

if (require.main === module) {
    main().catch((e: unknown) => {
        process.stderr.write(`${errorText(e, false)}\n`);
        process.exit(1);
    });
}
