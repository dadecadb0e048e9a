/**
 * Argument checks shared by the components. Each returns an error message naming the field, or `undefined` when
 * the value is acceptable, so that components can collect every problem and fail once, and tests can call the
 * checks directly.
 */

/** RFC 1123 DNS label: what Kubernetes requires of namespace and Service names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns an error when `value` is not a DNS-1123 label of at most `max` characters. */
export function checkDnsLabel(field: string, value: unknown, max = 63): string | undefined {
    if (typeof value !== "string" || value.length === 0) {
        return `${field} must be a non-empty string (a DNS-1123 label such as "checkout")`;
    }
    if (value.length > max || !DNS_LABEL.test(value)) {
        return (
            `${field} must be a DNS-1123 label of at most ${max} characters: lower-case letters, digits and '-', ` +
            `starting and ending with a letter or digit (got "${value}")`
        );
    }
    return undefined;
}

/** Returns an error when `value` is not an integer within [min, max]. */
export function checkInteger(
    field: string,
    value: unknown,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
): string | undefined {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
        return `${field} must be an integer ${range} (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error when `value` is not one of `allowed`. */
export function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): string | undefined {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
        return `${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")} (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error when `value` is not an HTTP path beginning with '/'. */
export function checkHttpPath(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !value.startsWith("/") || /\s/.test(value)) {
        return `${field} must be an HTTP path starting with '/' and without spaces, such as "/healthz" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Pinned chart version: exact semver, no ranges, so a preview never picks up a new chart by surprise. */
export function checkChartVersion(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(value)) {
        return `${field} must be an exact chart version such as "1.2.3" (ranges are not allowed; got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Collects the messages of failed checks; `undefined` entries are passing checks. */
export function collectErrors(...results: (string | undefined | (string | undefined)[])[]): string[] {
    return results.flat().filter((r): r is string => r !== undefined);
}

/** One error text for a component: its own name, then every problem on its own line. */
export function formatArgErrors(component: string, name: string, errors: string[]): string {
    return `invalid arguments for ${component} "${name}":\n  - ${errors.join("\n  - ")}`;
}

/**
 * Gateway host as Istio's Gateway `servers[].hosts` takes it: `*`, a wildcard `*.example.com` or a host name.
 * An empty string would make the Gateway invalid, so it is refused rather than dropped.
 */
export function checkGatewayHost(field: string, value: unknown): string | undefined {
    const host = /^(\*|(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;
    if (typeof value !== "string" || value.length > 253 || !host.test(value)) {
        return `${field} must be a host name such as "shop.example.com", a wildcard such as "*.example.com", or "*" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/**
 * Returns an error unless `value` is an absolute http(s) URL (https only with `httpsOnly`), with a host and no spaces.
 * With `secret`, the message never repeats the value (a webhook URL is a credential).
 */
export function checkHttpUrl(
    field: string,
    value: unknown,
    opts: { httpsOnly?: boolean; secret?: boolean; example?: string } = {},
): string | undefined {
    const scheme = opts.httpsOnly ? "https" : "http(s)";
    let ok = false;
    if (typeof value === "string" && !/\s/.test(value)) {
        try {
            const url = new URL(value);
            ok = (url.protocol === "https:" || (!opts.httpsOnly && url.protocol === "http:")) && url.hostname !== "";
        } catch {
            ok = false;
        }
    }
    if (ok) return undefined;
    const got = opts.secret ? "the value is not shown: it is secret" : `got ${JSON.stringify(value)}`;
    const example = opts.example ? ` such as "${opts.example}"` : "";
    return `${field} must be an absolute ${scheme} URL${example} (${got})`;
}

/** Levenshtein distance between `a` and `b` (insertions, deletions and substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/**
 * The candidate closest to `needle` ignoring case (as the Pulumi CLI suggests attribute names), or undefined when
 * none is within `maxDistance` (default: a third of the needle's length, at least 2). Ties go to the first in
 * alphabetical order, so the suggestion is stable.
 */
export function closestName(
    needle: string,
    candidates: readonly string[],
    maxDistance = Math.max(2, Math.floor(needle.length / 3)),
): string | undefined {
    let best: string | undefined;
    let bestDistance = maxDistance + 1;
    for (const candidate of [...candidates].sort()) {
        const d = editDistance(needle.toLowerCase(), candidate.toLowerCase());
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    return best;
}
