import { describe, expect, it } from "vitest";
import {
  type BudgetEndpoint,
  type BudgetMemory,
  type BudgetsInput,
  dailyAllowance,
  evaluateBudgets,
  periodBounds,
} from "../../src/core/index.ts";
import { type BudgetSpec, budgetsOf, type PolicyInput } from "../../src/policy/index.ts";
import { policy } from "../fixtures/builders.ts";

const H = 3_600_000;
const D = 24 * H;
const usd = (n: number) => Math.round(n * 1e6);

/** A month budget of `amount` in `tz`, the policy's thresholds (1.2 / 1.5 / 2.0). */
function month(over: Partial<BudgetSpec> = {}): BudgetSpec {
  return {
    name: "search",
    period: "month",
    amountUsd: 3000,
    timezone: "UTC",
    thresholds: { scale_down: 1.2, reroute: 1.5, shutdown: 2 },
    scope: { all: false, namespaces: [], endpoints: [], tags: ["team-search"], services: [] },
    pacing: "remaining",
    rollover: false,
    path: "budgets[0]",
    ...over,
  };
}

const ep = (id: string, tags: string[] = [], burn = 0): BudgetEndpoint => ({ id, tags, burnMicroPerHour: usd(burn) });

/** Earlier days of a month at a flat spend per day, as the ledger would give them. */
function flatDays(monthKey: string, days: number, perDay: number): Map<string, number> {
  return new Map(Array.from({ length: days }, (_, i) => [`${monthKey}-${String(i + 1).padStart(2, "0")}`, usd(perDay)]));
}

function input(over: Partial<BudgetsInput>): BudgetsInput {
  return { budgets: [month()], now: Date.UTC(2026, 1, 10, 12), endpoints: [], todayByEndpoint: new Map(), ...over };
}

describe("budget periods", () => {
  it.each([
    ["February 2026", Date.UTC(2026, 1, 14, 12), "2026-02", 28, Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1)],
    ["February 2028 (leap year)", Date.UTC(2028, 1, 29, 12), "2028-02", 29, Date.UTC(2028, 1, 1), Date.UTC(2028, 2, 1)],
    ["April 2026", Date.UTC(2026, 3, 30, 23, 59), "2026-04", 30, Date.UTC(2026, 3, 1), Date.UTC(2026, 4, 1)],
    ["December 2026", Date.UTC(2026, 11, 31, 23, 59, 59), "2026-12", 31, Date.UTC(2026, 11, 1), Date.UTC(2027, 0, 1)],
  ])("a month budget's period in %s has the calendar's days", (_, at, key, days, start, end) => {
    const b = periodBounds("month", at, "UTC");
    expect(b).toMatchObject({ period: key, days, start, end });
    expect(b.daysLeft).toBe(days - b.dayOfPeriod + 1);
  });

  it("starts the month at local midnight on the 1st, not at UTC midnight", () => {
    // 2026-02-28 23:30 UTC is already 00:30 on 1 March in Paris (UTC+1).
    const b = periodBounds("month", Date.UTC(2026, 1, 28, 23, 30), "Europe/Paris");
    expect(b).toMatchObject({ period: "2026-03", dayOfPeriod: 1, daysLeft: 31, start: Date.UTC(2026, 1, 28, 23) });
    // ... and still February in New York.
    expect(periodBounds("month", Date.UTC(2026, 1, 28, 23, 30), "America/New_York")).toMatchObject({ period: "2026-02", daysLeft: 1 });
  });

  it("is an hour short in a month with the spring-forward day and an hour long with the fall-back day", () => {
    const march = periodBounds("month", Date.UTC(2026, 2, 29, 12), "Europe/Paris");
    expect(march.end - march.start).toBe(31 * D - H);
    expect(march.dayEnd - march.dayStart).toBe(23 * H);
    const november = periodBounds("month", Date.UTC(2026, 10, 1, 12), "America/New_York");
    expect(november.end - november.start).toBe(30 * D + H);
    expect(november.dayEnd - november.dayStart).toBe(25 * H);
  });

  it("gives a day budget its budget day", () => {
    const b = periodBounds("day", Date.UTC(2026, 10, 24, 4, 30), "America/New_York");
    expect(b).toMatchObject({
      period: "2026-11-23",
      days: 1,
      daysLeft: 1,
      start: Date.UTC(2026, 10, 23, 5),
      end: Date.UTC(2026, 10, 24, 5),
    });
  });
});

