/**
 * The docs' walkthroughs, followed on a copy of the project: "Add a new service" of docs/releases.md (its stack
 * entry, as a canary) and "Adding a secret environment variable to a service" of docs/secrets.md (a secret config key
 * named in the entry's `secretEnv`).
 * The copy is rendered under the mock runtime and the policy pack runs over it, as `npm start` would in a checkout
 * where someone followed the steps. Nothing here depends on which services the stack already has.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isSeq, parse, parseDocument } from "yaml";
import { ROOT, section } from "./markdown";

const PROGRAM_FILES = ["Pulumi.yaml", "Pulumi.staging.yaml", "index.ts", "components", "package.json", "tsconfig.json"];
const SERVICE = "search";

/** The first fenced `language` block of `text`, its indentation removed. */
function block(text: string, language: string): string {
    const m = new RegExp(`^( *)\`\`\`${language}\\n([\\s\\S]*?)^\\1\`\`\``, "m").exec(text);
    assert.ok(m, `a ${language} block`);
    return m[2]
        .split("\n")
        .map((l) => l.slice(m[1].length))
        .join("\n");
}

/** A made-up digest: the walkthrough's `<64 hex>` placeholders, filled as a real digest would be. */
function digestOf(what: string): string {
    return createHash("sha256").update(what).digest("hex");
}

/**
 * Step 2 of "Add a new service": the docs' entry for its example service, renamed to `name`, placeholders
 * filled in, made a canary as the entry's last comment says (`strategy: canary` with `canary.steps` instead of
 * `smokeTest`).
 */
function newServiceEntry(name: string): Record<string, any> {
    const walkthrough = section("docs/releases.md", "## Add a new service");
    const yaml = block(walkthrough, "yaml");
    const example = /^- name: (\S+)/m.exec(yaml)![1];
    const [entry] = parse(
        yaml.replaceAll(example, name).replace(/<64 hex>/g, () => digestOf(`${name}-${Math.random()}`)),
    ) as Record<string, any>[];
    assert.match(yaml, /^ *# strategy: canary +# with canary\.steps instead of smokeTest$/m);
    delete entry.analysis.smokeTest;
    if (Object.keys(entry.analysis).length === 0) delete entry.analysis;
    return {
        ...entry,
        strategy: "canary",
        canary: {
            steps: [{ weight: 5, pauseSeconds: 30 }, { weight: 25, pauseSeconds: 30 }, { weight: 100 }],
        },
    };
}

interface Rendered {
    objects: any[];
    outputs: Record<string, any>;
    violations: { policy: string; enforcementLevel: string; message: string; file: string | null }[];
}

/** Renders `stack` of the copy at `root` in its own process (one render per process). */
function renderCopy(
    root: string,
    overrides: { set?: Record<string, string>; setSecret?: Record<string, string> } = {},
): Promise<{ code: number; stderr: string; rendered?: Rendered }> {
    const script = path.join(__dirname, "renderCopy.ts");
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            ["--import", "tsx", script, root, "staging", JSON.stringify(overrides)],
            { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 },
            (err, stdout, stderr) => {
                const code = err ? Number((err as any).code ?? 1) : 0;
                resolve({ code, stderr, rendered: code === 0 ? JSON.parse(stdout) : undefined });
            },
        );
    });
}

