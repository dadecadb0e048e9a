import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel } from "./lib/validation";
import { ConfigError } from "./platformConfig";

/** One entry of the `services` stack config as far as the platform needs it: where the service lives. */
export interface ServiceEntry {
    name: string;
    namespace: string;
}

/**
 * Reads the `services` list from stack config and returns the distinct service namespaces, in first-seen order.
 * Fails with a {@link ConfigError} naming `services[i].field` for a malformed entry.
 */
export function loadServiceNamespaces(config: pulumi.Config): string[] {
    const raw = config.get("services");
    if (raw === undefined) return [];
    let list: unknown;
    try {
        list = JSON.parse(raw);
    } catch {
        throw new ConfigError(`config ${config.name}:services must be a list of service objects (got ${JSON.stringify(raw)})`);
    }
    if (!Array.isArray(list)) {
        throw new ConfigError(`config ${config.name}:services must be a list of service objects`);
    }
    const errors: string[] = [];
    const namespaces: string[] = [];
    list.forEach((entry: any, i) => {
        const err = checkDnsLabel(`services[${i}].name`, entry?.name) ?? checkDnsLabel(`services[${i}].namespace`, entry?.namespace);
        if (err) errors.push(`config ${config.name}:${err}`);
        else if (!namespaces.includes(entry.namespace)) namespaces.push(entry.namespace);
    });
    if (errors.length > 0) throw new ConfigError(`invalid stack configuration:\n  - ${errors.join("\n  - ")}`);
    return namespaces;
}
