// Money as integer micro-USD (as HF billing does), so sums over thousands of ticks never drift.
export type MicroUsd = number;

export const MICRO = 1_000_000;
export const HOUR_MS = 3_600_000;

export const usdToMicro = (usd: number): MicroUsd => Math.round(usd * MICRO);
export const microToUsd = (micro: MicroUsd): number => micro / MICRO;

/**
 * Money for people, the one formatter every message, page and report uses: `$1,234.56`, `-$3.10`;
 * four decimals below ten cents (`$0.0417`) so small demo budgets stay readable. toFixed and a regex,
 * not Intl.NumberFormat: the tick formats amounts for every endpoint, and Intl was a tenth of its CPU.
 */
export function formatUsd(micro: MicroUsd): string {
  const usd = Math.abs(micro / MICRO);
  const [whole = "0", fraction] = usd.toFixed(usd < 0.1 && usd !== 0 ? 4 : 2).split(".");
  return `${micro < 0 ? "-" : ""}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${fraction}`;
}

/** Cost of `replicas` for `ms` at `priceMicroPerHour`, rounded to the micro-dollar. */
export function costOf(replicas: number, priceMicroPerHour: number, ms: number): MicroUsd {
  return Math.round((replicas * priceMicroPerHour * ms) / HOUR_MS);
}
