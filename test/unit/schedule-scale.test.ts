// A scheduled scale: executed when it keeps within budget, held and alerted when it would not.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configOf, decideScheduledScale, forecastEndOfDay, type ScheduleScaleInput } from "../../src/core/index.ts";
import { endpoint, policy } from "../fixtures/builders.ts";

const HOUR = 3_600_000;
const FIRED = Date.UTC(2026, 2, 9, 12, 0); // 08:00 New York
const o = endpoint({ id: "acme/llm", replicas: 1, minReplica: 1, maxReplica: 2, priceMicroPerHour: 1_000_000 });

function input(over: Partial<ScheduleScaleInput> = {}, command: Partial<ScheduleScaleInput["command"]> = {}): ScheduleScaleInput {
  const observation = over.observation ?? o;
  return {
    policy: policy({ budget: { daily_usd: 100, timezone: "UTC" } }),
    day: "2026-03-09",
    now: FIRED + 20_000,
    dayEnd: FIRED + 12 * HOUR,
    command: {
      schedule: "llm-prewarm",
      endpoint: "acme/llm",
      replicas: 3,
      maxReplicas: null,
      scaleToZeroTimeoutMinutes: 15,
      cron: "0 8 * * 1-5",
      timezone: "America/New_York",
      firedAt: FIRED,
      ...command,
    },
    mismatch: null,
    observation,
    config: configOf(observation, undefined),
    spendMicro: 40_000_000,
    level: 0,
    fleetBurnMicro: 2_000_000,
    pausedToday: false,
    ...over,
  };
}

