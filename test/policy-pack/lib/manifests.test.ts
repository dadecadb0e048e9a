/** Reading manifests: documents, lists, lines, directories and the errors users see. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { ManifestError, loadManifests, parseManifests } from "../../../policy-pack/lib/manifests";
import { validateValue } from "../../../policy-pack/lib/schema";

describe("manifests", () => {
    it("reads several documents, skips empty ones and expands kind: List with item lines", () => {
        const text = [
            "---",
            "# nothing here",
            "---",
            "apiVersion: v1",
            "kind: ServiceAccount",
            "metadata: {name: a}",
            "---",
            "apiVersion: v1",
            "kind: List",
            "items:",
            "  - apiVersion: v1",
            "    kind: ConfigMap",
            "    metadata: {name: b}",
            "  - apiVersion: v1",
            "    kind: Secret",
            "    metadata: {name: c}",
        ].join("\n");
        const objs = parseManifests(text, "m.yaml");
        assert.deepEqual(
            objs.map((o) => [o.object.kind, o.object.metadata?.name, o.file, o.line]),
            [
                ["ServiceAccount", "a", "m.yaml", 4],
                ["ConfigMap", "b", "m.yaml", 11],
                ["Secret", "c", "m.yaml", 14],
            ],
        );
    });

    it("reads JSON, including a JSON List", () => {
        const objs = parseManifests(
            JSON.stringify({
                apiVersion: "v1",
                kind: "List",
                items: [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "n" } }],
            }),
            "l.json",
        );
        assert.equal(objs[0].object.kind, "Namespace");
    });

    it("names the file and line of a syntax error, and of a document that is not an object", () => {
        const bad = (text: string, re: RegExp) =>
            assert.throws(
                () => parseManifests(text, "bad.yaml"),
                (e: unknown) => e instanceof ManifestError && re.test(e.message),
            );
        bad(
            "apiVersion: v1\nkind: Role\nrules: [a, b\nmetadata: {}\n",
            /^bad\.yaml:\d+: invalid YAML\/JSON \(column \d+\): /,
        );
        bad("apiVersion: v1\nkind: A\n---\n- just\n- a list\n", /^bad\.yaml:4: document 2 is not a mapping/);
        bad("metadata: {name: x}\n", /^bad\.yaml:1: document 1 has no apiVersion/);
        bad("apiVersion: v1\nkind: List\nitems:\n  - 3\n", /^bad\.yaml:4: List item 0 is not a mapping/);
        bad("a: 1\na: 2\n", /^bad\.yaml:\d+: invalid YAML\/JSON \(column \d+\): .*[Mm]ap keys must be unique/);
    });

    it("walks directories recursively in a stable order, reading only manifest extensions", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifests-"));
        fs.mkdirSync(path.join(dir, "sub"));
        fs.writeFileSync(path.join(dir, "b.yml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
        fs.writeFileSync(
            path.join(dir, "sub", "a.json"),
            '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}',
        );
        fs.writeFileSync(path.join(dir, "notes.txt"), "not: [valid");
        const objs = await loadManifests([dir]);
        assert.deepEqual(
            objs.map((o) => path.relative(dir, o.file!)),
            ["b.yml", path.join("sub", "a.json")],
        );
        await assert.rejects(loadManifests([path.join(dir, "missing.yaml")]), /missing\.yaml: cannot read: ENOENT/);
    });

    it("reads standard input for -", async () => {
        const objs = await loadManifests(
            ["-"],
            Readable.from(["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n"]),
        );
        assert.deepEqual([objs[0].file, objs[0].object.metadata?.name], ["<stdin>", "s"]);
    });
});

describe("config schema validator (ajv, draft-07)", () => {
    const schema = {
        type: "object" as const,
        additionalProperties: false,
        required: ["a"],
        properties: {
            a: { type: "array" as const, items: { type: "string" as const, pattern: "^x" }, uniqueItems: true },
            b: { enum: [1, 2] },
            n: { type: "integer" as const, minimum: 1, maximum: 5 },
            s: { type: "string" as const, minLength: 2 },
        },
    };

    it("validates types, required, enums, patterns, items and additionalProperties, naming path and expectation", () => {
        assert.deepEqual(validateValue(schema, { a: ["xa"] }, "p"), []);
        assert.deepEqual(validateValue(schema, { a: ["y"], b: 3, c: 1 }, "p").sort(), [
            'p.a[0]: "y" does not match the pattern ^x',
            "p.b: 3 is not one of 1, 2",
            'p: unknown property "c" (allowed: a, b, n, s)',
        ]);
        assert.deepEqual(validateValue(schema, {}, "p"), ['p: missing required property "a"']);
        assert.deepEqual(validateValue(schema, [], "p"), ["p: expected object, got array"]);
        assert.deepEqual(validateValue(schema, { a: ["xa", "xa"], n: 9, s: "x" }, "p").sort(), [
            'p.a[1]: duplicate item "xa"',
            "p.n: must be <= 5",
            "p.s: must be at least 2 character(s) long",
        ]);
        assert.deepEqual(validateValue(schema, { a: "xa", n: 1.5 }, "p").sort(), [
            "p.a: expected array, got string",
            "p.n: expected integer, got number",
        ]);
    });

    it("supports every draft-07 keyword, such as oneOf and const", () => {
        const s = { oneOf: [{ const: "on" }, { type: "integer" as const }] };
        assert.deepEqual(validateValue(s as never, "on", "p"), []);
        assert.deepEqual(validateValue(s as never, 3, "p"), []);
        assert.deepEqual(validateValue(s as never, "off", "p").sort(), [
            "p: expected integer, got string",
            'p: must be "on"',
        ]);
    });

    it("refuses a schema with an unknown keyword or an invalid value instead of validating nothing", () => {
        assert.throws(() => validateValue({ patern: "^x" } as never, "y", "p"), /invalid schema at p: .*patern/);
        assert.throws(() => validateValue({ type: "strnig" } as never, "y", "p"), /invalid schema at p/);
    });
});
