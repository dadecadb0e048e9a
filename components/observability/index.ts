/** Release observability building blocks: metric names, scrape specs, rule groups and the Grafana dashboard. */
export * from "./dashboard";
export * from "./metrics";
export * from "./rules";
export * from "./scrape";
