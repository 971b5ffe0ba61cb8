// The fleet model in front of the emulator: HF-like autoscaling from pending requests, cold starts
// billed while initializing, the scale-down delays, scale-to-zero, paused endpoints and reroutes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, type EndpointSpec, startEmulator } from "../../src/fakes/index.ts";
import { FleetModel, type RouteState, type TrafficFigures } from "../../src/sim/fleet-model.ts";

const MIN = 60_000;
const clock = { now: Date.UTC(2026, 3, 14) };
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ now: () => clock.now });
});
afterAll(() => emulator.close());

/** A namespace of its own per test, the model over it, and a way to play minutes of demand. */
function fleet(ns: string, specs: Array<EndpointSpec & { capacityRps?: number }>) {
  emulator.reset(ns, { endpoints: specs });
  const model = new FleetModel(
    emulator,
    specs.map((s) => ({ namespace: ns, name: s.name, capacityRps: s.capacityRps ?? 1 })),
  );
  const play = (minutes: number, demand: Record<string, number>, routes?: Map<string, RouteState>) => {
    const out: Array<Map<string, TrafficFigures>> = [];
    for (let i = 0; i < minutes; i++) {
      out.push(model.step(clock.now, MIN, new Map(Object.entries(demand).map(([name, rps]) => [`${ns}/${name}`, rps])), routes));
      clock.now += MIN;
    }
    return out;
  };
  const of = (figures: Map<string, TrafficFigures>, name: string) => figures.get(`${ns}/${name}`) as TrafficFigures;
  return { model, play, of, id: (name: string) => `${ns}/${name}` };
}

const base = { instanceType: "nvidia-a10g", instanceSize: "x1" } as const;

