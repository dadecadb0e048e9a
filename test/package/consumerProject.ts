/**
 * A consumer project as another team has it: its own package.json, the `zdp` tarball that `npm pack` makes, installed
 * by npm into its own node_modules, nothing linked from this repository.
 *
 * The install runs offline from npm's cache. npm resolves a new dependency tree with full registry metadata, which the
 * cache need not hold (`npm ci` caches the short form), so the consumer gets a lock file instead: the packages this
 * repository's lock resolves for the same dependencies, at the same paths (a subset of a valid tree is valid for the
 * same dependencies). After the install, `npm ls --all` checks every edge of the tree against the declared ranges
 * (peers included): a resolution that only holds in this repository (an `overrides` entry, say) fails there, so the
 * borrowed lock cannot hide a problem.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** A lock file entry (package-lock.json v3, `packages[path]`). */
export interface LockEntry {
    version?: string;
    resolved?: string;
    integrity?: string;
    link?: boolean;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    [key: string]: unknown;
}
export type LockPackages = Record<string, LockEntry>;

/** Where `name` resolves from the package at `from` (a lock path; "" is the project): Node's upward search. */
export function resolveIn(packages: LockPackages, from: string, name: string): string | undefined {
    let base = from;
    for (;;) {
        const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
        if (packages[candidate]) return candidate;
        if (!base) return undefined;
        const i = base.lastIndexOf("/node_modules/");
        base = i >= 0 ? base.slice(0, i) : "";
    }
}

/** The edges npm installs for an entry: dependencies, optional ones, and peers (optional peers marked so). */
function edgesOf(entry: LockEntry): Array<{ name: string; optional: boolean }> {
    return [
        ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
        ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
        ...Object.keys(entry.peerDependencies ?? {}).map((name) => ({
            name,
            optional: entry.peerDependenciesMeta?.[name]?.optional === true,
        })),
    ];
}

/**
 * Every lock path reachable from `roots` (each a package name depended on by `from`). A required dependency that does
 * not resolve is an error; an optional one (another platform's binary) is skipped, as npm does.
 */
export function closure(packages: LockPackages, roots: Array<{ from: string; name: string }>): Set<string> {
    const seen = new Set<string>();
    const queue = roots.map((r) => ({ ...r, optional: false }));
    while (queue.length > 0) {
        const { from, name, optional } = queue.shift()!;
        const at = resolveIn(packages, from, name);
        if (at === undefined) {
            if (optional) continue;
            throw new Error(`${name} (needed by ${from || "the project"}) is not in the lock file`);
        }
        if (seen.has(at)) continue;
        seen.add(at);
        for (const edge of edgesOf(packages[at])) queue.push({ from: at, ...edge });
    }
    return seen;
}

export interface PackResult {
    /** Absolute path of the tarball. */
    tarball: string;
    /** `sha512-…` of the tarball, as npm records it. */
    integrity: string;
    /** Paths inside the tarball, relative to its `package/` folder. */
    files: string[];
}

/** `npm pack` of this repository into `dest` (its `prepack` builds the library first). */
export function npmPack(dest: string, env: NodeJS.ProcessEnv): PackResult {
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", dest], {
        cwd: REPO_ROOT,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
    // The build's own output comes first; npm's JSON report is the last thing printed.
    const report = JSON.parse(out.slice(out.lastIndexOf("\n[") + 1))[0];
    return {
        tarball: path.join(dest, report.filename),
        integrity: report.integrity,
        files: report.files.map((f: { path: string }) => f.path),
    };
}

/** The package.json inside a tarball. */
export function tarballManifest(tarball: string): LockEntry & { name: string; version: string } {
    return JSON.parse(execFileSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" }));
}

/**
 * Writes `dir/package-lock.json` for a consumer whose package.json is `pkg` and whose `zdp` dependency is the tarball:
 * the tarball's own dependencies and the consumer's resolve to what this repository's lock holds for them.
 */
export function writeConsumerLock(
    dir: string,
    pkg: {
        name: string;
        version: string;
        dependencies: Record<string, string>;
        devDependencies?: Record<string, string>;
    },
    pack: PackResult,
): void {
    const rootLock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8"));
    const packages: LockPackages = rootLock.packages;
    const zdp = tarballManifest(pack.tarball);
    const roots = [
        ...Object.keys(zdp.dependencies ?? {}).map((name) => ({ from: "", name })),
        ...Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
            .filter((name) => name !== "zdp")
            .map((name) => ({ from: "", name })),
    ];
    const lock: { name: string; version: string; lockfileVersion: number; requires: boolean; packages: LockPackages } =
        {
            name: pkg.name,
            version: pkg.version,
            lockfileVersion: 3,
            requires: true,
            packages: {
                "": {
                    name: pkg.name,
                    version: pkg.version,
                    dependencies: pkg.dependencies,
                    devDependencies: pkg.devDependencies,
                },
                "node_modules/zdp": {
                    version: zdp.version,
                    resolved: pkg.dependencies.zdp,
                    integrity: pack.integrity,
                    license: zdp.license,
                    dependencies: zdp.dependencies,
                    engines: zdp.engines,
                },
            },
        };
    for (const at of [...closure(packages, roots)].sort()) {
        // npm recomputes which packages are dev or optional for this project.
        const { dev: _dev, optional: _optional, devOptional: _devOptional, peer: _peer, ...entry } = packages[at];
        lock.packages[at] = entry;
    }
    fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(lock, null, 2));
}

/**
 * `npm ci` from npm's cache, offline; then `npm ls --all`: every dependency present and in its declared range. The
 * cache holds every package of this repository's lock after its own `npm ci`; an `npm install` elsewhere may have
 * replaced a package's cached metadata by another format than `npm ci` reads, and only then does the install go to
 * the registry, for that metadata alone (`--prefer-offline`).
 */
export function npmCiOffline(dir: string, env: NodeJS.ProcessEnv): void {
    const npm = (args: string[]) =>
        execFileSync("npm", args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const ci = ["ci", "--ignore-scripts", "--no-audit", "--no-fund"];
    try {
        try {
            npm([...ci, "--offline"]);
        } catch (e: any) {
            if (!/ENOTCACHED/.test(`${e.stderr}`)) throw e;
            npm([...ci, "--prefer-offline"]);
        }
    } catch (e: any) {
        throw new Error(`npm ci of the consumer failed:\n${e.stdout}${e.stderr}`);
    }
    try {
        npm(["ls", "--all", "--offline"]);
    } catch (e: any) {
        throw new Error(`the consumer's tree is not what its dependencies declare:\n${e.stdout}${e.stderr}`);
    }
}

/** Bytes of the files of the package at `dir`, without its own node_modules (those are packages of their own). */
export function packageBytes(dir: string): number {
    let total = 0;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            if (entry.name !== "node_modules") total += packageBytes(p);
        } else if (entry.isFile()) {
            total += fs.statSync(p).size;
        }
    }
    return total;
}

/** What npm installed in `dir`: its hidden lock file (`node_modules/.package-lock.json`), packages only. */
export function installedPackages(dir: string): LockPackages {
    const hidden = JSON.parse(fs.readFileSync(path.join(dir, "node_modules", ".package-lock.json"), "utf8"));
    return Object.fromEntries(
        Object.entries<LockEntry>(hidden.packages).filter(([at]) => at.includes("node_modules/")),
    );
}
