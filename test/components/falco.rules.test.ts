/**
 * Falco without noise: the platform's rules as every stack renders them (the chart's `customRules` YAML, parsed), the
 * shell rule's exception for the releases' smoke tests derived from the rendered AnalysisTemplates, and what the
 * exception matches: a smoke test's shell does not fire, a shell in an application pod still does.
 */
import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { RELEASE_CHECK_LABEL } from "../../components/blueGreenService/constants";
import {
    checkReleaseCheck,
    imageRepository,
    PLATFORM_RULES_FILE,
    platformRules,
    RELEASE_CHECK_LABEL_FIELD,
} from "../../components/falco";
import { RenderedStack, renderedStack, stackNames } from "../helpers/renderedStack";

type Entry = Record<string, any>;
type Exception = { name: string; fields: string[]; comps: string[]; values: string[][] };

/** What Falco knows of a process start in a container: the fields the rules and the exception read. */
type Event = Record<string, string>;

const SHELL_RULE = "Platform shell spawned in a service container";
/** Operators Falco accepts in an exception's `comps`. */
const FALCO_COMPS = [
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "intersects",
    "pmatch",
    "contains",
    "icontains",
    "startswith",
    "endswith",
    "glob",
];
/** A Kubernetes label key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
const LABEL_KEY =
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** The Falco fields the exception may use: the namespace, a pod label by key, the image repository. */
function isFalcoField(field: string): boolean {
    if (field === "k8s.ns.name" || field === "container.image.repository") return true;
    const label = /^k8s\.pod\.label\[(.+)\]$/.exec(field);
    return label !== null && LABEL_KEY.test(label[1]);
}

/** Falco's exception semantics for `=` comparisons: the event is excepted when one tuple matches on every field. */
function excepted(exception: Exception, event: Event): boolean {
    return exception.values.some((tuple) =>
        tuple.every((value, i) => exception.comps[i] === "=" && event[exception.fields[i]] === value),
    );
}

/** The event of a container of a pod template starting its first command. */
function startEvent(ns: string, labels: Record<string, string>, container: Entry): Event {
    const event: Event = {
        "k8s.ns.name": ns,
        "container.image.repository": imageRepository(container.image),
        "proc.name": String(container.command?.[0] ?? "")
            .split("/")
            .pop()!,
    };
    for (const [k, v] of Object.entries(labels)) event[`k8s.pod.label[${k}]`] = v;
    return event;
}

function rulesOf(stack: RenderedStack): Entry[] {
    const values = stack.get("kubernetes:helm.sh/v4:Chart", "falco-chart").inputs.values;
    return parse(values.customRules[PLATFORM_RULES_FILE]);
}

/** Every release-check Job pod the render declares: namespace, pod labels, containers. */
function releaseCheckPods(stack: RenderedStack) {
    return stack.manifests
        .filter((m) => m.object.kind === "AnalysisTemplate")
        .flatMap((m) =>
            ((m.object as any).spec.metrics as Entry[])
                .filter((metric) => metric.provider?.job)
                .map((metric) => ({
                    ns: m.object.metadata!.namespace as string,
                    template: metric.provider.job.spec.template,
                })),
        )
        .filter(({ template }) => template.metadata?.labels?.[RELEASE_CHECK_LABEL] !== undefined);
}

