// The alert outbox: notices (what to say), deliveries (to which channel, how many tries, the result) and
// the alert conditions that hold (for recovery notices). Statements are set-based (json_each) so a tick
// spends few of its D1 queries here, and what must land together is written in one batch.
import type { Severity } from "../core/index.ts";
import { EVENT_JSON, type EventRow, fromRawEvent, type RawEvent } from "./events.ts";

export type Channel = "slack" | "sns";
export type DeliveryStatus = "pending" | "sent" | "failed" | "held";
export type NoticeType = "alert" | "recovery" | "summary";

export interface NewNotice {
  key: string;
  notice: NoticeType;
  eventId: number | null;
  kind: string;
  severity: Severity;
  endpoint: string | null;
  title: string;
  /** JSON-serialisable: everything a channel renders from */
  body: unknown;
}

export interface NewDelivery {
  noticeKey: string;
  channel: Channel;
  /** failed: an alert found too late to send (expired), with its reason in `error` */
  status: "pending" | "held" | "failed";
  hour: number;
  error?: string;
}

const WITHOUT_NOTICE = `SELECT e.* FROM events e LEFT JOIN notices n ON n.event_id = e.id
  WHERE e.id > coalesce((SELECT event_id FROM outbox_sweep WHERE id = 1), 0) AND e.type IN ('alert', 'error') AND n.key IS NULL`;

/**
 * Alert and error events above the sweep's mark (migration 0015) that have no notice yet, of any age. The
 * mark follows the notices stored (a trigger), so this reads only the alerts waiting for one.
 */
export async function eventsWithoutNotice(db: D1Database): Promise<EventRow[]> {
  const { results } = await db.prepare(`${WITHOUT_NOTICE} ORDER BY e.id`).all<RawEvent>();
  return results.map(fromRawEvent);
}

export interface HourUsage {
  /** deliveries that count against the rate limit (not held, not summaries) */
  counted: number;
  summary: boolean;
}

/** Per channel: how much of this clock hour's rate limit is used, and whether its summary exists. */
export async function hourUsage(db: D1Database, hour: number): Promise<Map<Channel, HourUsage>> {
  const { results } = await db
    .prepare(
      `SELECT d.channel AS channel,
              SUM(CASE WHEN d.status != 'held' AND n.notice != 'summary'
                        AND NOT (d.status = 'failed' AND COALESCE(d.error, '') LIKE 'expired:%') THEN 1 ELSE 0 END) AS counted,
              MAX(CASE WHEN n.notice = 'summary' THEN 1 ELSE 0 END) AS summary
       FROM deliveries d JOIN notices n ON n.key = d.notice_key WHERE d.hour = ?1 GROUP BY d.channel`,
    )
    .bind(hour)
    .all<{ channel: Channel; counted: number; summary: number }>();
  return new Map(results.map((r) => [r.channel, { counted: r.counted, summary: r.summary === 1 }]));
}

/** Stores notices and their deliveries together (one batch, one transaction); existing keys are left alone. */
export async function enqueueNotices(db: D1Database, notices: readonly NewNotice[], deliveries: readonly NewDelivery[], now: number) {
  if (notices.length === 0 && deliveries.length === 0) return;
  // Only the statements with rows to write: each statement counts against the invocation's D1 limit.
  await db.batch([
    ...(notices.length === 0
      ? []
      : [
          db
            .prepare(
              `INSERT OR IGNORE INTO notices (key, notice, event_id, kind, severity, endpoint, title, body, created_at)
               SELECT value ->> '$.key', value ->> '$.notice', value ->> '$.eventId', value ->> '$.kind', value ->> '$.severity',
                      value ->> '$.endpoint', value ->> '$.title', value ->> '$.body', ?2
               FROM json_each(?1)`,
            )
            .bind(JSON.stringify(notices.map((n) => ({ ...n, body: JSON.stringify(n.body) }))), now),
        ]),
    ...(deliveries.length === 0
      ? []
      : [
          db
            .prepare(
              `INSERT OR IGNORE INTO deliveries (notice_key, channel, status, attempts, next_at, hour, error, created_at, updated_at)
               SELECT value ->> '$.noticeKey', value ->> '$.channel', value ->> '$.status', 0, ?2, value ->> '$.hour',
                      value ->> '$.error', ?2, ?2
               FROM json_each(?1)`,
            )
            .bind(JSON.stringify(deliveries), now),
        ]),
  ]);
}

export interface StoredNotice extends NewNotice {
  createdAt: number;
}

export interface ClaimedDelivery {
  noticeKey: string;
  channel: Channel;
  /** including this one */
  attempts: number;
  hour: number;
  notice: StoredNotice;
}

interface RawNotice {
  key: string;
  notice: NoticeType;
  event_id: number | null;
  kind: string;
  severity: Severity;
  endpoint: string | null;
  title: string;
  body: string;
  created_at: number;
}

