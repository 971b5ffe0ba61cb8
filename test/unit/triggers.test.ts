// Each trigger at, just under and just over its threshold (defaults from the cost guide), plus the
// behaviour around it: what the alert says, and when scale-up is held back by the budget.
import { describe, expect, it } from "vitest";
import { forecastEndOfDay } from "../../src/core/forecast.ts";
import { coldStarts } from "../../src/core/triggers/cold-starts.ts";
import { errorRate } from "../../src/core/triggers/error-rate.ts";
import { forecast } from "../../src/core/triggers/forecast.ts";
import { hourlyBurn } from "../../src/core/triggers/hourly-burn.ts";
import { queueLatency } from "../../src/core/triggers/queue-latency.ts";
import { requestSpike } from "../../src/core/triggers/request-spike.ts";
import { runawayScaling } from "../../src/core/triggers/runaway-scaling.ts";
import { spendSpike } from "../../src/core/triggers/spend-spike.ts";
import { underutilized } from "../../src/core/triggers/underutilized.ts";
import { endpoint, policy } from "../fixtures/builders.ts";
import { history, metrics, T0, triggerContext } from "../fixtures/engine.ts";

const ID = "acme/llm";
const MIN = 60_000;
const kinds = (r: { alerts: Array<{ kind: string }> }) => r.alerts.map((a) => a.kind);

describe("hourly_burn: fleet spend over the last hour > daily budget / 24", () => {
  const limit = 100_000_000 / 24; // $100 budget
  it.each([
    ["at", limit, false],
    ["just under", limit - 1, false],
    ["just over", limit + 1, true],
  ])("%s the limit", (_, spend, fires) => {
    const ctx = triggerContext({ histories: { [ID]: history({ windows: { 60: { spendMicro: spend, spanMs: 60 * MIN } } }) } });
    expect(kinds(hourlyBurn.evaluate(ctx))).toEqual(fires ? ["hourly_burn"] : []);
  });

  it("sums the whole fleet, names the biggest spenders and says investigate now", () => {
    const ctx = triggerContext({
      histories: {
        "acme/a": history({ windows: { 60: { spendMicro: 3_000_000 } } }),
        "acme/b": history({ windows: { 60: { spendMicro: 2_000_000 } } }),
      },
    });
    const [a] = hourlyBurn.evaluate(ctx).alerts;
    expect(a).toMatchObject({ endpoint: null, dedupKey: "2026-11-24:hourly_burn:fleet", figures: { spend_window_usd: 5 } });
    expect(a?.title).toContain("Investigate now");
    expect(a?.message).toContain("acme/a $3.00, acme/b $2.00");
  });
});

describe("runaway_scaling: replicas > expected_max_replicas", () => {
  const pol = (cap = false, critical = false) =>
    policy({ endpoints: { [ID]: { expected_max_replicas: 4, critical } }, triggers: { runaway_scaling: { cap } } });
  it.each([
    ["at", 4, false],
    ["just under", 3, false],
    ["just over", 5, true],
  ])("%s the expected max", (_, replicas, fires) => {
    const ctx = triggerContext({ policy: pol(), observations: [endpoint({ replicas, maxReplica: 8 })] });
    const r = runawayScaling.evaluate(ctx);
    expect(kinds(r)).toEqual(fires ? ["runaway_scaling"] : []);
    expect(r.actions).toEqual([]); // alert only by default
  });

  it("caps maxReplica at the expected max when the policy switch is on", () => {
    const r = runawayScaling.evaluate(triggerContext({ policy: pol(true), observations: [endpoint({ replicas: 6, maxReplica: 8 })] }));
    expect(r.actions.map((a) => [a.kind, a.after.maxReplica])).toEqual([["cap_replicas", 4]]);
    expect(r.actions[0]?.change).toEqual({ type: "hf_update", body: { compute: { scaling: { minReplica: 1, maxReplica: 4 } } } });
  });

  it("never caps a critical endpoint, and says so", () => {
    const r = runawayScaling.evaluate(
      triggerContext({ policy: pol(true, true), observations: [endpoint({ replicas: 6, maxReplica: 8 })] }),
    );
    expect(r.actions).toEqual([]);
    expect(r.alerts[0]?.message).toContain("critical");
  });
});