describe("Falco platform rules, as rendered", function () {
    this.timeout(300_000);
    let stacks: RenderedStack[];
    before(async () => {
        stacks = await Promise.all(stackNames().map((s) => renderedStack(s)));
    });

    it("are well-formed Falco lists and rules; only the shell rule carries an exception", () => {
        for (const stack of stacks) {
            const rules = rulesOf(stack);
            assert.ok(rules.length > 0, stack.stack);
            for (const r of rules) {
                assert.ok("list" in r !== "rule" in r, JSON.stringify(r));
                if ("list" in r) assert.ok(Array.isArray(r.items), r.list);
                else {
                    for (const k of ["desc", "condition", "output", "priority"]) assert.equal(typeof r[k], "string");
                    assert.equal("exceptions" in r, r.rule === SHELL_RULE, `${stack.stack}: ${r.rule}`);
                }
            }
        }
    });

    it("the shell rule's exception is a valid Falco exception on namespace, release-check label and image repository", () => {
        for (const stack of stacks) {
            const [exception]: Exception[] = rulesOf(stack).find((r) => r.rule === SHELL_RULE)!.exceptions;
            assert.equal(typeof exception.name, "string");
            assert.deepEqual(exception.fields, [
                "k8s.ns.name",
                RELEASE_CHECK_LABEL_FIELD,
                "container.image.repository",
            ]);
            for (const f of exception.fields) assert.ok(isFalcoField(f), `${f} is not a Falco field`);
            assert.equal(exception.comps.length, exception.fields.length);
            for (const c of exception.comps) assert.ok(FALCO_COMPS.includes(c), c);
            assert.ok(exception.values.length > 0, stack.stack);
            for (const v of exception.values) {
                assert.equal(v.length, exception.fields.length, JSON.stringify(v));
                for (const x of v)
                    assert.ok(typeof x === "string" && x.length > 0 && !/[\s@]/.test(x), JSON.stringify(v));
            }
        }
    });

    it("excepts exactly the release-check pods that run a shell: their namespace, label value and image repository", () => {
        for (const stack of stacks) {
            const rule = rulesOf(stack).find((r) => r.rule === SHELL_RULE)!;
            const shells: string[] = rulesOf(stack).find((r) => r.list === "platform_shells")!.items;
            const expected = new Set<string>();
            for (const { ns, template } of releaseCheckPods(stack)) {
                for (const c of template.spec.containers) {
                    const event = startEvent(ns, template.metadata.labels, c);
                    if (shells.includes(event["proc.name"])) {
                        expected.add(
                            JSON.stringify([
                                ns,
                                template.metadata.labels[RELEASE_CHECK_LABEL],
                                event["container.image.repository"],
                            ]),
                        );
                    }
                }
            }
            assert.ok(expected.size > 0, `${stack.stack}: a smoke test runs a shell`);
            assert.deepEqual(
                rule.exceptions[0].values.map((v: string[]) => JSON.stringify(v)).sort(),
                [...expected].sort(),
                stack.stack,
            );
        }
    });

    it("a smoke test's shell is excepted; a shell in an application pod is not, even with the label or the image", () => {
        for (const stack of stacks) {
            const exception: Exception = rulesOf(stack).find((r) => r.rule === SHELL_RULE)!.exceptions[0];
            const smoke = releaseCheckPods(stack).find(({ template }) =>
                template.spec.containers.some((c: Entry) => c.command?.[0] === "/bin/sh"),
            )!;
            const smokeContainer = smoke.template.spec.containers[0];
            const smokeEvent = startEvent(smoke.ns, smoke.template.metadata.labels, smokeContainer);
            assert.equal(smokeEvent["proc.name"], "sh");
            assert.ok(excepted(exception, smokeEvent), `${stack.stack}: the smoke test's shell`);

            const rollouts = stack.manifests.filter((m) => m.object.kind === "Rollout");
            assert.ok(rollouts.length > 0);
            for (const r of rollouts) {
                const ns = r.object.metadata!.namespace as string;
                const pod = (r.object as any).spec.template;
                const app = (c: Entry) => startEvent(ns, pod.metadata?.labels ?? {}, { ...c, command: ["/bin/sh"] });
                for (const c of pod.spec.containers) {
                    const name = `${stack.stack} ${ns}/${r.object.metadata!.name}`;
                    assert.ok(!excepted(exception, app(c)), `${name}: an application shell`);
                    // The label is no pass: an application pod that sets it still fires.
                    const labelled = {
                        ...app(c),
                        [RELEASE_CHECK_LABEL_FIELD]: smoke.template.metadata.labels[RELEASE_CHECK_LABEL],
                    };
                    assert.ok(!excepted(exception, labelled), `${name}: labelled application shell`);
                    // Nor is the image: the smoke image without the label, or in another namespace, fires.
                    assert.ok(!excepted(exception, { ...smokeEvent, [RELEASE_CHECK_LABEL_FIELD]: "" }), "image only");
                    assert.ok(!excepted(exception, { ...smokeEvent, "k8s.ns.name": "default" }), "other namespace");
                }
            }
        }
    });
});

describe("Falco release-check exception helpers", () => {
    it("imageRepository drops tag and digest and qualifies Docker Hub names as the runtime reports them", () => {
        assert.equal(
            imageRepository("registry.example.com/platform/smoke-curl@sha256:abc"),
            "registry.example.com/platform/smoke-curl",
        );
        assert.equal(imageRepository("registry.example.com:5000/a/b:1.2@sha256:abc"), "registry.example.com:5000/a/b");
        assert.equal(imageRepository("curlimages/curl:8.11.0"), "docker.io/curlimages/curl");
        assert.equal(imageRepository("busybox"), "docker.io/library/busybox");
        assert.equal(imageRepository("localhost/x:1"), "localhost/x");
    });

    it("platformRules adds no exception without release checks, and one tuple per distinct check", () => {
        const shell = (checks: Parameters<typeof platformRules>[1]) =>
            platformRules(["shop"], checks).find((r) => r.rule === SHELL_RULE)!;
        assert.equal("exceptions" in shell([]), false);
        const c = { namespace: "shop", service: "checkout", image: "registry.example.com/p/smoke@sha256:1" };
        assert.deepEqual((shell([c, { ...c, image: "registry.example.com/p/smoke:2" }]) as any).exceptions[0].values, [
            ["shop", "checkout", "registry.example.com/p/smoke"],
        ]);
    });

    it("checkReleaseCheck names a namespace outside the watched ones, a bad service name and a bad image", () => {
        const problems = (c: any) => checkReleaseCheck("releaseChecks[0]", c, ["shop"]).filter(Boolean);
        assert.deepEqual(problems({ namespace: "shop", service: "checkout", image: "r.example.com/s@sha256:1" }), []);
        assert.match(
            problems({ namespace: "kube-system", service: "x", image: "r/s" }).join(),
            /not one of serviceNamespaces/,
        );
        assert.match(
            problems({ namespace: "shop", service: "Bad_Name", image: "r/s" }).join(),
            /releaseChecks\[0\]\.service/,
        );
        assert.match(
            problems({ namespace: "shop", service: "x", image: "has space" }).join(),
            /releaseChecks\[0\]\.image/,
        );
    });
});
