import * as assert from "node:assert/strict";
import { tableCell } from "../../tools/markdown";

describe("tableCell (tools/markdown.ts)", () => {
    it("keeps a cell on one line and escapes the pipe everywhere, code spans included", () => {
        assert.equal(tableCell("a\n   b | c `x|y`"), "a b \\| c `x\\|y`");
        assert.equal(tableCell(undefined), "");
    });

    it("escapes < and * outside code spans in plain text, never inside them", () => {
        assert.equal(tableCell("set <stack> to '*' or `<a*b>`"), "set \\<stack> to '\\*' or `<a*b>`");
    });

    it("leaves Markdown emphasis alone in Markdown text, but still escapes < outside code", () => {
        assert.equal(tableCell("a **deployer** in <ns>", { markdown: true }), "a **deployer** in \\<ns>");
    });
});
