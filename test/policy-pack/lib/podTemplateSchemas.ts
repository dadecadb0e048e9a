/**
 * Where the published schemas put pod specs: every kind of kubernetes-models, @kubernetes-models/argo-rollouts and
 * @kubernetes-models/istio (the packages test/helpers/schemas.ts validates rendered objects against) whose type
 * holds a pod spec, with the property paths to each one. Derived from the packages' type declarations with the
 * TypeScript compiler, so a new kind (or a new place for a pod template in an existing kind) shows up by itself.
 *
 * A pod spec is recognised by its shape, not its name: an object type with a `containers` array whose elements
 * have an `image` (core/v1 PodSpec, and any custom resource that inlines one). Paths use `*` for every element of
 * an array, e.g. `spec.metrics.*.provider.job.spec.template.spec`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** The packages searched, as the brief of the pod-template check names them. */
export const POD_SCHEMA_PACKAGES = [
    "kubernetes-models",
    "@kubernetes-models/argo-rollouts",
    "@kubernetes-models/istio",
] as const;

/** One kind with pod specs, and where they are. */
export interface PodTemplateKind {
    package: string;
    apiVersion: string;
    kind: string;
    /** Property paths to each pod spec, `*` for array elements. */
    paths: string[][];
}

const API_VERSION = /^\.\/(([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?)$/;

/** The group-version modules of a package (`./apps/v1` → its index.d.ts). */
function groupVersionModules(pkg: string): { apiVersion: string; dts: string }[] {
    const dir = path.dirname(require.resolve(`${pkg}/package.json`));
    const exportsField = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).exports ?? {};
    const out: { apiVersion: string; dts: string }[] = [];
    for (const [subpath, target] of Object.entries(exportsField as Record<string, unknown>)) {
        const m = API_VERSION.exec(subpath);
        const types = (target as { types?: unknown } | null)?.types;
        if (m && typeof types === "string") out.push({ apiVersion: m[1], dts: path.join(dir, types) });
    }
    return out;
}

/** Walks declared types for pod specs. */
class PodSpecFinder {
    constructor(private readonly checker: ts.TypeChecker) {}

    private propertiesOf(type: ts.Type): Map<string, ts.Type> {
        const out = new Map<string, ts.Type>();
        for (const prop of this.checker.getPropertiesOfType(type)) {
            out.set(prop.getName(), this.checker.getNonNullableType(this.checker.getTypeOfSymbol(prop)));
        }
        return out;
    }

    private elementOf(type: ts.Type): ts.Type | undefined {
        return this.checker.isArrayType(type) ? this.checker.getTypeArguments(type as ts.TypeReference)[0] : undefined;
    }

    /** A pod spec: a `containers` array of objects that have an `image`. */
    isPodSpec(type: ts.Type): boolean {
        const containers = this.propertiesOf(type).get("containers");
        const element = containers && this.elementOf(containers);
        return element !== undefined && this.checker.getPropertyOfType(element, "image") !== undefined;
    }

    /** Paths from `type` to every pod spec below it; `seen` holds the types on the current path (recursion). */
    find(type: ts.Type, at: string[] = [], seen: Set<ts.Type> = new Set(), out: string[][] = []): string[][] {
        if (at.length > 24 || seen.has(type)) return out;
        if (type.isUnion()) {
            for (const member of type.types) this.find(member, at, seen, out);
            return out;
        }
        const element = this.elementOf(type);
        if (element) return this.find(this.checker.getNonNullableType(element), [...at, "*"], seen, out);
        if (!(type.flags & ts.TypeFlags.Object)) return out;
        if (this.isPodSpec(type)) {
            out.push(at);
            return out;
        }
        seen.add(type);
        for (const [name, propType] of this.propertiesOf(type)) this.find(propType, [...at, name], seen, out);
        seen.delete(type);
        return out;
    }
}

/** Every kind of the packages whose objects hold a pod spec, with the paths to them. */
export function podTemplateKinds(): PodTemplateKind[] {
    const modules = POD_SCHEMA_PACKAGES.flatMap((pkg) => groupVersionModules(pkg).map((m) => ({ pkg, ...m })));
    const program = ts.createProgram(
        modules.map((m) => m.dts),
        { noEmit: true, skipLibCheck: true, types: [], moduleResolution: ts.ModuleResolutionKind.Node10 },
    );
    const checker = program.getTypeChecker();
    const finder = new PodSpecFinder(checker);
    const out: PodTemplateKind[] = [];
    for (const m of modules) {
        const source = program.getSourceFile(m.dts);
        const moduleSymbol = source && checker.getSymbolAtLocation(source);
        if (!moduleSymbol) throw new Error(`cannot read the type declarations of ${m.pkg}/${m.apiVersion} (${m.dts})`);
        for (const exported of checker.getExportsOfModule(moduleSymbol)) {
            const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
            if (!(symbol.flags & ts.SymbolFlags.Class)) continue;
            // A model class has static apiVersion and kind whose types are string literals.
            const statics = checker.getTypeOfSymbol(symbol);
            const literal = (name: string): string | undefined => {
                const prop = checker.getPropertyOfType(statics, name);
                const t = prop && checker.getTypeOfSymbol(prop);
                return t?.isStringLiteral() ? t.value : undefined;
            };
            const apiVersion = literal("apiVersion");
            const kind = literal("kind");
            if (apiVersion === undefined || kind === undefined) continue;
            const paths = finder.find(checker.getDeclaredTypeOfSymbol(symbol));
            if (paths.length > 0) out.push({ package: m.pkg, apiVersion, kind, paths });
        }
    }
    return out;
}
