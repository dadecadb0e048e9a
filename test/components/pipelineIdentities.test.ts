/**
 * PipelineIdentities under the mock runtime: three ServiceAccounts, namespaced Roles and RoleBindings only, least
 * privilege (no wildcards, no Secret reads for deployer/auditor), argument validation, and ordering after the mesh
 * that creates the service namespaces.
 */
import * as assert from "node:assert/strict";
import { IstioMesh } from "../../components/istioMesh";
import {
    APPLY_VERBS,
    AUDITOR_RULES,
    BUILDER_RULES,
    DEPLOYER_OPTIONAL,
    DEPLOYER_RULES,
    deployerRules,
    optionalReleaseKinds,
    PIPELINE_ROLE_LABEL,
    PipelineIdentities,
    PipelineIdentitiesArgs,
    REGISTRY_PUSH_SECRET,
} from "../../components/pipelineIdentities";
import { MockSession, RecordedResource, valueOf } from "../../tools/mockRuntime";
import { assertArgError, K8S, mockSession, stackSettings } from "../helpers/components";

const READ_VERBS = ["get", "list", "watch"];

describe("PipelineIdentities", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: PipelineIdentitiesArgs, name = "pipeline"): Promise<PipelineIdentities> {
        const p = new PipelineIdentities(name, args);
        await session.settle();
        return p;
    }

    const custom = () => session.resources.filter((r) => r.custom);

    describe("defaults", () => {
        it("creates the pipeline namespace and one ServiceAccount per role, labelled, tokens not mounted", async () => {
            const p = await build();
            assert.deepEqual(session.get(K8S.Namespace, "pipeline-ns").inputs.metadata, { name: "platform-pipeline" });
            for (const role of ["builder", "deployer", "auditor"]) {
                const sa = session.get(K8S.ServiceAccount, `pipeline-${role}`).inputs;
                assert.deepEqual(sa.metadata, {
                    name: `pipeline-${role}`,
                    namespace: "platform-pipeline",
                    labels: { [PIPELINE_ROLE_LABEL]: role },
                });
                assert.equal(sa.automountServiceAccountToken, false, role);
            }
            assert.deepEqual(await valueOf(p.serviceAccounts), {
                builder: "platform-pipeline/pipeline-builder",
                deployer: "platform-pipeline/pipeline-deployer",
                auditor: "platform-pipeline/pipeline-auditor",
            });
            assert.equal(await valueOf(p.namespace), "platform-pipeline");
        });

        it("grants the builder only the push credential, in the pipeline namespace", async () => {
            await build();
            const role = session.get(K8S.Role, "pipeline-builder-pipeline").inputs;
            assert.equal(role.metadata.namespace, "platform-pipeline");
            assert.deepEqual(role.rules, BUILDER_RULES);
            assert.deepEqual(role.rules, [
                { apiGroups: [""], resources: ["secrets"], resourceNames: [REGISTRY_PUSH_SECRET], verbs: ["get"] },
            ]);
            const binding = session.get(K8S.RoleBinding, "pipeline-builder-pipeline").inputs;
            assert.deepEqual(binding.roleRef, {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: "pipeline-builder",
            });
            assert.deepEqual(binding.subjects, [
                { kind: "ServiceAccount", name: "pipeline-builder", namespace: "platform-pipeline" },
            ]);
        });

        it("grants nothing in service namespaces when there are none", async () => {
            await build();
            assert.deepEqual(
                session.find(K8S.Role).map((r) => r.name),
                ["pipeline-builder-pipeline"],
            );
        });
    });

    describe("service namespaces", () => {
        it("gives the deployer and the auditor a Role and a RoleBinding in each service namespace", async () => {
            await build({ serviceNamespaces: ["shop", "payments"] });
            for (const ns of ["shop", "payments"]) {
                for (const [role, rules] of [
                    ["deployer", DEPLOYER_RULES],
                    ["auditor", AUDITOR_RULES],
                ] as const) {
                    const r = session.get(K8S.Role, `pipeline-${role}-${ns}`).inputs;
                    assert.deepEqual(r.metadata, {
                        name: `pipeline-${role}`,
                        namespace: ns,
                        labels: { [PIPELINE_ROLE_LABEL]: role },
                    });
                    assert.deepEqual(r.rules, rules);
                    const b = session.get(K8S.RoleBinding, `pipeline-${role}-${ns}`).inputs;
                    assert.equal(b.metadata.namespace, ns);
                    assert.deepEqual(b.roleRef, {
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "Role",
                        name: r.metadata.name,
                    });
                    assert.deepEqual(b.subjects, [
                        { kind: "ServiceAccount", name: `pipeline-${role}`, namespace: "platform-pipeline" },
                    ]);
                }
            }
            assert.equal(session.find(K8S.Role).length, 1 + 2 * 2);
            assert.equal(session.find(K8S.RoleBinding).length, 1 + 2 * 2);
        });
    });

    describe("kinds only some releases create", () => {
        it("lets the deployer manage migration Jobs (and watch their pods) only where a release migrates", async () => {
            await build({
                serviceNamespaces: ["shop", "payments"],
                releaseKinds: ["shop/kubernetes:batch/v1:Job", "shop/kubernetes:batch/v1:Job"],
            });
            const shop = session.get(K8S.Role, "pipeline-deployer-shop").inputs.rules;
            const jobs = DEPLOYER_OPTIONAL.find((k) => k.resource === "jobs")!;
            assert.deepEqual(shop, deployerRules([], [jobs]));
            assert.ok(shop.some((r: any) => r.apiGroups[0] === "batch" && r.resources.includes("jobs")));
            assert.ok(shop.some((r: any) => r.resources.includes("pods") && r.verbs.join() === "list,watch"));
            const payments = session.get(K8S.Role, "pipeline-deployer-payments").inputs.rules;
            assert.deepEqual(payments, DEPLOYER_RULES);
            assert.ok(!JSON.stringify(payments).includes("jobs") && !JSON.stringify(payments).includes("pods"));
        });

        it("derives the entries from the types a release registers", () => {
            assert.deepEqual(
                optionalReleaseKinds("shop", [
                    "kubernetes:core/v1:Service",
                    "kubernetes:security.istio.io/v1:AuthorizationPolicy",
                    "kubernetes:batch/v1:Job",
                ]),
                ["shop/kubernetes:security.istio.io/v1:AuthorizationPolicy", "shop/kubernetes:batch/v1:Job"],
            );
            assert.deepEqual(optionalReleaseKinds("shop", ["kubernetes:core/v1:Service"]), []);
        });

        it("refuses entries outside the service namespaces or of other kinds", () => {
            const message = assertArgError(
                () =>
                    new PipelineIdentities("pipeline", {
                        serviceNamespaces: ["shop"],
                        releaseKinds: ["payments/kubernetes:batch/v1:Job", "shop/kubernetes:core/v1:Pod", "jobs"],
                    }),
                "PipelineIdentities",
                "pipeline",
                ["releaseKinds[0]", "releaseKinds[1]", "releaseKinds[2]"],
            );
            assert.match(message, /not one of serviceNamespaces/);
            assert.match(message, /kubernetes:core\/v1:Pod is not a kind only some releases create/);
            assert.match(message, /must be "namespace\/<type token>"/);
        });
    });

    describe("release Secrets", () => {
        it("lets the deployer manage exactly the named Secrets, by name, in their namespace only", async () => {
            await build({ serviceNamespaces: ["shop", "payments"], releaseSecrets: ["shop/checkout-env"] });
            const shop = session.get(K8S.Role, "pipeline-deployer-shop").inputs.rules;
            assert.deepEqual(shop, deployerRules(["checkout-env"]));
            const secretRules = shop.filter((r: any) => r.resources.includes("secrets"));
            assert.deepEqual(secretRules, [
                { apiGroups: [""], resources: ["secrets"], resourceNames: ["checkout-env"], verbs: [...APPLY_VERBS] },
            ]);
            assert.deepEqual(session.get(K8S.Role, "pipeline-deployer-payments").inputs.rules, DEPLOYER_RULES);
            assert.ok(!JSON.stringify(DEPLOYER_RULES).includes("secrets"), "no Secret without a name");
        });
    });

    describe("least privilege", () => {
        const rulesOf = (r: RecordedResource) =>
            r.inputs.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];

        it("creates only namespaced RBAC: no ClusterRole or ClusterRoleBinding", async () => {
            await build({ serviceNamespaces: ["shop"] });
            const kinds = new Set(custom().map((r) => r.type));
            assert.deepEqual([...kinds].sort(), [K8S.Namespace, K8S.Role, K8S.RoleBinding, K8S.ServiceAccount].sort());
        });

        it("uses no wildcard in any rule", async () => {
            await build({ serviceNamespaces: ["shop"] });
            for (const role of session.find(K8S.Role)) {
                for (const rule of rulesOf(role)) {
                    for (const field of [rule.apiGroups, rule.resources, rule.verbs]) {
                        assert.ok(!field.includes("*"), `${role.name}: ${JSON.stringify(rule)}`);
                    }
                }
            }
        });

        it("never lets the deployer or the auditor read Secrets, nor touch RBAC objects beyond reading", async () => {
            await build({ serviceNamespaces: ["shop"] });
            for (const name of ["pipeline-deployer-shop", "pipeline-auditor-shop"]) {
                for (const rule of rulesOf(session.get(K8S.Role, name))) {
                    if (rule.apiGroups.includes("") && rule.resources.includes("secrets")) {
                        assert.deepEqual(
                            rule.verbs.filter((v) => READ_VERBS.includes(v)),
                            [],
                            `${name} reads secrets`,
                        );
                    }
                    if (rule.apiGroups.includes("rbac.authorization.k8s.io")) {
                        assert.deepEqual(
                            rule.verbs.filter((v) => !READ_VERBS.includes(v)),
                            [],
                            `${name} writes RBAC`,
                        );
                    }
                }
            }
        });

        it("keeps the auditor read-only", async () => {
            await build({ serviceNamespaces: ["shop"] });
            for (const rule of rulesOf(session.get(K8S.Role, "pipeline-auditor-shop"))) {
                assert.deepEqual(
                    rule.verbs.filter((v) => !READ_VERBS.includes(v)),
                    [],
                    JSON.stringify(rule),
                );
                assert.ok(!rule.resources.includes("secrets"), JSON.stringify(rule));
            }
        });
    });

    describe("validation", () => {
        const cases: [string, PipelineIdentitiesArgs, string[]][] = [
            ["an invalid namespace", { namespace: "CI" }, ["namespace"]],
            ["an invalid service namespace", { serviceNamespaces: ["shop", "-pay"] }, ["serviceNamespaces[1]"]],
            [
                "the pipeline namespace as a service namespace",
                { serviceNamespaces: ["platform-pipeline"] },
                ["serviceNamespaces"],
            ],
            ["a repeated service namespace", { serviceNamespaces: ["shop", "shop"] }, ["serviceNamespaces"]],
            [
                "a release Secret outside the service namespaces",
                { serviceNamespaces: ["shop"], releaseSecrets: ["kube-system/checkout-env"] },
                ["releaseSecrets[0]"],
            ],
            [
                "a release Secret without its namespace",
                { serviceNamespaces: ["shop"], releaseSecrets: ["checkout-env"] },
                ["releaseSecrets[0]"],
            ],
            [
                "a repeated release Secret",
                { serviceNamespaces: ["shop"], releaseSecrets: ["shop/a-env", "shop/a-env"] },
                ["releaseSecrets"],
            ],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                assertArgError(() => new PipelineIdentities("bad", args), "PipelineIdentities", "bad", fields);
            });
        }
    });

    describe("ordering and stacks", () => {
        it("registers after the mesh when given dependsOn, as index.ts does, waiting for the service namespaces", async () => {
            const mesh = new IstioMesh("mesh", { injectedNamespaces: ["shop"] });
            new PipelineIdentities("pipeline", { serviceNamespaces: ["shop"] }, { dependsOn: [mesh] });
            await session.settle();
            const deps = session.get("zdp:index:PipelineIdentities", "pipeline").dependsOn;
            assert.ok(deps.includes(session.get(K8S.Namespace, "mesh-ns-shop").urn), "waits for the shop namespace");
            assert.ok(deps.includes(session.get("kubernetes:helm.sh/v4:Chart", "mesh-istiod").urn), "waits for istiod");
        });

        it("grants the deployer and auditor in exactly each stack's service namespaces", async () => {
            for (const stack of ["staging", "prod"]) {
                const { settings, serviceNamespaces, config, secretKeys } = stackSettings(stack);
                session = await mockSession({ config, secretKeys });
                await build({ namespace: settings.pipelineNamespace, serviceNamespaces }, stack);
                const namespaces = session
                    .find(K8S.Role)
                    .filter((r) => r.inputs.metadata.name === "pipeline-deployer")
                    .map((r) => r.inputs.metadata.namespace);
                assert.deepEqual(namespaces.sort(), [...serviceNamespaces].sort(), stack);
                assert.equal(
                    session.get(K8S.Namespace, `${stack}-ns`).inputs.metadata.name,
                    settings.pipelineNamespace,
                );
            }
        });
    });
});
