// @ts-check
/**
 * ESLint flat config: typescript-eslint's recommended rules, @pulumi/eslint-plugin's rules (an `Output` inside a
 * template literal is a bug: use `pulumi.interpolate`), and eslint-config-prettier last so that formatting is left to
 * Prettier (`npm run lint` runs `eslint . && prettier --check .`).
 */
import pulumi from "@pulumi/eslint-plugin";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

/**
 * @pulumi/eslint-plugin 0.3.1 exports only `rules` (no `configs`), so its recommended set is spelled out here: every
 * rule it has, as errors. Both rules need type information.
 */
const pulumiRecommended = {
    name: "@pulumi/eslint-plugin/recommended",
    files: ["**/*.ts"],
    plugins: { "@pulumi": pulumi },
    rules: Object.fromEntries(Object.keys(pulumi.rules).map((rule) => [`@pulumi/${rule}`, "error"])),
};

export default tseslint.config(
    {
        name: "zdp/ignores",
        ignores: [
            "**/node_modules/",
            "bin/",
            "out/",
            "**/fixtures/",
            "**/*.js",
            "**/*.cjs",
            "reports/",
            ".stryker-tmp/",
        ],
    },
    ...tseslint.configs.recommended,
    {
        name: "zdp/type-information",
        files: ["**/*.ts"],
        languageOptions: {
            parserOptions: {
                projectService: true,
                tsconfigRootDir: import.meta.dirname,
            },
        },
    },
    pulumiRecommended,
    {
        name: "zdp/project-rules",
        files: ["**/*.ts"],
        rules: {
            // `_name` marks a value kept on purpose (destructuring a field away, a callback's unused parameter).
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
            ],
        },
    },
    {
        // Engine data, provider inputs and parsed YAML are untyped by nature: tests handle them as `any`.
        name: "zdp/tests",
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
        },
    },
    {
        // The offline render `require`s the program at run time (one render per process, tools/renderStack.ts),
        // and the import-path tests load the package and a consumer program the way Node would.
        name: "zdp/tools",
        files: ["tools/**/*.ts", "test/package/**/*.ts"],
        rules: {
            "@typescript-eslint/no-require-imports": "off",
        },
    },
    prettier,
);
