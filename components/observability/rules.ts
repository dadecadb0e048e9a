/**
 * The release rules: recording rules that turn the Argo Rollouts controller's gauges and event counter into release
 * state and delivery figures, Istio error-ratio recordings for the SLO, and the alerts. Plain data (the `spec.groups`
 * of a prometheus-operator `PrometheusRule`, which is also a valid Prometheus rule file), built by pure functions so
 * tests can parse and check every expression without a cluster.
 *
 * Conventions: controller metrics are always read with the controller's scrape job (`job="<controllerJob>"`) so a
 * second scrape of the same controller (e.g. the chart's own ServiceMonitor) never double-counts, and always
 * aggregated `max by (namespace, name)` so several controller replicas (HA) or a pod restart never split a Rollout
 * into several series. Recording rules are named `level:metric:operation`.
 */
import {
    CONTROLLER_METRICS as C,
    EVENT_REASONS as E,
    ISTIO_METRICS as I,
    TRIVY_METRICS as T,
    TRIVY_SEVERITY_LABELS,
} from "./metrics";
import { TRIVY_JOB } from "./scrape";

/** Severities the platform uses: `critical` pages (prod), `warning` notifies (chat/ticket). */
export const SEVERITIES = ["warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
    record: string;
    expr: string;
}

export type Rule = AlertRule | RecordingRule;

export interface RuleGroup {
    name: string;
    interval?: string;
    rules: Rule[];
}

export function isAlert(rule: Rule): rule is AlertRule {
    return "alert" in rule;
}

/** Everything that varies per stack or cluster; see `ReleaseObservabilityArgs` for meanings and defaults. */
export interface ReleaseRuleOptions {
    /** The `job` label of the controller's scrape (set by the controller ServiceMonitor's relabeling). */
    controllerJob: string;
    /** Severity of the alerts that page: `critical` in prod, `warning` in staging. */
    pagingSeverity: Severity;
    /** A Rollout paused longer than this alerts. */
    maxPauseMinutes: number;
    /** Pods beyond `.spec.replicas` (the preview / canary stack, or the old stack kept after promotion) longer than this alert. */
    previewRetentionMinutes: number;
    /** Availability objective of the services' request SLO, e.g. 0.999 (error budget 0.1%). */
    sloTarget: number;
    /** Namespaces of the platform's services (the SLO covers their Istio-reported requests). Empty: every namespace. */
    serviceNamespaces: readonly string[];
    /** Base of the runbook links: each alert links to its page, `<runbookBase>/<alert name in lower case>.md`. */
    runbookBase: string;
    /** Labels added to every alert (e.g. `environment`). */
    extraLabels?: Record<string, string>;
    /** The `job` label of trivy-operator's scrape. Defaults to {@link TRIVY_JOB}, the platform's ServiceMonitor's. */
    vulnerabilityJob?: string;
}

/** Interval of the release-state group; the state rules' look-back windows are derived from it. */
export const STATE_INTERVAL_SECONDS = 60;
/** How long an alert on a newly failed / inconclusive AnalysisRun keeps firing after the run changes phase. */
export const ANALYSIS_ALERT_WINDOW = "30m";

/**
 * A HIGH or CRITICAL finding in a running image alerts once the same image digest has had one for this many days
 * (the seed requirement's 30). Prometheus must keep this many days of data, plus a day, for the alert to see back.
 */
export const VULNERABILITY_MAX_AGE_DAYS = 30;
/** Tolerated gap in trivy-operator's series at the start of the age window (a scrape miss, a report re-created). */
export const VULNERABILITY_LOOKBACK = "1h";

/** Multi-window, multi-burn-rate pairs (Google SRE workbook, "Alerting on SLOs"): [long, short, burn factor]. */
export const FAST_BURN: readonly (readonly [string, string, number])[] = [
    ["1h", "5m", 14.4],
    ["6h", "30m", 6],
];
export const SLOW_BURN: readonly (readonly [string, string, number])[] = [
    ["1d", "2h", 3],
    ["3d", "6h", 1],
];
/** Every window the SLO recording rules compute an error ratio for. */
export const SLO_WINDOWS = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] as const;

