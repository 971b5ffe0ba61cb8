// Overrides and the override webhook's seen signatures. An override and the event that records
// it are written in one batch (a transaction): there is never one without the other.
import type { Override } from "../core/index.ts";
import { eventsStatement, type NewEvent } from "./events.ts";

/** Kept past the signature window (5 min either way) so a replay inside it is always caught. */
export const SEEN_SIGNATURE_TTL_MS = 15 * 60_000;

/** True the first time a signature is presented; false for a replay. Old ones are pruned. */
export async function claimSignature(db: D1Database, signature: string, now: number): Promise<boolean> {
  const [, insert] = await db.batch([
    db.prepare("DELETE FROM seen_signatures WHERE seen_at < ?1").bind(now - SEEN_SIGNATURE_TTL_MS),
    db.prepare("INSERT OR IGNORE INTO seen_signatures (signature, seen_at) VALUES (?1, ?2)").bind(signature, now),
  ]);
  return insert?.meta.changes === 1;
}

interface RawOverride {
  id: string;
  op: Override["op"];
  endpoint: string | null;
  params: string;
  reason: string;
  actor: string;
  source: Override["source"];
  day: string;
  created_at: number;
  until: number;
  ended_at: number | null;
  ended_by: string | null;
}

export interface StoredOverride {
  override: Override;
  endedAt: number | null;
  endedBy: string | null;
}

function paramsOf(o: Override): Record<string, unknown> {
  switch (o.op) {
    case "suspend":
      return {};
    case "raise_budget":
      return { budget_usd: o.budgetUsd, percent: o.percent, ...(o.budget === null ? {} : { budget: o.budget }) };
    case "force":
      return { action: o.action };
    case "ack":
      return { condition: o.condition };
  }
}

function fromRaw(r: RawOverride): StoredOverride {
  const p = JSON.parse(r.params) as Record<string, unknown>;
  const base = {
    id: r.id,
    endpoint: r.endpoint,
    reason: r.reason,
    actor: r.actor,
    source: r.source,
    day: r.day,
    createdAt: r.created_at,
    until: r.until,
  };
  let override: Override;
  switch (r.op) {
    case "raise_budget":
      override = {
        ...base,
        op: r.op,
        budgetUsd: Number(p.budget_usd),
        percent: typeof p.percent === "number" ? p.percent : null,
        // Raises stored before named budgets had no budget: the fleet's.
        budget: typeof p.budget === "string" ? p.budget : null,
      };
      break;
    case "force":
      override = { ...base, op: r.op, action: p.action as Extract<Override, { op: "force" }>["action"] };
      break;
    case "ack":
      override = { ...base, op: r.op, condition: String(p.condition) };
      break;
    default:
      override = { ...base, op: "suspend" };
  }
  return { override, endedAt: r.ended_at, endedBy: r.ended_by };
}

/** Stores the override and its event together. */
export async function createOverride(db: D1Database, o: Override, event: NewEvent): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO overrides (id, op, endpoint, params, reason, actor, source, day, created_at, until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)`,
      )
      .bind(o.id, o.op, o.endpoint, JSON.stringify(paramsOf(o)), o.reason, o.actor, o.source, o.day, o.createdAt, o.until),
    eventsStatement(db, [event]),
  ]);
}

/** Overrides in force at `now`, oldest first; with `madeBy` (later than `now`), also those made by then. */
export async function activeOverrides(db: D1Database, now: number, madeBy = now): Promise<Override[]> {
  const { results } = await db
    .prepare("SELECT * FROM overrides WHERE ended_at IS NULL AND created_at <= ?2 AND until > ?1 ORDER BY created_at, id")
    .bind(now, Math.max(now, madeBy))
    .all<RawOverride>();
  return results.map((r) => fromRaw(r).override);
}

export async function getOverride(db: D1Database, id: string): Promise<StoredOverride | null> {
  const row = await db.prepare("SELECT * FROM overrides WHERE id = ?1").bind(id).first<RawOverride>();
  return row ? fromRaw(row) : null;
}

/**
 * Ends active overrides early, then records the event. Returns the overrides that were active and
 * are now ended (none when they had expired or ended already, so two callers never both end one).
 */
export async function endOverrides(
  db: D1Database,
  ids: readonly string[],
  now: number,
  by: string,
  event: (ended: readonly Override[]) => NewEvent,
): Promise<Override[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(
      `UPDATE overrides SET ended_at = ?2, ended_by = ?3
       WHERE id IN (SELECT value FROM json_each(?1)) AND ended_at IS NULL AND until > ?2
       RETURNING *`,
    )
    .bind(JSON.stringify(ids), now, by)
    .all<RawOverride>();
  const ended = results.map((r) => fromRaw(r).override);
  if (ended.length > 0) await eventsStatement(db, [event(ended)]).run();
  return ended;
}
