// The action journal: an intent row before any provider call, then its result, with the
// endpoint's configuration before and after. The unique key makes every action happen once; the
// states and which event moves a row where come from core/lifecycle.ts, never from here.

import type { EndpointConfig, PlannedAction } from "../core/index.ts";
import { type ActionEvent, claimSources, type JournalState, MAX_ATTEMPTS, settledStates, sourcesOf, targetOf } from "../core/index.ts";
import {
  actionEventsStatement,
  EVENT_JSON,
  type EventRow,
  eventsJson,
  fromRawEvent,
  insertedEvents,
  type NewEvent,
  type RawEvent,
} from "./events.ts";

export { MAX_ATTEMPTS };
export type ActionStatus = JournalState;

const list = (states: readonly string[]) => states.map((s) => `'${s}'`).join(", ");

export interface Settled {
  /** keys the planner must not plan again today in this mode: settled, or out of attempts (a dry-run record settles only dry run) */
  keys: Set<string>;
  /** of those, the ones out of attempts: never planned again today, but they changed nothing */
  exhausted: Set<string>;
  /** when each endpoint's latest scale-up of the day was applied (the scale-up cooldown) */
  lastScaleUpAt: Map<string, number>;
  /** per endpoint: minReplica before its first scale-up of the day (what a release puts back) and what the last one pinned */
  scaleUpFloor: Map<string, { floor: number; pinned: number }>;
}

/** What today's journal settles, in one query. */
export async function settledToday(db: D1Database, day: string, mode: "enforce" | "dry_run"): Promise<Settled> {
  const { results } = await db
    .prepare(
      `SELECT key, kind, endpoint, status, updated_at, json_extract(before, '$.minReplica') AS floor,
         json_extract(after, '$.minReplica') AS pinned FROM actions
       WHERE day = ?1 AND (status IN (${list(settledStates(mode))}) OR (status = 'failed' AND attempts >= ?2)) ORDER BY id`,
    )
    .bind(day, MAX_ATTEMPTS)
    .all<{
      key: string;
      kind: string;
      endpoint: string;
      status: string;
      updated_at: number;
      floor: number | null;
      pinned: number | null;
    }>();
  const lastScaleUpAt = new Map<string, number>();
  const scaleUpFloor = new Map<string, { floor: number; pinned: number }>();
  for (const r of results) {
    if (r.kind !== "scale_up" || r.status !== "applied" || r.floor === null || r.pinned === null) continue;
    lastScaleUpAt.set(r.endpoint, Math.max(r.updated_at, lastScaleUpAt.get(r.endpoint) ?? 0));
    scaleUpFloor.set(r.endpoint, { floor: scaleUpFloor.get(r.endpoint)?.floor ?? r.floor, pinned: r.pinned });
  }
  const exhausted = new Set(results.filter((r) => r.status === "failed").map((r) => r.key));
  return { keys: new Set(results.map((r) => r.key)), exhausted, lastScaleUpAt, scaleUpFloor };
}

/**
 * Writes the intent row: the journal entry and the per-endpoint claim in one statement. True when
 * the caller may carry the action out: the key is new, or an earlier attempt failed (attempts
 * remain), or (in enforce) only a dry-run record exists; and no other live intent (younger than
 * `staleBefore`) holds the same endpoint, so a forced or scheduled action never races a tick on it.
 * A dead caller's intent is never re-claimed blindly: reconciliation resolves it first.
 * Returns the attempt number this claim is (1 for the first), or null when it may not act.
 */
export async function claimAction(...args: ClaimArgs): Promise<number | null> {
  return (await claimStatement(...args).first<{ attempts: number }>())?.attempts ?? null;
}

/**
 * `claimAction` with the one-shot alerts that say the action begins (a restore's), written with the claim
 * in one batch and only when the claim was taken: an action under way has its announcement, and a claim
 * not taken announces nothing. With nothing to announce, the claim alone (one statement). Returns the
 * attempt (as claimAction) and the events recorded.
 */
export async function claimAnnounced(
  announce: readonly NewEvent[],
  ...args: ClaimArgs
): Promise<{ attempt: number | null; events: EventRow[] }> {
  if (announce.length === 0) return { attempt: await claimAction(...args), events: [] };
  const [db, a, , , now] = args;
  const [claimed, recorded] = await db.batch([
    claimStatement(...args),
    actionEventsStatement(db, announce, { key: a.key, status: "intent", at: now }),
  ]);
  return { attempt: (claimed?.results[0] as { attempts: number } | undefined)?.attempts ?? null, events: insertedEvents(recorded) };
}

/** What a claim takes: the journal, the action, its budget day, the mode, now, and the instant before which an intent is stale. */
type ClaimArgs = Parameters<typeof claimStatement>;

