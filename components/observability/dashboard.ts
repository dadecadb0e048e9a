/**
 * The "Releases" Grafana dashboard, as a JSON model built in code (so its queries use the same metric and recording
 * rule names as the rules, and tests can parse every query). Per service (template variables `namespace` and
 * `service`, the Rollout's name): the release timeline (phase, stable vs new revision, active vs preview traffic),
 * the gates' results, error ratio and latency during the release window (release windows are shaded by an
 * annotation), and the delivery figures.
 *
 * Assumes, as the platform's BlueGreenService does, that a service's Rollout, its active Service and its pods' app
 * name are all the service's name, and the preview Service is `<service>-preview`.
 */
import { CONTROLLER_METRICS as C, EVENT_REASONS as E, ISTIO_METRICS as I, TRIVY_METRICS as T } from "./metrics";
import { num, RECORDS, VULNERABILITY_MAX_AGE_DAYS } from "./rules";
import { TRIVY_JOB } from "./scrape";

export interface DashboardOptions {
    /** Grafana uid of the dashboard. */
    uid: string;
    title: string;
    /** The `job` label of the controller's scrape. */
    controllerJob: string;
    /** Availability objective (for burn-rate panels). */
    sloTarget: number;
    /** The `job` label of trivy-operator's scrape. Defaults to {@link TRIVY_JOB}. */
    vulnerabilityJob?: string;
}

/** Grafana template variables the queries use (besides Grafana's own `$__rate_interval` and `$__range`). */
export const DASHBOARD_VARIABLES = ["datasource", "namespace", "service"] as const;

const DS = { type: "prometheus", uid: "${datasource}" } as const;

interface Target {
    expr: string;
    legendFormat?: string;
    instant?: boolean;
    format?: string;
}

interface PanelSpec {
    title: string;
    type: "timeseries" | "state-timeline" | "stat" | "table";
    description: string;
    w: number;
    h: number;
    unit?: string;
    targets: Target[];
}

/** AnalysisRuns of a Rollout are named `<rollout>-<pod-template-hash>-<revision>[-<step or pre/post>]`. */
export const ANALYSIS_RUN_NAME_REGEX = "$service-[a-z0-9]+-[0-9]+(-.+)?";

