/**
 * What is generated from the one declaration of the stack configuration (CONFIG_KEYS, components/config/keys.ts):
 *
 * - `Pulumi.yaml`'s `config:` block, the project's declarations the engine checks every stack against (a key without a
 *   default is required, a value must have the declared type, a secret key must be encrypted);
 * - docs/reference/config.md, the configuration reference: every key with its type, default, secret flag, what each
 *   stack file sets, and its description.
 *
 * Both are listed in tools/docs.ts, which writes them (`npm run docs`) and checks them (test/tools/docs.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Document, isScalar, parse, Scalar, visit } from "yaml";
import { CONFIG_KEYS } from "../components/config/keys";
import type { ConfigFormat, ConfigKeyFacts } from "../components/config/kinds";
import type { ConfigDecl } from "./engineConfig";
import { listStacks } from "./stacks";
import { tableCell } from "./markdown";

const ROOT = path.resolve(__dirname, "..");
const KEYS: [string, ConfigKeyFacts][] = Object.entries(CONFIG_KEYS);

/** A key's declaration in `Pulumi.yaml`, or undefined for a key that says why it is not declared (`undeclared`). */
function projectDeclaration(facts: ConfigKeyFacts): ConfigDecl | undefined {
    if (facts.undeclared !== undefined) return undefined;
    return {
        type: facts.type,
        ...(facts.items !== undefined ? { items: { type: facts.items } } : {}),
        description: facts.description,
        ...(facts.default !== undefined ? { default: facts.default } : {}),
        ...(facts.secret ? { secret: true } : {}),
    };
}

/** `text` as `#` comment lines of at most `width` characters. */
function comment(text: string, width = 120): string[] {
    const lines: string[] = [];
    let line = "#";
    for (const word of text.split(/\s+/)) {
        if (line.length + 1 + word.length > width && line !== "#") {
            lines.push(line);
            line = "#";
        }
        line += ` ${word}`;
    }
    return [...lines, line];
}

/**
 * The generated section of `Pulumi.yaml`: the `config:` block (descriptions double-quoted, lists in flow style, as
 * a person would write them), after a comment naming each key that is not declared and why.
 */
export async function projectConfig(): Promise<string> {
    const decls = Object.fromEntries(
        KEYS.flatMap(([key, facts]) => {
            const decl = projectDeclaration(facts);
            return decl ? [[key, decl]] : [];
        }),
    );
    const doc = new Document({ config: decls });
    visit(doc, {
        Seq: (_, seq) => {
            seq.flow = true;
        },
        Pair: (_, pair) => {
            if (isScalar(pair.key) && pair.key.value === "description" && isScalar(pair.value))
                pair.value.type = Scalar.QUOTE_DOUBLE;
        },
    });
    const undeclared = KEYS.filter(([, f]) => f.undeclared !== undefined).map(
        ([k, f]) => `${k}, because ${f.undeclared}`,
    );
    const note = comment(
        `Not declared here, but read and validated by the program: ${undeclared.join("; ")}.` +
            " The program refuses a secret key stored in plain text.",
    );
    return [...note, doc.toString({ lineWidth: 0 })].join("\n");
}

/** What a string, or each item of a list of strings, must look like, as the reference says it. */
const FORMAT_TEXT: Record<ConfigFormat, string> = {
    dnsLabel: "DNS label",
    gatewayHost: "host name (`*` and `*.domain` allowed)",
    httpUrl: "http(s) URL",
    httpsUrl: "https URL",
    chartRepository: "`oci://host/path` or http(s) chart repository",
    imageRegistry: "registry host/path",
};

const code = (v: unknown) => `\`${typeof v === "string" ? v : JSON.stringify(v)}\``;
/** A list as its items in code, or "none". */
const codes = (values: readonly unknown[]) => (values.length > 0 ? values.map(code).join(", ") : "none");
const cell = tableCell;

