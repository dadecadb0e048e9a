/**
 * renovate.json: valid against Renovate's published JSON schema (the renovate-schema.json of the renovate 44.121.2
 * npm package, kept in test/fixtures/renovate: the renovate package itself, with its config validator, is 341 MB and
 * 431 packages whose optional re2 needs an install script, so it is not a dependency), no option the schema does
 * not define (what renovate-config-validator calls an invalid configuration option), and every regex manager
 * really finds what it is meant to update: each chart of components/lib/charts.ts, each image of
 * components/lib/images.ts with its tag and digest, each digest-pinned image of the stack files.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { CHARTS } from "../../components/lib/charts";
import { ADDON_IMAGES } from "../../components/lib/images";

const ROOT = path.resolve(__dirname, "..", "..");
const SCHEMA_FILE = path.join(__dirname, "fixtures", "renovate", "renovate-schema-44.121.2.json");
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8"));
const config = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));

const ajv = new Ajv({ allErrors: true, strict: false });
// The schema's own format for regular-expression options (Renovate compiles them; so does this check).
ajv.addFormat("regex", (s: string) => {
    try {
        new RegExp(s);
        return true;
    } catch {
        return false;
    }
});
const validate = ajv.compile(schema);
/** The validator as a plain predicate (its type guard would narrow the config to unknown). */
const schemaOk = (data: unknown): boolean => validate(data);

/** Option names the schema defines for an object at `ref` (a definitions entry, or the top level). */
function knownOptions(def: any): Set<string> {
    const props = new Set<string>();
    const walk = (d: any) => {
        if (!d || typeof d !== "object") return;
        if (d.$ref) walk(schema.definitions[d.$ref.replace("#/definitions/", "")]);
        for (const k of Object.keys(d.properties ?? {})) props.add(k);
        for (const sub of [...(d.allOf ?? []), ...(d.anyOf ?? []), ...(d.oneOf ?? [])]) walk(sub);
        if (d.items) walk(d.items);
    };
    walk(def);
    return props;
}

/** Problems Renovate's validator would report that the schema alone lets through: options it does not define. */
function unknownOptions(cfg: any): string[] {
    const out: string[] = [];
    const top = new Set(Object.keys(schema.properties));
    for (const k of Object.keys(cfg)) if (!top.has(k) && k !== "$schema") out.push(k);
    for (const list of ["customManagers", "packageRules"]) {
        const known = knownOptions(schema.definitions[list]);
        // A package rule may set any option (groupName, automerge, ...) besides its own match* conditions.
        if (list === "packageRules") for (const k of Object.keys(schema.properties)) known.add(k);
        (cfg[list] ?? []).forEach((item: object, i: number) => {
            for (const k of Object.keys(item)) if (!known.has(k)) out.push(`${list}[${i}].${k}`);
        });
    }
    return out;
}

/** A Renovate `/regex/` file pattern as a RegExp. */
function filePattern(p: string): RegExp {
    const m = /^\/(.*)\/([a-z]*)$/.exec(p);
    assert.ok(m, `${p}: this config writes file patterns as /regex/`);
    return new RegExp(m[1], m[2]);
}

/** What a regex manager extracts from the files it matches: named groups plus its templates. */
function extract(manager: any): Record<string, string>[] {
    const files = fs
        .readdirSync(ROOT, { recursive: true, encoding: "utf8" })
        .filter((f) => !f.startsWith("node_modules") && !f.startsWith(".git"))
        .map((f) => f.split(path.sep).join("/"))
        .filter((f) => manager.managerFilePatterns.some((p: string) => filePattern(p).test(f)));
    assert.ok(files.length > 0, `${manager.description}: matches no file`);
    const found: Record<string, string>[] = [];
    for (const f of files) {
        const text = fs.readFileSync(path.join(ROOT, f), "utf8");
        for (const s of manager.matchStrings) {
            for (const m of text.matchAll(new RegExp(s, "g"))) {
                found.push({
                    file: f,
                    ...(manager.depNameTemplate ? { depName: manager.depNameTemplate } : {}),
                    ...(manager.currentValueTemplate ? { currentValue: manager.currentValueTemplate } : {}),
                    ...m.groups,
                });
            }
        }
    }
    return found;
}

