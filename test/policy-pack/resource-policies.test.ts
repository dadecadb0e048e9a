/**
 * The workload-identity policies (policies/workloadIdentity.ts) called directly with hand-built validation args, as
 * pulumi-policy's own tests do. The other resource policies are tested beside their modules, in policies/.
 */
import * as assert from "node:assert/strict";
import {
    serviceAccountTokenAutomount,
    workloadNoDefaultServiceAccount,
} from "../../policy-pack/policies/workloadIdentity";
import { runResource, y } from "./helpers";

describe("workload identity", () => {
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
