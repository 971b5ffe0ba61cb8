// Invariants of several budgets over random fleets, scopes and spend paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BudgetMemory, type BudgetState, budgetDay, evaluateBudgets, inScope } from "../../src/core/index.ts";
import type { BudgetSpec } from "../../src/policy/index.ts";

const THRESHOLDS = { scale_down: 1.2, reroute: 1.5, shutdown: 2 };
const ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];

const arbBudget = fc
  .record({
    period: fc.constantFrom("day" as const, "month" as const),
    amountUsd: fc.integer({ min: 1, max: 5000 }),
    pacing: fc.constantFrom("remaining" as const, "even" as const),
    rollover: fc.boolean(),
    timezone: fc.constantFrom(...ZONES),
  })
  .map(
    (r): BudgetSpec => ({
      name: "team",
      period: r.period,
      amountUsd: r.amountUsd,
      timezone: r.timezone,
      thresholds: THRESHOLDS,
      scope: { all: true, namespaces: [], endpoints: [], tags: [], services: [] },
      pacing: r.period === "month" ? r.pacing : null,
      rollover: r.period === "month" && r.pacing === "even" && r.rollover,
      path: "budgets[0]",
    }),
  );

const arbStep = fc.record({
  minutes: fc.integer({ min: 1, max: 12 * 60 }),
  spendUsd: fc.integer({ min: 0, max: 400 }),
  // A ledger correction (a late, lower figure) must not lower a level either.
  correction: fc.boolean(),
});

describe("budget invariants", () => {
  it("levels never go down within a period: the ladder's within the period, the pacing's within the day", () => {
    fc.assert(
      fc.property(
        arbBudget,
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        fc.array(arbStep, { minLength: 1, maxLength: 40 }),
        (budget, start, steps) => {
          const ledger = new Map<string, number>();
          let now = start;
          let memory: BudgetMemory | undefined;
          let prev: BudgetState | undefined;
          for (const step of steps) {
            now += step.minutes * 60_000;
            const day = budgetDay(now, budget.timezone);
            const before = ledger.get(day) ?? 0;
            ledger.set(day, step.correction ? Math.floor(before / 2) : before + step.spendUsd * 1e6);
            const earlier = new Map([...ledger].filter(([d]) => d < day));
            const r = evaluateBudgets({
              budgets: [budget],
              now,
              endpoints: [{ id: "acme/e", burnMicroPerHour: 1_000_000 }],
              todayByEndpoint: new Map([["acme/e", ledger.get(day) ?? 0]]),
              earlierDays: new Map([["team", earlier]]),
              ...(memory ? { memory: new Map([["team", memory]]) } : {}),
            });
            const s = r.budgets[0] as BudgetState;
            expect(s.level).toBe(Math.max(s.ladderLevel, s.paceLevel));
            expect(r.endpoints.get("acme/e")?.level).toBe(s.level);
            if (prev && prev.bounds.period === s.bounds.period) expect(s.ladderLevel).toBeGreaterThanOrEqual(prev.ladderLevel);
            if (prev && prev.bounds.day === s.bounds.day) {
              expect(s.paceLevel).toBeGreaterThanOrEqual(prev.paceLevel);
              expect(s.level).toBeGreaterThanOrEqual(prev.level);
              expect(s.previousLevel).toBe(prev.level);
            }
            memory = s.memory;
            prev = s;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  const NAMESPACES = ["acme", "labs"];
  const TAGS = ["team-search", "team-chat", "eval", "prod"];
  const arbEndpoint = (i: number) =>
    fc
      .record({
        namespace: fc.constantFrom(...NAMESPACES),
        tags: fc.subarray(TAGS),
        spendUsd: fc.integer({ min: 0, max: 600 }),
      })
      .map((r) => ({ id: `${r.namespace}/e${i}`, tags: r.tags, spendMicro: r.spendUsd * 1e6 }));
  const arbScoped = (i: number) =>
    fc
      .record({
        all: fc.boolean(),
        namespaces: fc.subarray(NAMESPACES),
        endpoints: fc.subarray(["acme/e0", "labs/e1", "acme/e2"]),
        tags: fc.subarray(TAGS),
        amountUsd: fc.integer({ min: 10, max: 1000 }),
        period: fc.constantFrom("day" as const, "month" as const),
      })
      .map(
        (r): BudgetSpec => ({
          name: `b${i}`,
          period: r.period,
          amountUsd: r.amountUsd,
          timezone: "UTC",
          thresholds: THRESHOLDS,
          scope: { all: r.all, namespaces: r.namespaces, endpoints: r.endpoints, tags: r.tags, services: [] },
          pacing: r.period === "month" ? "remaining" : null,
          rollover: false,
          path: `budgets[${i}]`,
        }),
      );

  it("an endpoint's level is the max over its budgets, and the budget named reached it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbScoped(i)))),
        fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbEndpoint(i)))),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        (budgets, fleet, now) => {
          const r = evaluateBudgets({
            budgets,
            now,
            endpoints: fleet.map((e) => ({ id: e.id, tags: e.tags, burnMicroPerHour: 0 })),
            todayByEndpoint: new Map(fleet.map((e) => [e.id, e.spendMicro])),
          });
          for (const e of fleet) {
            const mine = r.budgets.filter((_, b) => inScope((budgets[b] as BudgetSpec).scope, e));
            const got = r.endpoints.get(e.id);
            expect(got?.level).toBe(Math.max(0, ...mine.map((s) => s.level)));
            if (mine.length === 0) expect(got?.budget).toBeNull();
            else {
              const named = mine.find((s) => s.name === got?.budget);
              expect(named?.level).toBe(got?.level);
              expect(got?.reason).toBe(named?.reason);
              expect(got?.reason).toContain(`budget "${named?.name}"`);
            }
            // A budget's spend is the sum over its members.
          }
          r.budgets.forEach((s, b) => {
            const members = fleet.filter((e) => inScope((budgets[b] as BudgetSpec).scope, e));
            expect(s.todayMicro).toBe(members.reduce((sum, e) => sum + e.spendMicro, 0));
            expect(s.members).toEqual(members.map((e) => e.id));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
