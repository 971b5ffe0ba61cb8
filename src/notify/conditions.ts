// Which alert conditions hold and which cleared: the planner re-raises a condition's alert every tick
// while it holds (the dedup key keeps that to one notification per budget day); one that was raised on
// the last tick and is gone now gets a single recovery notice, and one that comes back after clearing is
// announced again. Pure: rows and this tick's alerts in, changed rows and new timeline events out.
// An acked condition (an `ack` override) still holds, so it is tracked like any other, silently:
// no "again" while acked, and when it clears, a recovery only for an episode a person was told about
// (one that began before the ack), so a condition flapping under an ack sends nothing.

import type { Alert, Severity } from "../core/index.ts";
import { ALERT_KINDS, alertCondition } from "../core/index.ts";
import type { ConditionRow, NewEvent } from "../store/index.ts";
import type { RecoveryData } from "./notice.ts";

/**
 * Conditions are the kinds the core re-raises every tick while they hold (src/core/alert-kinds.ts);
 * events (an action failed, a restore ran) and kinds it does not know are raised once, so their
 * absence on the next tick means nothing.
 */
export const isCondition = (kind: string): boolean => (ALERT_KINDS as Record<string, string>)[kind] === "condition";

/** Cleared conditions are remembered this long (to tell "back again" from "new"), then forgotten. */
export const FORGET_CLEARED_MS = 2 * 24 * 3600_000;

export interface ConditionInput {
  now: number;
  alerts: readonly Alert[];
  /** dedup keys this tick recorded as new events (their alert is notified through the event) */
  newDedupKeys: ReadonlySet<string>;
  /** endpoints observed this tick */
  observed: ReadonlySet<string>;
  /** every namespace listed and every endpoint read without error: what is absent is really gone */
  complete: boolean;
  /** send recovery notices (policy alerts.recovery) */
  recovery: boolean;
  /** alerts an ack silences this tick (Plan.acked): their conditions hold, but nothing is announced */
  acked?: readonly Alert[];
  /** the conditions acked now (dedup key without the day) and when the earliest active ack was made */
  acks?: ReadonlyMap<string, number>;
  /** today's spend / budget this tick: a forecast whose threshold spend reached came true, it did not recover */
  spendRatio?: number;
  /** the same per named budget (BudgetState.ratio, spend in its period / its amount), by name */
  budgetRatios?: ReadonlyMap<string, number>;
}

export interface ConditionOutcome {
  /** rows to write */
  changed: ConditionRow[];
  /** recovery and "back again" events for the timeline; the outbox notifies them like any alert */
  events: NewEvent[];
}

/**
 * A condition is one kind about one endpoint, or about one budget: each named budget's fleet-wide
 * conditions (budget_level, hourly_burn, forecast; `figures.budget`) are their own, so one team's
 * recovery is not swallowed by another's alert. The fleet budget's key stays `<kind>:fleet`.
 */
export const conditionKey = (kind: string, endpoint: string | null, budget?: unknown) =>
  endpoint === null && typeof budget === "string" && budget !== "" ? `${kind}:budget:${budget}` : `${kind}:${endpoint ?? "fleet"}`;

const RANK: Record<Severity, number> = { critical: 2, warning: 1, info: 0 };

/** The alert a condition is tracked as: the most severe, and of those the highest ladder level (shutdown over reroute, both critical). */
function outranks(a: Alert, seen: Alert): boolean {
  if (RANK[a.severity] !== RANK[seen.severity]) return RANK[a.severity] > RANK[seen.severity];
  const level = (x: Alert) => (typeof x.figures.level === "number" ? x.figures.level : 0);
  return level(a) > level(seen);
}

function canTellCleared(row: ConditionRow, input: ConditionInput): boolean {
  // A condition about an endpoint this tick could not read may still hold: say nothing.
  if (row.endpoint === null) return input.complete;
  return input.complete || input.observed.has(row.endpoint);
}

/**
 * A forecast condition (dedup key `<day>:forecast:<threshold>`, or `<day>:forecast:<threshold>:<budget>`
 * for a named budget) ends when spend reaches its threshold: what it warned of happened (the
 * budget_level alert says so), so a "Resolved" would read as good news. A named budget's forecast is
 * compared with that budget's ratio, not the fleet's.
 */
