/**
 * The URNs of every BlueGreenService resource of both stacks, against a fixture: a URN is a resource's identity to
 * the engine (stack, project, the types of its parents and itself, its name), so a changed URN makes `pulumi up`
 * delete the live object and create another, which for a Rollout or a Service is an outage, not a refactor.
 *
 * The render is the offline CLI's (tools/render.ts, shared with the other render tests). To change a URN on
 * purpose (a new resource, a rename with an alias), regenerate the fixtures and review their diff:
 *
 *     ZDP_UPDATE_URN_FIXTURES=1 npx mocha test/components/blueGreenService/urns.test.ts
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderedStack } from "../../helpers/renderedStack";

const FIXTURES = path.join(__dirname, "fixtures");
const COMPONENT_TYPE = "zdp:index:BlueGreenService";

/** The component's URNs and its descendants': every URN whose type chain (`parent$...$type`) holds the component. */
function componentUrns(urns: readonly string[]): string[] {
    return urns.filter((urn) => urn.split("::")[2]?.split("$").includes(COMPONENT_TYPE)).sort();
}

const fixtureFile = (stack: string) => path.join(FIXTURES, `urns.${stack}.txt`);

describe("BlueGreenService URNs (a changed URN replaces live resources)", () => {
    for (const stack of ["staging", "prod"]) {
        it(`${stack}: every BlueGreenService resource keeps its URN`, async () => {
            const rendered = await renderedStack(stack);
            const actual = componentUrns(rendered.resourcesJson.resources.map((r) => r.urn));
            if (process.env.ZDP_UPDATE_URN_FIXTURES === "1")
                fs.writeFileSync(fixtureFile(stack), `${actual.join("\n")}\n`);
            const expected = fs.readFileSync(fixtureFile(stack), "utf8").split("\n").filter(Boolean);
            const gone = expected.filter((u) => !actual.includes(u));
            const added = actual.filter((u) => !expected.includes(u));
            assert.deepEqual(
                actual,
                expected,
                [
                    `The URNs of stack ${stack}'s BlueGreenService resources changed. On \`pulumi up\`, every URN that`,
                    "disappears deletes its live object and every new one creates another: the release's Rollout,",
                    "Services or policies would be replaced, not updated. Keep resource names, types and parents as",
                    "they are (or add an alias). Only when the change is intended, regenerate the fixture and review it:",
                    "  ZDP_UPDATE_URN_FIXTURES=1 npx mocha test/components/blueGreenService/urns.test.ts",
                    `Gone (${gone.length}):`,
                    ...gone.map((u) => `  - ${u}`),
                    `New (${added.length}):`,
                    ...added.map((u) => `  + ${u}`),
                ].join("\n"),
            );
        });
    }

    it("selects the component and its children, and nothing else", () => {
        const urns = [
            "urn:pulumi:s::zdp::zdp:index:BlueGreenService::a",
            "urn:pulumi:s::zdp::zdp:index:BlueGreenService$kubernetes:core/v1:Service::a-active",
            "urn:pulumi:s::zdp::zdp:index:IstioMesh$kubernetes:core/v1:Namespace::shop",
            "urn:pulumi:s::zdp::pulumi:providers:kubernetes::cluster",
        ];
        assert.deepEqual(componentUrns(urns), urns.slice(0, 2).sort());
    });
});
