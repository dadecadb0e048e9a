/**
 * Every resource policy of the pack (policies/index.ts) at preview: an unknown value read is UnknownValueError, which
 * the analyzer turns into an advisory, and never another error; without the preview proxy, an unknown sentinel is
 * malformed data.
 */
import { UnknownValueError } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { resourcePolicies } from "../../../policy-pack/policies";
import { defaults, runResource } from "../helpers";

const role = (rules: unknown, extra: object = {}) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "r", namespace: "team-a" },
    rules,
    ...extra,
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
