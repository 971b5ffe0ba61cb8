// The budget day: a calendar day in the policy's time zone, starting at local midnight.
// Pure: uses only Intl (no clock); DST days are 23 or 25 hours long and handled by search.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(tz, f);
  }
  return f;
}

const MIN_UTC_FAST = Date.parse("0001-01-01T00:00:00Z");
const MAX_UTC_FAST = Date.parse("+010000-01-01T00:00:00Z");

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Wall-clock fields of instant `ms` in `tz`. */
export function localParts(ms: number, tz: string): LocalParts {
  // UTC has no offset to look up: Date's own fields, what Intl formats (years 1 to 9999, where it writes no era).
  if (tz === "UTC" && ms >= MIN_UTC_FAST && ms < MAX_UTC_FAST) {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/**
 * Memo of budgetDay, per zone and instant: a tick asks for a few instants (now, the previous
 * observation, the day's bounds) once per endpoint and more, in turn, and Intl's formatToParts is the
 * costly part. Bounded: cleared past MEMO_SIZE instants.
 */
const days = new Map<string, Map<number, string>>();
const MEMO_SIZE = 1024;
let memoised = 0;

/** The budget day containing instant `ms`, as `YYYY-MM-DD` in `tz`. */
export function budgetDay(ms: number, tz: string): string {
  let zone = days.get(tz);
  const known = zone?.get(ms);
  if (known !== undefined) return known;
  const p = localParts(ms, tz);
  const day = `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  if (memoised >= MEMO_SIZE) {
    days.clear();
    memoised = 0;
    zone = undefined;
  }
  if (!zone) {
    zone = new Map();
    days.set(tz, zone);
  }
  zone.set(ms, day);
  memoised++;
  return day;
}

/** Memo of startOfDay: a pure function of (day, tz), asked for once per endpoint per tick. */
const dayStarts = new Map<string, number>();

/**
 * First instant (ms, whole seconds) of the budget day `day` (`YYYY-MM-DD`) in `tz`.
 * Binary search over the ±15 h window around UTC midnight: exact whatever the offset, including
 * days whose midnight does not exist because of a DST jump.
 */
export function startOfDay(day: string, tz: string): number {
  const key = `${day}|${tz}`;
  const known = dayStarts.get(key);
  if (known !== undefined) return known;
  const start = searchStartOfDay(day, tz);
  if (dayStarts.size >= 256) dayStarts.clear();
  dayStarts.set(key, start);
  return start;
}

function searchStartOfDay(day: string, tz: string): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d);
  let lo = naive - 15 * 3_600_000; // budgetDay(lo) < day
  let hi = naive + 15 * 3_600_000; // budgetDay(hi) >= day
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (budgetDay(mid, tz) < day) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Budget day of `ms` and its bounds [start, end): 23, 24 or 25 hours long. */
export function budgetDayBounds(ms: number, tz: string): { day: string; start: number; end: number } {
  const day = budgetDay(ms, tz);
  const start = startOfDay(day, tz);
  // 26 h after the start is always on the next day, whatever DST does.
  const end = startOfDay(budgetDay(start + 26 * 3_600_000, tz), tz);
  return { day, start, end };
}
