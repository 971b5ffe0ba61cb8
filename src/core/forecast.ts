// The end-of-day forecast: today's spend plus the current burn rate held until the budget day ends.
// Pure; the budget day's end comes from budget-day.ts (23, 24 or 25 hours long). The projection is the
// status page's run-rate line (run-rate.ts), so the alert and the chart never disagree.
import { HOUR_MS, type MicroUsd } from "./money.ts";
import { runRateForecast } from "./run-rate.ts";

export interface Forecast {
  /** projected spend at the end of the budget day */
  endOfDayMicro: MicroUsd;
  /** projected spend / budget */
  ratio: number;
  hoursLeft: number;
  burnMicroPerHour: MicroUsd;
}

export function forecastEndOfDay(
  spendMicro: MicroUsd,
  burnMicroPerHour: MicroUsd,
  budgetMicro: MicroUsd,
  now: number,
  dayEnd: number,
): Forecast {
  const hoursLeft = Math.max(0, dayEnd - now) / HOUR_MS;
  const endOfDayMicro = runRateForecast(spendMicro, burnMicroPerHour, now, dayEnd);
  return { endOfDayMicro, ratio: endOfDayMicro / budgetMicro, hoursLeft, burnMicroPerHour };
}

/** Hours until spend reaches `ratio` of the budget at the current burn; null when it never will today. */
export function hoursUntil(ratio: number, spendMicro: MicroUsd, f: Forecast, budgetMicro: MicroUsd): number | null {
  const gap = ratio * budgetMicro - spendMicro;
  if (gap <= 0) return 0;
  if (f.burnMicroPerHour <= 0) return null;
  const h = gap / f.burnMicroPerHour;
  return h <= f.hoursLeft ? h : null;
}
