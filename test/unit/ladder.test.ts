import { describe, expect, it } from "vitest";
import { actionKey, plan } from "../../src/core/index.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";

const BUDGET = 100_000_000; // $100 in micro-USD
const at = (ratio: number) => Math.round(BUDGET * ratio);

describe("the budget ladder", () => {
  it.each([
    [1.19, 0],
    [1.2, 1],
    [1.49, 1],
    [1.5, 2],
    [1.99, 2],
    [2.0, 3],
    [3.5, 3],
  ])("spend at %f x budget is level %i", (ratio, level) => {
    expect(plan(planInput({ spendMicro: at(ratio) })).level).toBe(level);
  });

  it("keeps a level reached earlier in the day, its alerts active under the same dedup keys", () => {
    const p = plan(planInput({ spendMicro: at(0.5), previousLevel: 2 }));
    expect(p.level).toBe(2);
    expect(p.alerts.filter((a) => a.kind === "budget_level").map((a) => a.dedupKey)).toEqual([
      "2026-11-24:budget_level:1",
      "2026-11-24:budget_level:2",
    ]);
  });

  it("caps maxReplica and allows scale-to-zero on non-critical endpoints at 120 %", () => {
    const p = plan(planInput({ spendMicro: at(1.2), observations: [endpoint({ minReplica: 1, maxReplica: 4 })] }));
    expect(p.actions).toHaveLength(1);
    expect(p.actions[0]?.kind).toBe("scale_down");
    expect(p.actions[0]?.change).toEqual({
      type: "hf_update",
      body: { compute: { scaling: { minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 } } },
    });
    expect(p.actions[0]?.before).toMatchObject({ minReplica: 1, maxReplica: 4 });
    expect(p.actions[0]?.reason).toContain("maxReplica 4 -> 1");
  });

  it("does not scale down an endpoint that is already capped", () => {
    const p = plan(planInput({ spendMicro: at(1.3), observations: [endpoint({ minReplica: 0, maxReplica: 1, replicas: 1 })] }));
    expect(p.actions).toEqual([]);
  });

  it("reroutes non-critical endpoints a gateway service follows at 150 %", () => {
    const pol = policy({ services: { chat: { primary: { target: "acme/llm" }, fallback: { target: "acme/llm-cpu" }, callers: ["K"] } } });
    const p = plan(planInput({ policy: pol, spendMicro: at(1.5), observations: [endpoint({ minReplica: 0, maxReplica: 1 })] }));
    expect(p.actions.map((a) => a.kind)).toEqual(["reroute"]);
    expect(p.actions[0]?.change).toEqual({ type: "route", mode: "overflow", fallback: "acme/llm-cpu" });
  });

  it("pauses only expensive non-critical endpoints at 200 %", () => {
    const observations = [
      endpoint({ name: "gpu", priceMicroPerHour: 1_000_000 }),
      endpoint({ name: "cpu", accelerator: "cpu", priceMicroPerHour: 67_000 }),
      endpoint({ name: "vip", priceMicroPerHour: 5_000_000 }),
    ];
    const pol = policy({ endpoints: { "acme/vip": { critical: true } } });
    const p = plan(planInput({ policy: pol, spendMicro: at(2), observations }));
    expect(p.actions.filter((a) => a.kind === "pause").map((a) => a.endpoint)).toEqual(["acme/gpu"]);
    expect(p.actions.some((a) => a.endpoint === "acme/vip")).toBe(false);
    expect(p.alerts.map((a) => a.kind)).toContain("critical_endpoint_spared");
  });

  it("treats the price threshold as inclusive", () => {
    const o = endpoint({ priceMicroPerHour: 500_000 });
    const p = plan(planInput({ spendMicro: at(2), observations: [o] }));
    expect(p.actions.map((a) => a.kind)).toContain("pause");
  });

  it("pauses instead of capping when both are due in the same tick", () => {
    const p = plan(planInput({ spendMicro: at(2.5) }));
    expect(p.actions.map((a) => a.kind)).toEqual(["pause"]);
  });

  it("alerts once per level crossed, including levels jumped over", () => {
    const p = plan(planInput({ spendMicro: at(2.1) }));
    expect(p.alerts.filter((a) => a.kind === "budget_level").map((a) => a.figures.level)).toEqual([1, 2, 3]);
  });

  it("says a level's actions wait for a person when the policy asks for approval, instead of claiming they are done", () => {
    const pol = policy({ approvals: { shutdown: { wait_minutes: 15, on_timeout: "hold" } } });
    const p = plan(planInput({ policy: pol, spendMicro: at(2.1), now: 0, approvals: new Map() }));
    const message = (l: number) => p.alerts.find((a) => a.kind === "budget_level" && a.figures.level === l)?.message ?? "";
    expect(message(3)).toContain(
      "Expensive non-critical endpoints are paused once a person approves each (approvals.shutdown; if nobody answers within 15 min: held for the day).",
    );
    expect(message(1)).toMatch(/may scale to zero\.$/);
  });

  it("does not plan an action whose key is already settled today", () => {
    const doneKeys = new Set([actionKey("2026-11-24", "pause", "acme/llm")]);
    expect(plan(planInput({ spendMicro: at(2.5), doneKeys })).actions).toEqual([]);
  });

  it("orders actions most expensive first", () => {
    const observations = [
      endpoint({ name: "small", priceMicroPerHour: 800_000, replicas: 1 }),
      endpoint({ name: "big", priceMicroPerHour: 5_000_000, replicas: 2 }),
    ];
    const p = plan(planInput({ spendMicro: at(2), observations }));
    expect(p.actions.map((a) => a.endpoint)).toEqual(["acme/big", "acme/small"]);
  });

  it("fails safe on an unpriced accelerator and alerts that it is unmetered", () => {
    const p = plan(planInput({ spendMicro: at(2), observations: [endpoint({ priceMicroPerHour: null })] }));
    expect(p.actions.map((a) => a.kind)).toContain("pause");
    expect(p.alerts.map((a) => a.kind)).toContain("unpriced_endpoint");
    expect(p.alerts.find((a) => a.kind === "unpriced_endpoint")?.message).toMatch(/^The provider catalog has no price/);
  });

  it("names the stored catalog as the one without the price while HF's catalog does not answer", () => {
    const e = endpoint({ priceMicroPerHour: null });
    const ns = e.id.slice(0, e.id.indexOf("/"));
    const prices = [{ namespace: ns, source: "stored" as const, fetchedAt: 0, stale: true, error: "503" }];
    const p = plan(planInput({ spendMicro: at(0.5), observations: [e], prices }));
    expect(p.alerts.find((a) => a.kind === "unpriced_endpoint")?.message).toMatch(
      /^The stored price catalog \(HF's catalog did not answer/,
    );
  });
});
