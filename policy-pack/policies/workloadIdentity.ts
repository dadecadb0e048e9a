/**
 * Workload identity: pods run as their own ServiceAccount, never `default` (CIS 5.1.5), and API tokens are mounted
 * only into pods whose ServiceAccount needs the Kubernetes API (CIS 5.1.6).
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { POD_BEARING_KINDS, podSpecOf, podSpecPath, serviceAccountNameOf } from "../lib/kubernetes";
import {
    Exemption,
    PolicyDoc,
    configCompiler,
    configSchemaWith,
    objectOfArgs,
    policyMetadata,
    reportObject,
} from "../lib/policyKit";
import { namespaceOf } from "../lib/rbac";

export const workloadNoDefaultServiceAccountDoc: PolicyDoc = {
    name: "workload-no-default-service-account",
    description:
        "Every pod-bearing object (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Rollout...) " +
        "must name its own ServiceAccount: the namespace's default ServiceAccount is shared by everything that names " +
        "none, so any permission granted to it leaks to all of them.",
    enforcementLevel: "mandatory",
    severity: "medium",
    cis: "5.1.5",
    control: "Ensure that default service accounts are not actively used",
    remediation:
        "create a ServiceAccount for the workload (with automountServiceAccountToken: false) and set " +
        "serviceAccountName in the pod spec.",
};

export const workloadNoDefaultServiceAccount: ResourceValidationPolicy = {
    ...policyMetadata(workloadNoDefaultServiceAccountDoc),
    configSchema: configSchemaWith(),
    validateResource: (args, reportViolation) => {
        const obj = objectOfArgs(args);
        if (!obj || !POD_BEARING_KINDS.has(obj.kind ?? "")) return;
        const podSpec = podSpecOf(obj);
        // A Rollout with a workloadRef has no template of its own; the referenced Deployment is judged instead.
        if (!podSpec) return;
        const sa = serviceAccountNameOf(podSpec);
        if (sa !== undefined && sa !== "default") return;
        const path = `${podSpecPath(obj.kind)}.serviceAccountName`;
        const detail =
            sa === undefined
                ? `${path} is not set, so the pods run as the namespace's "default" ServiceAccount.`
                : `${path} is "default", the ServiceAccount every unconfigured pod of the namespace shares.`;
        const { exemptions } = args.getConfig<{ exemptions?: Exemption[] }>();
        reportObject(reportViolation, workloadNoDefaultServiceAccountDoc, obj, detail, exemptions);
    },
};

export const serviceAccountTokenAutomountDoc: PolicyDoc = {
    name: "service-account-token-automount",
    description:
        "ServiceAccounts must set automountServiceAccountToken: false, and so must every pod spec, unless its " +
        "ServiceAccount is listed in apiAccessServiceAccounts as one that calls the Kubernetes API: a mounted token " +
        "is a credential any compromised container can use.",
    enforcementLevel: "mandatory",
    severity: "medium",
    cis: "5.1.6",
    control: "Ensure that Service Account Tokens are only mounted where necessary",
    remediation:
        "set automountServiceAccountToken: false on the ServiceAccount and in the pod spec; if the workload calls " +
        "the Kubernetes API, list its ServiceAccount (namespace/name) in apiAccessServiceAccounts instead.",
};

interface AutomountConfig {
    exemptions?: Exemption[];
    apiAccessServiceAccounts?: string[];
}

const automountConfig = configCompiler<AutomountConfig, { exemptions?: Exemption[]; apiAccess: Set<string> }>(
    (raw) => ({
        exemptions: raw.exemptions,
        apiAccess: new Set(raw.apiAccessServiceAccounts ?? []),
    }),
);

export const serviceAccountTokenAutomount: ResourceValidationPolicy = {
    ...policyMetadata(serviceAccountTokenAutomountDoc),
    configSchema: configSchemaWith({
        apiAccessServiceAccounts: {
            type: "array",
            description:
                "ServiceAccounts (namespace/name) whose pods call the Kubernetes API and so may mount a token.",
            default: [],
            items: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$" },
        },
    }),
    validateResource: (args, reportViolation) => {
        const obj = objectOfArgs(args);
        if (!obj) return;
        const config = automountConfig(args);
        if (obj.kind === "ServiceAccount") {
            if (obj.automountServiceAccountToken === false) return;
            if (config.apiAccess.has(`${namespaceOf(obj)}/${obj.metadata?.name}`)) return;
            const detail =
                obj.automountServiceAccountToken === true
                    ? "automountServiceAccountToken is true, so every pod using it gets an API token."
                    : "automountServiceAccountToken is not set (it defaults to true), so every pod using it gets an API token.";
            reportObject(reportViolation, serviceAccountTokenAutomountDoc, obj, detail, config.exemptions);
            return;
        }
        if (!POD_BEARING_KINDS.has(obj.kind ?? "")) return;
        const podSpec = podSpecOf(obj);
        if (!podSpec || podSpec.automountServiceAccountToken === false) return;
        const sa = serviceAccountNameOf(podSpec) ?? "default";
        if (config.apiAccess.has(`${namespaceOf(obj)}/${sa}`)) return;
        const path = `${podSpecPath(obj.kind)}.automountServiceAccountToken`;
        const state = podSpec.automountServiceAccountToken === true ? "is true" : "is not set";
        reportObject(
            reportViolation,
            serviceAccountTokenAutomountDoc,
            obj,
            `${path} ${state} and ServiceAccount "${sa}" is not listed in apiAccessServiceAccounts, so the pods get ` +
                `an API token they do not need.`,
            config.exemptions,
        );
    },
};
