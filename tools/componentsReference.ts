/**
 * The components reference, generated from the schema Pulumi itself infers from the components (the same schema
 * `pulumi package add` gives other languages), so the documented args, defaults and outputs are the code's. Listed in
 * tools/docs.ts, which writes it (`npm run docs`) and checks it.
 */
import * as path from "node:path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";

const ROOT = path.resolve(__dirname, "..");

interface Prop {
    type?: string;
    items?: Prop;
    additionalProperties?: Prop;
    $ref?: string;
    description?: string;
    optional?: boolean;
}

const typeName = (ref: string) => ref.split(":").pop()!;

function typeOf(p: Prop): string {
    if (p.$ref) return `[${typeName(p.$ref)}](#${typeName(p.$ref).toLowerCase()})`;
    if (p.type === "array" && p.items) return `${typeOf(p.items)}[]`;
    if (p.type === "object" && p.additionalProperties) return `map of ${typeOf(p.additionalProperties)}`;
    return p.type ?? "any";
}

const cell = (s: string | undefined) => (s ?? "").replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");

function propsTable(props: Record<string, Prop>, required: readonly string[], head: string): string[] {
    const rows = Object.entries(props).map(
        ([name, p]) =>
            `| \`${name}\` | ${typeOf(p)} | ${required.includes(name) ? "yes" : ""} | ${cell(p.description)} |`,
    );
    return [`| ${head} | type | required | description |`, "|---|---|---|---|", ...rows];
}

/** The reference, as Markdown: one section per component, then the argument and output types. */
export async function componentsReference(): Promise<string> {
    const api = require(path.join(ROOT, "components", "index.ts"));
    const provider = new ComponentProvider({ components: getPulumiComponents(api), name: "zdp", dirname: ROOT });
    const schema = JSON.parse(await provider.getSchema());
    const out: string[] = [];
    for (const token of Object.keys(schema.resources).sort()) {
        const r = schema.resources[token];
        out.push(`### ${typeName(token)}`, "", `\`${token}\`: ${cell(r.description)}`, "");
        out.push(...propsTable(r.inputProperties ?? {}, r.requiredInputs ?? [], "argument"), "");
        out.push("Outputs:", "");
        out.push(...propsTable(r.properties ?? {}, r.required ?? [], "output"), "");
    }
    out.push("### Argument and output types", "");
    for (const token of Object.keys(schema.types ?? {}).sort()) {
        const t = schema.types[token];
        out.push(`#### ${typeName(token)}`, "", ...propsTable(t.properties ?? {}, t.required ?? [], "field"), "");
    }
    return out.join("\n").trimEnd();
}
