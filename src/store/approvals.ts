// Approvals of actions that wait for a person (policy `approvals`), one row per action key.
import type { ApprovalRecord, ApprovalStatus, PlannedAction } from "../core/index.ts";
import { type EventRow, guardedEventsStatement, insertedEvents, type NewEvent } from "./events.ts";

export interface ApprovalRow extends ApprovalRecord {
  day: string;
  kind: string;
  endpoint: string;
  level: number;
  reason: string;
  requestedAt: number;
  onTimeout: "run" | "hold";
  decidedBy: string | null;
  decidedAt: number | null;
  note: string | null;
}

interface RawApproval {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  level: number;
  reason: string;
  requested_at: number;
  deadline: number;
  on_timeout: "run" | "hold";
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
}

const fromRaw = (r: RawApproval): ApprovalRow => ({
  key: r.key,
  day: r.day,
  kind: r.kind,
  endpoint: r.endpoint,
  level: r.level,
  reason: r.reason,
  requestedAt: r.requested_at,
  deadline: r.deadline,
  onTimeout: r.on_timeout,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  note: r.note,
});

export async function approvalsOfDay(db: D1Database, day: string): Promise<ApprovalRow[]> {
  const { results } = await db.prepare("SELECT * FROM approvals WHERE day = ?1 ORDER BY requested_at, key").bind(day).all<RawApproval>();
  return results.map(fromRaw);
}

export interface NewApproval {
  action: PlannedAction;
  deadline: number;
  onTimeout: "run" | "hold";
  /** its approval_requested alert: written with the row, only when the row is new */
  event: NewEvent;
}

export interface ApprovalTimeout {
  key: string;
  status: "expired_run" | "expired_hold";
  /** its approval_expired alert: written with the timeout, only when this tick moved the row */
  event: NewEvent;
}

/**
 * Stores new requests (a key already asked about is left as it is) and this tick's timeouts, with their
 * alerts, in one batch (one transaction): an approval row waits with its request alert or not at all, so
 * a lost write never leaves a pause waiting for a person nobody asked. An alert is written only for a row
 * this batch moved (a new request; a pending row that timed out, not one a person answered meanwhile).
 * Returns the alerts' events that were new.
 */
export async function recordApprovalChanges(
  db: D1Database,
  day: string,
  now: number,
  requests: readonly NewApproval[],
  timeouts: readonly ApprovalTimeout[],
): Promise<EventRow[]> {
  if (requests.length === 0 && timeouts.length === 0) return [];
  const rows = requests.map((r) => ({
    key: r.action.key,
    kind: r.action.kind,
    endpoint: r.action.endpoint,
    level: r.action.level,
    reason: r.action.reason,
    deadline: r.deadline,
    on_timeout: r.onTimeout,
  }));
  const events = [
    ...requests.map((r) => ({ ...r.event, approvalKey: r.action.key, transition: "request" })),
    ...timeouts.map((t) => ({ ...t.event, approvalKey: t.key, transition: "timeout", outcome: t.status })),
  ];
  const [, , recorded] = await db.batch([
    db
      .prepare(
        `INSERT OR IGNORE INTO approvals (key, day, kind, endpoint, level, reason, requested_at, deadline, on_timeout, status)
         SELECT json_extract(value, '$.key'), ?2, json_extract(value, '$.kind'), json_extract(value, '$.endpoint'),
                json_extract(value, '$.level'), json_extract(value, '$.reason'), ?3, json_extract(value, '$.deadline'),
                json_extract(value, '$.on_timeout'), 'pending'
         FROM json_each(?1) WHERE true`,
      )
      .bind(JSON.stringify(rows), day, now),
    db
      .prepare(
        `UPDATE approvals SET status = json_extract(t.value, '$.status'), decided_by = 'timeout', decided_at = ?2
         FROM json_each(?1) AS t WHERE approvals.key = json_extract(t.value, '$.key') AND approvals.status = 'pending'`,
      )
      .bind(JSON.stringify(timeouts.map(({ key, status }) => ({ key, status }))), now),
    // A request's row was inserted by this tick (still pending, asked now); a timeout's was moved by it.
    guardedEventsStatement(
      db,
      events,
      `EXISTS (SELECT 1 FROM approvals a WHERE a.key = value ->> '$.approvalKey' AND CASE value ->> '$.transition'
         WHEN 'request' THEN a.status = 'pending' AND a.requested_at = ?2
         ELSE a.decided_by = 'timeout' AND a.decided_at = ?2 AND a.status = value ->> '$.outcome' END)`,
      [now],
    ),
  ]);
  return insertedEvents(recorded);
}

/**
 * A person's answer. Approving works while pending or after a hold on timeout (a late yes still
 * runs it); rejecting only while pending. Null when there is nothing to decide.
 */
export async function decideApproval(
  db: D1Database,
  key: string,
  decision: "approved" | "rejected",
  by: string,
  note: string,
  now: number,
): Promise<ApprovalRow | null> {
  const row = await db
    .prepare(
      `UPDATE approvals SET status = ?2, decided_by = ?3, decided_at = ?4, note = ?5
       WHERE key = ?1 AND (status = 'pending' OR (?2 = 'approved' AND status = 'expired_hold'))
       RETURNING *`,
    )
    .bind(key, decision, by, now, note)
    .first<RawApproval>();
  return row ? fromRaw(row) : null;
}
