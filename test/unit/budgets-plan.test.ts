// The planner with named budgets: each endpoint acts at the higher of the fleet's level and its
// budgets', the reasons and alerts name the budget, and a budget still over holds yesterday's changes.
import { describe, expect, it } from "vitest";
import {
  type BudgetsResult,
  budgetAlerts,
  type DoneAction,
  evaluateBudgets,
  hourlyBurn,
  type PlanInput,
  plan,
} from "../../src/core/index.ts";
import type { EndpointConfig, Observation } from "../../src/core/types.ts";
import { budgetsOf, type Policy } from "../../src/policy/index.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";
import { history, metrics } from "../fixtures/engine.ts";

const NOW = Date.UTC(2026, 10, 24, 12);
const usd = (n: number) => Math.round(n * 1e6);

const teams = (over: Partial<Parameters<typeof policy>[0]> = {}) =>
  policy({
    budget: { daily_usd: 1000, timezone: "UTC" },
    budgets: [
      { name: "search", period: "day", amount_usd: 100, scope: { tags: ["team-search"] } },
      { name: "chat", period: "month", amount_usd: 3000, timezone: "UTC", scope: { tags: ["team-chat"] } },
    ],
    ...over,
  });

const fleet: Observation[] = [
  endpoint({ name: "search-a", tags: ["team-search"], replicas: 2 }),
  endpoint({ name: "chat-a", tags: ["team-chat"], replicas: 2 }),
];

function named(p: Policy, today: Record<string, number>, over: { window?: Record<string, number>; earlier?: number } = {}): BudgetsResult {
  return evaluateBudgets({
    budgets: budgetsOf(p).slice(1),
    now: NOW,
    endpoints: fleet.map((o) => ({ id: o.id, tags: o.tags, burnMicroPerHour: hourlyBurn(o) })),
    todayByEndpoint: new Map(Object.entries(today).map(([id, v]) => [id, usd(v)])),
    ...(over.earlier !== undefined ? { earlierDays: new Map([["chat", new Map([["2026-11-01", usd(over.earlier)]])]]) } : {}),
    ...(over.window
      ? { window: { byEndpoint: new Map(Object.entries(over.window).map(([id, v]) => [id, usd(v)])), minutes: 60, budgetDivisor: 24 } }
      : {}),
  });
}

/** One decision for the two teams' fleet with today's spend per endpoint (USD), the fleet's spend their sum. */
function planTeams(p: Policy, today: Record<string, number>, over: Partial<PlanInput> = {}) {
  const spend = Object.values(today).reduce((s, v) => s + v, 0);
  return plan(planInput({ policy: p, observations: fleet, spendMicro: usd(spend), now: NOW, budgets: named(p, today), ...over }));
}

