/** rbac-no-wildcards (policies/rbacWildcards.ts), called directly with hand-built validation args. */
import * as assert from "node:assert/strict";
import { rbacNoWildcards } from "../../../policy-pack/policies/rbacWildcards";
import { enforced, runResource } from "../helpers";

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
