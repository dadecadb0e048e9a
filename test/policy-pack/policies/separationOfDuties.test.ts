/**
 * pipeline-separation-of-duties and rbac-role-ref-resolvable (policies/separationOfDuties.ts), called directly with
 * hand-built stack validation args.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";
import {
    identityProblems,
    pipelineSeparationOfDuties,
    rbacRoleRefResolvable,
} from "../../../policy-pack/policies/separationOfDuties";
import { rulesOf } from "../../../policy-pack/lib/rbac";
import { defaults, enforced, runStack, urnOf } from "../helpers";

const RBAC = "rbac.authorization.k8s.io/v1";

function sa(name: string, ns = "platform-pipeline", label?: string): KubeObject {
    return {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name, namespace: ns, ...(label ? { labels: { "platform.zdp.dev/pipeline-role": label } } : {}) },
        automountServiceAccountToken: false,
    };
}

function role(name: string, ns: string, rules: unknown[]): KubeObject {
    return { apiVersion: RBAC, kind: "Role", metadata: { name, namespace: ns }, rules };
}

function roleBinding(
    name: string,
    ns: string,
    roleRef: { kind: string; name: string },
    subjects: unknown[],
): KubeObject {
    return {
        apiVersion: RBAC,
        kind: "RoleBinding",
        metadata: { name, namespace: ns },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", ...roleRef },
        subjects,
    };
}

const saSubject = (name: string, namespace = "platform-pipeline") => ({ kind: "ServiceAccount", name, namespace });

/** The PipelineIdentities layout with one service namespace. */
function pipeline(): KubeObject[] {
    return [
        sa("pipeline-builder", "platform-pipeline", "builder"),
        sa("pipeline-deployer", "platform-pipeline", "deployer"),
        sa("pipeline-auditor", "platform-pipeline", "auditor"),
        role("pipeline-builder", "platform-pipeline", [
            { apiGroups: [""], resources: ["secrets"], resourceNames: ["registry-push"], verbs: ["get"] },
        ]),
        roleBinding("pipeline-builder", "platform-pipeline", { kind: "Role", name: "pipeline-builder" }, [
            saSubject("pipeline-builder"),
        ]),
        role("pipeline-deployer", "shop", [
            { apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["get", "create", "patch"] },
            { apiGroups: [""], resources: ["secrets"], verbs: ["create", "update"] },
        ]),
        roleBinding("pipeline-deployer", "shop", { kind: "Role", name: "pipeline-deployer" }, [
            saSubject("pipeline-deployer"),
        ]),
        role("pipeline-auditor", "shop", [
            { apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["get", "list", "watch"] },
        ]),
        roleBinding("pipeline-auditor", "shop", { kind: "Role", name: "pipeline-auditor" }, [
            saSubject("pipeline-auditor"),
        ]),
    ];
}

