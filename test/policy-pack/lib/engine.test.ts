/**
 * The offline engine: config resolution as the Pulumi engine does it, enforcement levels, exemptions,
 * preview unknowns, and the per-stack config files.
 */
import { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import {
    ManifestObject,
    PolicyConfigError,
    PolicyEngine,
    UnknownPolicyError,
    containsUnknown,
    hasMandatory,
    resolvePolicyConfig,
} from "../../../policy-pack/lib/engine";
import { allPolicies } from "../../../policy-pack/policies";
import { REPO, readText } from "../helpers";

const wildRole: ManifestObject = {
    object: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "wild" },
        rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["get"] }],
    },
    file: "wild.yaml",
    line: 1,
};

function errorsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof PolicyConfigError, String(e));
        return e.errors;
    }
    assert.fail("expected a PolicyConfigError");
}

describe("policy engine: configuration", () => {
    it("fills in schema defaults and keeps configured values", () => {
        const resolved = resolvePolicyConfig(allPolicies, {
            "rbac-no-system-group-subjects": { forbiddenSubjects: ["system:masters"] },
        });
        assert.deepEqual(resolved.get("rbac-no-system-group-subjects")!.properties, {
            exemptions: [],
            forbiddenSubjects: ["system:masters"],
        });
        assert.deepEqual(
            resolved.get("pipeline-separation-of-duties")!.properties.identityLabel,
            "platform.zdp.dev/pipeline-role",
        );
    });

    it("applies levels in Pulumi's order: policy entry, then all, then the policy's own", () => {
        const r = resolvePolicyConfig(allPolicies, {
            all: "advisory",
            "rbac-no-wildcards": { enforcementLevel: "disabled" },
        });
        assert.equal(r.get("rbac-no-wildcards")!.enforcementLevel, "disabled");
        assert.equal(r.get("rbac-no-secret-read")!.enforcementLevel, "advisory");
        const own = resolvePolicyConfig(allPolicies, {});
        assert.equal(own.get("rbac-role-ref-resolvable")!.enforcementLevel, "advisory");
        assert.equal(own.get("rbac-no-secret-read")!.enforcementLevel, "mandatory");
    });

    it("rejects bad config naming the policy and the field", () => {
        const errors = errorsOf(() =>
            resolvePolicyConfig(allPolicies, {
                "rbac-no-wildcards": { exemptions: [{ kind: "Role", name: "x" }] },
                "rbac-no-secret-read": { exemptions: [{ kind: "Role", name: "x", justification: "   " }] },
                "rbac-no-pod-create": { allowedCreators: [{ kind: "Pod", name: "x", resources: [] }] },
                "pipeline-separation-of-duties": { identities: { builder: ["no-slash"] } },
                "rbac-no-node-proxy": { enforcementLevel: "strict" },
                "rbac-no-token-create": { typo: true },
                "no-such-policy": "advisory",
            }),
        );
        const expect = [
            /^rbac-no-wildcards\.exemptions\[0\]: missing required property "justification"$/,
            /^rbac-no-secret-read\.exemptions\[0\]\.justification: .* does not match/,
            /^rbac-no-pod-create\.allowedCreators\[0\]\.kind: "Pod" is not one of "Role", "ClusterRole"$/,
            /^rbac-no-pod-create\.allowedCreators\[0\]\.resources: must have at least 1 item/,
            /^pipeline-separation-of-duties\.identities: missing required property "deployer"$/,
            /^pipeline-separation-of-duties\.identities\.builder\[0\]: "no-slash" does not match/,
            /^rbac-no-node-proxy\.enforcementLevel: "strict" is not an enforcement level/,
            /^rbac-no-token-create: unknown property "typo"/,
            /^no-such-policy: no such policy/,
        ];
        for (const re of expect)
            assert.ok(
                errors.some((e) => re.test(e)),
                `no error matches ${re}:\n${errors.join("\n")}`,
            );
    });

    it("accepts an exemption with a justification", () => {
        resolvePolicyConfig(allPolicies, {
            "rbac-no-wildcards": {
                exemptions: [{ kind: "ClusterRole", name: "x", justification: "vendor operator, SEC-9" }],
            },
        });
    });

    it("declares a config schema on every policy (with exemptions for the RBAC ones) that this validator understands", () => {
        for (const p of allPolicies) {
            assert.ok(p.configSchema, `${p.name} has no configSchema`);
            assert.ok(!("enforcementLevel" in p.configSchema.properties), p.name);
            if (p.tags?.includes("rbac"))
                assert.ok("exemptions" in p.configSchema.properties, `${p.name} takes no exemptions`);
        }
        resolvePolicyConfig(allPolicies, {}); // throws on an unsupported schema keyword
    });

    for (const stack of ["staging", "prod"]) {
        it(`config/${stack}.json validates against every policy's schema`, () => {
            const config = JSON.parse(readText(path.join(REPO, "policy-pack/config", `${stack}.json`)));
            const resolved = resolvePolicyConfig(allPolicies, config);
            // Every policy gets a resolved config (level and properties), none left to the engine's defaults.
            assert.deepEqual([...resolved.keys()].sort(), allPolicies.map((p) => p.name).sort());
        });
    }

    it("prod is mandatory throughout; staging relaxes only the workload-identity and roleRef policies", () => {
        const level = (stack: string) => {
            const config = JSON.parse(readText(path.join(REPO, "policy-pack/config", `${stack}.json`)));
            return new Map([...resolvePolicyConfig(allPolicies, config)].map(([k, v]) => [k, v.enforcementLevel]));
        };
        const prod = level("prod");
        for (const [name, l] of prod) assert.equal(l, "mandatory", `prod: ${name}`);
        const rbac = new Set(allPolicies.filter((p) => p.tags?.includes("rbac")).map((p) => p.name));
        const relaxed = [...level("staging")]
            .filter(([n, l]) => rbac.has(n) && l !== "mandatory")
            .map(([n]) => n)
            .sort();
        assert.deepEqual(relaxed, [
            "rbac-role-ref-resolvable",
            "service-account-token-automount",
            "workload-no-default-service-account",
        ]);
    });
});

