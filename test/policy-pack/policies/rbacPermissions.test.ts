/**
 * The dangerous-permission policies (policies/rbacPermissions.ts), called directly with hand-built validation args;
 * their fixtures cover the classes not exercised here.
 */
import * as assert from "node:assert/strict";
import {
    rbacNoCsrApproval,
    rbacNoEscalationVerbs,
    rbacNoPodCreate,
    rbacNoSecretRead,
    rbacNoTokenCreate,
} from "../../../policy-pack/policies/rbacPermissions";
import { defaults, runResource } from "../helpers";

const role = (rules: unknown, extra: object = {}) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "r", namespace: "team-a" },
    rules,
    ...extra,
});

describe("rbac-no-secret-read", () => {
    it("fails get/list/watch on Secrets without resourceNames and passes with them", async () => {
        const open = await runResource(
            rbacNoSecretRead,
            role([{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "create"] }]),
        );
        assert.equal(open.length, 1);
        assert.match(open[0].message, /rules\[0\] grants get secrets/);
        assert.doesNotMatch(open[0].message, /create secrets/);
        const named = await runResource(
            rbacNoSecretRead,
            role([{ apiGroups: [""], resources: ["secrets"], resourceNames: ["registry-push"], verbs: ["get"] }]),
        );
        assert.deepEqual(named, []);
    });

    it("sees Secrets through wildcard verbs, resources and API groups", async () => {
        for (const rule of [
            { apiGroups: [""], resources: ["secrets"], verbs: ["*"] },
            { apiGroups: [""], resources: ["*"], verbs: ["list"] },
            { apiGroups: ["*"], resources: ["secrets"], verbs: ["watch"] },
        ]) {
            assert.equal((await runResource(rbacNoSecretRead, role([rule]))).length, 1, JSON.stringify(rule));
        }
    });
});

describe("rbac-no-pod-create", () => {
    const deployer = (rules: unknown, ns = "shop") => ({
        ...role(rules),
        metadata: { name: "pipeline-deployer", namespace: ns },
    });

    it("lets the configured deployer create Rollouts but not Pods", async () => {
        const config = defaults(rbacNoPodCreate);
        const rollouts = deployer([{ apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["create"] }]);
        assert.deepEqual(await runResource(rbacNoPodCreate, rollouts, config), []);
        const pods = deployer([{ apiGroups: [""], resources: ["pods"], verbs: ["create"] }]);
        const got = await runResource(rbacNoPodCreate, pods, config);
        assert.equal(got.length, 1);
        assert.match(got[0].message, /create pods/);
    });

    it("allows nothing without the allowedCreators entry", async () => {
        const rollouts = deployer([{ apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["create"] }]);
        assert.equal((await runResource(rbacNoPodCreate, rollouts, { allowedCreators: [] })).length, 1);
    });

    it("flags exec and attach even for get (websocket upgrades) and ephemeral containers for patch", async () => {
        const got = await runResource(
            rbacNoPodCreate,
            role([
                { apiGroups: [""], resources: ["pods/exec"], verbs: ["get"] },
                { apiGroups: [""], resources: ["pods/ephemeralcontainers"], verbs: ["patch"] },
                { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
            ]),
        );
        assert.deepEqual(
            got.map((g) => /rules\[(\d)\]/.exec(g.message)![1]),
            ["0", "1"],
        );
    });
});

describe("rbac-no-escalation-verbs, rbac-no-csr-approval, rbac-no-token-create", () => {
    it("flags escalate/bind/impersonate written out or through a wildcard verb on their targets", async () => {
        assert.equal(
            (
                await runResource(
                    rbacNoEscalationVerbs,
                    role([{ apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }]),
                )
            ).length,
            1,
        );
        assert.equal(
            (
                await runResource(
                    rbacNoEscalationVerbs,
                    role([{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["*"] }]),
                )
            ).length,
            1,
        );
        assert.equal(
            (
                await runResource(
                    rbacNoEscalationVerbs,
                    role([{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }]),
                )
            ).length,
            0,
        );
    });

    it("flags CSR approval only on the approval subresource and signers", async () => {
        const csr = (resources: string[], verbs: string[]) =>
            role([{ apiGroups: ["certificates.k8s.io"], resources, verbs }]);
        assert.equal(
            (await runResource(rbacNoCsrApproval, csr(["certificatesigningrequests/approval"], ["update"]))).length,
            1,
        );
        assert.equal((await runResource(rbacNoCsrApproval, csr(["signers"], ["approve"]))).length, 1);
        assert.equal((await runResource(rbacNoCsrApproval, csr(["certificatesigningrequests"], ["update"]))).length, 0);
    });

    it("matches */subresource the way the RBAC authorizer does", async () => {
        assert.equal(
            (
                await runResource(
                    rbacNoTokenCreate,
                    role([{ apiGroups: [""], resources: ["*/token"], verbs: ["create"] }]),
                )
            ).length,
            1,
        );
        assert.equal(
            (
                await runResource(
                    rbacNoTokenCreate,
                    role([{ apiGroups: [""], resources: ["serviceaccounts"], verbs: ["create"] }]),
                )
            ).length,
            0,
        );
    });
});
