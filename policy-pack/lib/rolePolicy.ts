/**
 * A factory for the resource policies that judge the rules of Roles and ClusterRoles one rule at a time, so each
 * such policy is only its documentation and its check.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { KubeObject } from "./kubernetes";
import {
    Exemption,
    PolicyDoc,
    configCompiler,
    configSchemaWith,
    objectOfArgs,
    policyMetadata,
    reportObject,
} from "./policyKit";
import { DangerousPermission, ROLE_KINDS, Rule, rulesOf } from "./rbac";

/** Config every rule policy gets: its exemptions. */
export interface BaseConfig {
    exemptions?: Exemption[];
}

export interface RulePolicyOptions<Raw extends BaseConfig, C extends BaseConfig> {
    doc: PolicyDoc;
    /** Properties of the config schema besides `exemptions`. */
    schema?: Record<string, PolicyConfigJSONSchema>;
    /** Turns the raw config into what `check` uses; runs once per distinct config. */
    compile?: (raw: Raw) => C;
    /** Which objects to judge; defaults to every Role and ClusterRole. */
    applies?: (obj: KubeObject) => boolean;
    /** For one rule, the problems found, each a sentence naming the field (e.g. `rules[0].verbs[1] is "*"`). */
    check: (rule: Rule, obj: KubeObject, config: C) => RuleFinding[];
}

/** A problem with one rule: its sentence, and what the rule grants that is the problem (matched by exemptions). */
export interface RuleFinding {
    detail: string;
    grants: string[];
}

/** A resource policy over the rules of Roles and ClusterRoles. */
export function rulePolicy<Raw extends BaseConfig, C extends BaseConfig = Raw>(
    options: RulePolicyOptions<Raw, C>,
): ResourceValidationPolicy {
    const compile = configCompiler<Raw, C>(options.compile ?? ((raw: Raw) => raw as unknown as C));
    const applies = options.applies ?? ((obj: KubeObject) => ROLE_KINDS.has(obj.kind ?? ""));
    return {
        ...policyMetadata(options.doc),
        configSchema: configSchemaWith(options.schema),
        validateResource: (args, reportViolation) => {
            const obj = objectOfArgs(args);
            if (!obj || !applies(obj)) return;
            const config = compile(args);
            for (const rule of rulesOf(obj)) {
                for (const { detail, grants } of options.check(rule, obj, config)) {
                    reportObject(reportViolation, options.doc, obj, detail, config.exemptions, undefined, grants);
                }
            }
        },
    };
}

/** The check for a dangerous-permission class: one sentence per rule that grants some of it. */
export function dangerousCheck(danger: DangerousPermission): (rule: Rule) => RuleFinding[] {
    return (rule) => {
        const found = danger.match(rule);
        if (found.length === 0) return [];
        return [{ detail: `rules[${rule.index}] grants ${showList(found)}, which ${danger.risk}.`, grants: found }];
    };
}

/** Shows at most `max` items, then how many more. */
export function showList(items: readonly string[], max = 6): string {
    const shown = items.slice(0, max).join(", ");
    return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
