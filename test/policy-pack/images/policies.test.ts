/**
 * The image policies on hand-built resources: which images are found (every pod-bearing kind, every container list,
 * Helm chart values), pinning, the registry allow-list, and the parts of images-signed that need no registry.
 */
import { strict as assert } from "node:assert";
import { UnknownValueError } from "@pulumi/policy";
import { imagesAllowedRegistries, imagesDigestPinned, imagesSigned } from "../../../policy-pack/policies/images";
import { registryRequestCount } from "../../../policy-pack/images/registry";
import { clearVerificationCache, verificationCount } from "../../../policy-pack/images/verify";
import { imagesOfChartValues, imagesOfResource } from "../../../policy-pack/images/workloads";
import { DIGEST_A, DIGEST_B, argsFor, deployment, rollout, run } from "./helpers/policy";

const PINNED = `registry.example.com/platform/api:1.4@${DIGEST_A}`;

describe("images found in resources", () => {
    const kinds: [string, Record<string, unknown>][] = [
        ["kubernetes:core/v1:Pod", { metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "x" }] } }],
        ["kubernetes:apps/v1:Deployment", deployment("d", [{ name: "c", image: "x" }])],
        [
            "kubernetes:apps/v1:StatefulSet",
            { metadata: { name: "s" }, spec: { template: { spec: { containers: [{ image: "x" }] } } } },
        ],
        [
            "kubernetes:apps/v1:DaemonSet",
            { metadata: { name: "ds" }, spec: { template: { spec: { containers: [{ image: "x" }] } } } },
        ],
        [
            "kubernetes:apps/v1:ReplicaSet",
            { metadata: { name: "rs" }, spec: { template: { spec: { containers: [{ image: "x" }] } } } },
        ],
        [
            "kubernetes:batch/v1:Job",
            { metadata: { name: "j" }, spec: { template: { spec: { containers: [{ image: "x" }] } } } },
        ],
        [
            "kubernetes:batch/v1:CronJob",
            {
                metadata: { name: "cj" },
                spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: "x" }] } } } } },
            },
        ],
        ["kubernetes:argoproj.io/v1alpha1:Rollout", rollout("r", "x")],
    ];
    for (const [type, props] of kinds) {
        it(`finds the image of a ${type.split(":").pop()}`, () => {
            const found = imagesOfResource(type, props, "fallback");
            assert.deepEqual(
                found?.images.map((i) => i.image),
                ["x"],
            );
        });
    }

    it("finds containers, initContainers and ephemeralContainers with their index and name", () => {
        const found = imagesOfResource(
            "kubernetes:apps/v1:Deployment",
            deployment(
                "web",
                [
                    { name: "app", image: "a" },
                    { name: "proxy", image: "b" },
                ],
                {
                    initContainers: [{ name: "migrate", image: "c" }],
                    ephemeralContainers: [{ name: "debug", image: "d" }],
                },
            ),
            "web",
        );
        assert.equal(found?.subject, "Deployment prod/web");
        assert.deepEqual(
            found?.images.map((i) => `${i.location}=${i.image}`),
            [
                "containers[0] (app)=a",
                "containers[1] (proxy)=b",
                "initContainers[0] (migrate)=c",
                "ephemeralContainers[0] (debug)=d",
            ],
        );
    });

    it("ignores kinds that run no pods", () => {
        assert.equal(
            imagesOfResource("kubernetes:core/v1:ConfigMap", { metadata: { name: "c" }, data: { image: "x" } }, "c"),
            undefined,
        );
        assert.equal(imagesOfResource("kubernetes:core/v1:Service", { metadata: { name: "s" } }, "s"), undefined);
    });

    it("walks Helm chart values for image strings and image objects", () => {
        const images = imagesOfChartValues({
            image: { registry: "registry.example.com", repository: "platform/ingress", tag: "1.2", digest: DIGEST_A },
            controller: {
                image: { repository: "registry.example.com/platform/controller", tag: 7 },
                sidecarImage: "ghcr.io/acme/sidecar:1",
                extraContainers: [{ name: "x", image: "busybox" }],
            },
            // Not images: an image object without repository is walked into; other keys are ignored.
            metrics: {
                image: { pullPolicy: "Always", nested: { image: "quay.io/m/exporter:2" } },
                imagePullSecrets: ["s"],
            },
            imageTag: "ignored",
            enabled: true,
        });
        assert.deepEqual(
            images.map((i) => `${i.location}=${i.image}`),
            [
                `values.image=registry.example.com/platform/ingress:1.2@${DIGEST_A}`,
                "values.controller.image=registry.example.com/platform/controller:7",
                "values.controller.sidecarImage=ghcr.io/acme/sidecar:1",
                "values.controller.extraContainers[0].image=busybox",
                "values.metrics.image.nested.image=quay.io/m/exporter:2",
            ],
        );
    });

    it("names the chart in messages", () => {
        const found = imagesOfResource(
            "kubernetes:helm.sh/v4:Chart",
            { chart: "ingress-nginx", namespace: "ingress", values: {} },
            "ing",
        );
        assert.equal(found?.subject, "Chart ingress/ing (chart ingress-nginx)");
    });
});

