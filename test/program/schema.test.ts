/**
 * Every Kubernetes object the program renders, in every stack (plain, with alerts on, and at preview with its
 * unknowns), validates against the published schemas of the kubernetes-models family (test/helpers/schemas.ts).
 * An object whose kind has no published schema fails. The validator itself is shown to reject broken objects.
 */
import * as assert from "node:assert/strict";
import { SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER } from "../../tools/mockRuntime";
import { RenderedStack, renderedStack, stackNames, WITH_ALERTS } from "../helpers/renderedStack";
import { findModel, formatFailures, modulesFor, validateManifests, validateObject } from "../helpers/schemas";

/** The render variants validated for each stack. */
const VARIANTS: { label: string; args: readonly string[] }[] = [
    { label: "update", args: [] },
    { label: "update, alerts on", args: WITH_ALERTS },
    { label: "preview, alerts on", args: ["--preview", ...WITH_ALERTS] },
];

describe("schema validation", function () {
    this.timeout(300_000);

    describe("the validator", () => {
        it("finds models across the four packages by apiVersion and kind", async () => {
            for (const [apiVersion, kind, module] of [
                ["v1", "Service", "kubernetes-models/v1"],
                ["apps/v1", "Deployment", "kubernetes-models/apps/v1"],
                ["rbac.authorization.k8s.io/v1", "RoleBinding", "kubernetes-models/rbac.authorization.k8s.io/v1"],
                ["policy/v1", "PodDisruptionBudget", "kubernetes-models/policy/v1"],
                ["networking.k8s.io/v1", "NetworkPolicy", "kubernetes-models/networking.k8s.io/v1"],
                ["argoproj.io/v1alpha1", "Rollout", "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1"],
                ["argoproj.io/v1alpha1", "AnalysisTemplate", "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1"],
                ["networking.istio.io/v1", "VirtualService", "@kubernetes-models/istio/networking.istio.io/v1"],
                ["security.istio.io/v1", "PeerAuthentication", "@kubernetes-models/istio/security.istio.io/v1"],
                [
                    "monitoring.coreos.com/v1",
                    "ServiceMonitor",
                    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
                ],
            ]) {
                const ref = await findModel(apiVersion, kind);
                assert.ok(ref, `${apiVersion} ${kind}`);
                assert.equal(ref.module, module);
                assert.equal(ref.model.kind, kind);
                assert.equal(ref.model.apiVersion, apiVersion);
            }
        });

        it("accepts a valid object and says which schema it used", async () => {
            const result = await validateObject({
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "web", namespace: "shop" },
                spec: {
                    replicas: 2,
                    selector: { matchLabels: { app: "web" } },
                    template: {
                        metadata: { labels: { app: "web" } },
                        spec: {
                            containers: [
                                { name: "web", image: "registry.example.test/web:1", ports: [{ containerPort: 8080 }] },
                            ],
                        },
                    },
                },
            });
            assert.deepEqual(result, { ok: true, schema: "kubernetes-models/apps/v1#Deployment" });
        });

        it("rejects a Rollout whose replicas is a string, with the schema's message and the source", async () => {
            const result = await validateObject(
                {
                    apiVersion: "argoproj.io/v1alpha1",
                    kind: "Rollout",
                    metadata: { name: "checkout", namespace: "shop" },
                    spec: {
                        replicas: "3",
                        selector: { matchLabels: { app: "checkout" } },
                        strategy: { blueGreen: { activeService: "checkout" } },
                    },
                },
                "manifests/rollout-shop-checkout.yaml",
            );
            assert.equal(result.ok, false);
            assert.ok(!result.ok);
            assert.equal(result.failure.reason, "invalid");
            assert.equal(result.failure.source, "manifests/rollout-shop-checkout.yaml");
            assert.match(result.failure.message, /\/spec\/replicas must be integer/);
            assert.match(
                formatFailures([result.failure]),
                /^manifests\/rollout-shop-checkout\.yaml: argoproj\.io\/v1alpha1 Rollout checkout: \[invalid\]/,
            );
        });

        it("rejects a Service with a non-numeric port", async () => {
            const result = await validateObject({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "checkout", namespace: "shop" },
                spec: { ports: [{ name: "http", port: "http" }], selector: { app: "checkout" } },
            });
            assert.ok(!result.ok);
            assert.equal(result.failure.reason, "invalid");
            assert.match(result.failure.message, /\/spec\/ports\/0\/port must be integer/);
        });

        it("rejects a placeholder where the schema wants a number or a list", async () => {
            const rollout = await validateObject({
                apiVersion: "argoproj.io/v1alpha1",
                kind: "Rollout",
                metadata: { name: "x" },
                spec: { replicas: UNKNOWN_PLACEHOLDER },
            });
            assert.ok(!rollout.ok && /replicas must be integer/.test(rollout.failure.message));
            const role = await validateObject({
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata: { name: "x", namespace: "y" },
                rules: [{ apiGroups: [""], resources: ["pods"], verbs: SECRET_PLACEHOLDER }],
            });
            assert.ok(!role.ok && /verbs must be array/.test(role.failure.message), JSON.stringify(role));
        });

        it("fails, never skips, a kind without a published schema", async () => {
            for (const [apiVersion, kind] of [
                ["example.com/v1", "Widget"],
                ["v1", "Widget"],
                ["argoproj.io/v1alpha1", "Application"],
                ["../../etc/v1", "Passwd"],
            ]) {
                const result = await validateObject({ apiVersion, kind, metadata: { name: "x" } }, "manifests/x.yaml");
                assert.ok(!result.ok, `${apiVersion} ${kind} must not pass`);
                assert.equal(result.failure.reason, "no-schema");
                assert.match(result.failure.message, /no published schema/);
            }
            assert.deepEqual(modulesFor("../../etc/v1"), []);
        });

        it("fails objects without apiVersion/kind, and non-objects", async () => {
            const noKind = await validateObject({ apiVersion: "v1", metadata: { name: "x" } });
            assert.ok(!noKind.ok && noKind.failure.reason === "no-type");
            for (const v of [null, "kind: Service", [], 3]) {
                const r = await validateObject(v);
                assert.ok(!r.ok && r.failure.reason === "not-an-object", JSON.stringify(v));
            }
        });

        it("reports each failing manifest, in order, and nothing for valid ones", async () => {
            const failures = await validateManifests([
                {
                    file: "manifests/namespace-shop.yaml",
                    object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } },
                },
                {
                    file: "manifests/widget-x.yaml",
                    object: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "x" } },
                },
                {
                    file: "manifests/service-shop-a.yaml",
                    object: {
                        apiVersion: "v1",
                        kind: "Service",
                        metadata: { name: "a" },
                        spec: { ports: [{ port: "a" }] },
                    },
                },
            ]);
            assert.deepEqual(
                failures.map((f) => [f.source, f.reason]),
                [
                    ["manifests/widget-x.yaml", "no-schema"],
                    ["manifests/service-shop-a.yaml", "invalid"],
                ],
            );
        });
    });

    describe("the rendered stacks", () => {
        const renders: { stack: string; label: string; render: RenderedStack }[] = [];

        before(async () => {
            const stacks = stackNames();
            assert.ok(stacks.length >= 2, "both stacks");
            await Promise.all(
                stacks.flatMap((stack) =>
                    VARIANTS.map(async ({ label, args }) =>
                        renders.push({ stack, label, render: await renderedStack(stack, args) }),
                    ),
                ),
            );
            renders.sort((a, b) => `${a.stack} ${a.label}`.localeCompare(`${b.stack} ${b.label}`));
        });

        it("render objects to validate", () => {
            assert.equal(renders.length, stackNames().length * VARIANTS.length);
            for (const { stack, label, render } of renders)
                assert.ok(render.manifests.length > 0, `${stack} (${label})`);
        });

        it("every object of every stack and variant is valid against its published schema", async () => {
            const problems: string[] = [];
            for (const { stack, label, render } of renders) {
                const failures = await validateManifests(render.manifests);
                if (failures.length > 0) problems.push(`${stack} (${label}):\n${formatFailures(failures)}`);
            }
            assert.equal(problems.length, 0, `schema failures:\n${problems.join("\n")}`);
        });

        it("placeholders stand only for strings: never where a schema wants another type", async () => {
            // The schema check above covers typed fields; this one makes sure placeholders really occur (at preview and
            // for secrets), so that the check is exercised by the render rather than vacuous.
            const all = renders
                .map((r) => r.render.manifests.map((m) => JSON.stringify(m.object)).join("\n"))
                .join("\n");
            assert.ok(
                all.includes(JSON.stringify(SECRET_PLACEHOLDER)),
                "secrets are rendered as placeholders somewhere",
            );
            for (const { render } of renders) {
                for (const m of render.manifests) {
                    walk(m.object, m.file, (at, v) => {
                        if (typeof v !== "string") return;
                        if (v.includes(SECRET_PLACEHOLDER) || v.includes(UNKNOWN_PLACEHOLDER)) {
                            assert.ok(
                                v === SECRET_PLACEHOLDER || v === UNKNOWN_PLACEHOLDER,
                                `${at}: placeholder inside "${v}"`,
                            );
                        }
                    });
                }
            }
        });

        it("covers every kind the stacks render with a published schema", async () => {
            const kinds = new Map<string, string>();
            for (const { render } of renders) {
                for (const m of render.manifests) kinds.set(`${m.object.apiVersion} ${m.object.kind}`, m.file);
            }
            const missing: string[] = [];
            for (const [key, file] of kinds) {
                const [apiVersion, kind] = key.split(" ");
                if (!(await findModel(apiVersion, kind))) missing.push(`${key} (${file})`);
            }
            assert.deepEqual(missing, []);
        });
    });
});

/** Visits every leaf of `v` with its JSON path; bounded depth. */
function walk(v: unknown, at: string, visit: (at: string, leaf: unknown) => void, depth = 0): void {
    if (depth > 64) throw new Error(`${at}: nested too deeply`);
    if (v !== null && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`, visit, depth + 1);
    } else {
        visit(at, v);
    }
}
