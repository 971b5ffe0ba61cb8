// The status page inside workerd: rendered from the same reading as /v1/status, with the day's
// spend line, the ladder's lines, the forecast and the action markers; protected by READ_TOKEN
// (bearer or the login form's cookie) unless the policy makes it public.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { signOverride } from "../../src/security/index.ts";
import { spendSeries } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { slackRequest } from "../fixtures/http.ts";

const hfBase = inject("hfBase");
const HOUR = 3_600_000;
const TOKEN = "read-token-for-tests-0123456789";
const NS = "page";
const DAY = "2026-02-03";
const T0 = Date.UTC(2026, 1, 3, 6, 0);
const NOW = T0 + 4 * HOUR + 20 * 60_000;

// $10 + $5 + $1 = $16/h against a $40 budget.
const FLEET: EndpointSpec[] = [
  { name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 4 },
  { name: "vip", instanceType: "nvidia-h200", instanceSize: "x1", minReplica: 1, maxReplica: 1, replicas: 1 },
  { name: "small", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 2, replicas: 1 },
];

const policyInput = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  mode: "enforce",
  budget: { daily_usd: 40, timezone: "UTC" },
  hf: { namespaces: [NS] },
  endpoints: { [`${NS}/vip`]: { critical: true } },
  ...over,
});

function worker(vars: Partial<Cloudflare.Env> = {}, policy: PolicyInput = policyInput()) {
  const app = createApp({ clock: () => NOW });
  const e = { ...env, HF_API_BASE: hfBase, GUARDRAIL_POLICY: JSON.stringify(policy), READ_TOKEN: TOKEN, ...vars };
  return (path: string, init: RequestInit = {}) => app.fetch(new Request(`http://guardrail.test${path}`, init), e);
}

const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };

