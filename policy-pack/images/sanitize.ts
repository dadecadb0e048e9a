/**
 * Text that a registry controls (error bodies, header values, fields of manifests and signatures, parser messages
 * that quote them) reaches violation messages, terminals and PR comments. Before it does, {@link cleanRegistryText}
 * removes what could rewrite or hide the rest of the output and bounds its length:
 *
 * - ANSI escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or `ESC ] … ESC \`), other `ESC x` pairs, and
 *   their one-byte C1 forms (CSI U+009B, OSC U+009D);
 * - every other C0 control (U+0000–U+001F, line breaks and tabs included: a message is one line), DEL (U+007F) and
 *   every C1 control (U+0080–U+009F);
 * - Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) and zero-width characters
 *   (U+200B–U+200F, U+2028, U+2029, U+FEFF), which can make a message read differently from what it says;
 * - then the text is cut at `max` characters (code points), with `…(N more characters)` saying how much was cut.
 */

/** Default bound of one piece of registry text in a message. */
export const MAX_REGISTRY_TEXT = 200;

const ANSI =
    // CSI: ESC [ or U+009B, parameters, intermediates, one final byte. OSC: ESC ] or U+009D up to BEL or ESC \ (or
    // the end). Any other ESC + one character.
    /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b\]|\u009d)[^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[\s\S]?/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+/g;

/** `text` without escape sequences and control characters, at most `max` characters long (see the module comment). */
export function cleanRegistryText(text: unknown, max = MAX_REGISTRY_TEXT): string {
    const s = String(text)
        .replace(ANSI, "")
        .replace(CONTROLS, (m) => (/[\t\n\r\u2028\u2029]/.test(m) ? " " : ""));
    const chars = [...s];
    if (chars.length <= max) return s;
    return `${chars.slice(0, max).join("")}…(${chars.length - max} more characters)`;
}

/** True when `text` holds nothing {@link cleanRegistryText} would remove (for tests and assertions). */
export function isCleanText(text: string): boolean {
    ANSI.lastIndex = 0;
    CONTROLS.lastIndex = 0;
    const clean = !ANSI.test(text) && !CONTROLS.test(text);
    ANSI.lastIndex = 0;
    CONTROLS.lastIndex = 0;
    return clean;
}