describe("the planner with named budgets", () => {
  it("caps only the endpoints of the budget over its threshold, with a reason that names it", () => {
    const p = teams();
    const out = planTeams(p, { "acme/search-a": 125, "acme/chat-a": 5 });
    expect(out.level).toBe(0);
    expect(out.actions.map((a) => [a.kind, a.endpoint])).toEqual([["scale_down", "acme/search-a"]]);
    expect(out.actions[0]?.reason).toBe(
      `budget "search" (day 2026-11-24) at scale_down: today's $125.00 is 125.0% of $100.00: maxReplica 4 -> 1, minReplica 1 -> 0, scale to zero after 15 idle minutes ($1.00/h per replica)`,
    );
    const levels = out.alerts.filter((a) => a.kind === "budget_level");
    expect(levels.map((a) => [a.title, a.figures.budget, a.dedupKey])).toEqual([
      ['Budget "search": spend crossed 120% of its daily budget (scale_down)', "search", "2026-11-24:budget_level:1:search"],
    ]);
  });

  it("spares a critical endpoint of a budget over its threshold with that budget's ratio and name, not the fleet's", () => {
    const p = teams({ endpoints: { "acme/search-a": { critical: true } } });
    const out = planTeams(p, { "acme/search-a": 160, "acme/chat-a": 5 });
    expect(out.actions).toEqual([]);
    const spared = out.alerts.filter((a) => a.kind === "critical_endpoint_spared");
    expect(spared.map((a) => [a.dedupKey, a.figures.ratio, a.figures.budget])).toEqual([
      ["2026-11-24:critical_endpoint_spared:acme/search-a:2", 1.6, "search"],
    ]);
    expect(spared[0]?.message).toMatch(
      /^acme\/search-a is marked critical, so the guardrail did not touch it at 160% of budget "search"\./,
    );
  });

  it("keeps the fleet's own ladder for endpoints whose budgets are lower", () => {
    const p = teams({ budget: { daily_usd: 100, timezone: "UTC" } });
    const out = plan(
      planInput({
        policy: p,
        observations: fleet,
        spendMicro: usd(210),
        now: NOW,
        budgets: named(p, { "acme/search-a": 125, "acme/chat-a": 85 }),
      }),
    );
    expect(out.level).toBe(3);
    expect(out.actions.map((a) => [a.kind, a.endpoint, a.reason.slice(0, 10)]).sort()).toEqual([
      ["pause", "acme/chat-a", "spend is 2"],
      ["pause", "acme/search-a", "spend is 2"],
    ]);
  });

  it("does not put back yesterday's cap while the endpoint's budget is still over", () => {
    const p = teams({
      budgets: [
        { name: "search", period: "day", amount_usd: 100, scope: { tags: ["team-search"] } },
        { name: "chat", period: "month", amount_usd: 3000, timezone: "UTC", pacing: "even", scope: { tags: ["team-chat"] } },
      ],
    });
    const original: EndpointConfig = {
      state: "running",
      minReplica: 1,
      maxReplica: 4,
      scaleToZeroTimeout: null,
      route: "primary",
      fallback: null,
    };
    const capped: EndpointConfig = { ...original, minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 };
    const cap = (id: string): DoneAction => ({
      key: `2026-11-23:scale_down:${id}`,
      day: "2026-11-23",
      kind: "scale_down",
      endpoint: id,
      change: { type: "hf_update", body: { compute: { scaling: { minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 } } } },
      before: original,
      after: capped,
    });
    const cappedFleet = fleet.map((o) => ({
      ...o,
      minReplica: 0,
      maxReplica: 1,
      scaleToZeroTimeout: 15,
      readyReplica: 1,
      targetReplica: 1,
    }));
    // chat (a month budget) reached scale_down this month: $3,700 of $3,000; search is calm today.
    const budgets = named(p, { "acme/search-a": 10, "acme/chat-a": 10 }, { earlier: 3690 });
    expect(budgets.endpoints.get("acme/chat-a")?.level).toBe(1);
    const out = plan(
      planInput({
        policy: p,
        observations: cappedFleet,
        spendMicro: usd(20),
        now: NOW,
        budgets,
        restoreCandidates: [cap("acme/search-a"), cap("acme/chat-a")],
      }),
    );
    expect(out.actions.map((a) => [a.kind, a.endpoint])).toEqual([["restore", "acme/search-a"]]);
  });

  it("holds back a scale-up of an endpoint whose budget is over, naming the budget; other endpoints still scale up", () => {
    const p = teams();
    const queued = history({ metrics: metrics({ pendingRequests: 50 }) });
    // search-a was capped earlier today: no ladder action now, so only the budget holds its scale-up back.
    const out = planTeams(
      p,
      { "acme/search-a": 125, "acme/chat-a": 5 },
      {
        doneKeys: new Set(["2026-11-24:scale_down:acme/search-a"]),
        history: {
          endpoints: new Map([
            ["acme/search-a", queued],
            ["acme/chat-a", queued],
          ]),
        },
      },
    );
    expect(out.actions.map((a) => [a.kind, a.endpoint])).toEqual([["scale_up", "acme/chat-a"]]);
    const scaleUps = out.alerts.filter((a) => a.kind.startsWith("scale_up")).map((a) => [a.kind, a.endpoint, a.figures.budget ?? null]);
    expect(scaleUps.sort()).toEqual([
      ["scale_up", "acme/chat-a", null],
      ["scale_up_held", "acme/search-a", "search"],
    ]);
  });

  it("leaves a raise of the fleet budget out of the named budgets' alerts", () => {
    const p = teams();
    const out = planTeams(
      p,
      { "acme/search-a": 125, "acme/chat-a": 5 },
      {
        overrides: [
          {
            id: "o1",
            op: "raise_budget",
            createdAt: NOW - 1000,
            expiresAt: NOW + 3_600_000,
            actor: "alice",
            reason: "launch",
            budgetUsd: 2000,
            day: "2026-11-24",
          } as never,
        ],
      },
    );
    const search = out.alerts.find((a) => a.figures.budget === "search");
    expect(search?.dedupKey).toBe("2026-11-24:budget_level:1:search");
    expect(search?.message).not.toContain("Budget raised");
  });
});

