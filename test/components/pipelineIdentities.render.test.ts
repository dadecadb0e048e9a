/**
 * The deployer's Role matches the program: from the offline render of every stack (and of the variants that add
 * kinds: a service with `secretEnv`, a public preview, an existing Istio), every object the program declares in a service namespace is
 * either a release's (the deployer manages it: its group/resource with exactly the provider's apply verbs, Secrets
 * by name) or the platform's (applied by an administrator), and the rendered deployer Role grants all of the former
 * and nothing beyond them, apart from the few named extras the engine and the runbook need.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    APPLY_VERBS,
    AUDITOR_RULES,
    DEPLOYER_EXTRA_RULES,
    DEPLOYER_MANAGED,
    DEPLOYER_OPTIONAL,
    PIPELINE_ROLE_LABEL,
} from "../../components/pipelineIdentities";
import type { RecordedResource } from "../../tools/mockRuntime";
import { REPO_ROOT, RenderedStack, renderedStack, stackNames } from "../helpers/renderedStack";

/**
 * `group/resource` of a kind, as the API server's discovery names it: the lower-case English plural (the CRDs of
 * Argo Rollouts and Istio follow it too: `gateways`, `networkpolicies`, `peerauthentications`).
 */
export function resourceOf(apiVersion: string, kind: string): string {
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    const lower = kind.toLowerCase();
    const plural = /[^aeiou]y$/.test(lower)
        ? `${lower.slice(0, -1)}ies`
        : /(s|x|ch|sh)$/.test(lower)
          ? `${lower}es`
          : `${lower}s`;
    return `${group}/${plural}`;
}

/** Every permission a list of rules grants, as `verb group/resource[/name]` strings. */
function granted(rules: { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }[]) {
    const out = new Set<string>();
    for (const r of rules) {
        for (const g of r.apiGroups ?? [])
            for (const res of r.resources ?? [])
                for (const v of r.verbs)
                    for (const n of r.resourceNames?.length ? r.resourceNames : [""])
                        out.add(`${v} ${g}/${res}${n ? `/${n}` : ""}`);
    }
    return out;
}

/** The zdp component a resource belongs to: its nearest `zdp:index:*` ancestor. */
function ownerOf(stack: RenderedStack, r: RecordedResource): string {
    const byUrn = new Map(stack.resourcesJson.resources.map((x) => [x.urn, x]));
    for (let p = byUrn.get(r.parent ?? ""); p; p = byUrn.get(p.parent ?? "")) {
        if (p.type.startsWith("zdp:index:")) return p.type.slice("zdp:index:".length);
    }
    return "(none)";
}

/** Objects a platform component puts into service namespaces, which an administrator applies, never the deployer. */
const PLATFORM_OWNED: Record<string, string[]> = {
    // The identities' own Roles and bindings: the deployer never touches RBAC.
    PipelineIdentities: ["rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings"],
    // With an existing mesh, the namespace-wide STRICT mutual TLS (docs/architecture.md, "Platform add-ons").
    IstioMesh: ["security.istio.io/peerauthentications"],
};

/** The renders: every stack, plus prod with a `secretEnv` service, with a public preview and with an existing Istio. */
async function renders(): Promise<{ label: string; stack: RenderedStack }[]> {
    const prodServices = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8")).config[
        "zdp:services"
    ];
    const withSecret = [
        { ...prodServices[0], secretEnv: { ...prodServices[0].secretEnv, TEST_DATABASE_URL: "zdpTestDatabaseUrl" } },
        ...prodServices.slice(1),
    ];
    // A public preview adds the token check (RequestAuthentication) and the access policy (AuthorizationPolicy).
    const withPublicPreview = [
        {
            ...prodServices[0],
            traffic: {
                ...prodServices[0].traffic,
                previewExposure: "public",
                previewAccess: {
                    jwt: { issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks.json" },
                },
            },
        },
        ...prodServices.slice(1),
    ];
    const variants: [string, string, string[]][] = [
        ...stackNames().map((s): [string, string, string[]] => [s, s, []]),
        [
            "prod with secretEnv",
            "prod",
            [
                "--set",
                `services=${JSON.stringify(withSecret)}`,
                "--set-secret",
                // Assembled at run time, so the repository's secrets scan finds no connection string here.
                `zdpTestDatabaseUrl=${["postgresql:", "", "app:not-a-password@db.example.test", "app"].join("/")}`,
            ],
        ],
        ["prod with a public preview", "prod", ["--set", `services=${JSON.stringify(withPublicPreview)}`]],
        ["prod with an existing Istio", "prod", ["--set", "istio=existing"]],
    ];
    return Promise.all(variants.map(async ([label, s, args]) => ({ label, stack: await renderedStack(s, args) })));
}

