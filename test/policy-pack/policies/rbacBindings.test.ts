/** rbac-no-cluster-admin-binding and rbac-no-system-group-subjects (policies/rbacBindings.ts), called directly. */
import * as assert from "node:assert/strict";
import { rbacNoClusterAdminBinding, rbacNoSystemGroupSubjects } from "../../../policy-pack/policies/rbacBindings";
import { defaults, runResource } from "../helpers";

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
