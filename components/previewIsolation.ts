/**
 * Isolation of the version under test (the blue/green preview, the canary): who may reach it through the preview
 * header, and what it may reach itself. Plain data and checks, tested on their own; BlueGreenService renders them.
 */
import * as pulumi from "@pulumi/pulumi";

/** JSON Web Tokens a public preview request must carry (validated by Istio on the pods under test). */
export interface PreviewJwtArgs {
    /** Issuer (`iss`) of the tokens; only tokens of this issuer grant access. */
    readonly issuer: string;
    /** HTTPS URL of the issuer's JSON Web Key Set. */
    readonly jwksUri: string;
    /** Audiences (`aud`) a token must name one of. Defaults to any audience. */
    readonly audiences?: string[];
}

/** What a request through the public gateway must satisfy to reach the preview; every requirement given applies. */
export interface PreviewAccessArgs {
    /** Require a valid token of this issuer (Istio RequestAuthentication + AuthorizationPolicy). Defaults to none. */
    readonly jwt?: PreviewJwtArgs;
    /** Require the client address (as the gateway saw it) to be in one of these CIDRs. Defaults to none. */
    readonly ipBlocks?: string[];
}

/** Something the version under test calls: a platform service or an address range. */
export interface DependencyArgs {
    /** A service of the platform as "namespace/name" (its pods carry `app: <name>`). Exactly one of `service` and `cidr`. */
    readonly service?: string;
    /** An address range such as "10.20.0.0/16" (a database, an external API). Exactly one of `service` and `cidr`. */
    readonly cidr?: string;
    /** Destination ports (TCP). Defaults to every port. */
    readonly ports?: number[];
}

/** Where a header request to the version under test may come from. */
export const PREVIEW_EXPOSURES = ["internal", "public"] as const;
export type PreviewExposure = (typeof PREVIEW_EXPOSURES)[number];

/** Pod labels of the cluster DNS (CoreDNS keeps kube-dns's label) in kube-system. */
export const DNS_POD_LABELS = { "k8s-app": "kube-dns" } as const;
export const DNS_NAMESPACE = "kube-system";
/** Pod labels of istiod (from its chart). */
export const ISTIOD_POD_LABELS = { app: "istiod" } as const;
/** istiod's xDS and certificates (15012) and its webhooks (15017). */
export const ISTIOD_PORTS = [15012, 15017] as const;
/** Namespace of istiod (IstioMesh's default). */
export const DEFAULT_MESH_NAMESPACE = "istio-system";

/** Settings of the preview isolation with defaults applied. */
export interface PreviewIsolationSettings {
    exposure: PreviewExposure;
    access: { jwt: { issuer: string; jwksUri: string; audiences: string[] } | undefined; ipBlocks: string[] };
    dependencies: { service?: { namespace: string; name: string }; cidr?: string; ports: number[] }[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !pulumi.Output.isInstance(v);
}

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-f:]+:[0-9a-f:]*\/(12[0-8]|1[01]\d|[1-9]?\d)$/i;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Returns an error unless `value` is an IPv4 or IPv6 CIDR such as "10.0.0.0/8". */
export function checkCidr(field: string, value: unknown): string | undefined {
    if (typeof value === "string" && (IPV4_CIDR.test(value) || IPV6_CIDR.test(value))) return undefined;
    return `${field} must be an address range in CIDR notation such as "10.20.0.0/16" (got ${JSON.stringify(value)})`;
}

/**
 * Checks `traffic.previewExposure` and `traffic.previewAccess`: "public" needs external hosts and at least one access
 * requirement (a token issuer or address ranges); "internal" (the default) takes none.
 */