describe("daily pacing of a month budget", () => {
  const feb10 = periodBounds("month", Date.UTC(2026, 1, 10, 12), "UTC");

  it("remaining: spreads what is left over the days left, today included", () => {
    // $3,000 in February; $1,200 spent on the 1st to the 9th: $1,800 over 19 days.
    const a = dailyAllowance(month(), feb10, [usd(1200)]);
    expect(a.micro).toBe(94_736_842);
    expect(a.explain).toBe("$1,800.00 left of $3,000.00 over 19 days");
  });

  it.each([
    [28, Date.UTC(2026, 1, 1), 107_142_857],
    [29, Date.UTC(2028, 1, 1), 103_448_276],
    [30, Date.UTC(2026, 3, 1), 100_000_000],
    [31, Date.UTC(2026, 2, 1), 96_774_194],
  ])("on the 1st, both pacings give the month's amount / its %s days", (days, at, micro) => {
    const b = periodBounds("month", at, "UTC");
    expect(b.days).toBe(days);
    expect(dailyAllowance(month(), b, []).micro).toBe(micro);
    expect(dailyAllowance(month({ pacing: "even" }), b, []).micro).toBe(micro);
  });

  it("remaining: on the last day of the month, today's allowance is all that is left", () => {
    const last = periodBounds("month", Date.UTC(2026, 1, 28, 12), "UTC");
    expect(last.daysLeft).toBe(1);
    expect(dailyAllowance(month(), last, [usd(2900)]).micro).toBe(usd(100));
  });

  it("remaining: once the month's amount is spent, today's allowance is $0", () => {
    expect(dailyAllowance(month(), feb10, [usd(3100)]).micro).toBe(0);
  });

  it("even: the month's amount / its days, whatever earlier days spent", () => {
    expect(dailyAllowance(month({ pacing: "even" }), feb10, [usd(50), usd(400)]).micro).toBe(107_142_857);
  });

  it("even with rollover: adds what earlier days left unspent; an overspent day takes nothing away", () => {
    const april4 = periodBounds("month", Date.UTC(2026, 3, 4, 12), "UTC");
    // $100 a day; the 1st spent $80 (left $20), the 2nd $120, the 3rd $100.
    const a = dailyAllowance(month({ pacing: "even", rollover: true }), april4, [usd(80), usd(120), usd(100)]);
    expect(a.micro).toBe(usd(120));
    expect(a.explain).toBe("$100.00 ($3,000.00 / 30 days) + $20.00 unspent on earlier days");
    // A day with no spend recorded left its whole share.
    expect(dailyAllowance(month({ pacing: "even", rollover: true }), april4, [usd(80)]).micro).toBe(usd(320));
  });
});