describe("scheduled scale decisions", () => {
  it("pre-warms under budget: minReplica 1 -> 3, maxReplica raised to 3, journaled per schedule and fire time", () => {
    const d = decideScheduledScale(input());
    expect(d.kind).toBe("execute");
    if (d.kind !== "execute") return;
    expect(d.scaleUp).toBe(true);
    expect(d.action).toMatchObject({
      kind: "schedule_scale",
      key: "schedule:llm-prewarm:2026-03-09T12:00:00.000Z",
      change: { type: "hf_update", body: { compute: { scaling: { minReplica: 3, maxReplica: 3 } } } },
      before: { minReplica: 1, maxReplica: 2 },
      after: { minReplica: 3, maxReplica: 3 },
    });
    expect(d.action.reason).toContain("minReplica 1 -> 3");
  });

  it("holds a pre-warm while one of the endpoint's named budgets is above normal, naming it, though the fleet is calm", () => {
    const budget = {
      level: 1 as const,
      budget: "search",
      ratio: 1.25,
      reason: 'budget "search" (day 2026-03-09) at scale_down: today\'s $12.50 is 125.0% of $10.00',
    };
    const d = decideScheduledScale(input({ budget }));
    expect(d.kind).toBe("hold");
    if (d.kind !== "hold") return;
    expect(d.reason).toBe(`${budget.reason}; no scale-up while a budget of acme/llm is above normal`);
    expect(d.alert.figures).toMatchObject({ budget: "search", level: 0 });
    // A scale-down still goes ahead, and a budget at normal holds nothing.
    expect(decideScheduledScale(input({ budget }, { replicas: 0 })).kind).toBe("execute");
    expect(decideScheduledScale(input({ budget: { ...budget, level: 0 } })).kind).toBe("execute");
  });

  it("scales to zero in the evening with the scale-to-zero timeout, even at the shutdown level", () => {
    const d = decideScheduledScale(input({ level: 3, spendMicro: 250_000_000 }, { replicas: 0, scaleToZeroTimeoutMinutes: 10 }));
    expect(d).toMatchObject({
      kind: "execute",
      scaleUp: false,
      action: { change: { body: { compute: { scaling: { minReplica: 0, maxReplica: 2, scaleToZeroTimeout: 10 } } } } },
    });
  });

  it("holds a scale-up once today's spend reached the first rung", () => {
    const d = decideScheduledScale(input({ level: 1, spendMicro: 121_000_000 }));
    expect(d).toMatchObject({ kind: "hold", alert: { kind: "schedule_held", severity: "warning", endpoint: "acme/llm" } });
    if (d.kind === "hold") {
      expect(d.reason).toContain("reached the 120% rung");
      expect(d.alert.dedupKey).toBe("2026-03-09:schedule_held:llm-prewarm:2026-03-09T12:00:00.000Z");
    }
  });

  it("holds a scale-up whose added replicas push the end-of-day forecast to 100 % of the budget", () => {
    // $40 spent + ($2/h fleet + 2 x $1/h added) x ~12 h = ~$88: fine. At $80 spent: ~$128 >= $100: held.
    expect(decideScheduledScale(input()).kind).toBe("execute");
    const d = decideScheduledScale(input({ spendMicro: 80_000_000 }));
    expect(d.kind).toBe("hold");
    if (d.kind === "hold") {
      expect(d.alert.figures).toMatchObject({ added_usd_per_hour: 2, threshold: 1 });
      expect(d.reason).toMatch(/forecast is \$127\.\d\d/);
    }
  });

  it("forecasts with the engine's projection against today's budget in force (a raise), like the forecast alert", () => {
    const held = decideScheduledScale(input({ spendMicro: 80_000_000 }));
    const engine = forecastEndOfDay(80_000_000, 2_000_000 + 2_000_000, 100_000_000, FIRED + 20_000, FIRED + 12 * HOUR);
    expect(held.kind === "hold" && held.alert.figures.forecast_usd).toBe(engine.endOfDayMicro / 1e6);
    expect(held.kind === "hold" && held.reason).toContain(`${(engine.ratio * 100).toFixed(0)}% of the $100.00 budget`);
    // Raised to $150 for today: ~$128 is 85 % of it, under the first rung.
    expect(decideScheduledScale(input({ spendMicro: 80_000_000, budgetMicro: 150_000_000 })).kind).toBe("execute");
  });

  it("holds a scale-up of an endpoint the guardrail paused today", () => {
    const d = decideScheduledScale(input({ pausedToday: true }));
    expect(d.kind === "hold" && d.reason).toContain("paused acme/llm today");
  });

  it("holds a command delivered too late, and one that no longer matches the policy", () => {
    expect(decideScheduledScale(input({ now: FIRED + 16 * 60_000 }))).toMatchObject({ kind: "hold" });
    const stale = decideScheduledScale(input({ mismatch: "schedule llm-prewarm is not in the policy" }));
    expect(stale.kind === "hold" && stale.reason).toBe("schedule llm-prewarm is not in the policy");
  });

  it("does nothing when the endpoint is already as scheduled", () => {
    const at3 = endpoint({ id: "acme/llm", replicas: 3, minReplica: 3, maxReplica: 3 });
    expect(decideScheduledScale(input({ observation: at3, config: configOf(at3, undefined) })).kind).toBe("unchanged");
  });

  it("holds a scale-up of an unpriced GPU endpoint (cannot show it stays within budget)", () => {
    const unpriced = { ...o, priceMicroPerHour: null };
    expect(decideScheduledScale(input({ observation: unpriced })).kind).toBe("hold");
  });

  it("never executes a scale-up at or over the first rung, nor one forecast to reach it (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300_000_000 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 20_000_000 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 24 * HOUR }),
        (spend, level, burn, replicas, left) => {
          const i = input(
            { spendMicro: spend, level: level as 0 | 1 | 2 | 3, fleetBurnMicro: burn, dayEnd: FIRED + 20_000 + left },
            { replicas },
          );
          const d = decideScheduledScale(i);
          if (d.kind !== "execute" || !d.scaleUp) return;
          const added = Math.max(0, replicas - 1) * 1_000_000;
          expect(level).toBe(0);
          expect(spend + ((burn + added) * left) / HOUR).toBeLessThan(100_000_000 * 1.2);
        },
      ),
    );
  });
});
