// The engine's part of the tick: what it reads before observing (guard row, last counters, restore
// candidates), the samples it writes after metering, the history it hands to the planner, and the
// restore bookkeeping after acting. A constant number of D1 statements whatever the fleet size.

import type { ExecutedAction } from "../act/index.ts";
import type { BlindState, DoneAction, MeterPoint, Observation, Plan } from "../core/index.ts";
import {
  baselineHours,
  baselineOf,
  type CounterPoint,
  type EndpointHistory,
  type FleetHistory,
  type HourBucket,
  requestRate,
  type Sample,
  sampleOf,
  spendRate,
} from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import type { EndpointMetrics } from "../providers/index.ts";
import {
  type EventRow,
  type GuardRow,
  lastObservations,
  loadBeforeObserving,
  type NewEvent,
  recordAndLoadHistory,
  restoreCandidates,
  settleRestoreRows,
} from "../store/index.ts";

export interface EngineBefore {
  guard: GuardRow;
  counters: Map<string, CounterPoint>;
  candidates: DoneAction[];
}

export async function engineBefore(db: D1Database, policy: Policy, day: string): Promise<EngineBefore> {
  const [{ guard, counters }, candidates] = await Promise.all([
    loadBeforeObserving(db),
    policy.restore === "next_day" ? restoreCandidates(db, day) : Promise.resolve([]),
  ]);
  return { guard, counters, candidates };
}

/** Window lengths (minutes) the enabled triggers read. */
export function windowsOf(policy: Policy): number[] {
  const t = policy.triggers;
  const w = [
    t.hourly_burn.enabled && t.hourly_burn.window_minutes,
    t.request_spike.enabled && t.request_spike.window_minutes,
    t.spend_spike.enabled && t.spend_spike.window_minutes,
    t.cold_starts.enabled && t.cold_starts.window_minutes,
    t.underutilized.enabled && t.underutilized.window_minutes,
    t.error_rate.enabled && t.error_rate.window_minutes,
  ];
  return [...new Set(w.filter((x): x is number => typeof x === "number"))].sort((a, b) => a - b);
}

export interface EngineAfterInput {
  policy: Policy;
  now: number;
  observations: readonly Observation[];
  points: ReadonlyMap<string, MeterPoint>;
  /** this tick's spend per endpoint */
  spend: ReadonlyMap<string, number>;
  metrics: ReadonlyMap<string, EndpointMetrics>;
  failedNamespaces: readonly string[];
  before: EngineBefore;
}

export interface EngineAfter {
  history: FleetHistory;
  blind: BlindState;
  /** last known observations of unseen endpoints, loaded only when fail_safe could act on them */
  stale: Observation[];
  samples: Sample[];
}

export async function engineAfter(db: D1Database, x: EngineAfterInput): Promise<EngineAfter> {
  const { policy, now, before } = x;
  const samples: Sample[] = [];
  for (const o of x.observations) {
    const s = sampleOf(
      o,
      x.points.get(o.id),
      x.spend.get(o.id) ?? 0,
      x.metrics.get(o.id) ?? null,
      before.counters.get(o.id),
      now,
      policy.metering.gap_minutes * 60_000,
    );
    if (s) samples.push(s);
  }
  const failing = x.failedNamespaces.length > 0;
  const blind: BlindState = {
    streak: failing ? before.guard.blindStreak + 1 : 0,
    since: failing ? (before.guard.blindSince ?? now) : null,
    failedNamespaces: [...x.failedNamespaces],
  };
  const windows = windowsOf(policy);
  const b = policy.baseline;
  // Written, then read back with this tick's samples in the windows: one batch.
  const loaded = await recordAndLoadHistory(
    db,
    {
      now,
      samples,
      blind,
      sampleRetentionMs: (Math.max(60, ...windows) + 60) * 60_000,
      hourRetentionMs: (b.days + 1) * 24 * 3_600_000,
      lastSampleAt: before.guard.lastSampleAt,
    },
    windows,
    baselineHours(now, b),
  );
  const stale =
    blind.streak >= policy.blind.after_ticks && policy.blind.on_blind === "fail_safe"
      ? (await lastObservations(db)).map((s) => s.observation).filter((o) => x.failedNamespaces.includes(o.namespace))
      : [];
  return { history: fleetHistory(policy, now, loaded.windows, loaded.buckets, x.metrics), blind, stale, samples };
}

export function fleetHistory(
  policy: Policy,
  now: number,
  windows: ReadonlyMap<string, ReadonlyMap<number, import("../core/index.ts").WindowStats>>,
  buckets: readonly HourBucket[],
  metrics: ReadonlyMap<string, EndpointMetrics>,
): FleetHistory {
  const byEndpoint = new Map<string, HourBucket[]>();
  for (const bucket of buckets) {
    const own = byEndpoint.get(bucket.endpoint);
    if (own) own.push(bucket);
    else byEndpoint.set(bucket.endpoint, [bucket]);
  }
  const coverage = policy.baseline.min_coverage_minutes * 60_000;
  const ids = new Set([...windows.keys(), ...byEndpoint.keys(), ...metrics.keys()]);
  const endpoints = new Map<string, EndpointHistory>();
  for (const id of ids) {
    const own = byEndpoint.get(id) ?? [];
    endpoints.set(id, {
      windows: windows.get(id) ?? new Map(),
      spendBaseline: baselineOf(own, now, policy.baseline, spendRate(coverage)),
      requestBaseline: baselineOf(own, now, policy.baseline, requestRate(coverage)),
      metrics: metrics.get(id) ?? null,
    });
  }
  return { endpoints };
}

/**
 * After acting: settle the journal rows each applied restore put back, and those the plan settled without
 * one, with the restore_skipped alerts (`alerts`, as events) that say why, in one transaction.
 */
export async function settleRestores(
  db: D1Database,
  plan: Plan,
  executed: readonly ExecutedAction[],
  now: number,
  day: string,
  alerts: readonly NewEvent[],
): Promise<EventRow[]> {
  const applied = executed.filter((x) => x.action.kind === "restore" && x.status === "applied");
  const restored = applied.flatMap((x) => plan.restoreSettles?.[x.action.key] ?? []);
  return settleRestoreRows(db, {
    marks: [...(plan.restoreSettled ?? []), { keys: restored, status: "restored" }],
    restoredEndpoints: applied.map((x) => x.action.endpoint),
    day,
    now,
    alerts,
  });
}
