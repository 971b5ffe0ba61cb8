// Metering: spend since the last observation = billable replicas x price x elapsed time, as a best
// estimate with a low and a high bound, split at budget-day boundaries so each day's ledger gets
// exactly its share. docs/metering.md explains the estimate, its bias and its bound.

import { budgetDay, startOfDay } from "./budget-day.ts";
import { costOf, HOUR_MS, type MicroUsd } from "./money.ts";
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

/**
 * How HF counts a replica's last, partial minute (policy `metering.partial_minute`). HF: "While the prices
 * are shown by the hour, the actual cost is billed per minute" (support/pricing.md); whether a started
 * minute is charged in full is not said. `rounded_up`: each replica's run is billed in whole minutes, so
 * a run costs on average half a minute more than its replica time; `prorated`: the replica time itself.
 */
export type PartialMinute = "rounded_up" | "prorated";

export interface MeterOptions {
  gapMs?: number;
  partialMinute?: PartialMinute;
}

/** Replicas HF is billing for: the target count while it scales (new replicas bill while initializing). */
export function billableReplicas(o: Pick<Observation, "state" | "readyReplica" | "targetReplica">): number {
  return BILLABLE_STATES.has(o.state) ? Math.max(o.readyReplica, o.targetReplica) : 0;
}

/** Replicas starting (billed, not yet serving): all of them while the endpoint initializes, else target - ready. */
export function initializingReplicas(o: Pick<Observation, "state" | "readyReplica" | "targetReplica">): number {
  if (!BILLABLE_STATES.has(o.state)) return 0;
  return o.state === "initializing" ? o.targetReplica : Math.max(0, o.targetReplica - o.readyReplica);
}

/**
 * Replicas that started in the interval ending with `cur`, and whether the endpoint woke from zero. A
 * count that grew started the difference. An endpoint seen with a ready replica that is now
 * `initializing` (HF's state while the endpoint starts, none ready) went to zero and woke again
 * between the two observations (a scale-to-zero and the next request inside one tick): every replica
 * it has now is a new start, although the count looks unchanged.
 */
export function replicaStarts(
  prev: Pick<MeterPoint, "billableReplicas" | "initializing">,
  cur: Pick<Observation, "state" | "readyReplica" | "targetReplica">,
): { started: number; wake: boolean } {
  const now = billableReplicas(cur);
  if (prev.billableReplicas === 0) return { started: now, wake: now > 0 };
  const hadReady = (prev.initializing ?? 0) < prev.billableReplicas;
  if (cur.state === "initializing" && hadReady) return { started: now, wake: true };
  return { started: Math.max(0, now - prev.billableReplicas), wake: false };
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
  /**
   * the part of `micro` that is the started-minute allowance (`rounded_up`: half a minute per run seen to
   * start; 0 when `prorated`): what a bill that prorates would not show, so the billing reconciliation
   * can tell which reading the bill follows (docs/metering.md, "The world the simulator assumes")
   */
  roundingMicro: MicroUsd;
  /**
   * variance of `micro`'s error, micro-USD^2: the instants of changes the two observations place but do
   * not see, and the unknown share of each started run's last minute. Errors of separate intervals are
   * independent, so a day's variances add up; its square root is the estimate's standard error.
   */
  varMicro2: number;
}

/**
 * Replica-milliseconds of one interval (t0, t1] with `a` replicas seen at t0 and `b` at t1:
 * - no change: a x dt, exactly (an excursion and back inside one interval is invisible);
 * - a change, and the endpoint's `updatedAt` inside the interval: `a` until then, `b` after (an
 *   `updatedAt` equal to t0 is the guardrail's own change made right after the observation at t0);
 * - a change at an unknown instant: the mean of the two ends, so the error of each change is at most
 *   half an interval x |b - a| and changes up and down do not add up in one direction;
 * - a gap (longer than GAP_MS): the earlier count (until `updatedAt` when that falls inside it and the
 *   count changed), the later one as the high bound.
 */
export function replicaMs(
  a: number,
  b: number,
  t0: number,
  t1: number,
  updatedAt: string | null,
  gapMs = GAP_MS,
): { est: number; low: number; high: number; gap: boolean; variance: number } {
  const dt = t1 - t0;
  const low = Math.min(a, b) * dt;
  const high = Math.max(a, b) * dt;
  const changed = updatedAt === null ? Number.NaN : Date.parse(updatedAt);
  const placed = a !== b && changed >= t0 && changed <= t1;
  // Across a gap too, a change HF dates inside it (the guardrail's own action right after the observation
  // at t0, a person's) is where the count changed: a pause at t0 followed by a night unseen is not
  // charged the replicas it stopped. Still a gap: what the autoscaler did unseen is not known.
  if (dt > gapMs) return { est: placed ? a * (changed - t0) + b * (t1 - changed) : a * dt, low, high, gap: true, variance: 0 };
  if (a === b) return { est: a * dt, low, high, gap: false, variance: 0 };
  if (placed) return { est: a * (changed - t0) + b * (t1 - changed), low, high, gap: false, variance: 0 };
  // A change at an instant equally likely anywhere in the interval: the mean's error is uniform over
  // +-half the interval x |b - a|, whose variance is (|b - a| x dt)^2 / 12.
  return { est: ((a + b) / 2) * dt, low, high, gap: false, variance: ((b - a) * dt) ** 2 / 12 };
}

