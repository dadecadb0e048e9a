/**
 * Arguments shared by the BlueGreenService tests: a digest-pinned image, a smoke test image, and the minimal valid
 * blue/green and canary arguments, each with overrides.
 */
import type { BlueGreenServiceArgs } from "../../../components/blueGreenService/args";
import { releaseSettings, ReleaseSettings } from "../../../components/blueGreenService/settings";

export const IMAGE = `registry.example.com/shop/app@sha256:${"a".repeat(64)}`;
export const SMOKE_IMAGE = `registry.example.com/platform/smoke-curl@sha256:${"b".repeat(64)}`;

/** Minimal valid blue/green arguments (service "app" in namespace "shop", two smoke test paths), with `over`. */
export function blueGreen(over: Partial<BlueGreenServiceArgs> = {}): BlueGreenServiceArgs {
    return {
        namespace: "shop",
        image: IMAGE,
        analysis: { smokeTest: { image: SMOKE_IMAGE, paths: ["/api/ping", "/api/cart"] } },
        ...over,
    };
}

/** Minimal valid canary arguments, with `over`. */
export function canary(over: Partial<BlueGreenServiceArgs> = {}): BlueGreenServiceArgs {
    return { namespace: "shop", image: IMAGE, strategy: "canary", ...over };
}

/** The settings of resource "app" with `args`, as the component computes them. */
export function settingsOf(args: BlueGreenServiceArgs): ReleaseSettings {
    return releaseSettings("app", args);
}
