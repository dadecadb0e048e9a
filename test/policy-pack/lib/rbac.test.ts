/**
 * The RBAC model the policies' verdicts rest on (policy-pack/lib/rbac.ts), tested function by function: every entry
 * of its tables (workload kinds, dangerous permissions, the built-in roles), the escalation verbs on resources outside
 * the table, the anchors of its patterns, and the defensive reading of malformed objects. The expected tables are
 * written out from the Kubernetes sources they follow (CIS 5.1, the API server's bootstrap policy), not read back
 * from the module.
 */
import * as assert from "node:assert/strict";
import {
    AGGREGATE_LABEL,
    ALL_DANGEROUS,
    aggregationSelectorsOf,
    BINDING_KINDS,
    BUILT_IN_CLUSTER_ROLES,
    CSR_APPROVAL,
    ESCALATION_VERBS,
    grants,
    namespaceOf,
    NAMESPACE_WRITE,
    NODE_PROXY,
    permissions,
    POD_CREATE,
    PV_CREATE,
    READ_VERBS,
    resourceMatches,
    ROLE_KINDS,
    roleRefOf,
    Rule,
    rulesOf,
    SECRET_READ,
    selectorMatches,
    serviceAccountOfSubject,
    showPermission,
    subjectKey,
    subjectsOf,
    TOKEN_CREATE,
    WEBHOOK_WRITE,
    WILDCARD,
    wildcardFields,
    WRITE_VERBS,
} from "../../../policy-pack/lib/rbac";

/** One normalised rule from the fields given (the rest empty). */
function rule(fields: Partial<Omit<Rule, "index">>): Rule {
    return { index: 0, apiGroups: [], resources: [], verbs: [], resourceNames: [], nonResourceURLs: [], ...fields };
}
const grant = (apiGroups: string[], resources: string[], verbs: string[]) => rule({ apiGroups, resources, verbs });

