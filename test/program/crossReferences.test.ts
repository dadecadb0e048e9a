/**
 * Cross-references between the objects each service renders, for every Rollout of both stacks, checked on the
 * offline render (the CLI in a child process, once per stack): what a Rollout names must exist and fit together,
 * or the controller stalls at release time. The checker is also run on broken copies, so it is known to fail.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { rolloutTiming } from "../../components/lib/releaseTiming";
import type { KubeObject } from "../../policy-pack/lib/kubernetes";
import { renderedStack, RenderedStack } from "../helpers/renderedStack";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../../tools/mockRuntime";

type Obj = KubeObject & { spec?: any };

function find(objects: Obj[], kind: string, namespace: string | undefined, name: string): Obj | undefined {
    return objects.find((o) => o.kind === kind && o.metadata?.namespace === namespace && o.metadata?.name === name);
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
    return (
        selector !== undefined &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([k, v]) => labels[k] === v)
    );
}

/** Service name and namespace of an in-cluster host (`name`, `name.ns`, `name.ns.svc.cluster.local`). */
function serviceOfHost(host: string, namespace: string): { name: string; namespace: string } {
    const [name, ns] = host.split(".");
    return { name, namespace: ns ?? namespace };
}

/** Every analysis reference of a Rollout strategy, with where it is. */
function analysisRefs(strategy: any): { where: string; analysis: any }[] {
    const out: { where: string; analysis: any }[] = [];
    const bg = strategy?.blueGreen;
    if (bg?.prePromotionAnalysis)
        out.push({ where: "blueGreen.prePromotionAnalysis", analysis: bg.prePromotionAnalysis });
    if (bg?.postPromotionAnalysis)
        out.push({ where: "blueGreen.postPromotionAnalysis", analysis: bg.postPromotionAnalysis });
    const c = strategy?.canary;
    if (c?.analysis) out.push({ where: "canary.analysis", analysis: c.analysis });
    (c?.steps ?? []).forEach(
        (s: any, i: number) => s.analysis && out.push({ where: `canary.steps[${i}].analysis`, analysis: s.analysis }),
    );
    return out;
}

