/**
 * The check traffic Job's command, run as rendered (no shell) with the local curl against a server on 127.0.0.1:
 * every endpoint gets its share of the requests, each the plain path (the range lives in a fragment curl never
 * sends), and answers that are not 2xx do not fail the Job (the score judges them).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { checkTrafficJob } from "../../../components/releaseAnalysis";
import { requireTool } from "./tools";

describe("check traffic Job", function () {
    this.timeout(30_000);
    let server: http.Server;
    const seen: string[] = [];

    before(async function () {
        requireTool(this, "curl", "apt-get install curl");
        server = http.createServer((req, res) => {
            seen.push(req.url ?? "");
            res.statusCode = req.url === "/readyz" ? 404 : 200;
            res.end("ok");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("requests each endpoint per its weight, without a shell, and succeeds whatever the answers", async () => {
        const job = checkTrafficJob(
            { image: "curl@sha256:x", requestsPerMinute: 600, durationSeconds: 2, podLabels: { check: "app" } },
            [
                { path: "/healthz", weight: 60 },
                { path: "/readyz", weight: 40 },
            ],
        ) as { activeDeadlineSeconds: number; template: { spec: { containers: { command: string[] }[] } } };
        assert.equal(job.activeDeadlineSeconds, 12);
        const port = String((server.address() as AddressInfo).port);
        const commands = job.template.spec.containers.map((c) =>
            c.command.map((a) => a.replace("{{args.service-host}}", "127.0.0.1").replace("{{args.port}}", port)),
        );
        for (const command of commands) assert.equal(command[0], "curl", "no shell");
        const started = Date.now();
        // The containers of one pod run side by side.
        await Promise.all(commands.map(([bin, ...args]) => promisify(execFile)(bin, args, { timeout: 20_000 })));
        const count = (p: string) => seen.filter((u) => u === p).length;
        assert.deepEqual([count("/healthz"), count("/readyz"), seen.length], [12, 8, 20]);
        assert.ok(Date.now() - started >= 1000, "curl --rate spreads the requests over the duration");
    });
});
