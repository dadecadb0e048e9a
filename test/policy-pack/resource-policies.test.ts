/**
 * Resource policies called directly with hand-built validation args, as pulumi-policy's own tests do.
 */
import { UnknownValueError } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { rbacNoClusterAdminBinding, rbacNoSystemGroupSubjects } from "../../policy-pack/policies/rbacBindings";
import { rbacNoDangerousAggregation } from "../../policy-pack/policies/rbacAggregation";
import {
    rbacNoCsrApproval,
    rbacNoEscalationVerbs,
    rbacNoPodCreate,
    rbacNoSecretRead,
    rbacNoTokenCreate,
} from "../../policy-pack/policies/rbacPermissions";
import { rbacNoWildcards } from "../../policy-pack/policies/rbacWildcards";
import {
    serviceAccountTokenAutomount,
    workloadNoDefaultServiceAccount,
} from "../../policy-pack/policies/workloadIdentity";
import { resourcePolicies } from "../../policy-pack/policies";
import { defaults, enforced, runResource, y } from "./helpers";

const role = (rules: unknown, extra: object = {}) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "r", namespace: "team-a" },
    rules,
    ...extra,
});

describe("rbac-no-wildcards", () => {
    it("names the object, the rule index and every wildcard field", async () => {
        const got = await runResource(
            rbacNoWildcards,
            role([
                { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
                { apiGroups: ["*"], resources: ["pods", "*"], verbs: ["get"] },
            ]),
        );
        assert.equal(got.length, 1);
        assert.match(got[0].message, /^Role team-a\/r: /);
        assert.match(got[0].message, /rules\[1\]\.apiGroups\[0\] is "\*"/);
        assert.match(got[0].message, /rules\[1\]\.resources\[1\] is "\*"/);
        assert.match(got[0].message, /Remediation: /);
    });

    it("passes empty, omitted, null and malformed rules without throwing", async () => {
        for (const rules of [[], undefined, null, "not-a-list", [null, 3, "x"]]) {
            assert.deepEqual(await runResource(rbacNoWildcards, role(rules)), [], `rules=${JSON.stringify(rules)}`);
        }
    });

    it("ignores objects that are not roles", async () => {
        const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, rules: [{ verbs: ["*"] }] };
        assert.deepEqual(await runResource(rbacNoWildcards, cm), []);
    });

    it("reports an exempt object as advisory with its justification", async () => {
        const config = {
            exemptions: [{ kind: "Role", namespace: "team-a", name: "r", justification: "incident SEC-1" }],
        };
        const got = await runResource(
            rbacNoWildcards,
            role([{ apiGroups: ["*"], resources: ["x"], verbs: ["get"] }]),
            config,
        );
        assert.equal(got.length, 1);
        assert.equal(got[0].enforcementLevel, "advisory");
        assert.match(got[0].message, /^exempt: incident SEC-1: Role team-a\/r/);
    });

    it("does not let an exemption for another namespace or kind apply", async () => {
        const obj = role([{ apiGroups: ["*"], resources: ["x"], verbs: ["get"] }]);
        for (const e of [
            { kind: "Role", namespace: "team-b", name: "r" },
            { kind: "ClusterRole", name: "r" },
            { kind: "Role", name: "r" }, // no namespace: cluster-scoped objects only
        ]) {
            const got = await runResource(rbacNoWildcards, obj, { exemptions: [{ ...e, justification: "j" }] });
            assert.equal(enforced(got).length, 1, JSON.stringify(e));
        }
        const any = await runResource(rbacNoWildcards, obj, {
            exemptions: [{ kind: "Role", namespace: "*", name: "r", justification: "j" }],
        });
        assert.equal(enforced(any).length, 0);
    });
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

describe("rbac-no-cluster-admin-binding and rbac-no-system-group-subjects", () => {
    const binding = (kind: string, roleName: string, subjects: unknown[] = []) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind,
        metadata: { name: "b", ...(kind === "RoleBinding" ? { namespace: "team-a" } : {}) },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
        subjects,
    });

    it("flags cluster-admin anywhere and admin/edit only cluster-wide", async () => {
        const cases: [string, string, number][] = [
            ["RoleBinding", "cluster-admin", 1],
            ["ClusterRoleBinding", "cluster-admin", 1],
            ["ClusterRoleBinding", "edit", 1],
            ["ClusterRoleBinding", "admin", 1],
            ["RoleBinding", "edit", 0],
            ["ClusterRoleBinding", "view", 0],
        ];
        for (const [kind, name, n] of cases) {
            const got = await runResource(rbacNoClusterAdminBinding, binding(kind, name));
            assert.equal(got.length, n, `${kind} -> ${name}`);
            if (n) assert.match(got[0].message, new RegExp(`roleRef.name is "${name}"`));
        }
    });

    it("names the subject index of each forbidden group and honours the configured list", async () => {
        const obj = binding("ClusterRoleBinding", "view", [
            { kind: "Group", name: "devs" },
            { kind: "Group", name: "system:authenticated" },
            { kind: "Group", name: "system:masters" },
        ]);
        const got = await runResource(rbacNoSystemGroupSubjects, obj, defaults(rbacNoSystemGroupSubjects));
        assert.deepEqual(
            got.map((g) => /subjects\[(\d)\]/.exec(g.message)![1]),
            ["1", "2"],
        );
        const narrowed = await runResource(rbacNoSystemGroupSubjects, obj, { forbiddenSubjects: ["devs"] });
        assert.deepEqual(
            narrowed.map((g) => /subjects\[(\d)\]/.exec(g.message)![1]),
            ["0"],
        );
    });
});

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

