/**
 * images-signed fails closed on every registry fault the fault-injecting registry (./helpers/faultRegistry.ts)
 * produces: each one is a mandatory violation with a message that says what happened, arrives within the short
 * timeouts and deadline set here, and carries no control character or escape sequence however the registry tried.
 * A break-glass exception naming the image turns registry failures (and only those) into an advisory note; tampered
 * answers and rejected signatures stay mandatory, and an expired exception fails.
 */
import { strict as assert } from "node:assert";
import { generateKeyPair } from "../../../policy-pack/images/keys";
import { isCleanText } from "../../../policy-pack/images/sanitize";
import { clearVerificationCache } from "../../../policy-pack/images/verify";
import { imagesSigned } from "../../../policy-pack/policies/images";
import { FAULTS, Fault, startFaultRegistry } from "./helpers/faultRegistry";
import { DIGEST_A, Reported, argsFor, rollout, run } from "./helpers/policy";

/** Per request 0.3 s, per image 1.5 s: the whole table runs in a few seconds. */
const TIMEOUT_SECONDS = 0.3;
const DEADLINE_SECONDS = 1.5;
const SLOWEST_MS = 3000;

const TRUSTED = [{ name: "release-ci", publicKey: generateKeyPair("ecdsa-p256").publicPem }];

/** What each fault must produce: the message pattern, and whether a break-glass exception may excuse it. */
/** `timeoutSeconds` where a fault needs a longer request timeout (8 MiB through a busy machine) to show its message. */
const EXPECTED: Record<Fault, { message: RegExp; excusable: boolean; timeoutSeconds?: number }> = {
    refused: { message: /ECONNREFUSED/, excusable: true },
    "status-500": { message: /answered HTTP 500/, excusable: true },
    hang: { message: /no answer within 0\.3s/, excusable: true },
    "slow-drip": { message: /broke off: no answer within 0\.3s/, excusable: true },
    "oversized-declared": { message: /answered 67108864 bytes, more than the 8388608 expected/, excusable: true },
    "oversized-streamed": {
        message: /answered more than the 8388608 bytes expected/,
        excusable: true,
        timeoutSeconds: 2,
    },
    garbage: { message: /is not JSON/, excusable: true },
    "redirect-loop": { message: /redirect/i, excusable: true },
    reset: { message: /ECONNRESET|other side closed|socket/i, excusable: true },
    "unauthorized-loop": { message: /refused .* with HTTP 401/, excusable: true },
    "escape-sequences": { message: /has media type "FORGEDx{94}…\(\d+ more characters\)"/, excusable: true },
    "tampered-blob": { message: /does not match its digest .*tampered or corrupt/, excusable: false },
    "oversized-blob": { message: /does not match its digest .*more than the \d+ bytes expected/, excusable: false },
    "slow-bad-signatures": {
        message: /no verdict within the 1\.5s deadline for 127\.0\.0\.1:\d+\/team\/app@sha256:a{64}/,
        excusable: false,
    },
};

function config(extra: object = {}): object {
    return { trustedKeys: TRUSTED, timeoutSeconds: TIMEOUT_SECONDS, deadlineSeconds: DEADLINE_SECONDS, ...extra };
}

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

async function check(host: string, cfg: object): Promise<{ reported: Reported[]; ms: number }> {
    clearVerificationCache();
    const started = Date.now();
    const image = `${host}/team/app@${DIGEST_A}`;
    const reported = await run(
        imagesSigned,
        argsFor("kubernetes:argoproj.io/v1alpha1:Rollout", rollout("api", image), cfg, { name: "api" }),
    );
    return { reported, ms: Date.now() - started };
}

function assertClean(reported: Reported[]): void {
    for (const r of reported) {
        assert.ok(isCleanText(r.message), `a message carries control characters: ${JSON.stringify(r.message)}`);
        assert.ok(r.message.length <= 4000, `a message is ${r.message.length} characters long`);
    }
}

describe("images-signed against a failing registry", function () {
    this.timeout(30_000);

    it("covers every fault of the fault registry", () => {
        assert.deepEqual(Object.keys(EXPECTED).sort(), [...FAULTS].sort());
    });

    for (const fault of FAULTS) {
        it(`${fault}: a mandatory violation, in time, with a clean message; break-glass ${EXPECTED[fault].excusable ? "excuses it as advisory" : "does not excuse it"}`, async () => {
            const registry = await startFaultRegistry(fault);
            try {
                const timeout = { timeoutSeconds: EXPECTED[fault].timeoutSeconds ?? TIMEOUT_SECONDS };
                const { reported, ms } = await check(registry.host, config(timeout));
                assert.ok(ms < SLOWEST_MS, `took ${ms} ms`);
                assert.equal(reported.length, 1, JSON.stringify(reported));
                assert.equal(reported[0].enforcementLevel, undefined, "mandatory: reported at the policy's level");
                assert.match(reported[0].message, EXPECTED[fault].message);
                assert.match(reported[0].message, /^Rollout prod\/api: containers\[0\] \(app\) image /);
                assertClean(reported);

                const breakGlass = [
                    { image: `${registry.host}/team/app`, expires: day(1), justification: "registry outage INC-42" },
                ];
                const excused = await check(registry.host, config({ ...timeout, breakGlass }));
                assertClean(excused.reported);
                const mandatory = excused.reported.filter((r) => r.enforcementLevel === undefined);
                const advisory = excused.reported.filter((r) => r.enforcementLevel === "advisory");
                if (EXPECTED[fault].excusable) {
                    assert.deepEqual(mandatory, []);
                    assert.equal(advisory.length, 1);
                    assert.match(
                        advisory[0].message,
                        /^break-glass \(breakGlass\[0\] .* until \d{4}-\d{2}-\d{2}: registry outage INC-42\)/,
                    );
                    assert.match(advisory[0].message, EXPECTED[fault].message);
                } else {
                    assert.equal(mandatory.length, 1, JSON.stringify(excused.reported));
                    assert.match(mandatory[0].message, EXPECTED[fault].message);
                    assert.ok(advisory.every((a) => /break-glass exception in force|break-glass/.test(a.message)));
                }
            } finally {
                await registry.stop();
            }
        });
    }

    it("an expired break-glass exception fails, and a break-glass for another image excuses nothing", async () => {
        const registry = await startFaultRegistry("status-500");
        try {
            const expired = await check(
                registry.host,
                config({
                    breakGlass: [{ image: `${registry.host}/team/app`, expires: day(-1), justification: "old" }],
                }),
            );
            const mandatory = expired.reported.filter((r) => r.enforcementLevel === undefined).map((r) => r.message);
            assert.equal(mandatory.length, 2, mandatory.join("\n"));
            assert.ok(
                mandatory.some((m) => /break-glass exception breakGlass\[0\] .* expired on \d{4}-\d{2}-\d{2}/.test(m)),
            );
            assert.ok(mandatory.some((m) => /answered HTTP 500/.test(m)));

            const other = await check(
                registry.host,
                config({ breakGlass: [{ image: `${registry.host}/team/other`, expires: day(1), justification: "x" }] }),
            );
            assert.equal(other.reported.length, 1);
            assert.equal(other.reported[0].enforcementLevel, undefined);

            const otherDigest = await check(
                registry.host,
                config({
                    breakGlass: [
                        {
                            image: `${registry.host}/team/app@sha256:${"b".repeat(64)}`,
                            expires: day(1),
                            justification: "x",
                        },
                    ],
                }),
            );
            assert.equal(otherDigest.reported.length, 1);
            assert.equal(otherDigest.reported[0].enforcementLevel, undefined);
        } finally {
            await registry.stop();
        }
    });
});
