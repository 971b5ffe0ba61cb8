// Billing reconciliation, pure: which namespaces are due for their hourly read of HF's billing usage,
// which budget days of the ledger cover a billing period, and the drift between metered and billed.
import { budgetDay, startOfDay } from "./budget-day.ts";
import { HOUR_MS, type MicroUsd } from "./money.ts";

/** How often each namespace's billing usage is read. */
export const BILLING_EVERY_MS = HOUR_MS;
/** A read older than this (two missed hours) is shown stale. */
export const BILLING_STALE_MS = 2 * HOUR_MS + 5 * 60_000;

/** The namespaces whose last read is an hour old or that were never read, the longest waiting first. */
export function billingDue(namespaces: readonly string[], lastAttempt: ReadonlyMap<string, number>, now: number): string[] {
  return namespaces
    .filter((ns) => {
      const at = lastAttempt.get(ns);
      return at === undefined || now - at >= BILLING_EVERY_MS;
    })
    .sort((a, b) => (lastAttempt.get(a) ?? -1) - (lastAttempt.get(b) ?? -1));
}

/**
 * The budget days of the ledger that cover a billing period up to `now`: from the day `periodStart`
 * falls on through today (or the period's last day, if HF answered for a period already over).
 * `aligned` is false when `periodStart` is not a budget-day midnight (HF's period starts at an instant;
 * a budget day in another zone straddles it), so the first day is counted whole.
 */
export function billingDays(
  period: { start: number; end: number },
  now: number,
  tz: string,
): { fromDay: string; toDay: string; aligned: boolean } {
  const fromDay = budgetDay(period.start, tz);
  const toDay = budgetDay(Math.max(period.start, Math.min(now, period.end - 1)), tz);
  return { fromDay, toDay, aligned: startOfDay(fromDay, tz) === period.start };
}

/** Metered minus billed: positive when the guardrail reads high. The percentage is of the bill (null at $0 billed). */
export function billingDrift(meteredMicro: MicroUsd, billedMicro: MicroUsd): { driftMicro: MicroUsd; driftPct: number | null } {
  const driftMicro = meteredMicro - billedMicro;
  return { driftMicro, driftPct: billedMicro > 0 ? Number(((driftMicro / billedMicro) * 100).toFixed(2)) : null };
}
