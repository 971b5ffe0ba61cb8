// How the status page writes money, ratios and times: dollars with cents, percent with one
// decimal, clock times in the policy's time zone (the budget day's zone).
import { localParts } from "../../../src/core/index.ts";

const usdFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const smallUsdFormat = new Intl.NumberFormat("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 });

/** `$1,234.56`; four decimals below ten cents so tiny demo budgets stay readable. */
export function usd(value: number): string {
  const f = Math.abs(value) < 0.1 && value !== 0 ? smallUsdFormat : usdFormat;
  return `${value < 0 ? "-" : ""}$${f.format(Math.abs(value))}`;
}

/** A ratio as `123.4 %`. */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

/** `14:05` (or `14:05:09` with seconds) in `tz`, from the budget day's own local-time reading. */
export function clockTime(ms: number, tz: string, seconds = false): string {
  const p = localParts(ms, tz);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(p.hour)}:${two(p.minute)}${seconds ? `:${two(p.second)}` : ""}`;
}

/** `12 s ago`, `4 min ago`, `3 h ago`. */
export function age(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** `scale_down` → `scale down`. */
export const words = (name: string): string => name.replaceAll("_", " ");
