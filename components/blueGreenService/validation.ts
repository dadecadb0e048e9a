/**
 * The whole-argument validator of BlueGreenService (public through `zdp/validation`): every problem of the arguments,
 * or of a raw `services[i]` stack config entry, as one message each, before anything is declared.
 * Unknown fields are reported by name, against the key lists of keys.ts, which the compiler keeps equal to args.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkHttpPath, checkInteger, checkOneOf } from "../lib/validation";
import { checkDependencies, checkPreviewExposure } from "../previewIsolation";
import { checkMigrations } from "./migrations";
import {
    checkBuildImageName,
    checkCanarySteps,
    checkImageReference,
    checkQuantity,
    checkServiceName,
    DNS_1035,
    isRecord,
    push,
    quantityValue,
    unknownKeys,
} from "./checks";
import { DEFAULT_PROMETHEUS_ADDRESS, DEFAULTS, ISTIO_RESERVED_PORTS, STRATEGIES } from "./constants";
import {
    ANALYSIS_KEYS,
    ARG_KEYS,
    BLUE_GREEN_KEYS,
    BUDGET_KEYS,
    BUILD_KEYS,
    CANARY_KEYS,
    CHECK_TRAFFIC_KEYS,
    GATE_KEYS,
    HEALTH_CHECK_KEYS,
    HEALTH_KEYS,
    NETWORK_KEYS,
    PORT_KEYS,
    PROBE_PATH_KEYS,
    QUANTITY_KEYS,
    RESOURCE_KEYS,
    RETENTION_KEYS,
    SIGNAL_WEIGHT_KEYS,
    SLO_KEYS,
    SMOKE_TEST_KEYS,
    TRAFFIC_KEYS,
} from "./keys";

const HOSTNAME = /^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[a-z0-9][a-z0-9-]*$/;

function checkGate(
    errors: string[],
    field: string,
    raw: unknown,
    background: boolean,
    extra: readonly string[] = [],
): void {
    if (raw === undefined) return;
    if (!isRecord(raw)) {
        errors.push(`${field} must be an object with ${GATE_KEYS.join(", ")}`);
        return;
    }
    errors.push(...unknownKeys(field, raw, [...GATE_KEYS, ...extra]));
    const opt = (k: string, min: number, max: number) =>
        raw[k] !== undefined && push(errors, checkInteger(`${field}.${k}`, raw[k], min, max));
    opt("intervalSeconds", 1, 3600);
    opt("count", 1, 1000);
    opt("failureLimit", 0, 1000);
    opt("consecutiveErrorLimit", 0, 100);
    opt("inconclusiveLimit", 0, 1000);
    opt("initialDelaySeconds", 0, 3600);
    opt("timeoutSeconds", 1, 600);
    if (background && raw.count !== undefined) {
        errors.push(
            `${field}.count does not apply to the canary strategy: its analysis runs in the background until the release completes`,
        );
    }
    if (typeof raw.count === "number" && typeof raw.failureLimit === "number" && raw.failureLimit >= raw.count) {
        errors.push(
            `${field}.failureLimit (${raw.failureLimit}) must be smaller than ${field}.count (${raw.count}), or the gate can never fail`,
        );
    }
}

/**
 * Validates every argument (or a raw `services[i]` stack config entry), returning one message per problem, each
 * starting with `prefix` + the field's path. Values that are Pulumi Outputs are not inspected.
 */
