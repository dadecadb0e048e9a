/**
 * Every pod template the schemas allow is checked: the kinds with a pod spec, and the paths to each, are derived from
 * the type declarations of the schema packages (see ./podTemplateSchemas.ts), and for each of them an object with a
 * bad pod spec at that place (an unpinned Docker Hub image with a token in its env) must fail images-digest-pinned,
 * images-allowed-registries, images-signed and no-plaintext-credentials under prod's policy config, each naming the
 * container. A new kind in the schemas with a pod template the policies do not reach fails here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair } from "../../../policy-pack/images/keys";
import { PolicyEngine, Violation } from "../../../policy-pack/lib/engine";
import { KubeObject } from "../../../policy-pack/lib/kubernetes";
import { githubToken } from "../secrets/fakeCredentials";
import { PodTemplateKind, podTemplateKinds } from "./podTemplateSchemas";

const ROOT = path.join(__dirname, "..", "..", "..");
const CHECKED = ["images-digest-pinned", "images-allowed-registries", "images-signed", "no-plaintext-credentials"];
const BAD_IMAGE = "docker.io/curlimages/curl:latest";

/** prod's policy config with a real (generated) trusted key, so images-signed judges images, not its config. */
function prodConfig(): Record<string, unknown> {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, "policy-pack", "config", "prod.json"), "utf8"));
    config["images-signed"].trustedKeys = [{ name: "release-ci", publicKey: generateKeyPair("ecdsa-p256").publicPem }];
    return config;
}

/** A pod spec whose one container breaks every checked policy; `token` is its credential. */
function badPodSpec(token: string): Record<string, unknown> {
    return {
        restartPolicy: "Never",
        containers: [{ name: "probe", image: BAD_IMAGE, env: [{ name: "SMOKE_PATHS", value: `/health ${token}` }] }],
    };
}

/** An object of `kind` with `leaf` placed at `at` (`*` makes a one-element array). */
function objectWith(kind: PodTemplateKind, at: readonly string[], leaf: unknown): KubeObject {
    const obj: Record<string, unknown> = {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        metadata: { name: "probe-owner", namespace: "prod" },
    };
    let node: Record<string, unknown> | unknown[] = obj;
    at.forEach((key, i) => {
        const last = i === at.length - 1;
        const next = last ? leaf : at[i + 1] === "*" ? [] : {};
        if (key === "*") {
            (node as unknown[]).push(next);
        } else {
            const existing = (node as Record<string, unknown>)[key];
            (node as Record<string, unknown>)[key] = existing ?? next;
        }
        node = (key === "*" ? (node as unknown[])[0] : (node as Record<string, unknown>)[key]) as typeof node;
    });
    return obj as KubeObject;
}

function byPolicy(violations: Violation[]): Map<string, Violation[]> {
    const out = new Map<string, Violation[]>();
    for (const v of violations) {
        if (v.enforcementLevel !== "mandatory") continue;
        out.set(v.policy, [...(out.get(v.policy) ?? []), v]);
    }
    return out;
}

describe("every pod template of the schemas is checked", function () {
    this.timeout(120_000);
    let kinds: PodTemplateKind[];
    let engine: PolicyEngine;

    before(() => {
        const seen = new Map<string, PodTemplateKind>();
        for (const k of podTemplateKinds()) {
            const key = `${k.apiVersion} ${k.kind}`;
            const paths = [...(seen.get(key)?.paths ?? []), ...k.paths];
            const unique = [...new Map(paths.map((p) => [p.join("."), p])).values()];
            seen.set(key, { ...k, paths: unique });
        }
        kinds = [...seen.values()];
        engine = new PolicyEngine({ config: prodConfig(), only: CHECKED });
    });

    it("derives the kinds from the schemas (the walk itself works)", () => {
        const found = new Set(
            kinds.map((k) => `${k.apiVersion} ${k.kind} ${k.paths.map((p) => p.join(".")).join(" ")}`),
        );
        // A few kinds whose place is known, so that a walk that finds nothing cannot pass the test below.
        for (const expected of [
            "v1 Pod spec",
            "apps/v1 Deployment spec.template.spec",
            "batch/v1 CronJob spec.jobTemplate.spec.template.spec",
            "argoproj.io/v1alpha1 AnalysisTemplate spec.metrics.*.provider.job.spec.template.spec",
        ]) {
            assert.ok(
                found.has(expected),
                `the schema walk did not find ${expected}; found:\n${[...found].join("\n")}`,
            );
        }
        assert.ok(kinds.length >= 40, `only ${kinds.length} kinds with pod templates found`);
    });

    it("fails the image and credential policies for a bad pod spec at every place a schema allows one", async () => {
        const misses: string[] = [];
        let checked = 0;
        for (const kind of kinds) {
            for (const at of kind.paths) {
                const token = githubToken();
                const obj = objectWith(kind, at, badPodSpec(token));
                const violations = await engine.check([{ object: obj }]);
                const found = byPolicy(violations);
                const label = `${kind.apiVersion} ${kind.kind} at ${at.join(".")}`;
                checked++;
                for (const policy of CHECKED) {
                    const messages = (found.get(policy) ?? []).map((v) => v.message);
                    const named =
                        policy === "no-plaintext-credentials"
                            ? messages.some((m) =>
                                  /containers\[0\] \(probe\)\.env\[0\] \(SMOKE_PATHS\)\.value holds a literal/.test(m),
                              )
                            : messages.some((m) => m.includes("containers[0] (probe)") && m.includes(BAD_IMAGE));
                    if (!named)
                        misses.push(`${label}: ${policy} did not fail it (${messages.join(" | ") || "no violation"})`);
                }
                assert.ok(!JSON.stringify(violations).includes(token), `${label}: a message shows the token`);
            }
        }
        assert.deepEqual(misses, [], `pod templates the policies do not reach:\n${misses.join("\n")}`);
        assert.ok(checked >= 40);
    });
});