/**
 * Spend of one endpoint over (prev.at, now], at the price known now, falling back to the previous one.
 * Returns one accrual per budget day the interval touches (at most two: a longer outage is charged to
 * the day before and today), each share in proportion to the time on that day.
 */
export function meter(prev: MeterPoint | undefined, cur: Observation, now: number, tz: string, options: MeterOptions = {}): Accrual[] {
  const roundedUp = (options.partialMinute ?? "rounded_up") === "rounded_up";
  if (!prev || now <= prev.at) return [];
  const price = cur.priceMicroPerHour ?? prev.priceMicroPerHour;
  const r = replicaMs(prev.billableReplicas, billableReplicas(cur), prev.at, now, cur.updatedAt, options.gapMs ?? GAP_MS);
  if (r.high === 0) return [];
  // HF bills per minute. A replica that started in this interval is a run whose last partial minute
  // may be charged in full: the high bound allows that whole minute whatever the policy says; with
  // `rounded_up` the estimate adds its expected share, half a minute (where in its last minute a run
  // ends is unknown, so any share of a minute is as likely). Charged when the run starts, so the
  // estimate never waits for a stop it may not see (a pause ends every run at once).
  const { started, wake } = replicaStarts(prev, cur);
  r.high += started * 60_000;
  const roundingMs = roundedUp ? started * ROUNDING_SHARE_MS : 0;
  if (roundedUp) {
    r.est += roundingMs;
    r.variance += started * ROUNDING_VARIANCE_MS2;
  }
  // Gone to zero and woken again between the observations: for an unknown part of the interval nothing ran.
  if (wake && prev.billableReplicas > 0) {
    r.low = 0;
    r.variance += (Math.min(prev.billableReplicas, billableReplicas(cur)) * (now - prev.at)) ** 2 / 12;
  }
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
  // The variance in replica-ms^2 priced like a cost, unrounded: (price x sd x f / hour)^2.
  const variance = (f: number) => (price === null ? 0 : ((price * Math.sqrt(r.variance) * f) / HOUR_MS) ** 2);
  return shares
    .filter((s) => s.f > 0)
    .map((s) => ({
      day: s.day,
      micro: cost(r.est, s.f),
      lowMicro: cost(r.low, s.f),
      highMicro: cost(r.high, s.f),
      gapMicro: r.gap ? cost(r.est, s.f) : 0,
      unpricedReplicaMs: price === null ? Math.round(r.est * s.f) : 0,
      roundingMicro: cost(roundingMs, s.f),
      varMicro2: variance(s.f),
    }));
}

/** The expected share of a started minute a run's last minute adds under `rounded_up`: half of it. */
const ROUNDING_SHARE_MS = 30_000;
/** Its variance: a share uniform over the minute, (60 s)^2 / 12. */
const ROUNDING_VARIANCE_MS2 = 60_000 ** 2 / 12;

/**
 * Default standard errors the emergency pause keeps between the estimate and 200 % (policy
 * `metering.pause_margin_sigmas`): with two, noise in the estimate alone pauses before the bill gets
 * there about once in 44 crossings (one-sided normal 2.3 %).
 */
export const PAUSE_MARGIN_SIGMAS = 2;

/**
 * The spend the pause may act on: the estimate without what was metered across observation gaps,
 * without this tick's unconfirmed part, and less `sigmas` standard errors of the day.
 */
export function confirmedSpend(
  s: { totalMicro: number; gapMicro: number; unconfirmedMicro: number; varMicro2: number },
  sigmas = PAUSE_MARGIN_SIGMAS,
): MicroUsd {
  return s.totalMicro - s.gapMicro - s.unconfirmedMicro - sigmas * standardError(s.varMicro2);
}

/** A summed variance's standard error, micro-USD: what /v1/status, the page and /metrics show. */
export const standardError = (varMicro2: number): MicroUsd => Math.sqrt(Math.max(0, varMicro2));

/** Current burn rate of an endpoint in micro-USD per hour (0 when unpriced or not billable). */
export function hourlyBurn(o: Observation): MicroUsd {
  return o.priceMicroPerHour === null ? 0 : billableReplicas(o) * o.priceMicroPerHour;
}
