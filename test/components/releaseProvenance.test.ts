/**
 * The audit trail of releases: the deploy's commit, pipeline run and actor as annotations on each Rollout's own
 * metadata (never the pod template, so recording them restarts nothing), left as the last deploy recorded when a run
 * does not give them (previews), repeated by the release notification; the stack keys that carry them, and the deploy
 * workflow that sets them.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { notificationConfig, RELEASE_ANNOTATIONS } from "../../components/argoRollouts";
import { BlueGreenService } from "../../components/blueGreenService";
import type { BlueGreenServiceArgs } from "../../components/blueGreenService/args";
import { releaseProvenance } from "../../components/blueGreenService/rollout";
import { CONFIG_KEYS } from "../../components/platformConfig";
import { loadServices } from "../../components/serviceConfig";
import { MockSession } from "../../tools/mockRuntime";
import { mockSession } from "../helpers/components";
import { REPO_ROOT } from "../helpers/renderedStack";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const IMAGE = `registry.example.com/shop/checkout@sha256:${"c".repeat(64)}`;
const SHIPPED = {
    commit: "0123456789abcdef0123456789abcdef01234567",
    pipelineRun: "https://git.example.com/org/zdp/actions/runs/42/attempts/1",
    actor: "octocat",
};

function canary(over: Partial<BlueGreenServiceArgs> = {}): BlueGreenServiceArgs {
    return { namespace: "shop", image: IMAGE, strategy: "canary", ...over };
}

describe("release provenance", () => {
    describe("releaseProvenance", () => {
        it("sets every given field and keeps every missing or empty one as recorded", () => {
            assert.deepEqual(releaseProvenance(SHIPPED), {
                annotations: {
                    [RELEASE_ANNOTATIONS.commit]: SHIPPED.commit,
                    [RELEASE_ANNOTATIONS.pipelineRun]: SHIPPED.pipelineRun,
                    [RELEASE_ANNOTATIONS.actor]: SHIPPED.actor,
                },
                ignoreChanges: [],
            });
            assert.deepEqual(releaseProvenance({ commit: SHIPPED.commit, actor: "" }), {
                annotations: { [RELEASE_ANNOTATIONS.commit]: SHIPPED.commit },
                ignoreChanges: [
                    `metadata.annotations["${RELEASE_ANNOTATIONS.pipelineRun}"]`,
                    `metadata.annotations["${RELEASE_ANNOTATIONS.actor}"]`,
                ],
            });
            assert.equal(releaseProvenance(undefined).ignoreChanges.length, 3);
        });
    });

    describe("on the Rollout", () => {
        let session: MockSession;
        beforeEach(async () => {
            session = await mockSession();
        });

        async function rollout(args: BlueGreenServiceArgs) {
            new BlueGreenService("checkout", args);
            await session.settle();
            return session.get(ROLLOUT, "checkout-rollout");
        }

        it("annotates the Rollout's metadata, beside the notification subscriptions, and not its pods", async () => {
            const r = await rollout(canary({ release: SHIPPED }));
            const annotations = r.inputs.metadata.annotations;
            assert.equal(annotations[RELEASE_ANNOTATIONS.commit], SHIPPED.commit);
            assert.equal(annotations[RELEASE_ANNOTATIONS.pipelineRun], SHIPPED.pipelineRun);
            assert.equal(annotations[RELEASE_ANNOTATIONS.actor], SHIPPED.actor);
            assert.ok(Object.keys(annotations).some((k) => k.startsWith("notifications.argoproj.io/subscribe.")));
            const podAnnotations = JSON.stringify(r.inputs.spec.template.metadata);
            for (const key of Object.values(RELEASE_ANNOTATIONS)) assert.ok(!podAnnotations.includes(key), key);
            assert.deepEqual(r.ignoreChanges, []);
        });

        it("a run without the deploy's identity changes neither the annotations nor the pod template", async () => {
            const shipped = await rollout(canary({ release: SHIPPED }));
            session = await mockSession();
            const preview = await rollout(canary());
            for (const key of Object.values(RELEASE_ANNOTATIONS)) {
                assert.equal(preview.inputs.metadata.annotations[key], undefined);
                assert.ok(preview.ignoreChanges.includes(`metadata.annotations["${key}"]`), key);
            }
            // Another deploy's identity is metadata only: same pod template, so no new revision, no restart.
            session = await mockSession();
            const next = await rollout(canary({ release: { ...SHIPPED, commit: "f".repeat(40) } }));
            assert.deepEqual(next.inputs.spec, shipped.inputs.spec);
            assert.deepEqual(preview.inputs.spec, shipped.inputs.spec);
        });

        it("rejects release in a service's stack entry: the deploy workflow sets it for every service", async () => {
            const entry = { name: "checkout", ...canary(), release: SHIPPED };
            await mockSession({ config: { "zdp:services": JSON.stringify([entry]) } });
            assert.throws(
                () => loadServices(new pulumi.Config("zdp")),
                /release is set by the program, not in the stack config/,
            );
        });
    });

    describe("notification", () => {
        it("the release event names the commit, pipeline run and actor from the Rollout's annotations", () => {
            const template = notificationConfig()["template.platform-release-event"];
            for (const key of Object.values(RELEASE_ANNOTATIONS))
                assert.ok(template.includes(`{{index .rollout.metadata.annotations "${key}"}}`), key);
            // Still the JSON body with a `text` field a Slack-style webhook takes, once the template is filled in.
            const body = parse(template).webhook.platform.body as string;
            const filled = body.replace(/\{\{[^}]*\}\}/g, "x");
            assert.match(JSON.parse(filled).text, /commit x, run x, by x/);
        });
    });

    describe("configuration and workflow", () => {
        it("declares the three keys, optional, in Pulumi.yaml and CONFIG_KEYS", () => {
            const declared = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")).config;
            for (const key of ["releaseCommit", "releasePipelineRun", "releaseActor"] as const) {
                assert.equal(CONFIG_KEYS[key].default, "");
                assert.equal(declared[key].default, "");
                assert.equal(declared[key].description, CONFIG_KEYS[key].description);
            }
        });

        it("the deploy workflow sets them from the run for both stacks", () => {
            const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, ".github/workflows/deploy.yml"), "utf8"));
            for (const job of ["staging", "prod"]) {
                const up = (workflow.jobs[job].steps as { uses?: string; with?: Record<string, string> }[]).find(
                    (s) => s.uses?.startsWith("pulumi/actions") && s.with?.command === "up",
                );
                assert.ok(up?.with?.["config-map"], `${job}: no config-map on pulumi up`);
                const config = parse(up.with["config-map"]);
                assert.deepEqual(config["zdp:releaseCommit"], { value: "${{ github.sha }}", secret: false });
                assert.match(config["zdp:releasePipelineRun"].value, /\$\{\{ github\.run_id \}\}/);
                assert.deepEqual(config["zdp:releaseActor"], { value: "${{ github.actor }}", secret: false });
            }
        });
    });
});