describe("rbac-no-dangerous-aggregation", () => {
    const aggregated = (label: string, value: string, rules: unknown) => ({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "agg", labels: { [label]: value } },
        rules,
    });
    const secrets = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }];

    it("flags dangerous rules only on ClusterRoles aggregated into admin, edit or view", async () => {
        for (const target of ["admin", "edit", "view"]) {
            const got = await runResource(
                rbacNoDangerousAggregation,
                aggregated(`rbac.authorization.k8s.io/aggregate-to-${target}`, "true", secrets),
            );
            assert.equal(got.length, 1, target);
            assert.match(got[0].message, new RegExp(`aggregate-to-${target}`));
            assert.match(got[0].message, /secret-read/);
        }
        assert.equal(
            (
                await runResource(
                    rbacNoDangerousAggregation,
                    aggregated("rbac.authorization.k8s.io/aggregate-to-view", "false", secrets),
                )
            ).length,
            0,
        );
        assert.equal(
            (
                await runResource(
                    rbacNoDangerousAggregation,
                    aggregated("example.com/aggregate-to-view", "true", secrets),
                )
            ).length,
            0,
        );
    });
});

describe("preview: unknown values", () => {
    it("every resource policy throws UnknownValueError (never another error) when it reads an unknown", async () => {
        const unknown = pulumi.runtime.unknownValue;
        const objects = [
            role(unknown),
            role([{ apiGroups: [""], resources: unknown, verbs: ["get"] }]),
            {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRoleBinding",
                metadata: { name: "b" },
                roleRef: unknown,
                subjects: unknown,
            },
            {
                apiVersion: "v1",
                kind: "ServiceAccount",
                metadata: { name: "s", namespace: "n" },
                automountServiceAccountToken: unknown,
            },
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "d", namespace: "n" },
                spec: { template: { spec: unknown } },
            },
            { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: unknown, namespace: "n" }, spec: {} },
        ];
        let threw = 0;
        for (const policy of resourcePolicies) {
            for (const obj of objects) {
                try {
                    await runResource(policy, obj, defaults(policy), { preview: true });
                } catch (e) {
                    assert.ok(e instanceof UnknownValueError, `${policy.name} threw ${String(e)}`);
                    threw++;
                }
            }
        }
        // The unknowns above sit where the policies look, so some must have been read.
        assert.ok(threw >= 10, `only ${threw} policies read an unknown`);
    });

    it("without the preview proxy, an unknown sentinel is treated as malformed data, not a crash", async () => {
        // Rules that are not a list grant nothing: every policy completes and none reports the Role.
        for (const policy of resourcePolicies) {
            const reported = await runResource(policy, role(pulumi.runtime.unknownValue), defaults(policy));
            assert.deepEqual(reported, [], policy.name);
        }
    });
});
