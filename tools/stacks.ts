/**
 * Reads a stack's configuration the way the Pulumi engine would hand it to the program: `Pulumi.yaml` defaults,
 * overlaid by `Pulumi.<stack>.yaml`, every value a string (objects and lists as JSON), after the engine's checks
 * (`engineConfig.ts`: required keys, declared types, secrets). Encrypted (`secure:`) values cannot be decrypted
 * offline: they become a placeholder and are marked secret, so the program treats them as secrets and the render
 * prints `[secret]`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import {
    applyOverrides,
    applyProjectConfig,
    ConfigOverrides,
    projectDeclarations,
    qualifyKey,
    StackValue,
} from "./engineConfig";

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

/** The message of a thrown value (the YAML and JSON parsers throw Errors). */
export function messageOf(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/**
 * What a command line prints after `error: `: the message of a known error (a user mistake, exit 2), else the stack
 * trace (or the thrown value itself).
 */
export function errorText(err: unknown, known: boolean): string {
    if (known) return messageOf(err);
    const stack = err !== null && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
    return String(stack ?? err);
}

function readYaml(file: string): unknown {
    try {
        return parse(fs.readFileSync(file, "utf8")) ?? {};
    } catch (e) {
        throw new UsageError(`${file}: not valid YAML: ${messageOf(e)}`);
    }
}

function isMapping(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function asConfigString(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Loads the configuration of `stack` from the project in `root`, with `overrides` applied as `pulumi config set`
 * would. Throws a {@link UsageError} with the engine's message (and the fix) where `pulumi preview` would stop.
 */
export function loadStackConfig(root: string, stack: string, overrides: ConfigOverrides = {}): StackConfig {
    const stacks = listStacks(root);
    if (!stacks.includes(stack)) {
        throw new UsageError(`unknown stack "${stack}"; the stacks of this project are: ${stacks.join(", ")}`);
    }
    const project = readYaml(path.join(root, "Pulumi.yaml"));
    // The engine refuses a project without a name, as here: the config keys are qualified with it.
    if (!isMapping(project) || typeof project.name !== "string" || project.name === "") {
        throw new UsageError("Pulumi.yaml: project is missing a 'name' attribute");
    }
    const name = project.name;
    const { decls, errors: projectErrors } = projectDeclarations(name, project.config);
    if (projectErrors.length > 0) throw new UsageError(projectErrors.join("\n"));

    const fileName = `Pulumi.${stack}.yaml`;
    let stackFile: unknown;
    try {
        stackFile = parse(fs.readFileSync(path.join(root, fileName), "utf8"));
    } catch (e) {
        throw new UsageError(`${fileName}: not valid YAML: ${messageOf(e)}`);
    }
    // The engine reads an empty stack as "no settings": every default, and on a real stack, deleting whatever the
    // program no longer declares. A stack file says what the stack is.
    if (stackFile !== null && stackFile !== undefined && (typeof stackFile !== "object" || Array.isArray(stackFile))) {
        throw new UsageError(`${fileName}: config must be a mapping of keys to values (the file is not a mapping)`);
    }
    if (!isMapping(stackFile) || stackFile.config === undefined || stackFile.config === null) {
        throw new UsageError(
            `${fileName} sets no configuration: a stack file needs a config mapping (${name}:environment, ${name}:services, ...); ` +
                `set them with: pulumi config set --stack ${stack} ${name}:environment <value>`,
        );
    }
    if (!isMapping(stackFile.config)) {
        throw new UsageError(
            `${fileName}: config must be a mapping of keys to values (got ${Array.isArray(stackFile.config) ? "a list" : typeof stackFile.config})`,
        );
    }
    const values = new Map<string, StackValue>();
    for (const [key, value] of Object.entries(stackFile.config)) {
        if (value !== null && typeof value === "object" && "secure" in value && Object.keys(value).length === 1) {
            values.set(qualifyKey(name, key), { secure: true, known: false });
        } else {
            values.set(qualifyKey(name, key), {
                value: value !== null && typeof value === "object" ? value : String(value),
                secure: false,
                known: true,
            });
        }
    }
    applyOverrides(name, decls, values, overrides);
    const errors = applyProjectConfig(name, stack, decls, values);
    if (errors.length > 0) throw new UsageError(errors.join("\n"));

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, v] of values) {
        config[key] = v.known ? asConfigString(v.value) : OFFLINE_SECRET_VALUE;
        if (v.secure) secretKeys.push(key);
    }
    return { project: name, stack, config, secretKeys };
}

/**
 * Reads a `--set KEY=VALUE` or `--set-secret KEY=VALUE` option into `into`; returns false for any other option. The
 * render and the offline preview share it, so both take config overrides the same way.
 */
export function takeConfigOption(option: string, value: string | undefined, into: ConfigOverrides): boolean {
    if (option !== "--set" && option !== "--set-secret") return false;
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${option} needs a value`);
    const eq = value.indexOf("=");
    // A secret given without its key is not repeated.
    if (eq <= 0)
        throw new UsageError(`${option} takes KEY=VALUE (got ${option === "--set" ? `"${value}"` : "no '='"})`);
    const target = option === "--set" ? (into.set ??= {}) : (into.setSecret ??= {});
    target[value.slice(0, eq)] = value.slice(eq + 1);
    return true;
}

/**
 * The render and preview tools' command lines, parsed by node:util's parseArgs: `options` plus the repeatable
 * `--set KEY=VALUE` and `--set-secret KEY=VALUE` (through {@link takeConfigOption}, so a secret value is never
 * echoed) and `-h`/`--help` (`help: true`). parseArgs' errors become one-line usage errors: `--stack needs a value`,
 * `unknown option "--x"`.
 */
export function parseToolArgs(
    argv: string[],
    options: Record<string, { type: "string" | "boolean" }>,
    usage: string,
): { values: Record<string, string | boolean | undefined>; overrides: ConfigOverrides; help: boolean } {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: {
                ...options,
                set: { type: "string", multiple: true },
                "set-secret": { type: "string", multiple: true },
                help: { type: "boolean", short: "h" },
            },
            strict: true,
            allowPositionals: false,
        });
    } catch (e) {
        const err = e as Error & { code?: string };
        const named = /'(-[^' ]+)/.exec(err.message)?.[1] ?? /'([^']+)'/.exec(err.message)?.[1] ?? "";
        if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE")
            throw new UsageError(`${named} needs a value\n${usage}`);
        throw new UsageError(`unknown option "${named}"\n${usage}`);
    }
    const {
        set,
        "set-secret": setSecret,
        help,
        ...values
    } = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const overrides: ConfigOverrides = {};
    try {
        for (const v of (set as string[] | undefined) ?? []) takeConfigOption("--set", v, overrides);
        for (const v of (setSecret as string[] | undefined) ?? []) takeConfigOption("--set-secret", v, overrides);
    } catch (e) {
        throw new UsageError(`${(e as Error).message}\n${usage}`);
    }
    for (const [k, v] of Object.entries(values)) {
        // `--stack --format json`: the next option is no value.
        if (typeof v === "string" && (v === "" || v.startsWith("--")))
            throw new UsageError(`--${k} needs a value\n${usage}`);
    }
    return { values: values as Record<string, string | boolean | undefined>, overrides, help: help === true };
}
