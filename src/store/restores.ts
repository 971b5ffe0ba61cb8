// Restore bookkeeping on the action journal: which applied actions of earlier days are not put
// back yet (with the schedule commands that took over a part since), and moving them to restored,
// left_by_person or superseded once a restore ran or was settled without one.
import type { Change, DoneAction, EndpointConfig, RestoreMark } from "../core/index.ts";
import { type EventRow, eventsStatement, insertedEvents, type NewEvent } from "./events.ts";

interface DoneRow {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  change: string;
  before: string;
  after: string | null;
  applied_by: string | null;
}

const doneAction = (r: DoneRow): DoneAction => ({
  key: r.key,
  day: r.day,
  kind: r.kind,
  endpoint: r.endpoint,
  change: JSON.parse(r.change) as Change,
  before: JSON.parse(r.before) as EndpointConfig,
  after: r.after === null ? null : (JSON.parse(r.after) as EndpointConfig),
  appliedBy: r.applied_by,
});

/**
 * The guardrail's applied changes on `endpointFilter` rows, oldest first, with the schedule commands
 * applied to the same endpoints after them: a schedule's change owns its part, so a restore leaves it.
 * Restores themselves are never restored.
 */
function ownedSql(guardrailWhere: string): string {
  return `WITH owned AS (
      SELECT id, endpoint FROM actions WHERE status = 'applied' AND kind NOT IN ('restore', 'schedule_scale') AND ${guardrailWhere}
    )
    SELECT key, day, kind, endpoint, change, before, after, json_extract(observed, '$.updatedBy') AS applied_by FROM actions WHERE id IN (SELECT id FROM owned)
       OR (kind = 'schedule_scale' AND status = 'applied' AND id > (SELECT MIN(o.id) FROM owned o WHERE o.endpoint = actions.endpoint))
    ORDER BY id`;
}

/** Changes carried out before `day` and not restored yet, oldest first, with the schedule commands since. */
export async function restoreCandidates(db: D1Database, day: string): Promise<DoneAction[]> {
  const { results } = await db.prepare(ownedSql("day < ?1")).bind(day).all<DoneRow>();
  return results.map(doneAction);
}

/** Every change carried out and not restored yet, of any day (what a forced restore puts back), with the schedule commands since. */
export async function unrestoredActions(db: D1Database): Promise<DoneAction[]> {
  const { results } = await db.prepare(ownedSql("1 = 1")).all<DoneRow>();
  return results.map(doneAction);
}

/** Moves applied journal rows to restored, left_by_person or superseded, in one statement. */
export async function markRestored(db: D1Database, marks: readonly RestoreMark[], now: number): Promise<void> {
  await markStatement(db, marks, now)?.run();
}

function markStatement(db: D1Database, marks: readonly RestoreMark[], now: number): D1PreparedStatement | null {
  const rows = marks.flatMap((m) => m.keys.map((key) => ({ key, status: m.status })));
  if (rows.length === 0) return null;
  return db
    .prepare(
      `UPDATE actions SET status = (SELECT json_extract(value, '$.status') FROM json_each(?1) WHERE json_extract(value, '$.key') = actions.key),
         restored_at = ?2, updated_at = ?2
       WHERE key IN (SELECT json_extract(value, '$.key') FROM json_each(?1)) AND status = 'applied'`,
    )
    .bind(JSON.stringify(rows), now);
}

/**
 * After a tick's restores: its marks (markRestored), the failed restores its applied ones superseded, and
 * the alerts saying what it left as a person set it (restore_skipped), in one batch (one transaction). An
 * alert about a row settled without a restore lands with the settling, or neither does and the next tick
 * plans both again (a settled row is never a candidate again, so an alert written after it could be lost).
 */
export async function settleRestoreRows(
  db: D1Database,
  s: { marks: readonly RestoreMark[]; restoredEndpoints: readonly string[]; day: string; now: number; alerts: readonly NewEvent[] },
): Promise<EventRow[]> {
  const statements = [
    markStatement(db, s.marks, s.now),
    supersedeStatement(db, s.restoredEndpoints, s.day, s.now),
    s.alerts.length > 0 ? eventsStatement(db, s.alerts) : null,
  ];
  const batch = statements.filter((x): x is D1PreparedStatement => x !== null);
  if (batch.length === 0) return [];
  const results = await db.batch(batch);
  return s.alerts.length > 0 ? insertedEvents(results[batch.length - 1]) : [];
}

/**
 * Earlier days' restores of `endpoints` that failed are superseded once a later restore of the same
 * endpoint is applied: it put back everything still applied from before (the failed one's job too),
 * so the failed row would otherwise read `failed` for an endpoint HF shows restored (state machine:
 * supersede, failed -> superseded).
 */
function supersedeStatement(db: D1Database, endpoints: readonly string[], day: string, now: number): D1PreparedStatement | null {
  if (endpoints.length === 0) return null;
  return db
    .prepare(
      `UPDATE actions SET status = 'superseded', updated_at = ?3
       WHERE kind = 'restore' AND status = 'failed' AND mode = 'enforce' AND day < ?2
         AND endpoint IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify([...new Set(endpoints)]), day, now);
}

/** How many earlier days' changes wait for a restore (for /v1/status). */
export async function pendingRestores(db: D1Database, day: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM actions WHERE status = 'applied' AND day < ?1 AND kind NOT IN ('restore', 'schedule_scale')")
    .bind(day)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
