/**
 * The migrations builder (components/blueGreenService/migrations.ts): what it refuses, the Jobs it builds, the
 * contract's guard script (run by /bin/sh against a stand-in curl) and the guard's PromQL (against a real Prometheus
 * holding kube-state-metrics series).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    checkMigrations,
    GUARD_INTERVAL_SECONDS,
    GUARD_LOOKBACK_SECONDS,
    GUARD_TRIES,
    MIGRATION_DEFAULTS,
    MIGRATION_JOBS_ANNOTATION,
    GUARD_MAX_SECONDS,
    MIGRATION_PHASE_LABEL,
    MIGRATION_SERVICE_LABEL,
    migrationHash,
    migrationJob,
    MigrationJobContext,
    migrationJobName,
    migrationSettings,
    MigrationsArgs,
    RELEASE_IMAGE_ANNOTATION,
    REPLACE_UNREADY_ANNOTATION,
    RETIRED_IMAGE_ANNOTATION,
    RETIRED_VERSION_GUARD_SCRIPT,
    retiredImageQuery,
} from "../../../components/blueGreenService/migrations";
import { BlueGreenService } from "../../../components/blueGreenService";
import { releaseResources } from "../../../components/blueGreenService/resources";
import { releaseSettings } from "../../../components/blueGreenService/settings";
import { parse } from "yaml";
import { assertArgError, mockSession, plaintextOccurrences } from "../../helpers/components";
import { REPO_ROOT, runRenderCli } from "../../helpers/renderedStack";
import { PrometheusServer, requireTool } from "../../tools/gates/tools";
import { blueGreen, IMAGE, SMOKE_IMAGE } from "./helpers";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const APP = `registry.example.com/shop/checkout@${digest("a")}`;
const OLD = `registry.example.com/shop/checkout@${digest("b")}`;
const MIGRATE = `registry.example.com/shop/checkout-migrations@${digest("c")}`;
const SMOKE = `registry.example.com/platform/smoke-curl@${digest("d")}`;
const f = (p: string) => `zdp:services[0] (shop/checkout).${p}`;
const ctx = { image: APP, secretEnv: { DATABASE_URL: "x", API_KEY: "y" }, smokeTestImage: SMOKE };

const expand: MigrationsArgs = { image: MIGRATE, expand: { command: ["/migrate", "expand"] } };
const contract: MigrationsArgs = {
    image: MIGRATE,
    contract: { command: ["/migrate", "contract"], retiredImage: OLD },
};

describe("checkMigrations", () => {
    it("accepts an expand, and a contract of an earlier version, with the service's secrets", () => {
        assert.deepEqual(checkMigrations(expand, ctx, f), []);
        assert.deepEqual(checkMigrations({ ...contract, secretEnv: ["DATABASE_URL"] }, ctx, f), []);
        assert.deepEqual(checkMigrations(undefined, ctx, f), []);
    });

    it("refuses an expand and a contract in one release, naming the field and the fix", () => {
        const errors = checkMigrations({ ...expand, contract: contract.contract }, ctx, f);
        assert.equal(errors.length, 1);
        assert.match(errors[0], /^zdp:services\[0\] \(shop\/checkout\)\.migrations\.contract is in the same release/);
        assert.match(errors[0], /contract in a later release/);
    });

    it("refuses a contract that retires the release's own image", () => {
        const errors = checkMigrations({ ...contract, contract: { ...contract.contract!, retiredImage: APP } }, ctx, f);
        assert.equal(errors.length, 1);
        assert.match(errors[0], /migrations\.contract\.retiredImage is this release's own image/);
    });

    it("refuses tags where digests are required", () => {
        const tagged = "registry.example.com/shop/checkout:1.2";
        const errors = checkMigrations(
            { ...contract, image: tagged, contract: { ...contract.contract!, retiredImage: tagged } },
            ctx,
            f,
        );
        assert.ok(errors.some((e) => e.startsWith(f("migrations.image must be pinned by digest"))));
        assert.ok(errors.some((e) => e.startsWith(f("migrations.contract.retiredImage must be pinned by digest"))));
    });

    it("gives migrations only secrets of the service's own secretEnv, each once", () => {
        const errors = checkMigrations(
            { ...expand, secretEnv: ["DATABASE_URL", "ROOT_PASSWORD", "DATABASE_URL"] },
            ctx,
            f,
        );
        assert.equal(errors.length, 2, errors.join("\n"));
        assert.match(
            errors[0],
            /secretEnv\[1\] "ROOT_PASSWORD" is not a variable of .*secretEnv \(known: DATABASE_URL, API_KEY\)/,
        );
        assert.match(errors[1], /secretEnv\[2\] "DATABASE_URL" is listed twice/);
        const none = checkMigrations({ ...expand, secretEnv: ["DATABASE_URL"] }, { ...ctx, secretEnv: undefined }, f);
        assert.match(none[0], /it has none/);
    });

    it("needs a step, a command, known fields, and bounded timeouts", () => {
        assert.match(checkMigrations({ image: MIGRATE }, ctx, f)[0], /has neither expand nor contract/);
        assert.match(
            checkMigrations({ ...expand, expand: { command: [] } }, ctx, f)[0],
            /expand\.command must be a list of 1 to 64/,
        );
        assert.match(checkMigrations({ ...expand, expand: { command: ["a", ""] } }, ctx, f)[0], /expand\.command\[1\]/);
        assert.match(
            checkMigrations({ ...expand, retries: 2 } as MigrationsArgs, ctx, f)[0],
            /migrations\.retries is not a known field/,
        );
        assert.match(checkMigrations({ ...expand, timeoutSeconds: 5 }, ctx, f)[0], /timeoutSeconds must be an integer/);
        assert.match(checkMigrations({ ...expand, backoffLimit: 9 }, ctx, f)[0], /backoffLimit must be an integer/);
        assert.match(checkMigrations("expand", ctx, f)[0], /migrations must be an object/);
    });

    it("leaves the contract's guard time to run within its deadline", () => {
        const errors = checkMigrations({ ...contract, timeoutSeconds: GUARD_MAX_SECONDS }, ctx, f);
        assert.equal(errors.length, 1);
        assert.match(
            errors[0],
            new RegExp(`timeoutSeconds \\(${GUARD_MAX_SECONDS}\\) must be at least ${GUARD_MAX_SECONDS + 60}`),
        );
        assert.deepEqual(checkMigrations({ ...contract, timeoutSeconds: GUARD_MAX_SECONDS + 60 }, ctx, f), []);
    });

    it("needs an image for the guard when the service has no smoke test image", () => {
        const errors = checkMigrations(contract, { ...ctx, smokeTestImage: undefined }, f);
        assert.match(errors[0], /migrations\.guardImage is required with a contract/);
        assert.deepEqual(
            checkMigrations({ ...contract, guardImage: SMOKE }, { ...ctx, smokeTestImage: undefined }, f),
            [],
        );
    });
});

describe("migration Jobs", () => {
    const jobCtx: MigrationJobContext = {
        service: "checkout",
        namespace: "shop",
        releaseImage: APP,
        runAsUser: 65532,
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        secretName: "checkout-env",
        prometheusAddress: "http://prometheus.example.test:9090",
    };

    it("applies the defaults", () => {
        const s = migrationSettings({ ...contract, secretEnv: ["B", "A"] }, SMOKE)!;
        assert.equal(s.timeoutSeconds, 600);
        assert.equal(s.backoffLimit, 0);
        assert.equal(s.guardImage, SMOKE);
        assert.deepEqual(s.secretEnv, ["A", "B"]);
        assert.deepEqual(s.steps, [
            { phase: "contract", command: ["/migrate", "contract"], args: [], retiredImage: OLD },
        ]);
        assert.equal(migrationSettings(expand, SMOKE)!.guardImage, undefined);
        assert.equal(migrationSettings(undefined, SMOKE), undefined);
    });

    it("an expand Job runs as the service pods do, with no token, no sidecar and only its listed secrets", () => {
        const s = migrationSettings({ ...expand, secretEnv: ["DATABASE_URL"] }, SMOKE)!;
        const job = migrationJob(s, s.steps[0], jobCtx) as any;
        assert.match(job.metadata.name, /^checkout-expand-[0-9a-f]{10}$/);
        assert.equal(job.metadata.annotations[REPLACE_UNREADY_ANNOTATION], "true");
        assert.equal(job.metadata.annotations[RETIRED_IMAGE_ANNOTATION], undefined);
        assert.equal(job.metadata.labels[MIGRATION_PHASE_LABEL], "expand");
        const pod = job.spec.template;
        assert.equal(pod.metadata.labels.app, undefined, "no release NetworkPolicy may select a migration pod");
        assert.equal(pod.metadata.labels[MIGRATION_SERVICE_LABEL], "checkout");
        assert.equal(pod.metadata.labels["sidecar.istio.io/inject"], "false");
        assert.equal(pod.spec.serviceAccountName, "checkout-migrations");
        assert.equal(pod.spec.automountServiceAccountToken, false);
        assert.equal(pod.spec.securityContext.runAsNonRoot, true);
        assert.equal(pod.spec.initContainers, undefined);
        const [c] = pod.spec.containers;
        assert.equal(c.image, MIGRATE);
        assert.deepEqual(c.command, ["/migrate", "expand"]);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.resources.limits, { cpu: "500m", memory: "256Mi" });
        assert.deepEqual(c.env, [
            { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "checkout-env", key: "DATABASE_URL" } } },
        ]);
        assert.equal(job.spec.activeDeadlineSeconds, 600);
        assert.equal(job.spec.backoffLimit, 0);
    });

    it("a contract Job starts with the guard, and records the version it retires", () => {
        const s = migrationSettings(contract, SMOKE)!;
        const job = migrationJob(s, s.steps[0], jobCtx) as any;
        assert.match(job.metadata.name, /^checkout-contract-[0-9a-f]{10}$/);
        assert.equal(job.metadata.annotations[RETIRED_IMAGE_ANNOTATION], OLD);
        const [guard] = job.spec.template.spec.initContainers;
        assert.equal(guard.image, SMOKE);
        assert.deepEqual(guard.command, ["/bin/sh", "-c", RETIRED_VERSION_GUARD_SCRIPT]);
        const env = Object.fromEntries(guard.env.map((e: any) => [e.name, e.value]));
        assert.equal(env.GUARD_QUERY, retiredImageQuery("shop", OLD));
        assert.equal(env.PROMETHEUS_URL, "http://prometheus.example.test:9090");
        assert.equal(guard.securityContext.readOnlyRootFilesystem, true);
        assert.ok(guard.resources.limits.memory);
    });

    it("names a Job per release: the same release hashes the same, another app image or command does not", () => {
        const s = migrationSettings(expand, SMOKE)!;
        const h = migrationHash("checkout", "shop", s, s.steps[0], APP);
        assert.equal(migrationHash("checkout", "shop", s, s.steps[0], APP), h);
        assert.notEqual(migrationHash("checkout", "shop", s, s.steps[0], OLD), h);
        const other = migrationSettings({ ...expand, expand: { command: ["/migrate", "up"] } }, SMOKE)!;
        assert.notEqual(migrationHash("checkout", "shop", other, other.steps[0], APP), h);
        const otherImage = migrationSettings({ ...expand, image: SMOKE }, SMOKE)!;
        assert.notEqual(migrationHash("checkout", "shop", otherImage, otherImage.steps[0], APP), h);
    });

    it("keeps Job names within a label value's 63 characters", () => {
        const long = `a${"-b".repeat(24)}c`; // 50 characters, the longest service name
        const name = migrationJobName(long, "contract", "0123456789");
        assert.ok(name.length <= 63, name);
        assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        assert.ok(name.endsWith("-contract-0123456789"));
    });
});

describe("the contract's guard script", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdp-guard-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the guard with a curl that answers `bodies` in turn (an empty one: curl fails) and records each query. */
    function runGuard(bodies: string[]): { code: number | null; stdout: string; calls: string[] } {
        const bin = fs.mkdtempSync(path.join(dir, "bin-"));
        const log = path.join(bin, "calls");
        fs.writeFileSync(log, "");
        bodies.forEach((b, i) => fs.writeFileSync(path.join(bin, `body-${i + 1}`), b));
        fs.writeFileSync(
            path.join(bin, "curl"),
            [
                "#!/bin/sh",
                `echo "$*" >> "${log}"`,
                `n=$(wc -l < "${log}")`,
                `f="${bin}/body-$n"`,
                '[ -s "$f" ] || exit 22',
                'cat "$f"',
            ].join("\n"),
            { mode: 0o755 },
        );
        const r = spawnSync("/bin/sh", ["-c", RETIRED_VERSION_GUARD_SCRIPT], {
            encoding: "utf8",
            env: {
                PATH: `${bin}:/usr/bin:/bin`,
                PROMETHEUS_URL: "http://prometheus.example.test:9090",
                GUARD_QUERY: retiredImageQuery("shop", OLD),
                RETIRED_IMAGE: OLD,
                GUARD_TRIES: "3",
                GUARD_INTERVAL: "0",
                GUARD_QUERY_TIMEOUT: "1",
                GUARD_LOOKBACK_SECONDS: String(GUARD_LOOKBACK_SECONDS),
            },
            timeout: 10_000,
        });
        return { code: r.status, stdout: r.stdout, calls: fs.readFileSync(log, "utf8").trim().split("\n") };
    }
    const empty = '{"status":"success","data":{"resultType":"vector","result":[]}}';
    const safe = '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"2"]}]}}';

    it("passes once Prometheus answers with a sample, asking it the guard's query", () => {
        const r = runGuard([empty, safe]);
        assert.equal(r.code, 0, r.stdout);
        assert.equal(r.calls.length, 2);
        assert.match(r.calls[0], /--get --data-urlencode query=\(count\(kube_pod_container_info/);
        assert.match(r.calls[0], /http:\/\/prometheus\.example\.test:9090\/api\/v1\/query$/);
        assert.match(r.stdout, /^WAIT try 1 of 3/m);
        assert.match(r.stdout, /^PASS /m);
    });

    it("fails after its tries while the retired version may run", () => {
        const r = runGuard([empty, empty, empty, safe]);
        assert.equal(r.code, 1);
        assert.equal(r.calls.length, 3, "bounded tries");
        assert.match(r.stdout, /^FAIL the retired version .* did not run/m);
    });

    it("fails closed when Prometheus cannot be asked or gives an error", () => {
        assert.equal(runGuard(["", "", ""]).code, 1);
        const error = '{"status":"error","errorType":"bad_data","error":"parse error","result":[{"x":1}]}';
        assert.equal(runGuard([error, error, error]).code, 1);
    });
});

