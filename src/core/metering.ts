// Metering: spend since the last observation = billable replicas x price x elapsed time, as a best
// estimate with a low and a high bound, split at budget-day boundaries so each day's ledger gets
// exactly its share. docs/metering.md explains the estimate, its bias and its bound.

import { budgetDay, startOfDay } from "./budget-day.ts";
import { costOf, type MicroUsd } from "./money.ts";
import type { EndpointState } from "./observation.ts";
import type { MeterPoint, Observation } from "./types.ts";

/** HF bills initializing, running and updating endpoints (reference §1, Billing). */
export const BILLABLE_STATES: ReadonlySet<EndpointState> = new Set(["initializing", "running", "updating"]);

/**
 * Default gap (policy `metering.gap_minutes`): an interval longer than this is a gap in observation (the
 * cron runs every minute; five missed ticks in a row mean the guardrail did not see the fleet). It is
 * metered as an estimate and marked so.
 */
export const GAP_MS = 5 * 60_000;

/** Replicas HF is billing for: the target count while it scales (new replicas bill while initializing). */
export function billableReplicas(o: Pick<Observation, "state" | "readyReplica" | "targetReplica">): number {
  return BILLABLE_STATES.has(o.state) ? Math.max(o.readyReplica, o.targetReplica) : 0;
}

/** Replicas starting (billed, not yet serving): all of them while the endpoint initializes, else target - ready. */
export function initializingReplicas(o: Pick<Observation, "state" | "readyReplica" | "targetReplica">): number {
  if (!BILLABLE_STATES.has(o.state)) return 0;
  return o.state === "initializing" ? o.targetReplica : Math.max(0, o.targetReplica - o.readyReplica);
}

export interface Accrual {
  day: string;
  /** best estimate */
  micro: MicroUsd;
  /** the bill cannot be lower than this unless the fleet changed and changed back between two observations */
  lowMicro: MicroUsd;
  highMicro: MicroUsd;
  /** the part of `micro` metered across an observation gap (an estimate that alone never pauses) */
  gapMicro: MicroUsd;
  /** billable replica-milliseconds no price was known for (metered at $0: the tick must say so) */
  unpricedReplicaMs: number;
}

/**
 * Replica-milliseconds of one interval (t0, t1] with `a` replicas seen at t0 and `b` at t1:
 * - no change: a x dt, exactly (an excursion and back inside one interval is invisible);
 * - a change, and the endpoint's `updatedAt` inside the interval: `a` until then, `b` after;
 * - a change at an unknown instant: the mean of the two ends, so the error of each change is at most
 *   half an interval x |b - a| and changes up and down do not add up in one direction;
 * - a gap (longer than GAP_MS): the earlier count, the later one as the high bound.
 */
export function replicaMs(
  a: number,
  b: number,
  t0: number,
  t1: number,
  updatedAt: string | null,
  gapMs = GAP_MS,
): { est: number; low: number; high: number; gap: boolean } {
  const dt = t1 - t0;
  const low = Math.min(a, b) * dt;
  const high = Math.max(a, b) * dt;
  if (dt > gapMs) return { est: a * dt, low, high, gap: true };
  if (a === b) return { est: a * dt, low, high, gap: false };
  const changed = updatedAt === null ? Number.NaN : Date.parse(updatedAt);
  const est = changed > t0 && changed <= t1 ? a * (changed - t0) + b * (t1 - changed) : ((a + b) / 2) * dt;
  return { est, low, high, gap: false };
}

/**
 * Spend of one endpoint over (prev.at, now], at the price known now, falling back to the previous one.
 * Returns one accrual per budget day the interval touches (at most two: a longer outage is charged to
 * the day before and today), each share in proportion to the time on that day.
 */
export function meter(prev: MeterPoint | undefined, cur: Observation, now: number, tz: string, gapMs = GAP_MS): Accrual[] {
  if (!prev || now <= prev.at) return [];
  const price = cur.priceMicroPerHour ?? prev.priceMicroPerHour;
  const r = replicaMs(prev.billableReplicas, billableReplicas(cur), prev.at, now, cur.updatedAt, gapMs);
  if (r.high === 0) return [];
  // HF bills per minute; whether a replica's last partial minute is rounded up is not documented, so
  // the high bound allows one more minute for every replica that started (never the estimate).
  r.high += Math.max(0, billableReplicas(cur) - prev.billableReplicas) * 60_000;
  const today = budgetDay(now, tz);
  const dayStart = startOfDay(today, tz);
  const shares =
    prev.at >= dayStart
      ? [{ day: today, f: 1 }]
      : [
          { day: budgetDay(prev.at, tz), f: (dayStart - prev.at) / (now - prev.at) },
          { day: today, f: (now - dayStart) / (now - prev.at) },
        ];
  const cost = (replicaMillis: number, f: number) => (price === null ? 0 : costOf(1, price, replicaMillis * f));
  return shares
    .filter((s) => s.f > 0)
    .map((s) => ({
      day: s.day,
      micro: cost(r.est, s.f),
      lowMicro: cost(r.low, s.f),
      highMicro: cost(r.high, s.f),
      gapMicro: r.gap ? cost(r.est, s.f) : 0,
      unpricedReplicaMs: price === null ? Math.round(r.est * s.f) : 0,
    }));
}

/** Current burn rate of an endpoint in micro-USD per hour (0 when unpriced or not billable). */
export function hourlyBurn(o: Observation): MicroUsd {
  return o.priceMicroPerHour === null ? 0 : billableReplicas(o) * o.priceMicroPerHour;
}