function claimStatement(
  db: D1Database,
  a: PlannedAction,
  day: string,
  mode: "enforce" | "dry_run",
  now: number,
  staleBefore: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO actions (key, day, kind, endpoint, level, mode, status, reason, change, before, expected, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'intent', ?7, ?8, ?9, ?10, ?11, ?11
       WHERE NOT EXISTS (SELECT 1 FROM actions WHERE endpoint = ?4 AND status = 'intent' AND updated_at >= ?13 AND key != ?1)
       ON CONFLICT (key) DO UPDATE SET status = 'intent', attempts = CASE WHEN actions.status = 'dry_run' THEN 1 ELSE attempts + 1 END,
         reason = excluded.reason, change = excluded.change, before = excluded.before, expected = excluded.expected,
         mode = excluded.mode, error = NULL, after = NULL, updated_at = excluded.updated_at
       WHERE actions.status IN (${list(claimSources(mode))}) AND (actions.status != 'failed' OR actions.attempts < ?12)
       RETURNING attempts`,
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
      JSON.stringify(a.after),
      now,
      MAX_ATTEMPTS,
      staleBefore,
    );
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
  /** who HF says made the change (the guardrail's own HF identity): a later "last updated by" naming it is not a person */
  updatedBy?: string | null;
}

const observedJson = (o: EndpointAfter | null) =>
  o === null
    ? null
    : JSON.stringify({
        endpoint: o.endpoint,
        state: o.state,
        readyReplica: o.readyReplica,
        targetReplica: o.targetReplica,
        minReplica: o.minReplica,
        maxReplica: o.maxReplica,
        scaleToZeroTimeout: o.scaleToZeroTimeout,
        updatedBy: o.updatedBy ?? null,
      });

/** The outcome of an intent: the event (succeed, fail, record_dry_run, confirm, lose) the lifecycle allows from its state. */
export interface ActionResult {
  key: string;
  event: Extract<ActionEvent, "succeed" | "fail" | "record_dry_run" | "confirm" | "lose">;
  after: EndpointConfig | null;
  error: string | null;
  /** the provider's answer (or read-back): a trigger (migration 0008) shows it in the stored observation */
  observed?: EndpointAfter | null;
}

/**
 * Records an action's result and its timeline events in one statement (migration 0017): the result only
 * from a state the lifecycle allows for the event (a late answer never overwrites a row reconciliation
 * already resolved), the events only with it, inserted by a trigger for the row the UPDATE moves. So a
 * result is never in the journal without its events, and the pair costs one D1 query. Returns whether
 * the row moved, and the events recorded (new ones only: an alert's dedup key keeps it once).
 */
export async function finishAction(
  db: D1Database,
  r: ActionResult,
  now: number,
  events: readonly NewEvent[] = [],
): Promise<{ changed: boolean; events: EventRow[] }> {
  const row = await db
    .prepare(
      `UPDATE actions SET status = ?2, after = ?3, error = ?4, updated_at = ?5, observed = ?6,
         result_events = CASE WHEN ?7 IS NULL THEN NULL
           ELSE json_object('after', (SELECT COALESCE(MAX(id), 0) FROM events), 'events', json(?7)) END
       WHERE key = ?1 AND status IN (${list(sourcesOf(r.event))})
       RETURNING (SELECT json_group_array(${EVENT_JSON}) FROM events WHERE id > result_events ->> '$.after') AS events`,
    )
    .bind(
      r.key,
      targetOf(r.event),
      r.after === null ? null : JSON.stringify(r.after),
      r.error,
      now,
      observedJson(r.observed ?? null),
      events.length > 0 ? eventsJson(events) : null,
    )
    .first<{ events: string }>();
  const recorded = row === null ? [] : (JSON.parse(row.events) as RawEvent[]);
  return { changed: row !== null, events: recorded.map(fromRawEvent).sort((a, b) => a.id - b.id) };
}

/** One statement per result, for a batch (reconciliation). */
export function finishActionsStatements(db: D1Database, results: readonly ActionResult[], now: number): D1PreparedStatement[] {
  return results.map((r) =>
    db
      .prepare(
        `UPDATE actions SET status = ?2, after = COALESCE(?3, after), error = ?4, updated_at = ?5, observed = COALESCE(?6, observed)
         WHERE key = ?1 AND status IN (${list(sourcesOf(r.event))})`,
      )
      .bind(r.key, targetOf(r.event), r.after === null ? null : JSON.stringify(r.after), r.error, now, observedJson(r.observed ?? null)),
  );
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
  /** the configuration the action was to leave (null on rows older than migration 0009 that never finished) */
  expected: EndpointConfig | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

type RawActionRow = Omit<ActionRow, "change" | "before" | "after" | "expected"> & {
  change: string;
  before: string;
  after: string | null;
  expected: string | null;
};

const parseRow = (r: RawActionRow): ActionRow => ({
  id: r.id,
  key: r.key,
  day: r.day,
  kind: r.kind,
  endpoint: r.endpoint,
  level: r.level,
  mode: r.mode,
  status: r.status,
  attempts: r.attempts,
  reason: r.reason,
  change: JSON.parse(r.change),
  before: JSON.parse(r.before) as EndpointConfig,
  after: r.after === null ? null : (JSON.parse(r.after) as EndpointConfig),
  expected: r.expected === null ? null : (JSON.parse(r.expected) as EndpointConfig),
  error: r.error,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const COLUMNS =
  "id, key, day, kind, endpoint, level, mode, status, attempts, reason, change, before, after, expected, error, created_at, updated_at";

export async function actionsOfDay(db: D1Database, day: string): Promise<ActionRow[]> {
  const { results } = await db.prepare(`SELECT ${COLUMNS} FROM actions WHERE day = ?1 ORDER BY id`).bind(day).all<RawActionRow>();
  return results.map(parseRow);
}

/**
 * Rows whose outcome is not known or not final: intents older than `staleBefore` (their caller
 * died or ran out of time; a dry run's too, whose record was lost) and failed enforce rows, of the
 * last `days` budget days (from `sinceDay`).
 */
export async function unresolvedActions(db: D1Database, sinceDay: string, staleBefore: number): Promise<ActionRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM actions WHERE day >= ?1
         AND ((status = 'intent' AND updated_at < ?2) OR (status = 'failed' AND mode = 'enforce')) ORDER BY id`,
    )
    .bind(sinceDay, staleBefore)
    .all<RawActionRow>();
  return results.map(parseRow);
}

/** Attempts made so far for an action key (0 when unknown). */
export async function actionAttempts(db: D1Database, key: string): Promise<number> {
  const row = await db.prepare("SELECT attempts FROM actions WHERE key = ?1").bind(key).first<{ attempts: number }>();
  return row?.attempts ?? 0;
}
