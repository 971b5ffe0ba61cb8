// The run-rate projection: where today's spend ends if the current burn continues unchanged.
// The simplest honest forecast, drawn on the status page from the last tick to the end of the day.
import { HOUR_MS, type MicroUsd } from "./money.ts";

/** Spend at `dayEnd` when `burnMicroPerHour` continues from `from` (when `spendMicro` was measured). */
export function runRateForecast(spendMicro: MicroUsd, burnMicroPerHour: MicroUsd, from: number, dayEnd: number): MicroUsd {
  return spendMicro + Math.round((burnMicroPerHour * Math.max(0, dayEnd - from)) / HOUR_MS);
}