describe("evaluating budgets", () => {
  it("catches a bad Tuesday on Tuesday: the pacing level rises while the month is far from its amount", () => {
    // Feb 10 2026 (a Tuesday): $900 spent on the 1st to the 9th, $200 so far today.
    const r = evaluateBudgets(
      input({
        endpoints: [ep("acme/search-a", ["team-search"])],
        todayByEndpoint: new Map([["acme/search-a", usd(200)]]),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 100)]]),
      }),
    );
    const s = r.budgets[0];
    expect(s).toMatchObject({ spendMicro: usd(1100), ladderLevel: 0, paceLevel: 2, level: 2, cause: "pacing" });
    expect(s?.allowance?.micro).toBe(110_526_316); // $2,100 over 19 days
    expect(r.endpoints.get("acme/search-a")).toEqual({
      level: 2,
      budget: "search",
      ratio: expect.closeTo(1.8095, 4), // the pacing set it: today against today's allowance
      reason: `budget "search" (month 2026-02) at reroute: today's $200.00 is 181.0% of today's allowance $110.53 ($2,100.00 left of $3,000.00 over 19 days)`,
    });
  });

  it("compares month-to-date spend with the month's amount on the ladder", () => {
    const r = evaluateBudgets(
      input({
        budgets: [month({ pacing: "even" })],
        endpoints: [ep("acme/search-a", ["team-search"])],
        todayByEndpoint: new Map([["acme/search-a", usd(50)]]),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 400)]]),
      }),
    );
    // $3,650 of $3,000 = 121.7 %; today's $50 is under the even $107.14.
    expect(r.budgets[0]).toMatchObject({ spendMicro: usd(3650), ladderLevel: 1, paceLevel: 0, level: 1, cause: "ladder" });
    expect(r.endpoints.get("acme/search-a")?.reason).toBe(
      `budget "search" (month 2026-02) at scale_down: month-to-date $3,650.00 is 121.7% of $3,000.00`,
    );
  });

  it("ignores ledger days outside the current month", () => {
    const days = new Map([...flatDays("2026-01", 31, 500), ...flatDays("2026-02", 2, 10)]);
    const r = evaluateBudgets(
      input({ budgets: [month({ pacing: "even" })], now: Date.UTC(2026, 1, 3, 1), earlierDays: new Map([["search", days]]) }),
    );
    expect(r.budgets[0]?.spendMicro).toBe(usd(20));
  });

  it("keeps the pacing level for the rest of the day and drops it the next day; the ladder level holds all month", () => {
    const endpoints = [ep("acme/search-a", ["team-search"])];
    const tue = evaluateBudgets(
      input({
        endpoints,
        todayByEndpoint: new Map([["acme/search-a", usd(400)]]),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 400)]]),
      }),
    ).budgets[0];
    expect(tue).toMatchObject({ ladderLevel: 1, paceLevel: 3 });
    const memory = new Map<string, BudgetMemory>([["search", tue?.memory as BudgetMemory]]);
    // Later on Tuesday, with a (corrected) lower figure: still reached.
    const later = evaluateBudgets(
      input({
        now: Date.UTC(2026, 1, 10, 20),
        endpoints,
        todayByEndpoint: new Map(),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 0)]]),
        memory,
      }),
    ).budgets[0];
    expect(later).toMatchObject({ ladderLevel: 1, paceLevel: 3, level: 3, previousLevel: 3 });
    // Wednesday: a new day's allowance; the month's ladder level stays.
    const wed = evaluateBudgets(input({ now: Date.UTC(2026, 1, 11, 1), endpoints, memory })).budgets[0];
    expect(wed).toMatchObject({ ladderLevel: 1, paceLevel: 0, level: 1 });
    // 1 March: a new month.
    const march = evaluateBudgets(input({ now: Date.UTC(2026, 2, 1, 0, 1), endpoints, memory })).budgets[0];
    expect(march).toMatchObject({ period: "month", ladderLevel: 0, level: 0, previousLevel: 0 });
    expect(march?.bounds.period).toBe("2026-03");
  });

  it("is at shutdown from the first cent once the month's amount is spent (remaining pacing)", () => {
    const r = evaluateBudgets(
      input({
        endpoints: [ep("acme/search-a", ["team-search"])],
        todayByEndpoint: new Map([["acme/search-a", 10_000]]),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 334)]]),
      }),
    );
    expect(r.budgets[0]).toMatchObject({ paceRatio: Number.POSITIVE_INFINITY, paceLevel: 3, cause: "pacing" });
    expect(r.budgets[0]?.reason).toContain("over (no allowance left) of today's allowance $0.00");
  });

  it("gives an endpoint the highest level among its budgets, naming that budget", () => {
    const p = policy({
      budget: { daily_usd: 1000, timezone: "UTC" },
      budgets: [
        { name: "search", period: "day", amount_usd: 100, scope: { tags: ["team-search"] } },
        { name: "chat", period: "day", amount_usd: 200, scope: { tags: ["team-chat"] } },
        { name: "gpu", period: "day", amount_usd: 100, scope: { endpoints: ["acme/shared"] } },
      ],
    });
    const r = evaluateBudgets({
      budgets: budgetsOf(p),
      now: Date.UTC(2026, 1, 10, 12),
      endpoints: [
        ep("acme/search-a", ["team-search"]),
        ep("acme/chat-a", ["team-chat"]),
        ep("acme/shared", ["team-chat"]),
        ep("acme/eval"),
      ],
      todayByEndpoint: new Map([
        ["acme/search-a", usd(210)],
        ["acme/chat-a", usd(20)],
        ["acme/shared", usd(130)],
      ]),
    });
    const levels = Object.fromEntries([...r.endpoints].map(([id, l]) => [id, [l.level, l.budget]]));
    expect(levels).toEqual({
      "acme/search-a": [3, "search"], // $210 of $100
      "acme/chat-a": [0, "fleet"], // chat: $150 of $200; fleet $360 of $1,000; the first budget among equals
      "acme/shared": [1, "gpu"], // chat is at 75 %, gpu at 130 %
      "acme/eval": [0, "fleet"],
    });
    expect(r.budgets.map((b) => [b.name, b.members])).toEqual([
      ["fleet", ["acme/search-a", "acme/chat-a", "acme/shared", "acme/eval"]],
      ["search", ["acme/search-a"]],
      ["chat", ["acme/chat-a", "acme/shared"]],
      ["gpu", ["acme/shared"]],
    ]);
  });

  it("places an endpoint seen only in the ledger by its id, and counts gateway services in scope", () => {
    const b = month({
      period: "day",
      pacing: null,
      amountUsd: 100,
      scope: { all: false, namespaces: ["acme"], endpoints: [], tags: [], services: ["summarize"] },
    });
    const r = evaluateBudgets(
      input({
        budgets: [b],
        todayByEndpoint: new Map([
          ["acme/deleted", usd(30)],
          ["other/x", usd(500)],
        ]),
        todayByService: new Map([
          ["summarize", usd(15)],
          ["chat", usd(99)],
        ]),
        burnByService: new Map([["summarize", usd(2)]]),
      }),
    );
    expect(r.budgets[0]).toMatchObject({
      spendMicro: usd(45),
      members: ["acme/deleted"],
      services: ["summarize"],
      burnMicroPerHour: usd(2),
    });
    expect(r.endpoints.get("other/x")).toEqual({ level: 0, budget: null, ratio: 0, reason: "in no budget" });
  });

  it("forecasts a month budget to the month's end and today against today's allowance", () => {
    const r = evaluateBudgets(
      input({
        endpoints: [ep("acme/search-a", ["team-search"], 10)],
        todayByEndpoint: new Map([["acme/search-a", usd(100)]]),
        earlierDays: new Map([["search", flatDays("2026-02", 9, 100)]]),
      }),
    );
    const f = r.budgets[0]?.forecast;
    // 12:00 on 10 Feb to 1 Mar 00:00 is 444 h at $10/h: $1,000 + $4,440.
    expect(f).toMatchObject({ endMicro: usd(5440), hoursLeft: 444, endOfDayMicro: usd(220) });
    expect(f?.ratio).toBeCloseTo(5440 / 3000, 6);
    expect(f?.endOfDayPaceRatio).toBeCloseTo(220 / (2100 / 19), 6);
  });

  it("forecasts across the DST change to the month's real end", () => {
    // 29 March 2026, 00:00 Paris (23:00 UTC on the 28th): 3 days to 1 April, one of them 23 h long.
    const r = evaluateBudgets(
      input({
        budgets: [month({ timezone: "Europe/Paris" })],
        now: Date.UTC(2026, 2, 28, 23),
        endpoints: [ep("acme/s", ["team-search"], 1)],
      }),
    );
    expect(r.budgets[0]?.forecast.hoursLeft).toBe(71);
    expect(r.budgets[0]?.bounds).toMatchObject({ day: "2026-03-29", daysLeft: 3 });
  });

  it("checks the hourly burn against the day's amount, or a month budget's allowance, / the divisor", () => {
    const day = month({ name: "chat", period: "day", pacing: null, amountUsd: 240 });
    const r = evaluateBudgets(
      input({
        budgets: [day, month({ pacing: "even" })],
        endpoints: [ep("acme/chat-a", ["team-chat", "team-search"])],
        window: { byEndpoint: new Map([["acme/chat-a", usd(12)]]), minutes: 60, budgetDivisor: 24 },
      }),
    );
    expect(r.budgets[0]?.hourlyBurn).toEqual({ windowMicro: usd(12), limitMicro: usd(10), over: true });
    // $3,000 / 28 days / 24 = $4.46 per hour
    expect(r.budgets[1]?.hourlyBurn).toEqual({ windowMicro: usd(12), limitMicro: 4_464_286, over: true });
    const none = evaluateBudgets(input({ budgets: [day], endpoints: [ep("acme/x")] }));
    expect(none.budgets[0]?.hourlyBurn).toBeNull();
  });
});

