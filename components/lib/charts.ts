/**
 * The Helm charts the platform installs, pinned to exact versions. Renovate-style bumps change only this file, and
 * every chart's repository, name and version stay visible as inputs of its `helm.v4.Chart` resource.
 *
 * Versions are reviewed monthly and whenever an add-on publishes a security advisory (Istio's ISTIO-SECURITY-*
 * bulletins, the GitHub advisories of argo-rollouts, trivy-operator and falco): bump here, mirror the new images and
 * refresh their digests in `images.ts`, then run the tests (docs/architecture.md, "Platform add-ons").
 */
export interface PinnedChart {
    /** Chart repository URL. */
    readonly repo: string;
    /** Chart name within the repository. */
    readonly chart: string;
    /** Exact chart version. */
    readonly version: string;
}

/** Istio 1.30.5: 1.30.4 fixed about a dozen Envoy CVEs (ISTIO-SECURITY-2026-006); base, istiod and gateway move together. */
const ISTIO_VERSION = "1.30.5";
const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";

export const CHARTS = {
    istioBase: { repo: ISTIO_REPO, chart: "base", version: ISTIO_VERSION },
    istiod: { repo: ISTIO_REPO, chart: "istiod", version: ISTIO_VERSION },
    istioGateway: { repo: ISTIO_REPO, chart: "gateway", version: ISTIO_VERSION },
    argoRollouts: { repo: "https://argoproj.github.io/argo-helm", chart: "argo-rollouts", version: "2.41.0" },
    trivyOperator: { repo: "https://aquasecurity.github.io/helm-charts", chart: "trivy-operator", version: "0.34.0" },
    falco: { repo: "https://falcosecurity.github.io/charts", chart: "falco", version: "9.0.0" },
} as const satisfies Record<string, PinnedChart>;

/** `oci://host[:port]/path` or `http(s)://host[:port][/path]`, no query, fragment, credentials or spaces. */
const OCI_REPO = /^oci:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?(\/[A-Za-z0-9._~-]+)*\/?$/;

/**
 * Checks a chart repository override: an organisation's mirror as an OCI registry path (`oci://…`) or a classic
 * HTTP(S) chart repository. Returns an error naming `field`, or undefined when the value is acceptable.
 */
export function checkChartRepository(field: string, value: unknown): string | undefined {
    const hint =
        `${field} must be an OCI registry path (oci://registry.example.com/charts) or an HTTP(S) chart repository ` +
        `URL (https://charts.example.com/stable) without credentials, query or spaces (got ${JSON.stringify(value)})`;
    if (typeof value !== "string" || value.length === 0 || /\s/.test(value)) return hint;
    if (value.startsWith("oci://")) return OCI_REPO.test(value) ? undefined : hint;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return hint;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return hint;
    if (url.username || url.password || url.search || url.hash || !url.hostname) return hint;
    return undefined;
}

/**
 * The `chart`/`repositoryOpts` inputs of a `helm.v4.Chart` for `pinned`, from `repository` when given (already
 * checked with {@link checkChartRepository}): an OCI repository names the chart as `oci://…/<chart>` with no
 * repositoryOpts, an HTTP(S) one keeps the chart name and sets `repositoryOpts.repo`.
 */
export function chartSource(
    pinned: PinnedChart,
    repository?: string,
): { chart: string; repositoryOpts?: { repo: string } } {
    const repo = (repository ?? pinned.repo).replace(/\/+$/, "");
    if (repo.startsWith("oci://")) return { chart: `${repo}/${pinned.chart}` };
    return { chart: pinned.chart, repositoryOpts: { repo } };
}
