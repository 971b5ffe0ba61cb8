// The tick lease: one conditional UPDATE decides which of two overlapping ticks may act.
export const TICK_LEASE = "tick";

/** True when `holder` now holds the lease until `now + ttlMs`. */
export async function takeLease(db: D1Database, holder: string, now: number, ttlMs: number, name = TICK_LEASE): Promise<boolean> {
  const res = await db
    .prepare("UPDATE lease SET holder = ?1, until_ms = ?2 WHERE name = ?3 AND until_ms <= ?4")
    .bind(holder, now + ttlMs, name, now)
    .run();
  return res.meta.changes === 1;
}

export async function releaseLease(db: D1Database, holder: string, name = TICK_LEASE): Promise<void> {
  await db.prepare("UPDATE lease SET until_ms = 0 WHERE name = ?1 AND holder = ?2").bind(name, holder).run();
}
