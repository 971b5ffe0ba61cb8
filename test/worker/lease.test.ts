// The tick lease (src/store/lease.ts): one of two overlapping ticks acts; an invocation may take again a
// lease it already holds (a retry after a request whose answer was lost); the tick's row, once its outcome
// is written, has released it (migration 0017), a failed write too, and another holder's row never does.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { failTick, finishTick, releaseLease, startLeasedTick, type TickSummary } from "../../src/store/index.ts";

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

  it("is released by the tick's own outcome, written in the same statement, and only its own", async () => {
    const T0 = Date.UTC(2026, 8, 1, 12);
    await env.DB.prepare("UPDATE lease SET holder = NULL, until_ms = 0 WHERE name = 'tick'").run();
    const take = (holder: string, now: number) => startLeasedTick(env.DB, { holder, now, ttlMs: 90_000 }, now);
    const summary: TickSummary = {
      outcome: "ok",
      day: "2026-09-01",
      spendMicro: 0,
      budgetMicro: 1,
      ratio: 0,
      level: 0,
      endpoints: 0,
      actions: 0,
      alerts: 0,
      subrequests: 0,
      error: null,
    };
    const a = await take("lease-a", T0);
    expect(a).not.toBeNull();
    await finishTick(env.DB, a as number, T0 + 1_000, summary);
    const b = await take("lease-b", T0 + 2_000);
    expect(b).not.toBeNull();
    // a's row written again (a retry of its last write) while b holds the lease: b keeps it.
    await finishTick(env.DB, a as number, T0 + 3_000, summary);
    expect(await take("lease-c", T0 + 4_000)).toBeNull();
    // b fails: its row says error, and the lease is free.
    await failTick(env.DB, b as number, T0 + 5_000, { ...summary, outcome: "error", error: "boom" });
    expect(await take("lease-c", T0 + 6_000)).not.toBeNull();
  });
});