describe("policy engine: running policies", () => {
    it("reports the object, file and line of each violation", async () => {
        const v = await new PolicyEngine({ only: ["rbac-no-wildcards"] }).check([wildRole]);
        assert.equal(v.length, 1);
        assert.deepEqual(
            { ...v[0], message: undefined },
            {
                policy: "rbac-no-wildcards",
                enforcementLevel: "mandatory",
                kind: "ClusterRole",
                namespace: null,
                name: "wild",
                file: "wild.yaml",
                line: 1,
                message: undefined,
            },
        );
        assert.ok(hasMandatory(v));
    });

    it("honours advisory, disabled and remediate levels", async () => {
        const run = async (level: EnforcementLevel) =>
            new PolicyEngine({ config: { "rbac-no-wildcards": level }, only: ["rbac-no-wildcards"] }).check([wildRole]);
        assert.equal((await run("advisory"))[0].enforcementLevel, "advisory");
        assert.equal((await run("remediate"))[0].enforcementLevel, "mandatory");
        assert.deepEqual(await run("disabled"), []);
        assert.equal(hasMandatory(await run("advisory")), false);
    });

    it("reports exempt objects as advisory", async () => {
        const engine = new PolicyEngine({
            config: {
                "rbac-no-wildcards": {
                    exemptions: [{ kind: "ClusterRole", name: "wild", justification: "break-glass, SEC-4" }],
                },
            },
            only: ["rbac-no-wildcards"],
        });
        const [v] = await engine.check([wildRole]);
        assert.equal(v.enforcementLevel, "advisory");
        assert.match(v.message, /^exempt: break-glass, SEC-4: /);
    });

    it("rejects unknown --policy names, listing the valid ones", () => {
        assert.throws(
            () => new PolicyEngine({ only: ["rbac-no-wildcards", "nope"] }),
            (e: unknown) =>
                e instanceof UnknownPolicyError && e.unknown.join() === "nope" && e.valid.includes("rbac-no-wildcards"),
        );
    });

    it("turns unknown values at preview into advisory violations, like the analyzer server", async () => {
        const obj = { ...wildRole, object: { ...wildRole.object, rules: pulumi.runtime.unknownValue } };
        assert.ok(containsUnknown(obj.object));
        const v = await new PolicyEngine().check([obj]);
        assert.ok(v.length > 0);
        for (const x of v) {
            assert.equal(x.enforcementLevel, "advisory");
            assert.match(
                x.message,
                /can't run policy '.+' during preview: .* value at \.rules can't be known during preview/,
            );
        }
    });

    it("hands policies the args @pulumi/policy does (type token, isType/asType, getConfig)", async () => {
        const seen: string[] = [];
        const probe: ResourceValidationPolicy = {
            name: "probe",
            description: "records its args",
            enforcementLevel: "mandatory",
            configSchema: { properties: { answer: { type: "integer", default: 42 } } },
            validateResource: (args, report) => {
                const cls = {
                    __pulumiType: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
                } as unknown as new () => pulumi.Resource;
                seen.push(
                    `${args.type} ${args.name} ${args.isType(cls)} ${args.asType(cls) === args.props} ${args.getConfig<{ answer: number }>().answer}`,
                );
                report("found");
            },
        };
        const stackProbe: StackValidationPolicy = {
            name: "stack-probe",
            description: "records its args",
            enforcementLevel: "advisory",
            validateStack: (args, report) => {
                seen.push(`stack ${args.resources.map((r) => r.type).join()}`);
                report("on the role", args.resources[0].urn);
                args.notApplicable("nothing else");
            },
        };
        const v = await new PolicyEngine({ policies: [probe, stackProbe] }).check([wildRole]);
        assert.deepEqual(seen, [
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole wild true true 42",
            "stack kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        ]);
        assert.deepEqual(
            v.map((x) => [x.policy, x.enforcementLevel, x.name, x.message]),
            [
                ["probe", "mandatory", "wild", "found"],
                ["stack-probe", "advisory", "wild", "on the role"],
            ],
        );
    });

    it("says which policy failed on which object when a policy throws", async () => {
        const broken: ResourceValidationPolicy = {
            name: "broken",
            description: "throws",
            validateResource: () => {
                throw new TypeError("boom");
            },
        };
        await assert.rejects(
            new PolicyEngine({ policies: [broken] }).check([wildRole]),
            /policy broken failed on ClusterRole wild: boom/,
        );
    });
});