describe("request_spike: request rate > 5 x normal", () => {
  const base = { value: 1000, source: "same_hour" as const, hours: 7 };
  const at = (perHour: number) =>
    triggerContext({
      histories: { [ID]: history({ requestBaseline: base, windows: { 15: { requests: perHour / 4, metricsMs: 15 * MIN } } }) },
    });
  it.each([
    ["at", 5000, false],
    ["just under", 4999, false],
    ["just over", 5001, true],
  ])("%s 5x", (_, perHour, fires) => {
    expect(kinds(requestSpike.evaluate(at(perHour)))).toEqual(fires ? ["request_spike"] : []);
  });

  it("stays silent while there is no baseline yet (warming up)", () => {
    const ctx = triggerContext({ histories: { [ID]: history({ windows: { 15: { requests: 10_000, metricsMs: 15 * MIN } } }) } });
    expect(requestSpike.evaluate(ctx).alerts).toEqual([]);
  });

  it("ignores rates under min_requests_per_hour however small the baseline", () => {
    const tiny = { value: 1, source: "recent_hours" as const, hours: 2 };
    const ctx = triggerContext({
      histories: { [ID]: history({ requestBaseline: tiny, windows: { 15: { requests: 10, metricsMs: 15 * MIN } } }) },
    });
    expect(requestSpike.evaluate(ctx).alerts).toEqual([]);
  });
});

describe("spend_spike: spend rate > 2 x normal", () => {
  const base = { value: 1_000_000, source: "same_hour" as const, hours: 5 };
  it.each([
    ["at", 2_000_000, false],
    ["just under", 1_999_999, false],
    ["just over", 2_000_001, true],
  ])("%s 2x", (_, perHour, fires) => {
    const ctx = triggerContext({
      histories: { [ID]: history({ spendBaseline: base, windows: { 15: { spendMicro: perHour / 4, spanMs: 15 * MIN } } }) },
    });
    const r = spendSpike.evaluate(ctx);
    expect(kinds(r)).toEqual(fires ? ["spend_spike"] : []);
    if (fires) expect(r.alerts[0]?.figures).toMatchObject({ baseline_usd_per_hour: 1, baseline_source: "same_hour" });
  });
});

describe("cold_starts: more than 10 replica starts per hour (wakes from zero and scale-ups)", () => {
  it("tells wakes from scale-ups and names the billed initializing minutes per hour and what they cost", () => {
    // 4 wakes and 8 scale-ups in the hour; 30 replica-minutes initializing at $1/h per replica = $0.50/h.
    const ctx = triggerContext({
      histories: { [ID]: history({ windows: { 60: { coldStarts: 12, wakes: 4, initializingMs: 30 * MIN, spanMs: 60 * MIN } } }) },
    });
    const [a] = coldStarts.evaluate(ctx).alerts;
    expect(a?.title).toContain("12 replica starts in 60 minutes");
    expect(a?.message).toContain("4 wakes from zero and 8 scale-ups");
    expect(a?.message).toContain("30 initializing replica-minutes per hour ($0.50/h)");
    expect(a?.figures).toMatchObject({
      replica_starts: 12,
      wakes: 4,
      scale_ups: 8,
      initializing_minutes_per_hour: 30,
      initializing_usd_per_hour: 0.5,
    });
  });

  it.each([
    ["at", 10, false],
    ["just under", 9, false],
    ["just over", 11, true],
  ])("%s the limit", (_, n, fires) => {
    const ctx = triggerContext({ histories: { [ID]: history({ windows: { 60: { coldStarts: n } } }) } });
    const r = coldStarts.evaluate(ctx);
    expect(kinds(r)).toEqual(fires ? ["cold_starts"] : []);
    if (fires) expect(r.alerts[0]?.message).toMatch(/minReplica to at least 1.*scale-to-zero timeout/);
  });
});

