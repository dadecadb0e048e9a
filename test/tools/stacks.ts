/**
 * Reads a stack's configuration the way the Pulumi engine would hand it to the program: `Pulumi.yaml` defaults,
 * overlaid by `Pulumi.<stack>.yaml`, every value a string (objects and lists as JSON). Encrypted (`secure:`) values
 * cannot be decrypted offline: they become a placeholder and are marked secret, so the program treats them as
 * secrets and the render prints `[secret]`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** Value given to secret config offline; it is a Pulumi secret in the program and never printed. */
export const OFFLINE_SECRET_VALUE = "offline-secret-placeholder";

/** A problem the user must fix (exit code 2, no stack trace). */
export class UsageError extends Error {}

export interface StackConfig {
    project: string;
    stack: string;
    /** Fully-qualified keys (`project:key`, `kubernetes:context`) to string values. */
    config: Record<string, string>;
    secretKeys: string[];
}

/** Names of the stacks that have a `Pulumi.<stack>.yaml` beside `Pulumi.yaml`. */
export function listStacks(root: string): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

function readYaml(file: string): any {
    try {
        return parse(fs.readFileSync(file, "utf8")) ?? {};
    } catch (e: any) {
        throw new UsageError(`${file}: not valid YAML: ${e.message}`);
    }
}

function asConfigString(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/** Loads the configuration of `stack` from the project in `root`. */
export function loadStackConfig(root: string, stack: string): StackConfig {
    const stacks = listStacks(root);
    if (!stacks.includes(stack)) {
        throw new UsageError(`unknown stack "${stack}"; the stacks of this project are: ${stacks.join(", ")}`);
    }
    const project = readYaml(path.join(root, "Pulumi.yaml"));
    const name: string = project.name;
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${name}:${key}`);

    for (const [key, decl] of Object.entries<any>(project.config ?? {})) {
        const isDecl = decl !== null && typeof decl === "object" && !Array.isArray(decl);
        const def = isDecl ? decl.default : decl;
        if (def !== undefined) config[qualify(key)] = asConfigString(def);
    }
    const file = stacks.includes(stack) ? path.join(root, `Pulumi.${stack}.yaml`) : "";
    const stackFile = readYaml(file);
    for (const [key, value] of Object.entries<any>(stackFile.config ?? {})) {
        const full = qualify(key);
        if (value !== null && typeof value === "object" && "secure" in value && Object.keys(value).length === 1) {
            config[full] = OFFLINE_SECRET_VALUE;
            secretKeys.push(full);
        } else {
            config[full] = asConfigString(value);
        }
    }
    return { project: name, stack, config, secretKeys };
}
