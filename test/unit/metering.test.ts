import { describe, expect, it } from "vitest";
import { billableReplicas, confirmedSpend, GAP_MS, meter, replicaStarts } from "../../src/core/index.ts";
import { endpoint } from "../fixtures/builders.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);
const point = (billableReplicas: number, priceMicroPerHour: number | null = 1_000_000, at = T0) => ({
  at,
  billableReplicas,
  priceMicroPerHour,
});
const total = (acc: ReturnType<typeof meter>) => ({
  micro: acc.reduce((s, a) => s + a.micro, 0),
  low: acc.reduce((s, a) => s + a.lowMicro, 0),
  high: acc.reduce((s, a) => s + a.highMicro, 0),
  gap: acc.reduce((s, a) => s + a.gapMicro, 0),
});

describe("metering", () => {
  it("bills replicas x price x elapsed time", () => {
    // 3 replicas at $1/h for 1 minute = $0.05 = 50,000 micro-USD; nothing changed, so the bounds are the estimate.
    const o = endpoint({ replicas: 3 });
    expect(meter(point(3), o, T0 + MIN, "UTC")).toEqual([
      {
        day: "2026-11-24",
        micro: 50_000,
        lowMicro: 50_000,
        highMicro: 50_000,
        gapMicro: 0,
        unpricedReplicaMs: 0,
        varMicro2: 0,
        roundingMicro: 0,
      },
    ]);
  });

  it("bills initializing, running and updating replicas, nothing else", () => {
    for (const state of ["initializing", "running", "updating"] as const)
      expect(billableReplicas(endpoint({ state, replicas: 2 }))).toBe(2);
    for (const state of ["paused", "scaledToZero", "failed", "pending", "updateFailed"] as const) {
      expect(billableReplicas(endpoint({ state, replicas: 2 }))).toBe(0);
    }
  });

  it("bills a change between two ticks at the mean of its ends, bounded by the smaller and the larger count", () => {
    // Changed from 4 to 1 at an unknown instant in the minute: best estimate 2.5 replica-minutes.
    const t = total(meter(point(4), endpoint({ replicas: 1 }), T0 + MIN, "UTC"));
    expect(t).toEqual({ micro: Math.round(2.5e6 / 60), low: Math.round(1e6 / 60), high: Math.round(4e6 / 60), gap: 0 });
  });

  it("a wake from zero is billed from the middle of the interval, not from its start", () => {
    const wake = endpoint({ state: "initializing", readyReplica: 0, targetReplica: 1 });
    const t = total(meter(point(0), wake, T0 + MIN, "UTC", { partialMinute: "prorated" }));
    expect(t.micro).toBe(Math.round(0.5e6 / 60));
    // HF may charge the run's last started minute in full: `rounded_up` (the default) adds its expected half.
    expect(total(meter(point(0), wake, T0 + MIN, "UTC")).micro).toBe(Math.round(1e6 / 60));
    expect(t.low).toBe(0);
    // The whole minute, and one more for the started replica: HF bills per minute and may round a run up.
    expect(t.high).toBe(Math.round(2e6 / 60));
  });

  it("places the change at updatedAt when the endpoint says it changed inside the interval", () => {
    const o = endpoint({ replicas: 3, updatedAt: new Date(T0 + 15_000).toISOString() });
    const prorated = { partialMinute: "prorated" } as const;
    // 1 replica for 15 s, then 3 for 45 s = 2.5 replica-minutes, and no doubt about the instant.
    const placed = meter(point(1), o, T0 + MIN, "UTC", prorated);
    expect(total(placed).micro).toBe(Math.round((1e6 * 15 + 3e6 * 45) / 3600));
    expect(placed[0]?.varMicro2).toBe(0);
    // An updatedAt outside the interval tells nothing about this change.
    const old = endpoint({ replicas: 3, updatedAt: new Date(T0 - 3_600_000).toISOString() });
    expect(total(meter(point(1), old, T0 + MIN, "UTC", prorated)).micro).toBe(Math.round(2e6 / 60));
  });

  it("meters a long observation gap at the earlier count, with the later count as the high bound, marked estimated", () => {
    const gap = GAP_MS + 60 * MIN;
    const t = total(meter(point(1), endpoint({ replicas: 8 }), T0 + gap, "UTC", { partialMinute: "prorated" }));
    const hourly = (n: number) => Math.round((n * 1e6 * gap) / 3_600_000);
    // The high bound: 8 replicas all along, plus a minute for each of the 7 that started.
    expect(t).toEqual({ micro: hourly(1), low: hourly(1), high: Math.round((1e6 * (8 * gap + 7 * MIN)) / 3_600_000), gap: hourly(1) });
  });

  it("across a gap, a change HF dates inside it is placed there: a pause right after a tick, then a night unseen, is not charged", () => {
    const night = 9 * 60 * MIN;
    // The guardrail paused the endpoint (3 replicas) right after the observation at T0; the next tick came at 9 hours.
    const paused = endpoint({ state: "paused", replicas: 0, updatedAt: new Date(T0 + 2_000).toISOString() });
    const t = total(meter(point(3), paused, T0 + night, "UTC", { partialMinute: "prorated" }));
    // 3 replicas for the 2 s before the pause, nothing after; still marked as metered across a gap.
    expect(t.micro).toBe(Math.round((3e6 * 2) / 3600));
    expect(t.gap).toBe(t.micro);
    expect(t.high).toBe(Math.round((3e6 * night) / 3_600_000));
    // A cap from 7 to 6 replicas at T0, an hour unseen: 6 replicas all along, not 7.
    const capped = endpoint({ replicas: 6, updatedAt: new Date(T0).toISOString() });
    expect(total(meter(point(7), capped, T0 + 60 * MIN, "UTC", { partialMinute: "prorated" })).micro).toBe(6_000_000);
  });

  it("meters no interval for the first observation or a repeated tick", () => {
    const o = endpoint({ replicas: 2 });
    expect(meter(undefined, o, T0, "UTC", { partialMinute: "prorated" })).toEqual([]);
    expect(meter(point(2), o, T0, "UTC")).toEqual([]);
  });

  it("charges each run seen starting the expected half of a started minute (rounded_up)", () => {
    // The first observation meters nothing, not even that: the runs it shows may have started days ago,
    // and their last minute bills on the day they end.
    expect(meter(undefined, endpoint({ replicas: 2 }), T0, "UTC")).toEqual([]);
    // 1 -> 3 at an unknown instant: 2 replica-minutes of replica time, plus half a minute for each of the 2 starts.
    const up = meter(point(1), endpoint({ replicas: 3 }), T0 + MIN, "UTC");
    expect(total(up).micro).toBe(Math.round(3e6 / 60));
    // The allowance is kept apart: 2 x 30 s at $1/h, so the reconciliation can show the drift without it.
    expect(up[0]?.roundingMicro).toBe(Math.round(1e6 / 60));
    expect(meter(point(1), endpoint({ replicas: 3 }), T0 + MIN, "UTC", { partialMinute: "prorated" })[0]?.roundingMicro).toBe(0);
    // Its variance: the change's instant ((2 x 60 s)^2 / 12) and each start's share of a minute ((60 s)^2 / 12), at $1/h.
    const perMs = 1e6 / 3_600_000;
    expect(up[0]?.varMicro2).toBeCloseTo(((2 * MIN) ** 2 / 12 + (2 * MIN ** 2) / 12) * perMs ** 2, 3);
    // A count that went down starts nothing: no allowance.
    expect(total(meter(point(3), endpoint({ replicas: 3 }), T0 + MIN, "UTC")).micro).toBe(50_000);
  });

  it("sees a scale-to-zero and a wake between two observations: the replicas are new starts, the low bound is nothing", () => {
    // Running with a replica ready, now initializing with none ready: it went to zero and came back.
    const prev = { ...point(1), initializing: 0 };
    const woke = endpoint({ state: "initializing", readyReplica: 0, targetReplica: 1 });
    expect(replicaStarts(prev, woke)).toEqual({ started: 1, wake: true });
    const [a] = meter(prev, woke, T0 + MIN, "UTC");
    expect(a?.lowMicro).toBe(0);
    expect(a?.micro).toBe(Math.round(1.5e6 / 60));
    // Still initializing since the last tick (nothing was ready then): no new start.
    expect(replicaStarts({ ...point(1), initializing: 1 }, woke)).toEqual({ started: 0, wake: false });
    // A plain scale-up and a wake from zero are told apart.
    expect(replicaStarts(point(1), endpoint({ replicas: 3 }))).toEqual({ started: 2, wake: false });
    expect(replicaStarts(point(0), woke)).toEqual({ started: 1, wake: true });
  });

  it("splits a change's variance across midnight with its cost: each day's share of the error", () => {
    const midnight = Date.UTC(2026, 10, 25);
    const acc = meter(point(4, 1_000_000, midnight - 30_000), endpoint({ replicas: 1 }), midnight + 30_000, "UTC", {
      partialMinute: "prorated",
    });
    const whole = meter(point(4, 1_000_000, T0), endpoint({ replicas: 1 }), T0 + MIN, "UTC", { partialMinute: "prorated" });
    // Half the interval on each day: each share's standard error is half the whole interval's.
    expect(acc.map((a) => Math.sqrt(a.varMicro2))).toEqual([0, 1].map(() => expect.closeTo(Math.sqrt(whole[0]?.varMicro2 ?? 0) / 2, 6)));
  });

  it("the pause's spend keeps two standard errors below the estimate, besides gaps and this tick's unconfirmed part", () => {
    expect(confirmedSpend({ totalMicro: 1_000_000, gapMicro: 100_000, unconfirmedMicro: 50_000, varMicro2: 10_000 ** 2 })).toBe(830_000);
    expect(confirmedSpend({ totalMicro: 1_000_000, gapMicro: 0, unconfirmedMicro: 0, varMicro2: 0 })).toBe(1_000_000);
    // metering.pause_margin_sigmas: the policy's margin replaces the default two.
    const day = { totalMicro: 1_000_000, gapMicro: 100_000, unconfirmedMicro: 50_000, varMicro2: 10_000 ** 2 };
    expect(confirmedSpend(day, 0)).toBe(850_000);
    expect(confirmedSpend(day, 1)).toBe(840_000);
  });

  it("splits an interval that spans midnight between the two budget days", () => {
    const midnight = Date.UTC(2026, 10, 25);
    const acc = meter(
      point(1, 3_600_000, midnight - 30_000),
      endpoint({ replicas: 1, priceMicroPerHour: 3_600_000 }),
      midnight + 30_000,
      "UTC",
    );
    expect(acc.map((a) => [a.day, a.micro, a.lowMicro, a.highMicro])).toEqual([
      ["2026-11-24", 30_000, 30_000, 30_000],
      ["2026-11-25", 30_000, 30_000, 30_000],
    ]);
  });

  // Changed by issue 13: this test used to assert that an endpoint with no price at either end meters
  // nothing at all (`[]`), which is how a catalog outage turned running replicas into $0 silently. Now the
  // replica time that could not be priced is reported, so the tick can say so instead of staying quiet.
  it("meters an unpriced endpoint at its last known price, and reports replica time it could not price", () => {
    const o = endpoint({ priceMicroPerHour: null, replicas: 1 });
    expect(total(meter(point(1, 600_000), o, T0 + MIN, "UTC")).micro).toBe(10_000);
    const unpriced = meter(point(1, null), o, T0 + MIN, "UTC");
    expect(unpriced.map((a) => [a.micro, a.unpricedReplicaMs])).toEqual([[0, MIN]]);
  });
});
