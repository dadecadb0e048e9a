/**
 * Falco under the mock runtime: the chart (modern eBPF, JSON output, the platform's rules), alert forwarding whose
 * webhook URL stays secret, argument validation and what staging and prod configure.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { Falco, FalcoArgs, FALCO_PRIORITIES, platformRules } from "../../components/falco";
import { CHARTS } from "../../components/lib/charts";
import { ADDON_IMAGES, imageValues } from "../../components/lib/images";
import { MockSession, outputDetails, SECRET_PLACEHOLDER, valueOf } from "../../tools/mockRuntime";
import {
    assertArgError,
    CHART,
    childrenOf,
    K8S,
    mockSession,
    plaintextOccurrences,
    stackSettings,
} from "../helpers/components";

/** A Falco list or rule as the chart's customRules YAML holds it. */
type RuleEntry = { list?: string; rule?: string; condition?: string; [key: string]: unknown };

const WEBHOOK = "https://hooks.example.test/services/T0000/B0000/falco-test-secret";

describe("Falco", () => {
    let session: MockSession;
    beforeEach(async () => {
        session = await mockSession();
    });

    async function build(args?: FalcoArgs, name = "falco"): Promise<Falco> {
        const falco = new Falco(name, args);
        await session.settle();
        return falco;
    }

    describe("defaults", () => {
        it("creates the namespace and the pinned falco chart, parented to zdp:index:Falco", async () => {
            const falco = await build();
            const component = session.get("zdp:index:Falco", "falco");
            assert.deepEqual(
                childrenOf(session.resources, component.urn)
                    .map((r) => `${r.type}::${r.name}`)
                    .sort(),
                [`${CHART}::falco-chart`, `${K8S.Namespace}::falco-ns`].sort(),
            );
            const chart = session.get(CHART, "falco-chart").inputs;
            assert.equal(chart.chart, CHARTS.falco.chart);
            assert.equal(chart.version, CHARTS.falco.version);
            assert.deepEqual(chart.repositoryOpts, { repo: CHARTS.falco.repo });
            assert.equal(chart.namespace, "falco");
            assert.equal(await valueOf(falco.namespace), "falco");
        });

        it("uses the modern eBPF driver, JSON output, and forwards nothing", async () => {
            await build();
            const values = session.get(CHART, "falco-chart").inputs.values;
            assert.deepEqual(values.driver, {
                ...(imageValues(ADDON_IMAGES.falco).driver as object),
                kind: "modern_ebpf",
            });
            assert.equal(values.falco.json_output, true);
            assert.deepEqual(values.falcosidekick, {
                enabled: false,
                webui: { enabled: false },
                config: {},
                image: (imageValues(ADDON_IMAGES.falco) as any).falcosidekick.image,
            });
            assert.deepEqual(session.find(K8S.Secret), []);
            assert.deepEqual(session.get(CHART, "falco-chart").dependsOn, []);
        });

        it("ships the platform rules as customRules, scoped to every namespace when no service namespace is given", async () => {
            const falco = await build();
            const custom = session.get(CHART, "falco-chart").inputs.values.customRules;
            assert.deepEqual(Object.keys(custom), ["platform-rules.yaml"]);
            const rules: RuleEntry[] = parse(custom["platform-rules.yaml"]);
            assert.deepEqual(rules, platformRules([]));
            const withCondition = rules.filter((r) => r.rule !== undefined);
            assert.equal(withCondition.length, 3);
            assert.deepEqual(
                await valueOf(falco.platformRules),
                withCondition.map((r) => r.rule),
            );
            for (const r of withCondition) assert.ok(r.condition?.endsWith("k8s.ns.name exists"), String(r.rule));
        });
    });

    describe("platform rules", () => {
        it("scope every rule to the service namespaces", async () => {
            await build({ serviceNamespaces: ["shop", "payments"] });
            const rules: RuleEntry[] = parse(
                session.get(CHART, "falco-chart").inputs.values.customRules["platform-rules.yaml"],
            );
            const withCondition = rules.filter((r) => r.rule !== undefined);
            assert.ok(withCondition.length > 0);
            for (const r of withCondition)
                assert.ok(r.condition?.includes("k8s.ns.name in (shop, payments)"), String(r.rule));
        });

        it("reference only lists they define and use valid priorities and required fields", () => {
            const rules = platformRules(["shop"]);
            const lists = new Set(rules.filter((r) => "list" in r).map((r) => r.list as string));
            for (const r of rules.filter((x) => "rule" in x)) {
                for (const key of ["rule", "desc", "condition", "output", "priority"]) {
                    assert.equal(typeof r[key], "string", `${String(r.rule)}: ${key}`);
                }
                for (const [, used] of String(r.condition).matchAll(/\((platform_[a-z_]+)\)/g)) {
                    assert.ok(lists.has(used), `${String(r.rule)} uses undefined list ${used}`);
                }
                assert.ok(
                    (FALCO_PRIORITIES as readonly string[]).includes(String(r.priority).toLowerCase()),
                    `${String(r.rule)}: priority ${String(r.priority)}`,
                );
            }
        });
    });

    describe("alert forwarding", () => {
        it("keeps a secret webhook URL in a Secret falcosidekick reads, marked secret, never in plain text", async () => {
            await build({ alertWebhookUrl: pulumi.secret(WEBHOOK), minimumPriority: "error" });
            const secret = session.get(K8S.Secret, "falco-sidekick-secret");
            assert.deepEqual(secret.secretInputs, ["stringData"]);
            assert.deepEqual(secret.inputs.metadata, { name: "falcosidekick-outputs", namespace: "falco" });
            assert.deepEqual(secret.inputs.stringData, { WEBHOOK_ADDRESS: SECRET_PLACEHOLDER });
            const values = session.get(CHART, "falco-chart").inputs.values;
            assert.deepEqual(values.falcosidekick, {
                enabled: true,
                webui: { enabled: false },
                config: { existingSecret: "falcosidekick-outputs", webhook: { minimumpriority: "error" } },
                image: (imageValues(ADDON_IMAGES.falco) as any).falcosidekick.image,
            });
            assert.ok(
                session.get(CHART, "falco-chart").dependsOn.includes(secret.urn),
                "the chart waits for its Secret",
            );
            assert.deepEqual(plaintextOccurrences(session.resources, WEBHOOK), []);
        });

        it("never records a plain-string URL in plain text in any child resource", async () => {
            await build({ alertWebhookUrl: WEBHOOK });
            assert.deepEqual(session.get(K8S.Secret, "falco-sidekick-secret").secretInputs, ["stringData"]);
            const component = session.get("zdp:index:Falco", "falco").urn;
            assert.deepEqual(
                plaintextOccurrences(
                    session.resources.filter((r) => r.urn !== component),
                    WEBHOOK,
                ),
                [],
            );
        });

        it("forwards from warning by default", async () => {
            await build({ alertWebhookUrl: pulumi.secret(WEBHOOK) });
            const config = session.get(CHART, "falco-chart").inputs.values.falcosidekick.config;
            assert.equal(config.webhook.minimumpriority, "warning");
        });
    });

    describe("validation", () => {
        const cases: [string, FalcoArgs, string[]][] = [
            ["a version range", { version: ">=9.0.0" }, ["version"]],
            ["an invalid namespace", { namespace: "Falco" }, ["namespace"]],
            ["an invalid service namespace", { serviceNamespaces: ["shop", "Pay ments"] }, ["serviceNamespaces[1]"]],
            ["an unknown minimum priority", { minimumPriority: "verbose" }, ["minimumPriority"]],
            ["an upper-case minimum priority", { minimumPriority: "WARNING" }, ["minimumPriority"]],
            [
                "a release check outside the service namespaces",
                {
                    serviceNamespaces: ["shop"],
                    releaseChecks: [{ namespace: "payments", service: "payments", image: "registry.example.com/s:1" }],
                },
                ["releaseChecks[0].namespace"],
            ],
        ];
        for (const [what, args, fields] of cases) {
            it(`rejects ${what}, naming ${fields.join(", ")}`, () => {
                assertArgError(() => new Falco("bad", args), "Falco", "bad", fields);
            });
        }

        it("lists the allowed priorities when one is wrong", () => {
            const message = assertArgError(() => new Falco("bad", { minimumPriority: "loud" }), "Falco", "bad", [
                "minimumPriority",
            ]);
            for (const p of FALCO_PRIORITIES) assert.ok(message.includes(`"${p}"`), p);
        });
    });

    describe("staging vs prod, through the stacks' configuration", () => {
        async function buildForStack(stack: string, setSecret?: Record<string, string>) {
            const { settings, serviceNamespaces, config, secretKeys } = stackSettings(stack, { setSecret });
            session = await mockSession({ config, secretKeys });
            await build(
                {
                    serviceNamespaces,
                    minimumPriority: settings.falcoMinimumPriority,
                    alertWebhookUrl: settings.alertWebhookUrl,
                },
                stack,
            );
            return { settings, serviceNamespaces, values: session.get(CHART, `${stack}-chart`).inputs.values };
        }

        it("forwards nothing when the stack sets no webhook", async () => {
            for (const stack of ["staging", "prod"]) {
                const { values } = await buildForStack(stack);
                assert.equal(values.falcosidekick.enabled, false, stack);
                assert.deepEqual(session.find(K8S.Secret), [], stack);
            }
        });

        it("with a webhook, staging forwards from a lower priority than prod, each from its stack's setting", async () => {
            const staging = await buildForStack("staging", { alertWebhookUrl: WEBHOOK });
            assert.deepEqual(plaintextOccurrences(session.resources, WEBHOOK), []);
            const prod = await buildForStack("prod", { alertWebhookUrl: WEBHOOK });
            assert.deepEqual(plaintextOccurrences(session.resources, WEBHOOK), []);
            const priorities: readonly string[] = FALCO_PRIORITIES;
            const s: string = staging.values.falcosidekick.config.webhook.minimumpriority;
            const p: string = prod.values.falcosidekick.config.webhook.minimumpriority;
            assert.equal(s, staging.settings.falcoMinimumPriority);
            assert.equal(p, prod.settings.falcoMinimumPriority);
            // FALCO_PRIORITIES runs from most to least severe: staging's threshold is further down the list.
            assert.ok(priorities.indexOf(s) > priorities.indexOf(p), `staging ${s} vs prod ${p}`);
            assert.equal((await outputDetails(prod.settings.alertWebhookUrl!)).isSecret, true);
        });

        it("watches each stack's service namespaces", async () => {
            for (const stack of ["staging", "prod"]) {
                const { values, serviceNamespaces } = await buildForStack(stack);
                assert.ok(serviceNamespaces.length > 0, stack);
                assert.deepEqual(
                    parse(values.customRules["platform-rules.yaml"]),
                    platformRules(serviceNamespaces),
                    stack,
                );
            }
        });
    });
});
