// Instants shown in the policy's time zone: the simulator's table, CSV and scenario start times.

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsOf(ms: number, tz: string): Record<string, string> {
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
      timeZoneName: "longOffset",
    });
    formatters.set(tz, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== "literal") out[p.type] = p.value;
  return out;
}

/** `2026-04-14T00:00:00-04:00`: ISO 8601 with the zone's offset at that instant. */
export function isoInZone(ms: number, tz: string): string {
  const p = partsOf(ms, tz);
  const offset = (p.timeZoneName ?? "GMT").replace("GMT", "") || "+00:00";
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`;
}

/** `14:05` (and the date when it is not `sameDayAs`'s). */
export function localClock(ms: number, tz: string, sameDayAs?: number): string {
  const p = partsOf(ms, tz);
  const hm = `${p.hour}:${p.minute}`;
  if (sameDayAs === undefined) return hm;
  const q = partsOf(sameDayAs, tz);
  return p.year === q.year && p.month === q.month && p.day === q.day ? hm : `${p.year}-${p.month}-${p.day} ${hm}`;
}
