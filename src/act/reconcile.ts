// Reconciliation, every tick: each journal row whose outcome is unknown (an intent left by a caller
// that died or ran out of time) or negative (failed) is resolved against what HF reports now. In
// the after state: applied, with its before state, so the next budget day restores it. Not: a lost
// intent becomes failed (the planner retries while attempts remain), and a row out of attempts
// alerts once. A dry run's intent (its record lost) is recorded as the dry run it was. A later
// tick never re-runs an in-flight call blindly; it reconciles first. Each result is written with its
// timeline event, in one batch.

import type { Change, Observation } from "../core/index.ts";
import { configOf, MAX_ATTEMPTS, type RouteState, showsChange } from "../core/index.ts";
import {
  type ActionResult,
  type ActionRow,
  type EventRow,
  eventsStatement,
  finishActionsStatements,
  fromRawEvent,
  type NewEvent,
  type RawEvent,
  unresolvedActions,
} from "../store/index.ts";
import { failedAlert } from "./events.ts";

export interface ReconcileInput {
  observations: readonly Observation[];
  routes: ReadonlyMap<string, RouteState>;
  now: number;
  /** intents updated before this were left by a caller that is gone */
  staleBefore: number;
  /** the first budget day whose rows are still reconciled */
  sinceDay: string;
}

export interface Reconciled {
  /** rows now applied (HF shows the change) */
  confirmed: ActionRow[];
  /** the timeline events recorded with the results (new ones only) */
  events: EventRow[];
  /** action_failed alerts of rows out of attempts, for the caller to record: raised again every tick the row stays failed */
  alerts: NewEvent[];
}

/** A result reconciliation recorded without HF showing the change: a lost intent, or a dry run's record. */
function resolvedEvent(now: number, row: ActionRow, status: "failed" | "dry_run", title: string, message: string): NewEvent {
  return {
    at: now,
    type: "action",
    kind: row.kind,
    severity: null,
    endpoint: row.endpoint,
    title,
    message: `${row.reason}. ${message}`,
    data: {
      key: row.key,
      status,
      level: row.level,
      change: row.change,
      before: row.before,
      after: status === "dry_run" ? row.expected : null,
    },
    dedupKey: `${row.key}:${status}:${row.attempts}`,
  };
}

export async function reconcile(db: D1Database, x: ReconcileInput): Promise<Reconciled> {
  const rows = await unresolvedActions(db, x.sinceDay, x.staleBefore);
  if (rows.length === 0) return { confirmed: [], events: [], alerts: [] };
  const observed = new Map(x.observations.map((o) => [o.id, o]));
  const results: ActionResult[] = [];
  const confirmed: ActionRow[] = [];
  const events: NewEvent[] = [];
  const alerts: NewEvent[] = [];
  for (const row of rows) {
    // A dry run calls nothing: its intent's only missing part is the record (an intent left open would
    // keep the key from being claimed again, by the day's first enforce tick too).
    if (row.mode === "dry_run") {
      results.push({ key: row.key, event: "record_dry_run", after: row.expected, error: null, observed: null });
      const what = `[dry run] would ${row.kind.replace("_", " ")} ${row.endpoint}`;
      events.push(resolvedEvent(x.now, row, "dry_run", what, "Recorded late: the tick that decided it did not record it."));
      continue;
    }
    const o = observed.get(row.endpoint);
    if (!o || row.expected === null) continue; // not seen this tick: the next one decides
    const current = configOf(o, x.routes.get(row.endpoint));
    const change = row.change as Change;
    if (showsChange(current, row.expected, change)) {
      const how = row.status === "intent" ? "its result was never recorded" : `it was recorded as failed (${row.error})`;
      results.push({
        key: row.key,
        event: "confirm",
        after: current,
        error: null,
        observed: { ...o, endpoint: row.endpoint },
      });
      confirmed.push({ ...row, status: "applied", after: current });
      events.push({
        at: x.now,
        type: "action",
        kind: row.kind,
        severity: null,
        endpoint: row.endpoint,
        title: `Confirmed ${row.kind.replace("_", " ")} of ${row.endpoint}: HF shows the change`,
        message: `${row.reason}. ${how}; HF shows it in effect, so it counts as applied and is put back like any other change.`,
        data: { key: row.key, status: "applied", confirmed: true, change, before: row.before, after: current },
        dedupKey: `${row.key}:confirmed:${row.attempts}`,
      });
      continue;
    }
    if (row.status === "intent") {
      results.push({
        key: row.key,
        event: "lose",
        after: null,
        error: "no result was recorded and HF does not show the change",
        observed: null,
      });
      const what = `Failed to ${row.kind.replace("_", " ")} ${row.endpoint}`;
      events.push(resolvedEvent(x.now, row, "failed", what, "No result was recorded and HF does not show the change."));
    }
    if (row.attempts >= MAX_ATTEMPTS) alerts.push(failedAlert(x.now, row.key, row.kind, row.endpoint, row.day, row.error));
  }
  if (results.length === 0) return { confirmed, events: [], alerts };
  const written = await db.batch<RawEvent>([
    ...finishActionsStatements(db, results, x.now),
    ...(events.length > 0 ? [eventsStatement(db, events)] : []),
  ]);
  const recorded = events.length > 0 ? (written.at(-1)?.results ?? []).map(fromRawEvent).sort((a, b) => a.id - b.id) : [];
  return { confirmed, events: recorded, alerts };
}
