/**
 * Differential test of the render: for each stack, every object the real engine and Kubernetes provider write
 * (npm run render:real, `pulumi up` with YAML rendering) against the offline render's objects (npm run render).
 * Same URNs, kinds, names and content, field for field, with one difference by design: a Secret fed from encrypted
 * stack config. The offline render cannot decrypt `secure:` values and writes "[secret]" under `stringData`; the
 * provider writes the decrypted value, base64-encoded under `data` (SECRET_VALUES below). A second preview on the same
 * state shows no change.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { listStacks } from "../../tools/stacks";
import { changesOf, RealRender, renderReal } from "../../tools/renderReal";
import { ROOT } from "../../tools/engine/workspace";
import { ENGINE_SET, requireToolchain, runTool, setArgs } from "./helpers";

type Obj = Record<string, any>;

function readObjects(dir: string): Obj[] {
    const out: Obj[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const f = path.join(d, e.name);
            if (e.isDirectory()) walk(f);
            else if (/\.ya?ml$/.test(e.name)) {
                for (const doc of parseAllDocuments(fs.readFileSync(f, "utf8"))) {
                    const obj = doc.toJS();
                    if (obj) out.push(obj);
                }
            }
        }
    };
    walk(dir);
    return out;
}

/**
 * A Secret's values as comparable text: keys with the offline placeholder, after checking the provider's values are
 * real (base64 of a non-empty value that is not the placeholder). Every other field is compared as it is.
 */
function secretValuesComparable(o: Obj, side: "real" | "offline"): Obj {
    if (o.kind !== "Secret") return o;
    const { data, stringData, ...rest } = o;
    const values: Record<string, string> = { ...stringData };
    for (const [k, v] of Object.entries<string>(data ?? {})) values[k] = Buffer.from(v, "base64").toString("utf8");
    for (const [k, v] of Object.entries(values)) {
        if (side === "real") assert.ok(v !== "" && v !== "[secret]", `${k} of Secret ${o.metadata?.name} is empty`);
        else assert.equal(v, "[secret]", `${k} of Secret ${o.metadata?.name} is not a placeholder offline`);
        values[k] = "[secret]";
    }
    return { ...rest, stringData: values };
}

const keyOf = (o: Obj) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? "-"}/${o.metadata?.name}`;

for (const stack of listStacks(ROOT)) {
    describe(`real engine: render of stack ${stack}`, function () {
        let work: string;
        let real: RealRender;
        let realObjects: Map<string, Obj>;
        let offlineObjects: Map<string, Obj>;
        let offlineUrns: string[];

        before(async function () {
            requireToolchain(this);
            work = fs.mkdtempSync(path.join(os.tmpdir(), `zdp-render-${stack}-`));
            real = await renderReal({ stack, manifestsDir: path.join(work, "real"), set: ENGINE_SET });
            const offline = runTool("tools/render.ts", [
                "--stack",
                stack,
                "--out",
                path.join(work, "offline"),
                ...setArgs(ENGINE_SET),
            ]);
            assert.equal(offline.code, 0, offline.stderr);
            realObjects = new Map(readObjects(path.join(work, "real")).map((o) => [keyOf(o), o]));
            offlineObjects = new Map(readObjects(path.join(work, "offline", "manifests")).map((o) => [keyOf(o), o]));
            const recorded = JSON.parse(fs.readFileSync(path.join(work, "offline", "resources.json"), "utf8"));
            offlineUrns = recorded.resources.map((r: { urn: string }) => r.urn);
        });

        it("registers the same resources (URNs: types, parents, names) as the offline render", () => {
            assert.deepEqual([...real.up.urns].sort(), [...offlineUrns].sort());
        });

        after(() => work && fs.rmSync(work, { recursive: true, force: true }));

        it("writes the same objects (kinds, namespaces, names) as the offline render", () => {
            assert.ok(realObjects.size > 0, "the provider wrote no object");
            assert.deepEqual([...realObjects.keys()].sort(), [...offlineObjects.keys()].sort());
        });

        it("every object's content equals the offline render's, field for field (Secret values: see above)", () => {
            const differing: string[] = [];
            for (const [key, o] of realObjects) {
                const offline = offlineObjects.get(key);
                if (!offline) continue;
                try {
                    assert.deepEqual(secretValuesComparable(o, "real"), secretValuesComparable(offline, "offline"));
                } catch (e) {
                    differing.push(`${key}:\n${(e as Error).message}`);
                }
            }
            assert.deepEqual(differing, [], differing.slice(0, 3).join("\n\n"));
        });

        it("a second preview on the same state shows no change", () => {
            assert.deepEqual(changesOf(real.rerun), {});
        });
    });
}
