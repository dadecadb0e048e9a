/**
 * Configuration mistakes, differentially: each broken stack file goes to the real `pulumi preview` and to the offline
 * tools' loader. Both must refuse it, and the offline message's first line must be the engine's own, so the offline
 * check is never more lenient than the engine nor worded differently. Mistakes only the program can see (an unknown
 * `zdp:` key) must stop the real preview too, not only the offline tools.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStackConfig } from "../../tools/stacks";
import { createWorkspace, ROOT } from "../../tools/engine/workspace";
import { ENGINE_SET, requireToolchain } from "./helpers";

const STAGING = fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8");

/** The staging stack file with one line changed; fails when the line is not there, so a case cannot pass vacuously. */
function stagingWith(line: RegExp, replacement: string): string {
    assert.match(STAGING, line);
    return STAGING.replace(line, replacement);
}

async function engineError(stackYaml: string): Promise<string> {
    const ws = await createWorkspace({ stack: "staging", stackYaml, set: ENGINE_SET });
    try {
        await ws.pulumi(["config", "set", "--stack", "staging", "renderYamlToDirectory", path.join(ws.dir, "out")]);
        const r = await ws.pulumi(["preview", "--stack", "staging"]);
        assert.notEqual(r.code, 0, `the engine accepted the stack:\n${r.stdout}`);
        return `${r.stdout}\n${r.stderr}`;
    } finally {
        ws.dispose();
    }
}

function offlineError(stackYaml: string): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-config-"));
    try {
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
        fs.writeFileSync(path.join(root, "Pulumi.staging.yaml"), stackYaml);
        assert.throws(() => loadStackConfig(root, "staging"), "the offline loader accepted the stack");
        try {
            loadStackConfig(root, "staging");
        } catch (e) {
            return (e as Error).message;
        }
        return "";
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
}

describe("real engine: configuration mistakes are refused as the engine refuses them", function () {
    before(function () {
        requireToolchain(this);
    });

    const cases: [string, () => string][] = [
        ["a required key left out (zdp:environment)", () => stagingWith(/^ {2}zdp:environment:.*\n/m, "")],
        [
            "a value of the wrong type (zdp:istiodReplicas: three)",
            () => stagingWith(/^ {2}zdp:istiodReplicas:.*$/m, "  zdp:istiodReplicas: three"),
        ],
    ];
    for (const [name, stackYaml] of cases) {
        it(`${name}: both refuse it, with the engine's own words`, async () => {
            const yaml = stackYaml();
            const offline = offlineError(yaml);
            const engine = await engineError(yaml);
            const firstLine = offline.split("\n")[0];
            assert.ok(engine.includes(firstLine), `engine said:\n${engine}\noffline said:\n${offline}`);
        });
    }

    it("an empty stack file: both refuse it; the offline message names every key the engine misses", async () => {
        const offline = offlineError("");
        const engine = await engineError("");
        const missing = /missing configuration values? (.*)$/m.exec(engine)?.[1];
        assert.ok(missing, `engine said:\n${engine}`);
        const keys = [...missing.matchAll(/'([^']+)'/g)].map((m) => m[1]);
        assert.ok(keys.length > 0, missing);
        for (const key of keys)
            assert.ok(offline.includes(`zdp:${key}`), `offline message does not name ${key}: ${offline}`);
    });

    it("an unknown key (zdp:Environment) stops the real preview, naming the closest key", async () => {
        const engine = await engineError(`${STAGING.trimEnd()}\n  zdp:Environment: prod\n`);
        assert.match(engine, /zdp:Environment/);
        assert.match(engine, /did you mean zdp:environment/);
    });
});
