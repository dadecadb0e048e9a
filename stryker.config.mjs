// @ts-check
/**
 * Mutation testing (StrykerJS) of the logic the policy pack's verdicts and the release timing rest on.
 *
 * One Stryker run per module: each mutant is judged by that module's focused specs only, through the "command" test
 * runner (Stryker's mocha runner does not load mocha 12), so `coverageAnalysis` is off and every mutant runs the
 * whole focused command. `npm run test:mutation` runs every module in turn (scripts/mutation.mjs); one module:
 * `npm run test:mutation -- rbac`. The module is chosen with ZDP_MUTATION_MODULE.
 *
 * Exclusions: only mutants that provably cannot change behaviour, each listed in EQUIVALENT with its reason.
 */

/** The focused mocha command, as run by hand (see README, "Testing"); --bail stops at the first failing test. */
const MOCHA =
    "node_modules/.bin/mocha --no-config --node-option import=tsx --extension ts --timeout 60000 --bail --reporter dot";

/** Module key -> the file it mutates and the spec files that must catch a regression in it. */
export const MODULES = {
    rbac: {
        mutate: "policy-pack/lib/rbac.ts",
        specs: ["test/policy/rbac.test.ts"],
    },
    releaseTiming: {
        mutate: "components/lib/releaseTiming.ts",
        specs: ["test/releaseTiming.test.ts"],
    },
    reference: {
        mutate: "policy-pack/images/reference.ts",
        specs: ["test/images/reference.test.ts"],
    },
    cosign: {
        mutate: "policy-pack/images/cosign.ts",
        specs: ["test/images/cosign.test.ts"],
    },
    verify: {
        mutate: "policy-pack/images/verify.ts",
        specs: ["test/images/verify.test.ts"],
    },
    secrets: {
        mutate: "policy-pack/policies/secrets.ts",
        specs: ["test/secrets/policy.test.ts"],
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