const fromRawNotice = (r: RawNotice): StoredNotice => ({
  key: r.key,
  notice: r.notice,
  eventId: r.event_id,
  kind: r.kind,
  severity: r.severity,
  endpoint: r.endpoint,
  title: r.title,
  body: JSON.parse(r.body) as unknown,
  createdAt: r.created_at,
});

/**
 * Takes up to `limit` due deliveries (most severe first) and counts the attempt before any send: if the
 * tick dies while sending, they are retried at `retryAt` instead of being lost or tried in a tight loop.
 */
export async function claimDueDeliveries(db: D1Database, now: number, limit: number, retryAt: number): Promise<ClaimedDelivery[]> {
  const { results: claimed } = await db
    .prepare(
      `UPDATE deliveries SET attempts = attempts + 1, next_at = ?3, updated_at = ?1
       WHERE rowid IN (
         SELECT d.rowid FROM deliveries d JOIN notices n ON n.key = d.notice_key
         WHERE d.status = 'pending' AND d.next_at <= ?1
         ORDER BY CASE n.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, d.created_at, d.notice_key
         LIMIT ?2)
       RETURNING notice_key, channel, attempts, hour`,
    )
    .bind(now, limit, retryAt)
    .all<{ notice_key: string; channel: Channel; attempts: number; hour: number }>();
  if (claimed.length === 0) return [];
  const { results: notices } = await db
    .prepare("SELECT * FROM notices WHERE key IN (SELECT value FROM json_each(?1))")
    .bind(JSON.stringify([...new Set(claimed.map((c) => c.notice_key))]))
    .all<RawNotice>();
  const byKey = new Map(notices.map((n) => [n.key, fromRawNotice(n)]));
  const out: ClaimedDelivery[] = [];
  for (const c of claimed) {
    const notice = byKey.get(c.notice_key);
    if (notice) out.push({ noticeKey: c.notice_key, channel: c.channel, attempts: c.attempts, hour: c.hour, notice });
  }
  const rank = { critical: 0, warning: 1, info: 2 } as const;
  return out.sort((a, b) => rank[a.notice.severity] - rank[b.notice.severity] || a.notice.createdAt - b.notice.createdAt);
}

export interface DeliveryResult {
  noticeKey: string;
  channel: Channel;
  status: "pending" | "sent" | "failed";
  /** pending: when to try again */
  nextAt: number;
  providerId: string | null;
  error: string | null;
  /** true when the send was not attempted (out of time): the claimed attempt is given back */
  untried?: boolean;
}

/** Records the outcome of claimed deliveries in one statement. */
export async function finishDeliveries(db: D1Database, results: readonly DeliveryResult[], now: number): Promise<void> {
  if (results.length === 0) return;
  await db
    .prepare(
      `UPDATE deliveries SET
         status = r.status, next_at = r.next_at, provider_id = coalesce(r.provider_id, deliveries.provider_id),
         error = r.error, sent_at = CASE WHEN r.status = 'sent' THEN ?2 ELSE deliveries.sent_at END,
         attempts = deliveries.attempts - r.untried, updated_at = ?2
       FROM (SELECT value ->> '$.noticeKey' AS notice_key, value ->> '$.channel' AS channel, value ->> '$.status' AS status,
                    value ->> '$.nextAt' AS next_at, value ->> '$.providerId' AS provider_id, value ->> '$.error' AS error,
                    coalesce(value ->> '$.untried', 0) AS untried
             FROM json_each(?1)) AS r
       WHERE deliveries.notice_key = r.notice_key AND deliveries.channel = r.channel`,
    )
    .bind(JSON.stringify(results.map((r) => ({ ...r, untried: r.untried ? 1 : 0 }))), now)
    .run();
}

/** Deliveries held back by a channel's rate limit in one clock hour (for its summary message). */
export async function heldInHour(db: D1Database, channel: Channel, hour: number): Promise<{ count: number; titles: string[] }> {
  const { results } = await db
    .prepare(
      `SELECT n.title AS title, n.severity AS severity FROM deliveries d JOIN notices n ON n.key = d.notice_key
       WHERE d.channel = ?1 AND d.hour = ?2 AND d.status = 'held' ORDER BY d.created_at`,
    )
    .bind(channel, hour)
    .all<{ title: string; severity: string }>();
  return { count: results.length, titles: results.map((r) => `${r.severity}: ${r.title}`) };
}

export interface FailedDelivery {
  channel: Channel;
  notice: NoticeType;
  kind: string;
  severity: Severity;
  endpoint: string | null;
  title: string;
  attempts: number;
  error: string | null;
  queuedAt: number;
  lastTriedAt: number;
}

export interface DeliveryOverview {
  /** by channel and status, over the window */
  counts: Array<{ channel: Channel; status: DeliveryStatus; count: number }>;
  /** the most recent failed deliveries in the window, newest first */
  failed: FailedDelivery[];
}