const managerFor = (file: string): any[] =>
    config.customManagers.filter((m: any) => m.managerFilePatterns.some((p: string) => filePattern(p).test(file)));

describe("Renovate configuration (renovate.json)", () => {
    it("is valid against Renovate's published schema, and the check can fail", () => {
        assert.equal(schema["x-renovate-version"], "44.121.2");
        assert.ok(schemaOk(config), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
        const broken = structuredClone(config);
        broken.customManagers[0].customType = "regexp";
        assert.equal(schemaOk(broken), false, "an unknown customType is refused");
    });

    it("uses only options Renovate defines (a typo is an invalid configuration option)", () => {
        assert.deepEqual(unknownOptions(config), []);
        const typo = structuredClone(config);
        typo.customManagers[0].managerFilePattern = typo.customManagers[0].managerFilePatterns;
        typo.packageRule = [];
        assert.deepEqual(unknownOptions(typo), ["packageRule", "customManagers[0].managerFilePattern"]);
    });

    it("updates npm packages and GitHub Actions pinned by commit SHA", () => {
        assert.ok(config.extends.includes("config:recommended"));
        assert.ok(config.extends.includes("helpers:pinGitHubActionDigests"));
        for (const m of ["npm", "github-actions", "custom.regex"]) assert.ok(config.enabledManagers.includes(m), m);
    });

    it("finds every chart of components/lib/charts.ts with its repository and version", () => {
        const found = managerFor("components/lib/charts.ts").flatMap((m) => extract(m));
        for (const m of managerFor("components/lib/charts.ts")) assert.equal(m.datasourceTemplate, "helm");
        const byName = new Map(found.map((d) => [d.depName, d]));
        for (const c of Object.values(CHARTS)) {
            // base and gateway share istiod's version: one dependency stands for the three.
            const name = c.repo.includes("istio") ? "istiod" : c.chart;
            const dep = byName.get(name);
            assert.ok(dep, `chart ${c.chart} is not found by any regex manager`);
            assert.equal(dep.currentValue, c.version, c.chart);
            assert.equal(dep.registryUrl, c.repo, c.chart);
        }
        const expected = new Set(Object.values(CHARTS).map((c) => (c.repo.includes("istio") ? "istiod" : c.chart)));
        assert.equal(found.length, expected.size, "one dependency per chart, no stray match");
    });

    it("finds every add-on image of components/lib/images.ts with its tag and digest", () => {
        const found = managerFor("components/lib/images.ts").flatMap((m) => extract(m));
        const images = Object.values(ADDON_IMAGES).flatMap((a) => Object.values(a));
        assert.deepEqual(
            found.map((d) => [d.depName, d.currentValue, d.currentDigest]).sort(),
            images.map((i) => [i.upstream, i.tag, i.digest]).sort(),
        );
    });

    it("finds every digest-pinned image of the stack files, and proposes them only with approval", () => {
        for (const stack of ["Pulumi.staging.yaml", "Pulumi.prod.yaml"]) {
            const text = fs.readFileSync(path.join(ROOT, stack), "utf8");
            // A migration contract's retiredImage names a version that once ran: it is history, never updated.
            const retired = [...text.matchAll(/retiredImage: \S+@(sha256:[a-f0-9]{64})/g)].map((m) => m[1]);
            const pinned = [...text.matchAll(/(?<!retiredImage: \S+)@(sha256:[a-f0-9]{64})/g)].map((m) => m[1]);
            assert.ok(pinned.length > 0);
            const found = managerFor(stack)
                .flatMap((m) => extract(m))
                .filter((d: any) => d.file === stack);
            assert.deepEqual(found.map((d: any) => d.currentDigest).sort(), pinned.sort(), stack);
            for (const digest of retired.filter((d) => !pinned.includes(d))) {
                assert.ok(
                    !found.some((d: any) => d.currentDigest === digest),
                    `${stack}: Renovate would update the retired image ${digest}`,
                );
            }
        }
        const rule = config.packageRules.find((r: any) => r.matchFileNames?.includes("Pulumi.*.yaml"));
        assert.equal(rule?.dependencyDashboardApproval, true);
    });
});