describe("the contract's guard query against a real Prometheus", function () {
    this.timeout(60_000);
    const STEP = 15;
    let prometheus: PrometheusServer | undefined;
    let end = 0;
    const image = (c: string) => `registry.example.com/shop/checkout@${digest(c)}`;

    /** kube_pod_container_info of one container from `from` to `to` (seconds). */
    function series(labels: Record<string, string>, from: number, to: number): string {
        const l = Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(",");
        const lines: string[] = [];
        for (let t = from; t <= to; t += STEP) lines.push(`kube_pod_container_info{${l}} 1 ${t}`);
        return lines.join("\n");
    }

    before(async function () {
        requireTool(this, "prometheus", "apt-get install prometheus");
        requireTool(this, "promtool", "apt-get install prometheus");
        end = Math.floor(Date.now() / 1000 / STEP) * STEP - 600;
        const start = end - 900;
        const pod = (ns: string, name: string, img: string, imageId = `docker-pullable://${img}`) => ({
            namespace: ns,
            pod: name,
            container: "checkout",
            image_spec: img,
            image: img,
            image_id: imageId,
        });
        const text = [
            "# TYPE kube_pod_container_info gauge",
            // The version in service, up to the end: kube-state-metrics reports the namespace.
            series(pod("shop", "current", image("a")), start, end),
            // Still running at the end.
            series(pod("shop", "running", image("b")), start, end),
            // Gone two minutes before the end: within the lookback.
            series(pod("shop", "recent", image("c")), start, end - 120),
            // Gone long before the end.
            series(pod("shop", "gone", image("d")), start, end - GUARD_LOOKBACK_SECONDS - 120),
            // Written by tag in the pod spec; only the resolved digest names it.
            series(
                pod(
                    "other",
                    "by-digest",
                    "registry.example.com/shop/checkout:1.2",
                    `registry.example.com/shop/checkout@${digest("e")}`,
                ),
                start,
                end,
            ),
            "# EOF",
            "",
        ].join("\n");
        prometheus = await PrometheusServer.start({ openMetrics: text });
    });
    after(() => prometheus?.stop());

    const mayRun = async (namespace: string, retired: string) =>
        (await prometheus!.query(retiredImageQuery(namespace, retired), end)).length > 0;

    it("lets the contract run only when no pod has run the retired image within the lookback", async () => {
        assert.equal(await mayRun("shop", image("f")), true, "never ran");
        assert.equal(await mayRun("shop", image("d")), true, "gone long ago");
        assert.equal(await mayRun("shop", image("b")), false, "still running");
        assert.equal(await mayRun("shop", image("c")), false, "gone within the lookback");
        assert.equal(await mayRun("shop", image("e")), false, "running, named by tag, found by digest");
    });

    it("fails closed when kube-state-metrics does not report the namespace", async () => {
        assert.equal(await mayRun("payments", image("f")), false);
    });
});

