import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { budgetDay, budgetDayBounds, localParts, startOfDay } from "../../src/core/index.ts";

const H = 3_600_000;

describe("budget day", () => {
  it("starts at local midnight in the policy's time zone", () => {
    // 2026-11-24 04:30 UTC is still 2026-11-23 in New York (UTC-5).
    expect(budgetDay(Date.UTC(2026, 10, 24, 4, 30), "America/New_York")).toBe("2026-11-23");
    expect(startOfDay("2026-11-24", "America/New_York")).toBe(Date.UTC(2026, 10, 24, 5));
    expect(startOfDay("2026-11-24", "Asia/Kolkata")).toBe(Date.UTC(2026, 10, 23, 18, 30));
  });

  it("is 23 hours long on the spring-forward day and 25 on the fall-back day", () => {
    const spring = budgetDayBounds(Date.UTC(2026, 2, 8, 12), "America/New_York");
    expect(spring.day).toBe("2026-03-08");
    expect(spring.end - spring.start).toBe(23 * H);
    const fall = budgetDayBounds(Date.UTC(2026, 10, 1, 12), "America/New_York");
    expect(fall.end - fall.start).toBe(25 * H);
  });

  it("begins at the first existing instant when midnight is skipped by DST", () => {
    // Santiago springs forward at 00:00 -> 01:00 local (2026-09-06).
    const start = startOfDay("2026-09-06", "America/Santiago");
    expect(budgetDay(start, "America/Santiago")).toBe("2026-09-06");
    expect(budgetDay(start - 1000, "America/Santiago")).toBe("2026-09-05");
  });

  it("is the UTC date in UTC", () => {
    const b = budgetDayBounds(Date.UTC(2026, 0, 1, 23, 59, 59), "UTC");
    expect(b).toEqual({ day: "2026-01-01", start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 0, 2) });
  });

  it("reads UTC's wall clock from Date's own fields exactly as Intl formats it (years 1 to 9999)", () => {
    // An independent reference: Intl's own fields, every one two digits but the year.
    const two = "2-digit" as const;
    const intl = new Intl.DateTimeFormat("en-CA", {
      timeZone: "UTC",
      hourCycle: "h23",
      year: "numeric",
      month: two,
      day: two,
      hour: two,
      minute: two,
      second: two,
    });
    const fields = (ms: number) =>
      Object.fromEntries(
        intl
          .formatToParts(new Date(ms))
          .filter((p) => p.type !== "literal")
          .map((p) => [p.type, Number(p.value)]),
      );
    const first = Date.parse("0001-01-01T00:00:00Z");
    const end = Date.parse("+010000-01-01T00:00:00Z");
    fc.assert(
      fc.property(fc.integer({ min: first, max: end - 1 }), (ms) => {
        expect(localParts(ms, "UTC")).toEqual(fields(ms));
      }),
      { numRuns: 2000 },
    );
  });
});
