// Named budgets in the guard tick inside workerd: real D1 with the real migrations, the real HF
// client, the HF emulator over HTTP, endpoints told apart by their HF tags.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { actionsOfDay, listEvents } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";

const base = inject("hfBase");
const HOUR = 3_600_000;

// Search: $10 + $2 + $0.067 = $12.067/h. Chat: $2 + $2.5 = $4.50/h. One namespace for both teams.
const FLEET: EndpointSpec[] = [
  { name: "search-big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 4, tags: ["team-search"] },
  {
    name: "search-small",
    instanceType: "nvidia-a10g",
    instanceSize: "x1",
    minReplica: 1,
    maxReplica: 3,
    replicas: 2,
    tags: ["team-search"],
  },
  {
    name: "search-cpu",
    instanceType: "intel-spr",
    instanceSize: "x2",
    minReplica: 1,
    maxReplica: 2,
    replicas: 1,
    tags: ["team-search", "prod"],
  },
  { name: "chat-a", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 3, replicas: 2, tags: ["team-chat"] },
  {
    name: "chat-b",
    instanceType: "nvidia-a100",
    instanceSize: "x1",
    minReplica: 1,
    maxReplica: 2,
    replicas: 1,
    tags: ["team-chat", "prod"],
  },
];

function harness(ns: string, over: Partial<PolicyInput> = {}) {
  const res = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 1000, timezone: "UTC" },
    hf: { namespaces: [ns] },
    budgets: [
      { name: "search", period: "day", amount_usd: 10, scope: { tags: ["team-search"] } },
      { name: "chat", period: "day", amount_usd: 100, scope: { tags: ["team-chat"] } },
    ],
    ...over,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  const provider = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {} });
  const tick = (now: number) =>
    runTick({ db: env.DB, provider, policy: res, now, clock: () => now, holder: crypto.randomUUID(), log: () => {} });
  return { tick, admin: emulatorAdmin(base, ns) };
}

describe("budgets in the guard tick", () => {
  it("two teams in one namespace: one team's overspend caps and pauses only its endpoints; the other's are untouched; alerts name the budget", async () => {
    const ns = "two-teams";
    const { tick, admin } = harness(ns);
    await admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 3, 0, 0);
    await tick(T0);

    // One hour: search has spent $12.07 of $10 (120.7 %), chat $4.50 of $100, the fleet $16.57 of $1,000.
    const capped = await tick(T0 + HOUR);
    expect(capped.plan?.level).toBe(0);
    expect((await admin.mutations()).map((m) => [m.method, m.path])).toEqual([
      ["PUT", `/v2/endpoint/${ns}/search-big`],
      ["PUT", `/v2/endpoint/${ns}/search-small`],
      ["PUT", `/v2/endpoint/${ns}/search-cpu`],
    ]);
    expect(capped.executed.map((x) => x.action.reason)).toEqual(
      Array(3).fill(
        expect.stringMatching(/^budget "search" \(day 2026-02-03\) at scale_down: today's \$12\.07 is 120\.7% of \$10\.00: maxReplica/),
      ),
    );

    // The three hours since are billed at the larger replica count of either end (metering never under-bills): past 200 %.
    await tick(T0 + 4 * HOUR);
    const pauses = (await admin.mutations()).slice(3).map((m) => [m.method, m.path]);
    expect(pauses).toEqual([
      ["POST", `/v2/endpoint/${ns}/search-big/pause`],
      ["POST", `/v2/endpoint/${ns}/search-small/pause`],
    ]);
    expect((await admin.mutations()).some((m) => m.path.includes("/chat-"))).toBe(false);

    const actions = await actionsOfDay(env.DB, "2026-02-03");
    expect(actions.map((a) => [a.kind, a.endpoint])).toEqual([
      ["scale_down", `${ns}/search-big`],
      ["scale_down", `${ns}/search-small`],
      ["scale_down", `${ns}/search-cpu`],
      ["pause", `${ns}/search-big`],
      ["pause", `${ns}/search-small`],
    ]);
    expect(actions.find((a) => a.kind === "pause")?.reason).toMatch(
      /^budget "search" \(day 2026-02-03\) at shutdown: today's \$48\.27 is 482\.7% of \$10\.00: emergency pause/,
    );

    const alerts = await listEvents(env.DB, { kind: "budget_level", limit: 20 });
    const ours = alerts.filter((e) => e.dedupKey?.startsWith("2026-02-03:"));
    expect(ours.map((e) => e.title).sort()).toEqual([
      'Budget "search": spend crossed 120% of its daily budget (scale_down)',
      'Budget "search": spend crossed 150% of its daily budget (reroute)',
      'Budget "search": spend crossed 200% of its daily budget (shutdown)',
    ]);
    expect(ours.every((e) => (e.data as Record<string, unknown>).budget === "search")).toBe(true);
    expect(ours.some((e) => e.title.includes("chat"))).toBe(false);
  });
});