describe("BlueGreenService with migrations", () => {
    const T = {
        Job: "kubernetes:batch/v1:Job",
        Rollout: "kubernetes:argoproj.io/v1alpha1:Rollout",
        ServiceAccount: "kubernetes:core/v1:ServiceAccount",
        Secret: "kubernetes:core/v1:Secret",
    };
    const withExpand = blueGreen({
        secretEnv: { DATABASE_URL: "postgresql://app@db.example.test/app", API_KEY: "k" },
        migrations: { image: MIGRATE, secretEnv: ["DATABASE_URL"], expand: { command: ["/migrate", "expand"] } },
    });

    it("runs the expand Job before the Rollout changes: the Rollout depends on it and names it", async () => {
        const session = await mockSession();
        new BlueGreenService("app", withExpand);
        await session.settle();
        const job = session.get(T.Job, "app-migrate-expand");
        const sa = session.get(T.ServiceAccount, "app-migrations-sa");
        const rollout = session.get(T.Rollout, "app-rollout");
        assert.ok(rollout.dependsOn.includes(job.urn), "the Rollout waits for the expand Job");
        assert.equal(rollout.inputs.metadata.annotations[MIGRATION_JOBS_ANNOTATION], job.inputs.metadata.name);
        assert.match(job.inputs.metadata.name, /^app-expand-[0-9a-f]{10}$/);
        assert.ok(job.dependsOn.includes(sa.urn), "the Job needs its ServiceAccount");
        assert.ok(job.dependsOn.includes(session.get(T.Secret, "app-env").urn), "and the Secret it reads");
        assert.equal(sa.inputs.metadata.name, "app-migrations");
        assert.equal(sa.inputs.automountServiceAccountToken, false);
        const pod = job.inputs.spec.template.spec;
        assert.equal(pod.serviceAccountName, "app-migrations");
        assert.deepEqual(
            pod.containers[0].env.map((e: any) => e.name),
            ["DATABASE_URL"],
            "only the listed secret, by reference",
        );
        assert.equal(plaintextOccurrences(session.resources, "db.example.test").length, 0);
        assert.equal(job.inputs.metadata.annotations[RELEASE_IMAGE_ANNOTATION], IMAGE);
    });

    it("a re-run of the same release registers the same Job; a new image is a new one", async () => {
        const names: string[] = [];
        for (const image of [IMAGE, IMAGE, OLD]) {
            const session = await mockSession();
            new BlueGreenService("app", { ...withExpand, image });
            await session.settle();
            names.push(session.get(T.Job, "app-migrate-expand").inputs.metadata.name);
        }
        assert.equal(names[0], names[1]);
        assert.notEqual(names[0], names[2]);
    });

    it("runs a contract with its guard, waiting for it as long as the Job may run", async () => {
        const session = await mockSession();
        new BlueGreenService(
            "app",
            blueGreen({
                migrations: { image: MIGRATE, contract: { command: ["/migrate", "contract"], retiredImage: OLD } },
            }),
        );
        await session.settle();
        const job = session.get(T.Job, "app-migrate-contract");
        assert.equal(job.inputs.metadata.annotations[RETIRED_IMAGE_ANNOTATION], OLD);
        assert.equal(job.inputs.spec.template.spec.initContainers[0].image, SMOKE_IMAGE);
        assert.ok(session.get(T.Rollout, "app-rollout").dependsOn.includes(job.urn));
    });

    it("refuses unsafe orders at construction, naming the field", () => {
        assertArgError(
            () =>
                new BlueGreenService(
                    "app",
                    blueGreen({
                        migrations: {
                            image: MIGRATE,
                            expand: { command: ["/migrate", "expand"] },
                            contract: { command: ["/migrate", "contract"], retiredImage: OLD },
                        },
                    }),
                ),
            "BlueGreenService",
            "app",
            ["migrations.contract"],
        );
        assertArgError(
            () =>
                new BlueGreenService(
                    "app",
                    blueGreen({ migrations: { image: MIGRATE, contract: { command: ["/c"], retiredImage: IMAGE } } }),
                ),
            "BlueGreenService",
            "app",
            ["migrations.contract.retiredImage"],
        );
    });

    it("lists the migration resources for collision checks, as the constructor registers them", async () => {
        const session = await mockSession({ preview: true });
        new BlueGreenService("ns-svc", withExpand);
        await session.settle();
        const recorded = session.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
        const expected = releaseResources("ns-svc", releaseSettings("ns-svc", withExpand), { secretEnv: true });
        assert.deepEqual(
            recorded.map((r) => `${r.type}::${r.name}`).sort(),
            expected.map((r) => `${r.type}::${r.name}`).sort(),
        );
        const job = recorded.find((r) => r.type === T.Job)!;
        assert.ok(expected.some((r) => r.object === `Job shop/${job.inputs.metadata.name}`));
        assert.ok(expected.some((r) => r.object === "ServiceAccount shop/ns-svc-migrations"));
    });
});

