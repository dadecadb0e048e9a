/**
 * What the image commands (`npm run sign`, `npm run attest`) share: how a failure becomes a message and an exit code,
 * and the options both take.
 *
 * Exit codes: 0 done (or `--help`), 1 failure (registry, network), 2 usage error (the message, a blank line and the
 * usage text) or an input file that is not what is expected (one line naming the file). Every message is one
 * `<command>: ...` line on stderr, never a stack trace.
 */
import { ImageReference, ReferenceError, parseReference } from "../images/reference";
import { SignFormat } from "../images/sign";

/** Where a command writes: progress and results to `out`, failures to `err`. */
export interface Io {
    out: (line: string) => void;
    err: (line: string) => void;
}

/** A wrong command line: the message, then the usage text, exit code 2. */
export class UsageError extends Error {}

/** A bad input file (the key, the report): one line naming it and what was expected, exit code 2, no usage text. */
export class InputError extends Error {}

/** A command's `main`: runs it on its arguments and returns the exit code; writes to the console unless given `io`. */
export type CommandMain = (argv: string[], io?: Io) => Promise<number>;

/**
 * The `main` of command `name`: `--help`/`-h` prints `usage`, anything else runs `body`, and what `body` throws is
 * mapped as the module comment says, each message prefixed with `name`.
 */
export function imageCommand(
    name: string,
    usage: string,
    body: (argv: string[], io: Io) => Promise<number> | number,
): CommandMain {
    return async (argv, io = { out: console.log, err: console.error }) => {
        try {
            if (argv.includes("--help") || argv.includes("-h")) {
                io.out(usage);
                return 0;
            }
            return await body(argv, io);
        } catch (e) {
            if (e instanceof UsageError) {
                io.err(`${name}: ${e.message}\n\n${usage}`);
                return 2;
            }
            if (e instanceof InputError) {
                io.err(`${name}: ${e.message}`);
                return 2;
            }
            io.err(`${name}: ${(e as Error).message}`);
            return 1;
        }
    };
}

/** Runs `main` with the process's arguments when `mod` is the program node started, and exits with its code. */
export function runAsProgram(mod: NodeModule, main: CommandMain): void {
    if (require.main !== mod) return;
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}

/** The IMAGE argument, parsed; a malformed reference is a usage error. */
export function imageArgument(image: string): ImageReference {
    try {
        return parseReference(image);
    } catch (e) {
        if (e instanceof ReferenceError) throw new UsageError(`${image} is not an image reference: ${e.message}`);
        throw e;
    }
}

/** `--format`: cosign, bundle or both. Defaults to both. */
export function formatOption(value: string | undefined): SignFormat {
    const format = value ?? "both";
    if (format !== "cosign" && format !== "bundle" && format !== "both")
        throw new UsageError(`--format must be cosign, bundle or both, not ${format}`);
    return format;
}

/** `--timeout` in seconds, for each registry request. Defaults to 30. */
export function timeoutOption(value: string | undefined): number {
    const seconds = value === undefined ? 30 : Number(value);
    if (!(seconds > 0)) throw new UsageError("--timeout must be a positive number of seconds");
    return seconds;
}
