// The tick lease (src/store/lease.ts): one of two overlapping ticks acts; an invocation may take again a
// lease it already holds (a retry after a request whose answer was lost).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { releaseLease, startLeasedTick } from "../../src/store/index.ts";

describe("the tick lease", () => {
  it("lets one holder in at a time, its own retry back in, and the next after release or expiry", async () => {
    const T0 = Date.UTC(2026, 5, 1, 12);
    await env.DB.prepare("UPDATE lease SET holder = NULL, until_ms = 0 WHERE name = 'tick'").run();
    const take = (holder: string, now: number) => startLeasedTick(env.DB, { holder, now, ttlMs: 90_000 }, now);
    expect(await take("a", T0)).not.toBeNull();
    // Another invocation while a's lease runs: skipped.
    expect(await take("b", T0 + 1_000)).toBeNull();
    // a again (its first request committed, its answer lost): it gets back in, a second row for it.
    expect(await take("a", T0 + 2_000)).not.toBeNull();
    expect(await take("b", T0 + 3_000)).toBeNull();
    await releaseLease(env.DB, "a");
    expect(await take("b", T0 + 4_000)).not.toBeNull();
    // b's lease expires after 90 s: c gets it then, not before.
    expect(await take("c", T0 + 4_000 + 89_000)).toBeNull();
    expect(await take("c", T0 + 4_000 + 90_000)).not.toBeNull();
  });
});
