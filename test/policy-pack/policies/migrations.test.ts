/**
 * release-migrations-ordering: migration Jobs the release waits on, and contracts that run only once the version they
 * retire can no longer serve. The policy's names of labels and annotations are the component's.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as component from "../../../components/blueGreenService/migrations";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";
import * as policy from "../../../policy-pack/policies/migrations";
import { releaseMigrationsOrdering } from "../../../policy-pack/policies/migrations";
import { collector, enforced, runStack, stackArgs, urnOf } from "../helpers";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const APP = `registry.example.com/shop/checkout@${digest("a")}`;
const OLD = `registry.example.com/shop/checkout@${digest("b")}`;
const MIGRATE = `registry.example.com/shop/checkout-migrations@${digest("c")}`;

function rollout(image: string, jobs: string[], namespace = "shop"): KubeObject {
    return {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: {
            name: "checkout",
            namespace,
            annotations: jobs.length > 0 ? { [policy.MIGRATION_JOBS_ANNOTATION]: jobs.join(",") } : {},
        },
        spec: { template: { spec: { containers: [{ name: "checkout", image }] } } },
    };
}

function job(name: string, phase: string, annotations: Record<string, string> = {}, service = "checkout"): KubeObject {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name,
            namespace: "shop",
            labels: { [policy.MIGRATION_SERVICE_LABEL]: service, [policy.MIGRATION_PHASE_LABEL]: phase },
            annotations,
        },
        spec: { template: { spec: { containers: [{ name: phase, image: MIGRATE }] } } },
    };
}

const contract = (annotations: Record<string, string> = { [policy.RETIRED_IMAGE_ANNOTATION]: OLD }) =>
    job("checkout-contract-1", "contract", annotations);
const expand = (annotations: Record<string, string> = {}) => job("checkout-expand-1", "expand", annotations);

async function messages(objs: KubeObject[]): Promise<string[]> {
    return enforced(await runStack(releaseMigrationsOrdering, objs, { exemptions: [] })).map((r) => r.message);
}

describe("release-migrations-ordering", () => {
    it("uses the component's label and annotation names", () => {
        assert.equal(policy.MIGRATION_PHASE_LABEL, component.MIGRATION_PHASE_LABEL);
        assert.equal(policy.MIGRATION_SERVICE_LABEL, component.MIGRATION_SERVICE_LABEL);
        assert.equal(policy.RETIRED_IMAGE_ANNOTATION, component.RETIRED_IMAGE_ANNOTATION);
        assert.equal(policy.MIGRATION_JOBS_ANNOTATION, component.MIGRATION_JOBS_ANNOTATION);
        assert.equal(policy.SKIP_AWAIT_ANNOTATION, component.SKIP_AWAIT_ANNOTATION);
    });

    it("passes an expand the Rollout waits on, and a later contract of a version no Rollout runs", async () => {
        assert.deepEqual(await messages([rollout(APP, ["checkout-expand-1"]), expand()]), []);
        assert.deepEqual(await messages([rollout(APP, ["checkout-contract-1"]), contract()]), []);
    });

    it("rejects an expand and a contract of one service in one release", async () => {
        const got = await messages([rollout(APP, ["checkout-expand-1", "checkout-contract-1"]), expand(), contract()]);
        assert.equal(got.length, 1, got.join("\n"));
        assert.match(got[0], /^Job shop\/checkout-contract-1: the same release also expands service checkout/);
        assert.match(got[0], /Remediation: /);
    });

    it("lets one service contract while another expands", async () => {
        const other = job("search-expand-1", "expand", {}, "search");
        const got = await messages([
            rollout(APP, ["checkout-contract-1"]),
            {
                ...rollout(`registry.example.com/shop/search@${digest("e")}`, ["search-expand-1"]),
                metadata: {
                    name: "search",
                    namespace: "shop",
                    annotations: { [policy.MIGRATION_JOBS_ANNOTATION]: "search-expand-1" },
                },
            },
            contract(),
            other,
        ]);
        assert.deepEqual(got, []);
    });

    it("rejects a contract of an image a Rollout of the stack runs, in any namespace", async () => {
        const got = await messages([rollout(APP, ["checkout-contract-1"]), rollout(OLD, [], "shop-eu"), contract()]);
        assert.equal(got.length, 1, got.join("\n"));
        assert.match(got[0], /retires .*bbbb, which Rollout shop-eu\/checkout runs/);
        const own = await messages([
            rollout(APP, ["checkout-contract-1"]),
            contract({ [policy.RETIRED_IMAGE_ANNOTATION]: APP }),
        ]);
        assert.match(own[0], /which Rollout shop\/checkout runs/);
    });

    it("rejects a contract without a digest-pinned retired image", async () => {
        for (const annotations of [
            {} as Record<string, string>,
            { [policy.RETIRED_IMAGE_ANNOTATION]: "registry.example.com/shop/checkout:1.2" },
        ]) {
            const got = await messages([rollout(APP, ["checkout-contract-1"]), contract(annotations)]);
            assert.equal(got.length, 1, got.join("\n"));
            assert.match(got[0], /does not name the version it retires by digest/);
        }
    });

    it("rejects migration Jobs no Rollout waits on, or one in another namespace", async () => {
        for (const objs of [
            [rollout(APP, []), contract()],
            [rollout(APP, ["checkout-contract-1"], "elsewhere"), contract()],
            [rollout(APP, ["checkout-contract-2"]), contract()],
            [rollout(APP, []), expand()],
        ]) {
            const got = await messages(objs);
            assert.equal(got.length, 1, got.join("\n"));
            assert.match(got[0], /no Rollout in namespace shop waits on this (expand|contract) migration/);
        }
    });

    it("rejects migration Jobs the engine would not wait for", async () => {
        for (const j of [
            contract({ [policy.RETIRED_IMAGE_ANNOTATION]: OLD, [policy.SKIP_AWAIT_ANNOTATION]: "true" }),
            expand({ [policy.SKIP_AWAIT_ANNOTATION]: "True" }),
        ]) {
            const got = await messages([rollout(APP, [j.metadata!.name as string]), j]);
            assert.equal(got.length, 1, got.join("\n"));
            assert.match(got[0], /annotated pulumi\.com\/skipAwait: "true", so the engine would not wait/);
        }
        assert.deepEqual(
            await messages([rollout(APP, ["checkout-expand-1"]), expand({ [policy.SKIP_AWAIT_ANNOTATION]: "false" })]),
            [],
        );
    });

    it("rejects an unknown phase", async () => {
        const got = await messages([rollout(APP, ["x"]), job("x", "cleanup")]);
        assert.match(got[0], /label is "cleanup", neither "expand" nor "contract"/);
    });

    it("with the Pulumi engine's dependencies, the Rollout must depend on the Jobs it names", async () => {
        const objs = [
            rollout(APP, ["checkout-contract-1"]),
            contract(),
            { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "checkout", namespace: "shop" } },
        ];
        const run = async (dependsOnJob: boolean) => {
            const args = stackArgs(objs, { exemptions: [] });
            const [r, j, sa] = args.resources;
            (r as { dependencies: unknown[] }).dependencies = dependsOnJob ? [sa, j] : [sa];
            const { reported, report } = collector();
            await releaseMigrationsOrdering.validateStack(args, report);
            return enforced(reported).map((v) => v.message);
        };
        assert.deepEqual(await run(true), []);
        const got = await run(false);
        assert.equal(got.length, 1, got.join("\n"));
        assert.match(got[0], /Rollout shop\/checkout names this contract migration but does not depend on it/);
        assert.ok(urnOf(objs[1]));
    });

    it("exempts a Job the config names, as an advisory", async () => {
        const reported = await runStack(releaseMigrationsOrdering, [rollout(APP, []), contract()], {
            exemptions: [
                {
                    kind: "Job",
                    namespace: "shop",
                    name: "checkout-contract-1",
                    justification: "one-off repair, reviewed",
                },
            ],
        });
        assert.equal(enforced(reported).length, 0);
        assert.equal(reported.length, 1);
        assert.equal(reported[0].enforcementLevel, "advisory");
    });

    it("judges a contract whose retired image is unknown at preview only as an advisory", async () => {
        const unknown = contract({
            [policy.RETIRED_IMAGE_ANNOTATION]: pulumi.runtime.unknownValue as unknown as string,
        });
        const reported = await runStack(
            releaseMigrationsOrdering,
            [rollout(APP, ["checkout-contract-1"]), unknown],
            { exemptions: [] },
            { preview: true },
        );
        assert.equal(enforced(reported).length, 0, JSON.stringify(reported));
        assert.ok(reported.some((r) => r.enforcementLevel === "advisory" && /during preview/.test(r.message)));
    });
});
