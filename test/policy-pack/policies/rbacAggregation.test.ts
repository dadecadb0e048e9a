/**
 * rbac-aggregation-rule-least-privilege (policies/rbacAggregation.ts), called directly with hand-built stack validation
 * args. rbac-no-dangerous-aggregation, its resource-policy sibling, is tested with the other resource policies.
 */
import * as assert from "node:assert/strict";
import { rbacAggregationRuleLeastPrivilege } from "../../../policy-pack/policies/rbacAggregation";
import { runStack } from "../helpers";

const RBAC = "rbac.authorization.k8s.io/v1";

describe("rbac-aggregation-rule-least-privilege", () => {
    it("judges an aggregating ClusterRole by the stack's ClusterRoles its selectors pick", async () => {
        const aggregator = {
            apiVersion: RBAC,
            kind: "ClusterRole",
            metadata: { name: "agg" },
            aggregationRule: {
                clusterRoleSelectors: [
                    { matchLabels: { x: "y" } },
                    { matchExpressions: [{ key: "z", operator: "Exists" }] },
                ],
            },
        };
        const part = (name: string, labels: Record<string, string>, verbs: string[]) => ({
            apiVersion: RBAC,
            kind: "ClusterRole",
            metadata: { name, labels },
            rules: [{ apiGroups: [""], resources: ["nodes/proxy"], verbs }],
        });
        const got = await runStack(rbacAggregationRuleLeastPrivilege, [
            aggregator,
            part("by-labels", { x: "y" }, ["get"]),
            part("by-expression", { z: "" }, ["get"]),
            part("not-selected", { x: "n" }, ["get"]),
        ]);
        assert.deepEqual(
            got.map((g) => /clusterRoleSelectors\[(\d)\] selects ClusterRole ([\w-]+)/.exec(g.message)!.slice(1)),
            [
                ["0", "by-labels"],
                ["1", "by-expression"],
            ],
        );
    });
});
