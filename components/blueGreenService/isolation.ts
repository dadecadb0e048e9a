/**
 * Isolation of the version under test (the preview or canary pods): who may reach it (NetworkPolicies, and for a
 * public preview an AuthorizationPolicy and RequestAuthentication), what it may reach (its egress policy), and the
 * plain-text port its release checks use (PeerAuthentication). Pure; the Rollout waits for all of it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { IAuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import type { IPeerAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { IRequestAuthentication } from "@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication";
import { GATEWAY_POD_LABELS } from "../istioMesh";
import { previewAccessPolicySpec, previewEgressRules, previewJwtSpec } from "../previewIsolation";
import {
    CONTROLLER_POD_LABELS,
    RELEASE_CHECK_LABEL,
    ROLE_LABEL,
    SERVICE_NAMESPACE_LABEL,
    SIDECAR_METRICS_PORT,
} from "./constants";
import type { Manifest } from "./model";
import { appLabels, objectMeta } from "./names";
import type { ReleaseSettings } from "./settings";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type LabelSelector = k8s.types.input.meta.v1.LabelSelector;

/** Role label of the pods under test: `preview` (blue/green) or `canary`. */
function testRole(s: ReleaseSettings): "preview" | "canary" {
    return s.strategy === "blueGreen" ? "preview" : "canary";
}

/**
 * Release checks reach the new version in plain text from outside the mesh (the controller's web metrics, the smoke
 * test Job): its pods accept plain text on the application port, everything else stays STRICT.
 */
export function peerAuthentication(s: ReleaseSettings): Manifest<IPeerAuthentication> {
    return {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: objectMeta(s, `${s.name}-release-checks`),
        spec: {
            selector: { matchLabels: { ...appLabels(s), [ROLE_LABEL]: testRole(s) } },
            mtls: { mode: "STRICT" },
            portLevelMtls: { [String(s.ports[0].containerPort)]: { mode: "PERMISSIVE" } },
        },
    };
}

/** One NetworkPolicy of the release. */
export interface NetworkPolicyPart {
    /** Suffix of the Pulumi resource name and of the object's name (`<service>-<role>`). */
    role: string;
    spec: NetworkPolicySpec;
}

/**
 * The NetworkPolicies: production sources reach the active (stable) pods; the new version under test takes traffic
 * only from the ingress gateway, the release checks and the controller running the web metrics. Last, the egress
 * policy of the version under test.
 */
export function networkPolicies(s: ReleaseSettings): NetworkPolicyPart[] {
    const labels = appLabels(s);
    const network = s.network;
    const nsSelector = (nsName: (typeof network)["gatewayNamespace"]) => ({
        matchLabels: { "kubernetes.io/metadata.name": nsName },
    });
    const fromGateway = {
        namespaceSelector: nsSelector(network.gatewayNamespace),
        podSelector: { matchLabels: { ...GATEWAY_POD_LABELS } },
    };
    const fromController = {
        namespaceSelector: nsSelector(network.controllerNamespace),
        podSelector: { matchLabels: { ...CONTROLLER_POD_LABELS } },
    };
    const fromReleaseChecks = { podSelector: { matchLabels: { [RELEASE_CHECK_LABEL]: s.name } } };
    const prometheusRule = {
        from: [{ namespaceSelector: nsSelector(network.prometheusNamespace) }],
        ports: [{ protocol: "TCP", port: SIDECAR_METRICS_PORT }],
    };
    const productionRule = {
        from: [
            { podSelector: {} },
            { namespaceSelector: { matchLabels: { [SERVICE_NAMESPACE_LABEL]: "true" } } },
            fromGateway,
        ],
    };
    const ingress = (role: string, podSelector: LabelSelector, rules: NetworkPolicySpec["ingress"]) => ({
        role,
        spec: { podSelector, policyTypes: ["Ingress"], ingress: rules },
    });
    const policies: NetworkPolicyPart[] =
        s.strategy === "blueGreen"
            ? [
                  ingress("active", { matchLabels: { ...labels, [ROLE_LABEL]: "active" } }, [
                      productionRule,
                      prometheusRule,
                  ]),
                  // Everything of the app that is not active (the preview, and any pod not yet labelled).
                  ingress(
                      "preview",
                      {
                          matchLabels: labels,
                          matchExpressions: [{ key: ROLE_LABEL, operator: "NotIn", values: ["active"] }],
                      },
                      [{ from: [fromGateway, fromReleaseChecks, fromController] }, prometheusRule],
                  ),
              ]
            : [
                  // Canary pods take a share of production traffic, so both versions admit production sources.
                  ingress("production", { matchLabels: labels }, [productionRule, prometheusRule]),
                  ingress("release-checks", { matchLabels: { ...labels, [ROLE_LABEL]: "canary" } }, [
                      { from: [fromController, fromReleaseChecks] },
                  ]),
              ];

    // Egress of the version under test: the cluster DNS, istiod and the declared dependencies, nothing else. The
    // blue/green selector is the preview policy's, so it also holds the previous version kept for rollback once
    // Argo Rollouts (v1.9) strips its `role` label at promotion; the canary's is the canary pods only.
    const testSelector =
        s.strategy === "blueGreen"
            ? {
                  matchLabels: labels,
                  matchExpressions: [{ key: ROLE_LABEL, operator: "NotIn", values: ["active"] }],
              }
            : { matchLabels: { ...labels, [ROLE_LABEL]: "canary" } };
    policies.push({
        role: `${testRole(s)}-egress`,
        spec: {
            podSelector: testSelector,
            policyTypes: ["Egress"],
            egress: previewEgressRules(s.isolation, network.meshNamespace),
        },
    });
    return policies;
}

/** The objects of a public preview, by role: `preview-jwt` (with a token issuer) and `preview-access`. */
export interface PreviewSecurityParts {
    jwt?: Manifest<IRequestAuthentication>;
    access?: Omit<Manifest<IAuthorizationPolicy>, "spec"> & { spec: ReturnType<typeof previewAccessPolicySpec> };
}

/**
 * A public preview: requests through the gateway with the header must meet every access requirement (a token of
 * the issuer, an address in the ranges). None for an internal preview.
 */
export function previewSecurity(s: ReleaseSettings): PreviewSecurityParts {
    if (s.isolation.exposure !== "public") return {};
    const selector = { ...appLabels(s), [ROLE_LABEL]: testRole(s) };
    const jwt = s.isolation.access.jwt;
    return {
        ...(jwt
            ? {
                  jwt: {
                      apiVersion: "security.istio.io/v1",
                      kind: "RequestAuthentication",
                      metadata: objectMeta(s, `${s.name}-preview-jwt`),
                      spec: previewJwtSpec(jwt, selector),
                  },
              }
            : {}),
        access: {
            apiVersion: "security.istio.io/v1",
            kind: "AuthorizationPolicy",
            metadata: objectMeta(s, `${s.name}-preview-access`),
            spec: previewAccessPolicySpec(s.isolation, selector, s.traffic.previewHeader, s.network.gatewayNamespace),
        },
    };
}
