/**
 * The pinned charts of components/lib/charts.ts: exact versions, HTTPS repositories, Istio's charts moving together.
 */
import * as assert from "node:assert/strict";
import { CHARTS } from "../../../components/lib/charts";
import { checkChartVersion } from "../../../components/lib/validation";

describe("lib/charts", () => {
    for (const [key, pinned] of Object.entries(CHARTS)) {
        it(`${key} is pinned to an exact version from an HTTPS repository`, () => {
            assert.equal(checkChartVersion(`CHARTS.${key}.version`, pinned.version), undefined);
            assert.equal(new URL(pinned.repo).protocol, "https:", pinned.repo);
            assert.match(pinned.chart, /^[a-z0-9][a-z0-9-]*$/);
        });
    }

    it("pins base, istiod and gateway to one Istio version from one repository", () => {
        const istio = [CHARTS.istioBase, CHARTS.istiod, CHARTS.istioGateway];
        assert.equal(new Set(istio.map((c) => c.version)).size, 1);
        assert.equal(new Set(istio.map((c) => c.repo)).size, 1);
    });
});
