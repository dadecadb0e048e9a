/**
 * Workload identity: pods run as their own ServiceAccount, never `default` (CIS 5.1.5), and API tokens are mounted
 * only into pods whose ServiceAccount needs the Kubernetes API (CIS 5.1.6).
 *
 * Every pod template the pack knows is judged, as the image and credential policies judge them: the pod-bearing
 * kinds, PodTemplates, the Jobs of Argo job metrics (AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun) and
 * the templates of Argo Experiments, in `List` and `*List` objects at any depth too (`POD_SPEC_PATHS` and
 * `flattenObjects` of lib/kubernetes.ts). Messages name the pod spec by its path (`spec.template.spec`,
 * `spec.metrics[0].provider.job.spec.template.spec`, `items[1] (Pod).spec`).
 */
import { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import {
    KubeObject,
    MAX_LIST_DEPTH,
    flattenObjects,
    pathText,
    podSpecsOf,
    serviceAccountNameOf,
} from "../lib/kubernetes";
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

/** One pod spec of a resource, with its path for messages and the namespace its pods run in. */
interface PodSpecFound {
    spec: Record<string, unknown>;
    /** `spec.template.spec`, `items[1] (Pod).spec`. */
    path: string;
    /** The namespace of the pods; undefined for a ClusterAnalysisTemplate, whose Jobs run in each user's namespace. */
    namespace?: string;
}

/** The objects of a resource, lists flattened: pod specs and ServiceAccounts, and lists too deep to expand. */
interface Flattened {
    podSpecs: PodSpecFound[];
    serviceAccounts: { object: KubeObject; label: string }[];
    /** Lists nested more than MAX_LIST_DEPTH deep, by path: nothing below them is judged, so each fails. */
    tooDeep: string[];
}

function flatten(obj: KubeObject): Flattened {
    const out: Flattened = { podSpecs: [], serviceAccounts: [], tooDeep: [] };
    for (const item of flattenObjects(obj, obj.apiVersion, obj.kind)) {
        const label = item.path.length > 0 ? `${pathText(item.path)} (${item.kind ?? "object"}).` : "";
        if (item.tooDeep) {
            out.tooDeep.push(label ? label.slice(0, -1) : "the object");
            continue;
        }
        const object = item.object as KubeObject;
        if (item.kind === "ServiceAccount") out.serviceAccounts.push({ object, label });
        const itemNamespace = object?.metadata?.namespace;
        const namespace =
            item.kind === "ClusterAnalysisTemplate"
                ? undefined
                : typeof itemNamespace === "string" && itemNamespace !== ""
                  ? itemNamespace
                  : namespaceOf(obj);
        for (const at of podSpecsOf(item.object, item.kind)) {
            out.podSpecs.push({ spec: at.spec!, path: `${label}${pathText(at.path)}`, namespace });
        }
    }
    return out;
}

/** Fails every list too deep to expand: its pods cannot be judged (fail closed). */
function reportTooDeep(
    reportViolation: ReportViolation,
    doc: PolicyDoc,
    obj: KubeObject,
    found: Flattened,
    exemptions: readonly Exemption[] | undefined,
): void {
    for (const where of found.tooDeep) {
        const detail =
            `${where} is a list nested more than ${MAX_LIST_DEPTH} lists deep, so its pods' ServiceAccounts cannot ` +
            "be checked. Flatten the list.";
        reportObject(reportViolation, doc, obj, detail, exemptions);
    }
}

export const workloadNoDefaultServiceAccountDoc: PolicyDoc = {
    name: "workload-no-default-service-account",
    description:
        "Every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Rollout, PodTemplate, " +
        "the Jobs of Argo job metrics, Experiment templates, in Lists too) must name its own ServiceAccount: the " +
        "namespace's default ServiceAccount is shared by everything that names none, so any permission granted to " +
        "it leaks to all of them.",
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
        if (!obj) return;
        const found = flatten(obj);
        const { exemptions } = args.getConfig<{ exemptions?: Exemption[] }>();
        reportTooDeep(reportViolation, workloadNoDefaultServiceAccountDoc, obj, found, exemptions);
        // A Rollout with a workloadRef has no template of its own; the referenced Deployment is judged instead.
        for (const pod of found.podSpecs) {
            const sa = serviceAccountNameOf(pod.spec);
            if (sa !== undefined && sa !== "default") continue;
            const path = `${pod.path}.serviceAccountName`;
            const detail =
                sa === undefined
                    ? `${path} is not set, so the pods run as the namespace's "default" ServiceAccount.`
                    : `${path} is "default", the ServiceAccount every unconfigured pod of the namespace shares.`;
            reportObject(reportViolation, workloadNoDefaultServiceAccountDoc, obj, detail, exemptions);
        }
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
        const found = flatten(obj);
        reportTooDeep(reportViolation, serviceAccountTokenAutomountDoc, obj, found, config.exemptions);
        for (const { object, label } of found.serviceAccounts) {
            if (object.automountServiceAccountToken === false) continue;
            if (config.apiAccess.has(`${namespaceOf(object)}/${object.metadata?.name}`)) continue;
            const detail =
                object.automountServiceAccountToken === true
                    ? `${label}automountServiceAccountToken is true, so every pod using it gets an API token.`
                    : `${label}automountServiceAccountToken is not set (it defaults to true), so every pod using it gets an API token.`;
            reportObject(reportViolation, serviceAccountTokenAutomountDoc, obj, detail, config.exemptions);
        }
        for (const pod of found.podSpecs) {
            if (pod.spec.automountServiceAccountToken === false) continue;
            const sa = serviceAccountNameOf(pod.spec) ?? "default";
            if (pod.namespace !== undefined && config.apiAccess.has(`${pod.namespace}/${sa}`)) continue;
            const path = `${pod.path}.automountServiceAccountToken`;
            const state = pod.spec.automountServiceAccountToken === true ? "is true" : "is not set";
            const why =
                pod.namespace === undefined
                    ? "a ClusterAnalysisTemplate's Job runs in the namespace of each analysis, where " +
                      "apiAccessServiceAccounts cannot name its ServiceAccount"
                    : `ServiceAccount "${sa}" is not listed in apiAccessServiceAccounts`;
            reportObject(
                reportViolation,
                serviceAccountTokenAutomountDoc,
                obj,
                `${path} ${state} and ${why}, so the pods get an API token they do not need.`,
                config.exemptions,
            );
        }
    },
};
