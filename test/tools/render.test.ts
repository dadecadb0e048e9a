/**
 * The offline render CLI (tools/render.ts), run as a child process: both stacks render; manifests are named
 * kind-namespace-name; resources.json records every resource with its options; charts carry repo/chart/version/values;
 * user mistakes exit 2 with a message and no stack trace; `--preview` works; secrets never reach any output; the
 * `--summary` text prints (what `npm run render -- --stack <name>` shows). Also the program-level wiring the stacks'
 * configuration drives.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHARTS } from "../../components/lib/charts";
import { SECRET_PLACEHOLDER } from "../../tools/mockRuntime";
import { loadStackConfig } from "../../tools/stacks";
import {
    CliResult,
    freshDir,
    listFiles,
    readRenderDir,
    REPO_ROOT,
    RenderedStack,
    renderedStack,
    runRenderCli,
    stackNames,
    TEST_WEBHOOK_URL,
    WITH_ALERTS,
} from "../helpers/renderedStack";

const STACKS = stackNames();
const CHART = "kubernetes:helm.sh/v4:Chart";
/** A Kubernetes object type token: `kubernetes:<group>/<version>:<Kind>` (not a provider, not a chart). */
const K8S_OBJECT = /^kubernetes:([^:]+)\/([^/:]+):([A-Za-z0-9]+)$/;

const isObjectResource = (r: { type: string; custom: boolean }) => r.custom && K8S_OBJECT.test(r.type);
/** `kind-namespace-name.yaml` (cluster-scoped: `kind-name.yaml`), each part limited to file-name-safe characters. */
const expectedFileName = (kind: string, namespace: string | undefined, name: string) => {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_");
    return `${safe(kind.toLowerCase())}-${namespace ? `${safe(namespace)}-` : ""}${safe(name)}.yaml`;
};
/** The Secrets that hold the alert webhook URL (Argo Rollouts notifications, falcosidekick). */
const WEBHOOK_SECRETS = ["argo-rollouts-notification-secret", "falcosidekick-outputs"];
/** Lines of a JavaScript stack trace. */
const STACK_TRACE_LINE = /^\s{4}at /m;

/** Every file a render wrote, with its content. */
function allOutput(r: RenderedStack): string {
    return r.files.map((f) => fs.readFileSync(path.join(r.dir, f), "utf8")).join("\n") + r.stdout + r.stderr;
}

