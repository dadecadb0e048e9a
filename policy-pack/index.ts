import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

// Mandatory unless the stack's policy config (policy-pack/config/<stack>.json) relaxes a named policy.
new PolicyPack("zero-downtime-policies", {
    enforcementLevel: "mandatory",
    policies: allPolicies,
});
