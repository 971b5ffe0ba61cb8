// The event timeline: actions, alerts and tick errors. Alerts carry a dedup key, so the same
// condition is recorded once per budget day however many ticks see it.
import type { Severity } from "../core/index.ts";

export type EventType = "action" | "alert" | "error" | "override";

export interface NewEvent {
  at: number;
  type: EventType;
  kind: string;
  severity: Severity | null;
  endpoint: string | null;
  title: string;
  message: string;
  data: Record<string, unknown>;
  dedupKey: string | null;
}

export interface EventRow extends NewEvent {
  id: number;
}

/** Inserts events in one statement; returns the ones that were new (duplicates by dedup key are skipped). */
export async function recordEvents(db: D1Database, events: readonly NewEvent[]): Promise<EventRow[]> {
  if (events.length === 0) return [];
  const { results } = await eventsStatement(db, events).all<RawEvent>();
  return results.map(fromRawEvent).sort((a, b) => a.id - b.id);
}

/** The insert of `recordEvents` as a statement, to batch it with another write (one transaction). */
export function eventsStatement(db: D1Database, events: readonly NewEvent[]): D1PreparedStatement {
  return db.prepare(`${INSERT_EVENTS} ${RETURNING_EVENTS}`).bind(eventsJson(events));
}

/**
 * The insert of `recordEvents`, written only if the journal row `key` is in `status` as of `at`: batched
 * after the row's result, so an action's event lands with its result or not at all (a late answer the
 * journal refused records nothing).
 */
export function actionEventsStatement(
  db: D1Database,
  events: readonly NewEvent[],
  row: { key: string; status: string; at: number },
): D1PreparedStatement {
  return guardedEventsStatement(db, events, "EXISTS (SELECT 1 FROM actions WHERE key = ?2 AND status = ?3 AND updated_at = ?4)", [
    row.key,
    row.status,
    row.at,
  ]);
}

/**
 * The insert of `recordEvents`, each event written only where `where` holds: batched after the state
 * change that raises them (an approval row, a channel's fault), so a one-shot alert lands with its cause
 * or not at all. `where` reads the event's JSON as `value` (extra fields beside a NewEvent's are kept
 * there for it) and its parameters from ?2.
 */
export function guardedEventsStatement(
  db: D1Database,
  events: readonly NewEvent[],
  where: string,
  params: readonly unknown[],
): D1PreparedStatement {
  return db.prepare(`${INSERT_EVENTS} WHERE ${where} ${RETURNING_EVENTS}`).bind(eventsJson(events), ...params);
}

/** The rows a batched events statement returned, oldest first. */
export const insertedEvents = (result: D1Result<unknown> | undefined): EventRow[] =>
  ((result?.results ?? []) as RawEvent[]).map(fromRawEvent).sort((a, b) => a.id - b.id);

const INSERT_EVENTS = `INSERT OR IGNORE INTO events (at, type, kind, severity, endpoint, title, message, data, dedup_key)
  SELECT json_extract(value, '$.at'), json_extract(value, '$.type'), json_extract(value, '$.kind'),
         json_extract(value, '$.severity'), json_extract(value, '$.endpoint'), json_extract(value, '$.title'),
         json_extract(value, '$.message'), json_extract(value, '$.data'), json_extract(value, '$.dedupKey')
  FROM json_each(?1)`;
const RETURNING_EVENTS = "RETURNING id, at, type, kind, severity, endpoint, title, message, data, dedup_key";
/** Events as the JSON the inserts read (`data` as its own JSON text, as the column keeps it). */
export const eventsJson = (events: readonly NewEvent[]) => JSON.stringify(events.map((e) => ({ ...e, data: JSON.stringify(e.data) })));

/** An events row as a JSON object of RawEvent's fields, for a statement that returns events as JSON (json_group_array). */
export const EVENT_JSON = `json_object('id', id, 'at', at, 'type', type, 'kind', kind, 'severity', severity, 'endpoint', endpoint,
  'title', title, 'message', message, 'data', data, 'dedup_key', dedup_key)`;

export interface RawEvent {
  id: number;
  at: number;
  type: EventType;
  kind: string;
  severity: Severity | null;
  endpoint: string | null;
  title: string;
  message: string;
  data: string;
  dedup_key: string | null;
}

export const fromRawEvent = (r: RawEvent): EventRow => ({
  id: r.id,
  at: r.at,
  type: r.type,
  kind: r.kind,
  severity: r.severity,
  endpoint: r.endpoint,
  title: r.title,
  message: r.message,
  data: JSON.parse(r.data) as Record<string, unknown>,
  dedupKey: r.dedup_key,
});

/**
 * Whether an alert was ever recorded under `dedupKey`, or under its condition (`condition`: the key
 * without the budget day) on any budget day: what an ack may name.
 */
export async function alertKeyKnown(db: D1Database, dedupKey: string, condition: string): Promise<boolean> {
  // The exact key first (dedup_key is unique, so indexed); only then the condition on other days, a scan.
  const exact = await db.prepare("SELECT 1 AS known FROM events WHERE dedup_key = ?1 AND type = 'alert'").bind(dedupKey).first();
  if (exact !== null) return true;
  const row = await db
    .prepare(
      `SELECT 1 AS known FROM events WHERE type = 'alert'
         AND dedup_key GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]:*' AND substr(dedup_key, 12) = ?1 LIMIT 1`,
    )
    .bind(condition)
    .first<{ known: number }>();
  return row !== null;
}

/** Whether `dedupKey` is an error event's (a provider or billing error: its notice has a Snooze button too). */
export async function isErrorKey(db: D1Database, dedupKey: string | null): Promise<boolean> {
  if (dedupKey === null) return false;
  return (await db.prepare("SELECT 1 AS known FROM events WHERE dedup_key = ?1 AND type = 'error'").bind(dedupKey).first()) !== null;
}

export interface EventFilter {
  type?: EventType | undefined;
  kind?: string | undefined;
  endpoint?: string | undefined;
  /** only events with an id below this (paging backwards) */
  before?: number | undefined;
  /** only events with an id above this (following the timeline) */
  after?: number | undefined;
  limit: number;
}

/** Newest first. */
export async function listEvents(db: D1Database, f: EventFilter): Promise<EventRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace("?", `?${args.length}`));
  };
  if (f.type !== undefined) add("type = ?", f.type);
  if (f.kind !== undefined) add("kind = ?", f.kind);
  if (f.endpoint !== undefined) add("endpoint = ?", f.endpoint);
  if (f.before !== undefined) add("id < ?", f.before);
  if (f.after !== undefined) add("id > ?", f.after);
  args.push(f.limit);
  const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?${args.length}`;
  const { results } = await db
    .prepare(sql)
    .bind(...args)
    .all<RawEvent>();
  return results.map(fromRawEvent);
}