describe("images-digest-pinned", () => {
    it("passes pinned images and reports each unpinned one with its field, index and the fix", async () => {
        const reported = await run(
            imagesDigestPinned,
            argsFor(
                "kubernetes:apps/v1:Deployment",
                deployment(
                    "web",
                    [
                        { name: "app", image: PINNED },
                        { name: "proxy", image: "envoyproxy/envoy:v1.31" },
                    ],
                    {
                        initContainers: [
                            { name: "migrate", image: `registry.example.com/platform/migrate@${DIGEST_B}` },
                        ],
                        ephemeralContainers: [{ name: "debug", image: "busybox" }],
                    },
                ),
            ),
        );
        assert.equal(reported.length, 2);
        assert.match(
            reported[0].message,
            /^Deployment prod\/web: containers\[1\] \(proxy\) image "envoyproxy\/envoy:v1.31" is not pinned by digest\. Pin it by digest: IMAGE@sha256:/,
        );
        assert.match(reported[1].message, /ephemeralContainers\[0\] \(debug\) image "busybox" is not pinned by digest/);
    });

    it("reports malformed references, foreign digest algorithms, upper-case hex and missing images", async () => {
        const reported = await run(
            imagesDigestPinned,
            argsFor("kubernetes:argoproj.io/v1alpha1:Rollout", {
                metadata: { name: "api", namespace: "prod" },
                spec: {
                    template: {
                        spec: {
                            containers: [
                                { name: "a", image: "Registry/App:1" },
                                { name: "b", image: `app@sha512:${"c".repeat(128)}` },
                                { name: "c", image: `app@sha256:${"A".repeat(64)}` },
                                { name: "d" },
                            ],
                        },
                    },
                },
            }),
        );
        assert.equal(reported.length, 4);
        assert.match(
            reported[0].message,
            /Rollout prod\/api: containers\[0\] \(a\) image "Registry\/App:1" is not a valid image reference: "App" is not a valid repository path component/,
        );
        assert.match(reported[1].message, /has digest sha512:c+; only sha256:<64 lower-case hex> is accepted/);
        assert.match(reported[2].message, /has digest sha256:A+; only sha256/);
        assert.match(reported[3].message, /containers\[3\] \(d\) image \(none\): the image must be a string reference/);
    });

    it("reports unpinned images in chart values", async () => {
        const reported = await run(
            imagesDigestPinned,
            argsFor(
                "kubernetes:helm.sh/v4:Chart",
                { chart: "redis", values: { image: { repository: "bitnami/redis", tag: "7.2" } } },
                {},
                { name: "cache" },
            ),
        );
        assert.equal(reported.length, 1);
        assert.match(
            reported[0].message,
            /^Chart cache \(chart redis\): values\.image image "bitnami\/redis:7\.2" is not pinned by digest/,
        );
    });

    it("reports an exempt object as advisory, with the justification", async () => {
        const reported = await run(
            imagesDigestPinned,
            argsFor("kubernetes:apps/v1:Deployment", deployment("web", [{ name: "app", image: "nginx" }]), {
                exemptions: [
                    {
                        kind: "Deployment",
                        namespace: "prod",
                        name: "web",
                        justification: "vendor image, pinned by the vendor's chart, SEC-12",
                    },
                ],
            }),
        );
        assert.equal(reported.length, 1);
        assert.equal(reported[0].enforcementLevel, "advisory");
        assert.match(
            reported[0].message,
            /^exempt: vendor image, pinned by the vendor's chart, SEC-12: Deployment prod\/web: containers\[0\]/,
        );
    });

    it("lets an unknown image at preview throw UnknownValueError (the engine makes that advisory)", async () => {
        const props = deployment("web", [{ name: "app", image: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }]);
        const args = argsFor("kubernetes:apps/v1:Deployment", props, {}, { preview: true });
        await assert.rejects(run(imagesDigestPinned, args), UnknownValueError);
        await assert.rejects(
            run(imagesSigned, argsFor("kubernetes:apps/v1:Deployment", props, {}, { preview: true })),
            UnknownValueError,
        );
    });
});

