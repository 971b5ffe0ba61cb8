// Instants shown in the policy's time zone: the simulator's table, CSV and scenario start times.
import { type LocalParts, localParts } from "../core/index.ts";

const two = (n: number) => String(n).padStart(2, "0");
const sameDay = (a: LocalParts, b: LocalParts) => a.year === b.year && a.month === b.month && a.day === b.day;

/** `2026-04-14T00:00:00-04:00`: ISO 8601 with the zone's offset at that instant. */
export function isoInZone(ms: number, tz: string): string {
  const p = localParts(ms, tz);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const offset = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? "-" : "+";
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
}

/** `14:05` (and the date when it is not `sameDayAs`'s). */
export function localClock(ms: number, tz: string, sameDayAs?: number): string {
  const p = localParts(ms, tz);
  const hm = `${two(p.hour)}:${two(p.minute)}`;
  return sameDayAs === undefined || sameDay(p, localParts(sameDayAs, tz)) ? hm : `${p.year}-${two(p.month)}-${two(p.day)} ${hm}`;
}