describe("named budgets' alerts", () => {
  it("says a named budget's level waits for a person when the policy asks for approval", () => {
    const p = teams({ approvals: { scale_down: null, reroute: { wait_minutes: 5, on_timeout: "run" }, shutdown: null } });
    const levels = budgetAlerts(named(p, { "acme/search-a": 160 }), "2026-11-24", p).filter((a) => a.kind === "budget_level");
    expect(levels.map((a) => a.message.slice(a.message.indexOf("Its ")))).toEqual([
      'Its non-critical endpoints are capped and may scale to zero (1 endpoint(s) in "search").',
      'Its non-critical overflow is rerouted to fallbacks (1 endpoint(s) in "search") once a person approves each (approvals.reroute; if nobody answers within 5 min: carried out).',
    ]);
  });

  it("says a month budget's level came from its pacing, and gives its hourly burn and forecast", () => {
    const p = teams();
    // chat: $3,000 in November (30 days); $300 spent on the 1st; by noon on the 24th, $400 today.
    const r = named(p, { "acme/chat-a": 400 }, { earlier: 300, window: { "acme/chat-a": 30 } });
    const alerts = budgetAlerts(r, "2026-11-24", p);
    const chat = alerts.filter((a) => a.figures.budget === "chat").map((a) => [a.kind, a.title]);
    // Today's allowance: $2,700 over 7 days = $385.71; $400 is 103.7 %: no level. $30 in an hour > $385.71 / 24.
    // Forecast: $700 + $2/h x 156 h = $1,012 of $3,000: no crossing.
    expect(chat).toEqual([["hourly_burn", 'Investigate now: budget "chat" spent $30.00 in the last 60 minutes']]);
    const hot = named(p, { "acme/chat-a": 500 }, { earlier: 300 });
    expect(budgetAlerts(hot, "2026-11-24", p).map((a) => a.title)).toEqual([
      `Budget "chat": today's spend crossed 120% of today's allowance (scale_down)`,
    ]);
    const forecast = evaluateBudgets({
      budgets: budgetsOf(p).slice(1),
      now: NOW,
      endpoints: [{ id: "acme/chat-a", tags: ["team-chat"], burnMicroPerHour: usd(20) }],
      todayByEndpoint: new Map(),
      earlierDays: new Map([["chat", new Map([["2026-11-01", usd(2500)]])]]),
    });
    // Its figures say the period, so a notice labels them month-to-date and to the month's end.
    expect(budgetAlerts(forecast, "2026-11-24", p).find((a) => a.kind === "forecast")?.figures.period).toBe("2026-11");
    // $2,500 + $20/h x 156 h = $5,620: 187 % of $3,000 by the month's end.
    expect(budgetAlerts(forecast, "2026-11-24", p).map((a) => [a.kind, a.title])).toEqual(
      expect.arrayContaining([
        ["forecast", 'Forecast: budget "chat" reaches 100% in about 25.0 h'],
        ["forecast", 'Forecast: budget "chat" reaches 150% in about 100.0 h'],
      ]),
    );
  });
});
