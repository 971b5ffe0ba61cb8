// The tick lease: one conditional UPDATE decides which of two overlapping ticks may act.
export const TICK_LEASE = "tick";

/**
 * The lease's conditional UPDATE: it changes one row when `holder` now holds the lease until `now + ttlMs`
 * (ticks.ts sends it with the tick's row, startLeasedTick). A holder is one invocation's own id, so it may
 * take again a lease it already holds: a retry after a request whose answer was lost (it committed, the
 * tick did not hear so) takes it, where it would otherwise lock its own tick out for the lease's length.
 */
export function takeLeaseStatement(db: D1Database, holder: string, now: number, ttlMs: number, name = TICK_LEASE): D1PreparedStatement {
  return db
    .prepare("UPDATE lease SET holder = ?1, until_ms = ?2 WHERE name = ?3 AND (until_ms <= ?4 OR holder = ?1)")
    .bind(holder, now + ttlMs, name, now);
}

export async function releaseLease(db: D1Database, holder: string, name = TICK_LEASE): Promise<void> {
  await db.prepare("UPDATE lease SET until_ms = 0 WHERE name = ?1 AND holder = ?2").bind(name, holder).run();
}
