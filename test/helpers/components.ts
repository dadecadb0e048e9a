/**
 * Helpers for component tests under the Pulumi SDK's mock runtime (awsx style: build the component, then find the
 * recorded resource by type and name and assert on its inputs and options).
 *
 *     const session = await mockSession();                 // fresh recording, config reset to `config`
 *     new IstioMesh("mesh", { istiodReplicas: 3 });
 *     await session.settle();
 *     const istiod = session.get(CHART, "mesh-istiod");
 *     assert.equal(istiod.inputs.values.pilot.replicaCount, 3);
 *
 * - {@link mockSession}: sets the runtime config, then starts a new recording mock runtime (`tools/mockRuntime.ts`).
 *   Each call starts from scratch, so tests do not see each other's resources.
 * - {@link stackSettings}: what the program derives from a stack's files (`Pulumi.yaml` + `Pulumi.<stack>.yaml`), read
 *   through the program's own loaders, so a test can build a component with the arguments `index.ts` would pass.
 * - {@link assertArgError}: the component constructor throws a `pulumi.ResourceError` naming the component and field.
 * - {@link plaintextOccurrences}: recorded resources whose inputs (or options) contain a given plaintext.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { ReleaseRuleOptions } from "../../components/observability/rules";
import { loadPlatformConfig, PlatformConfig } from "../../components/platformConfig";
import { CONTROLLER_JOB, DEFAULT_RUNBOOK_BASE } from "../../components/releaseObservability";
import { loadServices } from "../../components/serviceConfig";
import { MockSession, RecordedResource, startMockRuntime } from "../../tools/mockRuntime";
import { loadStackConfig } from "../../tools/stacks";
import { REPO_ROOT } from "./renderedStack";

/** Type token of the Helm charts the components install. */
export const CHART = "kubernetes:helm.sh/v4:Chart";
/** Type tokens of the Kubernetes kinds the components create directly. */
export const K8S = {
    Namespace: "kubernetes:core/v1:Namespace",
    Secret: "kubernetes:core/v1:Secret",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    ServiceAccount: "kubernetes:core/v1:ServiceAccount",
    Role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    RoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    PeerAuthentication: "kubernetes:security.istio.io/v1:PeerAuthentication",
    Gateway: "kubernetes:networking.istio.io/v1:Gateway",
} as const;

/** The project name in `Pulumi.yaml`. */
export const PROJECT = "zdp";

export interface SessionOptions {
    /** Dry run: values computed by providers are unknown. Defaults to false. */
    preview?: boolean;
    /** Fully-qualified config (`zdp:key` → string), as the engine would hand it to the program. Defaults to none. */
    config?: Record<string, string>;
    /** Which keys of `config` are secrets. Defaults to none. */
    secretKeys?: string[];
    /** Stack name used in URNs. Defaults to "test". */
    stack?: string;
}

/** Resets the runtime config and starts a fresh recording mock runtime. */
export async function mockSession(opts: SessionOptions = {}): Promise<MockSession> {
    pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
    return startMockRuntime({ project: PROJECT, stack: opts.stack ?? "test", preview: opts.preview ?? false });
}

/** What the program reads from a stack's configuration. */
export interface StackSettings {
    settings: PlatformConfig;
    serviceNamespaces: string[];
    /** The configuration as the engine would pass it (defaults overlaid by the stack file and overrides). */
    config: Record<string, string>;
    secretKeys: string[];
}

/**
 * Loads `stack`'s configuration (plus `set`/`setSecret` overrides, keys without the project prefix) into the runtime
 * and reads it with the program's loaders. Call it after {@link mockSession}, or pass the returned `config` and
 * `secretKeys` to it: `mockSession` resets the config.
 */
export function stackSettings(
    stack: string,
    overrides: { set?: Record<string, string>; setSecret?: Record<string, string> } = {},
): StackSettings {
    const loaded = loadStackConfig(REPO_ROOT, stack);
    const config = { ...loaded.config };
    const secretKeys = [...loaded.secretKeys];
    for (const [k, v] of Object.entries(overrides.set ?? {})) config[`${loaded.project}:${k}`] = v;
    for (const [k, v] of Object.entries(overrides.setSecret ?? {})) {
        config[`${loaded.project}:${k}`] = v;
        secretKeys.push(`${loaded.project}:${k}`);
    }
    pulumi.runtime.setAllConfig(config, secretKeys);
    const cfg = new pulumi.Config(loaded.project);
    // The namespaces of the services, in first-seen order, as index.ts derives them.
    const serviceNamespaces = [...new Set(loadServices(cfg).map((s) => s.namespace))];
    return { settings: loadPlatformConfig(cfg), serviceNamespaces, config, secretKeys };
}

/**
 * Asserts that `build` throws a `pulumi.ResourceError` for `component "name"` whose message names every field in
 * `fields` (as the field's own text, e.g. `istiodReplicas` or `injectedNamespaces[1]`). Returns the message.
 */
export function assertArgError(build: () => unknown, component: string, name: string, fields: string[]): string {
    let thrown: unknown;
    try {
        build();
    } catch (e) {
        thrown = e;
    }
    assert.ok(thrown !== undefined, `expected new ${component}("${name}", ...) to throw`);
    assert.ok(pulumi.ResourceError.isInstance(thrown), `expected a pulumi.ResourceError, got ${String(thrown)}`);
    const message = (thrown as Error).message;
    assert.ok(
        message.startsWith(`invalid arguments for ${component} "${name}":`),
        `message should name the component: ${message}`,
    );
    for (const field of fields) {
        // The field must appear as a word of its own: "namespace" must not be satisfied by "gatewayNamespace".
        const escaped = field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        assert.match(
            message,
            new RegExp(`(^|[^A-Za-z0-9\\]])${escaped}([^A-Za-z0-9\\[]|$)`),
            `message should name ${field}`,
        );
    }
    return message;
}

/** Names of recorded resources whose inputs, dependencies or options contain `plaintext` anywhere. */
export function plaintextOccurrences(resources: readonly RecordedResource[], plaintext: string): string[] {
    return resources.filter((r) => JSON.stringify(r).includes(plaintext)).map((r) => `${r.type}::${r.name}`);
}

/** Recorded children of the component with URN `parentUrn`, direct children only. */
export function childrenOf(resources: readonly RecordedResource[], parentUrn: string): RecordedResource[] {
    return resources.filter((r) => r.parent === parentUrn);
}

/** The release rule options index.ts derives from a stack's configuration (ReleaseObservability's rules). */
export function ruleOptionsFor(stack: string): ReleaseRuleOptions {
    const { settings, serviceNamespaces } = stackSettings(stack);
    return {
        controllerJob: CONTROLLER_JOB,
        pagingSeverity: settings.releaseAlertSeverity,
        maxPauseMinutes: settings.releaseMaxPauseMinutes,
        previewRetentionMinutes: settings.previewRetentionMinutes,
        sloTarget: 0.999,
        serviceNamespaces,
        runbookBase: settings.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE,
        extraLabels: { environment: settings.environment },
    };
}
