// Restore bookkeeping on the action journal: which done actions of earlier days are not put back
// yet, and marking them once a restore ran (or was skipped because a person changed the endpoint).
import type { DoneAction } from "../core/restore.ts";
import type { Change, EndpointConfig } from "../core/types.ts";

interface DoneRow {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  change: string;
  before: string;
  after: string | null;
}

const doneAction = (r: DoneRow): DoneAction => ({
  key: r.key,
  day: r.day,
  kind: r.kind,
  endpoint: r.endpoint,
  change: JSON.parse(r.change) as Change,
  before: JSON.parse(r.before) as EndpointConfig,
  after: r.after === null ? null : (JSON.parse(r.after) as EndpointConfig),
});

/** Actions carried out (status done) before `day` and not restored yet, oldest first. Restores themselves are never restored. */
export async function restoreCandidates(db: D1Database, day: string): Promise<DoneAction[]> {
  const { results } = await db
    .prepare(
      `SELECT key, day, kind, endpoint, change, before, after FROM actions
       WHERE restore_status IS NULL AND status = 'done' AND day < ?1 AND kind != 'restore' ORDER BY id`,
    )
    .bind(day)
    .all<DoneRow>();
  return results.map(doneAction);
}

/** Marks journal keys as restored ('done') or skipped, in one statement. */
export async function markRestored(
  db: D1Database,
  marks: ReadonlyArray<{ keys: readonly string[]; status: "done" | "skipped" }>,
  now: number,
): Promise<void> {
  const rows = marks.flatMap((m) => m.keys.map((key) => ({ key, status: m.status })));
  if (rows.length === 0) return;
  await db
    .prepare(
      `UPDATE actions SET restore_status = (SELECT json_extract(value, '$.status') FROM json_each(?1) WHERE json_extract(value, '$.key') = actions.key),
         restored_at = ?2
       WHERE key IN (SELECT json_extract(value, '$.key') FROM json_each(?1)) AND restore_status IS NULL`,
    )
    .bind(JSON.stringify(rows), now)
    .run();
}

/** How many earlier days' actions wait for a restore (for /v1/status). */
export async function pendingRestores(db: D1Database, day: string): Promise<number> {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM actions WHERE restore_status IS NULL AND status = 'done' AND day < ?1 AND kind != 'restore'")
    .bind(day)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every action carried out and not restored yet, of any day, oldest first (what a forced restore puts back). */
export async function unrestoredActions(db: D1Database): Promise<DoneAction[]> {
  const { results } = await db
    .prepare(
      `SELECT key, day, kind, endpoint, change, before, after FROM actions
       WHERE restore_status IS NULL AND status = 'done' AND kind != 'restore' ORDER BY id`,
    )
    .all<DoneRow>();
  return results.map(doneAction);
}