export function checkPreviewExposure(traffic: Record<string, unknown>, f: (p: string) => string): string[] {
    const errors: string[] = [];
    const exposure = traffic.previewExposure ?? "internal";
    if (!PREVIEW_EXPOSURES.includes(exposure as PreviewExposure)) {
        return [
            `${f("traffic.previewExposure")} must be "internal" (mesh callers only) or "public" (through the ingress gateway, with ${f("traffic.previewAccess")}) (got ${JSON.stringify(exposure)})`,
        ];
    }
    const access = traffic.previewAccess;
    if (access !== undefined && !isRecord(access)) {
        return [`${f("traffic.previewAccess")} must be an object { jwt?, ipBlocks? }`];
    }
    if (exposure === "internal") {
        if (access !== undefined)
            errors.push(
                `${f("traffic.previewAccess")} applies only to a public preview: set ${f("traffic.previewExposure")} to "public", or remove it`,
            );
        return errors;
    }
    const hosts = traffic.hosts;
    if (!Array.isArray(hosts) || hosts.length === 0)
        errors.push(
            `${f("traffic.previewExposure")} "public" needs ${f("traffic.hosts")}: without external hosts there is nothing to expose`,
        );
    const missing =
        `${f("traffic.previewExposure")} "public" requires ${f("traffic.previewAccess")} with a token issuer ` +
        `(previewAccess.jwt: { issuer, jwksUri }) or address ranges (previewAccess.ipBlocks): otherwise anyone on ` +
        `the internet reaches an untested version`;
    if (!isRecord(access)) return [...errors, missing];
    for (const k of Object.keys(access))
        if (k !== "jwt" && k !== "ipBlocks")
            errors.push(`${f(`traffic.previewAccess.${k}`)} is not a known field (known: jwt, ipBlocks)`);
    const { jwt, ipBlocks } = access;
    if (jwt === undefined && (ipBlocks === undefined || (Array.isArray(ipBlocks) && ipBlocks.length === 0)))
        errors.push(missing);
    if (jwt !== undefined) {
        const at = f("traffic.previewAccess.jwt");
        if (!isRecord(jwt)) errors.push(`${at} must be an object { issuer, jwksUri, audiences? }`);
        else {
            for (const k of Object.keys(jwt))
                if (!["issuer", "jwksUri", "audiences"].includes(k))
                    errors.push(`${at}.${k} is not a known field (known: issuer, jwksUri, audiences)`);
            if (typeof jwt.issuer !== "string" || jwt.issuer.length === 0 || /[\s*]/.test(jwt.issuer))
                errors.push(
                    `${at}.issuer must be the tokens' issuer, such as "https://login.example.com" (got ${JSON.stringify(jwt.issuer)})`,
                );
            if (typeof jwt.jwksUri !== "string" || !/^https:\/\/[^\s/]+\/\S*$/.test(jwt.jwksUri))
                errors.push(
                    `${at}.jwksUri must be the HTTPS URL of the issuer's key set, such as "https://login.example.com/.well-known/jwks.json" (got ${JSON.stringify(jwt.jwksUri)})`,
                );
            if (
                jwt.audiences !== undefined &&
                (!Array.isArray(jwt.audiences) ||
                    jwt.audiences.length === 0 ||
                    jwt.audiences.some((x) => typeof x !== "string" || x.length === 0))
            )
                errors.push(`${at}.audiences must be a non-empty list of audience names`);
        }
    }
    if (ipBlocks !== undefined) {
        if (!Array.isArray(ipBlocks))
            errors.push(`${f("traffic.previewAccess.ipBlocks")} must be a list of CIDRs such as "203.0.113.0/24"`);
        else
            ipBlocks.forEach((b, i) => {
                const e = checkCidr(f(`traffic.previewAccess.ipBlocks[${i}]`), b);
                if (e) errors.push(e);
                else if (/\/0$/.test(b as string))
                    errors.push(
                        `${f(`traffic.previewAccess.ipBlocks[${i}]`)} admits every address ("${b}"): list the ranges of the testers`,
                    );
            });
    }
    return errors;
}

/** Checks `dependencies`: each entry names exactly one of a "namespace/name" service and a CIDR, ports 1-65535. */
export function checkDependencies(raw: unknown, f: (p: string) => string): string[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) return [`${f("dependencies")} must be a list of { service | cidr, ports? }`];
    const errors: string[] = [];
    raw.forEach((d: unknown, i: number) => {
        const at = f(`dependencies[${i}]`);
        if (!isRecord(d)) return void errors.push(`${at} must be an object { service | cidr, ports? }`);
        for (const k of Object.keys(d))
            if (!["service", "cidr", "ports"].includes(k))
                errors.push(`${at}.${k} is not a known field (known: service, cidr, ports)`);
        if ((d.service === undefined) === (d.cidr === undefined)) {
            errors.push(
                `${at} must give exactly one of service ("namespace/name") and cidr ("10.20.0.0/16") (got ${d.service === undefined ? "neither" : "both"})`,
            );
        }
        if (d.service !== undefined) {
            const parts = typeof d.service === "string" ? d.service.split("/") : [];
            if (parts.length !== 2 || !parts.every((p) => p.length <= 63 && DNS_LABEL.test(p)))
                errors.push(
                    `${at}.service must be "namespace/name" of a platform service, such as "payments/payments" (got ${JSON.stringify(d.service)})`,
                );
        }
        if (d.cidr !== undefined) {
            const e = checkCidr(`${at}.cidr`, d.cidr);
            if (e) errors.push(e);
        }
        if (d.ports !== undefined) {
            if (
                !Array.isArray(d.ports) ||
                d.ports.length === 0 ||
                d.ports.some((p) => !Number.isInteger(p) || (p as number) < 1 || (p as number) > 65535)
            )
                errors.push(
                    `${at}.ports must be a non-empty list of port numbers from 1 to 65535 (got ${JSON.stringify(d.ports)})`,
                );
        }
    });
    return errors;
}

