// Where in the minute the simulated fleet's replica runs start and stop (src/sim/run-phases.ts), and the
// two worlds the simulator offers: reactions at an instant drawn anew each minute, or at one instant of
// the minute all day (a control loop that keeps its phase).
import { describe, expect, it } from "vitest";
import type { ClosedRun } from "../../src/fakes/index.ts";
import { simulate } from "../../src/sim/index.ts";
import { runSamples, summarisePhases } from "../../src/sim/run-phases.ts";
import { simPolicy, trace, traceEndpoint } from "../fixtures/traces.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 3, 14);
const run = (start: number, end: number, replicasAfter = 1): ClosedRun => ({
  namespace: "acme",
  name: "llm",
  start: T0 + start * MIN,
  end: T0 + end * MIN,
  replicasAfter,
});

describe("runSamples", () => {
  it("places each run's ends inside their tick interval and says what the mid-interval estimate makes of it", () => {
    const [across, inside, whole] = runSamples([run(0.2, 2.7), run(3.1, 3.6, 0), run(5, 7)], T0, MIN);
    // Started 0.2 into its minute, stopped 0.7 into another: the estimate charges half a minute at each end,
    // 0.8 - 0.5 at the start and 0.5 - 0.7 at the end: 0.5 of a replica-minute short.
    expect(across).toMatchObject({ startPhase: 0.2, toZero: false });
    expect(across?.endPhase).toBeCloseTo(0.7, 9);
    expect(across?.lean).toBeCloseTo(-0.5, 9);
    expect(across?.roundingMinutes).toBeCloseTo(0.5, 9);
    // Started and stopped between two ticks: no observation sees it, the whole run is missed.
    expect(inside?.toZero).toBe(true);
    expect(inside?.lean).toBeCloseTo(-0.5, 9);
    expect(whole).toMatchObject({ startPhase: 0, endPhase: 0, lean: 0, roundingMinutes: 0 });
  });

  it("summarises: mean phases, the end phase of scale-downs and of runs that ended at zero, the lean and its standard error", () => {
    const s = summarisePhases(runSamples([run(0.2, 2.7), run(3.1, 3.6, 0), run(5, 7)], T0, MIN));
    expect(s.runs).toBe(3);
    expect(s.startPhase).toBeCloseTo(0.1, 9);
    expect(s.endPhaseToZero).toBeCloseTo(0.6, 9);
    expect(s.endPhaseScaleDown).toBeCloseTo(0.35, 9);
    expect(s.lean).toBeCloseTo(-1 / 3, 9);
    expect(s.leanSe).toBeGreaterThan(0);
    expect(summarisePhases([]).runs).toBe(0);
  });
});

describe("the simulator's two worlds", () => {
  // An endpoint that wakes from zero for a burst every few minutes: many short runs.
  const bursts = Array.from({ length: 40 }, (_, k) => (k % 5 < 2 ? 3 : 0));
  const spiky = trace([
    traceEndpoint({ min_replicas: 0, max_replicas: 3, scale_to_zero_timeout_minutes: 1, cold_start_minutes: 1, demand_rps: bursts }),
  ]);
  const policy = simPolicy({ mode: "dry_run" });

  it("reacting at one instant of the minute all day, every run of the fleet lasts whole minutes; drawn anew each minute, they do not", async () => {
    const fixed = await simulate({ policy, trace: spiky, reactionPhase: "fixed", reactionSeed: 7 });
    const perStep = await simulate({ policy, trace: spiky, reactionSeed: 7 });
    const f = runSamples(fixed.runsWithout, fixed.start, fixed.tickMs);
    const p = runSamples(perStep.runsWithout, perStep.start, perStep.tickMs);
    expect(f.length).toBeGreaterThan(5);
    expect(p.length).toBeGreaterThan(5);
    expect(new Set(f.map((x) => x.startPhase.toFixed(6))).size).toBe(1);
    expect(f.every((x) => x.roundingMinutes < 1e-6)).toBe(true);
    expect(p.some((x) => x.roundingMinutes > 0.01)).toBe(true);
  });
});
