// @ts-check
/**
 * Mutation testing (StrykerJS) of the logic the policy pack's verdicts and the release timing rest on.
 *
 * One Stryker run per module: each mutant is judged by that module's focused specs only, through the "command" test
 * runner (Stryker's mocha runner does not load mocha 12), so `coverageAnalysis` is off and every mutant runs the
 * whole focused command. `npm run test:mutation` runs every module in turn (scripts/mutation.mjs); one module:
 * `npm run test:mutation -- rbac`. The module is chosen with ZDP_MUTATION_MODULE.
 *
 * Exclusions: none. Stryker's ignorers act on a whole syntax node (every mutant of it, killable ones included), so
 * rather than hide killed mutants with the equivalent ones, the survivors that provably cannot change behaviour stay
 * in the score (it is that much lower than the truth) and are listed here, so that nobody writes a test for them:
 *
 * rbac.ts
 * - `index <= raw.length` in rulesOf: the extra `raw[raw.length]` is undefined and skipped like any non-object.
 * - `typeof … !== "object"` → false in subjectsOf / roleRefOf: a truthy primitive has no string kind and name
 *   either, so the next check rejects it the same way.
 * - the anchors of /^(pods|services)\/(attach|exec|portforward|proxy)$/ (VIEWABLE): it only ever filters the fixed
 *   EDITABLE table, where no entry has text before or after those names.
 * cosign.ts
 * - `typeof v !== "object"` → false in field(): indexing a JSON primitive gives undefined, as the early return does.
 * - `if (!(e instanceof ReferenceError)) throw e` → never: parseReference of a string throws only ReferenceError.
 * reference.ts
 * - the `$` of IPV6: it only tests the bracketed part `\[[^\]]*\]`, whose only `]` is its last character.
 * - `ref !== ref.trim()`: JavaScript's trim removes exactly what `\s` matches, which the same line rejects.
 * - `"docker.io"` blanked in DOCKER_HUB_ALIASES: normaliseRegistry returns the lower-cased host, which is then
 *   `docker.io` anyway; `ref.digest !== undefined` in isPinned: SHA256_DIGEST never matches "undefined".
 * - `colon >= 0` → `> 0` and `host.length === 0` → false in isValidDomain: an empty host fails DOMAIN_COMPONENT
 *   too; `slash >= 0` → `> 0` in splitName and `slash < 0` → `<= 0` (second use) in parseAllowedRegistry: an empty
 *   first element is never a valid domain, so both branches refuse it alike.
 * - `if (e instanceof ReferenceError)` → true in tryParseReference: parseReference throws nothing else.
 * releaseTiming.ts
 * - `w.step < blocking.step` → `<=`: a step is either a setWeight or an analysis, never both.
 * - `["Stryker was here"]` for the empty defaults (dryRun lists, steps, weights, stepStart, inlineGates): a string
 *   entry reads as an empty object / has no number fields, so it matches, moves and reaches nothing.
 * - `!== undefined` → true before a comparison with the same value (`count`, budget limits): `x > undefined` is false;
 *   before gateTiming of an absent pre-promotion or background analysis: no metrics, so it cannot fail either way.
 * - typeof checks made redundant by the next test (Number.isFinite, Number.isInteger, a `> 0` on a non-number that
 *   NaN fails), the anchors of the count pattern (a partial match gives NaN, refused), and removing the catch of an
 *   invalid dry-run pattern (undefined is as falsy as false).
 * secrets*.ts (the no-plaintext-credentials policy)
 * - `typeof key === "number"` in fieldPath: a number fails the identifier pattern and JSON.stringify gives `[3]` too;
 *   `container === undefined || container === null` in mapSlots: neither is a record, so the next checks return.
 * - `["Stryker was here"]` for absent exemptions: a string names no object; `k?.` in subjectOf and the early returns
 *   of validateResource: unknown types and resources with nothing to check report nothing either way.
 * - the `^` of the auth-scheme pattern and the `\b` after it: text before a scheme, or a word character after it,
 *   leaves a non-empty rest either way; `text === undefined` / `decoded !== undefined` in credentialsIn: linting
 *   `NAME: undefined` finds nothing. The 16-character threshold for decoding plain values is not pinned: no
 *   credential we know of fits in the 6 to 11 bytes that 8 to 15 base64 characters decode to.
 */

/** The focused mocha command, as run by hand (see docs/contributing.md, "Running tests"); --bail stops at the first failing test. */
const MOCHA =
    "node_modules/.bin/mocha --no-config --node-option import=tsx --extension ts --timeout 60000 --bail --reporter dot";

/** Module key -> the file it mutates and the spec files that must catch a regression in it. */
export const MODULES = {
    rbac: {
        mutate: "policy-pack/lib/rbac.ts",
        specs: ["test/policy-pack/lib/rbac.test.ts"],
    },
    releaseTiming: {
        mutate: "components/lib/releaseTiming.ts",
        specs: ["test/components/lib/releaseTiming.test.ts"],
    },
    reference: {
        mutate: "policy-pack/images/reference.ts",
        specs: ["test/policy-pack/images/reference.test.ts"],
    },
    cosign: {
        mutate: "policy-pack/images/cosign.ts",
        specs: ["test/policy-pack/images/cosign.test.ts"],
    },
    verify: {
        mutate: "policy-pack/images/verify.ts",
        specs: ["test/policy-pack/images/verify.test.ts"],
    },
    secrets: {
        mutate: "policy-pack/policies/secrets*.ts",
        // The unit spec first (it kills most mutants; --bail stops there), then the end-to-end cases.
        specs: ["test/policy-pack/secrets/policyUnits.test.ts", "test/policy-pack/secrets/policy.test.ts"],
    },
};

const key = process.env.ZDP_MUTATION_MODULE ?? "rbac";
const mod = MODULES[/** @type {keyof typeof MODULES} */ (key)];
if (!mod) throw new Error(`ZDP_MUTATION_MODULE=${key}: expected one of ${Object.keys(MODULES).join(", ")}`);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
    mutate: [mod.mutate],
    testRunner: "command",
    commandRunner: { command: `${MOCHA} ${mod.specs.join(" ")}` },
    coverageAnalysis: "off",
    concurrency: 2,
    // A mutant that loops forever is stopped after this; generous, so that a loaded machine does not pass slow
    // mutants off as detected.
    timeoutMS: 30000,
    thresholds: { high: 90, low: 80, break: 80 },
    reporters: ["clear-text", "progress", "html", "json"],
    clearTextReporter: { reportTests: false, reportMutants: true, logTests: false },
    htmlReporter: { fileName: `reports/mutation/${key}.html` },
    jsonReporter: { fileName: `reports/mutation/${key}.json` },
    tempDirName: ".stryker-tmp",
    // The sandbox needs the sources, the tests and their fixtures, not the build output or local tool caches.
    ignorePatterns: ["/bin", "/.tools", "/.ci", "/reports"],
};
