/**
 * releaseResources (resources.ts): the list the program checks services for collisions with must be exactly what
 * the constructor registers, for every shape of release.
 */
import * as assert from "node:assert/strict";
import { BlueGreenService } from "../../../components/blueGreenService";
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import { releaseResources } from "../../../components/blueGreenService/resources";
import { releaseSettings } from "../../../components/blueGreenService/settings";
import { mockSession } from "../../helpers/components";
import { blueGreen, IMAGE } from "./helpers";

describe("releaseResources: what the component registers, for collision checks between services", () => {
    const cases: [string, BlueGreenServiceArgs][] = [
        ["blue/green with secret env", blueGreen({ name: "checkout", secretEnv: { DB_PASSWORD: "x" } })],
        [
            "canary with a build",
            {
                namespace: "shop",
                name: "search",
                strategy: "canary",
                build: { context: "./app", imageName: "registry.example.com/shop/search:ci" },
            },
        ],
        ["canary, name from the resource", { namespace: "payments", image: IMAGE, strategy: "canary" }],
        [
            "public preview with a token issuer and address ranges",
            blueGreen({
                traffic: {
                    hosts: ["app.example.com"],
                    gateway: "istio-ingress/public",
                    previewExposure: "public",
                    previewAccess: {
                        jwt: { issuer: "https://login.example.com", jwksUri: "https://login.example.com/jwks.json" },
                        ipBlocks: ["203.0.113.0/24"],
                    },
                },
            }),
        ],
        [
            "public canary preview with address ranges only",
            {
                namespace: "shop",
                image: IMAGE,
                strategy: "canary",
                traffic: {
                    hosts: ["app.example.com"],
                    gateway: "istio-ingress/public",
                    previewExposure: "public",
                    previewAccess: { ipBlocks: ["203.0.113.0/24"] },
                },
            },
        ],
    ];
    for (const [what, args] of cases) {
        it(`lists exactly the resources and Kubernetes objects the constructor registers (${what})`, async () => {
            const session = await mockSession({ preview: true });
            new BlueGreenService("ns-svc", args);
            await session.settle();
            const recorded = session.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
            const expected = releaseResources("ns-svc", releaseSettings("ns-svc", args), {
                build: args.build !== undefined,
                secretEnv: args.secretEnv !== undefined,
            });
            assert.deepEqual(
                recorded.map((r) => `${r.type}::${r.name}`).sort(),
                expected.map((r) => `${r.type}::${r.name}`).sort(),
            );
            const objects = recorded
                .filter((r) => r.type.startsWith("kubernetes:"))
                .map(
                    (r) =>
                        `${r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResource" ? r.inputs.kind : r.type.split(":").pop()} ${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`,
                );
            assert.deepEqual(objects.sort(), expected.flatMap((r) => (r.object ? [r.object] : [])).sort());
        });
    }
});