describe("RBAC model", () => {
    it("names the kinds that hold rules and grant them, and the read and write verbs", () => {
        assert.deepEqual([...ROLE_KINDS], ["Role", "ClusterRole"]);
        assert.deepEqual([...BINDING_KINDS], ["RoleBinding", "ClusterRoleBinding"]);
        assert.deepEqual(READ_VERBS, ["get", "list", "watch"]);
        assert.deepEqual(WRITE_VERBS, ["create", "update", "patch", "delete", "deletecollection"]);
    });

    describe("reading rules", () => {
        it("reads every field as an array of strings, dropping what is not a string", () => {
            const [r] = rulesOf({
                rules: [
                    {
                        apiGroups: ["", 1, "apps"],
                        resources: ["pods", null],
                        verbs: ["get", { v: "x" }],
                        resourceNames: ["one"],
                        nonResourceURLs: ["/healthz"],
                    },
                ],
            });
            assert.deepEqual(r, {
                index: 0,
                apiGroups: ["", "apps"],
                resources: ["pods"],
                verbs: ["get"],
                resourceNames: ["one"],
                nonResourceURLs: ["/healthz"],
            });
        });

        it("reads absent or malformed fields and rules as granting nothing, keeping each rule's position", () => {
            assert.deepEqual(rulesOf({}), []);
            assert.deepEqual(rulesOf({ rules: null }), []);
            assert.deepEqual(rulesOf({ rules: { verbs: ["*"] } }), []);
            const rules = rulesOf({ rules: [null, "get", 3, { verbs: "get", resources: { 0: "pods" } }] });
            assert.deepEqual(rules, [
                { index: 3, apiGroups: [], resources: [], verbs: [], resourceNames: [], nonResourceURLs: [] },
            ]);
        });
    });

    describe("matching a permission", () => {
        it("matches resources as the authorizer does: exact, `*`, and `*/subresource` for subresources only", () => {
            assert.equal(resourceMatches(rule({ resources: ["pods"] }), "pods"), true);
            assert.equal(resourceMatches(rule({ resources: ["configmaps", "pods"] }), "pods"), true);
            assert.equal(resourceMatches(rule({ resources: ["*"] }), "pods/exec"), true);
            assert.equal(resourceMatches(rule({ resources: ["*/exec"] }), "pods/exec"), true);
            assert.equal(resourceMatches(rule({ resources: ["*/exec"] }), "pods"), false);
            assert.equal(resourceMatches(rule({ resources: ["*/"] }), "pods"), false);
            assert.equal(
                resourceMatches(rule({ resources: ["*/pods"] }), "pods"),
                false,
                "a resource is no subresource",
            );
            assert.equal(resourceMatches(rule({ resources: ["*/log"] }), "pods/exec"), false);
            assert.equal(resourceMatches(rule({ resources: ["pods"] }), "pods/exec"), false);
            assert.equal(resourceMatches(rule({ resources: ["pods/exec"] }), "pods"), false);
            assert.equal(resourceMatches(rule({ resources: [] }), "pods"), false);
        });

        it("needs the verb, the API group and the resource to match (each may be a wildcard)", () => {
            const p = { apiGroup: "apps", resource: "deployments", verb: "create" };
            assert.equal(grants(grant(["apps"], ["deployments"], ["create"]), p), true);
            assert.equal(grants(grant(["apps"], ["deployments"], ["*"]), p), true);
            assert.equal(grants(grant(["*"], ["deployments"], ["create"]), p), true);
            assert.equal(grants(grant(["apps"], ["*"], ["create"]), p), true);
            assert.equal(grants(grant(["apps"], ["deployments"], ["get"]), p), false, "other verb");
            assert.equal(grants(grant([""], ["deployments"], ["create"]), p), false, "other group");
            assert.equal(grants(grant(["apps"], ["statefulsets"], ["create"]), p), false, "other resource");
            assert.equal(grants(grant([], ["deployments"], ["create"]), p), false, "no group");
            assert.equal(grants(grant(["apps"], ["deployments"], []), p), false, "no verb");
        });

        it("expands groups x resources x verbs in that order", () => {
            assert.deepEqual(permissions(["", "apps"], ["a"], ["get", "list"]), [
                { apiGroup: "", resource: "a", verb: "get" },
                { apiGroup: "", resource: "a", verb: "list" },
                { apiGroup: "apps", resource: "a", verb: "get" },
                { apiGroup: "apps", resource: "a", verb: "list" },
            ]);
        });

        it("shows a permission with its group, the core group bare", () => {
            assert.equal(showPermission({ apiGroup: "", resource: "secrets", verb: "get" }), "get secrets");
            assert.equal(
                showPermission({ apiGroup: "apps", resource: "deployments", verb: "create" }),
                "create apps/deployments",
            );
        });
    });

    describe("dangerous permissions", () => {
        it("counts creating every workload kind as pod creation (CIS 5.1.4), in its own API group only", () => {
            const workloads: [string, string][] = [
                ["", "pods"],
                ["", "replicationcontrollers"],
                ["apps", "deployments"],
                ["apps", "replicasets"],
                ["apps", "statefulsets"],
                ["apps", "daemonsets"],
                ["batch", "jobs"],
                ["batch", "cronjobs"],
                ["argoproj.io", "rollouts"],
            ];
            for (const [group, resource] of workloads) {
                const shown = group ? `${group}/${resource}` : resource;
                assert.deepEqual(POD_CREATE.match(grant([group], [resource], ["create"])), [`create ${shown}`], shown);
                assert.deepEqual(POD_CREATE.match(grant([group], [resource], READ_AND_EDIT)), [], `${shown} read/edit`);
                assert.deepEqual(POD_CREATE.match(grant(["example.com"], [resource], ["create"])), [], resource);
            }
            assert.deepEqual(POD_CREATE.match(grant(["apps"], ["controllerrevisions"], ["create"])), []);
        });

        it("counts exec, attach (create or the websocket get) and ephemeral containers as pod creation", () => {
            assert.deepEqual(POD_CREATE.match(grant([""], ["pods/exec", "pods/attach"], ["create", "get"])), [
                "create pods/exec",
                "get pods/exec",
                "create pods/attach",
                "get pods/attach",
            ]);
            assert.deepEqual(POD_CREATE.match(grant([""], ["pods/exec", "pods/attach"], ["list", "watch"])), []);
            assert.deepEqual(POD_CREATE.match(grant([""], ["pods/ephemeralcontainers"], ["*"])), [
                "create pods/ephemeralcontainers",
                "update pods/ephemeralcontainers",
                "patch pods/ephemeralcontainers",
            ]);
            assert.deepEqual(POD_CREATE.match(grant([""], ["pods/ephemeralcontainers"], ["get", "delete"])), []);
            assert.deepEqual(POD_CREATE.match(grant([""], ["pods/log", "pods/portforward"], ["*"])), []);
        });

        it("reads Secrets with get, list or watch, unless the rule names the Secrets (CIS 5.1.2)", () => {
            assert.deepEqual(SECRET_READ.match(grant([""], ["secrets"], ["get", "list", "watch", "create"])), [
                "get secrets",
                "list secrets",
                "watch secrets",
            ]);
            assert.deepEqual(SECRET_READ.match(grant(["*"], ["*"], ["list"])), ["list secrets"]);
            assert.deepEqual(
                SECRET_READ.match(
                    rule({ apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["tls"] }),
                ),
                [],
            );
            assert.deepEqual(SECRET_READ.match(grant(["example.com"], ["secrets"], ["get"])), []);
            assert.deepEqual(SECRET_READ.match(grant([""], ["secrets"], ["create", "delete"])), []);
        });

        it("reports escalate, bind and impersonate on whatever resource they name, outside the table too", () => {
            assert.deepEqual(ESCALATION_VERBS.match(grant(["example.com"], ["widgets", "gadgets"], ["bind", "get"])), [
                "bind example.com/widgets",
                "bind example.com/gadgets",
            ]);
            assert.deepEqual(ESCALATION_VERBS.match(grant([""], ["configmaps"], ["escalate"])), [
                "escalate configmaps",
            ]);
            assert.deepEqual(ESCALATION_VERBS.match(grant(["x.io"], ["things"], ["impersonate"])), [
                "impersonate x.io/things",
            ]);
            // A rule naming no group or resource still names the verb.
            assert.deepEqual(ESCALATION_VERBS.match(rule({ verbs: ["impersonate", "escalate"] })), [
                "impersonate (no resources)",
                "escalate (no resources)",
            ]);
            assert.deepEqual(ESCALATION_VERBS.match(grant([RBAC], ["roles"], ["get", "list", "create", "update"])), []);
        });

        it("judges a wildcard verb on the resources escalate, bind and impersonate apply to", () => {
            assert.deepEqual(ESCALATION_VERBS.match(grant(["*"], ["*"], ["*"])), [
                "escalate rbac.authorization.k8s.io/roles",
                "bind rbac.authorization.k8s.io/roles",
                "escalate rbac.authorization.k8s.io/clusterroles",
                "bind rbac.authorization.k8s.io/clusterroles",
                "impersonate users",
                "impersonate groups",
                "impersonate serviceaccounts",
                "impersonate authentication.k8s.io/uids",
                "impersonate authentication.k8s.io/userextras/scopes",
            ]);
            assert.deepEqual(ESCALATION_VERBS.match(grant([""], ["serviceaccounts"], ["*"])), [
                "impersonate serviceaccounts",
            ]);
            assert.deepEqual(ESCALATION_VERBS.match(grant([RBAC], ["rolebindings"], ["*"])), []);
            assert.deepEqual(ESCALATION_VERBS.match(grant([""], ["configmaps"], ["*"])), []);
        });

        it("reports each other class on exactly its verbs and resources", () => {
            const cases: [typeof PV_CREATE, Rule, string[]][] = [
                [PV_CREATE, grant([""], ["persistentvolumes"], ["*"]), ["create persistentvolumes"]],
                [PV_CREATE, grant([""], ["persistentvolumeclaims", "persistentvolumes"], READ_AND_EDIT), []],
                [
                    NODE_PROXY,
                    grant([""], ["nodes/proxy"], ["*"]),
                    ["get", "create", "update", "patch", "delete"].map((v) => `${v} nodes/proxy`),
                ],
                [NODE_PROXY, grant([""], ["nodes", "nodes/proxy"], ["list", "watch"]), []],
                [
                    CSR_APPROVAL,
                    grant(["certificates.k8s.io"], ["certificatesigningrequests/approval", "signers"], ["*"]),
                    [
                        "update certificates.k8s.io/certificatesigningrequests/approval",
                        "approve certificates.k8s.io/signers",
                    ],
                ],
                [CSR_APPROVAL, grant(["certificates.k8s.io"], ["certificatesigningrequests"], ["*"]), []],
                [
                    WEBHOOK_WRITE,
                    grant(["admissionregistration.k8s.io"], ["*"], ["*"]),
                    ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"].flatMap((r) =>
                        ["create", "update", "patch", "delete", "deletecollection"].map(
                            (v) => `${v} admissionregistration.k8s.io/${r}`,
                        ),
                    ),
                ],
                [WEBHOOK_WRITE, grant(["admissionregistration.k8s.io"], ["*"], ["get", "list", "watch"]), []],
                [TOKEN_CREATE, grant([""], ["serviceaccounts/token"], ["*"]), ["create serviceaccounts/token"]],
                [TOKEN_CREATE, grant([""], ["serviceaccounts"], ["create"]), []],
                [NAMESPACE_WRITE, grant([""], ["namespaces"], ["*"]), ["update namespaces", "patch namespaces"]],
                [NAMESPACE_WRITE, grant([""], ["namespaces"], ["get", "create", "delete"]), []],
            ];
            for (const [cls, r, expected] of cases) assert.deepEqual(cls.match(r), expected, `${cls.id} ${r.verbs}`);
        });

        it("finds every wildcard, as field[index], in verbs, API groups, resources and non-resource URLs", () => {
            const r = rule({
                verbs: ["get", "*"],
                apiGroups: ["*"],
                resources: ["pods", "*/exec"],
                nonResourceURLs: ["/metrics", "/logs/*"],
                resourceNames: ["*"],
            });
            assert.deepEqual(wildcardFields(r), [
                { field: "verbs[1]", value: "*" },
                { field: "apiGroups[0]", value: "*" },
                { field: "resources[1]", value: "*/exec" },
                { field: "nonResourceURLs[1]", value: "/logs/*" },
            ]);
            assert.deepEqual(WILDCARD.match(r), [
                'verbs[1]="*"',
                'apiGroups[0]="*"',
                'resources[1]="*/exec"',
                'nonResourceURLs[1]="/logs/*"',
            ]);
            assert.deepEqual(WILDCARD.match(grant([""], ["pods"], ["get"])), []);
        });

        it("lists every class for the aggregation check", () => {
            assert.deepEqual(
                ALL_DANGEROUS.map((d) => d.id),
                [
                    "wildcard",
                    "secret-read",
                    "pod-create",
                    "escalate-bind-impersonate",
                    "persistentvolume-create",
                    "nodes-proxy",
                    "csr-approval",
                    "webhook-config-write",
                    "serviceaccount-token-create",
                    "namespace-write",
                ],
            );
            for (const d of ALL_DANGEROUS) assert.ok(d.risk.length > 20, d.id);
        });
    });

    describe("bindings and subjects", () => {
        it("reads subjects, skipping malformed ones but keeping each subject's position", () => {
            assert.deepEqual(subjectsOf({}), []);
            assert.deepEqual(subjectsOf({ subjects: "ci" }), []);
            assert.deepEqual(
                subjectsOf({
                    subjects: [
                        null,
                        { kind: "User" },
                        { name: "x" },
                        { kind: "Group", name: 7 },
                        "ci",
                        { kind: "ServiceAccount", name: "deployer", namespace: "ci" },
                        { kind: "User", name: "alice", namespace: 3 },
                    ],
                }),
                [
                    { index: 5, kind: "ServiceAccount", name: "deployer", namespace: "ci" },
                    { index: 6, kind: "User", name: "alice", namespace: undefined },
                ],
            );
        });

        it("reads a roleRef only when it has a string kind and name", () => {
            assert.deepEqual(roleRefOf({ roleRef: { kind: "ClusterRole", name: "view", apiGroup: RBAC } }), {
                kind: "ClusterRole",
                name: "view",
            });
            for (const roleRef of [
                undefined,
                null,
                "view",
                { kind: "ClusterRole" },
                { name: "view" },
                { kind: 1, name: "v" },
            ]) {
                assert.equal(roleRefOf({ roleRef }), undefined, JSON.stringify(roleRef));
            }
        });

        it("puts an object without a namespace in `default`", () => {
            assert.equal(namespaceOf({ metadata: { namespace: "ci" } }), "ci");
            assert.equal(namespaceOf({ metadata: { namespace: "" } }), "default");
            assert.equal(namespaceOf({ metadata: {} }), "default");
            assert.equal(namespaceOf({}), "default");
            assert.equal(namespaceOf({ metadata: { namespace: 5 as unknown as string } }), "default");
        });

        it("knows a service account by subject or by its `system:serviceaccount:<ns>:<name>` user name, exactly", () => {
            const sa = (name: string, namespace?: string) => ({ index: 0, kind: "ServiceAccount", name, namespace });
            const user = (name: string) => ({ index: 0, kind: "User", name });
            assert.equal(serviceAccountOfSubject(sa("deployer", "ci"), "apps"), "ci/deployer");
            assert.equal(serviceAccountOfSubject(sa("deployer"), "apps"), "apps/deployer");
            assert.equal(serviceAccountOfSubject(sa("deployer"), undefined), "default/deployer");
            assert.equal(serviceAccountOfSubject(user("system:serviceaccount:ci:deployer"), "apps"), "ci/deployer");
            for (const name of [
                "alice",
                "xsystem:serviceaccount:ci:deployer",
                "system:serviceaccount:ci:deployer:extra",
                "system:serviceaccount::deployer",
                "system:serviceaccount:ci:",
                "system:serviceaccount:ci",
                "system:serviceaccounts:ci",
            ]) {
                assert.equal(serviceAccountOfSubject(user(name), "apps"), undefined, name);
            }
            assert.equal(
                serviceAccountOfSubject({ index: 0, kind: "Group", name: "system:serviceaccount:ci:deployer" }, "ci"),
                undefined,
            );
        });

        it("keys a subject so that one identity written two ways compares equal", () => {
            const viaUser = { index: 0, kind: "User", name: "system:serviceaccount:ci:deployer" };
            const viaSa = { index: 1, kind: "ServiceAccount", name: "deployer" };
            assert.equal(subjectKey(viaUser, undefined), "ServiceAccount ci/deployer");
            assert.equal(subjectKey(viaSa, "ci"), "ServiceAccount ci/deployer");
            assert.equal(subjectKey({ index: 0, kind: "Group", name: "devs" }, "ci"), "Group devs");
            assert.equal(subjectKey({ index: 0, kind: "User", name: "alice" }, "ci"), "User alice");
        });
    });

    describe("aggregation", () => {
        it("matches label selectors as Kubernetes does, operator by operator", () => {
            const labels = { tier: "web", n: 1 as unknown as string };
            const match = (selector: object) => selectorMatches(selector, labels);
            assert.equal(match({}), true, "an empty selector matches everything");
            assert.equal(selectorMatches({}, undefined), true);
            assert.equal(match({ matchLabels: { tier: "web" } }), true);
            assert.equal(match({ matchLabels: { tier: "db" } }), false);
            assert.equal(selectorMatches({ matchLabels: { tier: "web" } }, undefined), false);
            const expr = (key: unknown, operator: unknown, values?: unknown) => ({
                matchExpressions: [{ key, operator, values }],
            });
            assert.equal(match(expr("tier", "In", ["db", "web"])), true);
            assert.equal(match(expr("tier", "In", ["db"])), false);
            assert.equal(match(expr("n", "In", ["1"])), true, "values compare as strings");
            assert.equal(match(expr("zone", "In", ["undefined"])), false, "In needs the label");
            assert.equal(match(expr("tier", "NotIn", ["db"])), true);
            assert.equal(match(expr("tier", "NotIn", ["web"])), false);
            assert.equal(match(expr("zone", "NotIn", ["undefined"])), true, "NotIn holds without the label");
            assert.equal(match(expr("tier", "Exists")), true);
            assert.equal(match(expr("zone", "Exists")), false);
            assert.equal(match(expr("zone", "DoesNotExist")), true);
            assert.equal(match(expr("tier", "DoesNotExist")), false);
            assert.equal(match(expr("tier", "Equals", ["web"])), false, "an unknown operator matches nothing");
            assert.equal(match(expr(7, "Exists")), false, "a key that is not a string matches nothing");
            assert.equal(selectorMatches(expr(7, "Exists"), { 7: "x" }), false, "not even a label spelt like it");
            assert.equal(match({ matchExpressions: [null] }), false);
            assert.equal(match({ matchExpressions: "tier" }), true, "malformed expressions are no constraint");
            assert.equal(
                match({
                    matchExpressions: [
                        { key: "tier", operator: "Exists" },
                        { key: "zone", operator: "Exists" },
                    ],
                }),
                false,
                "every expression must hold",
            );
            assert.equal(
                match({ matchLabels: { tier: "web" }, matchExpressions: [{ key: "zone", operator: "Exists" }] }),
                false,
            );
        });

        it("reads clusterRoleSelectors, telling no aggregationRule from an empty one", () => {
            assert.equal(aggregationSelectorsOf({}), undefined);
            assert.equal(aggregationSelectorsOf({ aggregationRule: "x" }), undefined);
            assert.deepEqual(aggregationSelectorsOf({ aggregationRule: {} }), []);
            assert.deepEqual(aggregationSelectorsOf({ aggregationRule: { clusterRoleSelectors: {} } }), []);
            assert.deepEqual(
                aggregationSelectorsOf({ aggregationRule: { clusterRoleSelectors: [null, "a", { matchLabels: {} }] } }),
                [{ matchLabels: {} }],
            );
        });

        it("recognises exactly the labels that aggregate into admin, edit and view", () => {
            for (const role of ["admin", "edit", "view"]) {
                assert.ok(AGGREGATE_LABEL.test(`rbac.authorization.k8s.io/aggregate-to-${role}`), role);
            }
            for (const label of [
                "rbac.authorization.k8s.io/aggregate-to-cluster-admin",
                "rbac.authorization.k8s.io/aggregate-to-edit2",
                "xrbac.authorization.k8s.io/aggregate-to-edit",
                "example.com/rbac.authorization.k8s.io/aggregate-to-view",
                "rbacXauthorization.k8s.io/aggregate-to-view",
                "rbac.authorizationXk8s.io/aggregate-to-view",
                "rbac.authorization.k8sXio/aggregate-to-view",
                "rbac.authorization.k8s.io/aggregate-to-",
            ]) {
                assert.equal(AGGREGATE_LABEL.test(label), false, label);
            }
        });
    });

    describe("built-in cluster roles", () => {
        const rulesOfRole = (name: string) => rulesOf({ rules: [...BUILT_IN_CLUSTER_ROLES[name]] });
        const can = (role: string, apiGroup: string, resource: string, verb: string) =>
            rulesOfRole(role).some((r) => grants(r, { apiGroup, resource, verb }));
        const WRITE = ["create", "delete", "deletecollection", "patch", "update"];
        const READ = ["get", "list", "watch"];
        // The API server's bootstrap policy for edit (and admin), condensed to what the policies judge.
        const EDITABLE: [string, string[]][] = [
            [
                "",
                [
                    "pods",
                    "pods/attach",
                    "pods/exec",
                    "pods/portforward",
                    "pods/proxy",
                    "configmaps",
                    "events",
                    "persistentvolumeclaims",
                    "replicationcontrollers",
                    "replicationcontrollers/scale",
                    "secrets",
                    "serviceaccounts",
                    "services",
                    "services/proxy",
                ],
            ],
            [
                "apps",
                [
                    "daemonsets",
                    "deployments",
                    "deployments/rollback",
                    "deployments/scale",
                    "replicasets",
                    "replicasets/scale",
                    "statefulsets",
                    "statefulsets/scale",
                ],
            ],
            ["autoscaling", ["horizontalpodautoscalers"]],
            ["batch", ["cronjobs", "jobs"]],
            ["networking.k8s.io", ["ingresses", "networkpolicies"]],
            ["policy", ["poddisruptionbudgets"]],
        ];
        const NOT_VIEWABLE = [
            "secrets",
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "services/proxy",
        ];

        it("cluster-admin grants everything, non-resource URLs included", () => {
            assert.ok(can("cluster-admin", "example.com", "anything/sub", "frobnicate"));
            assert.deepEqual(
                rulesOfRole("cluster-admin").map((r) => [r.verbs, r.nonResourceURLs]),
                [
                    [["*"], []],
                    [["*"], ["*"]],
                ],
            );
        });

        it("edit and admin write and read every resource of the edit table, and impersonate service accounts", () => {
            for (const role of ["edit", "admin"]) {
                for (const [group, resources] of EDITABLE) {
                    for (const resource of resources) {
                        for (const verb of [...WRITE, ...READ]) {
                            assert.ok(can(role, group, resource, verb), `${role}: ${verb} ${group}/${resource}`);
                        }
                    }
                }
                assert.ok(can(role, "", "serviceaccounts", "impersonate"), role);
                assert.ok(!can(role, "", "users", "impersonate"), role);
                assert.ok(!can(role, "", "nodes", "get"), role);
                assert.ok(!can(role, "apps", "pods", "create"), `${role}: resources stay in their group`);
                assert.ok(!can(role, "", "deployments", "create"), `${role}: resources stay in their group`);
            }
            assert.ok(!can("edit", RBAC, "roles", "create"), "edit does not manage roles");
            assert.ok(!can("edit", RBAC, "rolebindings", "get"));
        });

        it("admin also manages roles and role bindings, and creates local access reviews", () => {
            for (const resource of ["roles", "rolebindings"]) {
                for (const verb of [...WRITE, ...READ]) assert.ok(can("admin", RBAC, resource, verb), resource + verb);
            }
            assert.ok(can("admin", "authorization.k8s.io", "localsubjectaccessreviews", "create"));
            assert.ok(!can("admin", RBAC, "clusterroles", "create"));
            assert.ok(!can("admin", RBAC, "roles", "escalate"));
        });

        it("view reads the edit table except Secrets and the exec, attach and proxy subresources, and writes nothing", () => {
            for (const [group, resources] of EDITABLE) {
                for (const resource of resources) {
                    for (const verb of READ) {
                        const expected = !NOT_VIEWABLE.includes(resource);
                        assert.equal(
                            can("view", group, resource, verb),
                            expected,
                            `view: ${verb} ${group}/${resource}`,
                        );
                    }
                    for (const verb of WRITE) assert.ok(!can("view", group, resource, verb), `${verb} ${resource}`);
                }
            }
            assert.ok(!can("view", "", "serviceaccounts", "impersonate"));
        });
    });
});

const RBAC = "rbac.authorization.k8s.io";
/** Every verb a rule can hold except `create`. */
const READ_AND_EDIT = ["get", "list", "watch", "update", "patch", "delete", "deletecollection"];
