/** CIS 5.1.3: no `*` in the verbs, resources, apiGroups or nonResourceURLs of any rule. */
import { PolicyDoc } from "../lib/policyKit";
import { wildcardFields } from "../lib/rbac";
import { rulePolicy } from "../lib/rolePolicy";

export const rbacNoWildcardsDoc: PolicyDoc = {
    name: "rbac-no-wildcards",
    description:
        "Roles and ClusterRoles must name their verbs, resources, API groups and non-resource URLs: a '*' grants " +
        "every current and future one, including custom resources installed later.",
    enforcementLevel: "mandatory",
    severity: "high",
    cis: "5.1.3",
    control: "Minimize wildcard use in Roles and ClusterRoles",
    remediation:
        "replace each '*' with the explicit verbs, resources, API groups or URLs the subject needs " +
        "(`kubectl api-resources -o wide` lists them), or exempt the object with a justification.",
};

export const rbacNoWildcards = rulePolicy({
    doc: rbacNoWildcardsDoc,
    check: (rule) => {
        const found = wildcardFields(rule);
        if (found.length === 0) return [];
        const fields = found.map((w) => `rules[${rule.index}].${w.field} is ${JSON.stringify(w.value)}`).join(", ");
        // `nonResourceURLs "/healthz/*"`: the field without its index, so an exemption survives reordering.
        const grants = found.map((w) => `${w.field.replace(/\[\d+\]$/, "")} ${JSON.stringify(w.value)}`);
        return [{ detail: `${fields}, which grants every current and future match.`, grants }];
    },
});
