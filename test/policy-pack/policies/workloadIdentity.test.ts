/**
 * workload-no-default-service-account and service-account-token-automount reach every pod template: each place a
 * schema allows a pod spec (derived from the schema packages, see ../lib/podTemplateSchemas.ts), the Jobs of Argo
 * job metrics by name, Lists the analyzer hands over unexpanded, and the release-check Jobs the components build.
 */
import * as assert from "node:assert/strict";
import { healthScoreTemplate, smokeTestTemplate } from "../../../components/releaseAnalysis";
import { KubeObject, MAX_LIST_DEPTH } from "../../../policy-pack/lib/kubernetes";
import {
    serviceAccountTokenAutomount,
    workloadNoDefaultServiceAccount,
} from "../../../policy-pack/policies/workloadIdentity";
import { enforced, runResource, y } from "../helpers";
import { podTemplateKinds } from "../lib/podTemplateSchemas";

const JOB_SPEC = "spec.metrics[0].provider.job.spec.template.spec";

/** `leaf` placed at a schema path (`*` is a one-element list), under an object of `kind`. */
function objectWith(apiVersion: string, kind: string, at: readonly string[], leaf: unknown): KubeObject {
    const body = at.reduceRight<unknown>((inner, key) => (key === "*" ? [inner] : { [key]: inner }), leaf);
    return { apiVersion, kind, metadata: { name: "owner", namespace: "shop" }, ...(body as object) };
}

/**
 * The message form of a schema path of `kind`: `spec.metrics[0].provider.job.spec.template.spec`, and for the item of
 * a typed list `items[0] (Rollout).spec.template.spec`.
 */
function pathOf(kind: string, at: readonly string[]): string {
    const text = at.join(".").replace(/\.\*/g, "[0]");
    return kind.endsWith("List") ? text.replace(/^items\[0\]/, `items[0] (${kind.slice(0, -4)})`) : text;
}

/** A job metric whose pod spec is `podSpec`, in an analysis of `kind`. */
function analysis(podSpec: object, kind = "AnalysisTemplate", namespace: string | undefined = "shop"): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind,
        metadata: { name: "smoke", ...(namespace ? { namespace } : {}) },
        spec: {
            metrics: [{ name: "smoke-tests", provider: { job: { spec: { template: { spec: podSpec } } } } }],
        },
    };
}

const messages = async (policy: typeof workloadNoDefaultServiceAccount, obj: KubeObject, config: object = {}) =>
    enforced(await runResource(policy, obj, config)).map((r) => r.message);

