/**
 * The platform settings: every key of the stack configuration but the services (serviceConfig.ts), read and validated
 * so that a wrong value fails with the key's name, what is allowed and the command that fixes it, instead of a stack
 * trace from deep inside a component.
 *
 * The keys are declared once, in config/keys.ts (re-exported here as {@link CONFIG_KEYS}); {@link PlatformConfig} is
 * derived from that declaration, each setting typed by its key's kind (config/kinds.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, SETTING_KEYS } from "./config/keys";
import { ConfigSource, Parsed, ValueOf } from "./config/kinds";
import { configErrors, StackRef, stackRefOf } from "./config/messages";
import { closestName } from "./lib/validation";

export { CONFIG_KEYS };
export { ConfigError } from "./config/messages";

type Settings = typeof SETTING_KEYS;
type SettingName = keyof Settings;
type Values = { [K in SettingName]: ValueOf<Settings[K]> };
/** Settings that may be left unset (an optional string, a secret): optional properties of {@link PlatformConfig}. */
type OptionalName = { [K in SettingName]: undefined extends Values[K] ? K : never }[SettingName];
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * Validated platform settings, one per key of `SETTING_KEYS` with the type its kind parses to (`environment:
 * "staging" | "prod"`, `istiodReplicas: number`, `alertWebhookUrl?: Output<string>`), defaults applied. An empty
 * optional string reads as unset (`undefined`).
 */
export type PlatformConfig = Flat<
    { [K in Exclude<SettingName, OptionalName>]: Values[K] } & { [K in OptionalName]?: Values[K] }
>;

/** Each setting's reader, typed by its own key, so that reading key `K` gives `PlatformConfig[K]`. */
const READERS: { readonly [K in SettingName]: { read(source: ConfigSource, key: K): Parsed<PlatformConfig[K]> } } =
    SETTING_KEYS;

const isSetting = (key: string): key is SettingName => Object.hasOwn(SETTING_KEYS, key);

/** Reads setting `key` into `settings` when it is valid; returns its problems. */
function readSetting<K extends SettingName>(source: ConfigSource, key: K, settings: Partial<PlatformConfig>): string[] {
    const { value, errors } = READERS[key].read(source, key);
    if (errors.length === 0) settings[key] = value;
    return errors;
}

/** Whether every setting was read (an optional one possibly as undefined). */
function isComplete(settings: Partial<PlatformConfig>): settings is PlatformConfig {
    return Object.keys(SETTING_KEYS).every((key) => key in settings);
}

/**
 * Reads and validates every platform key from `config`: `value` holds the settings with defaults applied when they
 * are valid, `errors` one line per problem (empty when the settings are valid).
 */
export function readPlatformConfig(config: pulumi.Config = new pulumi.Config()): {
    value?: PlatformConfig;
    errors: string[];
} {
    const source: ConfigSource = { config, ref: stackRefOf(config) };
    const settings: Partial<PlatformConfig> = {};
    const errors = Object.keys(SETTING_KEYS)
        .filter(isSetting)
        .flatMap((key) => readSetting(source, key, settings));
    return errors.length === 0 && isComplete(settings) ? { value: settings, errors } : { errors };
}

/** Reads and validates every platform key from `config`, applying defaults; throws one {@link ConfigError} listing every problem. */
export function loadPlatformConfig(config: pulumi.Config = new pulumi.Config()): PlatformConfig {
    const { value, errors } = readPlatformConfig(config);
    if (value === undefined) throw configErrors(errors);
    return value;
}

/**
 * Errors for keys of this project that the program does not read (`zdp:Environment`, `zdp:istiodReplica`): the
 * engine passes any namespaced key through, so a typo would silently leave the setting at its default. Each names the
 * closest known key. `keys` are fully qualified; keys of other namespaces (`kubernetes:context`) are not ours.
 */
export function unknownConfigKeys(
    ref: StackRef,
    keys: readonly string[],
    extraKnown: readonly string[] = [],
): string[] {
    const known = [...Object.keys(CONFIG_KEYS), ...extraKnown];
    const prefix = `${ref.project}:`;
    return keys
        .filter((k) => k.startsWith(prefix) && !known.includes(k.slice(prefix.length)))
        .sort()
        .map((k) => {
            const key = k.slice(prefix.length);
            const near = closestName(key, known);
            const hint = near ? `did you mean ${prefix}${near}?` : `the keys are: ${known.join(", ")}`;
            return `config ${k} is not a key of this program (${hint}); remove it with: pulumi config rm --stack ${ref.stack} ${k}`;
        });
}
