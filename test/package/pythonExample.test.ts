/**
 * The Python example of docs/using-the-components.md against the schema Pulumi infers for `pulumi package add`: the generated SDK is the
 * module `pulumi_zdp`, and its arguments, nested dictionary keys and outputs are the schema's names in snake_case. The
 * SDK generation itself needs the Pulumi CLI; this checks, without it, that the example uses only names the SDK has,
 * gives every required argument, and is valid Python.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";

const ROOT = path.resolve(__dirname, "..", "..");

/** What the Python SDK generator calls a schema property (`containerPort` → `container_port`). */
const pythonName = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** The docs' Python example: the first python code block of the "## Python" section of docs/using-the-components.md. */
function docsExample(): string {
    const docs = fs.readFileSync(path.join(ROOT, "docs", "using-the-components.md"), "utf8");
    const start = docs.indexOf("\n## Python");
    assert.ok(start >= 0, 'docs/using-the-components.md has a "## Python" section');
    const block = /```python\n([\s\S]*?)```/.exec(docs.slice(start));
    assert.ok(block, "the Python section has a python example");
    return block[1];
}

/** A value's shape as written in Python: dict keys with their shapes, list items, or a leaf. */
type Shape = { dict: Record<string, Shape> } | { list: Shape[] } | null;

/** Parses the example with Python's own parser: each `zdp.<Class>(...)` call's keywords, and outputs read. */
const EXTRACT = `
import ast, json, sys
tree = ast.parse(sys.stdin.read())
def shape(node):
    if isinstance(node, ast.Dict):
        return {"dict": {k.value: shape(v) for k, v in zip(node.keys, node.values)}}
    if isinstance(node, ast.List):
        return {"list": [shape(e) for e in node.elts]}
    return None
imports = [a.name + " as " + (a.asname or a.name) for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
calls, variables = [], {}
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
        f = node.value.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "zdp":
            calls.append({"cls": f.attr, "args": {k.arg: shape(k.value) for k in node.value.keywords}})
            variables[node.targets[0].id] = f.attr
outputs = [{"cls": variables[n.value.id], "name": n.attr} for n in ast.walk(tree)
           if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in variables]
print(json.dumps({"imports": imports, "calls": calls, "outputs": outputs}))
`;

describe("Python example of the docs (pulumi package add, module pulumi_zdp)", function () {
    this.timeout(120_000);

    let schema: any;
    let example: {
        imports: string[];
        calls: Array<{ cls: string; args: Record<string, Shape> }>;
        outputs: Array<{ cls: string; name: string }>;
    };

    before(async function () {
        try {
            execFileSync("python3", ["--version"], { stdio: "ignore" });
        } catch {
            this.skip(); // no Python on this machine: the example cannot be parsed
        }
        example = JSON.parse(execFileSync("python3", ["-c", EXTRACT], { input: docsExample(), encoding: "utf8" }));
        const api = require(path.join(ROOT, "components", "index.ts"));
        const provider = new ComponentProvider({ components: getPulumiComponents(api), name: "zdp", dirname: ROOT });
        schema = JSON.parse(await provider.getSchema());
    });

    it("imports the SDK module named after the package: pulumi_zdp", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.equal(schema.name, pkg.name);
        assert.ok(example.imports.includes(`pulumi_${pkg.name} as zdp`), example.imports.join(", "));
    });

    it("passes only arguments and dictionary keys the SDK has, and every required argument", () => {
        assert.ok(example.calls.length > 0, "the example declares a component");
        const check = (props: Record<string, any>, required: string[], given: Record<string, Shape>, at: string) => {
            const byPython = new Map(Object.entries(props).map(([name, spec]) => [pythonName(name), spec]));
            for (const [key, value] of Object.entries(given)) {
                const spec = byPython.get(key);
                assert.ok(spec, `${at}${key} is not an argument of the SDK (has ${[...byPython.keys()].join(", ")})`);
                walk(spec, value, `${at}${key}`);
            }
            for (const name of required) {
                assert.ok(pythonName(name) in given, `${at}${pythonName(name)} is required`);
            }
        };
        const walk = (spec: any, value: Shape, at: string) => {
            if (value === null) return;
            if ("list" in value) {
                assert.equal(spec.type, "array", `${at} is a list in the example but not in the schema`);
                value.list.forEach((item, i) => walk(spec.items, item, `${at}[${i}]`));
            } else if (spec.$ref) {
                const type = schema.types[spec.$ref.replace("#/types/", "")];
                check(type.properties, type.required ?? [], value.dict, `${at}.`);
            } else {
                // A map (`env`, `secret_env`): its keys are the user's own.
                assert.equal(spec.type, "object", `${at} is a dictionary in the example but not in the schema`);
            }
        };
        for (const call of example.calls) {
            const resource = schema.resources[`zdp:index:${call.cls}`];
            assert.ok(resource, `zdp.${call.cls} is a component of the package`);
            check(resource.inputProperties, resource.requiredInputs ?? [], call.args, `${call.cls}: `);
        }
    });

    it("reads only outputs the component has", () => {
        for (const { cls, name } of example.outputs) {
            const outputs = Object.keys(schema.resources[`zdp:index:${cls}`].properties).map(pythonName);
            assert.ok(outputs.includes(name), `${cls}.${name} is not an output (has ${outputs.join(", ")})`);
        }
    });
});