/** Problems with what the Rollouts among `objects` reference; empty when everything resolves. */
export function crossReferenceProblems(objects: Obj[]): string[] {
    const problems: string[] = [];
    for (const rollout of objects.filter((o) => o.kind === "Rollout")) {
        const ns = rollout.metadata!.namespace!;
        const id = `Rollout ${ns}/${rollout.metadata!.name}`;
        const podLabels: Record<string, string> = rollout.spec.template.metadata.labels;
        if (!selects(rollout.spec.selector?.matchLabels, podLabels))
            problems.push(`${id}: selector does not match its pod template`);
        const strategy = rollout.spec.strategy;

        // Services named in the Rollout exist and select its pods.
        const named = strategy.blueGreen
            ? [
                  ["activeService", strategy.blueGreen.activeService],
                  ["previewService", strategy.blueGreen.previewService],
              ]
            : [
                  ["stableService", strategy.canary.stableService],
                  ["canaryService", strategy.canary.canaryService],
              ];
        for (const [field, name] of named) {
            if (!name) continue;
            const svc = find(objects, "Service", ns, name);
            if (!svc) problems.push(`${id}: ${field} "${name}" does not exist`);
            else if (!selects(svc.spec.selector, podLabels))
                problems.push(`${id}: ${field} "${name}" does not select the pods`);
        }

        // Istio objects named in a canary's traffic routing exist and carry what the controller needs.
        const istio = strategy.canary?.trafficRouting?.istio;
        if (istio) {
            const vs = find(objects, "VirtualService", ns, istio.virtualService.name);
            const dr = istio.destinationRule
                ? find(objects, "DestinationRule", ns, istio.destinationRule.name)
                : undefined;
            if (!vs) problems.push(`${id}: VirtualService "${istio.virtualService.name}" does not exist`);
            if (istio.destinationRule && !dr)
                problems.push(`${id}: DestinationRule "${istio.destinationRule.name}" does not exist`);
            const subsetNames: string[] = (dr?.spec.subsets ?? []).map((s: any) => s.name);
            for (const field of ["stableSubsetName", "canarySubsetName"]) {
                const subset = istio.destinationRule?.[field];
                if (dr && !subsetNames.includes(subset))
                    problems.push(
                        `${id}: ${field} "${subset}" is not a subset of DestinationRule ${dr.metadata!.name}`,
                    );
            }
            if (dr) {
                const root = serviceOfHost(dr.spec.host, ns);
                const svc = find(objects, "Service", root.namespace, root.name);
                if (!svc) problems.push(`${id}: DestinationRule host ${dr.spec.host} has no Service`);
                else if (!selects(svc.spec.selector, podLabels))
                    problems.push(`${id}: DestinationRule host ${dr.spec.host} does not select the pods`);
                for (const s of dr.spec.subsets ?? []) {
                    if (!selects(s.labels, podLabels))
                        problems.push(`${id}: subset "${s.name}" labels do not match the pods`);
                }
            }
            for (const routeName of istio.virtualService.routes ?? []) {
                const route = (vs?.spec.http ?? []).find((r: any) => r.name === routeName);
                if (vs && !route) {
                    problems.push(`${id}: route "${routeName}" is not in VirtualService ${vs.metadata!.name}`);
                    continue;
                }
                if (!route) continue;
                const subsets = route.route.map((d: any) => d.destination.subset).sort();
                const expected = [
                    istio.destinationRule?.canarySubsetName,
                    istio.destinationRule?.stableSubsetName,
                ].sort();
                if (route.route.length !== 2 || JSON.stringify(subsets) !== JSON.stringify(expected)) {
                    problems.push(
                        `${id}: route "${routeName}" must have exactly the stable and canary subsets as destinations`,
                    );
                }
                if (dr && route.route.some((d: any) => d.destination.host !== dr.spec.host))
                    problems.push(`${id}: route "${routeName}" targets another host than the DestinationRule`);
            }
            // Canary weights strictly increase and end at 100.
            const weights: number[] = strategy.canary.steps
                .filter((s: any) => s.setWeight !== undefined)
                .map((s: any) => s.setWeight);
            if (!weights.every((w, i) => i === 0 || w > weights[i - 1]))
                problems.push(`${id}: canary weights ${weights} do not strictly increase`);
            if (weights[weights.length - 1] !== 100)
                problems.push(`${id}: canary weights ${weights} do not end at 100`);
        }

        // Every referenced AnalysisTemplate exists; every argument it uses is declared; every one it needs is supplied.
        for (const { where, analysis } of analysisRefs(strategy)) {
            const supplied = new Set<string>((analysis.args ?? []).map((a: any) => a.name));
            for (const ref of analysis.templates ?? []) {
                const template = find(objects, "AnalysisTemplate", ns, ref.templateName);
                if (!template) {
                    problems.push(
                        `${id}: ${where} references AnalysisTemplate "${ref.templateName}", which does not exist`,
                    );
                    continue;
                }
                const declared = new Set<string>((template.spec.args ?? []).map((a: any) => a.name));
                for (const used of JSON.stringify(template.spec.metrics).matchAll(
                    /\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}/g,
                )) {
                    if (!declared.has(used[1]))
                        problems.push(`${id}: template ${ref.templateName} uses args.${used[1]} without declaring it`);
                }
                for (const arg of template.spec.args ?? []) {
                    if (arg.value === undefined && arg.valueFrom === undefined && !supplied.has(arg.name)) {
                        problems.push(
                            `${id}: ${where} does not supply argument "${arg.name}" that template ${ref.templateName} needs`,
                        );
                    }
                }
            }
        }

        // VirtualService destinations point at Services that exist.
        for (const vs of objects.filter(
            (o) =>
                o.kind === "VirtualService" &&
                o.metadata?.namespace === ns &&
                o.metadata?.labels?.app === podLabels.app,
        )) {
            for (const r of vs.spec.http ?? []) {
                for (const d of r.route ?? []) {
                    const target = serviceOfHost(d.destination.host, ns);
                    if (!find(objects, "Service", target.namespace, target.name))
                        problems.push(
                            `${id}: VirtualService ${vs.metadata!.name} routes to ${d.destination.host}, which has no Service`,
                        );
                }
            }
        }
    }
    return problems;
}

const BUDGETS: Record<
    string,
    { maxHealthyPromotionSeconds?: number; maxRollbackSeconds: number; maxExposurePercent: number }
> = {
    // The staging requirements, and the prod limits (rollback under 30 s).
    staging: { maxHealthyPromotionSeconds: 120, maxRollbackSeconds: 15, maxExposurePercent: 5 },
    prod: { maxRollbackSeconds: 30, maxExposurePercent: 5 },
};

