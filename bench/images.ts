/**
 * Benchmark of signature verification at preview time: starts a local registry (Debian's docker-registry on a
 * loopback port), pushes and signs N distinct images (default 20, both formats), then runs the image policies of
 * the offline engine over S services (default 200 Argo Rollouts) that share those images, and prints the time the
 * check took, the registry requests it made and the verifications it ran. The goals: the check within 2 s and
 * exactly one verification per distinct digest; a second check of the same services makes no request at all.
 *
 *   npm run bench:images -- [--images N] [--services S]
 */
import { parseArgs } from "node:util";
import { generateKeyPair, parsePrivateKey } from "../policy-pack/images/keys";
import { parseReference } from "../policy-pack/images/reference";
import { RegistryClient, registryRequestCount } from "../policy-pack/images/registry";
import { signImage } from "../policy-pack/images/sign";
import { verificationCount } from "../policy-pack/images/verify";
import { ManifestObject, PolicyEngine } from "../policy-pack/lib/engine";
import { pushTestImage, registryUnavailableReason, startRegistry } from "./localRegistry";

const GOAL_MS = 2000;

function rollout(i: number, image: string): ManifestObject {
    return {
        object: {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Rollout",
            metadata: { name: `service-${i}`, namespace: `team-${i % 10}` },
            spec: {
                replicas: 2,
                strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } },
                template: {
                    metadata: { labels: { app: `service-${i}` } },
                    spec: { serviceAccountName: `service-${i}`, containers: [{ name: "app", image }] },
                },
            },
        },
        file: `bench/service-${i}.yaml`,
    };
}

async function main(): Promise<number> {
    const { values } = parseArgs({
        options: { images: { type: "string", default: "20" }, services: { type: "string", default: "200" } },
    });
    const imageCount = Number(values.images);
    const serviceCount = Number(values.services);
    if (!(imageCount >= 1 && serviceCount >= imageCount))
        throw new Error("--images must be >= 1 and --services >= --images");
    const missing = registryUnavailableReason();
    if (missing) {
        console.error(`bench:images: ${missing}`);
        return 2;
    }
    const registry = await startRegistry();
    try {
        const client = new RegistryClient({ credentials: { get: () => undefined } });
        const pair = generateKeyPair();
        const key = parsePrivateKey(pair.privatePem);
        const setupStart = performance.now();
        const images: string[] = [];
        for (let i = 0; i < imageCount; i++) {
            const repository = `bench/service-${i}`;
            const digest = await pushTestImage(client, registry.host, repository, `v${i}`);
            await signImage(client, parseReference(`${registry.host}/${repository}@${digest}`), key, {
                format: "both",
            });
            images.push(`${registry.host}/${repository}:v${i}@${digest}`);
        }
        const setupMs = performance.now() - setupStart;
        const objects = Array.from({ length: serviceCount }, (_, i) => rollout(i, images[i % imageCount]));
        const engine = new PolicyEngine({
            only: ["images-digest-pinned", "images-allowed-registries", "images-signed"],
            config: {
                "images-allowed-registries": { allowedRegistries: [`${registry.host}/bench`] },
                "images-signed": { trustedKeys: [{ name: "bench", publicKey: pair.publicPem }] },
            },
        });
        const run = async () => {
            const requests = registryRequestCount();
            const verifications = verificationCount();
            const start = performance.now();
            const violations = await engine.check(objects);
            return {
                ms: performance.now() - start,
                requests: registryRequestCount() - requests,
                verifications: verificationCount() - verifications,
                violations: violations.length,
            };
        };
        const first = await run();
        const second = await run();
        console.log(`setup: pushed and signed ${imageCount} images (cosign + bundle) in ${setupMs.toFixed(0)} ms`);
        for (const [label, r] of [
            ["first check", first],
            ["second check", second],
        ] as const) {
            console.log(
                `${label}: ${serviceCount} Rollouts, ${imageCount} distinct digests: ${r.ms.toFixed(0)} ms, ` +
                    `${r.requests} registry requests, ${r.verifications} verifications, ${r.violations} violations`,
            );
        }
        const ok =
            first.ms <= GOAL_MS &&
            first.verifications === imageCount &&
            first.violations === 0 &&
            second.requests === 0 &&
            second.verifications === 0;
        console.log(
            ok
                ? `goal met: <= ${GOAL_MS} ms, one verification per digest, no request on the second check`
                : `GOAL MISSED: want <= ${GOAL_MS} ms, ${imageCount} verifications, 0 violations, and 0 requests on the second check`,
        );
        return ok ? 0 : 1;
    } finally {
        await registry.stop();
    }
}

main().then(
    (code) => {
        process.exitCode = code;
    },
    (e: unknown) => {
        console.error(`bench:images: ${(e as Error).stack ?? String(e)}`);
        process.exitCode = 2;
    },
);
