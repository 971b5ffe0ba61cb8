// One row per tick that took the lease: when it ran, what it saw and how it ended.
import { takeLeaseStatement } from "./lease.ts";

export type TickOutcome = "running" | "ok" | "partial" | "blind" | "policy_invalid" | "error";

export interface TickSummary {
  outcome: Exclude<TickOutcome, "running">;
  day: string | null;
  spendMicro: number | null;
  budgetMicro: number | null;
  ratio: number | null;
  level: number | null;
  endpoints: number;
  actions: number;
  alerts: number;
  subrequests: number;
  error: string | null;
}

export interface TickRow extends TickSummary {
  id: number;
  scheduledAt: number;
  startedAt: number;
  finishedAt: number | null;
}

/**
 * Takes the tick lease (lease.ts's conditional UPDATE) and, only if it was taken, inserts the tick's
 * row, in one batch: one round trip to D1. The tick's id, or null when another tick holds the lease
 * (no row is written then). `changes()` is the UPDATE's row count: the batch runs its statements in
 * order on one connection, as one transaction. The row names the lease's holder: writing its outcome
 * releases the lease (a trigger, migration 0017), so the tick's last write is one statement.
 */
export async function startLeasedTick(
  db: D1Database,
  lease: { holder: string; now: number; ttlMs: number },
  startedAt: number,
): Promise<number | null> {
  const [, row] = await db.batch<{ id: number }>([
    takeLeaseStatement(db, lease.holder, lease.now, lease.ttlMs),
    db
      .prepare(
        "INSERT INTO ticks (scheduled_at, started_at, outcome, holder) SELECT ?1, ?2, 'running', ?3 WHERE changes() = 1 RETURNING id",
      )
      .bind(lease.now, startedAt, lease.holder),
  ]);
  return row?.results[0]?.id ?? null;
}

/** Writes the tick's outcome, and so releases the tick's lease (its row's holder's; migration 0017). */
export async function finishTick(db: D1Database, id: number, finishedAt: number, s: TickSummary): Promise<void> {
  await tickSummaryStatement(db, id, finishedAt, s, "").run();
}

/**
 * Writes a failed tick's outcome, only while its row still says `running`: when the tick's own
 * finishTick landed and only D1's answer was lost, the row keeps what the tick did. Releases the lease
 * when it writes (as finishTick does).
 */
export async function failTick(db: D1Database, id: number, finishedAt: number, s: TickSummary): Promise<void> {
  await tickSummaryStatement(db, id, finishedAt, s, " AND outcome = 'running'").run();
}

/** Adds subrequests made after the tick's row was written, in the same invocation (the schedule sync's). */
export async function addTickSubrequests(db: D1Database, id: number, n: number): Promise<void> {
  await db.prepare("UPDATE ticks SET subrequests = coalesce(subrequests, 0) + ?2 WHERE id = ?1").bind(id, n).run();
}

function tickSummaryStatement(db: D1Database, id: number, finishedAt: number, s: TickSummary, onlyIf: string): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE ticks SET finished_at = ?2, outcome = ?3, day = ?4, spend_micro = ?5, budget_micro = ?6, ratio = ?7, level = ?8,
         endpoints = ?9, actions = ?10, alerts = ?11, subrequests = ?12, error = ?13 WHERE id = ?1${onlyIf}`,
    )
    .bind(
      id,
      finishedAt,
      s.outcome,
      s.day,
      s.spendMicro,
      s.budgetMicro,
      s.ratio,
      s.level,
      s.endpoints,
      s.actions,
      s.alerts,
      s.subrequests,
      s.error,
    );
}

interface RawTick {
  id: number;
  scheduled_at: number;
  started_at: number;
  finished_at: number | null;
  outcome: Exclude<TickOutcome, "running">;
  day: string | null;
  spend_micro: number | null;
  budget_micro: number | null;
  ratio: number | null;
  level: number | null;
  endpoints: number | null;
  actions: number | null;
  alerts: number | null;
  subrequests: number | null;
  error: string | null;
}

export async function recentTicks(db: D1Database, limit: number): Promise<TickRow[]> {
  const { results } = await db.prepare("SELECT * FROM ticks ORDER BY id DESC LIMIT ?1").bind(limit).all<RawTick>();
  return results.map((r) => ({
    id: r.id,
    scheduledAt: r.scheduled_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    outcome: r.outcome,
    day: r.day,
    spendMicro: r.spend_micro,
    budgetMicro: r.budget_micro,
    ratio: r.ratio,
    level: r.level,
    endpoints: r.endpoints ?? 0,
    actions: r.actions ?? 0,
    alerts: r.alerts ?? 0,
    subrequests: r.subrequests ?? 0,
    error: r.error,
  }));
}

export interface SpendPoint {
  /** the tick's scheduled time */
  at: number;
  /** the day's total spend after that tick */
  spendMicro: number;
  level: number;
}

/**
 * The day's spend after each tick, oldest first: the line on the status page. The range on the
 * indexed started_at (a tick never starts before its budget day does) keeps the read to the
 * day's rows instead of the whole table.
 */
export async function spendSeries(db: D1Database, day: string, dayStart: number): Promise<SpendPoint[]> {
  const { results } = await db
    .prepare(
      `SELECT scheduled_at, spend_micro, level FROM ticks
       WHERE started_at >= ?2 AND day = ?1 AND spend_micro IS NOT NULL ORDER BY scheduled_at LIMIT 5000`,
    )
    .bind(day, dayStart)
    .all<{ scheduled_at: number; spend_micro: number; level: number | null }>();
  return results.map((r) => ({ at: r.scheduled_at, spendMicro: r.spend_micro, level: r.level ?? 0 }));
}