for (const stack of ["staging", "prod"]) {
    describe(`cross-references (${stack} render)`, () => {
        let r: RenderedStack;
        let objects: Obj[];
        let rollouts: Obj[];
        before(async function () {
            this.timeout(180_000);
            r = await renderedStack(stack);
            objects = r.manifests.map((m) => m.object as Obj);
            rollouts = objects.filter((o) => o.kind === "Rollout");
        });

        it("renders one Rollout per configured service, with both strategies across the stacks", () => {
            const timing = r.resourcesJson.outputs.releaseTiming as Record<string, unknown>;
            assert.ok(rollouts.length >= 3, `${stack} has at least three services`);
            assert.deepEqual(
                rollouts.map((o) => `${o.metadata!.namespace}/${o.metadata!.name}`).sort(),
                Object.keys(timing).sort(),
            );
        });

        it("resolves everything each Rollout references", () => {
            assert.deepEqual(crossReferenceProblems(objects), []);
        });

        it("passes the revision the pods are labelled with to the SLO analysis", () => {
            for (const o of rollouts) {
                const label = o.spec.template.metadata.labels["service.istio.io/canonical-revision"];
                assert.match(label, /^[0-9a-f]{16}$/);
                for (const { analysis } of analysisRefs(o.spec.strategy)) {
                    const arg = (analysis.args ?? []).find((a: any) => a.name === "revision");
                    if (arg) assert.equal(arg.value, label, `${o.metadata!.name}`);
                }
            }
        });

        it("pins every service and release-check image by digest, from one registry", () => {
            const images = new Set<string>();
            for (const o of objects.filter((x) => x.kind === "Rollout" || x.kind === "AnalysisTemplate")) {
                const text = JSON.stringify(o);
                for (const m of text.matchAll(/"image":"([^"]+)"/g)) images.add(m[1]);
            }
            assert.ok(images.size > 0);
            const registries = new Set([...images].map((i) => i.split("/")[0]));
            assert.equal(registries.size, 1, `one registry: ${[...registries]}`);
            for (const image of images) assert.match(image, /@sha256:[0-9a-f]{64}$/);
        });

        it("reports timing that the model reproduces from the rendered objects, within the environment's budget", () => {
            const timing = r.resourcesJson.outputs.releaseTiming as Record<string, any>;
            for (const o of rollouts) {
                const ns = o.metadata!.namespace;
                const templates = objects.filter(
                    (t) => t.kind === "AnalysisTemplate" && t.metadata?.namespace === ns,
                ) as any[];
                const model = rolloutTiming(o, templates);
                const reported = timing[`${ns}/${o.metadata!.name}`];
                assert.deepEqual(model.problems, []);
                for (const k of [
                    "healthyPromotionSeconds",
                    "waitsForPromotion",
                    "rollbackSeconds",
                    "maxExposurePercent",
                    "previousVersionRetainedSeconds",
                ]) {
                    assert.equal(reported[k], (model as any)[k], `${o.metadata!.name}.${k}`);
                }
                const budget = BUDGETS[stack];
                assert.ok(
                    model.rollbackSeconds <= budget.maxRollbackSeconds,
                    `${o.metadata!.name}: rollback ${model.rollbackSeconds} s`,
                );
                assert.ok(
                    model.maxExposurePercent <= budget.maxExposurePercent,
                    `${o.metadata!.name}: exposure ${model.maxExposurePercent}%`,
                );
                if (budget.maxHealthyPromotionSeconds !== undefined) {
                    assert.equal(model.waitsForPromotion, false);
                    assert.ok(
                        model.healthyPromotionSeconds <= budget.maxHealthyPromotionSeconds,
                        `${o.metadata!.name}: ${model.healthyPromotionSeconds} s`,
                    );
                }
            }
        });

        it(
            stack === "staging"
                ? "promotes blue/green releases automatically"
                : "leaves blue/green promotion to a person or the pipeline",
            () => {
                const bg = rollouts.filter((o) => o.spec.strategy.blueGreen);
                assert.ok(bg.length > 0);
                for (const o of bg) assert.equal(o.spec.strategy.blueGreen.autoPromotionEnabled, stack === "staging");
            },
        );

        it("makes every Rollout wait for the mesh and the Rollouts chart (CRDs)", () => {
            const recorded = r.resourcesJson.resources.filter(
                (x) => x.type === "kubernetes:argoproj.io/v1alpha1:Rollout",
            );
            assert.equal(recorded.length, rollouts.length);
            for (const x of recorded) {
                assert.ok(
                    x.dependsOn.some((u) => u.includes("zdp:index:IstioMesh$kubernetes:helm.sh/v4:Chart::mesh-base")),
                    `${x.name} after Istio's CRDs`,
                );
                assert.ok(
                    x.dependsOn.some((u) =>
                        u.includes("zdp:index:ArgoRollouts$kubernetes:helm.sh/v4:Chart::rollouts-chart"),
                    ),
                    `${x.name} after the Rollouts chart`,
                );
            }
        });
    });
}