describe("underutilized: hardware usage < 10 % over the last hour", () => {
  const at = (usage: number, billableMin = 60) =>
    triggerContext({
      histories: { [ID]: history({ windows: { 60: { usageAvg: usage, usageSamples: 30, billableMs: billableMin * MIN } } }) },
    });
  it.each([
    ["at", 10, false],
    ["just under", 9.99, true],
    ["just over", 10.01, false],
  ])("%s 10 %%", (_, usage, fires) => {
    expect(kinds(underutilized.evaluate(at(usage)))).toEqual(fires ? ["underutilized"] : []);
  });

  it("does not judge an endpoint that was not billed for the whole hour", () => {
    expect(underutilized.evaluate(at(1, 30)).alerts).toEqual([]);
  });
});

describe("error_rate: more than 1 % of requests answer 5xx", () => {
  it.each([
    ["at", 10, false],
    ["just under", 9, false],
    ["just over", 11, true],
  ])("%s 1 %% (of 1000)", (_, errors, fires) => {
    const ctx = triggerContext({ histories: { [ID]: history({ windows: { 5: { requests: 1000, errors } } }) } });
    const r = errorRate.evaluate(ctx);
    expect(kinds(r)).toEqual(fires ? ["error_rate"] : []);
    if (fires) expect(r.alerts[0]?.message).toContain("model loading and memory");
  });

  it("waits for min_requests before judging", () => {
    const ctx = triggerContext({ histories: { [ID]: history({ windows: { 5: { requests: 50, errors: 50 } } }) } });
    expect(errorRate.evaluate(ctx).alerts).toEqual([]);
  });
});

describe("queue depth > 10 or p95 latency > 500 ms: scale up by one replica, only under budget", () => {
  const cheap = forecastEndOfDay(0, 1_000_000, 100_000_000, T0, T0 + 12 * 3_600_000); // $1/h, 12 h left
  const at = (m: Parameters<typeof metrics>[0], over: Parameters<typeof triggerContext>[0] = {}) =>
    queueLatency.evaluate(triggerContext({ forecast: cheap, histories: { [ID]: history({ metrics: metrics(m) }) }, ...over }));
  it.each([
    ["queue at", { pendingRequests: 10 }, false],
    ["queue just under", { pendingRequests: 9 }, false],
    ["queue just over", { pendingRequests: 11 }, true],
    ["latency at", { p95LatencyMs: 500 }, false],
    ["latency just under", { p95LatencyMs: 499 }, false],
    ["latency just over", { p95LatencyMs: 501 }, true],
  ])("%s the limit", (_, m, fires) => {
    const r = at(m);
    expect(kinds(r)).toEqual(fires ? ["scale_up"] : []);
    expect(r.actions.map((a) => a.kind)).toEqual(fires ? ["scale_up"] : []);
  });

  it("waits cooldown_minutes (default 10) after a scale-up of the same endpoint before the next one", () => {
    const last = (minutesAgo: number) => ({ lastScaleUpAt: new Map([[ID, T0 - minutesAgo * MIN]]) });
    expect(at({ pendingRequests: 30 }, last(9)).actions).toEqual([]);
    expect(at({ pendingRequests: 30 }, last(10)).actions.map((a) => a.kind)).toEqual(["scale_up"]);
  });

  it("releases the minReplica a scale-up pinned once the queue is back under the limit, after the cooldown", () => {
    const pinned = endpoint({ replicas: 3, minReplica: 3, maxReplica: 4 });
    const over = (minutesAgo: number, pinnedAt = 3) => ({
      observations: [pinned],
      lastScaleUpAt: new Map([[ID, T0 - minutesAgo * MIN]]),
      scaleUpFloor: new Map([[ID, { floor: 1, pinned: pinnedAt }]]),
    });
    const [release] = at({ pendingRequests: 2 }, over(15)).actions;
    expect(release).toMatchObject({ kind: "scale_up_release", after: { minReplica: 1, maxReplica: 4 } });
    expect(release?.change).toEqual({ type: "hf_update", body: { compute: { scaling: { minReplica: 1 } } } });
    expect(at({ pendingRequests: 2 }, over(5)).actions).toEqual([]); // still cooling down
    expect(at({ pendingRequests: 2 }, over(15, 2)).actions).toEqual([]); // a person changed minReplica since: it stands
  });

  it("adds exactly one replica: minReplica to target + 1, maxReplica raised when needed", () => {
    const [a] = at({ pendingRequests: 30 }, { observations: [endpoint({ replicas: 4, minReplica: 1, maxReplica: 4 })] }).actions;
    expect(a?.change).toEqual({ type: "hf_update", body: { compute: { scaling: { minReplica: 5, maxReplica: 5 } } } });
    expect(a?.key).toBe("2026-11-24:scale_up:acme/llm:5");
  });

  it.each([
    ["spend at 100 % of the budget", { ratio: 1, spendMicro: 100_000_000 }, "100% of the budget"],
    ["a ladder level reached today", { level: 1 as const, ratio: 0.5 }, "ladder"],
    [
      "a forecast, the added replica included, at 100 % of the budget or more",
      { forecast: forecastEndOfDay(50_000_000, 6_000_000, 100_000_000, T0, T0 + 12 * 3_600_000), ratio: 0.5, spendMicro: 50_000_000 },
      "forecast stays under 100%",
    ],
  ])("is held back by %s", (_, over, why) => {
    const r = at({ pendingRequests: 30 }, over);
    expect(r.actions).toEqual([]);
    expect(kinds(r)).toEqual(["scale_up_held"]);
    expect(r.alerts[0]?.message).toContain(why);
  });

  it("counts the new replica in the forecast", () => {
    // $1/h now ends the day at $62; one more $5/h replica for 12 h would end it at $122 > 120 %.
    const f = forecastEndOfDay(50_000_000, 1_000_000, 100_000_000, T0, T0 + 12 * 3_600_000);
    const r = at(
      { pendingRequests: 30 },
      { forecast: f, ratio: 0.5, spendMicro: 50_000_000, observations: [endpoint({ priceMicroPerHour: 5_000_000 })] },
    );
    expect(kinds(r)).toEqual(["scale_up_held"]);
  });

  it("waits while the previous extra replica is still starting", () => {
    const r = at({ pendingRequests: 30 }, { observations: [endpoint({ readyReplica: 2, targetReplica: 3 })] });
    expect(r.actions).toEqual([]);
    expect(kinds(r)).toEqual(["scale_up"]);
  });
});