/** Names of the recording rules, for the dashboard and tests. */
export const RECORDS = {
    surplusReplicas: "rollout:replicas_surplus:max",
    notUpdatedReplicas: "rollout:replicas_not_updated:max",
    releaseInProgress: "rollout:release_in_progress:max",
    releaseStart: "rollout:release_start:time",
    releaseElapsed: "rollout:release_elapsed:seconds",
    releaseDuration: "rollout:release_duration:seconds",
    timeToRestore: "rollout:time_to_restore:seconds",
    completedPerDay: "rollout:releases_completed:increase1d",
    abortedPerDay: "rollout:releases_aborted:increase1d",
    deploymentsPerDay: "release:deployments:increase1d",
    rolloutChangeFailure: "rollout:change_failure:ratio7d",
    changeFailure: "release:change_failure:ratio7d",
    timeToRestoreMean: "release:time_to_restore:mean7d",
    releaseDurationMean: "release:release_duration:mean7d",
    errorRatio: (window: string) => `service:istio_request_errors:ratio_rate${window}`,
} as const;

/** Labels that identify a service in the SLO recordings (Istio's canonical service is the pods' app name). */
export const SLO_BY = "destination_service_namespace, destination_canonical_service";

/** A float literal without binary noise (14.4 * 0.001 → "0.0144"). */
export function num(x: number): string {
    return String(Number(x.toPrecision(12)));
}

/** `<metric>{job="...", extra}` for a controller metric. */
function ctl(opts: ReleaseRuleOptions, metric: string, matchers = ""): string {
    return `${metric}{job="${opts.controllerJob}"${matchers ? `, ${matchers}` : ""}}`;
}

/** `max by (namespace, name) (...)`: one series per Rollout (or AnalysisRun) whatever the scrape topology. */
function perObject(expr: string, extraBy = ""): string {
    return `max by (namespace, name${extraBy ? `, ${extraBy}` : ""}) (${expr})`;
}

/** Regex alternation of the service namespaces (DNS labels: nothing to escape), or any namespace. */
function namespaceRegex(namespaces: readonly string[]): string {
    return namespaces.length > 0 ? namespaces.join("|") : ".+";
}

function minutes(n: number): string {
    return `${n}m`;
}

/** The recording rules that derive release state from the controller's gauges (evaluated every minute, in order). */
export function releaseStateGroup(opts: ReleaseRuleOptions): RuleGroup {
    const inRelease = perObject(ctl(opts, C.rolloutInfo, 'phase=~"Progressing|Paused"'));
    // A sample of the previous evaluation, and no older: a release that ends and a new one that starts minutes later
    // must not share a start time.
    const previous = `${Math.round(STATE_INTERVAL_SECONDS * 1.5)}s`;
    const lastElapsed = `max by (namespace, name) (last_over_time(${RECORDS.releaseElapsed}[5m]))`;
    return {
        name: "zdp.release.state",
        interval: `${STATE_INTERVAL_SECONDS}s`,
        rules: [
            {
                // Pods beyond .spec.replicas: the preview (blue/green) or canary stack, or the old stack kept after promotion.
                record: RECORDS.surplusReplicas,
                expr:
                    `${perObject(ctl(opts, C.replicasAvailable))} + ${perObject(ctl(opts, C.replicasUnavailable))}` +
                    ` - ${perObject(ctl(opts, C.replicasDesired))}`,
            },
            {
                record: RECORDS.notUpdatedReplicas,
                expr: `${perObject(ctl(opts, C.replicasDesired))} - ${perObject(ctl(opts, C.replicasUpdated))}`,
            },
            {
                // A release: the controller is progressing or paused AND a second revision exists (or the new one is not
                // fully up). Excludes pod restarts and scaling of a stable Rollout, which also read "Progressing".
                record: RECORDS.releaseInProgress,
                expr: `${inRelease} and on (namespace, name) (${RECORDS.surplusReplicas} > 0 or ${RECORDS.notUpdatedReplicas} > 0)`,
            },
            {
                // Sticky start time: kept while the release lasts, set to now when one begins.
                record: RECORDS.releaseStart,
                expr:
                    `(max by (namespace, name) (last_over_time(${RECORDS.releaseStart}[${previous}])) and on (namespace, name) ${RECORDS.releaseInProgress})` +
                    ` or (${RECORDS.releaseInProgress} * 0 + time())`,
            },
            { record: RECORDS.releaseElapsed, expr: `time() - ${RECORDS.releaseStart}` },
            {
                // Written for 5 minutes after a release completes: its last elapsed time (start → stable switched).
                record: RECORDS.releaseDuration,
                expr: `${lastElapsed} and on (namespace, name) ${perObject(ctl(opts, C.rolloutInfo, 'phase="Completed"'))}`,
            },
            {
                // Written for 5 minutes after a release is aborted: start of the bad release → traffic back on stable.
                record: RECORDS.timeToRestore,
                expr: `${lastElapsed} and on (namespace, name) ${perObject(ctl(opts, C.rolloutInfo, 'phase="Abort"'))}`,
            },
        ],
    };
}

