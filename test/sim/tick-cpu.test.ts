// The tick isolate's CPU from a V8 CPU profile: the time it ran JavaScript, not the time it waited.
import { describe, expect, it } from "vitest";
import { type CpuProfile, isolateCpu } from "../../src/sim/tick-host.ts";

/** A profile from (function, µs since the previous sample) pairs. */
function profile(samples: Array<[string, number]>): CpuProfile {
  const names = [...new Set(samples.map(([fn]) => fn))];
  return {
    nodes: names.map((functionName, i) => ({ id: i + 1, callFrame: { functionName } })),
    samples: samples.map(([fn]) => names.indexOf(fn) + 1),
    timeDeltas: samples.map(([, us]) => us),
  };
}

describe("the tick isolate's CPU from a V8 profile", () => {
  it("counts a wait on I/O (no samples while the isolate is left) as one sampling period, not as the next function's time", () => {
    // 10 samples of parse at the 100 µs period, a 20 ms wait for D1, then 10 samples of text.
    const cpu = isolateCpu(profile([...Array(10).fill(["parse", 100]), ["text", 20_000], ...Array(9).fill(["text", 100])]));
    expect(cpu.cpuMs).toBeCloseTo(2, 5);
    expect(cpu.selfMs.parse).toBeCloseTo(1, 5);
    expect(cpu.selfMs.text).toBeCloseTo(1, 5);
    // What summing the deltas (DevTools' self time) says: the wait counted as text.
    expect(cpu.sampledMs).toBeCloseTo(21.9, 5);
  });

  it("leaves idle samples out and keeps deltas near the period as they are", () => {
    const cpu = isolateCpu(
      profile([
        ["(idle)", 5_000],
        ["plan", 100],
        ["plan", 150],
        ["plan", 120],
        ["(idle)", 100],
      ]),
    );
    expect(cpu.cpuMs).toBeCloseTo(0.37, 5);
    expect(Object.keys(cpu.selfMs)).toEqual(["plan"]);
  });

  it("takes the sampling period from the consecutive samples when a short tick has as many waits", () => {
    // Eight runs of two samples, each after a 1 ms wait (20 endpoints: a fetch or D1 answer every run).
    const cpu = isolateCpu(
      profile(Array.from({ length: 8 }, () => [["a", 1_000] as [string, number], ["a", 180] as [string, number]]).flat()),
    );
    // Each wait counts one period (180 µs), not its 1 ms (what the deltas' median, a wait here, gave).
    expect(cpu.cpuMs).toBeCloseTo(16 * 0.18, 5);
  });

  it("uses the period the session gives when a tick has too few samples to show its own", () => {
    // Eleven samples after a 1 ms wait and three consecutive ones: even the lower quartile is a wait.
    const few = profile([...Array(11).fill(["a", 1_000]), ...Array(3).fill(["a", 180])]);
    expect(isolateCpu(few).cpuMs).toBeCloseTo(11 + 3 * 0.18, 5);
    expect(isolateCpu(few, { periodMs: 0.18 }).cpuMs).toBeCloseTo(14 * 0.18, 5);
  });
});
