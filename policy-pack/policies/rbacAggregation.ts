/**
 * Aggregated ClusterRoles. A ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-{admin,edit,view}: "true"`
 * adds its rules to the built-in role of that name, i.e. to every subject bound to admin, edit or view anywhere;
 * a ClusterRole with an `aggregationRule` is the union of the ClusterRoles it selects. Neither may carry any of the
 * dangerous permissions of CIS 5.1 (wildcards, Secrets read, pod creation, escalation verbs, PV creation,
 * nodes/proxy, CSR approval, webhook configuration, token creation, namespace updates).
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { KubeObject, describeObject } from "../lib/kubernetes";
import { Exemption, PolicyDoc, configCompiler, configSchemaWith, policyMetadata, reportObject } from "../lib/policyKit";
import { AGGREGATE_LABEL, ALL_DANGEROUS, Rule, aggregationSelectorsOf, rulesOf, selectorMatches } from "../lib/rbac";
import { rulePolicy, showList } from "../lib/rolePolicy";
import { guardUnknown, indexStack, reportUnknownResources } from "../lib/stack";

/** Every dangerous grant of a rule, as `what (class)` strings. */
export function dangerousGrants(rule: Rule): string[] {
    const out: string[] = [];
    for (const d of ALL_DANGEROUS) for (const m of d.match(rule)) out.push(`${m} (${d.id})`);
    return out;
}

/** The aggregation labels set to "true" on an object, e.g. `rbac.authorization.k8s.io/aggregate-to-edit`. */
export function aggregationLabels(obj: KubeObject): string[] {
    const labels = obj.metadata?.labels;
    if (!labels || typeof labels !== "object") return [];
    return Object.keys(labels).filter((k) => AGGREGATE_LABEL.test(k) && labels[k] === "true");
}

export const rbacNoDangerousAggregationDoc: PolicyDoc = {
    name: "rbac-no-dangerous-aggregation",
    description:
        "A ClusterRole labelled aggregate-to-admin, aggregate-to-edit or aggregate-to-view must not carry any " +
        "dangerous permission (wildcards, Secrets read, pod creation or exec, escalate/bind/impersonate, PV creation, " +
        "nodes/proxy, CSR approval, webhook configuration, token creation, namespace updates): the label hands its " +
        "rules to every subject bound to that built-in role, in every namespace.",
    enforcementLevel: "mandatory",
    severity: "critical",
    cis: "5.1.3",
    control: "Minimize wildcard use in Roles and ClusterRoles (and the other 5.1 controls, through aggregation)",
    remediation:
        "remove the dangerous rules from the aggregated ClusterRole (put them in a separate ClusterRole bound only " +
        "to the subjects that need them), or remove the aggregate-to-* label.",
};

export const rbacNoDangerousAggregation = rulePolicy({
    doc: rbacNoDangerousAggregationDoc,
    applies: (obj) => obj.kind === "ClusterRole" && aggregationLabels(obj).length > 0,
    check: (rule, obj) => {
        const found = dangerousGrants(rule);
        if (found.length === 0) return [];
        const labels = aggregationLabels(obj)
            .map((l) => `metadata.labels["${l}"]`)
            .join(" and ");
        return [
            {
                detail: `rules[${rule.index}] grants ${showList(found)}, and ${labels} aggregates it into the built-in role.`,
                grants: found,
            },
        ];
    },
});

export const rbacAggregationRuleLeastPrivilegeDoc: PolicyDoc = {
    name: "rbac-aggregation-rule-least-privilege",
    description:
        "A ClusterRole with an aggregationRule must not select (among the ClusterRoles of the stack) any ClusterRole " +
        "that carries a dangerous permission: the aggregated role grants the union of what it selects.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.3",
    control: "Minimize wildcard use in Roles and ClusterRoles (and the other 5.1 controls, through aggregation)",
    remediation:
        "narrow aggregationRule.clusterRoleSelectors so that they do not select the dangerous ClusterRole, or remove " +
        "the dangerous rules from the selected ClusterRole.",
};

const aggregationConfig = configCompiler<{ exemptions?: Exemption[] }, { exemptions?: Exemption[] }>((raw) => raw);

export const rbacAggregationRuleLeastPrivilege: StackValidationPolicy = {
    ...policyMetadata(rbacAggregationRuleLeastPrivilegeDoc),
    configSchema: configSchemaWith(),
    validateStack: (args, reportViolation) => {
        const { exemptions } = aggregationConfig(args);
        const index = indexStack(args.resources);
        reportUnknownResources(reportViolation, index, rbacAggregationRuleLeastPrivilegeDoc.name);
        for (const aggregator of index.clusterRoles.values()) {
            guardUnknown(reportViolation, aggregator, () => {
                const selectors = aggregationSelectorsOf(aggregator.obj);
                if (!selectors) return;
                selectors.forEach((selector, j) => {
                    for (const selected of index.clusterRoles.values()) {
                        if (selected === aggregator) continue;
                        if (!selectorMatches(selector, selected.obj.metadata?.labels)) continue;
                        for (const rule of rulesOf(selected.obj)) {
                            const found = dangerousGrants(rule);
                            if (found.length === 0) continue;
                            reportObject(
                                reportViolation,
                                rbacAggregationRuleLeastPrivilegeDoc,
                                aggregator.obj,
                                `aggregationRule.clusterRoleSelectors[${j}] selects ${describeObject(selected.obj)}, ` +
                                    `whose rules[${rule.index}] grants ${showList(found)}.`,
                                exemptions,
                                aggregator.urn,
                            );
                        }
                    }
                });
            });
        }
    },
};
