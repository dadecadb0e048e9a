/**
 * PromQL checks for the release rules and dashboard, on the parse tree of Prometheus' own Lezer grammar
 * (`@prometheus-io/lezer-promql`, the grammar of Prometheus' web UI):
 *
 * - {@link syntaxErrors}: the error nodes of the tree (an expression that does not parse has at least one);
 * - {@link selectorsOf}: every vector selector with its metric name (from the `Identifier`, a quoted name in braces, or
 *   an `__name__="..."` matcher) and its label matchers, read from the tree, never by regex on the text;
 * - {@link checkExpression}: both, against the fixture list of allowed metrics and their labels.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";

/** A node of the parse tree (the grammar's own type, without importing @lezer/common directly). */
type SyntaxNode = ReturnType<typeof parser.parse>["topNode"];

export interface FixtureMetric {
    name: string;
    source: "controller" | "istio" | "trivy-operator";
    type: string;
    labels: string[];
    /** Values the `severity` label takes (trivy-operator only). */
    severityValues?: string[];
    doc: string;
}

export interface MetricFixture {
    targetLabels: { labels: string[]; doc: string };
    metrics: FixtureMetric[];
}

export const FIXTURE_PATH = path.join(__dirname, "fixtures", "metrics.json");

export function loadFixture(): MetricFixture {
    return JSON.parse(fs.readFileSync(FIXTURE_PATH, "utf8")) as MetricFixture;
}

/** One `metric{matchers}` of an expression. */
export interface Selector {
    /** The metric name, or undefined when the selector names none (or only by regex). */
    metric?: string;
    /** Label names of the matchers, `__name__` excluded. */
    labels: string[];
    /** The matchers themselves, `__name__` excluded: label, operator (`=`, `!=`, `=~`, `!~`) and unquoted value. */
    matchers: { label: string; op: string; value: string }[];
    /** The selector's text, for messages. */
    text: string;
}

/** Texts of the error nodes of `expr`'s parse tree (empty when it parses). */
export function syntaxErrors(expr: string): string[] {
    const errors: string[] = [];
    parser.parse(expr).iterate({
        enter: (n) => {
            if (n.type.isError)
                errors.push(`at ${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
        },
    });
    if (expr.trim().length === 0) errors.push("empty expression");
    return errors;
}

/** The text of a StringLiteral node, unquoted (PromQL strings here never need escapes). */
function literal(expr: string, node: SyntaxNode | null): string | undefined {
    if (!node) return undefined;
    return expr.slice(node.from + 1, node.to - 1);
}

/** Every vector selector of `expr`, from the parse tree. */
export function selectorsOf(expr: string): Selector[] {
    const out: Selector[] = [];
    parser.parse(expr).iterate({
        enter: (n) => {
            if (n.name !== "VectorSelector") return;
            const node = n.node;
            const sel: Selector = { labels: [], matchers: [], text: expr.slice(n.from, n.to) };
            const id = node.getChild("Identifier");
            if (id) sel.metric = expr.slice(id.from, id.to);
            const matchers = node.getChild("LabelMatchers");
            if (matchers) {
                for (let c = matchers.firstChild; c; c = c.nextSibling) {
                    if (c.name === "QuotedLabelName") {
                        // {"metric.name", ...}: the metric name in braces.
                        sel.metric = literal(expr, c.getChild("StringLiteral"));
                    } else if (c.name === "UnquotedLabelMatcher" || c.name === "QuotedLabelMatcher") {
                        const nameNode = c.getChild("LabelName") ?? c.getChild("QuotedLabelName");
                        const label =
                            nameNode?.name === "QuotedLabelName"
                                ? literal(expr, nameNode.getChild("StringLiteral"))
                                : nameNode && expr.slice(nameNode.from, nameNode.to);
                        const opNode = c.getChild("MatchOp");
                        const op = opNode?.firstChild?.name;
                        const value = literal(expr, c.getChild("StringLiteral"));
                        if (label === "__name__") {
                            // Only an exact name can be checked; a regex could match anything.
                            if (op === "EqlSingle") sel.metric = value;
                        } else if (label) {
                            sel.labels.push(label);
                            sel.matchers.push({
                                label,
                                op: opNode ? expr.slice(opNode.from, opNode.to) : "?",
                                value: value ?? "",
                            });
                        }
                    }
                }
            }
            out.push(sel);
        },
    });
    return out;
}

/** The number literals of an expression (thresholds), from the parse tree. */
export function numbersOf(expr: string): number[] {
    const out: number[] = [];
    parser.parse(expr).iterate({
        enter: (n) => {
            if (n.name === "NumberDurationLiteral") {
                const text = expr.slice(n.from, n.to);
                if (/^[0-9.]+(e[-+]?[0-9]+)?$/i.test(text)) out.push(Number(text));
            }
        },
    });
    return out;
}

/** Metric names an expression reads. */
export function metricNamesOf(expr: string): string[] {
    return [...new Set(selectorsOf(expr).map((s) => s.metric ?? "<unnamed>"))];
}

export interface CheckContext {
    fixture: MetricFixture;
    /** Recording rules defined by the platform's own rules (allowed as metric names). */
    records: ReadonlySet<string>;
    /** Labels the recording rules' outputs carry. */
    recordLabels: readonly string[];
}

/**
 * Problems of one expression: syntax errors, selectors without a metric name, metrics that are neither in the fixture
 * nor a defined recording rule, and label matchers on labels the metric does not have.
 */
export function checkExpression(expr: string, ctx: CheckContext): string[] {
    const errors = syntaxErrors(expr).map((e) => `syntax error ${e}`);
    if (errors.length > 0) return errors;
    const byName = new Map(ctx.fixture.metrics.map((m) => [m.name, m]));
    for (const sel of selectorsOf(expr)) {
        if (sel.metric === undefined) {
            errors.push(`selector ${sel.text} has no metric name`);
            continue;
        }
        const known = byName.get(sel.metric);
        const allowedLabels = known
            ? new Set([...known.labels, ...ctx.fixture.targetLabels.labels])
            : ctx.records.has(sel.metric)
              ? new Set(ctx.recordLabels)
              : undefined;
        if (!allowedLabels) {
            errors.push(
                `metric ${sel.metric} is neither in ${path.basename(FIXTURE_PATH)} nor a recording rule of the platform`,
            );
            continue;
        }
        for (const label of sel.labels) {
            if (!allowedLabels.has(label)) errors.push(`${sel.metric} has no label ${label} (in ${sel.text})`);
        }
    }
    return errors;
}

/** Values the tests give Grafana's variables before parsing a dashboard query. */
export const GRAFANA_SAMPLE_VALUES: Record<string, string> = {
    __rate_interval: "2m",
    __range: "1d",
    __interval: "1m",
    namespace: "shop",
    service: "checkout",
};

/**
 * Replaces `$var` / `${var}` by sample values. Returns the expression and the variables it used that have no sample
 * value (a query using an undefined variable would not run in Grafana either).
 */
export function substituteGrafanaVariables(
    query: string,
    values: Record<string, string> = GRAFANA_SAMPLE_VALUES,
): { expr: string; unknown: string[] } {
    const unknown: string[] = [];
    const expr = query.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, braced: string | undefined, bare: string | undefined) => {
        const name = braced ?? bare ?? "";
        if (!(name in values)) {
            unknown.push(name);
            return m;
        }
        return values[name];
    });
    return { expr, unknown };
}
