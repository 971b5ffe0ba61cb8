import { describe, expect, it } from "vitest";
import { billableReplicas, meter } from "../../src/core/index.ts";
import { endpoint } from "../fixtures/builders.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);

describe("metering", () => {
  it("bills replicas x price x elapsed time", () => {
    // 3 replicas at $1/h for 1 minute = $0.05 = 50,000 micro-USD.
    const o = endpoint({ replicas: 3 });
    expect(meter({ at: T0, billableReplicas: 3, priceMicroPerHour: 1_000_000 }, o, T0 + MIN, "UTC")).toEqual([
      { day: "2026-11-24", micro: 50_000 },
    ]);
  });

  it("bills initializing, running and updating replicas, nothing else", () => {
    for (const state of ["initializing", "running", "updating"] as const)
      expect(billableReplicas(endpoint({ state, replicas: 2 }))).toBe(2);
    for (const state of ["paused", "scaledToZero", "failed", "pending", "updateFailed"] as const) {
      expect(billableReplicas(endpoint({ state, replicas: 2 }))).toBe(0);
    }
  });

  it("uses the larger replica count of the two ends of the interval", () => {
    const o = endpoint({ replicas: 1 });
    const [acc] = meter({ at: T0, billableReplicas: 4, priceMicroPerHour: 1_000_000 }, o, T0 + MIN, "UTC");
    expect(acc?.micro).toBe(Math.round((4 * 1_000_000) / 60));
  });

  it("counts nothing for the first observation or a repeated tick", () => {
    const o = endpoint();
    expect(meter(undefined, o, T0, "UTC")).toEqual([]);
    expect(meter({ at: T0, billableReplicas: 2, priceMicroPerHour: 1_000_000 }, o, T0, "UTC")).toEqual([]);
  });

  it("splits an interval that spans midnight between the two budget days", () => {
    const midnight = Date.UTC(2026, 10, 25);
    const acc = meter(
      { at: midnight - 30_000, billableReplicas: 1, priceMicroPerHour: 3_600_000 },
      endpoint({ replicas: 1, priceMicroPerHour: 3_600_000 }),
      midnight + 30_000,
      "UTC",
    );
    expect(acc).toEqual([
      { day: "2026-11-24", micro: 30_000 },
      { day: "2026-11-25", micro: 30_000 },
    ]);
  });

  it("meters an unpriced endpoint at its last known price, and not at all without one", () => {
    const o = endpoint({ priceMicroPerHour: null, replicas: 1 });
    expect(meter({ at: T0, billableReplicas: 1, priceMicroPerHour: 600_000 }, o, T0 + MIN, "UTC")).toEqual([
      { day: "2026-11-24", micro: 10_000 },
    ]);
    expect(meter({ at: T0, billableReplicas: 1, priceMicroPerHour: null }, o, T0 + MIN, "UTC")).toEqual([]);
  });
});