export async function deliveryOverview(db: D1Database, since: number, failedLimit = 20): Promise<DeliveryOverview> {
  const [counts, failed] = await db.batch([
    db
      .prepare(
        "SELECT channel, status, COUNT(*) AS count FROM deliveries WHERE created_at >= ?1 GROUP BY channel, status ORDER BY channel, status",
      )
      .bind(since),
    db
      .prepare(
        `SELECT d.channel, n.notice, n.kind, n.severity, n.endpoint, n.title, d.attempts, d.error, d.created_at, d.updated_at
         FROM deliveries d JOIN notices n ON n.key = d.notice_key
         WHERE d.status = 'failed' AND d.updated_at >= ?1 ORDER BY d.updated_at DESC LIMIT ?2`,
      )
      .bind(since, failedLimit),
  ]);
  type RawFailed = Omit<FailedDelivery, "queuedAt" | "lastTriedAt"> & { created_at: number; updated_at: number };
  return {
    counts: (counts?.results ?? []) as DeliveryOverview["counts"],
    failed: ((failed?.results ?? []) as RawFailed[]).map(({ created_at, updated_at, ...f }) => ({
      ...f,
      queuedAt: created_at,
      lastTriedAt: updated_at,
    })),
  };
}

// --- alert conditions ---------------------------------------------------------------------------

export interface ConditionRow {
  key: string;
  kind: string;
  endpoint: string | null;
  severity: Severity;
  title: string;
  dedupKey: string;
  state: "active" | "cleared";
  episode: number;
  since: number;
  clearedAt: number | null;
}

export async function loadConditions(db: D1Database): Promise<ConditionRow[]> {
  const { results } = await db
    .prepare(
      `SELECT key, kind, endpoint, severity, title, dedup_key AS dedupKey, state, episode, since,
              cleared_at AS clearedAt FROM alert_conditions`,
    )
    .all<ConditionRow>();
  return results;
}

/**
 * The alert conditions and the events without a notice (eventsWithoutNotice), in one statement: what the
 * outbox starts from each tick, one D1 query instead of two.
 */
export async function conditionsAndPending(db: D1Database): Promise<{ rows: ConditionRow[]; pending: EventRow[] }> {
  // Each figure comes back as one JSON value, and D1 caps a value's size: the events waiting are taken
  // oldest first, PENDING_PER_READ at a time (a backlog drains over ticks, as their notices move the sweep
  // mark), and should the read fail whole (a fleet with thousands of conditions), the two reads run apart.
  try {
    const row = await db
      .prepare(
        `SELECT (SELECT json_group_array(json_object('key', key, 'kind', kind, 'endpoint', endpoint, 'severity', severity,
                  'title', title, 'dedupKey', dedup_key, 'state', state, 'episode', episode, 'since', since, 'clearedAt', cleared_at))
                FROM alert_conditions) AS rows,
                (SELECT json_group_array(${EVENT_JSON}) FROM (${WITHOUT_NOTICE} ORDER BY e.id LIMIT ${PENDING_PER_READ})) AS pending`,
      )
      .first<{ rows: string; pending: string }>();
    const pending = (JSON.parse(row?.pending ?? "[]") as RawEvent[]).map(fromRawEvent).sort((a, b) => a.id - b.id);
    return { rows: JSON.parse(row?.rows ?? "[]") as ConditionRow[], pending };
  } catch {
    const [rows, pending] = await Promise.all([loadConditions(db), eventsWithoutNotice(db)]);
    return { rows, pending };
  }
}

/** Events waiting for a notice that one combined read takes (about 700 bytes each as JSON). */
const PENDING_PER_READ = 500;

/** Writes changed conditions and forgets ones cleared before `forgetBefore`, in one batch. */
/** Upserts the changed conditions; with `forgetBefore`, also forgets conditions cleared before it. */
export async function saveConditions(db: D1Database, changed: readonly ConditionRow[], forgetBefore: number | null): Promise<void> {
  const forget =
    forgetBefore === null
      ? []
      : [db.prepare("DELETE FROM alert_conditions WHERE state = 'cleared' AND cleared_at < ?1").bind(forgetBefore)];
  if (changed.length === 0 && forget.length === 0) return;
  if (changed.length === 0) {
    await forget[0]?.run();
    return;
  }
  await db.batch([
    db
      .prepare(
        `INSERT INTO alert_conditions (key, kind, endpoint, severity, title, dedup_key, state, episode, since, cleared_at)
         SELECT value ->> '$.key', value ->> '$.kind', value ->> '$.endpoint', value ->> '$.severity', value ->> '$.title',
                value ->> '$.dedupKey', value ->> '$.state', value ->> '$.episode', value ->> '$.since',
                value ->> '$.clearedAt'
         FROM json_each(?1) WHERE true
         ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, title = excluded.title, dedup_key = excluded.dedup_key,
           state = excluded.state, episode = excluded.episode, since = excluded.since,
           cleared_at = excluded.cleared_at`,
      )
      .bind(JSON.stringify(changed)),
    ...forget,
  ]);
}