describe("pipeline-separation-of-duties", () => {
    const config = defaults(pipelineSeparationOfDuties);

    it("accepts the PipelineIdentities layout", async () => {
        assert.deepEqual(await runStack(pipelineSeparationOfDuties, pipeline(), config), []);
    });

    it("reports against the binding's URN and names the role and rule", async () => {
        const objs = pipeline();
        objs[5] = role("pipeline-deployer", "shop", [
            { apiGroups: ["argoproj.io"], resources: ["rollouts"], verbs: ["create"] },
            { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["delete"] },
        ]);
        const got = await runStack(pipelineSeparationOfDuties, objs, config);
        assert.equal(got.length, 1);
        assert.equal(got[0].urn, urnOf(objs[6]));
        assert.match(
            got[0].message,
            /^RoleBinding shop\/pipeline-deployer: roleRef Role pipeline-deployer rules\[1\] grants delete apps\/replicasets/,
        );
    });

    it("judges the deployer's writes against deployerWritable, which the config can change", async () => {
        const rules = rulesOf({ rules: [{ apiGroups: ["keda.sh"], resources: ["scaledobjects"], verbs: ["create"] }] });
        const allowed = new Set(["argoproj.io/rollouts"]);
        assert.equal(identityProblems("deployer", rules[0], allowed).length, 1);
        assert.equal(identityProblems("deployer", rules[0], new Set(["keda.sh/scaledobjects"])).length, 0);
        // Pods, Deployments and ReplicaSets stay forbidden whatever the config says.
        const pods = rulesOf({ rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["create"] }] });
        assert.equal(identityProblems("deployer", pods[0], new Set(["/pods"])).length, 1);
    });

    it("finds identities by config first, then by label, and reports a label that contradicts the config", async () => {
        const objs = pipeline();
        // Config says the builder account is the auditor: its label now contradicts the config.
        const swapped = {
            ...config,
            identities: {
                builder: [],
                deployer: ["platform-pipeline/pipeline-deployer"],
                auditor: ["platform-pipeline/pipeline-builder", "platform-pipeline/pipeline-auditor"],
            },
        };
        const got = await runStack(pipelineSeparationOfDuties, objs, swapped);
        assert.ok(
            got.some((g) =>
                /labels\["platform.zdp.dev\/pipeline-role"\] is "builder" but the policy config names it the auditor/.test(
                    g.message,
                ),
            ),
        );
        // ... and as the auditor it may not read the registry Secret.
        assert.ok(got.some((g) => /the auditor never reads Secrets/.test(g.message)));
    });

    it("flags a subject bound to the roles of two identities, including an identity holding another's role", async () => {
        const objs = pipeline();
        objs.push(
            roleBinding("auditor-deploys", "shop", { kind: "Role", name: "pipeline-deployer" }, [
                saSubject("pipeline-auditor"),
            ]),
        );
        const got = await runStack(pipelineSeparationOfDuties, objs, config);
        const two = got.filter((g) => /granted to 2 identities/.test(g.message));
        assert.equal(two.length, 1);
        assert.match(
            two[0].message,
            /^RoleBinding shop\/auditor-deploys: Role shop\/pipeline-deployer is granted to 2 identities: the deployer .* and the auditor/,
        );
    });

    it("treats system:serviceaccount users as the service account", async () => {
        const objs = pipeline();
        objs.push(role("sneaky", "shop", [{ apiGroups: [""], resources: ["services"], verbs: ["get"] }]));
        objs.push(
            roleBinding("sneaky", "shop", { kind: "Role", name: "sneaky" }, [
                { kind: "User", name: "system:serviceaccount:platform-pipeline:pipeline-builder" },
            ]),
        );
        const got = await runStack(pipelineSeparationOfDuties, objs, config);
        assert.equal(enforced(got).length, 1);
        assert.match(got[0].message, /the builder may not touch workloads, services, routing or RBAC/);
    });

    it("notes (advisory) an identity binding whose role is not in the stack", async () => {
        const objs = pipeline();
        objs.push(
            roleBinding("ext", "shop", { kind: "ClusterRole", name: "vendor-role" }, [saSubject("pipeline-deployer")]),
        );
        const got = await runStack(pipelineSeparationOfDuties, objs, config);
        assert.equal(got.length, 1);
        assert.equal(got[0].enforcementLevel, "advisory");
        assert.match(got[0].message, /no ClusterRole vendor-role in the stack/);
    });

    it("exempts a binding named in the config, as advisory", async () => {
        const objs = pipeline();
        objs.push(
            roleBinding("audit-secrets", "shop", { kind: "Role", name: "pipeline-deployer" }, [
                { kind: "User", name: "bob" },
            ]),
        );
        objs.push(
            roleBinding("bob-audits", "shop", { kind: "Role", name: "pipeline-auditor" }, [
                { kind: "User", name: "bob" },
            ]),
        );
        const base = await runStack(pipelineSeparationOfDuties, objs, config);
        assert.equal(enforced(base).length, 1);
        const exempt = {
            ...config,
            exemptions: [
                {
                    kind: "RoleBinding",
                    namespace: "shop",
                    name: "bob-audits",
                    justification: "on-call lead, ticket OPS-7",
                },
            ],
        };
        const got = await runStack(pipelineSeparationOfDuties, objs, exempt);
        assert.equal(enforced(got).length, 0);
        assert.match(got[0].message, /^exempt: on-call lead, ticket OPS-7: /);
    });

    it("at preview, judges what it can and notes each object with unknown values as advisory", async () => {
        const objs = pipeline();
        objs[8] = { ...objs[8], subjects: pulumi.runtime.unknownValue };
        objs.push(
            roleBinding("extra", "shop", { kind: "Role", name: "pipeline-deployer" }, [saSubject("pipeline-auditor")]),
        );
        const got = await runStack(pipelineSeparationOfDuties, objs, config, { preview: true });
        assert.ok(
            got.some(
                (g) =>
                    g.enforcementLevel === "advisory" &&
                    /cannot judge RoleBinding shop\/pipeline-auditor during preview/.test(g.message),
            ),
        );
        assert.ok(enforced(got).some((g) => /RoleBinding shop\/extra/.test(g.message)));
    });
});

describe("rbac-role-ref-resolvable", () => {
    it("resolves Roles in the binding's namespace, stack and built-in ClusterRoles and listed external ones", async () => {
        const objs = [
            role("r", "a", []),
            roleBinding("ok", "a", { kind: "Role", name: "r" }, []),
            roleBinding("wrong-ns", "b", { kind: "Role", name: "r" }, []),
            roleBinding("view", "a", { kind: "ClusterRole", name: "view" }, []),
            roleBinding("sys", "a", { kind: "ClusterRole", name: "system:auth-delegator" }, []),
            roleBinding("vendor", "a", { kind: "ClusterRole", name: "vendor" }, []),
            {
                apiVersion: RBAC,
                kind: "ClusterRoleBinding",
                metadata: { name: "crb-role" },
                roleRef: { kind: "Role", name: "r" },
                subjects: [],
            },
            { apiVersion: RBAC, kind: "RoleBinding", metadata: { name: "no-ref", namespace: "a" } },
        ];
        const got = await runStack(rbacRoleRefResolvable, objs, defaults(rbacRoleRefResolvable));
        assert.deepEqual(
            got.map((g) => g.message.split(":")[0]),
            ["RoleBinding b/wrong-ns", "RoleBinding a/vendor", "ClusterRoleBinding crb-role", "RoleBinding a/no-ref"],
        );
        const listed = await runStack(rbacRoleRefResolvable, objs, { externalClusterRoles: ["vendor", "system:*"] });
        assert.equal(listed.length, 3);
    });
});