/** The login form's POST, as a browser on `origin` sends it. */
const loginPost = (token: string, origin = "http://guardrail.test"): RequestInit => ({
  method: "POST",
  headers: { origin, "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({ token }),
});

/** Visible text of the first element carrying `attr` (enough HTML parsing for our own markup). */
function textOf(html: string, attr: string): string | null {
  const m = new RegExp(`<(\\w+)[^>]*${attr}[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return m?.[2] ? m[2].replace(/<[^>]+>/g, "").trim() : null;
}

async function driveTheDay() {
  await emulatorAdmin(hfBase, NS).reset(FLEET);
  const res = validatePolicy(policyInput());
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  const provider = new HfClient({ baseUrl: hfBase, token: "hf_test_token", sleep: async () => {} });
  // 06:00 0 %, 07:00 40 %, 08:00 80 %, 09:00 120 % (scale down), 10:00 160 % (reroute level; no fallback to use).
  for (let h = 0; h <= 4; h++) {
    const now = T0 + h * HOUR;
    await runTick({ db: env.DB, provider, policy: res, now, clock: () => now, holder: crypto.randomUUID(), log: () => {} });
  }
}

describe("the status page", () => {
  it("shows the figures of /v1/status, the endpoints and the latest events", async () => {
    await driveTheDay();
    const get = worker();
    const status = (await (await get("/v1/status", bearer)).json()) as {
      budget: { spend_usd: number; ratio: number; level_name: string; daily_usd: number; burn_usd_per_hour: number };
      endpoints: Array<{ id: string; replicas: { ready: number; target: number; max: number }; spend_today_usd: number }>;
    };
    const res = await get("/", bearer);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(status.budget.level_name).toBe("reroute");
    expect(textOf(html, 'data-figure="level"')).toBe("reroute");
    expect(textOf(html, 'data-figure="ratio"')).toBe(`${(status.budget.ratio * 100).toFixed(1)} %`);
    expect(textOf(html, 'data-figure="spend"')).toBe(`$${status.budget.spend_usd.toFixed(2)}`);
    expect(textOf(html, 'data-figure="budget"')).toBe("$40.00");
    expect(textOf(html, 'data-figure="burn"')).toBe(`$${status.budget.burn_usd_per_hour.toFixed(2)}`);
    expect(textOf(html, 'data-figure="last-tick"')).toBe("10:00:00 20 min ago");
    for (const e of status.endpoints) {
      const row = textOf(html, `data-endpoint="${e.id}"`) ?? "";
      expect(row).toContain(`${e.replicas.ready} / ${e.replicas.target} / ${e.replicas.max}`);
      expect(row).toContain(`$${e.spend_today_usd.toFixed(2)}`);
    }
    expect(textOf(html, `data-endpoint="${NS}/big"`)).toContain("scale down (applied)");
    expect(html).toMatch(/data-type="action"[^>]*>[\s\S]*?Capped page\/big/);
  });

  it("draws the budget and ladder lines, the spend line, the forecast and a marker where actions happened", async () => {
    const html = await (await worker()("/", bearer)).text();
    for (const [name, ratio] of [
      ["budget", 1],
      ["scale_down", 1.2],
      ["reroute", 1.5],
      ["shutdown", 2],
    ] as const) {
      expect(html).toContain(`data-threshold="${name}" data-ratio="${ratio}"`);
    }
    const points = /<polyline class="spend" points="([^"]+)"/.exec(html)?.[1]?.split(" ") ?? [];
    expect(points).toHaveLength(5);
    // Spend only rises, so every point is at or above (smaller y than) the one before.
    const ys = points.map((p) => Number(p.split(",")[1]));
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    // One marker, at the 09:00 tick that crossed 120 %, holding the two scale-downs.
    const markers = [...html.matchAll(/data-marker="(\d+)" data-kinds="([^"]+)"/g)].map((m) => [Number(m[1]), m[2]]);
    expect(markers).toEqual([[T0 + 3 * HOUR, "scale_down"]]);
    // Forecast: $64 spent at 10:00, then $8.50/h (vip $5, big capped to 1 x $2.50, small $1) for 14 h.
    expect(html).toContain('data-forecast-usd="183.00"');
    expect(textOf(html, 'data-figure="forecast"')).toBe("$183.00");
    // /v1/status projects from the same tick, 20 minutes before now: the two agree to the cent.
    const status = (await (await worker()("/v1/status", bearer)).json()) as { guard: { forecast: { end_of_day_usd: number } } };
    expect(status.guard.forecast.end_of_day_usd).toBe(183);
  });

  it("returns only the <main> fragment for the refresh script", async () => {
    const res = await worker()("/?part=main", bearer);
    const html = await res.text();
    expect(html.startsWith("<main")).toBe(true);
    expect(html).not.toContain("<script");
    expect(html).toContain('data-figure="spend"');
  });

  it("answers a bad query with the JSON error shape", async () => {
    const res = await worker()("/?refresh=0", bearer);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("keeps the spend series to the budget day, oldest first", async () => {
    const series = await spendSeries(env.DB, DAY, Date.UTC(2026, 1, 3));
    expect(series.map((p) => p.at)).toEqual([0, 1, 2, 3, 4].map((h) => T0 + h * HOUR));
    expect(series.map((p) => p.level)).toEqual([0, 0, 0, 1, 2]);
    expect(series[0]?.spendMicro).toBe(0);
    expect(await spendSeries(env.DB, "2026-02-04", Date.UTC(2026, 1, 4))).toEqual([]);
  });
});

describe("reading the status page", () => {
  it("sends a browser without the token to the login form, and the refresh script a 401", async () => {
    const get = worker();
    const page = await get("/");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/login");
    const fragment = await get("/?part=main");
    expect(fragment.status).toBe(401);
    expect(await fragment.json()).toMatchObject({ error: { code: "unauthorized" } });
    expect((await get("/", { headers: { authorization: "Bearer not-the-token" } })).status).toBe(302);
  });

  it("signs in with the read token: an HttpOnly, Secure, SameSite=Strict cookie that opens the page", async () => {
    const get = worker();
    const res = await get("/login", loginPost(TOKEN));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^guardrail_read=/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("SameSite=Strict");
    const page = await get("/", { headers: { cookie: cookie.split(";")[0] ?? "" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-figure="ratio"');
  });

  it("brings the reader back to the page they came from, path and query, once signed in", async () => {
    const get = worker();
    const page = await get("/?refresh=10");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/login?next=%2F%3Frefresh%3D10");
    const form = await (await get("/login?next=%2F%3Frefresh%3D10")).text();
    expect(form).toContain('<input type="hidden" name="next" value="/?refresh=10"/>');
    const res = await get("/login", { ...loginPost(TOKEN), body: new URLSearchParams({ token: TOKEN, next: "/?refresh=10" }) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/?refresh=10");
    // A wrong token keeps where to go back to in the form it shows again.
    const wrong = await get("/login", { ...loginPost(TOKEN), body: new URLSearchParams({ token: "nope", next: "/?refresh=10" }) });
    expect(await wrong.text()).toContain('name="next" value="/?refresh=10"');
  });

  it.each([
    "https://evil.example/",
    "//evil.example/x",
    "/\\evil.example",
    "/\t/evil.example",
    "/.//evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
  ])("never sends a reader signing in off this origin (next=%j goes to /)", async (next) => {
    const get = worker();
    const res = await get("/login", { ...loginPost(TOKEN), body: new URLSearchParams({ token: TOKEN, next }) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    expect(await (await get(`/login?next=${encodeURIComponent(next)}`)).text()).not.toContain('name="next"');
  });

  it("refuses a wrong token with 401, sets no cookie and says why", async () => {
    const res = await worker()("/login", loginPost(`${TOKEN}x`));
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("That is not the read token.");
  });

  it("refuses a login posted from another site", async () => {
    const res = await worker()("/login", loginPost(TOKEN, "https://evil.example"));
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses an oversized login body before reading it", async () => {
    const res = await worker()("/login", loginPost("x".repeat(10_000)));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "too_large" } });
  });

  it("fails closed when READ_TOKEN is not set, and the login form says how to set it", async () => {
    const get = worker({ READ_TOKEN: undefined });
    expect((await get("/")).status).toBe(302);
    expect(await (await get("/login")).text()).toContain("READ_TOKEN is not set");
    const login = await get("/login", loginPost("anything"));
    expect(login.status).toBe(401);
  });

  it("serves the page to anyone when the policy makes status public", async () => {
    const get = worker({ READ_TOKEN: undefined }, policyInput({ status: { public: true } }));
    const res = await get("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('data-figure="level"');
    expect(html).not.toContain("sign out");
    expect((await get("/login")).headers.get("location")).toBe("/");
  });

  it("clears the cookie on sign-out", async () => {
    const res = await worker()("/logout", { method: "POST", headers: { origin: "http://guardrail.test" } });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/^guardrail_read=;.*Max-Age=0/);
  });
});

describe("the status page under an override", () => {
  it("flags a suspension a person set, with what it covers and until when", async () => {
    await driveTheDay();
    const get = worker();
    const body = JSON.stringify({ op: "suspend", endpoint: "*", duration: "2h", reason: "incident drill", actor: "alice" });
    const signature = await signOverride(env.OVERRIDE_SIGNING_SECRET ?? "", body, NOW / 1000);
    const created = await get("/v1/overrides", {
      method: "POST",
      headers: { "content-type": "application/json", "x-guardrail-signature": signature },
      body,
    });
    expect(created.status).toBe(201);
    const html = await (await get("/", bearer)).text();
    expect(textOf(html, 'data-flag="suspended"')).toBe("suspended: all endpoints until 12:20");
  });
});

describe("named budgets everywhere a budget shows", () => {
  const BNS = "page-teams";
  // search: big + small ($10 + $1 = $11/h) against $10 a day; chat: vip ($5/h) against $300 a month.
  const TEAMS: EndpointSpec[] = [
    { ...(FLEET[0] as EndpointSpec), tags: ["team-search"] },
    { ...(FLEET[1] as EndpointSpec), tags: ["team-chat"] },
    { ...(FLEET[2] as EndpointSpec), tags: ["team-search"] },
  ];
  const teams = (): PolicyInput => ({
    ...policyInput({ hf: { namespaces: [BNS] }, endpoints: { [`${BNS}/vip`]: { critical: true } } }),
    budgets: [
      { name: "search", period: "day", amount_usd: 10, scope: { tags: ["team-search"] } },
      { name: "chat", period: "month", amount_usd: 300, timezone: "UTC", scope: { tags: ["team-chat"] } },
    ],
  });
  const SECRET = "slack-signing-secret-for-the-page-test";

  async function driveTeams() {
    await emulatorAdmin(hfBase, BNS).reset(TEAMS);
    const res = validatePolicy(teams());
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    const provider = new HfClient({ baseUrl: hfBase, token: "hf_test_token", sleep: async () => {} });
    // 2 February (an earlier day of chat's month), then 3 February 06:00 to 10:00.
    for (const now of [T0 - 24 * HOUR, T0 - 23 * HOUR, ...[0, 1, 2, 3, 4].map((h) => T0 + h * HOUR)]) {
      await runTick({ db: env.DB, provider, policy: res, now, clock: () => now, holder: crypto.randomUUID(), log: () => {} });
    }
  }

  type Budget = {
    name: string;
    period: string;
    amount_usd: number;
    spend_usd: number;
    spend_today_usd: number;
    ratio: number;
    level: number;
    level_name: string;
    forecast: { end_usd: number; ratio: number; hours_left: number } | null;
    allowance: { usd: number } | null;
    pace_ratio: number | null;
    members: string[];
  };
  type Json = {
    budget: { spend_usd: number; daily_usd: number; ratio: number; level: number };
    budgets: Budget[];
    guard: { forecast: { end_of_day_usd: number } | null };
  };
  const dollars = (n: number) => `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

  it("lists every budget in /v1/status, the fleet first, and the page's cards carry the same figures to the cent", async () => {
    await driveTeams();
    const get = worker({}, teams());
    const status = (await (await get("/v1/status", bearer)).json()) as Json;
    expect(status.budgets.map((b) => [b.name, b.period])).toEqual([
      ["fleet", "day"],
      ["search", "day"],
      ["chat", "month"],
    ]);
    const [fleet, search, chat] = status.budgets as [Budget, Budget, Budget];
    // The fleet entry is the budget block's own figures.
    expect([fleet.spend_usd, fleet.amount_usd, fleet.ratio, fleet.level]).toEqual([
      status.budget.spend_usd,
      status.budget.daily_usd,
      status.budget.ratio,
      status.budget.level,
    ]);
    expect(fleet.forecast?.end_usd).toBe(status.guard.forecast?.end_of_day_usd);
    expect(search.members).toEqual([`${BNS}/big`, `${BNS}/small`]);
    expect(chat.members).toEqual([`${BNS}/vip`]);
    // vip ran $5/h on 2 February too: month-to-date is more than today's; today's allowance is what is left over the days left.
    expect(chat.spend_today_usd).toBeGreaterThan(0);
    expect(chat.spend_usd).toBeGreaterThan(chat.spend_today_usd + 4);
    expect(chat.allowance?.usd).toBeGreaterThan(0);
    expect(chat.pace_ratio).toBeCloseTo(chat.spend_today_usd / (chat.allowance?.usd ?? 1), 3);
    // Every budget's forecast runs from the last tick (10:00), when its spend was metered, not from the read (10:20).
    for (const b of [search, chat]) expect(b.forecast?.hours_left).toBe(b === search ? 14 : 14 + 25 * 24);
    expect(fleet.forecast?.hours_left).toBe(14);
    expect(search.ratio).toBeGreaterThan(1);
    expect(search.level).toBeGreaterThan(0);

    const html = await (await get("/", bearer)).text();
    expect(textOf(html, 'data-figure="forecast"')).toBe(dollars(status.guard.forecast?.end_of_day_usd ?? Number.NaN));
    for (const b of status.budgets) {
      const card = new RegExp(`<div class="budget" data-budget="${b.name}">([\\s\\S]*?)</dl>`).exec(html)?.[1] ?? "";
      expect(card, b.name).not.toBe("");
      expect(textOf(card, 'data-figure="budget-spend"')).toBe(dollars(b.spend_usd));
      expect(textOf(card, 'data-figure="budget-amount"')).toBe(dollars(b.amount_usd));
      expect(textOf(card, 'data-figure="budget-ratio"')).toBe(`${(b.ratio * 100).toFixed(1)} %`);
      expect(textOf(card, 'data-figure="budget-level"')).toBe(b.level_name.replaceAll("_", " "));
      expect(textOf(card, 'data-figure="budget-forecast"')).toBe(
        b.forecast ? `${dollars(b.forecast.end_usd)} (${(b.forecast.ratio * 100).toFixed(1)} %)` : "–",
      );
    }
    expect(textOf(html, 'data-figure="budget-pace"')).toContain(`of ${dollars(chat.allowance?.usd ?? 0)}`);
  });

  it("says, for a day gone by, that named budgets are read with today's members (no record of that day's)", async () => {
    await driveTeams();
    const get = worker({}, teams());
    const today = (await (await get("/v1/status", bearer)).json()) as { budgets: Array<{ name: string; note: string | null }> };
    expect(today.budgets.map((b) => b.note)).toEqual([null, null, null]);
    const past = (await (await get("/v1/status?day=2026-02-02", bearer)).json()) as {
      budget: { day: string };
      budgets: Array<{ name: string; note: string | null; members: string[] }>;
    };
    expect(past.budget.day).toBe("2026-02-02");
    const [fleet, ...named] = past.budgets;
    expect(fleet?.note).toBeNull();
    expect(named.map((b) => b.name)).toEqual(["search", "chat"]);
    for (const b of named) expect(b.note).toContain("members are today's, not that day's");
  });

  it("labels /metrics by budget and gives Slack /guardrail status a line per budget", async () => {
    await driveTeams();
    const get = worker({ SLACK_SIGNING_SECRET: SECRET }, teams());
    const status = (await (await get("/v1/status", bearer)).json()) as Json;
    const text = await (await get("/metrics", bearer)).text();
    const sample = (name: string) => Number(new RegExp(`^${name.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    // The unlabeled series stay the fleet's; each named budget adds its own.
    expect(sample("guardrail_spend_usd")).toBeCloseTo(status.budget.spend_usd, 6);
    for (const b of status.budgets.slice(1)) {
      expect(sample(`guardrail_spend_usd{budget="${b.name}"}`)).toBe(b.spend_usd);
      expect(sample(`guardrail_budget_usd{budget="${b.name}"}`)).toBe(b.amount_usd);
      expect(sample(`guardrail_budget_ratio{budget="${b.name}"}`)).toBe(b.ratio);
      expect(sample(`guardrail_level{budget="${b.name}"}`)).toBe(b.level);
    }
    expect(text).not.toContain('budget="fleet"');
    expect(sample('guardrail_budget_pace_ratio{budget="chat"}')).toBe(status.budgets[2]?.pace_ratio);

    const body = new URLSearchParams({ user_id: "U0ANYONE", command: "/guardrail", text: "status" }).toString();
    const req = await slackRequest("/slack/commands", body, NOW, SECRET);
    const res = await get("/slack/commands", { method: "POST", headers: req.headers, body });
    expect(res.status).toBe(200);
    const reply = ((await res.json()) as { text: string }).text;
    const lines = reply.split("\n").filter((l) => l.startsWith("• "));
    expect(lines.map((l) => l.slice(2, l.indexOf(" (")))).toEqual(["fleet", "search", "chat"]);
    const chat = status.budgets[2] as Budget;
    expect(lines[2]).toContain(`${dollars(chat.spend_usd)} of ${dollars(chat.amount_usd)} (${(chat.ratio * 100).toFixed(1)}%)`);
    expect(lines[2]).toContain(`today's allowance ${dollars(chat.allowance?.usd ?? 0)}`);
    expect(lines[1]).toContain(`level *${status.budgets[1]?.level_name}*`);
  });
});
