/**
 * The package as other teams receive it: `npm pack`, the tarball installed by npm into a separate consumer project
 * (examples/consumer's package.json, tsconfig and program), type-checked there with a default strict tsconfig against
 * the published declarations, and run there under the Pulumi mock runtime with the consumer's own @pulumi/pulumi.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    REPO_ROOT,
    closure,
    installedPackages,
    npmCiOffline,
    npmPack,
    packageBytes,
    PackResult,
    tarballManifest,
    writeConsumerLock,
} from "./consumerProject";

const EXAMPLE = path.join(REPO_ROOT, "examples", "consumer");
const FIXTURES = path.join(__dirname, "fixtures");
const PUBLIC_COMPONENTS = [
    "ArgoRollouts",
    "BlueGreenService",
    "Falco",
    "IstioMesh",
    "PipelineIdentities",
    "ReleaseObservability",
    "TrivyOperator",
];
const PUBLIC_CHECKS = [
    "checkCanarySteps",
    "checkImageReference",
    "checkQuantity",
    "checkServiceName",
    "validateBlueGreenServiceArgs",
];
/** The most zdp may add to a consumer's node_modules beyond the @pulumi packages it needs anyway. */
const BUDGET_BYTES = 20_000_000;

/**
 * The environment of a consumer's shell: nothing inherited from this repository's npm run or test runner (its npm
 * settings, loader options, or its node_modules/.bin on PATH).
 */
function consumerEnv(): NodeJS.ProcessEnv {
    const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE_OPTIONS" && k !== "NODE_PATH"),
    );
    env.PATH = (env.PATH ?? "")
        .split(path.delimiter)
        .filter((p) => !path.resolve(p).startsWith(REPO_ROOT + path.sep))
        .join(path.delimiter);
    return env;
}

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const CONFIG = {
    config: {
        "consumer:image": `registry.example.com/shop/orders@${digest("a")}`,
        "consumer:smokeTestImage": `registry.example.com/platform/smoke-curl@${digest("b")}`,
        "consumer:databaseUrl": "postgres://orders@db.shop.svc/orders",
    },
    secretKeys: ["consumer:databaseUrl"],
};

