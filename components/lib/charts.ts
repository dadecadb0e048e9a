/**
 * The Helm charts the platform installs, pinned to exact versions. Renovate-style bumps change only this file, and
 * every chart's repository, name and version stay visible as inputs of its `helm.v4.Chart` resource.
 */
export interface PinnedChart {
    /** Chart repository URL. */
    readonly repo: string;
    /** Chart name within the repository. */
    readonly chart: string;
    /** Exact chart version. */
    readonly version: string;
}

export const CHARTS = {
    istioBase: { repo: "https://istio-release.storage.googleapis.com/charts", chart: "base", version: "1.30.1" },
    istiod: { repo: "https://istio-release.storage.googleapis.com/charts", chart: "istiod", version: "1.30.1" },
    istioGateway: { repo: "https://istio-release.storage.googleapis.com/charts", chart: "gateway", version: "1.30.1" },
    argoRollouts: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-rollouts", version: "2.41.0" },
    trivyOperator: { repo: "https://aquasecurity.github.io/helm-charts", chart: "trivy-operator", version: "0.34.0" },
    falco: { repo: "https://falcosecurity.github.io/charts", chart: "falco", version: "9.0.0" },
} as const satisfies Record<string, PinnedChart>;
