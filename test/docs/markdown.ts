/**
 * Reading the project's Markdown pages as a reader's tools do: a page's sections by heading, GitHub's heading
 * anchors, and the relative links a page holds (code spans and fenced blocks are not Markdown, so links there
 * do not count).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");

/** The text of `file` (from the repository root). */
export function page(file: string): string {
    return fs.readFileSync(path.join(ROOT, file), "utf8");
}

/** Every Markdown page a reader is sent to: README.md and docs/**\/*.md, repository-relative, sorted. */
export function docPages(root = ROOT): string[] {
    const docs = fs
        .readdirSync(path.join(root, "docs"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.posix.join("docs", f.split(path.sep).join("/")));
    return ["README.md", ...docs.sort()];
}

/** Lines of `markdown` with fenced code blocks blanked (kept as empty lines, so line numbers stay). */
function outsideFences(markdown: string): string[] {
    let fence: string | undefined;
    return markdown.split("\n").map((line) => {
        const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
        if (fence === undefined && marker) {
            fence = marker;
            return "";
        }
        if (fence !== undefined) {
            if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) {
                fence = undefined;
            }
            return "";
        }
        return line;
    });
}

/** The text under `heading` of `file`, up to the next heading of the same or a higher level outside code blocks. */
export function section(file: string, heading: string): string {
    const level = /^#+/.exec(heading)![0].length;
    const lines = page(file).split("\n");
    const prose = outsideFences(lines.join("\n"));
    const start = prose.indexOf(heading);
    assert.ok(start >= 0, `${file} has "${heading}"`);
    let end = start + 1;
    for (; end < lines.length; end++) {
        const h = /^(#+) /.exec(prose[end]);
        if (h && h[1].length <= level) break;
    }
    return lines.slice(start + 1, end).join("\n");
}

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

/** The anchors a page offers: its headings' (numbered `-1`, `-2` when repeated, as GitHub does) and `id`s. */
export function anchorsOf(markdown: string): Set<string> {
    const anchors = new Set<string>();
    const seen = new Map<string, number>();
    for (const line of outsideFences(markdown)) {
        const h = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
        if (h) {
            const base = anchorOf(h[1].replace(/`/g, ""));
            const n = seen.get(base) ?? 0;
            seen.set(base, n + 1);
            anchors.add(n === 0 ? base : `${base}-${n}`);
        }
        for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
    }
    return anchors;
}

export interface Link {
    /** The link's target as written: `docs/ci.md`, `#ci`, `../README.md#set-up`. */
    target: string;
    /** `file:line` of the link. */
    where: string;
}

/** Inline links `[text](target)` outside code, except those to a URL (`scheme:`) or an absolute path. */
export function relativeLinks(markdown: string, file: string): Link[] {
    const links: Link[] = [];
    outsideFences(markdown).forEach((line, i) => {
        const prose = line.replace(/(`+)[\s\S]*?\1/g, (code) => " ".repeat(code.length));
        for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
            const target = m[1];
            if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("/")) continue;
            links.push({ target, where: `${file}:${i + 1}` });
        }
    });
    return links;
}

/** What is wrong with `link` of page `file`: a missing file or directory, or a missing heading anchor. */
export function brokenLink(file: string, link: Link, root = ROOT): string | undefined {
    const [target, anchor] = link.target.split("#", 2);
    const resolved = target === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
    if (resolved.startsWith("../")) return `${link.where}: ${link.target} leaves the repository`;
    const full = path.join(root, resolved);
    if (!fs.existsSync(full)) return `${link.where}: ${link.target}: no ${resolved}`;
    if (anchor === undefined || anchor === "") return undefined;
    if (!resolved.endsWith(".md") || fs.statSync(full).isDirectory()) {
        return `${link.where}: ${link.target}: an anchor into ${resolved}, which is not a Markdown page`;
    }
    if (!anchorsOf(fs.readFileSync(full, "utf8")).has(decodeURIComponent(anchor))) {
        return `${link.where}: ${link.target}: ${resolved} has no heading #${anchor}`;
    }
    return undefined;
}
