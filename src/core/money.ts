// Money as integer micro-USD (as HF billing does), so sums over thousands of ticks never drift.
export type MicroUsd = number;

export const MICRO = 1_000_000;
export const HOUR_MS = 3_600_000;

export const usdToMicro = (usd: number): MicroUsd => Math.round(usd * MICRO);
export const microToUsd = (micro: MicroUsd): number => micro / MICRO;

/** `$1.23` style for people; more digits below a cent so small demo budgets stay readable. */
export function formatUsd(micro: MicroUsd): string {
  const usd = micro / MICRO;
  const digits = Math.abs(usd) < 0.1 && usd !== 0 ? 4 : 2;
  return `$${usd.toFixed(digits)}`;
}

/** Cost of `replicas` for `ms` at `priceMicroPerHour`, rounded to the micro-dollar. */
export function costOf(replicas: number, priceMicroPerHour: number, ms: number): MicroUsd {
  return Math.round((replicas * priceMicroPerHour * ms) / HOUR_MS);
}