/** Applies the defaults to validated arguments. */
export function previewIsolationSettings(
    traffic: { previewExposure?: string; previewAccess?: PreviewAccessArgs } | undefined,
    dependencies: DependencyArgs[] | undefined,
): PreviewIsolationSettings {
    const access = traffic?.previewAccess;
    return {
        // Internal by default: an untested version is not reachable from outside the mesh unless asked for.
        exposure: (traffic?.previewExposure ?? "internal") as PreviewExposure,
        access: {
            jwt: access?.jwt && {
                issuer: access.jwt.issuer,
                jwksUri: access.jwt.jwksUri,
                audiences: access.jwt.audiences ?? [],
            },
            ipBlocks: access?.ipBlocks ?? [],
        },
        dependencies: (dependencies ?? []).map((d) => {
            const [namespace, name] = d.service?.split("/") ?? [];
            return {
                ...(d.service ? { service: { namespace, name } } : {}),
                ...(d.cidr ? { cidr: d.cidr } : {}),
                ports: d.ports ?? [],
            };
        }),
    };
}

const nsSelector = (ns: pulumi.Input<string>) => ({ matchLabels: { "kubernetes.io/metadata.name": ns } });

/**
 * Egress rules of the version under test: the cluster DNS, istiod, and the declared dependencies; nothing else.
 * A platform service is selected by its namespace and its pods' `app` label.
 */
export function previewEgressRules(s: PreviewIsolationSettings, meshNamespace: pulumi.Input<string>) {
    const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: "TCP", port }));
    return [
        {
            to: [{ namespaceSelector: nsSelector(DNS_NAMESPACE), podSelector: { matchLabels: { ...DNS_POD_LABELS } } }],
            ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
            ],
        },
        {
            to: [
                {
                    namespaceSelector: nsSelector(meshNamespace),
                    podSelector: { matchLabels: { ...ISTIOD_POD_LABELS } },
                },
            ],
            ports: tcp(ISTIOD_PORTS),
        },
        ...s.dependencies.map((d) => ({
            to: [
                d.service
                    ? {
                          namespaceSelector: nsSelector(d.service.namespace),
                          podSelector: { matchLabels: { app: d.service.name } },
                      }
                    : { ipBlock: { cidr: d.cidr! } },
            ],
            ...(d.ports.length > 0 ? { ports: tcp(d.ports) } : {}),
        })),
    ];
}

/**
 * The AuthorizationPolicy spec of a public preview: on the pods under test, DENY a request that came through the
 * ingress gateway with the preview header and misses a requirement (one rule per requirement, so all apply).
 * Requests of mesh callers and the release checks do not come from the gateway's namespace and are not affected.
 */
export function previewAccessPolicySpec(
    s: PreviewIsolationSettings,
    selector: Record<string, string>,
    header: string,
    gatewayNamespace: pulumi.Input<string>,
) {
    const when = [{ key: `request.headers[${header}]`, values: ["true"] }];
    const rule = (source: Record<string, unknown>) => ({
        from: [{ source: { namespaces: [gatewayNamespace], ...source } }],
        when,
    });
    return {
        selector: { matchLabels: selector },
        action: "DENY",
        rules: [
            ...(s.access.jwt ? [rule({ notRequestPrincipals: [`${s.access.jwt.issuer}/*`] })] : []),
            ...(s.access.ipBlocks.length > 0 ? [rule({ notRemoteIpBlocks: s.access.ipBlocks })] : []),
        ],
    };
}

/** The RequestAuthentication spec that validates the preview tokens on the pods under test. */
export function previewJwtSpec(
    jwt: NonNullable<PreviewIsolationSettings["access"]["jwt"]>,
    selector: Record<string, string>,
) {
    return {
        selector: { matchLabels: selector },
        jwtRules: [
            {
                issuer: jwt.issuer,
                jwksUri: jwt.jwksUri,
                ...(jwt.audiences.length > 0 ? { audiences: jwt.audiences } : {}),
                forwardOriginalToken: true,
            },
        ],
    };
}
