// Money as integer micro-USD (as HF billing does), so sums over thousands of ticks never drift.
export type MicroUsd = number;

export const MICRO = 1_000_000;
export const HOUR_MS = 3_600_000;

export const usdToMicro = (usd: number): MicroUsd => Math.round(usd * MICRO);
export const microToUsd = (micro: MicroUsd): number => micro / MICRO;

const cents = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const tenthsOfCents = new Intl.NumberFormat("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 });

/**
 * Money for people, the one formatter every message, page and report uses: `$1,234.56`, `-$3.10`;
 * four decimals below ten cents (`$0.0417`) so small demo budgets stay readable.
 */
export function formatUsd(micro: MicroUsd): string {
  const usd = Math.abs(micro / MICRO);
  const f = usd < 0.1 && usd !== 0 ? tenthsOfCents : cents;
  return `${micro < 0 ? "-" : ""}$${f.format(usd)}`;
}

/** Cost of `replicas` for `ms` at `priceMicroPerHour`, rounded to the micro-dollar. */
export function costOf(replicas: number, priceMicroPerHour: number, ms: number): MicroUsd {
  return Math.round((replicas * priceMicroPerHour * ms) / HOUR_MS);
}
