// Built-in scenarios that stay near or under budget, run through the real guard tick (workerd, D1, the
// HF client against the emulator, which serves the fleet model's traffic as open-metrics): the ladder's
// outcome and the anomaly trigger each scenario is about.
import { describe, expect, it } from "vitest";
import { NS, peakReplicas, runScenario } from "../fixtures/scenarios.ts";

describe("scenario steady", () => {
  it("fires nothing all day: no crossing, no action, no alert, the same bill with and without", async () => {
    const { sim } = await runScenario("steady", { tickMinutes: 30 });
    expect(sim.result).toMatchObject({ crossings: [], actions: [], alerts: [], overshoot_usd: 0, cold_starts: 0 });
    expect(sim.result.spend_with_usd).toBe(sim.result.spend_without_usd);
    expect(sim.result.peak_ratio).toBeGreaterThan(0.3);
    expect(sim.result.peak_ratio).toBeLessThan(0.6);
    expect(sim.tickProblems).toEqual([]);
  });
});

describe("scenario gpu-for-small-model", () => {
  it("costs a fraction of the budget and triggers no ladder action, though the GPU is almost idle", async () => {
    const { sim, trace } = await runScenario("gpu-for-small-model", { tickMinutes: 60 });
    expect(sim.result.actions).toEqual([]);
    expect(sim.result.crossings).toEqual([]);
    expect(sim.result.peak_ratio).toBeLessThan(0.2);
    const capacity = trace.endpoints[0]?.capacity_rps_per_replica ?? 0;
    const utilisation = Math.max(...sim.records.map((r) => r.with.servedRps / (r.with.billableReplicas * capacity)));
    expect(utilisation).toBeLessThan(0.05);
  });

  it("recommends right-sizing to CPU: an `underutilized` alert on the GPU endpoint", async () => {
    const { sim } = await runScenario("gpu-for-small-model", { tickMinutes: 10, hours: 3 });
    expect(sim.result.alerts).toContainEqual(expect.objectContaining({ kind: "underutilized", endpoint: `${NS}/sentiment-bert` }));
  });
});

describe("scenario runaway-scaling", () => {
  it("follows the retry loop to 20 replicas unguarded; the guardrail caps the endpoint at 120 % and the bill drops", async () => {
    const { sim } = await runScenario("runaway-scaling", { tickMinutes: 30 });
    expect(peakReplicas(sim, "without", `${NS}/embed-batch`)).toBe(20);
    expect(sim.result.crossings.map((c) => c.level)).toEqual(["scale_down"]);
    expect(sim.result.actions).toContainEqual(
      expect.objectContaining({
        action: "scale_down",
        endpoint: `${NS}/embed-batch`,
        reason: expect.stringContaining("maxReplica 20 -> 1"),
      }),
    );
    expect(sim.result.spend_with_usd).toBeLessThan(sim.result.spend_without_usd - 50);
  });

  it("raises a `runaway_scaling` alert soon after the replicas pass expected_max_replicas (4)", async () => {
    const { sim } = await runScenario("runaway-scaling", { tickMinutes: 5, hours: 3 });
    const alert = sim.result.alerts.find((a) => a.kind === "runaway_scaling");
    expect(alert?.endpoint).toBe(`${NS}/embed-batch`);
    // The loop starts at 02:00; replicas pass 4 within minutes.
    expect(Date.parse(alert?.at ?? "")).toBeLessThan(sim.start + 150 * 60_000);
  });
});

describe("scenario traffic-spike", () => {
  it("scales with the 5x rate until spend crosses 120 %, then the chat endpoint is capped", async () => {
    const { sim } = await runScenario("traffic-spike", { tickMinutes: 30 });
    expect(peakReplicas(sim, "without", `${NS}/chat`)).toBe(16);
    expect(sim.result.crossings.map((c) => c.level)).toEqual(["scale_down"]);
    expect(sim.result.actions.map((a) => [a.action, a.endpoint])).toContainEqual(["scale_down", `${NS}/chat`]);
    expect(sim.result.spend_with_usd).toBeLessThan(sim.result.spend_without_usd);
  });

  // The baseline is the fallback median of the last 6 hours (no history yet): the morning's normal rate.
  it("raises a `request_spike` alert soon after 10:00, when the rate passes 5x normal", async () => {
    const { sim } = await runScenario("traffic-spike", { tickMinutes: 5, hours: 11 });
    const alert = sim.result.alerts.find((a) => a.kind === "request_spike");
    expect(alert?.endpoint).toBe(`${NS}/chat`);
    expect(Date.parse(alert?.at ?? "")).toBeGreaterThanOrEqual(sim.start + 10 * 3_600_000);
    expect(Date.parse(alert?.at ?? "")).toBeLessThan(sim.start + 10.5 * 3_600_000);
  });
});
