/**
 * How configuration problems are reported: each message names the stack key (`zdp:scanSeverities[1]`), what is wrong,
 * and the command that fixes it, with `--stack`. Shared by the platform keys (platformConfig.ts) and the services
 * (serviceConfig.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

/** Thrown for configuration mistakes; `pulumi.RunError` makes the CLI print the message without a stack trace. */
export class ConfigError extends pulumi.RunError {}

/** The stack whose configuration is read: messages name its keys (`zdp:key`) and commands name it (`--stack`). */
export interface StackRef {
    project: string;
    stack: string;
}

/** The project and stack the program runs as (the stack placeholder when no stack is known). */
export function stackRefOf(config: pulumi.Config): StackRef {
    return { project: config.name, stack: pulumi.getStack() || "<stack>" };
}

/**
 * The command that sets `key` on the stack: `pulumi config set --stack prod zdp:key <value>`. A `path` such as
 * `scanSeverities[0]` is set with `--path`; a secret with `--secret`.
 */
export function configSetCommand(
    ref: StackRef,
    key: string,
    opts: { value?: string; secret?: boolean; path?: boolean } = {},
): string {
    const flags = `${opts.secret ? " --secret" : ""}${opts.path ? " --path" : ""}`;
    const fullKey = opts.path ? `'${ref.project}:${key}'` : `${ref.project}:${key}`;
    return `pulumi config set --stack ${ref.stack}${flags} ${fullKey} ${opts.value ?? "<value>"}`;
}

/** One error line for config `key`: what is wrong, then how to fix it. */
export function configError(ref: StackRef, key: string, problem: string, fix?: string): string {
    return `config ${ref.project}:${key} ${problem}; fix it with: ${fix ?? configSetCommand(ref, key)}`;
}

/** One {@link ConfigError} listing every problem on its own line. */
export function configErrors(errors: string[]): ConfigError {
    return new ConfigError(`invalid stack configuration:\n  - ${errors.join("\n  - ")}`);
}

/** Whether the runtime holds `fullKey` as a secret; undefined when the SDK cannot say. */
export function isSecretConfig(fullKey: string): boolean | undefined {
    // Not in the SDK's type declarations, but exported by its runtime.
    return (runtimeConfig as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret?.(fullKey);
}