/** Delivery figures from the controller's event counter and the state recordings above. */
export function deliveryGroup(opts: ReleaseRuleOptions): RuleGroup {
    const events = (reasonMatcher: string, window: string, by: string) =>
        `sum${by ? ` by (${by})` : ""} (increase(${ctl(opts, C.rolloutEvents, reasonMatcher)}[${window}]))`;
    const completed = `reason="${E.completed}"`;
    const aborted = `reason="${E.aborted}"`;
    const finished = `reason=~"${E.aborted}|${E.completed}"`;
    const mean = (record: string) => `sum(sum_over_time(${record}[7d])) / sum(count_over_time(${record}[7d]))`;
    return {
        name: "zdp.release.delivery",
        interval: "5m",
        rules: [
            { record: RECORDS.completedPerDay, expr: events(completed, "1d", "namespace, name") },
            { record: RECORDS.abortedPerDay, expr: events(aborted, "1d", "namespace, name") },
            { record: RECORDS.deploymentsPerDay, expr: `sum(${RECORDS.completedPerDay})` },
            {
                // Rollouts that finished releases but never aborted get 0, not "no data".
                record: RECORDS.rolloutChangeFailure,
                expr:
                    `(${events(aborted, "7d", "namespace, name")} or ${events(completed, "7d", "namespace, name")} * 0)` +
                    ` / (${events(finished, "7d", "namespace, name")} > 0)`,
            },
            {
                record: RECORDS.changeFailure,
                expr: `(${events(aborted, "7d", "")} or vector(0)) / (${events(finished, "7d", "")} > 0)`,
            },
            // Every abort (completion) writes the same value for ~5 minutes, so sum/count is the mean per release.
            { record: RECORDS.timeToRestoreMean, expr: mean(RECORDS.timeToRestore) },
            { record: RECORDS.releaseDurationMean, expr: mean(RECORDS.releaseDuration) },
        ],
    };
}

/**
 * Services whose requests are release checks, not users: `<svc>-preview` (blue/green) and `<svc>-canary` (the canary
 * health gate calls it directly; users reach canary pods through the VirtualService of `<svc>`).
 */
export const CHECK_SERVICE_REGEX = ".+-(preview|canary)";

/** Error ratio of the services' user traffic per window (requests addressed to the check Services are the gates' business). */
export function sloGroup(opts: ReleaseRuleOptions): RuleGroup {
    const base = `reporter="destination", destination_service_namespace=~"${namespaceRegex(opts.serviceNamespaces)}", destination_service_name!~"${CHECK_SERVICE_REGEX}"`;
    return {
        name: "zdp.release.slo",
        interval: "1m",
        rules: SLO_WINDOWS.map((w) => ({
            record: RECORDS.errorRatio(w),
            expr:
                `sum by (${SLO_BY}) (rate(${I.requests}{${base}, response_code=~"5.."}[${w}]))` +
                ` / sum by (${SLO_BY}) (rate(${I.requests}{${base}}[${w}]))`,
        })),
    };
}

/** One entry of the alert catalogue: what each alert's runbook page (docs/runbooks/) documents. */
interface AlertSpec {
    alert: string;
    expr: string;
    for?: string;
    /** Pages in prod (takes the stack's paging severity); otherwise always `warning`. */
    pages: boolean;
    summary: string;
    description: string;
}

