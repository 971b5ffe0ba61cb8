// The simulator with several budgets ("two teams, one org"): a trace whose endpoints carry HF tags, a
// policy with a budget per team, and the report per budget through the real guard tick.
import { describe, expect, it } from "vitest";
import { renderTable, simulate } from "../../src/sim/index.ts";
import { simulationResultSchema } from "../../src/sim/result.ts";
import { simPolicy, trace, traceEndpoint } from "../fixtures/traces.ts";

// search: four A100 replicas, $10/h against $10 a day: 120 % at 72 minutes, capped there to one replica.
// chat: one A10G at $1/h against $200 a day: never near. The fleet's $1,000 a day: never near.
const TWO_TEAMS = trace([
  traceEndpoint({ name: "search", min_replicas: 4, max_replicas: 4, demand_rps: new Array<number>(90).fill(3), tags: ["team-search"] }),
  traceEndpoint({
    name: "chat",
    instance_type: "nvidia-a10g",
    price_per_hour: 1,
    min_replicas: 1,
    max_replicas: 1,
    demand_rps: new Array<number>(90).fill(1),
    tags: ["team-chat"],
  }),
]);
const POLICY = simPolicy({
  budget: { daily_usd: 1000, timezone: "UTC" },
  budgets: [
    { name: "search", period: "day", amount_usd: 10, scope: { tags: ["team-search"] } },
    { name: "chat", period: "month", amount_usd: 200, timezone: "UTC", scope: { tags: ["team-chat"] } },
  ],
});

describe("simulating two teams in one org", () => {
  it("reports each budget: its members, spend with and without, peak ratio and when the guardrail acted for it", async () => {
    const sim = await simulate({ policy: POLICY, trace: TWO_TEAMS, tickMinutes: 5 });
    const r = simulationResultSchema.parse(sim.result);
    expect(r.actions.map((a) => [a.action, a.endpoint])).toEqual([["scale_down", "acme/search"]]);
    expect(r.actions[0]?.reason).toMatch(/^budget "search" \(day 2026-04-14\) at scale_down/);
    const byName = new Map(r.budgets.map((b) => [b.name, b]));
    expect(r.budgets.map((b) => [b.name, b.period, b.amount_usd, b.members])).toEqual([
      ["fleet", "day", 1000, ["acme/search", "acme/chat"]],
      ["search", "day", 10, ["acme/search"]],
      ["chat", "month", 200, ["acme/chat"]],
    ]);
    // search: 90 min at $10/h = $15 without; with: $12.50 until the 75-minute tick caps it, then 15 min at $2.50/h.
    expect(byName.get("search")).toMatchObject({ spend_without_usd: 15, spend_with_usd: 13.13, peak_ratio: 1.3125 });
    expect(byName.get("search")?.crossings.map((c) => [c.level, c.at])).toEqual([["scale_down", "2026-04-14T01:15:00.000Z"]]);
    expect(byName.get("chat")).toMatchObject({ spend_without_usd: 1.5, spend_with_usd: 1.5, peak_ratio: 0.0075, crossings: [] });
    expect(byName.get("fleet")?.crossings).toEqual([]);

    const table = renderTable(sim, { title: "trace two-teams", policy: POLICY, policySource: "test" });
    expect(table).toContain("budgets");
    expect(table).toMatch(/ {2}search +day +\$10\.00 +1 endpoint +\$15\.00 +\$13\.13 +1\.31 +scale_down 01:15/);
    expect(table).toMatch(/ {2}chat +month +\$200\.00 +1 endpoint +\$1\.50 +\$1\.50 +0\.01 +-/);
  });
});
