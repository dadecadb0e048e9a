/**
 * The stacks' own render output with signature checking on, end to end: every image a stack's services use is
 * pushed to a real local registry (Debian's docker-registry on 127.0.0.1) under the same repository path and signed
 * with a CI key generated here; the stack is rendered with those images (`--set services=...`), and the whole pack
 * runs over the rendered objects with the stack's own policy config, pointed at that registry and trusting that key.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { attestImage, vulnPredicateOf } from "../../../policy-pack/images/attestation";
import { generateKeyPair, parsePrivateKey } from "../../../policy-pack/images/keys";
import { parseReference } from "../../../policy-pack/images/reference";
import { RegistryClient } from "../../../policy-pack/images/registry";
import { signImage } from "../../../policy-pack/images/sign";
import { clearVerificationCache } from "../../../policy-pack/images/verify";
import { PolicyEngine, Violation } from "../../../policy-pack/lib/engine";
import { REPO_ROOT, renderedStack } from "../../helpers/renderedStack";
import { TestRegistry, pushTestImage, requireRegistry, startRegistry } from "./helpers/registry";
import { trivyReport } from "./helpers/trivy";

const STACK_REGISTRY = "registry.example.com";
const IMAGE_IN_STACK = /^registry\.example\.com\/([a-z0-9/._-]+)@sha256:[0-9a-f]{64}$/;

/** Replaces every string leaf of `value` with `fn(leaf)`. */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
    if (typeof value === "string") return fn(value);
    if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)]));
    }
    return value;
}

describe("both stacks' images, signed in a real registry, pass the whole pack", function () {
    this.timeout(180_000);
    let registry: TestRegistry;
    let client: RegistryClient;
    const pair = generateKeyPair();
    const ci = parsePrivateKey(pair.privatePem);

    before(async function () {
        requireRegistry(this);
        registry = await startRegistry();
        client = new RegistryClient({ credentials: { get: () => undefined }, timeoutMs: 5000 });
    });
    after(async () => {
        await registry?.stop();
    });
    beforeEach(() => clearVerificationCache());

    /**
     * Pushes (and, unless listed in `unsigned`, signs) every image of the stack's services, and attests a clean
     * vulnerability scan of each; returns the services.
     */
    async function servicesOnTestRegistry(stack: string, unsigned: string[] = []): Promise<unknown[]> {
        const doc = parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8"));
        const services = doc.config["zdp:services"];
        // One pushed image per distinct reference: a migration contract's retiredImage shares its repository with
        // the service's image but names another version, and must stay another digest.
        const pushed = new Map<string, string>();
        const references = new Map<string, string>();
        mapStrings(services, (s) => {
            const m = IMAGE_IN_STACK.exec(s);
            if (m) references.set(s, m[1]);
            return s;
        });
        assert.ok(new Set(references.values()).size >= 2, `${stack} uses images from ${STACK_REGISTRY}`);
        for (const [reference, repository] of references) {
            const digest = await pushTestImage(
                client,
                registry.host,
                repository,
                `${stack}-${reference.replace(/[/@:]/g, "-")}`,
            );
            if (!unsigned.includes(repository)) {
                await signImage(client, parseReference(`${registry.host}/${repository}@${digest}`), ci, {
                    format: "both",
                });
            }
            const image = `${registry.host}/${repository}@${digest}`;
            const scan = vulnPredicateOf(trivyReport(image, digest, new Date()));
            await attestImage(client, parseReference(image), ci, scan, { format: "both" });
            pushed.set(reference, image);
        }
        return mapStrings(services, (s) => pushed.get(s) ?? s) as unknown[];
    }

    /** The stack's policy config, with its allow-list moved to the test registry and the test key trusted. */
    function policyConfig(stack: string): Record<string, any> {
        const config = JSON.parse(
            fs.readFileSync(path.join(REPO_ROOT, "policy-pack", "config", `${stack}.json`), "utf8"),
        );
        const allowed: string[] = config["images-allowed-registries"].allowedRegistries;
        assert.ok(allowed.every((a) => a.startsWith(`${STACK_REGISTRY}/`)));
        config["images-allowed-registries"].allowedRegistries = allowed.map((a) =>
            a.replace(STACK_REGISTRY, registry.host),
        );
        config["images-signed"] = {
            ...config["images-signed"],
            trustedKeys: [{ name: "release-ci", publicKey: pair.publicPem }],
            timeoutSeconds: 5,
        };
        config["images-vulnerabilities"] = {
            ...config["images-vulnerabilities"],
            trustedKeys: [{ name: "release-ci", publicKey: pair.publicPem }],
            timeoutSeconds: 5,
        };
        return config;
    }

    async function check(stack: string, services: unknown[]): Promise<Violation[]> {
        const rendered = await renderedStack(stack, ["--set", `services=${JSON.stringify(services)}`]);
        const engine = new PolicyEngine({ config: policyConfig(stack) });
        return engine.check(rendered.manifests.map((m) => ({ object: m.object, file: m.file })));
    }

    for (const stack of ["staging", "prod"]) {
        it(`${stack}: every image verified against the registry, no violation at all`, async () => {
            const violations = await check(stack, await servicesOnTestRegistry(stack));
            assert.deepEqual(violations, []);
        });
    }

    it("staging with one repository's image left unsigned: images-signed fails exactly the workloads using it", async () => {
        const violations = await check("staging", await servicesOnTestRegistry("staging", ["shop/checkout"]));
        assert.ok(violations.length > 0);
        for (const v of violations) {
            assert.equal(v.policy, "images-signed");
            assert.equal(v.enforcementLevel, "mandatory");
            assert.equal(v.name, "checkout");
            assert.match(v.message, /is not signed by a trusted signer/);
        }
    });
});