/** The release alerts, in the order docs/observability.md lists them. */
export function alertSpecs(opts: ReleaseRuleOptions): AlertSpec[] {
    const budget = 1 - opts.sloTarget;
    const burn = (pairs: readonly (readonly [string, string, number])[]) =>
        pairs
            .map(
                ([long, short, factor]) =>
                    `(${RECORDS.errorRatio(long)} > ${num(factor * budget)} and ${RECORDS.errorRatio(short)} > ${num(factor * budget)})`,
            )
            .join(" or ");
    const who = "{{ $labels.namespace }}/{{ $labels.name }}";
    const svc = "{{ $labels.destination_service_namespace }}/{{ $labels.destination_canonical_service }}";
    const pct = num(budget * 100);
    // HIGH and CRITICAL findings per workload container, summed (the alert's own `severity` label would clash with
    // trivy's). Images without a digest are left out: two of them cannot be told apart across 30 days.
    const vulnerable = `${T.imageVulnerabilities}{job="${opts.vulnerabilityJob ?? TRIVY_JOB}", severity=~"${TRIVY_SEVERITY_LABELS.high}|${TRIVY_SEVERITY_LABELS.critical}", image_digest!=""}`;
    const workload = "namespace, resource_kind, resource_name, container_name, image_repository, image_digest";
    const analysis = (phases: string) =>
        `${perObject(ctl(opts, C.analysisRunInfo, `phase=~"${phases}"`), "phase")}` +
        ` unless on (namespace, name) ${perObject(`${ctl(opts, C.analysisRunInfo, `phase=~"${phases}"`)} offset ${ANALYSIS_ALERT_WINDOW}`)}`;
    return [
        {
            alert: "ReleaseRolloutAborted",
            expr: perObject(ctl(opts, C.rolloutInfo, 'phase="Abort"')),
            for: "1m",
            pages: true,
            summary: `Release of ${who} was aborted`,
            description:
                `Rollout ${who} is aborted: a gate failed or someone aborted it, and traffic is back on the stable revision. ` +
                "The release stays blocked until the Rollout is retried or a new revision is applied.",
        },
        {
            alert: "ReleaseRolloutDegraded",
            expr: perObject(ctl(opts, C.rolloutInfo, 'phase=~"Error|Timeout|InvalidSpec"'), "phase"),
            for: "5m",
            pages: true,
            summary: `Rollout ${who} is degraded ({{ $labels.phase }})`,
            description:
                `Rollout ${who} has been in phase {{ $labels.phase }} for 5 minutes: the controller cannot create the new ` +
                "ReplicaSet (Error), the release exceeded progressDeadlineSeconds (Timeout) or the spec is invalid (InvalidSpec).",
        },
        {
            alert: "ReleaseAnalysisRunFailed",
            expr: analysis("Failed|Error"),
            pages: false,
            summary: `Release gate {{ $labels.namespace }}/{{ $labels.name }} {{ $labels.phase }}`,
            description:
                "AnalysisRun {{ $labels.namespace }}/{{ $labels.name }} ended {{ $labels.phase }}: a release gate judged the new revision bad " +
                `(Failed) or could not measure it (Error). The owning Rollout aborts on its own; this alert fires for ${ANALYSIS_ALERT_WINDOW} after the run ends.`,
        },
        {
            alert: "ReleaseAnalysisRunInconclusive",
            expr: analysis("Inconclusive"),
            pages: false,
            summary: "Release gate {{ $labels.namespace }}/{{ $labels.name }} is inconclusive",
            description:
                "AnalysisRun {{ $labels.namespace }}/{{ $labels.name }} ended Inconclusive: its measurements were between the success and " +
                "failure conditions. The owning Rollout is paused until someone promotes or aborts it.",
        },
        {
            // Fires for as long as the gate's run stays Inconclusive (the Rollout paused on it), not only 30 minutes,
            // and names the metric: a health score below its threshold, latency beyond its objective, or too few
            // requests for a verdict. Dry-run metrics (the check traffic Job) never pause a release.
            alert: "ReleaseGatePaused",
            expr:
                `${perObject(ctl(opts, C.analysisRunMetricPhase, 'phase="Inconclusive", dry_run="false"'), "metric")}` +
                " == 1",
            pages: false,
            summary:
                "Release gate {{ $labels.namespace }}/{{ $labels.name }} paused the release on {{ $labels.metric }}",
            description:
                "Metric {{ $labels.metric }} of AnalysisRun {{ $labels.namespace }}/{{ $labels.name }} is Inconclusive, so the owning " +
                "Rollout is paused for a person: a health score below its threshold, latency beyond its objective, or too few " +
                "requests for a verdict. Promote or abort the Rollout.",
        },
        {
            alert: "ReleaseRolloutPausedTooLong",
            expr: perObject(ctl(opts, C.rolloutInfo, 'phase="Paused"')),
            for: minutes(opts.maxPauseMinutes),
            pages: false,
            summary: `Rollout ${who} paused for more than ${opts.maxPauseMinutes} minutes`,
            description:
                `Rollout ${who} has been paused for more than ${opts.maxPauseMinutes} minutes (this stack's limit): a manual ` +
                "promotion is pending, a gate was inconclusive, or someone paused it. Promote or abort it.",
        },
        {
            alert: "ReleasePreviewStackRetained",
            expr: `${RECORDS.surplusReplicas} > 0`,
            for: minutes(opts.previewRetentionMinutes),
            pages: false,
            summary: `Rollout ${who} has run a second stack for more than ${opts.previewRetentionMinutes} minutes`,
            description:
                `Rollout ${who} has had {{ $value }} pods beyond .spec.replicas (the preview/green stack, a canary, or the old ` +
                `stack kept after promotion) for more than ${opts.previewRetentionMinutes} minutes, this stack's retention window.`,
        },
        {
            alert: "ReleaseControllerDown",
            expr: `absent(${ctl(opts, C.up)} == 1)`,
            for: "5m",
            pages: true,
            summary: "Argo Rollouts controller is down or not scraped",
            description:
                `No scrape of job ${opts.controllerJob} has succeeded for 5 minutes: releases do not progress, gates do not run, ` +
                "rollbacks do not happen, and every release alert is blind.",
        },
        {
            // Digests are content: the same digest with findings 30 days ago and now is the same unpatched image,
            // whichever workload or redeploy runs it. Needs 30 days of Prometheus retention (its runbook page).
            alert: "RunningImageVulnerableFor30Days",
            expr:
                `sum by (${workload}) (${vulnerable}) > 0` +
                ` and on (image_digest) sum by (image_digest) (max_over_time(${vulnerable}[${VULNERABILITY_LOOKBACK}] offset ${VULNERABILITY_MAX_AGE_DAYS}d)) > 0`,
            pages: false,
            summary: `{{ $labels.namespace }}/{{ $labels.resource_name }} runs an image with HIGH or CRITICAL vulnerabilities for ${VULNERABILITY_MAX_AGE_DAYS} days`,
            description:
                "Container {{ $labels.container_name }} of {{ $labels.resource_kind }} {{ $labels.namespace }}/{{ $labels.resource_name }} runs " +
                "{{ $labels.image_repository }}@{{ $labels.image_digest }}, which has {{ $value }} HIGH or CRITICAL findings now and had " +
                `some ${VULNERABILITY_MAX_AGE_DAYS} days ago: rebuild it on patched packages and release it, or record an exception.`,
        },
        {
            alert: "ReleaseErrorBudgetFastBurn",
            expr: burn(FAST_BURN),
            for: "2m",
            pages: true,
            summary: `${svc} is burning its ${pct}% error budget fast`,
            description:
                `Service ${svc} answers 5xx to {{ $value | humanizePercentage }} of its requests: at this rate the monthly ${pct}% error ` +
                "budget is gone within days (burn rate 14.4 over 1h and 5m, or 6 over 6h and 30m).",
        },
        {
            alert: "ReleaseErrorBudgetSlowBurn",
            expr: burn(SLOW_BURN),
            for: "15m",
            pages: false,
            summary: `${svc} is burning its ${pct}% error budget`,
            description:
                `Service ${svc} answers 5xx to {{ $value | humanizePercentage }} of its requests, enough to exhaust the monthly ${pct}% ` +
                "error budget before the month ends (burn rate 3 over 1d and 2h, or 1 over 3d and 6h).",
        },
    ];
}

/** The runbook page of `alert` under `base` (a URL or path, a trailing slash allowed): `<base>/<alert lower case>.md`. */
export function runbookUrl(base: string, alert: string): string {
    return `${base.replace(/\/+$/, "")}/${alert.toLowerCase()}.md`;
}

export function alertsGroup(opts: ReleaseRuleOptions): RuleGroup {
    return {
        name: "zdp.release.alerts",
        rules: alertSpecs(opts).map((a): AlertRule => ({
            alert: a.alert,
            expr: a.expr,
            ...(a.for ? { for: a.for } : {}),
            labels: { ...(opts.extraLabels ?? {}), severity: a.pages ? opts.pagingSeverity : "warning" },
            annotations: {
                summary: a.summary,
                description: a.description,
                runbook_url: runbookUrl(opts.runbookBase, a.alert),
            },
        })),
    };
}

/** Every rule group, in evaluation-dependency order (state before the figures that read it). */
export function releaseRuleGroups(opts: ReleaseRuleOptions): RuleGroup[] {
    return [releaseStateGroup(opts), deliveryGroup(opts), sloGroup(opts), alertsGroup(opts)];
}
