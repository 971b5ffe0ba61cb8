// Samples, counter deltas and the baseline: how "normal" is learned and how long it takes.
import { describe, expect, it } from "vitest";
import {
  baselineHours,
  baselineOf,
  counterDelta,
  type HourBucket,
  median,
  requestRate,
  sampleOf,
  spendRate,
} from "../../src/core/history.ts";
import { HOUR_MS } from "../../src/core/money.ts";
import { endpoint, policy } from "../fixtures/builders.ts";
import { metrics } from "../fixtures/engine.ts";

const NOW = Date.UTC(2026, 10, 24, 12, 30);
const HOUR = Date.UTC(2026, 10, 24, 12);
const B = policy().baseline;
const bucket = (hoursAgo: number, spendMicro: number, spanMin = 60): HourBucket => ({
  endpoint: "acme/llm",
  hour: HOUR - hoursAgo * HOUR_MS,
  spanMs: spanMin * 60_000,
  spendMicro,
  metricsMs: spanMin * 60_000,
  requests: spendMicro,
});
const spend = spendRate(B.min_coverage_minutes * 60_000);

describe("counter deltas", () => {
  it("adds each replica's increase", () => {
    expect(counterDelta({ a: { requests: 10, errors: 1 } }, { a: { requests: 25, errors: 2 } })).toEqual({ requests: 15, errors: 1 });
  });
  it("counts a new replica from zero and a restarted one (counter went down) whole", () => {
    const prev = { a: { requests: 100, errors: 0 } };
    expect(counterDelta(prev, { a: { requests: 5, errors: 0 }, b: { requests: 7, errors: 1 } })).toEqual({ requests: 12, errors: 1 });
  });
  it("forgets replicas that went away", () => {
    expect(counterDelta({ a: { requests: 100, errors: 0 }, b: { requests: 9, errors: 0 } }, { a: { requests: 110, errors: 0 } })).toEqual({
      requests: 10,
      errors: 0,
    });
  });
});

describe("a tick's sample", () => {
  const prev = { at: NOW - 60_000, billableReplicas: 0, priceMicroPerHour: 1_000_000 };
  it("marks a cold start when the endpoint went from 0 to >= 1 billable replica", () => {
    expect(sampleOf(endpoint({ replicas: 1 }), prev, 0, null, undefined, NOW)?.coldStart).toBe(1);
    expect(sampleOf(endpoint({ replicas: 1 }), { ...prev, billableReplicas: 1 }, 0, null, undefined, NOW)?.coldStart).toBe(0);
    expect(sampleOf(endpoint({ replicas: 0, state: "scaledToZero" }), prev, 0, null, undefined, NOW)?.coldStart).toBe(0);
  });
  it("counts every replica that starts: a wake from zero and a scale-up, told apart, with their initializing time", () => {
    const wake = sampleOf(endpoint({ state: "initializing", readyReplica: 0, targetReplica: 2 }), prev, 0, null, undefined, NOW);
    expect(wake).toMatchObject({ coldStart: 1, starts: 2, initializingMs: 60_000 }); // 0 then 2 initializing: 1 replica-minute
    const up = sampleOf(
      endpoint({ readyReplica: 2, targetReplica: 5 }),
      { ...prev, billableReplicas: 2, initializing: 0 },
      0,
      null,
      undefined,
      NOW,
    );
    expect(up).toMatchObject({ coldStart: 0, starts: 3, initializingMs: 90_000 }); // 0 then 3 initializing: 1.5 replica-minutes
    const down = sampleOf(endpoint({ replicas: 1 }), { ...prev, billableReplicas: 4, initializing: 0 }, 0, null, undefined, NOW);
    expect(down).toMatchObject({ coldStart: 0, starts: 0, initializingMs: 0 });
  });

  it("turns counters into requests over the span since the previous reading", () => {
    const s = sampleOf(
      endpoint(),
      prev,
      500,
      metrics({ replicas: { a: { requests: 150, errors: 3 } } }),
      { at: NOW - 5 * 60_000, counters: { a: { requests: 100, errors: 1 } } },
      NOW,
    );
    expect(s).toMatchObject({ requests: 50, errors: 2, metricsMs: 5 * 60_000, durationMs: 60_000, spendMicro: 500 });
  });
  it("has no request delta on the first reading, and no sample without an earlier observation", () => {
    expect(sampleOf(endpoint(), prev, 0, metrics({ replicas: { a: { requests: 9, errors: 0 } } }), undefined, NOW)).toMatchObject({
      requests: 0,
      metricsMs: 0,
      counters: { a: { requests: 9, errors: 0 } },
    });
    expect(sampleOf(endpoint(), undefined, 0, null, undefined, NOW)).toBeUndefined();
    expect(sampleOf(endpoint(), { ...prev, at: NOW }, 0, null, undefined, NOW)).toBeUndefined();
  });
});

describe("the baseline", () => {
  it("reads the same hour of the last 7 days and the last 6 hours", () => {
    const hours = baselineHours(NOW, B);
    expect(hours).toHaveLength(13);
    expect(hours).toContain(HOUR - 24 * HOUR_MS);
    expect(hours).toContain(HOUR - 7 * 24 * HOUR_MS);
    expect(hours).toContain(HOUR - HOUR_MS);
    expect(hours).not.toContain(HOUR);
  });

  it("is the median of the same hour over the days seen once 3 days are there", () => {
    const b = baselineOf([bucket(24, 1), bucket(48, 9), bucket(72, 3), bucket(1, 100), bucket(2, 100)], NOW, B, spend);
    expect(b).toEqual({ value: 3, source: "same_hour", hours: 3 });
  });

  it("falls back to the median of the last hours while there are fewer than 3 days", () => {
    const b = baselineOf([bucket(24, 1), bucket(48, 9), bucket(1, 10), bucket(2, 20), bucket(3, 60)], NOW, B, spend);
    expect(b).toEqual({ value: 20, source: "recent_hours", hours: 3 });
  });

  it("is absent (warming up) with fewer than 2 complete hours", () => {
    expect(baselineOf([bucket(1, 10)], NOW, B, spend)).toBeNull();
    expect(baselineOf([], NOW, B, spend)).toBeNull();
  });

  it("ignores hours the guardrail saw for less than min_coverage_minutes, and scales the rest to a full hour", () => {
    expect(baselineOf([bucket(1, 10, 14), bucket(2, 10, 14), bucket(3, 10, 14)], NOW, B, spend)).toBeNull();
    expect(baselineOf([bucket(1, 10, 30), bucket(2, 10, 30)], NOW, B, spend)?.value).toBe(20);
    expect(requestRate(15 * 60_000)(bucket(1, 10, 30))).toBe(20);
  });

  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