describe("the zdp package as another team installs it (npm pack tarball)", function () {
    this.timeout(600_000);

    let tmp: string;
    let dir: string;
    let pack: PackResult;
    const node = (args: string[]) =>
        execFileSync(process.execPath, args, { cwd: dir, encoding: "utf8", env: consumerEnv(), stdio: "pipe" });
    // The consumer's own TypeScript; plain output (its tsconfig asks for colours) so messages can be matched.
    const tsc = (project: string) =>
        node([path.join(dir, "node_modules", "typescript", "bin", "tsc"), "--pretty", "false", "-p", project]);
    const run = (program: string) =>
        JSON.parse(node([path.join(dir, "out", "mockRun.js"), program, JSON.stringify(CONFIG)]));

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-tarball-"));
        pack = npmPack(tmp, consumerEnv());
        dir = path.join(tmp, "consumer");
        fs.mkdirSync(dir);
        for (const f of ["index.ts", "Pulumi.yaml", "tsconfig.json"])
            fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
        for (const f of ["everyComponent.ts", "mockRun.ts"]) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
        // The example's package.json as it is, with its zdp dependency pointing at the tarball just made.
        const pkg = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "package.json"), "utf8"));
        pkg.dependencies.zdp = `file:../${path.basename(pack.tarball)}`;
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
        writeConsumerLock(dir, pkg, pack);
        npmCiOffline(dir, consumerEnv());
    });

    after(() => {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe("the tarball", () => {
        it("holds the compiled library with its declarations, its sources and the plugin manifest; nothing stale", () => {
            for (const f of [
                "bin/components/index.js",
                "bin/components/index.d.ts",
                "bin/components/validation.js",
                "bin/components/validation.d.ts",
                "components/index.ts",
                "PulumiPlugin.yaml",
                "package.json",
            ]) {
                assert.ok(pack.files.includes(f), `${f} is in the tarball`);
            }
            assert.deepEqual(
                pack.files.filter((f) => /^(test|policy-pack|examples|node-runtime)\//.test(f)),
                [],
                "no tests, policy pack or examples",
            );
            // Every compiled module comes from a source that exists (the build starts from an empty bin/components).
            for (const js of pack.files.filter((f) => f.startsWith("bin/components/") && f.endsWith(".js"))) {
                const source = js.replace(/^bin\//, "").replace(/\.js$/, ".ts");
                assert.ok(fs.existsSync(path.join(REPO_ROOT, source)), `${js} is built from ${source}`);
            }
        });

        it("depends only on what it imports at run time, exactly pinned", () => {
            const manifest = tarballManifest(pack.tarball);
            assert.deepEqual(Object.keys(manifest.dependencies ?? {}).sort(), [
                "@pulumi/docker",
                "@pulumi/kubernetes",
                "@pulumi/pulumi",
                "yaml",
            ]);
            for (const [name, spec] of Object.entries(manifest.dependencies ?? {})) {
                assert.match(spec, /^\d+\.\d+\.\d+$/, `${name} is pinned exactly`);
            }
            assert.equal(manifest.optionalDependencies, undefined, "no optional dependencies reach consumers");
            assert.equal(manifest.peerDependencies, undefined);
        });
    });

    describe("the consumer's node_modules", () => {
        it("has no Node.js runtime binary: the consumer's `node` stays its own", () => {
            const installed = Object.keys(installedPackages(dir));
            assert.deepEqual(
                installed.filter((p) => /(^|\/)node_modules\/node-(linux|darwin|win)/.test(p)),
                [],
            );
            assert.ok(!fs.existsSync(path.join(dir, "node_modules", ".bin", "node")), "no node_modules/.bin/node");
        });

        it("has exactly one @pulumi/kubernetes, and neither @pulumi/kubernetesx nor @types/glob", () => {
            const installed = Object.keys(installedPackages(dir));
            assert.deepEqual(
                installed.filter((p) => p.endsWith("node_modules/@pulumi/kubernetes")),
                ["node_modules/@pulumi/kubernetes"],
            );
            assert.deepEqual(
                installed.filter((p) => /node_modules\/(@pulumi\/kubernetesx|@types\/glob)$/.test(p)),
                [],
            );
        });

        it(`zdp adds at most ${BUDGET_BYTES / 1e6} MB beyond the @pulumi packages the consumer needs anyway`, function () {
            // Footprint = bytes of every installed package outside the closure of the consumer's own dependencies
            // (@pulumi/pulumi, typescript, @types/node) and of the @pulumi/* packages zdp depends on (whose own
            // dependencies count as theirs): zdp itself plus whatever only it brings in.
            const installed = installedPackages(dir);
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            const zdpDeps = Object.keys(tarballManifest(pack.tarball).dependencies ?? {});
            const baseline = closure(installed, [
                ...Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
                    .filter((n) => n !== "zdp")
                    .map((name) => ({ from: "", name })),
                ...zdpDeps.filter((n) => n.startsWith("@pulumi/")).map((name) => ({ from: "", name })),
            ]);
            const added = Object.keys(installed)
                .filter((at) => !baseline.has(at))
                .map((at) => ({ at, bytes: packageBytes(path.join(dir, at)) }))
                .sort((a, b) => b.bytes - a.bytes);
            const total = added.reduce((sum, a) => sum + a.bytes, 0);
            const all = Object.keys(installed).reduce((sum, at) => sum + packageBytes(path.join(dir, at)), 0);
            const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
            const report =
                `zdp adds ${mb(total)} to a consumer's node_modules (${mb(all)} in all): ` +
                added.map((a) => `${a.at.replace(/^node_modules\//, "")} ${mb(a.bytes)}`).join(", ");
            console.log(`      ${report}`);
            assert.ok(
                added.some((a) => a.at === "node_modules/zdp"),
                "zdp itself counts",
            );
            assert.ok(total <= BUDGET_BYTES, report);
        });
    });

    describe("using it", () => {
        it("loads every public module from the consumer's node_modules (all run-time imports are dependencies)", () => {
            const out = node([
                "-e",
                `const api = require("zdp"), checks = require("zdp/validation");
                 console.log(JSON.stringify({
                     resolved: require.resolve("zdp"),
                     components: Object.keys(api).sort(),
                     checks: Object.keys(checks).filter((k) => typeof checks[k] === "function").sort(),
                 }));`,
            ]);
            const { resolved, components, checks } = JSON.parse(out);
            assert.equal(resolved, path.join(dir, "node_modules", "zdp", "bin", "components", "index.js"));
            assert.deepEqual(components, PUBLIC_COMPONENTS);
            assert.deepEqual(checks, PUBLIC_CHECKS);
        });

        it("type-checks with a default strict tsconfig, library declarations included (no skipLibCheck)", () => {
            const tsconfig = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "tsconfig.json"), "utf8"));
            assert.equal(tsconfig.compilerOptions.strict, true);
            assert.equal(tsconfig.compilerOptions.skipLibCheck, undefined, "the consumer checks every .d.ts");
            fs.writeFileSync(
                path.join(dir, "tsconfig.test.json"),
                JSON.stringify({
                    extends: "./tsconfig.json",
                    compilerOptions: { outDir: "out" },
                    files: ["index.ts", "everyComponent.ts", "mockRun.ts"],
                }),
            );
            try {
                tsc(path.join(dir, "tsconfig.test.json"));
            } catch (e: any) {
                assert.fail(`the consumer does not type-check:\n${e.stdout}${e.stderr}`);
            }
        });

        it("a type error in the consumer is caught (the check above can fail)", () => {
            fs.writeFileSync(
                path.join(dir, "bad.ts"),
                'import { BlueGreenService } from "zdp";\nnew BlueGreenService("x", { namespace: 42 });\n',
            );
            fs.writeFileSync(
                path.join(dir, "tsconfig.bad.json"),
                // The declarations passed the check above; this one is about the consumer's own code.
                JSON.stringify({
                    extends: "./tsconfig.json",
                    compilerOptions: { noEmit: true, skipLibCheck: true },
                    files: ["bad.ts"],
                }),
            );
            assert.throws(
                () => tsc(path.join(dir, "tsconfig.bad.json")),
                (e: any) => /bad\.ts\(2,\d+\): error TS2322/.test(`${e.stdout}`),
            );
        });

        it("examples/consumer runs under the mock runtime: the release objects, a secret kept secret, timing", () => {
            const { outputs, resources } = run(path.join(dir, "out", "index.js"));
            const types = resources.map((r: any) => r.type);
            assert.ok(types.includes("zdp:index:BlueGreenService"));
            assert.ok(types.includes("kubernetes:argoproj.io/v1alpha1:Rollout"));
            assert.ok(types.includes("kubernetes:networking.istio.io/v1:VirtualService"));
            const secret = resources.find((r: any) => r.type === "kubernetes:core/v1:Secret");
            assert.ok(secret, "the secret env becomes a Kubernetes Secret");
            assert.ok(secret.secretInputs.length > 0, "its data is a Pulumi secret");
            assert.ok(
                !JSON.stringify(resources).includes("postgres://"),
                "the secret value is registered only as a secret",
            );
            assert.match(outputs.serviceHost, /^orders\.shop\.svc/);
            assert.equal(outputs.releaseTiming.strategy, "blueGreen");
            assert.ok(outputs.releaseTiming.rollbackSeconds <= 15);
        });

        it("declares every public component from the installed package", () => {
            const { outputs, resources } = run(path.join(dir, "out", "everyComponent.js"));
            const components = resources
                .filter((r: any) => r.type.startsWith("zdp:index:"))
                .map((r: any) => r.type.replace("zdp:index:", ""));
            assert.deepEqual([...new Set(components)].sort(), PUBLIC_COMPONENTS);
            assert.ok(
                resources.some((r: any) => r.type === "kubernetes:helm.sh/v4:Chart"),
                "charts are declared",
            );
            assert.equal(outputs.gatewayRef, "istio-ingress/public");
            assert.equal(outputs.catalogTiming.strategy, "canary");
            assert.ok(outputs.alertNames.includes("ReleaseRolloutAborted"));
        });
    });
});
