// A budget's period: a budget day, or a calendar month starting at local midnight on the 1st, in the
// budget's time zone. Pure, built on budget-day.ts: days are 23, 24 or 25 hours long, months 28-31 days.
import { budgetDay, startOfDay } from "./budget-day.ts";

export type BudgetPeriod = "day" | "month";

export interface PeriodBounds {
  /** `YYYY-MM-DD` for a day budget, `YYYY-MM` for a month budget: stays the same all period */
  period: string;
  /** first instant of the period and first instant of the next one (ms) */
  start: number;
  end: number;
  /** today, the budget day, and its bounds */
  day: string;
  dayStart: number;
  dayEnd: number;
  /** days in the period: 1 for a day budget, 28 to 31 for a month */
  days: number;
  /** today's place in the period, 1-based (1 for a day budget) */
  dayOfPeriod: number;
  /** days left in the period including today, >= 1 */
  daysLeft: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Days in month `month` (1-12) of `year`: calendar arithmetic only, no clock. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day after `day` (`YYYY-MM-DD`), by the calendar. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + 1));
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** The period of a `day` or `month` budget in `tz` containing instant `ms`. */
export function periodBounds(period: BudgetPeriod, ms: number, tz: string): PeriodBounds {
  const day = budgetDay(ms, tz);
  const dayStart = startOfDay(day, tz);
  const dayEnd = startOfDay(nextDay(day), tz);
  if (period === "day") return { period: day, start: dayStart, end: dayEnd, day, dayStart, dayEnd, days: 1, dayOfPeriod: 1, daysLeft: 1 };
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const days = daysInMonth(y, m);
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${pad(m + 1)}-01`;
  return {
    period: `${y}-${pad(m)}`,
    start: startOfDay(`${y}-${pad(m)}-01`, tz),
    end: startOfDay(next, tz),
    day,
    dayStart,
    dayEnd,
    days,
    dayOfPeriod: d,
    daysLeft: days - d + 1,
  };
}
