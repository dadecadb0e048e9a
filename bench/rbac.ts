/**
 * Benchmark: how much checking costs compared with parsing. Generates N (default 10,000) RBAC and workload objects
 * as one multi-document YAML stream, then times
 *   - parse: the checker's own manifest reader (YAML -> objects with file/line), and
 *   - check: the offline engine running every policy of the pack (resource and stack) over the parsed objects,
 * and prints objects/second for each and the ratio check/parse. The goal is check <= 2x parse.
 *
 *   npm run bench:policy -- [--objects N] [--runs R] [--config FILE]
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { PolicyEngine } from "../policy-pack/lib/engine";
import { parseManifests } from "../policy-pack/lib/manifests";

/** One of six object shapes per index: Role, RoleBinding, ClusterRole, ServiceAccount, Deployment, Rollout. */
function objectYaml(i: number): string {
    const ns = `team-${i % 50}`;
    switch (i % 6) {
        case 0:
            return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role-${i}, namespace: ${ns}}
rules:
  - apiGroups: [""]
    resources: [configmaps, services]
    verbs: [get, list, watch${i % 12 === 0 ? ", create" : ""}]
  - apiGroups: ["argoproj.io"]
    resources: [rollouts]
    verbs: [get, list, watch, patch]
  - apiGroups: [""]
    resources: [secrets]
    resourceNames: [app-${i}]
    verbs: [get]
`;
        case 1:
            return `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: binding-${i}, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role-${i - 1}}
subjects:
  - {kind: ServiceAccount, name: sa-${i + 2}, namespace: ${ns}}
`;
        case 2:
            return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cluster-role-${i}
  labels: {${i % 10 === 2 ? '"rbac.authorization.k8s.io/aggregate-to-view": "true"' : `app: a${i}`}}
rules:
  - apiGroups: ["", "apps"]
    resources: [pods, deployments, replicasets]
    verbs: [get, list, watch]
  - nonResourceURLs: ["/metrics"]
    verbs: [get]
`;
        case 3:
            return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa-${i}
  namespace: ${ns}
  labels: {app: a${i}}
automountServiceAccountToken: false
`;
        case 4:
            return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${i}, namespace: ${ns}, labels: {app: web-${i}}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web-${i}}}
  template:
    metadata: {labels: {app: web-${i}}}
    spec:
      serviceAccountName: sa-${i - 1}
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.com/web@sha256:${"0".repeat(64)}
          ports: [{containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
`;
        default:
            return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: shop-${i}, namespace: ${ns}}
spec:
  replicas: 3
  selector: {matchLabels: {app: shop-${i}}}
  strategy:
    canary:
      steps: [{setWeight: 20}, {pause: {duration: 60}}, {setWeight: 50}]
  template:
    metadata: {labels: {app: shop-${i}}}
    spec:
      serviceAccountName: ${i % 30 === 5 ? "default" : `sa-${i - 2}`}
      automountServiceAccountToken: false
      containers:
        - name: shop
          image: registry.example.com/shop@sha256:${"1".repeat(64)}
`;
    }
}

export function generate(n: number): string {
    const docs: string[] = [];
    for (let i = 0; i < n; i++) docs.push(objectYaml(i));
    return docs.join("---\n");
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            objects: { type: "string", default: "10000" },
            runs: { type: "string", default: "5" },
            config: { type: "string" },
        },
    });
    const n = Number(values.objects);
    const runs = Number(values.runs);
    if (!Number.isInteger(n) || n < 6 || !Number.isInteger(runs) || runs < 1) {
        throw new Error("--objects must be an integer >= 6 and --runs an integer >= 1");
    }
    const config = values.config ? JSON.parse(fs.readFileSync(values.config, "utf8")) : {};
    const text = generate(n);
    const engine = new PolicyEngine({ config });

    // One warm-up round so that both phases run JIT-compiled code.
    let violations = (await engine.check(parseManifests(text, "bench.yaml"))).length;

    const parseMs: number[] = [];
    const checkMs: number[] = [];
    for (let r = 0; r < runs; r++) {
        const t0 = process.hrtime.bigint();
        const objects = parseManifests(text, "bench.yaml");
        const t1 = process.hrtime.bigint();
        violations = (await engine.check(objects)).length;
        const t2 = process.hrtime.bigint();
        parseMs.push(Number(t1 - t0) / 1e6);
        checkMs.push(Number(t2 - t1) / 1e6);
    }
    const parse = median(parseMs);
    const check = median(checkMs);
    const rate = (ms: number) => Math.round((n / ms) * 1000).toLocaleString("en-US");
    const ratio = check / parse;
    const policies = engine.policies.filter((p) => p.enforcementLevel !== "disabled").length;
    process.stdout.write(
        [
            `objects:            ${n.toLocaleString("en-US")} (${(text.length / 1024 / 1024).toFixed(1)} MiB of YAML), ${policies} policies, median of ${runs} runs`,
            `parse:              ${parse.toFixed(1)} ms  (${rate(parse)} objects/s)`,
            `check:              ${check.toFixed(1)} ms  (${rate(check)} objects/s)`,
            `parse + check:      ${(parse + check).toFixed(1)} ms  (${rate(parse + check)} objects/s)`,
            `check / parse:      ${ratio.toFixed(2)}x  (goal <= 2x: ${ratio <= 2 ? "met" : "NOT met"})`,
            `violations found:   ${violations}`,
            "",
        ].join("\n"),
    );
}

if (require.main === module) {
    main().catch((e: unknown) => {
        process.stderr.write(`bench:policy: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
    });
}
