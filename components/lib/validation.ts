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
