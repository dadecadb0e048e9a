/**
 * The aggregation policies (policies/rbacAggregation.ts), called directly with hand-built validation args:
 * rbac-no-dangerous-aggregation (resource) and rbac-aggregation-rule-least-privilege (stack).
 */
import * as assert from "node:assert/strict";
import {
    rbacAggregationRuleLeastPrivilege,
    rbacNoDangerousAggregation,
} from "../../../policy-pack/policies/rbacAggregation";
import { runResource, runStack } from "../helpers";

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
