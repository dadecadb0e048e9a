/**
 * A real OCI registry on this machine: Debian's `docker-registry` (distribution 2.8) started on a free loopback port
 * with a config file and storage in a temporary directory, and stopped afterwards. Plus `pushTestImage`, which builds a
 * small OCI image (config blob, one layer, manifest) and pushes it through the distribution API.
 *
 * It lives with the benchmarks because `npm run bench:images` needs it as much as the registry tests do: product code
 * never imports from test/, so the benchmark owns it and the tests (test/policy-pack/images/helpers/registry.ts) import
 * it from here, adding only what is Mocha's (skipping a suite when the binary is missing). The benchmark runs the real
 * registry rather than an in-memory fake so that its request counts and timings are those of the distribution API.
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RegistryClient } from "../policy-pack/images/registry";
import { ImageManifest, OCI_CONFIG, OCI_MANIFEST, descriptorOf, manifestBytes } from "../policy-pack/images/oci";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

/** Why the registry tests cannot run here, or undefined when they can. */
export function registryUnavailableReason(): string | undefined {
    return existsSync(REGISTRY_BINARY)
        ? undefined
        : `${REGISTRY_BINARY} is missing: install Debian's docker-registry package (apt-get install -y docker-registry); .ci/run does`;
}

/** A free TCP port on 127.0.0.1 (the port is released before it is returned, so a tiny race remains). */
async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

export interface TestRegistry {
    /** `127.0.0.1:<port>`, the registry part of image references. */
    host: string;
    port: number;
    stop(): Promise<void>;
}

async function waitUntilUp(url: string, child: ChildProcess, log: string): Promise<void> {
    // Bounded: 100 attempts 50 ms apart, i.e. about 5 s plus request time.
    for (let attempt = 0; attempt < 100; attempt++) {
        if (child.exitCode !== null) {
            throw new Error(`docker-registry exited with ${child.exitCode}: ${readFileSync(log, "utf8").slice(-2000)}`);
        }
        try {
            const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
            // 401: up, and asking for the credentials of its htpasswd file.
            if (res.status === 200 || res.status === 401) return;
        } catch {
            // not listening yet
        }
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
        `docker-registry did not answer ${url} within the retry budget: ${readFileSync(log, "utf8").slice(-2000)}`,
    );
}

/**
 * Starts a registry on 127.0.0.1 with storage in a fresh temporary directory. With `htpasswd` (the content of an
 * htpasswd file with bcrypt entries), every request needs Basic credentials of one of its users.
 */
export async function startRegistry(options: { htpasswd?: string } = {}): Promise<TestRegistry> {
    const dir = mkdtempSync(join(tmpdir(), "zdp-registry-"));
    const port = await freePort();
    const config = join(dir, "config.yml");
    writeFileSync(
        config,
        [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            `    rootdirectory: ${join(dir, "data")}`,
            "  delete:",
            "    enabled: true",
            "http:",
            `  addr: 127.0.0.1:${port}`,
            ...(options.htpasswd === undefined
                ? []
                : ["auth:", "  htpasswd:", "    realm: zdp-test", `    path: ${join(dir, "htpasswd")}`]),
            "",
        ].join("\n"),
    );
    if (options.htpasswd !== undefined) writeFileSync(join(dir, "htpasswd"), options.htpasswd);
    const log = join(dir, "registry.log");
    const fd = openSync(log, "a");
    const child = spawn(REGISTRY_BINARY, ["serve", config], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const stop = async (): Promise<void> => {
        if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child.once("exit", r));
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        await waitUntilUp(`http://127.0.0.1:${port}/v2/`, child, log);
    } catch (e) {
        await stop();
        throw e;
    }
    return { host: `127.0.0.1:${port}`, port, stop };
}

/** Builds a small, unique OCI image and pushes it; returns the manifest digest. */
export async function pushTestImage(
    client: RegistryClient,
    host: string,
    repository: string,
    label = "app",
): Promise<string> {
    const layer = Buffer.concat([Buffer.from(`layer of ${label}\n`), randomBytes(32)]);
    const config = Buffer.from(
        JSON.stringify({
            architecture: "amd64",
            os: "linux",
            config: { Labels: { "test.label": label } },
            rootfs: { type: "layers", diff_ids: [descriptorOf(layer, "x").digest] },
        }),
    );
    await client.pushBlob(host, repository, layer);
    await client.pushBlob(host, repository, config);
    const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptorOf(config, OCI_CONFIG),
        layers: [descriptorOf(layer, "application/vnd.oci.image.layer.v1.tar")],
    };
    const put = await client.putManifest(host, repository, label, manifestBytes(manifest), OCI_MANIFEST);
    return put.digest;
}
