/**
 * The policy pack is uploaded and run as its own folder (`pulumi policy publish`, `--policy-pack policy-pack`), so
 * it imports nothing from outside it. The one fact it shares with the components, the release timing model, is
 * written from `components/lib/releaseTiming.ts` into `policy-pack/lib/releaseTiming.ts` by this script; a test fails
 * when the two drift.
 *
 *   npm run sync:policy-pack          write the copy
 *   npm run sync:policy-pack -- --check   exit 1 when the copy is out of date
 */
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** Sources the pack carries a generated copy of: component source → pack copy. */
export const SHARED_SOURCES: Record<string, string> = {
    "components/lib/releaseTiming.ts": "policy-pack/lib/releaseTiming.ts",
};

/** The pack's copy of `source`: the source itself under a header saying where it comes from. */
export function packCopy(source: string): string {
    const text = fs.readFileSync(path.join(ROOT, source), "utf8");
    return `// Generated from ${source} by \`npm run sync:policy-pack\`: edit the source, then run it again.\n${text}`;
}

/** Pack copies that differ from what their source would write. */
export function staleCopies(): string[] {
    return Object.entries(SHARED_SOURCES)
        .filter(([source, copy]) => {
            const file = path.join(ROOT, copy);
            return !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== packCopy(source);
        })
        .map(([, copy]) => copy);
}

if (require.main === module) {
    if (process.argv.includes("--check")) {
        const stale = staleCopies();
        if (stale.length > 0) {
            console.error(`out of date: ${stale.join(", ")}; run: npm run sync:policy-pack`);
            process.exit(1);
        }
    } else {
        for (const [source, copy] of Object.entries(SHARED_SOURCES)) {
            fs.writeFileSync(path.join(ROOT, copy), packCopy(source));
            console.error(`wrote ${copy} from ${source}`);
        }
    }
}
