// The action journal: an intent row before any provider call, then its result, with the
// endpoint's configuration before and after. The unique key makes every action happen once.
import type { EndpointConfig, PlannedAction } from "../core/types.ts";

export const MAX_ATTEMPTS = 3;

export type ActionStatus = "intent" | "done" | "failed" | "dry_run";

/** Keys the planner must not plan again today: done, recorded in dry run, or out of attempts. */
export async function settledKeys(db: D1Database, day: string): Promise<Set<string>> {
  const { results } = await db
    .prepare("SELECT key FROM actions WHERE day = ?1 AND (status IN ('done', 'dry_run') OR (status = 'failed' AND attempts >= ?2))")
    .bind(day, MAX_ATTEMPTS)
    .all<{ key: string }>();
  return new Set(results.map((r) => r.key));
}

/**
 * Writes the intent row. True when this tick may carry the action out: the key is new, or an
 * earlier attempt failed (and attempts remain), or an intent was left behind by a tick that died
 * (older than `staleBefore`).
 */
export async function claimAction(
  db: D1Database,
  a: PlannedAction,
  day: string,
  mode: "enforce" | "dry_run",
  now: number,
  staleBefore: number,
): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO actions (key, day, kind, endpoint, level, mode, status, reason, change, before, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'intent', ?7, ?8, ?9, ?10, ?10)
       ON CONFLICT (key) DO UPDATE SET status = 'intent', attempts = attempts + 1, reason = excluded.reason,
         change = excluded.change, before = excluded.before, mode = excluded.mode, error = NULL, updated_at = excluded.updated_at
       WHERE (actions.status = 'failed' AND actions.attempts < ?11) OR (actions.status = 'intent' AND actions.updated_at < ?12)`,
    )
    .bind(
      a.key,
      day,
      a.kind,
      a.endpoint,
      a.level,
      mode,
      a.reason,
      JSON.stringify(a.change),
      JSON.stringify(a.before),
      now,
      MAX_ATTEMPTS,
      staleBefore,
    )
    .run();
  return res.meta.changes === 1;
}

/** What the provider answered an action with: the endpoint's state and scaling right after it. */
export interface EndpointAfter {
  endpoint: string;
  state: string;
  readyReplica: number;
  targetReplica: number;
  minReplica: number;
  maxReplica: number;
  scaleToZeroTimeout: number | null;
}

/**
 * Records an action's result in one statement. With `observed` (the provider's answer to it), a
 * trigger (migration 0008) makes the endpoint's stored observation show that state and scaling at
 * once (status page, /v1/status, gateway); its observed_at and billable replicas stay the tick's,
 * which the next tick meters from.
 */
export async function finishAction(
  db: D1Database,
  key: string,
  status: Exclude<ActionStatus, "intent">,
  after: EndpointConfig | null,
  error: string | null,
  now: number,
  observed: EndpointAfter | null = null,
): Promise<void> {
  const o = observed && {
    endpoint: observed.endpoint,
    state: observed.state,
    readyReplica: observed.readyReplica,
    targetReplica: observed.targetReplica,
    minReplica: observed.minReplica,
    maxReplica: observed.maxReplica,
    scaleToZeroTimeout: observed.scaleToZeroTimeout,
  };
  await db
    .prepare("UPDATE actions SET status = ?2, after = ?3, error = ?4, updated_at = ?5, observed = ?6 WHERE key = ?1")
    .bind(key, status, after === null ? null : JSON.stringify(after), error, now, o === null ? null : JSON.stringify(o))
    .run();
}

export interface ActionRow {
  id: number;
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  level: number;
  mode: string;
  status: ActionStatus;
  attempts: number;
  reason: string;
  change: unknown;
  before: EndpointConfig;
  after: EndpointConfig | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

type RawActionRow = Omit<ActionRow, "change" | "before" | "after"> & { change: string; before: string; after: string | null };

export async function actionsOfDay(db: D1Database, day: string): Promise<ActionRow[]> {
  const { results } = await db.prepare("SELECT * FROM actions WHERE day = ?1 ORDER BY id").bind(day).all<RawActionRow>();
  return results.map((r) => ({
    ...r,
    change: JSON.parse(r.change),
    before: JSON.parse(r.before) as EndpointConfig,
    after: r.after === null ? null : (JSON.parse(r.after) as EndpointConfig),
  }));
}

/** Attempts made so far for an action key (0 when unknown). */
export async function actionAttempts(db: D1Database, key: string): Promise<number> {
  const row = await db.prepare("SELECT attempts FROM actions WHERE key = ?1").bind(key).first<{ attempts: number }>();
  return row?.attempts ?? 0;
}