describe("workload identity: every pod template", function () {
    this.timeout(120_000);

    it("judges the pod spec at every place the schemas allow one, naming its path", async () => {
        const misses: string[] = [];
        let places = 0;
        for (const k of podTemplateKinds()) {
            for (const at of k.paths) {
                places++;
                const where = `${k.apiVersion} ${k.kind} at ${at.join(".")}`;
                const bare = objectWith(k.apiVersion, k.kind, at, { containers: [{ name: "c", image: "c" }] });
                const noDefault = await messages(workloadNoDefaultServiceAccount, bare);
                if (!noDefault.some((m) => m.includes(`${pathOf(k.kind, at)}.serviceAccountName is not set`)))
                    misses.push(`${where}: workload-no-default-service-account (${noDefault.join(" | ") || "none"})`);
                const token = await messages(serviceAccountTokenAutomount, bare);
                if (!token.some((m) => m.includes(`${pathOf(k.kind, at)}.automountServiceAccountToken is not set`)))
                    misses.push(`${where}: service-account-token-automount (${token.join(" | ") || "none"})`);
                const own = { serviceAccountName: "app", automountServiceAccountToken: false, containers: [] };
                const good = objectWith(k.apiVersion, k.kind, at, own);
                for (const policy of [workloadNoDefaultServiceAccount, serviceAccountTokenAutomount]) {
                    const got = await messages(policy, good);
                    if (got.length > 0)
                        misses.push(`${where}: ${policy.name} fails a good pod spec: ${got.join(" | ")}`);
                }
            }
        }
        assert.deepEqual(
            misses,
            [],
            `pod templates the workload-identity policies do not reach:\n${misses.join("\n")}`,
        );
        assert.ok(places >= 40, `only ${places} places found`);
    });

    it("an analysis Job on the default ServiceAccount, or mounting a token, fails; its own, without, passes", async () => {
        assert.deepEqual(await messages(workloadNoDefaultServiceAccount, analysis({ serviceAccountName: "default" })), [
            `AnalysisTemplate shop/smoke: ${JOB_SPEC}.serviceAccountName is "default", the ServiceAccount every ` +
                `unconfigured pod of the namespace shares. Remediation: ${workloadNoDefaultServiceAccount.remediationSteps}`,
        ]);
        const automount = await messages(
            serviceAccountTokenAutomount,
            analysis({ serviceAccountName: "smoke", automountServiceAccountToken: true }),
        );
        assert.equal(automount.length, 1);
        assert.match(
            automount[0],
            new RegExp(
                `^AnalysisTemplate shop/smoke: ${JOB_SPEC.replace(/[.[\]]/g, "\\$&")}\\.automountServiceAccountToken ` +
                    'is true and ServiceAccount "smoke" is not listed in apiAccessServiceAccounts',
            ),
        );
        const good = analysis({ serviceAccountName: "smoke", automountServiceAccountToken: false });
        assert.deepEqual(await messages(workloadNoDefaultServiceAccount, good), []);
        assert.deepEqual(await messages(serviceAccountTokenAutomount, good), []);
        // A listed API client may mount its token in its own namespace.
        const listed = { apiAccessServiceAccounts: ["shop/smoke"] };
        assert.deepEqual(
            await messages(serviceAccountTokenAutomount, analysis({ serviceAccountName: "smoke" }), listed),
            [],
        );
    });

    it("a ClusterAnalysisTemplate's Job runs in every user's namespace: no listing lets it mount a token", async () => {
        const cluster = analysis({ serviceAccountName: "smoke" }, "ClusterAnalysisTemplate", undefined);
        for (const listed of [["default/smoke"], ["shop/smoke"]]) {
            const got = await messages(serviceAccountTokenAutomount, cluster, { apiAccessServiceAccounts: listed });
            assert.equal(got.length, 1, listed[0]);
            assert.match(got[0], /automountServiceAccountToken is not set and a ClusterAnalysisTemplate's Job runs in/);
        }
    });

    it("exempts an analysis by its own kind and name", async () => {
        const exemptions = [{ kind: "AnalysisTemplate", namespace: "shop", name: "smoke", justification: "legacy" }];
        const got = await runResource(workloadNoDefaultServiceAccount, analysis({}), { exemptions });
        assert.equal(got.length, 1);
        assert.equal(got[0].enforcementLevel, "advisory");
        assert.match(got[0].message, /^exempt: legacy: AnalysisTemplate shop\/smoke: /);
    });

    it("judges the items of a List the analyzer hands over whole, and fails a list too deep to expand", async () => {
        const list: KubeObject = {
            apiVersion: "v1",
            kind: "List",
            metadata: { name: "bundle", namespace: "shop" },
            items: [
                { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api", namespace: "ops" } },
                { apiVersion: "v1", kind: "Pod", metadata: { name: "debug" }, spec: { containers: [] } },
            ],
        };
        assert.deepEqual(await messages(workloadNoDefaultServiceAccount, list), [
            `List shop/bundle: items[1] (Pod).spec.serviceAccountName is not set, so the pods run as the namespace's ` +
                `"default" ServiceAccount. Remediation: ${workloadNoDefaultServiceAccount.remediationSteps}`,
        ]);
        const token = await messages(serviceAccountTokenAutomount, list);
        assert.equal(token.length, 2);
        assert.match(
            token[0],
            /^List shop\/bundle: items\[0\] \(ServiceAccount\)\.automountServiceAccountToken is not set/,
        );
        assert.match(
            token[1],
            /items\[1\] \(Pod\)\.spec\.automountServiceAccountToken is not set and ServiceAccount "default"/,
        );
        // The item's namespace decides which listing applies (the list's namespace stands in for an item without).
        const listed = { apiAccessServiceAccounts: ["ops/api", "shop/default"] };
        assert.deepEqual(await messages(serviceAccountTokenAutomount, list, listed), []);

        let deep: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} };
        for (let i = 0; i <= MAX_LIST_DEPTH; i++) deep = { apiVersion: "v1", kind: "List", items: [deep] };
        for (const policy of [workloadNoDefaultServiceAccount, serviceAccountTokenAutomount]) {
            const got = await messages(policy, deep);
            assert.equal(got.length, 1, policy.name);
            assert.match(
                got[0],
                /is a list nested more than 16 lists deep, so its pods' ServiceAccounts cannot be checked/,
            );
        }
    });

    it("the components' release-check Jobs pass when given a ServiceAccount, and fail without one", async () => {
        const smoke = (serviceAccountName?: string) =>
            smokeTestTemplate({
                image: "curl@sha256:0",
                paths: ["/health"],
                timeoutSeconds: 30,
                podLabels: { check: "shop" },
                serviceAccountName,
            });
        const health = (serviceAccountName?: string) =>
            healthScoreTemplate(
                {
                    prometheusAddress: "http://prometheus:9090",
                    maxErrorRate: 0.01,
                    maxLatencyMs: 500,
                    latencyQuantile: 0.99,
                    minRequests: 10,
                    windowSeconds: 60,
                    threshold: 80,
                    weights: { checks: 1, errors: 1, latency: 1 },
                    checks: [{ path: "/health", weight: 1 }],
                    checkTraffic: {
                        image: "curl@sha256:0",
                        requestsPerMinute: 60,
                        durationSeconds: 60,
                        podLabels: { check: "shop" },
                        serviceAccountName,
                    },
                },
                {
                    intervalSeconds: 10,
                    count: 3,
                    failureLimit: 0,
                    consecutiveErrorLimit: 0,
                    inconclusiveLimit: 0,
                    initialDelaySeconds: 0,
                    timeoutSeconds: 5,
                },
            );
        const template = (spec: Record<string, unknown>): KubeObject => ({
            apiVersion: "argoproj.io/v1alpha1",
            kind: "AnalysisTemplate",
            metadata: { name: "shop-checks", namespace: "shop" },
            spec,
        });
        for (const build of [smoke, health]) {
            for (const policy of [workloadNoDefaultServiceAccount, serviceAccountTokenAutomount]) {
                assert.deepEqual(await messages(policy, template(build("shop"))), [], `${build.name} ${policy.name}`);
            }
            const without = await messages(workloadNoDefaultServiceAccount, template(build()));
            assert.equal(without.length, 1, build.name);
            assert.match(without[0], /provider\.job\.spec\.template\.spec\.serviceAccountName is not set/);
        }
    });
});

