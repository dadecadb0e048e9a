import { PolicyPack } from "@pulumi/policy";
import { allPolicies, packEnforcementLevel, packName } from "./policies";

// Mandatory unless the stack's policy config (policy-pack/config/<stack>.json) relaxes a named policy.
new PolicyPack(packName, {
    enforcementLevel: packEnforcementLevel,
    policies: allPolicies,
});