function cameTrue(row: ConditionRow, input: ConditionInput): boolean {
  if (row.kind !== "forecast") return false;
  const [, threshold, budget] = /^[^:]+:forecast:([^:]+)(?::(.+))?$/.exec(row.dedupKey) ?? [];
  const ratio = budget === undefined ? input.spendRatio : input.budgetRatios?.get(budget);
  return ratio !== undefined && Number.isFinite(Number(threshold)) && ratio >= Number(threshold);
}

function recoveryEvent(row: ConditionRow, now: number): NewEvent {
  const minutes = Math.max(0, Math.round((now - row.since) / 60_000));
  const since = new Date(row.since).toISOString();
  const budget = /^[^:]+:budget:(.+)$/.exec(row.key)?.[1];
  const data: RecoveryData = {
    notice: "recovery",
    resolves: { dedup_key: row.dedupKey, severity: row.severity, since },
    active_minutes: minutes,
    ...(budget ? { budget } : {}),
  };
  return {
    at: now,
    type: "alert",
    kind: row.kind,
    severity: "info",
    endpoint: row.endpoint,
    title: `Resolved: ${row.title}`,
    message: `No longer seen by the guardrail after ${minutes} min (since ${since.slice(0, 16).replace("T", " ")} UTC).`,
    data: data as unknown as Record<string, unknown>,
    dedupKey: `${row.dedupKey}:resolved#${row.episode}`,
  };
}

function againEvent(a: Alert, episode: number, now: number): NewEvent {
  return {
    at: now,
    type: "alert",
    kind: a.kind,
    severity: a.severity,
    endpoint: a.endpoint,
    title: `${a.title} (again)`,
    message: `${a.message} It had cleared earlier and is back.`,
    data: { ...a.figures, episode },
    dedupKey: `${a.dedupKey}#${episode}`,
  };
}

export function trackConditions(rows: readonly ConditionRow[], input: ConditionInput): ConditionOutcome {
  const { now } = input;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const current = new Map<string, Alert>();
  const silenced = new Set((input.acked ?? []).map((a) => a.dedupKey));
  for (const a of [...input.alerts, ...(input.acked ?? [])]) {
    if (!isCondition(a.kind)) continue;
    const key = conditionKey(a.kind, a.endpoint, a.figures.budget);
    const seen = current.get(key);
    if (!seen || outranks(a, seen)) current.set(key, a);
  }
  const changed: ConditionRow[] = [];
  const events: NewEvent[] = [];

  for (const [key, a] of current) {
    const row = byKey.get(key);
    const fields = { severity: a.severity, title: a.title, dedupKey: a.dedupKey };
    if (!row) {
      changed.push({
        key,
        kind: a.kind,
        endpoint: a.endpoint,
        ...fields,
        state: "active",
        episode: 1,
        since: now,
        clearedAt: null,
      });
    } else if (row.state === "cleared") {
      const episode = row.episode + 1;
      changed.push({ ...row, ...fields, state: "active", episode, since: now, clearedAt: null });
      // Same dedup key as the alert already sent today: the timeline would swallow it, so it gets its own.
      if (!input.newDedupKeys.has(a.dedupKey) && !silenced.has(a.dedupKey)) events.push(againEvent(a, episode, now));
    } else if (row.dedupKey !== a.dedupKey || row.severity !== a.severity || row.title !== a.title) {
      // A new budget day or a higher level of a condition that holds; a steady one costs no write.
      changed.push({ ...row, ...fields });
    }
  }

  for (const row of rows) {
    if (row.state !== "active" || current.has(row.key) || !canTellCleared(row, input)) continue;
    changed.push({ ...row, state: "cleared", clearedAt: now });
    const ackedAt = input.acks?.get(alertCondition(row.dedupKey));
    const unannounced = ackedAt !== undefined && row.since >= ackedAt;
    if (input.recovery && !unannounced && !cameTrue(row, input)) events.push(recoveryEvent(row, now));
  }
  return { changed, events };
}
