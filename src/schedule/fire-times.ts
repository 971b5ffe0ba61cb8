// Fire times of a parsed cron (policy/cron.ts) in a time zone, with EventBridge Scheduler's
// daylight-saving rules: a local time skipped by the spring jump does not fire; a local time
// repeated in the autumn fires once (the first). Pure: no clock.
import { type LocalParts, localParts } from "../core/index.ts";
import type { CronSpec } from "../policy/index.ts";

const MIN_MS = 60_000;
const DAY_MS = 86_400_000;

const naiveOf = (p: Pick<LocalParts, "year" | "month" | "day" | "hour" | "minute">) =>
  Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);

/**
 * The instants at which the local wall-clock time `naive` (a local date-time written as if it
 * were UTC) occurs in `tz`: none in a spring-forward gap, two in an autumn overlap, else one.
 */
export function instantsOf(naive: number, tz: string): number[] {
  const offsets = new Set<number>();
  for (const probe of [naive - DAY_MS, naive, naive + DAY_MS]) {
    const p = localParts(probe, tz);
    offsets.add(naiveOf(p) + p.second * 1000 - probe);
  }
  const out: number[] = [];
  for (const off of offsets) {
    const t = naive - off;
    if (naiveOf(localParts(t, tz)) === naive && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

/** The next `count` fire times strictly after `after`, as Scheduler evaluates `spec` in `tz`. */
export function nextFires(spec: CronSpec, tz: string, after: number, count: number): number[] {
  const out: number[] = [];
  const start = localParts(after, tz);
  let day = Date.UTC(start.year, start.month - 1, start.day);
  // Five years covers every calendar pattern (29 February included).
  for (let d = 0; d < 5 * 366 && out.length < count; d++, day += DAY_MS) {
    const date = new Date(day);
    if (!spec.months.has(date.getUTCMonth() + 1)) continue;
    if (spec.domRestricted && !spec.daysOfMonth.has(date.getUTCDate())) continue;
    if (spec.dowRestricted && !spec.daysOfWeek.has(date.getUTCDay())) continue;
    for (const h of [...spec.hours].sort((a, b) => a - b)) {
      for (const m of [...spec.minutes].sort((a, b) => a - b)) {
        // An autumn overlap repeats the local time: Scheduler fires once, at the first.
        const first = instantsOf(day + h * 3_600_000 + m * MIN_MS, tz)[0];
        if (first !== undefined && first > after) out.push(first);
        if (out.length === count) return out;
      }
    }
  }
  return out;
}
