// Reconciliation, every tick: each journal row whose outcome is unknown (an intent left by a caller
// that died or ran out of time) or negative (failed) is resolved against what HF reports now. In
// the after state: applied, with its before state, so the next budget day restores it. Not: a lost
// intent becomes failed (the planner retries while attempts remain), and a row out of attempts
// alerts once. A dry run's intent (its record lost) is recorded as the dry run it was. A later
// tick never re-runs an in-flight call blindly; it reconciles first.

import type { Change, Observation } from "../core/index.ts";
import { configOf, MAX_ATTEMPTS, type RouteState, showsChange } from "../core/index.ts";
import { type ActionResult, type ActionRow, finishActionsStatements, type NewEvent, unresolvedActions } from "../store/index.ts";
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
  events: NewEvent[];
}

export async function reconcile(db: D1Database, x: ReconcileInput): Promise<Reconciled> {
  const rows = await unresolvedActions(db, x.sinceDay, x.staleBefore);
  if (rows.length === 0) return { confirmed: [], events: [] };
  const observed = new Map(x.observations.map((o) => [o.id, o]));
  const results: ActionResult[] = [];
  const confirmed: ActionRow[] = [];
  const events: NewEvent[] = [];
  for (const row of rows) {
    // A dry run calls nothing: its intent's only missing part is the record (an intent left open would
    // keep the key from being claimed again, by the day's first enforce tick too).
    if (row.mode === "dry_run") {
      results.push({ key: row.key, event: "record_dry_run", after: row.expected, error: null, observed: null });
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
    }
    if (row.attempts >= MAX_ATTEMPTS) events.push(failedAlert(x.now, row.key, row.kind, row.endpoint, row.day, row.error));
  }
  if (results.length > 0) await db.batch(finishActionsStatements(db, results, x.now));
  return { confirmed, events };
}