describe("a month budget in the guard tick", () => {
  it("paces today against what the earlier days of the month, read from the ledger, left of the month's amount", async () => {
    const ns = "month-pace";
    const { tick, admin } = harness(ns, {
      budgets: [{ name: "search", period: "month", amount_usd: 300, timezone: "UTC", scope: { tags: ["team-search"] } }],
    });
    await admin.reset(FLEET);
    const FEB1 = Date.UTC(2027, 1, 1, 0, 0);
    await tick(FEB1);
    // 1 February: $12.07 in the first hour against $300 / 28 = $10.71 a day is 112.6 %: no action.
    await tick(FEB1 + HOUR);
    // Midnight: the 23 hours since go to 1 February ($289.61 in all); 2 February has spent nothing yet.
    await tick(FEB1 + 24 * HOUR);
    expect(await admin.mutations()).toEqual([]);

    // 2 February: $10.39 is left for 27 days, $0.38 a day; the first hour's $12.07 is far past it.
    const paced = await tick(FEB1 + 25 * HOUR);
    expect(paced.plan?.level).toBe(0);
    expect((await admin.mutations()).map((m) => [m.method, m.path])).toEqual([
      ["POST", `/v2/endpoint/${ns}/search-big/pause`],
      ["POST", `/v2/endpoint/${ns}/search-small/pause`],
      ["PUT", `/v2/endpoint/${ns}/search-cpu`],
    ]);
    expect(paced.executed[0]?.action.reason).toMatch(
      /^budget "search" \(month 2027-02\) at shutdown: today's \$12\.07 is 3135\.2% of today's allowance \$0\.38 \(\$10\.39 left of \$300\.00 over 27 days\): emergency pause/,
    );
    const titles = paced.plan?.alerts.filter((a) => a.figures.budget === "search").map((a) => a.title);
    expect(titles).toEqual([
      `Budget "search": today's spend crossed 120% of today's allowance (scale_down)`,
      `Budget "search": today's spend crossed 150% of today's allowance (reroute)`,
      `Budget "search": today's spend crossed 200% of today's allowance (shutdown)`,
      // $12.07 in the last hour against $0.38 / 24; the month's $301.68 at $12.07/h passes $360 (120 %) in 4.8 h.
      `Investigate now: budget "search" spent $12.07 in the last 60 minutes`,
      `Forecast: budget "search" reaches 120% in about 4.8 h`,
      `Forecast: budget "search" reaches 150% in about 12.3 h`,
      `Forecast: budget "search" reaches 200% in about 24.7 h`,
    ]);
  });
});

describe("a budget that scopes a gateway service", () => {
  it("counts the service's token-priced spend today and in the hourly-burn window, and nothing of other services", async () => {
    const { addGatewayCounters } = await import("../../src/store/index.ts");
    const { namedBudgets } = await import("../../src/tick/index.ts");
    const res = validatePolicy({
      mode: "enforce",
      budget: { daily_usd: 1000, timezone: "UTC" },
      hf: { namespaces: ["svc-budget"] },
      services: {
        chat: {
          primary: { target: "https://router.huggingface.co" },
          fallback: { target: "https://api.example.com" },
          callers: ["CHAT_KEY"],
        },
        eval: {
          primary: { target: "https://api.example.com" },
          fallback: { target: "https://router.huggingface.co" },
          callers: ["EVAL_KEY"],
        },
      },
      budgets: [{ name: "chat", period: "day", amount_usd: 10, scope: { services: ["chat"] } }],
    } satisfies PolicyInput);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    const now = Date.parse("2026-05-06T12:00:00Z");
    const minute = now - (now % 60_000) - 60_000;
    const row = (service: string, at: number, micro: number) => ({
      minute: at,
      service,
      target: "primary",
      endpoint: "https://router.huggingface.co",
      name: "spend_micro:meta-llama/Llama-3.1-8B-Instruct",
      value: micro,
    });
    await addGatewayCounters(env.DB, [
      row("chat", minute, 13_000_000), // $13 in the last minute
      row("chat", Date.parse("2026-05-06T01:00:00Z"), 2_000_000), // $2 earlier today, outside the hour
      row("chat", Date.parse("2026-05-05T23:00:00Z"), 50_000_000), // yesterday: not today's
      row("eval", minute, 90_000_000), // another service: not chat's
    ]);
    const result = await namedBudgets(env.DB, res.policy, "2026-05-06", now, [], null);
    const chat = result?.budgets.find((b) => b.name === "chat");
    expect(chat?.spendMicro).toBe(15_000_000);
    expect(chat?.level).toBe(2); // $15 of $10: 150 %, the reroute rung
  });
});
