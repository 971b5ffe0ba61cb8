// How the status page writes ratios and times: percent with one decimal, clock times in the
// policy's time zone (the budget day's zone). Money is core's formatUsd, as in every message.
import { budgetDay, formatUsd, localParts, usdToMicro } from "../../../src/core/index.ts";

/** Dollars (as /v1/status carries them) in the one money format: `$1,234.56`. */
export const usd = (dollars: number): string => formatUsd(usdToMicro(dollars));

/** A ratio as `123.4 %`. */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

/** `14:05` (or `14:05:09` with seconds) in `tz`, from the budget day's own local-time reading. */
export function clockTime(ms: number, tz: string, seconds = false): string {
  const p = localParts(ms, tz);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(p.hour)}:${two(p.minute)}${seconds ? `:${two(p.second)}` : ""}`;
}

/** ISO instants (`2026-03-01T14:05:00.000Z`) and `2026-03-01 14:05 UTC` as written into event messages. */
const UTC_TIME = /\b(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:Z| UTC)/g;

/**
 * Event text with its UTC times rewritten into `tz`, as the page shows every other time: `14:05`
 * on the budget day `day`, `2026-03-02 09:00` on another day. Messages are stored as written (in UTC,
 * for Slack and SNS); only the page localises them.
 */
export function localTimes(text: string, tz: string, day: string): string {
  return text.replace(UTC_TIME, (match, date: string, time: string) => {
    const at = Date.parse(`${date}T${time}:00Z`);
    if (Number.isNaN(at)) return match;
    const localDay = budgetDay(at, tz);
    return `${localDay === day ? "" : `${localDay} `}${clockTime(at, tz)}`;
  });
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