describe("the migrations runbook matches the code", () => {
    const page = fs
        .readFileSync(path.join(__dirname, "../../../docs/runbooks/migrations.md"), "utf8")
        .replace(/\s+/g, " ");

    it("states the guard's tries, wait, lookback and the shortest deadline a contract allows", () => {
        assert.ok(page.includes(`It asks ${GUARD_TRIES} times, ${GUARD_INTERVAL_SECONDS} s apart`), "tries and wait");
        assert.ok(page.includes(`at least ${GUARD_MAX_SECONDS + 60}: its guard alone may take ${GUARD_MAX_SECONDS} s`));
        assert.ok(page.includes(`[${GUARD_LOOKBACK_SECONDS}s]`), "lookback in the query");
        assert.equal(GUARD_LOOKBACK_SECONDS, 300, "the page says 5 minutes");
    });

    it("states the defaults", () => {
        assert.match(page, new RegExp(`\\| \`timeoutSeconds\` \\| ${MIGRATION_DEFAULTS.timeoutSeconds} \\|`));
        assert.match(page, new RegExp(`\\| \`backoffLimit\` \\| ${MIGRATION_DEFAULTS.backoffLimit} \\|`));
    });
});

describe("migrations in a stack's services", function () {
    this.timeout(180_000);

    it("an expand and a contract in one release fail the render, naming the entry and the field, without a trace", async () => {
        const services = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8")).config[
            "zdp:services"
        ];
        const checkout = services.findIndex((s: any) => s.name === "checkout");
        const both = services.map((s: any, i: number) =>
            i === checkout
                ? { ...s, migrations: { ...s.migrations, contract: { command: ["/c"], retiredImage: OLD } } }
                : s,
        );
        const res = await runRenderCli([
            "--stack",
            "staging",
            "--summary",
            "--set",
            `services=${JSON.stringify(both)}`,
        ]);
        assert.equal(res.code, 2, res.stderr);
        assert.match(
            res.stderr,
            new RegExp(
                `zdp:services\\[${checkout}\\] \\(shop/checkout\\)\\.migrations\\.contract is in the same release`,
            ),
        );
        assert.doesNotMatch(res.stderr, /\n\s+at /, "no stack trace");
    });
});
