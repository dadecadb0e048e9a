/**
 * How a product team uses the platform: one import, one component per service. The platform stack (mesh, Argo
 * Rollouts, namespaces, pipeline identities) is already in the cluster; this stack only releases `orders`.
 */
import * as pulumi from "@pulumi/pulumi";
import { BlueGreenService } from "zdp";

const config = new pulumi.Config();

const orders = new BlueGreenService("orders", {
    namespace: "shop",
    image: config.require("image"),
    replicas: 3,
    ports: [{ containerPort: 8080 }],
    health: { checks: [{ path: "/healthz", weight: 2 }, { path: "/readyz" }] },
    // Stays a Pulumi secret and reaches the pods only through a Kubernetes Secret.
    secretEnv: { DATABASE_URL: config.requireSecret("databaseUrl") },
    analysis: {
        smokeTest: { image: config.require("smokeTestImage"), paths: ["/healthz", "/api/orders?limit=1"] },
    },
    traffic: { hosts: ["orders.example.com"], gateway: "istio-ingress/public" },
    // The team's own release budget: the component refuses a configuration that cannot meet it.
    budget: { maxRollbackSeconds: 15, maxExposurePercent: 5 },
});

export const serviceHost = orders.serviceHost;
export const previewHost = orders.previewHost;
export const releaseTiming = orders.timing;
