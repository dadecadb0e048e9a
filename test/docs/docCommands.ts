/**
 * The shell commands the Markdown documentation shows a user: every command line of its fenced shell blocks
 * (`sh`, `bash`, `shell`, `console`; `$ ` prompt lines of blocks without a language), with comments removed,
 * backslash continuations joined and `a && b` split into its commands.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { docPages } from "./markdown";

export interface DocCommand {
    /** The command, whitespace collapsed outside quotes. */
    command: string;
    /** Where it is shown: `README.md:20`. */
    where: string;
}

const SHELL_LANGUAGES = new Set(["sh", "bash", "shell", "console", "zsh"]);

/** Commands of every fenced shell block in `markdown` (`file` names it in `where`). */
export function commandsOf(markdown: string, file: string): DocCommand[] {
    const commands: DocCommand[] = [];
    const lines = markdown.split("\n");
    let fence: { marker: string; language: string } | undefined;
    let pending: { text: string; line: number } | undefined;
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const opening = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(line);
        if (!fence) {
            if (opening) fence = { marker: opening[1], language: opening[2].toLowerCase() };
            continue;
        }
        if (line.trim().startsWith(fence.marker) && line.trim().replace(/[`~]/g, "") === "") {
            fence = undefined;
            pending = undefined;
            continue;
        }
        let text = line.trim();
        if (fence.language === "") {
            // A block without a language mixes commands (after a `$ ` prompt) with their output.
            if (!pending) {
                if (!text.startsWith("$ ")) continue;
                text = text.slice(2);
            }
        } else if (!SHELL_LANGUAGES.has(fence.language)) {
            continue;
        } else if (fence.language === "console" && !pending) {
            if (!text.startsWith("$ ")) continue;
            text = text.slice(2);
        }
        text = stripComment(text);
        const joined = pending ? `${pending.text} ${text}` : text;
        const start = pending?.line ?? i + 1;
        if (joined.endsWith("\\")) {
            pending = { text: joined.slice(0, -1).trimEnd(), line: start };
            continue;
        }
        pending = undefined;
        for (const command of splitAnd(joined)) {
            if (command) commands.push({ command, where: `${file}:${start}` });
        }
    }
    return commands;
}

/** Commands of README.md and docs/**\/*.md (runbooks and references included) of the project in `root`. */
export function projectDocCommands(root: string): DocCommand[] {
    return docPages(root).flatMap((f) => commandsOf(fs.readFileSync(path.join(root, f), "utf8"), f));
}

/** Scans `text` outside quotes; `visit` gets each index and may stop the scan by returning true. */
function scanUnquoted(text: string, visit: (i: number) => boolean): void {
    let quote: string | undefined;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (quote) {
            if (c === "\\" && quote === '"') i++;
            else if (c === quote) quote = undefined;
        } else if (c === "\\") {
            i++;
        } else if (c === "'" || c === '"') {
            quote = c;
        } else if (visit(i)) {
            return;
        }
    }
}

/** `text` without its trailing `# comment` (a `#` at the start of a word, outside quotes). */
export function stripComment(text: string): string {
    let end = text.length;
    scanUnquoted(text, (i) => {
        if (text[i] === "#" && (i === 0 || /\s/.test(text[i - 1]))) {
            end = i;
            return true;
        }
        return false;
    });
    return text.slice(0, end).trim();
}

/** `a && b` as [`a`, `b`], each with whitespace collapsed outside quotes. */
export function splitAnd(text: string): string[] {
    const cuts: number[] = [];
    scanUnquoted(text, (i) => {
        if (text.startsWith("&&", i)) cuts.push(i);
        return false;
    });
    const parts: string[] = [];
    let from = 0;
    for (const cut of [...cuts, text.length]) {
        parts.push(collapse(text.slice(from, cut).trim()));
        from = cut + 2;
    }
    return parts.filter((p) => p !== "");
}

function collapse(text: string): string {
    let out = "";
    let last = -1;
    scanUnquoted(text, (i) => {
        if (/\s/.test(text[i])) {
            out += text.slice(last + 1, i);
            if (!out.endsWith(" ")) out += " ";
            last = i;
        }
        return false;
    });
    return out + text.slice(last + 1);
}

/** The words of a command as a POSIX shell splits them (quotes removed); no expansion. */
export function shellWords(command: string): string[] {
    const words: string[] = [];
    let word: string | undefined;
    let quote: string | undefined;
    for (let i = 0; i < command.length; i++) {
        const c = command[i];
        if (quote) {
            if (c === quote) quote = undefined;
            else if (c === "\\" && quote === '"' && i + 1 < command.length) word = (word ?? "") + command[++i];
            else word = (word ?? "") + c;
        } else if (c === "'" || c === '"') {
            quote = c;
            word = word ?? "";
        } else if (c === "\\" && i + 1 < command.length) {
            word = (word ?? "") + command[++i];
        } else if (/\s/.test(c)) {
            if (word !== undefined) words.push(word);
            word = undefined;
        } else {
            word = (word ?? "") + c;
        }
    }
    if (quote) throw new Error(`unterminated ${quote} in: ${command}`);
    if (word !== undefined) words.push(word);
    return words;
}