export function validateBlueGreenServiceArgs(input: unknown, prefix = ""): string[] {
    const errors: string[] = [];
    const f = (path: string) => `${prefix}${path}`;
    if (!isRecord(input)) return [`${prefix.replace(/\.$/, "") || "args"} must be an object`];
    const a = input;
    errors.push(
        ...unknownKeys(prefix ? prefix.replace(/\.$/, "") : "args", a, ARG_KEYS).map((e) =>
            prefix ? e : e.replace(/^args\./, ""),
        ),
    );

    if (a.name !== undefined) push(errors, checkServiceName(f("name"), a.name));
    push(errors, checkDnsLabel(f("namespace"), a.namespace));

    // Image: exactly one of a digest-pinned reference and a build.
    if (a.image !== undefined && a.build !== undefined)
        errors.push(`${f("image")} and ${f("build")} are exclusive: give a digest-pinned image or a build, not both`);
    if (a.image === undefined && a.build === undefined)
        errors.push(`${f("image")} is required (a digest-pinned reference), unless ${f("build")} is given`);
    if (
        typeof a.image === "string" ||
        (a.image !== undefined && !pulumi.Output.isInstance(a.image) && !(a.image instanceof Promise))
    ) {
        push(errors, checkImageReference(f("image"), a.image));
    }
    if (a.build !== undefined) {
        if (!isRecord(a.build)) errors.push(`${f("build")} must be an object { context, dockerfile?, imageName }`);
        else {
            errors.push(...unknownKeys(f("build"), a.build, BUILD_KEYS));
            if (typeof a.build.context !== "string" || a.build.context.length === 0)
                errors.push(`${f("build.context")} must be a directory path (got ${JSON.stringify(a.build.context)})`);
            if (
                a.build.dockerfile !== undefined &&
                (typeof a.build.dockerfile !== "string" || a.build.dockerfile.length === 0)
            ) {
                errors.push(`${f("build.dockerfile")} must be a file path (got ${JSON.stringify(a.build.dockerfile)})`);
            }
            push(errors, checkBuildImageName(f("build.imageName"), a.build.imageName));
        }
    }

    const replicas = a.replicas ?? DEFAULTS.replicas;
    if (a.replicas !== undefined) push(errors, checkInteger(f("replicas"), a.replicas, 0, 1000));

    // Ports
    const ports = a.ports;
    if (ports !== undefined) {
        if (!Array.isArray(ports) || ports.length === 0)
            errors.push(`${f("ports")} must be a non-empty list of { name?, containerPort, port? }`);
        else {
            const names = new Set<string>();
            ports.forEach((p: unknown, i: number) => {
                const at = f(`ports[${i}]`);
                if (!isRecord(p)) return void errors.push(`${at} must be an object { name?, containerPort, port? }`);
                errors.push(...unknownKeys(at, p, PORT_KEYS));
                const name = p.name ?? (i === 0 ? DEFAULTS.port.name : undefined);
                if (typeof name !== "string" || name.length > 15 || !DNS_1035.test(name)) {
                    errors.push(
                        `${at}.name must be a port name of at most 15 characters (lower-case letters, digits, '-'; required after the first port) (got ${JSON.stringify(p.name)})`,
                    );
                } else if (names.has(name)) errors.push(`${at}.name "${name}" is used by another port`);
                else names.add(name);
                const e = checkInteger(`${at}.containerPort`, p.containerPort, 1, 65535);
                push(errors, e);
                if (!e && (ISTIO_RESERVED_PORTS as readonly number[]).includes(p.containerPort as number)) {
                    errors.push(
                        `${at}.containerPort ${p.containerPort} is reserved by the Istio sidecar (${ISTIO_RESERVED_PORTS.join(", ")})`,
                    );
                }
                if (p.port !== undefined) push(errors, checkInteger(`${at}.port`, p.port, 1, 65535));
            });
        }
    }

    // Health
    const health = a.health;
    if (health !== undefined && !isRecord(health)) errors.push(`${f("health")} must be an object`);
    if (isRecord(health)) {
        errors.push(...unknownKeys(f("health"), health, HEALTH_KEYS));
        if (health.signalWeights !== undefined) {
            const sw = health.signalWeights;
            if (!isRecord(sw))
                errors.push(`${f("health.signalWeights")} must be an object { checks?, errors?, latency? }`);
            else {
                errors.push(...unknownKeys(f("health.signalWeights"), sw, SIGNAL_WEIGHT_KEYS));
                for (const k of SIGNAL_WEIGHT_KEYS)
                    if (sw[k] !== undefined) push(errors, checkInteger(f(`health.signalWeights.${k}`), sw[k], 0, 100));
                const given = (k: (typeof SIGNAL_WEIGHT_KEYS)[number]) =>
                    typeof sw[k] === "number" ? (sw[k] as number) : DEFAULTS.signalWeights[k];
                if (given("errors") + given("latency") === 0)
                    errors.push(
                        `${f("health.signalWeights")}: errors and latency are both 0, so a release without check traffic has no score; give one of them a weight`,
                    );
            }
        }
        for (const k of PROBE_PATH_KEYS)
            if (health[k] !== undefined) push(errors, checkHttpPath(f(`health.${k}`), health[k]));
        if (health.scoreThreshold !== undefined)
            push(errors, checkInteger(f("health.scoreThreshold"), health.scoreThreshold, 1, 100));
        if (health.checks !== undefined) {
            if (!Array.isArray(health.checks) || health.checks.length === 0 || health.checks.length > 20) {
                errors.push(`${f("health.checks")} must be a list of 1 to 20 { path, weight? }`);
            } else {
                const paths = new Set<string>();
                health.checks.forEach((c: unknown, i: number) => {
                    const at = f(`health.checks[${i}]`);
                    if (!isRecord(c)) return void errors.push(`${at} must be an object { path, weight? }`);
                    errors.push(...unknownKeys(at, c, HEALTH_CHECK_KEYS));
                    const e = checkHttpPath(`${at}.path`, c.path);
                    push(errors, e);
                    if (!e && paths.has(c.path as string)) errors.push(`${at}.path "${c.path}" is listed twice`);
                    paths.add(c.path as string);
                    if (c.weight !== undefined) push(errors, checkInteger(`${at}.weight`, c.weight, 1, 100));
                });
            }
        }
    }

    // Resources
    const res = a.resources;
    if (res !== undefined && !isRecord(res)) errors.push(`${f("resources")} must be an object { requests?, limits? }`);
    if (isRecord(res)) {
        errors.push(...unknownKeys(f("resources"), res, RESOURCE_KEYS));
        for (const kind of RESOURCE_KEYS) {
            const q = res[kind];
            if (q === undefined) continue;
            if (!isRecord(q)) {
                errors.push(`${f(`resources.${kind}`)} must be an object { cpu?, memory? }`);
                continue;
            }
            errors.push(...unknownKeys(f(`resources.${kind}`), q, QUANTITY_KEYS));
            if (q.cpu !== undefined) push(errors, checkQuantity(f(`resources.${kind}.cpu`), q.cpu, "cpu"));
            if (q.memory !== undefined) push(errors, checkQuantity(f(`resources.${kind}.memory`), q.memory, "memory"));
        }
        const req = { ...DEFAULTS.requests, ...(isRecord(res.requests) ? res.requests : {}) } as Record<
            string,
            unknown
        >;
        const lim = { ...DEFAULTS.limits, ...(isRecord(res.limits) ? res.limits : {}) } as Record<string, unknown>;
        for (const k of QUANTITY_KEYS) {
            if (
                typeof req[k] === "string" &&
                typeof lim[k] === "string" &&
                quantityValue(req[k] as string) > quantityValue(lim[k] as string)
            ) {
                errors.push(
                    `${f(`resources.requests.${k}`)} (${req[k]}) must not exceed ${f(`resources.limits.${k}`)} (${lim[k]})`,
                );
            }
        }
    }

    // Environment
    const envNames = new Set<string>();
    for (const kind of ["env", "secretEnv"] as const) {
        const env = a[kind];
        if (env === undefined) continue;
        if (!isRecord(env)) {
            errors.push(`${f(kind)} must be a map of variable names to values`);
            continue;
        }
        for (const [k, v] of Object.entries(env)) {
            if (!ENV_NAME.test(k))
                errors.push(
                    `${f(`${kind}.${k}`)}: "${k}" is not a valid environment variable name (letters, digits, '_', not starting with a digit)`,
                );
            if (envNames.has(k))
                errors.push(`${f(`secretEnv.${k}`)} is also set in ${f("env")}: a variable is either plain or secret`);
            envNames.add(k);
            if (kind === "env" && typeof v !== "string")
                errors.push(
                    `${f(`env.${k}`)} must be a string (got ${JSON.stringify(v)}); secrets go in ${f("secretEnv")}`,
                );
            if (kind === "secretEnv" && v === undefined) errors.push(`${f(`secretEnv.${k}`)} has no value`);
        }
    }

    // Strategy
    const strategy = a.strategy ?? "blueGreen";
    if (a.strategy !== undefined) push(errors, checkOneOf(f("strategy"), a.strategy, STRATEGIES));
    if (a.blueGreen !== undefined) {
        if (strategy !== "blueGreen")
            errors.push(`${f("blueGreen")} is set but ${f("strategy")} is "${String(strategy)}"`);
        if (!isRecord(a.blueGreen)) errors.push(`${f("blueGreen")} must be an object`);
        else {
            const bg = a.blueGreen;
            errors.push(...unknownKeys(f("blueGreen"), bg, BLUE_GREEN_KEYS));
            if (bg.autoPromotion !== undefined && typeof bg.autoPromotion !== "boolean")
                errors.push(`${f("blueGreen.autoPromotion")} must be true or false`);
            if (bg.autoPromotionSeconds !== undefined) {
                push(errors, checkInteger(f("blueGreen.autoPromotionSeconds"), bg.autoPromotionSeconds, 0, 86400));
                if (bg.autoPromotion === false)
                    errors.push(
                        `${f("blueGreen.autoPromotionSeconds")} has no effect when ${f("blueGreen.autoPromotion")} is false`,
                    );
            }
            if (bg.previewReplicas !== undefined) {
                const max = typeof replicas === "number" && replicas >= 1 ? replicas : 1000;
                push(errors, checkInteger(f("blueGreen.previewReplicas"), bg.previewReplicas, 1, max));
            }
        }
    }
    if (a.canary !== undefined) {
        if (strategy !== "canary") errors.push(`${f("canary")} is set but ${f("strategy")} is "${String(strategy)}"`);
        if (!isRecord(a.canary)) errors.push(`${f("canary")} must be an object { steps? }`);
        else {
            errors.push(...unknownKeys(f("canary"), a.canary, CANARY_KEYS));
            if (a.canary.steps !== undefined) errors.push(...checkCanarySteps(f("canary.steps"), a.canary.steps));
        }
    }

    // Analysis
    const analysis = a.analysis;
    if (analysis !== undefined && !isRecord(analysis)) errors.push(`${f("analysis")} must be an object`);
    const smoke = isRecord(analysis) && isRecord(analysis.smokeTest) ? analysis.smokeTest : undefined;
    if (isRecord(analysis)) {
        errors.push(...unknownKeys(f("analysis"), analysis, ANALYSIS_KEYS));
        const ct = analysis.checkTraffic;
        if (ct !== undefined) {
            if (!isRecord(ct))
                errors.push(`${f("analysis.checkTraffic")} must be an object { image?, requestsPerMinute? }`);
            else {
                errors.push(...unknownKeys(f("analysis.checkTraffic"), ct, CHECK_TRAFFIC_KEYS));
                if (ct.image !== undefined)
                    push(errors, checkImageReference(f("analysis.checkTraffic.image"), ct.image));
                if (ct.requestsPerMinute !== undefined)
                    push(
                        errors,
                        checkInteger(f("analysis.checkTraffic.requestsPerMinute"), ct.requestsPerMinute, 1, 600),
                    );
            }
        }
        checkGate(errors, f("analysis.health"), analysis.health, strategy === "canary");
        checkGate(errors, f("analysis.slo"), analysis.slo, strategy === "canary", SLO_KEYS);
        const slo = isRecord(analysis.slo) ? analysis.slo : {};
        const fraction = (k: string) => {
            const v = slo[k];
            if (v !== undefined && (typeof v !== "number" || !(v > 0 && v < 1)))
                errors.push(
                    `${f(`analysis.slo.${k}`)} must be a number between 0 and 1, exclusive (got ${JSON.stringify(v)})`,
                );
        };
        fraction("maxErrorRate");
        fraction("latencyQuantile");
        if (slo.maxLatencyMs !== undefined)
            push(errors, checkInteger(f("analysis.slo.maxLatencyMs"), slo.maxLatencyMs, 1, 600000));
        if (slo.minRequests !== undefined)
            push(errors, checkInteger(f("analysis.slo.minRequests"), slo.minRequests, 1, 1000000));
        if (slo.windowSeconds !== undefined)
            push(errors, checkInteger(f("analysis.slo.windowSeconds"), slo.windowSeconds, 30, 3600));
        if (
            analysis.prometheusAddress !== undefined &&
            (typeof analysis.prometheusAddress !== "string" ||
                !/^https?:\/\/[^\s/]+(:\d+)?(\/\S*)?$/.test(analysis.prometheusAddress))
        ) {
            errors.push(
                `${f("analysis.prometheusAddress")} must be an http(s) URL such as "${DEFAULT_PROMETHEUS_ADDRESS}" (got ${JSON.stringify(analysis.prometheusAddress)})`,
            );
        }
        if (analysis.smokeTest !== undefined && !isRecord(analysis.smokeTest))
            errors.push(`${f("analysis.smokeTest")} must be an object { image, paths, timeoutSeconds? }`);
    }
    if (strategy === "blueGreen") {
        if (smoke === undefined) {
            errors.push(
                `${f("analysis.smokeTest")} is required for blueGreen: { image: a digest-pinned image with sh and curl, paths: [...] } (the smoke tests gate promotion)`,
            );
        } else {
            errors.push(...unknownKeys(f("analysis.smokeTest"), smoke, SMOKE_TEST_KEYS));
            push(errors, checkImageReference(f("analysis.smokeTest.image"), smoke.image));
            if (!Array.isArray(smoke.paths) || smoke.paths.length === 0)
                errors.push(`${f("analysis.smokeTest.paths")} must list at least one path on the preview Service`);
            else
                smoke.paths.forEach((p: unknown, i: number) =>
                    push(errors, checkHttpPath(f(`analysis.smokeTest.paths[${i}]`), p)),
                );
            if (smoke.timeoutSeconds !== undefined)
                push(errors, checkInteger(f("analysis.smokeTest.timeoutSeconds"), smoke.timeoutSeconds, 10, 3600));
        }
    } else if (strategy === "canary" && smoke !== undefined) {
        errors.push(
            `${f("analysis.smokeTest")} applies to the blueGreen strategy only (the canary is checked by its background analysis)`,
        );
    }

    // Retention
    const ret = a.retention;
    if (ret !== undefined && !isRecord(ret)) errors.push(`${f("retention")} must be an object`);
    if (isRecord(ret)) {
        errors.push(...unknownKeys(f("retention"), ret, RETENTION_KEYS));
        if (ret.scaleDownDelaySeconds !== undefined)
            push(errors, checkInteger(f("retention.scaleDownDelaySeconds"), ret.scaleDownDelaySeconds, 0, 604800));
        if (ret.abortScaleDownDelaySeconds !== undefined)
            push(
                errors,
                checkInteger(f("retention.abortScaleDownDelaySeconds"), ret.abortScaleDownDelaySeconds, 0, 604800),
            );
        if (ret.revisionHistoryLimit !== undefined)
            push(errors, checkInteger(f("retention.revisionHistoryLimit"), ret.revisionHistoryLimit, 1, 50));
        const history =
            typeof ret.revisionHistoryLimit === "number" ? ret.revisionHistoryLimit : DEFAULTS.revisionHistoryLimit;
        if (ret.rollbackWindowRevisions !== undefined)
            push(errors, checkInteger(f("retention.rollbackWindowRevisions"), ret.rollbackWindowRevisions, 1, history));
    }

    // Traffic
    const traffic = a.traffic;
    if (traffic !== undefined && !isRecord(traffic)) errors.push(`${f("traffic")} must be an object`);
    if (isRecord(traffic)) {
        errors.push(...unknownKeys(f("traffic"), traffic, TRAFFIC_KEYS));
        if (traffic.hosts !== undefined) {
            if (!Array.isArray(traffic.hosts)) errors.push(`${f("traffic.hosts")} must be a list of host names`);
            else {
                traffic.hosts.forEach((h: unknown, i: number) => {
                    if (typeof h !== "string" || h.length > 253 || !HOSTNAME.test(h))
                        errors.push(
                            `${f(`traffic.hosts[${i}]`)} must be a DNS host name such as "shop.example.com" (got ${JSON.stringify(h)})`,
                        );
                });
                if (traffic.hosts.length > 0 && traffic.gateway === undefined)
                    errors.push(
                        `${f("traffic.gateway")} is required with ${f("traffic.hosts")}: the Gateway ("namespace/name") that accepts them`,
                    );
            }
        }
        if (
            typeof traffic.gateway === "string" &&
            !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(traffic.gateway)
        ) {
            errors.push(`${f("traffic.gateway")} must be "namespace/name" (got ${JSON.stringify(traffic.gateway)})`);
        }
        if (
            traffic.previewHeader !== undefined &&
            (typeof traffic.previewHeader !== "string" || !HEADER_NAME.test(traffic.previewHeader))
        ) {
            errors.push(
                `${f("traffic.previewHeader")} must be a lower-case HTTP header name such as "x-preview" (got ${JSON.stringify(traffic.previewHeader)})`,
            );
        }
        errors.push(...checkPreviewExposure(traffic, f));
        const opt = (k: string, min: number, max: number) =>
            traffic[k] !== undefined && push(errors, checkInteger(f(`traffic.${k}`), traffic[k], min, max));
        opt("timeoutSeconds", 1, 3600);
        opt("retries", 0, 10);
        opt("perTryTimeoutSeconds", 1, 3600);
        opt("maxConnections", 1, 1000000);
        opt("maxPendingRequests", 1, 1000000);
        opt("consecutive5xxErrors", 1, 1000);
        opt("ejectionSeconds", 1, 3600);
        const timeout =
            typeof traffic.timeoutSeconds === "number" ? traffic.timeoutSeconds : DEFAULTS.requestTimeoutSeconds;
        if (typeof traffic.perTryTimeoutSeconds === "number" && traffic.perTryTimeoutSeconds > timeout) {
            errors.push(
                `${f("traffic.perTryTimeoutSeconds")} (${traffic.perTryTimeoutSeconds}) must not exceed ${f("traffic.timeoutSeconds")} (${timeout})`,
            );
        }
    }
    errors.push(...checkDependencies(a.dependencies, f));
    if (a.network !== undefined) {
        if (!isRecord(a.network)) errors.push(`${f("network")} must be an object`);
        else {
            errors.push(...unknownKeys(f("network"), a.network, NETWORK_KEYS));
            for (const k of NETWORK_KEYS) {
                if (typeof a.network[k] === "string") push(errors, checkDnsLabel(f(`network.${k}`), a.network[k]));
            }
        }
    }
    if (a.progressDeadlineSeconds !== undefined)
        push(errors, checkInteger(f("progressDeadlineSeconds"), a.progressDeadlineSeconds, 30, 86400));
    if (a.runAsUser !== undefined) push(errors, checkInteger(f("runAsUser"), a.runAsUser, 1, 2147483647));
    if (a.automountServiceAccountToken !== undefined && typeof a.automountServiceAccountToken !== "boolean") {
        errors.push(`${f("automountServiceAccountToken")} must be true or false`);
    }
    if (a.budget !== undefined) {
        if (!isRecord(a.budget)) errors.push(`${f("budget")} must be an object`);
        else {
            errors.push(...unknownKeys(f("budget"), a.budget, BUDGET_KEYS));
            for (const k of ["maxHealthyPromotionSeconds", "maxRollbackSeconds"])
                if (a.budget[k] !== undefined) push(errors, checkInteger(f(`budget.${k}`), a.budget[k], 0, 604800));
            if (a.budget.maxExposurePercent !== undefined)
                push(errors, checkInteger(f("budget.maxExposurePercent"), a.budget.maxExposurePercent, 0, 100));
        }
    }
    errors.push(
        ...checkMigrations(
            a.migrations,
            {
                image: a.image,
                secretEnv: a.secretEnv,
                smokeTestImage: strategy === "blueGreen" ? smoke?.image : undefined,
            },
            f,
        ),
    );
    return errors;
}
