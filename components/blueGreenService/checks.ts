/**
 * The standalone checks of BlueGreenService's fields: each returns the problems found as messages that start with the
 * field's path (none: valid). Public through `zdp/validation` (components/validation.ts); validation.ts runs them over
 * the whole arguments, and tests call them directly.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkInteger } from "../lib/validation";
import { CANARY_STEP_KEYS } from "./keys";

const DIGEST_REF =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[a-f0-9]{64}$/;
const REPO_REF =
    /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
/** A DNS-1035 label: what a Service (and a port) name must be. */
export const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const CPU = /^(\d+m|\d+(\.\d+)?)$/;
const MEMORY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Returns an error unless `value` is a digest-pinned image reference, `repo[:tag]@sha256:<64 hex>`. */
export function checkImageReference(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || value.length === 0) {
        return `${field} must be a digest-pinned image reference such as "registry.example.com/shop/app@sha256:<64 hex>" (got ${JSON.stringify(value)})`;
    }
    if (DIGEST_REF.test(value)) return undefined;
    if (REPO_REF.test(value)) {
        return `${field} must be pinned by digest (repo@sha256:<64 hex>): a tag can be moved to other content, so the release would not be reproducible (got "${value}")`;
    }
    return `${field} must be a digest-pinned image reference, repo@sha256:<64 lower-case hex> (got "${value}")`;
}

/** Returns an error unless `value` is an image repository with an optional tag and no digest (for builds). */
export function checkBuildImageName(field: string, value: unknown): string | undefined {
    if (typeof value !== "string" || !REPO_REF.test(value)) {
        return `${field} must be an image repository with an optional tag and no digest, such as "registry.example.com/shop/app:ci" (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** Returns an error unless `value` is a DNS-1035 label (what a Service name must be) of at most `max` characters. */
export function checkServiceName(field: string, value: unknown, max = 50): string | undefined {
    if (typeof value !== "string" || value.length === 0 || value.length > max || !DNS_1035.test(value)) {
        return (
            `${field} must be a DNS-1035 label of at most ${max} characters: lower-case letters, digits and '-', ` +
            `starting with a letter and ending with a letter or digit (got ${JSON.stringify(value)})`
        );
    }
    return undefined;
}

/**
 * Checks canary steps: weights are integers from 1 to 100, strictly increasing, the last one 100; pauses are
 * non-negative integers; a step does not both pause and wait; nothing waits after 100%.
 */
export function checkCanarySteps(field: string, steps: unknown): string[] {
    if (!Array.isArray(steps) || steps.length === 0)
        return [`${field} must be a non-empty list of { weight, pauseSeconds? } steps ending at weight 100`];
    const errors: string[] = [];
    let previous = 0;
    steps.forEach((raw, i) => {
        const at = `${field}[${i}]`;
        const step = raw as Record<string, unknown>;
        if (step === null || typeof step !== "object") {
            errors.push(`${at} must be an object { weight, pauseSeconds?, waitForPromotion? }`);
            return;
        }
        errors.push(...unknownKeys(at, step, CANARY_STEP_KEYS));
        const w = step.weight;
        if (typeof w !== "number" || !Number.isInteger(w) || w < 1 || w > 100) {
            errors.push(`${at}.weight must be an integer from 1 to 100 (got ${JSON.stringify(w)})`);
        } else {
            if (w <= previous)
                errors.push(
                    `${at}.weight must be greater than the previous step's ${previous}: weights must strictly increase (got ${w})`,
                );
            previous = w;
        }
        if (step.pauseSeconds !== undefined)
            push(errors, checkInteger(`${at}.pauseSeconds`, step.pauseSeconds, 0, 86400));
        if (step.waitForPromotion !== undefined && typeof step.waitForPromotion !== "boolean") {
            errors.push(`${at}.waitForPromotion must be true or false (got ${JSON.stringify(step.waitForPromotion)})`);
        }
        if (step.waitForPromotion === true && step.pauseSeconds !== undefined) {
            errors.push(
                `${at} sets both pauseSeconds and waitForPromotion: a step either waits a fixed time or for a promotion`,
            );
        }
        const last = i === steps.length - 1;
        if (last && w !== 100)
            errors.push(
                `${at}.weight must be 100: the last step sends all traffic to the new version (got ${JSON.stringify(w)})`,
            );
        if (
            last &&
            (step.waitForPromotion === true || (typeof step.pauseSeconds === "number" && step.pauseSeconds > 0))
        ) {
            errors.push(`${at} must not pause: at 100% the release is complete`);
        }
    });
    return errors;
}

/** Returns an error unless `value` is a CPU ("250m", "1") or memory ("256Mi") quantity. */
export function checkQuantity(field: string, value: unknown, kind: "cpu" | "memory"): string | undefined {
    const re = kind === "cpu" ? CPU : MEMORY;
    if (typeof value !== "string" || !re.test(value)) {
        return `${field} must be a ${kind} quantity such as ${kind === "cpu" ? '"250m" or "1"' : '"256Mi" or "1Gi"'} (got ${JSON.stringify(value)})`;
    }
    return undefined;
}

/** A CPU or memory quantity in base units (cores, bytes), for comparing requests with limits. */
export function quantityValue(value: string): number {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
    if (!m) return NaN;
    const factor: Record<string, number> = {
        m: 1e-3,
        Ki: 1024,
        Mi: 1024 ** 2,
        Gi: 1024 ** 3,
        Ti: 1024 ** 4,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
    };
    return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}

/** Adds `e` to `errors` when there is a problem. */
export function push(errors: string[], e: string | undefined): void {
    if (e !== undefined) errors.push(e);
}

/** A plain object (not a list, not a Pulumi Output): the arguments and their nested fields. */
export function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

/** Errors for keys of `obj` not in `known` (typos would otherwise be ignored silently). */
export function unknownKeys(field: string, obj: Record<string, unknown>, known: readonly string[]): string[] {
    return Object.keys(obj)
        .filter((k) => !known.includes(k))
        .map((k) => `${field}.${k} is not a known field (known: ${known.join(", ")})`);
}
