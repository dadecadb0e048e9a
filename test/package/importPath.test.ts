/**
 * The import path for platform teams: the package's compiled exports and type declarations, a separate consumer
 * program that imports them the way another team's stack would (examples/consumer), and the schema Pulumi infers
 * for other languages (`pulumi package add`).
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const CONSUMER = path.join(ROOT, "examples", "consumer");
const PUBLIC_COMPONENTS = [
    "ArgoRollouts",
    "BlueGreenService",
    "Falco",
    "IstioMesh",
    "PipelineIdentities",
    "ReleaseObservability",
    "TrivyOperator",
];
const bin = (tool: string) => path.join(ROOT, "node_modules", ".bin", tool);

describe("import path for platform teams", function () {
    this.timeout(300_000);

    describe("the public API", () => {
        it("exports exactly the documented components, each with a zdp:index:<Class> type token", () => {
            const api = require(path.join(ROOT, "components", "index.ts"));
            const components = getPulumiComponents(api)
                .map((c: any) => c.name)
                .sort();
            assert.deepEqual(components, PUBLIC_COMPONENTS);
        });

        it("every component is consumable from other languages: Pulumi infers a schema for all of them", async () => {
            const api = require(path.join(ROOT, "components", "index.ts"));
            const provider = new ComponentProvider({
                components: getPulumiComponents(api),
                name: "zdp",
                dirname: ROOT,
            });
            const schema = JSON.parse(await provider.getSchema());
            assert.deepEqual(
                Object.keys(schema.resources).sort(),
                PUBLIC_COMPONENTS.map((c) => `zdp:index:${c}`),
            );
            for (const [token, res] of Object.entries<any>(schema.resources)) {
                assert.equal(res.isComponent, true, token);
                for (const [prop, spec] of Object.entries<any>(res.inputProperties ?? {})) {
                    // Documented args: the README's reference is built from the same comments.
                    assert.ok(spec.description, `${token} input ${prop} has no doc comment`);
                }
            }
        });

        it("PulumiPlugin.yaml declares the Node.js runtime and the component entry point", () => {
            const plugin = parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"));
            assert.equal(plugin.runtime, "nodejs");
            assert.ok(fs.existsSync(path.join(ROOT, plugin.main)), `${plugin.main} exists`);
            assert.equal(path.normalize(plugin.main), path.join("components", "index.ts"));
        });

        it("package.json exports the compiled library with its type declarations", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.equal(pkg.name, "zdp");
            assert.equal(pkg.exports["."].types, "./bin/components/index.d.ts");
            assert.equal(pkg.exports["."].default, "./bin/components/index.js");
            assert.ok(pkg.files.includes("bin/components"));
        });
    });

    describe("examples/consumer, another team's stack", () => {
        let dir: string;

        before(() => {
            // Build the library as `npm pack` would (prepack), then lay out a consumer whose node_modules holds the
            // package itself (not its sources) and the consumer's own dependency, @pulumi/pulumi.
            execFileSync(process.execPath, [bin("tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], {
                stdio: "pipe",
            });
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-consumer-"));
            for (const f of ["index.ts", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
                fs.copyFileSync(path.join(CONSUMER, f), path.join(dir, f));
            }
            fs.mkdirSync(path.join(dir, "node_modules", "@types"), { recursive: true });
            fs.symlinkSync(ROOT, path.join(dir, "node_modules", "zdp"), "dir");
            fs.symlinkSync(
                path.join(ROOT, "node_modules", "@pulumi"),
                path.join(dir, "node_modules", "@pulumi"),
                "dir",
            );
            fs.symlinkSync(
                path.join(ROOT, "node_modules", "@types", "node"),
                path.join(dir, "node_modules", "@types", "node"),
                "dir",
            );
        });

        after(() => {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        });

        it("type-checks against the published declarations (strict)", () => {
            try {
                execFileSync(process.execPath, [bin("tsc"), "-p", path.join(dir, "tsconfig.json")], {
                    stdio: "pipe",
                    encoding: "utf8",
                });
            } catch (e: any) {
                assert.fail(`consumer does not type-check:\n${e.stdout}${e.stderr}`);
            }
        });

        it("a type error in the consumer is caught (the check above can fail)", () => {
            const bad = path.join(dir, "bad.ts");
            fs.writeFileSync(
                bad,
                'import { BlueGreenService } from "zdp";\nnew BlueGreenService("x", { namespace: 42 });\n',
            );
            const tsconfig = path.join(dir, "tsconfig.bad.json");
            fs.writeFileSync(tsconfig, JSON.stringify({ extends: "./tsconfig.json", files: ["bad.ts"] }));
            assert.throws(
                () => execFileSync(process.execPath, [bin("tsc"), "-p", tsconfig], { stdio: "pipe", encoding: "utf8" }),
                (e: any) => /bad\.ts\(2,\d+\): error TS2322/.test(`${e.stdout}`),
            );
        });

        it("runs under the mock runtime from the compiled package: the release objects, a secret kept secret, timing outputs", () => {
            const digest = (c: string) => `sha256:${c.repeat(64)}`;
            const config = {
                config: {
                    "orders:image": `registry.example.com/shop/orders@${digest("a")}`,
                    "orders:smokeTestImage": `registry.example.com/platform/smoke-curl@${digest("b")}`,
                    "orders:databaseUrl": "postgres://orders@db.shop.svc/orders",
                },
                secretKeys: ["orders:databaseUrl"],
            };
            const out = execFileSync(
                process.execPath,
                [
                    "--import",
                    "tsx",
                    path.join(__dirname, "runConsumer.ts"),
                    path.join(dir, "index.ts"),
                    JSON.stringify(config),
                ],
                // cwd is the repository only so that `--import tsx` resolves; the consumer resolves "zdp" from its own file.
                { encoding: "utf8", cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
            );
            const { outputs, resources } = JSON.parse(out);
            const types = resources.map((r: any) => r.type);
            assert.ok(types.includes("zdp:index:BlueGreenService"));
            assert.ok(types.includes("kubernetes:argoproj.io/v1alpha1:Rollout"));
            assert.ok(types.includes("kubernetes:networking.istio.io/v1:VirtualService"));
            const secret = resources.find((r: any) => r.type === "kubernetes:core/v1:Secret");
            assert.ok(secret, "the secret env becomes a Kubernetes Secret");
            assert.ok(secret.secretInputs.length > 0, "its data is a Pulumi secret");
            assert.ok(!out.includes("postgres://"), "the secret value appears nowhere in what the program registered");
            assert.match(outputs.serviceHost, /^orders\.shop\.svc/);
            assert.equal(outputs.releaseTiming.strategy, "blueGreen");
            assert.ok(outputs.releaseTiming.rollbackSeconds <= 15);
            // The compiled package was used, not the sources.
            const resolved = execFileSync(process.execPath, ["-p", 'require.resolve("zdp")'], {
                cwd: dir,
                encoding: "utf8",
            }).trim();
            assert.equal(resolved, path.join(ROOT, "bin", "components", "index.js"));
        });
    });
});
