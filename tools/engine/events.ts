/**
 * Reads the engine's event log (`pulumi preview --event-log FILE`): one JSON engine event a line, the same stream the
 * CLI renders. The policy results here are the engine's own: what the analyzer reported and at which enforcement
 * level the engine applied it.
 */
import * as fs from "node:fs";

/** One policy result, as the engine reports it. */
export interface EnginePolicyResult {
    policyPack: string;
    policy: string;
    enforcementLevel: string;
    message: string;
    /** The resource's URN, or undefined for a stack policy's result without a resource. */
    urn?: string;
    /** `kind namespace/name` when the URN names a Kubernetes object, else the URN's type and name. */
    resource?: string;
}

export interface EngineRun {
    /** Resource steps by operation (`create`, `same`, `update`, `delete`, …), provider and stack resources excluded. */
    steps: Record<string, number>;
    /** URNs of every resource the program declared, in the order the engine reported them. */
    urns: string[];
    policies: EnginePolicyResult[];
    /** Error diagnostics that are not policy results: configuration mistakes, program errors. */
    errors: string[];
    /** Summary counts (`pulumi preview`'s "Resources:" line) as the engine gives them. */
    changes: Record<string, number>;
}

/** `kind namespace/name` of a Kubernetes resource URN, or the URN's type and name. */
export function describeUrn(urn: string): string {
    const parts = urn.split("::");
    const type = parts[2]?.split("$").pop() ?? "";
    const name = parts[3] ?? urn;
    const k8s = /^kubernetes:[^:]+\/[^:]*:(\w+)$/.exec(type) ?? /^kubernetes:core\/v1:(\w+)$/.exec(type);
    return k8s ? `${k8s[1]} ${name}` : `${type} ${name}`;
}

/** Strips the colour directives the engine puts in messages (`<{%reset%}>`). */
function plain(text: string): string {
    return text.replace(/<\{%[^%]*%\}>/g, "").trim();
}

export function readEventLog(file: string): EngineRun {
    const run: EngineRun = { steps: {}, urns: [], policies: [], errors: [], changes: {} };
    if (!fs.existsSync(file)) return run;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        const event = JSON.parse(line);
        if (event.resourcePreEvent) {
            const meta = event.resourcePreEvent.metadata;
            if (meta.type === "pulumi:pulumi:Stack" || String(meta.type).startsWith("pulumi:providers:")) continue;
            run.steps[meta.op] = (run.steps[meta.op] ?? 0) + 1;
            run.urns.push(meta.urn);
        } else if (event.policyEvent) {
            const p = event.policyEvent;
            run.policies.push({
                policyPack: p.policyPackName,
                policy: p.policyName,
                enforcementLevel: p.enforcementLevel,
                message: plain(p.message),
                urn: p.resourceUrn || undefined,
                resource: p.resourceUrn ? describeUrn(p.resourceUrn) : undefined,
            });
        } else if (event.diagnosticEvent && event.diagnosticEvent.severity === "error") {
            const message = plain(event.diagnosticEvent.message);
            if (message) run.errors.push(message);
        } else if (event.summaryEvent) {
            run.changes = event.summaryEvent.resourceChanges ?? {};
        }
    }
    return run;
}

export function mandatoryOf(run: EngineRun): EnginePolicyResult[] {
    return run.policies.filter((p) => p.enforcementLevel === "mandatory");
}
