/**
 * The alerts' runbook pages (docs/runbooks/<alert in lower case>.md) against the alert catalogue: one page per
 * alert and no page for an alert that no longer exists, each opening with whether the alert pages, and the
 * observability page's list of alerts linking every one with the same severity.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { alertSpecs } from "../../../components/observability/rules";
import { DEFAULT_RUNBOOK_BASE } from "../../../components/releaseObservability";
import { ruleOptionsFor } from "../../helpers/components";
import { REPO_ROOT } from "../../helpers/renderedStack";

const RUNBOOKS = path.join(REPO_ROOT, DEFAULT_RUNBOOK_BASE);
/** Pages of docs/runbooks/ that belong to no single alert. */
const NOT_ALERTS = ["rollback.md", "migrations.md"];
const specs = alertSpecs(ruleOptionsFor("prod"));

/** The first paragraph after the page's heading. */
function lead(page: string): string {
    return page.split(/\n\s*\n/)[1] ?? "";
}

/** `[alert](runbooks/<page>) | severity` rows of the observability page's alert list. */
function listedAlerts(markdown: string): Map<string, { page: string; severity: string }> {
    const rows = new Map<string, { page: string; severity: string }>();
    for (const m of markdown.matchAll(/^\| \[(\w+)\]\(runbooks\/([\w-]+\.md)\) +\| (\w+) +\|$/gm)) {
        rows.set(m[1], { page: m[2], severity: m[3] });
    }
    return rows;
}

describe("alert runbook pages (docs/runbooks/)", () => {
    it("one page per alert, and no page for an alert the rules do not define", () => {
        const pages = fs.readdirSync(RUNBOOKS).filter((f) => f.endsWith(".md") && !NOT_ALERTS.includes(f));
        assert.deepEqual(pages.sort(), specs.map((s) => `${s.alert.toLowerCase()}.md`).sort());
    });

    it("each page says first whether its alert pages (critical in prod) or is a warning", () => {
        for (const s of specs) {
            const text = lead(fs.readFileSync(path.join(RUNBOOKS, `${s.alert.toLowerCase()}.md`), "utf8"));
            assert.match(text, s.pages ? /^Pages \(critical in prod\)\./ : /^Warning\b/, s.alert);
        }
    });

    it("docs/observability.md lists every alert, in the rules' order, with its page and severity", () => {
        const listed = listedAlerts(fs.readFileSync(path.join(REPO_ROOT, "docs", "observability.md"), "utf8"));
        assert.deepEqual(
            [...listed.keys()],
            specs.map((s) => s.alert),
        );
        for (const s of specs) {
            assert.deepEqual(listed.get(s.alert), {
                page: `${s.alert.toLowerCase()}.md`,
                severity: s.pages ? "pages" : "warning",
            });
        }
    });

    it("the list check reads rows it should and skips others", () => {
        const rows = listedAlerts(
            ["| [A](runbooks/a.md) | pages |", "| [B](other/b.md) | warning |", "| A | pages |"].join("\n"),
        );
        assert.deepEqual([...rows], [["A", { page: "a.md", severity: "pages" }]]);
    });
});