/** The key's type, with what the program allows: `integer, 1 to 10`, `list of strings: DNS label each`. */
function typeText(f: ConfigKeyFacts): string {
    const range = f.min !== undefined && f.max !== undefined ? `, ${f.min} to ${f.max}` : "";
    const format = f.format ? `: ${FORMAT_TEXT[f.format]}` : "";
    if (f.type === "array") {
        const of = f.items === "object" ? "list of objects" : "list of strings";
        const each = f.allowed
            ? `, each one of ${codes(f.allowed)}`
            : f.format
              ? `, each a ${FORMAT_TEXT[f.format]}`
              : "";
        const min = f.minItems ? `, at least ${f.minItems}` : "";
        return `${of}${each}${min}`;
    }
    if (f.allowed) return `one of ${codes(f.allowed)}`;
    return `${f.type}${range}${format}`;
}

function defaultText(f: ConfigKeyFacts): string {
    if (f.default === undefined) return f.secret ? "unset" : "**required**";
    if (f.default === "") return '`""` (unset)';
    return Array.isArray(f.default) ? codes(f.default) : code(f.default);
}

/** The project's own keys a stack file sets, without the project prefix, as written. */
function stackFileSettings(stack: string): Record<string, unknown> {
    const file = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));
    const project: string = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).name;
    return Object.fromEntries(
        Object.entries<unknown>(file?.config ?? {})
            .filter(([k]) => k.startsWith(`${project}:`))
            .map(([k, v]) => [k.slice(project.length + 1), v]),
    );
}

const isSecure = (v: unknown) => v !== null && typeof v === "object" && "secure" in v;

/** What a stack file sets a key to, as a cell; empty when it keeps the default. */
function stackValueText(value: unknown): string {
    if (value === undefined) return "";
    if (isSecure(value)) return "set (secret)";
    if (Array.isArray(value))
        return value.every((v) => typeof v !== "object") ? codes(value) : `${value.length} entries`;
    return code(value);
}

/**
 * The configuration reference: one table of every key, with the value each stack file gives it (empty: the default),
 * then the keys the stacks set besides (the secret keys their services' `secretEnv` names).
 */
export async function configReference(): Promise<string> {
    const stacks = listStacks(ROOT).map((stack) => ({ stack, settings: stackFileSettings(stack) }));
    const out = [
        "# Configuration reference",
        "",
        "Generated by `npm run docs` from the one declaration of the stack configuration, `CONFIG_KEYS` in `components/config/keys.ts`, like the `config:` block of `Pulumi.yaml`; do not edit by hand.",
        "",
        "Set a key per stack with `pulumi config set --stack <stack> zdp:<key> <value>`: a list item by item with `--path` (`pulumi config set --stack prod --path 'zdp:ingressHosts[0]' shop.example.com`) or in the stack file, a secret with `--secret`. A key without a default is required; an empty string is unset. Every value is checked before anything is deployed, and a `zdp:` key the program does not read is refused: [how the stack keys are checked](../offline-tools.md#configuration-how-the-stack-keys-are-checked).",
        "",
        `| key | type | default | secret | ${stacks.map((s) => s.stack).join(" | ")} | description |`,
        `|---|---|---|---|${stacks.map(() => "---|").join("")}---|`,
    ];
    for (const [key, f] of KEYS) {
        const notes = [
            f.undeclared ? `Not declared in \`Pulumi.yaml\`: ${f.undeclared}.` : "",
            f.readBy ? `Read by ${f.readBy}.` : "",
        ].filter((n) => n !== "");
        const values = stacks.map((s) => stackValueText(s.settings[key]));
        const row = [code(key), typeText(f), defaultText(f), f.secret ? "yes" : "", ...values];
        out.push(`| ${row.join(" | ")} | ${cell([f.description, ...notes].join(" "))} |`);
    }
    // Keys the stacks set that are not declared: the program refuses any but those their services' secretEnv names.
    const others = [...new Set(stacks.flatMap((s) => Object.keys(s.settings)))].filter((k) => !(k in CONFIG_KEYS));
    if (others.length > 0) {
        const setBy = (k: string) => stacks.filter((s) => s.settings[k] !== undefined).map((s) => s.stack);
        const listed = others.map((k) => `${code(k)} (${setBy(k).join(", ")})`).join(", ");
        out.push(
            "",
            `The stacks also set the secret keys their services' \`secretEnv\` names, one per variable ([Secrets](../secrets.md)): ${listed}.`,
        );
    }
    return out.join("\n");
}