describe("the budget list", () => {
  const base: Partial<PolicyInput> = { budget: { daily_usd: 500, timezone: "Europe/Paris" } };

  it("normalises the budget: block into the fleet budget, first, and fills each budget's defaults", () => {
    const p = policy({
      ...base,
      thresholds: { scale_down: 1.1, reroute: 1.4, shutdown: 1.8 },
      budgets: [
        {
          name: "search",
          period: "month",
          amount_usd: 3000,
          timezone: "Europe/Paris",
          scope: { tags: ["team-search"] },
          thresholds: { shutdown: 3 },
        },
        { name: "chat", period: "day", amount_usd: 200, scope: { tags: ["team-chat"] } },
      ],
    });
    const list = budgetsOf(p);
    expect(list.map((b) => [b.name, b.period, b.amountUsd, b.timezone, b.pacing, b.path])).toEqual([
      ["fleet", "day", 500, "Europe/Paris", null, "budget"],
      ["search", "month", 3000, "Europe/Paris", "remaining", "budgets[0]"],
      ["chat", "day", 200, "Europe/Paris", null, "budgets[1]"],
    ]);
    expect(list[0]?.scope.all).toBe(true);
    expect(list[1]?.thresholds).toEqual({ scale_down: 1.1, reroute: 1.4, shutdown: 3 });
    expect(list[2]?.thresholds).toEqual({ scale_down: 1.1, reroute: 1.4, shutdown: 1.8 });
    expect(budgetsOf(p)).toBe(list);
  });
});