describe("images-allowed-registries", () => {
    const config = { allowedRegistries: ["registry.example.com/platform", "ghcr.io/acme"] };

    it("passes images from allowed registries and reports others with the allow-list", async () => {
        const reported = await run(
            imagesAllowedRegistries,
            argsFor(
                "kubernetes:apps/v1:Deployment",
                deployment("web", [
                    { name: "app", image: PINNED },
                    { name: "b", image: `ghcr.io/acme/tool@${DIGEST_A}` },
                    { name: "evil1", image: `registry.example.com.evil.io/platform/api@${DIGEST_A}` },
                    { name: "evil2", image: `evil.io/registry.example.com/platform/api@${DIGEST_A}` },
                    { name: "hub", image: "nginx" },
                ]),
                config,
            ),
        );
        assert.deepEqual(
            reported.map((r) => /containers\[(\d)\]/.exec(r.message)?.[1]),
            ["2", "3", "4"],
        );
        assert.match(
            reported[0].message,
            /comes from registry\.example\.com\.evil\.io\/platform\/api, which no allowed registry admits \(allowed: registry\.example\.com\/platform, ghcr\.io\/acme\)/,
        );
        assert.match(reported[2].message, /comes from docker\.io\/library\/nginx/);
    });

    it("fails closed on an empty allow-list and on invalid entries", async () => {
        const args = (cfg: object) =>
            argsFor("kubernetes:apps/v1:Deployment", deployment("web", [{ name: "app", image: PINNED }]), cfg);
        const empty = await run(imagesAllowedRegistries, args({}));
        assert.equal(empty.length, 1);
        assert.match(empty[0].message, /allowed: none: allowedRegistries is empty/);
        const invalid = await run(
            imagesAllowedRegistries,
            args({ allowedRegistries: ["https://registry.example.com", "registry.example.com/platform"] }),
        );
        assert.equal(invalid.length, 1);
        assert.match(
            invalid[0].message,
            /config is invalid: allowed registry "https:\/\/registry.example.com" must be HOST\[:PORT\]\[\/PREFIX\]/,
        );
    });
});

describe("images-signed without a registry", () => {
    beforeEach(() => clearVerificationCache());

    it("makes no registry request at all when offline", async () => {
        const before = registryRequestCount();
        const verifications = verificationCount();
        const reported = await run(
            imagesSigned,
            argsFor(
                "kubernetes:apps/v1:Deployment",
                deployment("web", [
                    { name: "app", image: `127.0.0.1:9/app@${DIGEST_A}` },
                    { name: "b", image: "nginx" },
                ]),
                {
                    offline: true,
                },
            ),
        );
        assert.deepEqual(reported, []);
        assert.equal(registryRequestCount(), before);
        assert.equal(verificationCount(), verifications);
    });

    it("fails closed, without network, when no trusted key or identity is configured or a key is broken", async () => {
        const before = registryRequestCount();
        const args = (cfg: object) =>
            argsFor("kubernetes:apps/v1:Deployment", deployment("web", [{ name: "app", image: PINNED }]), cfg);
        const none = await run(imagesSigned, args({}));
        assert.equal(none.length, 1);
        assert.match(none[0].message, /no trusted keys or identities are configured/);
        const broken = await run(
            imagesSigned,
            args({ trustedKeys: [{ name: "release", publicKey: "REPLACE WITH cosign.pub" }] }),
        );
        assert.match(broken[0].message, /trusted key "release" is not a PEM public key/);
        const identityWithoutRoot = await run(
            imagesSigned,
            args({
                trustedIdentities: [{ issuer: "https://token.actions.githubusercontent.com", subjectRegExp: "x" }],
            }),
        );
        assert.match(identityWithoutRoot[0].message, /trustedIdentities need a trusted root/);
        assert.equal(registryRequestCount(), before);
    });

    it("reports images that carry no digest, since there is nothing to verify", async () => {
        const { publicPem } = (await import("../../../policy-pack/images/keys")).generateKeyPair();
        const reported = await run(
            imagesSigned,
            argsFor("kubernetes:apps/v1:Deployment", deployment("web", [{ name: "app", image: "nginx:1.27" }]), {
                trustedKeys: [{ name: "ci", publicKey: publicPem }],
            }),
        );
        assert.equal(reported.length, 1);
        assert.match(
            reported[0].message,
            /containers\[0\] \(app\) image "nginx:1.27" is not pinned by a sha256 digest, so no signature can be verified/,
        );
    });
});
