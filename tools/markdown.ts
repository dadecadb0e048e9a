/**
 * Markdown helpers the doc generators share (tools/componentsReference.ts, configReference.ts, policyReference.ts).
 */

/**
 * Text as one GFM table cell: line breaks become spaces, `|` is escaped everywhere (GFM splits cells on it even
 * inside code), and outside code spans `<` is escaped so that `<stack>` is not read as HTML. `*` is escaped too
 * unless the text is Markdown already (the components' JSDoc may use **bold**): in plain text (policy metadata,
 * config descriptions) `'*'` is a character, not emphasis.
 */
export function tableCell(text: string | undefined, opts: { markdown?: boolean } = {}): string {
    const special = opts.markdown ? /</g : /[<*]/g;
    return (text ?? "")
        .replace(/\s*\n\s*/g, " ")
        .split("`")
        .map((part, i) => (i % 2 === 0 ? part.replace(special, (c) => `\\${c}`) : part))
        .join("`")
        .replace(/\|/g, "\\|");
}
