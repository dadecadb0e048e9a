/**
 * Secretness under the real Pulumi analyzer: these tests call @pulumi/policy's own Analyze RPC handler (the code
 * `pulumi preview --policy-pack` runs) with requests built the way the engine builds them, secrets marked on the
 * wire (the engine marshals analyzer requests with KeepSecrets).
 *
 * They pin two facts: @pulumi/policy hands `validateResource` the secret values unwrapped and unmarked
 * (pulumi/pulumi-policy#241), and the pack's hook (policy-pack/secrets/secretness.ts) gets the secretness back, so
 * that no-plaintext-credentials can fail a Secret whose data is not a Pulumi secret at preview. If an upgrade of
 * @pulumi/policy changes either, these tests say so.
 */
import * as assert from "node:assert/strict";
import { ResourceValidationPolicy } from "@pulumi/policy";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { noPlaintextCredentials } from "../../../policy-pack/policies/secrets";
import { installAnalyzerSecretnessHook } from "../../../policy-pack/secrets/secretness";
import { githubToken, randomText } from "./fakeCredentials";

// The analyzer server's handlers (internal to @pulumi/policy, exported from its server module).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("@pulumi/policy/server") as {
    makeAnalyzeRpcFun(
        pack: string,
        version: string,
        level: string,
        policies: ResourceValidationPolicy[],
    ): (call: unknown, cb: (err: unknown, resp: any) => void) => Promise<void>;
};

/** A secret as the engine puts it on the wire. */
const wireSecret = (value: unknown) => ({ [rpc.specialSigKey]: rpc.specialSecretSig, value });

interface Diagnostic {
    message: string;
    mandatory: boolean;
}

/** Runs `policies` through the analyzer's Analyze handler for one resource. */
async function analyze(
    policies: ResourceValidationPolicy[],
    type: string,
    name: string,
    props: Record<string, unknown>,
): Promise<Diagnostic[]> {
    const req = new analyzerproto.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:prod::zdp::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props as never));
    req.setOptions(new analyzerproto.AnalyzerResourceOptions());
    const handler = server.makeAnalyzeRpcFun("zero-downtime-policies", "0.1.0", "mandatory", policies);
    const resp = await new Promise<any>((resolve, reject) =>
        handler({ request: req }, (err, r) => (err ? reject(err) : resolve(r))),
    );
    return resp.getDiagnosticsList().map((d: any) => ({
        message: d.getMessage(),
        mandatory: d.getEnforcementlevel() === analyzerproto.EnforcementLevel.MANDATORY,
    }));
}

describe("secrets: secretness under the Pulumi analyzer", () => {
    before(() => assert.equal(installAnalyzerSecretnessHook(), true, "the hook could not be installed"));

    it("@pulumi/policy hands validateResource secret values unwrapped, with no mark (why the hook exists)", async () => {
        const seen: unknown[] = [];
        const probe: ResourceValidationPolicy = {
            name: "probe",
            description: "records what it sees",
            enforcementLevel: "advisory",
            validateResource: (args) => {
                seen.push(args.props.stringData.token);
            },
        };
        const token = randomText(24);
        await analyze([probe], "kubernetes:core/v1:Secret", "app", {
            metadata: { name: "app" },
            stringData: wireSecret({ token }),
        });
        // Plain string: other policies see exactly what they saw before the hook.
        assert.deepEqual(seen, [token]);
    });

    it("passes a Secret whose data the engine marks secret", async () => {
        const props = {
            metadata: { name: "app", namespace: "shop" },
            stringData: wireSecret({ token: githubToken() }),
        };
        assert.deepEqual(await analyze([noPlaintextCredentials], "kubernetes:core/v1:Secret", "app", props), []);
    });

    it("fails, at preview, a Secret value the engine sends unmarked, though it does not look like a credential", async () => {
        const props = {
            metadata: { name: "app", namespace: "shop" },
            stringData: { password: randomText(20), user: wireSecret("svc") },
        };
        const diags = await analyze([noPlaintextCredentials], "kubernetes:core/v1:Secret", "app", props);
        assert.equal(diags.length, 1, JSON.stringify(diags));
        assert.ok(diags[0].mandatory);
        assert.match(diags[0].message, /Secret shop\/app: stringData\.password is not a Pulumi secret/);
    });

    it("fails a Pulumi secret that reaches a ConfigMap or a literal env value", async () => {
        const cm = await analyze([noPlaintextCredentials], "kubernetes:core/v1:ConfigMap", "cfg", {
            metadata: { name: "cfg", namespace: "shop" },
            data: { "webhook-url": wireSecret(randomText(30)), level: "info" },
        });
        assert.equal(cm.length, 1);
        assert.match(cm[0].message, /data\["webhook-url"\] holds a Pulumi secret/);
        const value = randomText(30);
        const deploy = await analyze([noPlaintextCredentials], "kubernetes:apps/v1:Deployment", "web", {
            metadata: { name: "web", namespace: "shop" },
            spec: {
                template: {
                    spec: { containers: [{ name: "app", env: [{ name: "HOOK", value: wireSecret(value) }] }] },
                },
            },
        });
        assert.equal(deploy.length, 1);
        assert.match(deploy[0].message, /env\[0\] \(HOOK\)\.value holds a Pulumi secret/);
        assert.ok(!deploy[0].message.includes(value));
    });
});