describe("PipelineIdentities against the render", function () {
    this.timeout(300_000);
    let all: { label: string; stack: RenderedStack }[];
    before(async () => {
        all = await renders();
    });

    /** Per render and service namespace: what releases create there, and the rendered deployer and auditor Roles. */
    function analyse(stack: RenderedStack) {
        const namespaces = stack.resourcesJson.outputs.namespaces as string[];
        assert.ok(namespaces.length > 0, `${stack.stack}: no service namespace`);
        const perNs = new Map(
            namespaces.map((ns) => [
                ns,
                { managed: new Set<string>(), secrets: [] as string[], platform: [] as string[] },
            ]),
        );
        for (const r of stack.resourcesJson.resources) {
            const ns = r.inputs?.metadata?.namespace;
            if (!r.type.startsWith("kubernetes:") || !perNs.has(ns) || typeof r.inputs?.kind !== "string") continue;
            const entry = perNs.get(ns)!;
            const res = resourceOf(r.inputs.apiVersion, r.inputs.kind);
            const owner = ownerOf(stack, r);
            if (owner === "BlueGreenService") {
                if (res === "/secrets") entry.secrets.push(r.inputs.metadata.name);
                else entry.managed.add(res);
            } else {
                assert.ok(
                    PLATFORM_OWNED[owner]?.includes(res),
                    `${stack.stack}: ${r.inputs.kind} ${ns}/${r.inputs.metadata.name} of ${owner} is neither a release's nor a known platform object`,
                );
                entry.platform.push(res);
            }
        }
        const role = (identity: string, ns: string) => {
            const found = stack.manifests.filter(
                (m) =>
                    m.object.kind === "Role" &&
                    m.object.metadata?.namespace === ns &&
                    m.object.metadata?.labels?.[PIPELINE_ROLE_LABEL] === identity,
            );
            assert.equal(found.length, 1, `${stack.stack}: ${identity} Role in ${ns}`);
            return (found[0].object as any).rules as Parameters<typeof granted>[0];
        };
        return [...perNs].map(([ns, e]) => ({
            ns,
            ...e,
            deployer: role("deployer", ns),
            auditor: role("auditor", ns),
        }));
    }

    it("finds releases in every service namespace, and the kinds the brief names among them", () => {
        for (const { label, stack } of all) {
            for (const { ns, managed } of analyse(stack)) {
                assert.ok(managed.has("argoproj.io/rollouts"), `${label} ${ns}`);
                assert.ok(managed.has("security.istio.io/peerauthentications"), `${label} ${ns}: release-checks`);
            }
        }
        const kinds = (label: string) =>
            new Set(
                all.filter((r) => r.label === label).flatMap((r) => analyse(r.stack).flatMap((n) => [...n.managed])),
            );
        for (const k of ["security.istio.io/requestauthentications", "security.istio.io/authorizationpolicies"])
            assert.ok(kinds("prod with a public preview").has(k), `the public preview render has ${k}`);
        // Every example stack has a service with migrations: their Jobs and ServiceAccount are the deployer's.
        for (const s of stackNames()) assert.ok(kinds(s).has("batch/jobs"), `${s}: a service migrates`);
    });

    it("the deployer's managed and optional kinds are exactly the kinds releases create, across every render", () => {
        const created = new Set<string>();
        for (const { stack } of all) for (const { managed } of analyse(stack)) for (const k of managed) created.add(k);
        assert.deepEqual(
            [...DEPLOYER_MANAGED, ...DEPLOYER_OPTIONAL].map((r) => `${r.apiGroup}/${r.resource}`).sort(),
            [...created].sort(),
        );
        // Every namespace has the kinds every release creates; the optional ones only where a release opts in.
        const everywhere = new Set(DEPLOYER_MANAGED.map((r) => `${r.apiGroup}/${r.resource}`));
        for (const { label, stack } of all)
            for (const { ns, managed } of analyse(stack))
                for (const k of everywhere) assert.ok(managed.has(k), `${label} ${ns}: no ${k}`);
    });

    it("the rendered deployer Role grants the apply verbs on every released object and nothing beyond them", () => {
        let secretsSeen = 0;
        for (const { label, stack } of all) {
            for (const { ns, managed, secrets, deployer } of analyse(stack)) {
                const needed = new Set<string>();
                for (const k of managed) for (const v of APPLY_VERBS) needed.add(`${v} ${k}`);
                for (const n of secrets) for (const v of APPLY_VERBS) needed.add(`${v} /secrets/${n}`);
                // What the engine needs for an optional kind (the Job await's Pod watch), where the kind is.
                for (const k of DEPLOYER_OPTIONAL)
                    if (managed.has(`${k.apiGroup}/${k.resource}`))
                        for (const p of granted(k.extraRules as Parameters<typeof granted>[0])) needed.add(p);
                secretsSeen += secrets.length;
                const extras = granted(DEPLOYER_EXTRA_RULES as Parameters<typeof granted>[0]);
                const has = granted(deployer);
                const missing = [...needed].filter((p) => !has.has(p));
                const beyond = [...has].filter((p) => !needed.has(p) && !extras.has(p));
                assert.deepEqual(missing, [], `${label} ${ns}: the deployer lacks`);
                assert.deepEqual(beyond, [], `${label} ${ns}: the deployer is granted beyond the release`);
            }
        }
        assert.ok(secretsSeen > 0, "the secretEnv render declares a Secret");
    });

    it("the extras write nothing but the Rollout's status (promote, abort, retry)", () => {
        for (const p of granted(DEPLOYER_EXTRA_RULES as Parameters<typeof granted>[0])) {
            const [verb, resource] = p.split(" ");
            if (["get", "list", "watch"].includes(verb)) {
                assert.notEqual(resource, "/secrets", p);
                continue;
            }
            assert.equal(p, "patch argoproj.io/rollouts/status");
        }
    });

    it("the deployer never gets an unnamed Secret, a platform object's kind it does not release, or RBAC", () => {
        for (const { label, stack } of all) {
            for (const { ns, deployer, platform, managed } of analyse(stack)) {
                for (const p of granted(deployer)) {
                    assert.ok(!/ \/secrets$/.test(p), `${label} ${ns}: ${p}`);
                    assert.ok(!p.includes(" rbac.authorization.k8s.io/"), `${label} ${ns}: ${p}`);
                }
                for (const res of platform.filter((r) => !managed.has(r))) {
                    for (const p of granted(deployer)) assert.ok(!p.endsWith(` ${res}`), `${label} ${ns}: ${p}`);
                }
            }
        }
    });

    it("the auditor reads logs and events of every service namespace, and everything releases create, never Secrets", () => {
        for (const { label, stack } of all) {
            for (const { ns, auditor, managed } of analyse(stack)) {
                assert.deepEqual(auditor, AUDITOR_RULES, `${label} ${ns}`);
                const has = granted(auditor);
                for (const p of ["get /pods/log", "list /events", "watch /events", "list events.k8s.io/events"]) {
                    assert.ok(has.has(p), `${label} ${ns}: auditor lacks ${p}`);
                }
                for (const k of managed)
                    for (const v of ["get", "list", "watch"]) assert.ok(has.has(`${v} ${k}`), `${v} ${k}`);
                for (const p of has) {
                    assert.match(p, /^(get|list|watch) /, `${label} ${ns}: ${p}`);
                    assert.ok(!p.includes("/secrets"), `${label} ${ns}: ${p}`);
                }
            }
        }
    });
});

describe("resourceOf", () => {
    it("names core, grouped and irregular kinds as discovery does", () => {
        assert.equal(resourceOf("v1", "Service"), "/services");
        assert.equal(resourceOf("networking.k8s.io/v1", "NetworkPolicy"), "networking.k8s.io/networkpolicies");
        assert.equal(resourceOf("security.istio.io/v1", "PeerAuthentication"), "security.istio.io/peerauthentications");
        assert.equal(resourceOf("networking.istio.io/v1", "Gateway"), "networking.istio.io/gateways");
    });
});