describe("cross-reference checker", () => {
    let objects: Obj[];
    before(async function () {
        this.timeout(180_000);
        objects = (await renderedStack("staging")).manifests.map((m) => m.object as Obj);
    });

    function broken(mutate: (objects: Obj[]) => void): string[] {
        const copy = structuredClone(objects);
        mutate(copy);
        return crossReferenceProblems(copy);
    }
    const rollout = (objs: Obj[], strategy: "blueGreen" | "canary") =>
        objs.find((o) => o.kind === "Rollout" && o.spec.strategy[strategy])!;

    it("reports a missing preview Service", () => {
        const problems = broken((o) => (rollout(o, "blueGreen").spec.strategy.blueGreen.previewService = "nope"));
        assert.equal(problems.length, 1);
        assert.match(problems[0], /previewService "nope" does not exist/);
    });

    it("reports a Service that does not select the pods", () => {
        const problems = broken((o) => {
            const name = rollout(o, "canary").spec.strategy.canary.canaryService;
            find(o, "Service", rollout(o, "canary").metadata!.namespace, name)!.spec.selector = { app: "other" };
        });
        assert.match(problems.join("\n"), /canaryService ".*" does not select the pods/);
    });

    it("reports a missing subset, route, template and argument", () => {
        assert.match(
            broken(
                (o) =>
                    (rollout(o, "canary").spec.strategy.canary.trafficRouting.istio.destinationRule.canarySubsetName =
                        "green"),
            ).join("\n"),
            /canarySubsetName "green" is not a subset/,
        );
        assert.match(
            broken(
                (o) =>
                    (rollout(o, "canary").spec.strategy.canary.trafficRouting.istio.virtualService.routes = ["main"]),
            ).join("\n"),
            /route "main" is not in VirtualService/,
        );
        assert.match(
            broken((o) =>
                rollout(o, "blueGreen").spec.strategy.blueGreen.postPromotionAnalysis.templates.push({
                    templateName: "gone",
                }),
            ).join("\n"),
            /AnalysisTemplate "gone", which does not exist/,
        );
        assert.match(
            broken((o) => rollout(o, "blueGreen").spec.strategy.blueGreen.postPromotionAnalysis.args.pop()).join("\n"),
            /does not supply argument "revision"/,
        );
    });

    it("reports canary weights that do not increase or do not end at 100", () => {
        const problems = broken((o) => {
            const steps = rollout(o, "canary").spec.strategy.canary.steps;
            steps
                .filter((s: any) => s.setWeight !== undefined)
                .forEach((s: any, i: number, all: any[]) => (s.setWeight = i === all.length - 1 ? 90 : 50));
        });
        assert.match(problems.join("\n"), /do not strictly increase/);
        assert.match(problems.join("\n"), /do not end at 100/);
    });
});

describe("preview of a stack that builds an image and holds a secret", () => {
    const PLAINTEXT = "orders-db-password-never-printed";
    const services = [
        {
            name: "orders",
            namespace: "shop",
            build: { context: "./apps/orders", imageName: "registry.example.com/shop/orders:ci" },
            // The staging stack's own encrypted key stays referenced: the program refuses a key no service uses.
            secretEnv: { DB_PASSWORD: "ordersDbPassword", DATABASE_URL: "checkoutDatabaseUrl" },
            analysis: {
                smokeTest: {
                    image: `registry.example.com/platform/smoke-curl@sha256:${"0".repeat(64)}`,
                    paths: ["/ping"],
                },
            },
        },
        {
            name: "billing",
            namespace: "shop",
            build: { context: "./apps/billing", imageName: "registry.example.com/shop/billing:ci" },
            strategy: "canary",
        },
    ];
    let r: RenderedStack;
    before(async function () {
        this.timeout(180_000);
        r = await renderedStack("staging", [
            "--preview",
            "--set",
            `services=${JSON.stringify(services)}`,
            "--set-secret",
            `ordersDbPassword=${PLAINTEXT}`,
        ]);
    });

    it("renders without crashing, the built images' digests unknown", () => {
        const rollouts = r.manifests.map((m) => m.object as Obj).filter((o) => o.kind === "Rollout");
        assert.equal(rollouts.length, 2);
        for (const o of rollouts) assert.equal(o.spec.template.spec.containers[0].image, UNKNOWN_PLACEHOLDER);
        assert.equal(r.find("docker:index/image:Image").length, 2);
        assert.deepEqual(crossReferenceProblems(r.manifests.map((m) => m.object as Obj)), []);
    });

    it("prints the secret as [secret] and nowhere in plain text", () => {
        const secret = r.manifests.find((m) => m.object.kind === "Secret" && m.object.metadata?.name === "orders-env");
        assert.ok(secret);
        assert.deepEqual((secret.object as any).stringData, {
            DB_PASSWORD: SECRET_PLACEHOLDER,
            DATABASE_URL: SECRET_PLACEHOLDER,
        });
        for (const file of r.files)
            assert.ok(!fs.readFileSync(path.join(r.dir, file), "utf8").includes(PLAINTEXT), file);
        assert.ok(!r.stdout.includes(PLAINTEXT) && !r.stderr.includes(PLAINTEXT));
    });
});