export function releaseDashboard(opts: DashboardOptions): Record<string, unknown> {
    const job = `job="${opts.controllerJob}"`;
    const rollout = `${job}, namespace="$namespace", name="$service"`;
    const runs = `${job}, namespace="$namespace", name=~"${ANALYSIS_RUN_NAME_REGEX}"`;
    const own = `namespace="$namespace", name="$service"`;
    // Through the Services: active `<service>` vs `<service>-preview` (blue/green) or `<service>-canary` (canary checks).
    const traffic = `reporter="destination", destination_service_namespace="$namespace", destination_service_name=~"$service|$service-preview|$service-canary"`;
    // By pod revision (BlueGreenService labels pods service.istio.io/canonical-revision): stable vs new, any strategy.
    const revisions = `reporter="destination", destination_service_namespace="$namespace", destination_canonical_service="$service"`;
    const rate = (matchers: string) => `rate(${I.requests}{${matchers}}[$__rate_interval])`;
    const budget = num(1 - opts.sloTarget);
    const slo = `destination_service_namespace="$namespace", destination_canonical_service="$service"`;
    // trivy-operator reports a Rollout's pods under their ReplicaSets, `<service>-<pod-template-hash>`.
    const highOrCritical = `job="${opts.vulnerabilityJob ?? TRIVY_JOB}", severity=~"High|Critical"`;
    const serviceImages = `${highOrCritical}, namespace="$namespace", resource_kind="ReplicaSet", resource_name=~"$service-[a-z0-9]+"`;

    const rows: { title: string; panels: PanelSpec[] }[] = [
        {
            title: "Release timeline",
            panels: [
                {
                    title: "Rollout phase",
                    type: "state-timeline",
                    description:
                        "Phase the Argo Rollouts controller reports (Progressing, Paused, Completed, Abort, Error, Timeout).",
                    w: 12,
                    h: 6,
                    targets: [{ expr: `max by (phase) (${C.rolloutInfo}{${rollout}})`, legendFormat: "{{phase}}" }],
                },
                {
                    title: "Stable vs new revision (pods)",
                    type: "timeseries",
                    description:
                        "Desired pods, pods of the newest revision, and pods beyond the desired count (the preview/green stack or the canary).",
                    w: 12,
                    h: 6,
                    targets: [
                        { expr: `max(${C.replicasDesired}{${rollout}})`, legendFormat: "desired" },
                        { expr: `max(${C.replicasUpdated}{${rollout}})`, legendFormat: "new revision" },
                        { expr: `max(${C.replicasAvailable}{${rollout}})`, legendFormat: "available (all revisions)" },
                        { expr: `${RECORDS.surplusReplicas}{${own}}`, legendFormat: "second stack (preview / canary)" },
                    ],
                },
                {
                    title: "Traffic: active vs preview Service",
                    type: "timeseries",
                    description:
                        "Requests per second received through the active Service and the preview (or canary) Service.",
                    w: 8,
                    h: 7,
                    unit: "reqps",
                    targets: [
                        {
                            expr: `sum by (destination_service_name) (${rate(traffic)})`,
                            legendFormat: "{{destination_service_name}}",
                        },
                    ],
                },
                {
                    title: "Traffic by revision",
                    type: "timeseries",
                    description:
                        "Requests per second received by the pods of each revision: the stable one and the new one.",
                    w: 8,
                    h: 7,
                    unit: "reqps",
                    targets: [
                        {
                            expr: `sum by (destination_canonical_revision) (${rate(revisions)})`,
                            legendFormat: "revision {{destination_canonical_revision}}",
                        },
                    ],
                },
                {
                    title: "Current release running for",
                    type: "stat",
                    description: "Time since the release in progress started (empty when none is).",
                    w: 8,
                    h: 7,
                    unit: "s",
                    targets: [{ expr: `${RECORDS.releaseElapsed}{${own}}`, instant: true }],
                },
            ],
        },
        {
            title: "Gates",
            panels: [
                {
                    title: "AnalysisRuns",
                    type: "state-timeline",
                    description: "Each gate run of this service and its phase over time.",
                    w: 12,
                    h: 8,
                    targets: [
                        {
                            expr: `max by (name, phase) (${C.analysisRunInfo}{${runs}})`,
                            legendFormat: "{{name}}: {{phase}}",
                        },
                    ],
                },
                {
                    title: "Gate metrics (latest)",
                    type: "table",
                    description: "Result of every metric of every gate run still kept by the controller.",
                    w: 12,
                    h: 8,
                    targets: [
                        {
                            expr: `max by (name, metric, type, phase) (${C.analysisRunMetricPhase}{${runs}} == 1)`,
                            instant: true,
                            format: "table",
                        },
                    ],
                },
            ],
        },
        {
            title: "Errors and latency during the release",
            panels: [
                {
                    title: "5xx ratio: active vs preview, per revision",
                    type: "timeseries",
                    description: "Share of requests answered 5xx, as the sidecars of the receiving pods report it.",
                    w: 8,
                    h: 8,
                    unit: "percentunit",
                    targets: [
                        {
                            expr:
                                `sum by (destination_service_name) (${rate(`${traffic}, response_code=~"5.."`)})` +
                                ` / sum by (destination_service_name) (${rate(traffic)})`,
                            legendFormat: "{{destination_service_name}}",
                        },
                        {
                            expr:
                                `sum by (destination_canonical_revision) (${rate(`${revisions}, response_code=~"5.."`)})` +
                                ` / sum by (destination_canonical_revision) (${rate(revisions)})`,
                            legendFormat: "revision {{destination_canonical_revision}}",
                        },
                    ],
                },
                {
                    title: "Latency: active vs preview, per revision",
                    type: "timeseries",
                    description: "Request duration quantiles from Istio's histogram.",
                    w: 8,
                    h: 8,
                    unit: "ms",
                    targets: [
                        ...[0.5, 0.99].map((q) => ({
                            expr:
                                `histogram_quantile(${q}, sum by (destination_service_name, le) ` +
                                `(rate(${I.requestDurationBucket}{${traffic}}[$__rate_interval])))`,
                            legendFormat: `p${q * 100} {{destination_service_name}}`,
                        })),
                        {
                            expr:
                                `histogram_quantile(0.99, sum by (destination_canonical_revision, le) ` +
                                `(rate(${I.requestDurationBucket}{${revisions}}[$__rate_interval])))`,
                            legendFormat: "p99 revision {{destination_canonical_revision}}",
                        },
                    ],
                },
                {
                    title: "Error budget burn rate",
                    type: "timeseries",
                    description: `Error ratio of user traffic divided by the error budget (${num((1 - opts.sloTarget) * 100)}%): 1 spends the budget in exactly 30 days; the fast-burn alert fires at 14.4.`,
                    w: 8,
                    h: 8,
                    targets: ["5m", "1h", "6h"].map((w) => ({
                        expr: `${RECORDS.errorRatio(w)}{${slo}} / ${budget}`,
                        legendFormat: `burn rate ${w}`,
                    })),
                },
            ],
        },
        {
            title: "Vulnerabilities in running workloads",
            panels: [
                {
                    title: "HIGH and CRITICAL findings ($service)",
                    type: "timeseries",
                    description:
                        "trivy-operator's findings in the images the service's pods run, per severity and image digest; a line that stays " +
                        `for ${VULNERABILITY_MAX_AGE_DAYS} days raises RunningImageVulnerableFor30Days.`,
                    w: 10,
                    h: 8,
                    targets: [
                        {
                            expr: `sum by (severity, image_digest) (${T.imageVulnerabilities}{${serviceImages}})`,
                            legendFormat: "{{severity}} {{image_digest}}",
                        },
                    ],
                },
                {
                    title: "Workloads with HIGH or CRITICAL findings ($namespace)",
                    type: "table",
                    description:
                        "Every scanned workload container of the namespace whose image has HIGH or CRITICAL findings now, with the count.",
                    w: 14,
                    h: 8,
                    targets: [
                        {
                            expr:
                                "sum by (namespace, resource_kind, resource_name, container_name, image_repository, image_digest, severity) " +
                                `(${T.imageVulnerabilities}{${highOrCritical}, namespace="$namespace"}) > 0`,
                            instant: true,
                            format: "table",
                        },
                    ],
                },
            ],
        },
        {
            title: "Delivery figures",
            panels: [
                {
                    title: "Deployments per day (platform)",
                    type: "stat",
                    description: "Releases completed in the last 24 hours, every service.",
                    w: 4,
                    h: 5,
                    targets: [{ expr: RECORDS.deploymentsPerDay, instant: true }],
                },
                {
                    title: "Deployments per day ($service)",
                    type: "stat",
                    description: "Releases of this service completed in the last 24 hours.",
                    w: 4,
                    h: 5,
                    targets: [{ expr: `${RECORDS.completedPerDay}{${own}}`, instant: true }],
                },
                {
                    title: "Change failure rate (7d)",
                    type: "stat",
                    description:
                        "Aborted releases / finished (aborted + completed) releases over 7 days: platform and this service.",
                    w: 6,
                    h: 5,
                    unit: "percentunit",
                    targets: [
                        { expr: RECORDS.changeFailure, instant: true, legendFormat: "platform" },
                        { expr: `${RECORDS.rolloutChangeFailure}{${own}}`, instant: true, legendFormat: "$service" },
                    ],
                },
                {
                    title: "Mean time to restore (7d)",
                    type: "stat",
                    description:
                        "Mean time from the start of a release that was aborted to its abort (traffic back on the stable revision).",
                    w: 5,
                    h: 5,
                    unit: "s",
                    targets: [{ expr: RECORDS.timeToRestoreMean, instant: true }],
                },
                {
                    title: "Mean release duration (7d)",
                    type: "stat",
                    description: "Mean time from the start of a release to its completion.",
                    w: 5,
                    h: 5,
                    unit: "s",
                    targets: [{ expr: RECORDS.releaseDurationMean, instant: true }],
                },
                {
                    title: "Releases of $service in the last 24 hours",
                    type: "timeseries",
                    description: "Completed and aborted releases, trailing 24 hours.",
                    w: 24,
                    h: 7,
                    targets: [
                        { expr: `${RECORDS.completedPerDay}{${own}}`, legendFormat: "completed" },
                        { expr: `${RECORDS.abortedPerDay}{${own}}`, legendFormat: "aborted" },
                    ],
                },
            ],
        },
    ];

    const panels: Record<string, unknown>[] = [];
    let id = 1;
    let y = 0;
    for (const row of rows) {
        panels.push({
            id: id++,
            type: "row",
            title: row.title,
            collapsed: false,
            gridPos: { x: 0, y, w: 24, h: 1 },
            panels: [],
        });
        y += 1;
        let x = 0;
        let rowHeight = 0;
        for (const p of row.panels) {
            if (x + p.w > 24) {
                y += rowHeight;
                x = 0;
                rowHeight = 0;
            }
            panels.push({
                id: id++,
                type: p.type,
                title: p.title,
                description: p.description,
                datasource: DS,
                gridPos: { x, y, w: p.w, h: p.h },
                fieldConfig: { defaults: p.unit ? { unit: p.unit } : {}, overrides: [] },
                options: {},
                targets: p.targets.map((t, i) => ({
                    refId: String.fromCharCode(65 + i),
                    datasource: DS,
                    expr: t.expr,
                    ...(t.legendFormat ? { legendFormat: t.legendFormat } : {}),
                    ...(t.instant ? { instant: true, range: false } : { range: true }),
                    ...(t.format ? { format: t.format } : {}),
                })),
            });
            x += p.w;
            rowHeight = Math.max(rowHeight, p.h);
        }
        y += rowHeight;
    }

    const variable = (name: string, label: string, query: string) => ({
        name,
        label,
        type: "query",
        datasource: DS,
        definition: query,
        query: { query, refId: `${name}-query` },
        refresh: 2,
        sort: 1,
        includeAll: false,
        multi: false,
    });

    return {
        uid: opts.uid,
        title: opts.title,
        description:
            "Releases managed by Argo Rollouts on the zero-downtime delivery platform: timeline, gates, errors and latency, delivery figures.",
        tags: ["zdp", "releases", "argo-rollouts", "istio"],
        editable: true,
        schemaVersion: 39,
        version: 1,
        refresh: "1m",
        time: { from: "now-24h", to: "now" },
        timezone: "browser",
        templating: {
            list: [
                { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", refresh: 1 },
                variable("namespace", "Namespace", `label_values(${C.rolloutInfo}{${job}}, namespace)`),
                variable("service", "Service", `label_values(${C.rolloutInfo}{${job}, namespace="$namespace"}, name)`),
            ],
        },
        annotations: {
            list: [
                {
                    name: "Release window",
                    datasource: DS,
                    enable: true,
                    iconColor: "rgba(255, 152, 48, 0.4)",
                    expr: `${RECORDS.releaseInProgress}{${own}}`,
                    step: "1m",
                    titleFormat: "release in progress",
                },
                {
                    name: "Release events",
                    datasource: DS,
                    enable: true,
                    iconColor: "red",
                    expr:
                        `sum by (reason) (increase(${C.rolloutEvents}{${rollout}, ` +
                        `reason=~"${E.completed}|${E.aborted}|${E.switchService}|${E.analysisRunFailed}"}[2m])) > 0`,
                    step: "1m",
                    titleFormat: "{{reason}}",
                },
            ],
        },
        panels,
    };
}
