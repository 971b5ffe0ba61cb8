// Metering: spend since the last observation = billable replicas x price x elapsed time,
// split at budget-day boundaries so each day's ledger gets exactly its share.
import type { EndpointState } from "../providers/types.ts";
import { budgetDay, startOfDay } from "./budget-day.ts";
import { costOf, type MicroUsd } from "./money.ts";
import type { MeterPoint, Observation } from "./types.ts";

/** HF bills initializing, running and updating endpoints (reference §1, Billing). */
export const BILLABLE_STATES: ReadonlySet<EndpointState> = new Set(["initializing", "running", "updating"]);

/** Replicas HF is billing for: the target count is a conservative upper bound while it scales. */
export function billableReplicas(o: Pick<Observation, "state" | "readyReplica" | "targetReplica">): number {
  return BILLABLE_STATES.has(o.state) ? Math.max(o.readyReplica, o.targetReplica) : 0;
}

export interface Accrual {
  day: string;
  micro: MicroUsd;
}

/**
 * Spend of one endpoint over (prev.at, now]. The interval is billed at the larger of the replica
 * counts seen at either end (never under-estimate a bill) and at the price known now, falling
 * back to the previous one. Returns one accrual per budget day the interval touches (at most
 * two: a longer outage is charged to the day before and today).
 */
export function meter(prev: MeterPoint | undefined, cur: Observation, now: number, tz: string): Accrual[] {
  if (!prev || now <= prev.at) return [];
  const price = cur.priceMicroPerHour ?? prev.priceMicroPerHour;
  if (price === null) return [];
  const replicas = Math.max(prev.billableReplicas, billableReplicas(cur));
  if (replicas === 0) return [];
  const today = budgetDay(now, tz);
  const dayStart = startOfDay(today, tz);
  if (prev.at >= dayStart) return [{ day: today, micro: costOf(replicas, price, now - prev.at) }];
  const out: Accrual[] = [];
  const before = costOf(replicas, price, dayStart - prev.at);
  if (before > 0) out.push({ day: budgetDay(prev.at, tz), micro: before });
  out.push({ day: today, micro: costOf(replicas, price, now - dayStart) });
  return out;
}

/** Current burn rate of an endpoint in micro-USD per hour (0 when unpriced or not billable). */
export function hourlyBurn(o: Observation): MicroUsd {
  return o.priceMicroPerHour === null ? 0 : billableReplicas(o) * o.priceMicroPerHour;
}
