/** The factory shared by the rule policies (policy-pack/lib/rolePolicy.ts): how a finding lists what a rule grants. */
import * as assert from "node:assert/strict";
import { showList } from "../../../policy-pack/lib/rolePolicy";

describe("rule policies: showList", () => {
    it("shows at most six items, then a count of the rest", () => {
        const seven = ["get r1", "get r2", "get r3", "get r4", "get r5", "get r6", "get r7"];
        assert.equal(showList(seven.slice(0, 6)), "get r1, get r2, get r3, get r4, get r5, get r6");
        assert.equal(showList(seven), "get r1, get r2, get r3, get r4, get r5, get r6 and 1 more");
        assert.equal(showList(seven, 2), "get r1, get r2 and 5 more");
        assert.equal(showList([]), "");
    });
});
