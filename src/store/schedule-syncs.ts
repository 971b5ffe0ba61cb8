// The Worker-side schedule sync journal: one row per desired state (hash), so a policy change is
// synced once by the first tick that sees it, and a failed sync is retried with a limit.
import { type EventRow, eventsStatement, insertedEvents, type NewEvent } from "./events.ts";

export const SYNC_MAX_ATTEMPTS = 5;

/**
 * True when this invocation may sync `hash`: never tried, or failed earlier (attempts left), or
 * left running by an invocation that died (started before `staleBefore`).
 */
export async function claimScheduleSync(db: D1Database, hash: string, now: number, staleBefore: number): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO schedule_syncs (hash, status, started_at) VALUES (?1, 'running', ?2)
       ON CONFLICT (hash) DO UPDATE SET status = 'running', attempts = attempts + 1, started_at = excluded.started_at,
         finished_at = NULL, error = NULL
       WHERE (schedule_syncs.status = 'failed' AND schedule_syncs.attempts < ?3)
          OR (schedule_syncs.status = 'running' AND schedule_syncs.started_at < ?4)`,
    )
    .bind(hash, now, SYNC_MAX_ATTEMPTS, staleBefore)
    .run();
  return res.meta.changes === 1;
}

/**
 * Records the sync's outcome with its timeline events (schedule_sync and, failed, its alert) in one batch:
 * a sync out of attempts is never tried again, so its alert must land with its row or not at all.
 * Returns the events that were new.
 */
export async function finishScheduleSync(
  db: D1Database,
  hash: string,
  status: "done" | "failed",
  summary: string,
  error: string | null,
  now: number,
  events: readonly NewEvent[] = [],
): Promise<EventRow[]> {
  const finish = db
    .prepare("UPDATE schedule_syncs SET status = ?2, summary = ?3, error = ?4, finished_at = ?5 WHERE hash = ?1")
    .bind(hash, status, summary, error, now);
  if (events.length === 0) {
    await finish.run();
    return [];
  }
  const [, recorded] = await db.batch([finish, eventsStatement(db, events)]);
  return insertedEvents(recorded);
}

export interface ScheduleSyncRow {
  hash: string;
  status: "running" | "done" | "failed";
  attempts: number;
  started_at: number;
  finished_at: number | null;
  summary: string | null;
  error: string | null;
}

export async function lastScheduleSync(db: D1Database): Promise<ScheduleSyncRow | null> {
  return db.prepare("SELECT * FROM schedule_syncs ORDER BY started_at DESC LIMIT 1").first<ScheduleSyncRow>();
}
