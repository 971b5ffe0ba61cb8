// The trace file format: what it accepts, and how it rejects a bad trace (every error with its path).
import { describe, expect, it } from "vitest";
import { SCENARIOS } from "../../src/sim/scenarios/index.ts";
import { parseTrace, traceProblems, validateTrace } from "../../src/sim/trace.ts";
import { simPolicy, trace, traceEndpoint } from "../fixtures/traces.ts";

const issuesOf = (value: unknown) => {
  const res = validateTrace(value);
  if (res.ok) throw new Error("expected the trace to be rejected");
  return res.issues;
};

describe("trace files", () => {
  it("accepts a trace in the documented format", () => {
    const res = validateTrace(
      trace([traceEndpoint(), traceEndpoint({ name: "cpu", instance_type: "intel-spr", instance_size: "x2", price_per_hour: 0.067 })]),
    );
    expect(res.ok).toBe(true);
  });

  it("accepts an offset other than Z and null for a scale-to-zero timeout that never fires", () => {
    expect(validateTrace(trace([traceEndpoint({ scale_to_zero_timeout_minutes: null })], { start: "2026-04-14T00:00:00-04:00" })).ok).toBe(
      true,
    );
  });

  it("rejects a negative demand with the path of the step", () => {
    const demand = [1, 2, 3, -1, 5];
    expect(issuesOf(trace([traceEndpoint({ demand_rps: demand })]))).toContainEqual({
      path: "endpoints[0].demand_rps[3]",
      message: expect.stringContaining(">=0"),
    });
  });

  it("rejects endpoints whose demand has a different number of steps", () => {
    const issues = issuesOf(trace([traceEndpoint(), traceEndpoint({ name: "other", demand_rps: [1, 2] })]));
    expect(issues).toEqual([
      { path: "endpoints[1].demand_rps", message: "has 2 steps; endpoints[0] has 60: every endpoint needs one number per step" },
    ]);
  });

  it("rejects a start time without an offset", () => {
    expect(issuesOf(trace([traceEndpoint()], { start: "2026-04-14T00:00:00" })).map((i) => i.path)).toEqual(["start"]);
  });

  it("rejects unknown keys, naming them", () => {
    const issues = issuesOf({ ...trace(), endpoints: [{ ...traceEndpoint(), gpu_count: 8 }] });
    expect(issues).toEqual([{ path: "endpoints[0]", message: expect.stringContaining("gpu_count") }]);
  });

  it("rejects min_replicas above max_replicas", () => {
    expect(issuesOf(trace([traceEndpoint({ min_replicas: 5, max_replicas: 2 })]))).toEqual([
      { path: "endpoints[0].min_replicas", message: "min_replicas must be <= max_replicas" },
    ]);
  });

  it("rejects two prices for the same hardware and the same endpoint twice", () => {
    const issues = issuesOf(trace([traceEndpoint(), traceEndpoint({ name: "llm", price_per_hour: 3 })]));
    expect(issues.map((i) => i.path)).toEqual(["endpoints[1].name", "endpoints[1].price_per_hour"]);
  });

  it("rejects missing fields and a step that is not a whole number of seconds", () => {
    const { cold_start_minutes: _omit, ...partial } = traceEndpoint();
    const issues = issuesOf({ ...trace(), step_seconds: 1.5, endpoints: [partial] });
    expect(issues.map((i) => i.path).sort()).toEqual(["endpoints[0].cold_start_minutes", "step_seconds"]);
  });

  it("reports text that is not JSON at the root", () => {
    const res = parseTrace("{ not json");
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues[0]?.path).toBe("(root)");
  });

  it("names a namespace the policy does not guard", () => {
    expect(traceProblems(trace([traceEndpoint({ namespace: "other-org" })]), simPolicy())).toEqual([
      `the trace's namespace "other-org" is not in the policy's hf.namespaces (acme): the guardrail would not see it`,
    ]);
  });
});

describe("built-in scenarios", () => {
  it.each(SCENARIOS.map((s) => [s.name, s]))("%s is a valid trace of one budget day at one-minute steps", (_name, scenario) => {
    const fleet = scenario.build({ namespace: "acme-org", budgetUsd: 200, timezone: "America/New_York" });
    const res = validateTrace(fleet.trace);
    expect(res.ok).toBe(true);
    expect(fleet.trace.start).toBe("2026-04-14T00:00:00-04:00");
    for (const e of fleet.trace.endpoints) expect(e.demand_rps).toHaveLength(1440);
    for (const key of Object.keys(fleet.settings)) expect(key.startsWith("acme-org/")).toBe(true);
  });

  it("sizes traffic and replicas to the policy's budget", () => {
    const blowout = SCENARIOS.find((s) => s.name === "budget-blowout");
    const small = blowout?.build({ namespace: "a", budgetUsd: 200, timezone: "UTC" });
    const big = blowout?.build({ namespace: "a", budgetUsd: 1000, timezone: "UTC" });
    const box = (f: typeof small) => f?.trace.endpoints.find((e) => e.name === "eval-h200");
    expect([box(small)?.min_replicas, box(big)?.min_replicas]).toEqual([1, 5]);
    expect(box(big)?.demand_rps[0]).toBeCloseTo(5 * (box(small)?.demand_rps[0] ?? 0));
  });
});