describe("the fleet model's autoscaler", () => {
  it("adds one replica a minute while more than 1.5 requests per replica are pending, up to max", () => {
    const f = fleet("up", [{ ...base, name: "llm", minReplica: 1, maxReplica: 4, replicas: 1 }]);
    const minutes = f.play(6, { llm: 10 });
    expect(minutes.map((m) => f.of(m, "llm").targetReplicas)).toEqual([2, 3, 4, 4, 4, 4]);
  });

  it("bills replicas while they initialize and serves with them only after the cold start", () => {
    const f = fleet("cold", [{ ...base, name: "llm", minReplica: 1, maxReplica: 2, replicas: 1, startupMs: 3 * MIN }]);
    const before = emulator.cost("cold").totalMicroUsd;
    const minutes = f.play(5, { llm: 1.8 });
    expect(minutes.map((m) => f.of(m, "llm").targetReplicas)).toEqual([2, 2, 2, 2, 2]);
    expect(minutes.map((m) => f.of(m, "llm").readyReplicas)).toEqual([1, 1, 1, 2, 2]);
    expect(minutes.map((m) => f.of(m, "llm").servedRps)).toEqual([1, 1, 1, expect.any(Number), expect.any(Number)]);
    // Two A10G replicas billed at $1/h for the whole five minutes, initializing or not.
    expect(emulator.cost("cold").totalMicroUsd - before).toBe(Math.round((2 * 1e6 * 5) / 60));
  });

  it("scales down every two minutes at most, to the peak need of the last five minutes, five minutes after the previous scale-down", () => {
    const f = fleet("down", [{ ...base, name: "llm", minReplica: 1, maxReplica: 8, replicas: 8, capacityRps: 1 }]);
    // 5.5 rps at 80 % of 1 rps per replica needs 7 replicas; then 1.5 rps needs 2.
    const first = f.play(1, { llm: 5.5 });
    const then = f.play(9, { llm: 1.5 });
    expect([...first, ...then].map((m) => f.of(m, "llm").targetReplicas)).toEqual([7, 7, 7, 7, 7, 7, 2, 2, 2, 2]);
  });

  it("does not scale down within five minutes of adding a replica", () => {
    const f = fleet("updown", [{ ...base, name: "llm", minReplica: 1, maxReplica: 4, replicas: 1, capacityRps: 1 }]);
    const burst = f.play(1, { llm: 3 });
    const calm = f.play(7, { llm: 0.5 });
    // The burst's queue takes two minutes to drain (a replica added each), then the third stays for five minutes.
    expect([...burst, ...calm].map((m) => f.of(m, "llm").targetReplicas)).toEqual([2, 3, 3, 3, 3, 3, 1, 1]);
  });

  it("scales to zero after the idle timeout, and the next request is a cold start", () => {
    const f = fleet("zero", [
      { ...base, name: "llm", minReplica: 0, maxReplica: 2, replicas: 1, scaleToZeroTimeout: 2, startupMs: 2 * MIN },
    ]);
    const idle = f.play(3, { llm: 0 });
    expect(idle.map((m) => f.of(m, "llm").state)).toEqual(["running", "running", "scaledToZero"]);
    expect(f.model.coldStarts()).toBe(0);
    // A trickle: less than one request waits, so the autoscaler adds nothing while it starts.
    const woken = f.play(3, { llm: 0.01 });
    expect(woken.map((m) => f.of(m, "llm").state)).toEqual(["initializing", "initializing", "running"]);
    expect(woken.map((m) => f.of(m, "llm").billableReplicas)).toEqual([1, 1, 1]);
    expect(f.model.coldStarts(f.id("llm"))).toBe(1);
  });

  it("fails requests to a paused endpoint and never wakes it", () => {
    const f = fleet("paused", [{ ...base, name: "llm", minReplica: 1, maxReplica: 2, replicas: 1, state: "paused" }]);
    const minutes = f.play(3, { llm: 2 });
    expect(minutes.map((m) => [f.of(m, "llm").state, f.of(m, "llm").failedRps, f.of(m, "llm").billableReplicas])).toEqual([
      ["paused", 2, 0],
      ["paused", 2, 0],
      ["paused", 2, 0],
    ]);
  });

  it("lets waiting requests give up after five minutes", () => {
    const f = fleet("hold", [{ ...base, name: "llm", minReplica: 1, maxReplica: 1, replicas: 1, capacityRps: 1 }]);
    const minutes = f.play(12, { llm: 2 });
    // One replica serves 1 of the 2 rps: 60 more requests wait each minute, until the queue holds all of the
    // last five minutes' 600 arrivals; from then on the oldest give up.
    expect(minutes.map((m) => f.of(m, "llm").failedRps > 0)).toEqual([...new Array(10).fill(false), true, true]);
    expect(minutes.map((m) => f.of(m, "llm").queued).slice(-3)).toEqual([600, 600, 600]);
  });

  it("sends overflow beyond the ready capacity to the fallback when rerouted", () => {
    const f = fleet("reroute", [
      { ...base, name: "llm", minReplica: 1, maxReplica: 1, replicas: 1, capacityRps: 1 },
      { name: "cpu", instanceType: "intel-spr", instanceSize: "x2", minReplica: 1, maxReplica: 4, replicas: 1, capacityRps: 4 },
    ]);
    const routes = new Map<string, RouteState>([[f.id("llm"), { mode: "overflow", fallback: f.id("cpu") }]]);
    const [m] = f.play(1, { llm: 3, cpu: 1 }, routes);
    const figures = m as Map<string, TrafficFigures>;
    expect(f.of(figures, "llm")).toMatchObject({ demandRps: 1, servedRps: 1, reroutedRps: 2, failedRps: 0 });
    expect(f.of(figures, "cpu")).toMatchObject({ demandRps: 3, servedRps: 3 });
  });

  it("reports each step's traffic in the endpoint's open-metrics: requests, pending, hardware usage", async () => {
    const f = fleet("metrics", [{ ...base, name: "llm", minReplica: 1, maxReplica: 1, replicas: 1, capacityRps: 4 }]);
    f.play(2, { llm: 2 });
    const res = await fetch(`${emulator.url}/v2/endpoint/metrics/llm/open-metrics`, {
      headers: { authorization: `Bearer ${emulator.token}` },
    });
    const text = await res.text();
    const sum = (metric: string) =>
      [...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\} ([\\d.]+)$`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
    // Two minutes at 2 rps, all served by one replica of 4 rps: 240 requests, half of it busy, one in flight.
    expect(sum("http_requests")).toBe(240);
    expect(sum("gpu_usage_percent")).toBe(50);
    expect(sum("pending_requests")).toBe(0.5);
    expect(text).not.toContain("latency_distribution");
  });
});
