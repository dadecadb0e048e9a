/**
 * Reads the engine's events: `pulumi preview --json` and `pulumi up --json` stream them one JSON object a line (for
 * preview with `PULUMI_ENABLE_STREAMING_JSON_PREVIEW` set), the same stream the CLI renders. The policy results here
 * are the engine's own: what the analyzer reported and at which enforcement level the engine applied it.
 */
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
    /** Resource steps by operation (`create`, `same`, `update`, `delete`, …), the stack resource excluded. */
    steps: Record<string, number>;
    /** URNs of every resource the program declared (providers included, the stack excluded), in the engine's order. */
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

/** Parses engine events, one JSON object a line; lines that are not JSON events are skipped. */
export function parseEvents(text: string): EngineRun {
    const run: EngineRun = { steps: {}, urns: [], policies: [], errors: [], changes: {} };
    for (const line of text.split("\n")) {
        if (!line.trim().startsWith("{")) continue;
        let event;
        try {
            event = JSON.parse(line);
        } catch {
            continue;
        }
        if (event.resourcePreEvent) {
            const meta = event.resourcePreEvent.metadata;
            if (meta.type === "pulumi:pulumi:Stack") continue;
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
