/**
 * The offline checker's image flags, applied to a policy-pack config (Pulumi's format):
 *
 *   --allowed-registry HOST[/PREFIX]  (repeatable) replaces `allowedRegistries` of images-allowed-registries
 *   --offline                          sets `offline` of images-signed and images-vulnerabilities: no signature or
 *                                      attestation verification, no network;
 *                                      pinning and the registry allow-list still apply
 */
import { ReferenceError, parseAllowedRegistry } from "./reference";

export const IMAGE_CLI_USAGE = `  --allowed-registry HOST[/PREFIX]
                  allow images from this registry (repeatable); replaces allowedRegistries of the config
  --offline       skip image signature and vulnerability attestation verification (no network); pinning and
                  registries are still checked`;

export interface ImageCliOptions {
    allowedRegistries?: readonly string[];
    offline?: boolean;
}

/** A flag value the checker should refuse (exit status 2). */
export class ImageOptionError extends Error {}

type PolicyEntry = string | Record<string, unknown> | undefined;

function withProperties(entry: PolicyEntry, properties: Record<string, unknown>): Record<string, unknown> {
    if (typeof entry === "string") return { enforcementLevel: entry, ...properties };
    return { ...(entry ?? {}), ...properties };
}

/** Returns the config with the flags applied; the input is not modified. */
export function applyImageCliOptions(config: unknown, options: ImageCliOptions): unknown {
    const allowed = options.allowedRegistries ?? [];
    for (const entry of allowed) {
        try {
            parseAllowedRegistry(entry);
        } catch (e) {
            if (e instanceof ReferenceError) throw new ImageOptionError(`--allowed-registry: ${e.message}`);
            throw e;
        }
    }
    if (allowed.length === 0 && !options.offline) return config;
    const out: Record<string, PolicyEntry> = { ...((config ?? {}) as Record<string, PolicyEntry>) };
    if (allowed.length > 0) {
        out["images-allowed-registries"] = withProperties(out["images-allowed-registries"], {
            allowedRegistries: [...allowed],
        });
    }
    if (options.offline) {
        // Both registry-backed image policies: signatures and vulnerability attestations.
        out["images-signed"] = withProperties(out["images-signed"], { offline: true });
        out["images-vulnerabilities"] = withProperties(out["images-vulnerabilities"], { offline: true });
    }
    return out;
}