describe("docs walkthroughs, followed on a copy of the project", function () {
    this.timeout(180_000);
    let root: string;
    let namespace: string;

    /** Writes the copy's staging stack file with `entry` appended to `zdp:services`, comments kept. */
    function addService(entry: Record<string, any>): void {
        const file = path.join(root, "Pulumi.staging.yaml");
        const doc = parseDocument(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
        const services = doc.getIn(["config", "zdp:services"]);
        assert.ok(isSeq(services), "staging has a zdp:services list");
        const taken = services.toJSON().some((s: any) => s.name === entry.name && s.namespace === entry.namespace);
        assert.ok(!taken, `staging already has ${entry.namespace}/${entry.name}: pick another name for this test`);
        services.add(doc.createNode(entry));
        fs.writeFileSync(file, doc.toString());
    }

    const objectsOf = (r: Rendered) =>
        r.objects.filter(
            (o) =>
                o.metadata?.namespace === namespace &&
                (o.metadata?.name === SERVICE || String(o.metadata?.name).startsWith(`${SERVICE}-`)),
        );

    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-walkthrough-"));
        for (const f of PROGRAM_FILES) fs.cpSync(path.join(ROOT, f), path.join(root, f), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
        namespace = newServiceEntry(SERVICE).namespace;
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("Add a new service: the canary's Rollout, routing and timing render, and pass the policy pack", async () => {
        const entry = newServiceEntry(SERVICE);
        addService(entry);
        const { code, stderr, rendered } = await renderCopy(root);
        assert.equal(code, 0, stderr);
        const mine = objectsOf(rendered!);
        const kinds = new Set(mine.map((o) => o.kind));
        for (const kind of ["Rollout", "Service", "VirtualService", "DestinationRule", "AnalysisTemplate"]) {
            assert.ok(kinds.has(kind), `${kind} of ${namespace}/${SERVICE} (found ${[...kinds].join(", ")})`);
        }
        const rollout = mine.find((o) => o.kind === "Rollout" && o.metadata.name === SERVICE);
        assert.ok(rollout.spec.strategy.canary, "a canary Rollout");
        assert.equal(rollout.spec.template.spec.containers[0].image, entry.image);
        const hosts = mine.filter((o) => o.kind === "VirtualService").flatMap((o) => o.spec.hosts ?? []);
        for (const host of entry.traffic.hosts) assert.ok(hosts.includes(host), `VirtualService for ${host}`);
        assert.equal(rendered!.outputs.releaseTiming[`${namespace}/${SERVICE}`].strategy, "canary");

        const urnPart = `${namespace}-${SERVICE}`;
        const about = rendered!.violations.filter((v) => v.file?.includes(urnPart));
        assert.deepEqual(about, [], "no policy finding about the new service");
        assert.deepEqual(
            rendered!.violations.filter((v) => v.enforcementLevel === "mandatory"),
            [],
        );
    });

    describe("Adding a secret environment variable to the new service", () => {
        const walkthrough = section("docs/secrets.md", "## Adding a secret environment variable to a service");
        const shownEntry = (parse(block(walkthrough, "yaml")) as Record<string, any>[])[0];
        const [variable, exampleKey] = Object.entries(shownEntry.secretEnv as Record<string, string>)[0];
        // The docs' key is named after its service (checkoutDatabaseUrl): name ours after the new one.
        const key = exampleKey.replace(shownEntry.name, SERVICE);
        const value = `postgresql://app:${digestOf("password").slice(0, 24)}@db.${SERVICE}.internal/app`;

        before(() => {
            assert.notEqual(key, exampleKey, "the docs' key starts with its service's name");
            addService({ ...newServiceEntry(SERVICE), secretEnv: { [variable]: key } });
        });

        it("set with --secret: the value is in the Secret <service>-env as [secret], referenced by name", async () => {
            const { code, stderr, rendered } = await renderCopy(root, { setSecret: { [key]: value } });
            assert.equal(code, 0, stderr);
            assert.ok(!JSON.stringify(rendered).includes(value), "the value appears nowhere in the render");
            const secret = objectsOf(rendered!).find(
                (o) => o.kind === "Secret" && o.metadata.name === `${SERVICE}-env`,
            );
            assert.ok(secret, `Secret ${namespace}/${SERVICE}-env`);
            assert.equal({ ...secret.stringData, ...secret.data }[variable], "[secret]");
            const rollout = objectsOf(rendered!).find((o) => o.kind === "Rollout" && o.metadata.name === SERVICE);
            const env = rollout.spec.template.spec.containers[0].env.find((e: any) => e.name === variable);
            assert.deepEqual(env.valueFrom.secretKeyRef, { name: `${SERVICE}-env`, key: variable });
            assert.deepEqual(
                rendered!.violations.filter((v) => v.file?.includes(`${namespace}-${SERVICE}`)),
                [],
                "no policy finding about the new service",
            );
        });

        it("set without --secret: refused before anything renders, naming the command that fixes it", async () => {
            const { code, stderr } = await renderCopy(root, { set: { [key]: value } });
            assert.equal(code, 2, stderr);
            assert.ok(stderr.includes(`pulumi config set --stack staging --secret zdp:${key} <value>`), stderr);
            assert.ok(!stderr.includes(value), "the value is never echoed");
        });
    });
});