describe("offline render CLI", function () {
    this.timeout(300_000);

    const renders = new Map<string, RenderedStack>();
    const withAlerts = new Map<string, RenderedStack>();
    const previews = new Map<string, RenderedStack>();

    before(async () => {
        await Promise.all(
            STACKS.flatMap((stack) => [
                renderedStack(stack).then((r) => renders.set(stack, r)),
                renderedStack(stack, WITH_ALERTS).then((r) => withAlerts.set(stack, r)),
                renderedStack(stack, ["--preview", ...WITH_ALERTS]).then((r) => previews.set(stack, r)),
            ]),
        );
    });

    it("finds both stacks", () => {
        assert.deepEqual(STACKS, ["prod", "staging"]);
    });

    for (const stack of ["staging", "prod"]) {
        describe(`stack ${stack}`, () => {
            const r = () => renders.get(stack)!;

            it("renders: exit 0, manifests and resources.json written, progress on stderr", () => {
                assert.equal(r().code, 0);
                assert.ok(r().manifests.length > 0);
                assert.deepEqual(
                    r().files.filter((f) => !f.startsWith(`manifests${path.sep}`)),
                    [".zdp-render", "resources.json"],
                );
                // The marker lists exactly the files written (what a later --out run may replace).
                const marker = JSON.parse(fs.readFileSync(path.join(r().dir, ".zdp-render"), "utf8"));
                assert.deepEqual(
                    marker.files,
                    r()
                        .files.filter((f) => f !== ".zdp-render")
                        .map((f) => f.split(path.sep).join("/")),
                );
                assert.match(r().stderr, /\d+ resources registered, \d+ Kubernetes objects/);
                assert.equal(r().resourcesJson.stack, stack);
                assert.equal(r().resourcesJson.preview, false);
                assert.equal(r().resourcesJson.outputs.environment, stack);
            });

            it("names each manifest kind-namespace-name after the one object it holds", () => {
                for (const m of r().manifests) {
                    const o = m.object;
                    assert.equal(typeof o.kind, "string", m.file);
                    assert.equal(typeof o.apiVersion, "string", m.file);
                    assert.equal(typeof o.metadata?.name, "string", m.file);
                    assert.equal(
                        path.basename(m.file),
                        expectedFileName(o.kind!, o.metadata?.namespace, o.metadata!.name!),
                    );
                }
            });

            it("writes one manifest per Kubernetes object resource, none lost to a name clash", () => {
                const objects = r().resourcesJson.resources.filter(isObjectResource);
                const expected = objects
                    .map((res) => {
                        const kind = K8S_OBJECT.exec(res.type)![3];
                        return path.join(
                            "manifests",
                            expectedFileName(kind, res.inputs.metadata?.namespace, res.inputs.metadata?.name),
                        );
                    })
                    .sort();
                assert.equal(new Set(expected).size, expected.length, "two objects would share a file");
                assert.deepEqual(
                    r().manifests.map((m) => m.file),
                    expected,
                );
                for (const res of objects) {
                    const m = r().manifests.find(
                        (x) =>
                            x.object.metadata?.name === res.inputs.metadata?.name &&
                            x.object.metadata?.namespace === res.inputs.metadata?.namespace &&
                            x.object.kind === K8S_OBJECT.exec(res.type)![3],
                    )!;
                    const { apiVersion: _a, kind: _k, ...rest } = m.object;
                    const { apiVersion: _b, kind: _l, ...inputs } = res.inputs;
                    assert.deepEqual(rest, inputs, `${m.file} holds the resource's inputs`);
                }
            });

            it("records every resource in resources.json with urn, type, name, inputs and options", () => {
                const resources = r().resourcesJson.resources;
                const urns = new Set(resources.map((x) => x.urn));
                assert.equal(urns.size, resources.length, "URNs are unique");
                const providers = resources.filter((x) => x.type.startsWith("pulumi:providers:"));
                assert.deepEqual(
                    providers.map((p) => p.type),
                    ["pulumi:providers:kubernetes"],
                );
                const providerRefs = new Set(providers.map((p) => `${p.urn}::${p.name}-id`));
                for (const res of resources) {
                    const at = `${res.type}::${res.name}`;
                    assert.ok(
                        res.urn.startsWith(`urn:pulumi:${stack}::zdp::`) && res.urn.endsWith(`::${res.name}`),
                        at,
                    );
                    assert.equal(typeof res.type, "string", at);
                    assert.equal(typeof res.custom, "boolean", at);
                    assert.equal(typeof res.inputs, "object", at);
                    assert.ok(
                        Array.isArray(res.dependsOn) && res.dependsOn.every((u) => urns.has(u)),
                        `${at} dependsOn`,
                    );
                    assert.ok(Array.isArray(res.ignoreChanges), `${at} ignoreChanges`);
                    assert.ok(Array.isArray(res.secretInputs), `${at} secretInputs`);
                    assert.equal(typeof res.protect, "boolean", `${at} protect`);
                    // A URN names the parent's type chain (`Parent$Child`): only top-level resources have no parent,
                    // written as null so that every record has every field.
                    const nested = res.urn.split("::")[2].includes("$");
                    assert.ok("parent" in res && "provider" in res, `${at} has parent and provider fields`);
                    assert.equal(res.parent !== null, nested, `${at} parent`);
                    if (res.parent !== null) assert.ok(urns.has(res.parent!), `${at} parent ${res.parent}`);
                    // Every Kubernetes resource (objects and charts) goes through the program's explicit provider.
                    if (res.type.startsWith("kubernetes:")) {
                        assert.ok(
                            res.provider !== null && providerRefs.has(res.provider!),
                            `${at} provider ${res.provider}`,
                        );
                    }
                }
            });

            it("records every chart with its repository, chart, pinned version and values", () => {
                const charts = r().find(CHART);
                const pinned = Object.values(CHARTS);
                assert.equal(charts.length, pinned.length, "each pinned chart installed once");
                for (const c of charts) {
                    const i = c.inputs;
                    const match = pinned.find((p) => p.chart === i.chart && p.repo === i.repositoryOpts?.repo);
                    assert.ok(match, `${c.name}: ${i.chart} from ${i.repositoryOpts?.repo} is not a pinned chart`);
                    assert.equal(i.version, match.version, c.name);
                    assert.ok(
                        i.values !== null && typeof i.values === "object" && Object.keys(i.values).length > 0,
                        c.name,
                    );
                    assert.equal(typeof i.namespace, "string", c.name);
                }
            });
        });
    }

    describe("program wiring, from each stack's configuration", () => {
        const raw = (stack: string, key: string) => loadStackConfig(REPO_ROOT, stack).config[`zdp:${key}`];

        it("passes each stack's replicas to istiod, the gateway and the Rollouts controller", () => {
            for (const stack of STACKS) {
                const r = renders.get(stack)!;
                const istiod = r.get(CHART, "mesh-istiod").inputs.values;
                assert.equal(istiod.pilot.replicaCount, Number(raw(stack, "istiodReplicas")), stack);
                const gateway = r.get(CHART, "mesh-gateway").inputs.values;
                assert.equal(gateway.replicaCount, Number(raw(stack, "gatewayReplicas")), stack);
                const controller = r.get(CHART, "rollouts-chart").inputs.values.controller;
                assert.equal(controller.replicas, Number(raw(stack, "rolloutsControllerReplicas")), stack);
                // The chart's own ServiceMonitor only while ReleaseObservability does not scrape the controller.
                assert.equal(
                    controller.metrics.serviceMonitor.enabled,
                    raw(stack, "serviceMonitors") === "true" && raw(stack, "releaseMonitoring") !== "true",
                    stack,
                );
                if (raw(stack, "releaseMonitoring") === "true") {
                    // Exactly one ServiceMonitor selects the controller (trivy-operator has its own).
                    const controllerScrapes = r
                        .find("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")
                        .filter(
                            (m) => m.inputs.spec.selector.matchLabels?.["app.kubernetes.io/name"] === "argo-rollouts",
                        );
                    assert.equal(controllerScrapes.length, 1, `${stack}: one scrape of the Rollouts controller`);
                }
            }
        });

        it("renders HA only in prod", () => {
            const staging = renders.get("staging")!;
            const prod = renders.get("prod")!;
            assert.equal(
                staging.get(CHART, "mesh-istiod").inputs.values.global.defaultPodDisruptionBudget.enabled,
                false,
            );
            assert.equal(prod.get(CHART, "mesh-istiod").inputs.values.global.defaultPodDisruptionBudget.enabled, true);
            assert.equal(staging.get(CHART, "rollouts-chart").inputs.values.controller.pdb.enabled, false);
            assert.equal(prod.get(CHART, "rollouts-chart").inputs.values.controller.pdb.enabled, true);
        });

        it("passes each stack's scan thresholds to trivy-operator", () => {
            for (const stack of STACKS) {
                const values = renders.get(stack)!.get(CHART, "trivy-chart").inputs.values;
                const severities: string[] = JSON.parse(raw(stack, "scanSeverities"));
                assert.deepEqual(values.trivy.severity.split(",").sort(), [...severities].sort(), stack);
                assert.equal(values.operator.scanJobsConcurrentLimit, Number(raw(stack, "scanConcurrency")), stack);
                assert.equal(renders.get(stack)!.resourcesJson.outputs.scanSeverity, values.trivy.severity, stack);
            }
        });

        it("creates the pipeline identities after the mesh's service namespaces", () => {
            for (const stack of STACKS) {
                const r = renders.get(stack)!;
                const deps = r.get("zdp:index:PipelineIdentities", "pipeline").dependsOn;
                const serviceNamespaces = r
                    .find("kubernetes:core/v1:Namespace")
                    .filter((n) => n.name.startsWith("mesh-ns-"));
                assert.ok(serviceNamespaces.length > 0, stack);
                for (const ns of serviceNamespaces) assert.ok(deps.includes(ns.urn), `${stack}: ${ns.name}`);
            }
        });

        it("orders Istio base → istiod → gateway and the service namespaces after istiod", () => {
            for (const stack of STACKS) {
                const r = renders.get(stack)!;
                const base = r.get(CHART, "mesh-base").urn;
                const istiod = r.get(CHART, "mesh-istiod");
                assert.ok(istiod.dependsOn.includes(base), stack);
                assert.ok(r.get(CHART, "mesh-gateway").dependsOn.includes(istiod.urn), stack);
                assert.ok(
                    r
                        .get("kubernetes:security.istio.io/v1:PeerAuthentication", "mesh-strict-mtls")
                        .dependsOn.includes(base),
                );
                for (const ns of r.find("kubernetes:core/v1:Namespace").filter((n) => n.name.startsWith("mesh-ns-"))) {
                    assert.ok(ns.dependsOn.includes(istiod.urn), `${stack}: ${ns.name}`);
                }
            }
        });

        it("turns alerts off without a webhook and on with one", () => {
            for (const stack of STACKS) {
                assert.equal(renders.get(stack)!.resourcesJson.outputs.notificationsEnabled, false, stack);
                assert.equal(withAlerts.get(stack)!.resourcesJson.outputs.notificationsEnabled, true, stack);
                const webhookSecrets = (r: RenderedStack) =>
                    r.manifests.filter(
                        (m) => m.object.kind === "Secret" && WEBHOOK_SECRETS.includes(m.object.metadata?.name ?? ""),
                    );
                assert.deepEqual(webhookSecrets(renders.get(stack)!), [], stack);
                assert.equal(webhookSecrets(withAlerts.get(stack)!).length, WEBHOOK_SECRETS.length, stack);
            }
        });
    });

    describe("secrets", () => {
        it("never writes a --set-secret value to any file, stdout or stderr", () => {
            for (const r of [...withAlerts.values(), ...previews.values()]) {
                const leaked = r.files.filter((f) =>
                    fs.readFileSync(path.join(r.dir, f), "utf8").includes(TEST_WEBHOOK_URL),
                );
                assert.deepEqual(leaked, [], `${r.stack} ${r.args.join(" ")}`);
                assert.ok(!allOutput(r).includes(TEST_WEBHOOK_URL), `${r.stack} ${r.args.join(" ")}`);
                // Nor a recognisable part of it.
                assert.ok(!allOutput(r).includes(new URL(TEST_WEBHOOK_URL).pathname), r.stack);
            }
        });

        it('renders the webhook Secrets with "[secret]" values and marks the inputs secret', () => {
            for (const r of [...withAlerts.values(), ...previews.values()]) {
                const secrets = r.manifests.filter(
                    (m) => m.object.kind === "Secret" && WEBHOOK_SECRETS.includes(m.object.metadata?.name ?? ""),
                );
                assert.deepEqual(
                    secrets.map((m) => m.object.metadata?.name).sort(),
                    [...WEBHOOK_SECRETS].sort(),
                    r.stack,
                );
                for (const m of secrets) {
                    const values = Object.values(m.object.stringData as Record<string, string>);
                    assert.ok(values.length > 0, m.file);
                    assert.ok(
                        values.every((v) => v === SECRET_PLACEHOLDER),
                        `${m.file}: ${JSON.stringify(values)}`,
                    );
                }
                for (const res of r.find("kubernetes:core/v1:Secret"))
                    assert.deepEqual(res.secretInputs, ["stringData"]);
                for (const name of ["rollouts", "falco"]) {
                    const component = r.resourcesJson.resources.find((x) => x.name === name && !x.custom)!;
                    assert.ok(component.secretInputs.length > 0, `${name} records its webhook input as secret`);
                    assert.ok(JSON.stringify(component.inputs).includes(SECRET_PLACEHOLDER), name);
                }
            }
        });
    });

    describe("--preview", () => {
        for (const stack of ["staging", "prod"]) {
            it(`${stack}: renders the same objects as an update, marked as a preview`, () => {
                const p = previews.get(stack)!;
                const full = withAlerts.get(stack)!;
                assert.equal(p.code, 0);
                assert.equal(p.resourcesJson.preview, true);
                assert.match(p.stderr, /preview/);
                assert.deepEqual(
                    p.manifests.map((m) => m.file),
                    full.manifests.map((m) => m.file),
                );
                assert.deepEqual(
                    p.resourcesJson.resources.map((x) => x.urn).sort(),
                    full.resourcesJson.resources.map((x) => x.urn).sort(),
                );
            });
        }
    });

    describe("user mistakes exit 2 with a message, no stack trace", () => {
        /** Each case's CLI run, started together in `before` (the helper bounds how many run at once). */
        const runs = new Map<string, Promise<CliResult & { out?: string }>>();
        const run = (key: string, args: string[], out?: string) =>
            runs.set(
                key,
                runRenderCli(out ? [...args, "--out", out] : args).then((r) => ({ ...r, out })),
            );

        const badConfig: [string, string[], RegExp][] = [
            [
                "an integer out of range",
                ["--set", "istiodReplicas=0"],
                /config zdp:istiodReplicas must be an integer from 1 to 10 \(got "0"\)/,
            ],
            ["a non-integer", ["--set", "scanConcurrency=many"], /config zdp:scanConcurrency must be an integer/],
            [
                "a value not allowed",
                ["--set", "environment=qa"],
                /config zdp:environment must be one of "staging", "prod" \(got "qa"\)/,
            ],
            [
                "a malformed list",
                ["--set", "scanSeverities=HIGH"],
                /config zdp:scanSeverities must be a list of strings/,
            ],
            ["malformed services", ["--set", "services=not-json"], /zdp:services/],
        ];
        const usage: [string, string[]][] = [
            ["no --stack", ["--out", "x"]],
            ["an unknown option", ["--stack", "staging", "--colour"]],
            ["--set without KEY=VALUE", ["--stack", "staging", "--set", "istiodReplicas"]],
        ];

        before(async () => {
            run("unknown stack", ["--stack", "qa"], freshDir("qa"));
            for (const [what, args] of badConfig) run(what, ["--stack", "staging", ...args], freshDir("bad"));
            run("component", ["--stack", "prod", "--set", "pipelineNamespace=Platform_CI"]);
            for (const [what, args] of usage) run(what, args);
            await Promise.all(runs.values());
        });

        it("an unknown stack lists the project's stacks and writes nothing", async () => {
            const r = await runs.get("unknown stack")!;
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /unknown stack "qa"/);
            for (const stack of STACKS) assert.ok(r.stderr.includes(stack), `lists ${stack}: ${r.stderr}`);
            assert.ok(!STACK_TRACE_LINE.test(r.stderr), r.stderr);
            assert.deepEqual(listFiles(r.out!), []);
        });

        for (const [what, , message] of badConfig) {
            it(`bad config (${what}) names the key and writes nothing`, async () => {
                const r = await runs.get(what)!;
                assert.equal(r.code, 2, r.stderr);
                assert.match(r.stderr, message);
                assert.ok(!STACK_TRACE_LINE.test(r.stderr), r.stderr);
                assert.deepEqual(listFiles(r.out!), []);
            });
        }

        it("a value a component would refuse is refused first, naming the stack key and the fix", async () => {
            const r = await runs.get("component")!;
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /config zdp:pipelineNamespace must be a DNS-1123 label/);
            assert.match(r.stderr, /fix it with: pulumi config set --stack prod zdp:pipelineNamespace <value>/);
            assert.ok(!STACK_TRACE_LINE.test(r.stderr), r.stderr);
        });

        for (const [what] of usage) {
            it(`usage: ${what} prints the usage`, async () => {
                const r = await runs.get(what)!;
                assert.equal(r.code, 2, r.stderr);
                assert.match(r.stderr, /usage: npm run render -- --stack <name>/);
                assert.ok(!STACK_TRACE_LINE.test(r.stderr), r.stderr);
            });
        }
    });

    describe("summary (--summary, what the CLI prints without --out)", () => {
        it("prints resources per component, objects per kind, charts and outputs, consistent with the render", async () => {
            const stack = "staging";
            const args = ["--stack", stack, "--summary"];
            const r = await runRenderCli(args);
            assert.equal(r.code, 0, r.stderr);
            const full = renders.get(stack)!;
            const lines = r.stdout.split("\n");
            assert.equal(
                lines[0],
                `Stack ${stack}: ${full.resourcesJson.resources.length} resources, ${full.manifests.length} Kubernetes objects`,
            );
            for (const heading of [
                "Resources by component:",
                "Kubernetes objects by kind:",
                "Helm charts",
                "Stack outputs:",
            ]) {
                assert.ok(
                    lines.some((l) => l.startsWith(heading)),
                    heading,
                );
            }
            for (const c of full.find(CHART)) {
                assert.ok(
                    lines.some(
                        (l) =>
                            l.trim().startsWith(c.inputs.chart) &&
                            l.includes(c.inputs.version) &&
                            l.includes(c.inputs.repositoryOpts.repo),
                    ),
                    `${c.inputs.chart} ${c.inputs.version}`,
                );
            }
            const kinds = new Map<string, number>();
            for (const mf of full.manifests) kinds.set(mf.object.kind!, (kinds.get(mf.object.kind!) ?? 0) + 1);
            for (const [kind, n] of kinds)
                assert.ok(
                    lines.some((l) => new RegExp(`^  ${kind}\\s+${n}$`).test(l)),
                    `${kind} ${n}`,
                );
            for (const key of Object.keys(full.resourcesJson.outputs)) {
                assert.ok(
                    lines.some((l) => l.trim().startsWith(`${key} `)),
                    `output ${key}`,
                );
            }
            // Without --out, nothing is written.
            assert.doesNotMatch(r.stderr, /wrote /);
        });

        it("reads the rendered output back the same way the helper does", () => {
            // readRenderDir is what renderedStack uses; run it on an existing render to check it is deterministic.
            const r = renders.get("staging")!;
            const again = readRenderDir(r.dir);
            assert.deepEqual(again.manifests, r.manifests);
            assert.deepEqual(again.resourcesJson, r.resourcesJson);
        });
    });
});