describe("forecast: end-of-day projection crosses a threshold before spend does", () => {
  // $40 spent at noon, 12 h left, budget $100: a burn of $5/h ends the day at exactly $100.
  const at = (burn: number) => {
    const f = forecastEndOfDay(40_000_000, burn, 100_000_000, T0, T0 + 12 * 3_600_000);
    return forecast.evaluate(triggerContext({ forecast: f, spendMicro: 40_000_000, ratio: 0.4 }));
  };
  it.each([
    ["at", 5_000_000, ["2026-11-24:forecast:1"]],
    ["just under", 4_999_000, []],
    ["just over", 5_001_000, ["2026-11-24:forecast:1"]],
  ])("%s 100 %% of the budget", (_, burn, keys) => {
    expect(at(burn).alerts.map((a) => a.dedupKey)).toEqual(keys);
  });

  it("raises one alert per threshold crossed, and says when spend will get there", () => {
    const r = at(15_000_000); // ends at $220
    expect(r.alerts.map((a) => a.figures.threshold)).toEqual([1, 1.2, 1.5, 2]);
    expect(r.alerts.map((a) => a.severity)).toEqual(["warning", "warning", "warning", "critical"]);
    expect(r.alerts[0]?.figures.hours_to_threshold).toBe(4);
  });

  it("is silent for a threshold spend already crossed", () => {
    const f = forecastEndOfDay(130_000_000, 10_000_000, 100_000_000, T0, T0 + 12 * 3_600_000);
    const r = forecast.evaluate(triggerContext({ forecast: f, spendMicro: 130_000_000, ratio: 1.3 }));
    expect(r.alerts.map((a) => a.figures.threshold)).toEqual([1.5, 2]);
  });
});