describe("workload identity: service account and token per pod", () => {
    const deployment = (spec: object) =>
        y(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec: ${JSON.stringify(spec)}
`);

    it("flags a missing or default serviceAccountName and accepts the deprecated serviceAccount alias", async () => {
        assert.equal((await runResource(workloadNoDefaultServiceAccount, deployment({ containers: [] }))).length, 1);
        assert.equal(
            (await runResource(workloadNoDefaultServiceAccount, deployment({ serviceAccountName: "default" }))).length,
            1,
        );
        assert.equal(
            (await runResource(workloadNoDefaultServiceAccount, deployment({ serviceAccountName: "web" }))).length,
            0,
        );
        assert.equal(
            (await runResource(workloadNoDefaultServiceAccount, deployment({ serviceAccount: "web" }))).length,
            0,
        );
    });

    it("covers every pod-bearing kind, including Argo Rollouts and CronJobs", async () => {
        const kinds: [string, string, object][] = [
            ["v1", "Pod", { containers: [] }],
            ["apps/v1", "StatefulSet", { template: { spec: {} } }],
            ["apps/v1", "DaemonSet", { template: { spec: {} } }],
            ["apps/v1", "ReplicaSet", { template: { spec: {} } }],
            ["batch/v1", "Job", { template: { spec: {} } }],
            ["batch/v1", "CronJob", { jobTemplate: { spec: { template: { spec: {} } } } }],
            ["argoproj.io/v1alpha1", "Rollout", { template: { spec: {} } }],
        ];
        for (const [apiVersion, kind, spec] of kinds) {
            const got = await runResource(workloadNoDefaultServiceAccount, {
                apiVersion,
                kind,
                metadata: { name: "w", namespace: "n" },
                spec,
            });
            assert.equal(got.length, 1, kind);
        }
    });

    it("requires automount off on ServiceAccounts and pod specs unless the account needs the API", async () => {
        const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "web", namespace: "shop" } };
        assert.equal((await runResource(serviceAccountTokenAutomount, sa)).length, 1);
        assert.equal(
            (await runResource(serviceAccountTokenAutomount, { ...sa, automountServiceAccountToken: false })).length,
            0,
        );
        const listed = { apiAccessServiceAccounts: ["shop/web"] };
        assert.equal((await runResource(serviceAccountTokenAutomount, sa, listed)).length, 0);
        const pod = deployment({ serviceAccountName: "web" });
        const got = await runResource(serviceAccountTokenAutomount, pod);
        assert.match(got[0].message, /spec\.template\.spec\.automountServiceAccountToken is not set/);
        assert.equal((await runResource(serviceAccountTokenAutomount, pod, listed)).length, 0);
        assert.equal(
            (
                await runResource(
                    serviceAccountTokenAutomount,
                    deployment({ serviceAccountName: "web", automountServiceAccountToken: false }),
                )
            ).length,
            0,
        );
    });
});
