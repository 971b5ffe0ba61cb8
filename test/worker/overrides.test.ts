// The override webhook inside workerd: real D1 with the real migrations, the real HF client against
// the emulator, requests signed as the CLI and curl sign them. Each test has its own namespace and
// budget day, so overrides of one test are never active in another's ticks.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { actionsOfDay, listEvents, loadRoutes } from "../../src/store/index.ts";
import { FLEET, guardrail, HOUR, MIN, stateCounts } from "../fixtures/http.ts";

const day = (d: number) => Date.UTC(2026, 2, d, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const suspend = (endpoint: string, over: Record<string, unknown> = {}) => ({
  op: "suspend",
  endpoint,
  duration: "2h",
  reason: "load test",
  actor: "alice",
  ...over,
});

describe("POST /v1/overrides", () => {
  it("suspends automatic actions on one endpoint until it expires; alerts continue; the override is an event with its actor", async () => {
    const g = guardrail("ovr-suspend");
    const T0 = day(1);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const res = await g.post(suspend("ovr-suspend/big"), T0 + MIN);
    expect(res.status).toBe(201);
    expect(res.body.override).toMatchObject({
      op: "suspend",
      endpoint: "ovr-suspend/big",
      actor: "alice",
      source: "webhook",
      until: iso(T0 + MIN + 2 * HOUR),
    });
    const [event] = await listEvents(env.DB, { type: "override", endpoint: "ovr-suspend/big", limit: 5 });
    expect(event).toMatchObject({ kind: "suspend", message: "load test" });
    expect(event?.title).toContain("alice");

    const during = await g.tick(T0 + HOUR); // 220 %: everything but big and the critical vip
    expect(during.plan?.level).toBe(3);
    expect(during.executed.map((x) => x.action.endpoint)).not.toContain("ovr-suspend/big");
    expect(during.executed.length).toBeGreaterThan(0);
    expect(during.events.some((e) => e.kind === "budget_level")).toBe(true);
    expect((await g.admin.mutations()).some((m) => m.path.includes("/big"))).toBe(false);

    const after = await g.tick(T0 + MIN + 2 * HOUR); // expired by itself
    expect(after.executed.map((x) => [x.action.kind, x.action.endpoint])).toContainEqual(["pause", "ovr-suspend/big"]);
  });

  it("holds off an endpoint suspended after the tick's scheduled time but before the tick read the overrides", async () => {
    // The cron's scheduledTime is the minute; the tick runs (and reads the overrides) seconds later.
    const g = guardrail("ovr-late");
    const T0 = day(27);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    expect((await g.post(suspend("ovr-late/big"), T0 + HOUR + 2_000)).status).toBe(201);
    const t = await g.tick(T0 + HOUR, undefined, undefined, T0 + HOUR + 5_000); // 220 %
    expect(t.plan?.level).toBe(3);
    expect(t.executed.map((x) => x.action.endpoint)).not.toContain("ovr-late/big");
    expect((await g.admin.mutations()).some((m) => m.path.includes("/big"))).toBe(false);
  });

  it("raises today's budget (absolute or percent, newest wins), never past the end of the budget day", async () => {
    const g = guardrail("ovr-raise");
    const T0 = day(2);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const raise = await g.post({ op: "raise_budget", budget_usd: 50, duration: "6h", reason: "launch", actor: "bob" }, T0 + MIN);
    expect(raise.status).toBe(201);
    expect(raise.body.override).toMatchObject({ op: "raise_budget", budget_usd: 50, percent: null });
    const t1 = await g.tick(T0 + HOUR); // $22 of $50
    expect(t1.plan).toMatchObject({ budgetMicro: 50_000_000, level: 0, actions: [] });
    const status = (await (await g.read("/v1/status", T0 + HOUR)).json()) as {
      budget: Record<string, number>;
      overrides: Array<{ op: string }>;
    };
    expect(status.budget).toMatchObject({ daily_usd: 50, policy_daily_usd: 10 });
    expect(status.overrides.map((o) => o.op)).toEqual(["raise_budget"]);

    const pct = await g.post({ op: "raise_budget", percent: 100, duration: "6h", reason: "launch", actor: "bob" }, T0 + HOUR + MIN);
    expect(pct.body.override).toMatchObject({ budget_usd: 20, percent: 100 });
    const t2 = await g.tick(T0 + HOUR + 2 * MIN); // $22.7 of $20: 113 %, under the raised 120 %
    expect(t2.plan).toMatchObject({ budgetMicro: 20_000_000, level: 0 });

    const late = await g.post({ op: "raise_budget", budget_usd: 40, duration: "6h", reason: "late", actor: "bob" }, T0 + 23 * HOUR);
    expect(late.body.override).toMatchObject({ until: iso(day(3)) });
  });

  it("raises a named budget for today: an unknown name or no raise is refused and changes nothing; the raised amount decides", async () => {
    // search pays for big ($10/h) with $2 a day; the fleet's $10 stays under 120 % for the first 30 minutes ($11.03).
    const g = guardrail(
      "ovr-named",
      `budgets:\n  - { name: search, period: day, amount_usd: 2, scope: { endpoints: [ovr-named/big] } }\n  - { name: chat, period: day, amount_usd: 5, scope: { endpoints: [ovr-named/cpu] } }`,
    );
    const T0 = day(25);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const before = await stateCounts();
    // Each refused request: the field it names and the message, with nothing stored.
    const refused = [
      [
        { budget: "serach", budget_usd: 4 },
        "budget",
        'budget: no budget "serach" in the policy; its budgets are "fleet", "search", "chat"',
      ],
      [{ budget: "search", budget_usd: 1.5 }, "budget_usd", `budget_usd: must raise the budget above budget "search"'s $2.00`],
    ] as const;
    for (const [ask, path, message] of refused) {
      const res = await g.post({ op: "raise_budget", ...ask, duration: "6h", reason: "launch", actor: "bob" }, T0 + MIN);
      expect(res.status).toBe(400);
      expect(res.body.error?.details?.[0]).toEqual({ path, message });
    }
    expect(await stateCounts()).toEqual(before);

    const raise = await g.post(
      { op: "raise_budget", budget: "search", percent: 100, duration: "6h", reason: "launch", actor: "bob" },
      T0 + MIN,
    );
    expect(raise.status).toBe(201);
    expect(raise.body.override).toMatchObject({ op: "raise_budget", budget: "search", budget_usd: 4, percent: 100 });
    const [event] = await listEvents(env.DB, { type: "override", limit: 1 });
    expect(event?.title).toContain('budget "search" for 2026-03-25 raised to $4.00');

    // 20 minutes: $3.33 is 167 % of the policy's $2 (reroute) but 83 % of the raised $4: nothing happens.
    const t1 = await g.tick(T0 + 20 * MIN);
    expect(t1.plan).toMatchObject({ level: 0, actions: [] });
    expect(t1.plan?.alerts.filter((a) => a.kind === "budget_level")).toEqual([]);
    // 30 minutes: $5.00 is 125 % of $4: scale_down, said with the raise; the fleet budget is untouched by it.
    const t2 = await g.tick(T0 + 30 * MIN);
    expect(t2.plan?.budgetMicro).toBe(10_000_000);
    expect(t2.executed.map((x) => [x.action.kind, x.action.endpoint, x.action.reason.split(": ")[0]])).toEqual([
      ["scale_down", "ovr-named/big", 'budget "search" (day 2026-03-25) at scale_down'],
    ]);
    expect(t2.executed[0]?.action.reason).toContain("today's $5.00 is 125.0% of $4.00 (raised from $2.00 for today by bob)");
    const alert = t2.plan?.alerts.find((a) => a.kind === "budget_level");
    expect(alert?.dedupKey).toBe(`2026-03-25:budget_level:1:search:raise:${(raise.body.override as { id: string }).id}`);
    expect(alert?.message).toContain("Budget raised to $4.00 for today by bob: launch.");
  });

  it("under a raise, /v1/status forecasts against the raised budget, as the forecast alert does", async () => {
    const g = guardrail("ovr-forecast");
    const T0 = day(20);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    await g.post({ op: "raise_budget", budget_usd: 50, duration: "6h", reason: "launch", actor: "bob" }, T0 + MIN);
    const t1 = await g.tick(T0 + HOUR); // $22 of $50: no action, but the day's forecast is far over
    expect(t1.plan?.actions).toEqual([]);
    const alert = t1.plan?.alerts.find((a) => a.kind === "forecast");
    const status = (await (await g.read("/v1/status", T0 + HOUR)).json()) as {
      guard: { forecast: { end_of_day_usd: number; ratio: number } };
    };
    // Both divide the run-rate projection by the $50 in force (the burn differs here: this file's D1 holds
    // other tests' endpoints, which the status page's stored fleet includes).
    expect(alert?.figures.forecast_ratio).toBeCloseTo((alert?.figures.forecast_usd as number) / 50, 4);
    expect(status.guard.forecast.ratio).toBeCloseTo(status.guard.forecast.end_of_day_usd / 50, 4);
  });

  it("forces one action at once through the provider, journaled with its own key, even on a critical endpoint", async () => {
    const g = guardrail("ovr-force");
    const T0 = day(3);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const res = await g.post(
      { op: "force", endpoint: "ovr-force/vip", action: "pause", duration: "1h", reason: "runaway", actor: "carol" },
      T0 + MIN,
    );
    expect(res.status).toBe(201);
    const id = (res.body.override as { id: string }).id;
    expect(res.body.actions).toMatchObject([{ kind: "pause", endpoint: "ovr-force/vip", status: "applied", after: { state: "paused" } }]);
    expect(await g.admin.mutations()).toEqual([{ method: "POST", path: "/v2/endpoint/ovr-force/vip/pause", body: null }]);
    const [row] = await actionsOfDay(env.DB, "2026-03-03");
    expect(row).toMatchObject({ key: `2026-03-03:pause:ovr-force/vip:${id}`, status: "applied", reason: "forced by carol: runaway" });
    expect((await listEvents(env.DB, { type: "action", endpoint: "ovr-force/vip", limit: 5 }))[0]?.title).toBe("Paused ovr-force/vip");

    const before = await stateCounts();
    const again = await g.post(
      { op: "force", endpoint: "ovr-force/vip", action: "pause", duration: "1h", reason: "runaway", actor: "carol" },
      T0 + 2 * MIN,
    );
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toContain("nothing to do");
    const noFallback = await g.post(
      { op: "force", endpoint: "ovr-force/big", action: "reroute", duration: "1h", reason: "x", actor: "carol" },
      T0 + 3 * MIN,
    );
    expect(noFallback.status).toBe(409);
    expect(noFallback.body.error?.message).toContain("no gateway service");
    const all = await g.post({ op: "force", endpoint: "*", action: "pause", duration: "1h", reason: "x", actor: "carol" }, T0 + 4 * MIN);
    expect(all.status).toBe(400);
    expect(all.body.error?.details?.[0]?.path).toBe("endpoint");
    expect(await stateCounts()).toEqual(before);
  });

  it("restores what the guardrail changed today from the saved before-state, and then leaves the endpoint alone", async () => {
    const g = guardrail("ovr-restore");
    const T0 = day(4);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    await g.tick(T0 + HOUR - MIN); // 217 %: pauses big and summarizer (one change per endpoint per tick; cpu, summarizer's fallback, is spared)
    await g.tick(T0 + HOUR); // then reroutes summarizer
    const done = (await actionsOfDay(env.DB, "2026-03-04")).map((a) => `${a.kind} ${a.endpoint}`);
    expect(done).toEqual(["pause ovr-restore/big", "pause ovr-restore/summarizer", "reroute ovr-restore/summarizer"]);
    const changedBefore = (await g.admin.mutations()).length;

    const one = await g.post(
      { op: "force", endpoint: "ovr-restore/summarizer", action: "restore", duration: "1h", reason: "legit traffic", actor: "dan" },
      T0 + HOUR + MIN,
    );
    expect(one.status).toBe(201);
    expect((one.body.actions as Array<{ change?: unknown; status: string }>).every((a) => a.status === "applied")).toBe(true);
    expect((await g.admin.mutations()).slice(changedBefore)).toEqual([
      { method: "POST", path: "/v2/endpoint/ovr-restore/summarizer/resume", body: null },
    ]);
    expect((await loadRoutes(env.DB)).get("ovr-restore/summarizer")).toEqual({ mode: "primary", fallback: null });

    const all = await g.post(
      { op: "force", endpoint: "*", action: "restore", duration: "1h", reason: "false alarm", actor: "dan" },
      T0 + HOUR + 2 * MIN,
    );
    expect(all.status).toBe(201);
    expect((await g.admin.mutations()).slice(changedBefore + 1)).toEqual([
      { method: "POST", path: "/v2/endpoint/ovr-restore/big/resume", body: null },
    ]);
    // Held off for the hour the force lasts: the next ticks do not undo the restore.
    const next = await g.tick(T0 + HOUR + 3 * MIN);
    expect(next.executed).toEqual([]);
    const restored = await actionsOfDay(env.DB, "2026-03-04");
    expect(restored.filter((a) => a.kind === "restore").every((a) => a.status === "applied" && a.reason.startsWith("forced by dan"))).toBe(
      true,
    );
    // What was put back is settled in the journal: the next budget day's restore leaves it alone.
    const { results } = await env.DB.prepare(
      "SELECT DISTINCT status FROM actions WHERE endpoint LIKE 'ovr-restore/%' AND kind != 'restore'",
    ).all<{ status: string }>();
    expect(results).toEqual([{ status: "restored" }]);
  });

  it("acknowledges one alert condition: it is not recorded again while the ack lasts", async () => {
    const g = guardrail("ovr-ack");
    const T0 = day(6);
    await g.admin.reset(FLEET);
    await g.tick(T0 - HOUR);
    const eve = await g.tick(T0 - MIN); // 217 % on 2026-03-05: the level 3 alert the person saw
    expect(eve.events.map((e) => e.dedupKey)).toContain("2026-03-05:budget_level:3");
    await g.admin.reset(FLEET);
    await g.tick(T0);
    // The key as the person copied it from yesterday's alert: the day is ignored, the condition is acked.
    const ack = await g.post(
      { op: "ack", dedup_key: "2026-03-05:budget_level:3", duration: "6h", reason: "known", actor: "erin" },
      T0 + MIN,
    );
    expect(ack.status).toBe(201);
    expect(ack.body.override).toMatchObject({ op: "ack", condition: "budget_level:3", endpoint: null });
    const t = await g.tick(T0 + HOUR);
    const levels = t.events.filter((e) => e.kind === "budget_level").map((e) => e.dedupKey);
    expect(levels).toEqual(["2026-03-06:budget_level:1", "2026-03-06:budget_level:2"]);
    expect(t.executed.some((x) => x.action.kind === "pause")).toBe(true); // acting goes on
  });

  it("refuses an ack of a key no alert ever had with 404, and stores nothing", async () => {
    const g = guardrail("ovr-ack-none");
    const T0 = day(7);
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const before = await stateCounts();
    for (const dedup_key of ["2026-03-07:budget_level:9", "budget_level:9", "hourly_burn:ovr-ack-none/nowhere"]) {
      const res = await g.post({ op: "ack", dedup_key, duration: "1h", reason: "typo", actor: "erin" }, T0 + MIN);
      expect(res.status, dedup_key).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", details: [{ path: "dedup_key" }] });
      expect(res.body.error?.message).toContain(`no alert with key ${dedup_key}`);
    }
    expect(await stateCounts()).toEqual(before);
  });
});

describe("bad override requests", () => {
  const g = guardrail("ovr-bad");
  const T = day(10) + 12 * HOUR;

  it("refuses unsigned, badly signed, stale, future and replayed requests with 401 and changes nothing", async () => {
    await g.admin.reset(FLEET);
    await g.tick(T - HOUR);
    const body = suspend("ovr-bad/big");
    const before = await stateCounts();
    const cases = [
      { header: null },
      { header: "t=1,v1=nothex" },
      { secret: "not-the-secret" },
      { t: Math.floor(T / 1000) - 301 },
      { t: Math.floor(T / 1000) + 301 },
    ];
    for (const o of cases) {
      const res = await g.post(body, T, o);
      expect(res.status, JSON.stringify(o)).toBe(401);
      expect(res.body.error?.code).toBe("unauthorized");
    }
    expect(await stateCounts()).toEqual(before);

    const text = JSON.stringify(body);
    const first = await g.post(text, T);
    expect(first.status).toBe(201);
    const afterFirst = await stateCounts();
    const replay = await g.post(text, T + 10_000, { t: Math.floor(T / 1000) });
    expect(replay.status).toBe(401);
    expect(replay.body.error?.message).toContain("already used");
    expect(await stateCounts()).toEqual(afterFirst);
  });

  it.each([
    ["malformed JSON", "{not json", 400, "invalid_json", "body"],
    ["an array", "[]", 400, "invalid_request", "(root)"],
    ["an unknown op", { ...suspend("ovr-bad/big"), op: "delete_everything" }, 400, "invalid_request", "op"],
    ["an unknown endpoint", suspend("ovr-bad/nope"), 422, "unknown_endpoint", "endpoint"],
    ["an unguarded namespace", suspend("elsewhere/big"), 422, "unknown_endpoint", "endpoint"],
    ["a badly spelled endpoint", suspend("ovr-bad/Big Model"), 400, "invalid_request", "endpoint"],
    ["a duration over the maximum", suspend("ovr-bad/big", { duration: "7h" }), 400, "invalid_request", "duration"],
    [
      "an until over the maximum",
      { ...suspend("ovr-bad/big", { until: iso(T + 7 * HOUR) }), duration: undefined },
      400,
      "invalid_request",
      "until",
    ],
    ["an until in the past", { ...suspend("ovr-bad/big", { until: iso(T - MIN) }), duration: undefined }, 400, "invalid_request", "until"],
    ["both duration and until", suspend("ovr-bad/big", { until: iso(T + HOUR) }), 400, "invalid_request", "until"],
    ["no duration", { ...suspend("ovr-bad/big"), duration: undefined }, 400, "invalid_request", "duration"],
    ["a duration that is not one", suspend("ovr-bad/big", { duration: "soon" }), 400, "invalid_request", "duration"],
    ["no reason", { ...suspend("ovr-bad/big"), reason: " " }, 400, "invalid_request", "reason"],
    ["an unknown field", suspend("ovr-bad/big", { dry: true }), 400, "invalid_request", "(root)"],
    [
      "a force of an unknown action",
      { op: "force", endpoint: "ovr-bad/big", action: "delete", duration: "1h", reason: "x", actor: "a" },
      400,
      "invalid_request",
      "action",
    ],
    [
      "a raise below the budget",
      { op: "raise_budget", budget_usd: 5, duration: "1h", reason: "x", actor: "a" },
      400,
      "invalid_request",
      "budget_usd",
    ],
    ["a raise without an amount", { op: "raise_budget", duration: "1h", reason: "x", actor: "a" }, 400, "invalid_request", "budget_usd"],
    [
      "a raise with both amounts",
      { op: "raise_budget", budget_usd: 50, percent: 10, duration: "1h", reason: "x", actor: "a" },
      400,
      "invalid_request",
      "percent",
    ],
    [
      "an approval nobody asked for",
      { op: "approve", endpoint: "ovr-bad/big", action: "pause", reason: "x", actor: "a" },
      404,
      "not_found",
      "action",
    ],
    ["an oversized body", suspend("ovr-bad/big", { reason: "x".repeat(9000) }), 413, "payload_too_large", "body"],
  ])("answers %s with %i naming the field, and changes nothing", async (_name, body, status, code, field) => {
    const before = await stateCounts();
    const res = await g.post(typeof body === "string" ? body : JSON.stringify(body), T + MIN);
    expect(res.status).toBe(status);
    expect(res.body.error?.code).toBe(code);
    expect(res.body.error?.details?.[0]?.path).toBe(field);
    expect(res.body.error?.message).toContain(field === "(root)" ? "" : field);
    expect(await stateCounts()).toEqual(before);
  });

  it("is off, with 503 and what to do, when OVERRIDE_SIGNING_SECRET is not set", async () => {
    const off = guardrail("ovr-bad");
    const { send, signed } = await import("../fixtures/http.ts");
    const res = await send(await signed("POST", "/v1/overrides", "{}", T), T, { ...off.env, OVERRIDE_SIGNING_SECRET: undefined });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("OVERRIDE_SIGNING_SECRET");
  });
});

describe("DELETE /v1/overrides/{id} and GET /v1/overrides", () => {
  const g = guardrail("ovr-end");
  const T = day(12) + 9 * HOUR;

  it("lists active overrides, ends one early (signed, the body naming the id), and refuses what cannot end", async () => {
    await g.admin.reset(FLEET);
    await g.tick(T - HOUR);
    const a = await g.post(suspend("ovr-end/big"), T);
    const b = await g.post(suspend("ovr-end/summarizer"), T);
    const idA = (a.body.override as { id: string }).id;
    const idB = (b.body.override as { id: string }).id;
    const list = async (at: number) =>
      ((await (await g.read("/v1/overrides", at)).json()) as { overrides: Array<{ id: string }> }).overrides.map((o) => o.id);
    expect(await list(T + MIN)).toEqual(expect.arrayContaining([idA, idB]));

    const mismatch = await g.end(idA, { id: idB, actor: "alice" }, T + MIN);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error?.details?.[0]?.path).toBe("id");
    const unsigned = await g.end(idA, { id: idA, actor: "alice" }, T + MIN, { header: null });
    expect(unsigned.status).toBe(401);
    expect(await list(T + MIN)).toContain(idA);

    const ended = await g.end(idA, { id: idA, actor: "alice", reason: "test over" }, T + 2 * MIN);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ override: { id: idA }, ended_by: "alice" });
    expect(await list(T + 3 * MIN)).not.toContain(idA);
    const [event] = await listEvents(env.DB, { type: "override", kind: "end", limit: 1 });
    expect(event?.title).toContain(idA);

    expect((await g.end(idA, { id: idA, actor: "alice" }, T + 4 * MIN)).status).toBe(409);
    expect((await g.end("ovr_nothere", { id: "ovr_nothere", actor: "alice" }, T + 4 * MIN)).status).toBe(404);
    // Expired by itself: gone from the list, and too late to end.
    expect(await list(T + 2 * HOUR + MIN)).not.toContain(idB);
    expect((await g.end(idB, { id: idB, actor: "alice" }, T + 2 * HOUR + MIN)).body.error?.message).toContain("expired");
  });
});

describe("read access", () => {
  const g = guardrail("ovr-read");
  const T = day(14);

  it.each(["/v1/status", "/v1/events", "/v1/overrides", "/metrics"])("%s needs the read token (bearer or cookie)", async (path) => {
    const none = await g.read(path, T, {});
    expect(none.status).toBe(401);
    expect(none.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect((await g.read(path, T, { Authorization: "Bearer wrong-token" })).status).toBe(401);
    expect((await g.read(path, T, { Authorization: `Bearer ${env.READ_TOKEN}x` })).status).toBe(401);
    expect((await g.read(path, T, { Authorization: `Bearer ${env.READ_TOKEN}` })).status).toBe(200);
    expect((await g.read(path, T, { Cookie: `other=1; guardrail_read=${env.READ_TOKEN}` })).status).toBe(200);
  });

  it("says how to set READ_TOKEN when it is missing, and opens up with status.public", async () => {
    const unset = await g.read("/v1/status", T, { Authorization: "Bearer anything" }, { READ_TOKEN: undefined });
    expect(unset.status).toBe(401);
    expect(((await unset.json()) as { error: { message: string } }).error.message).toContain("READ_TOKEN");
    const open = guardrail("ovr-read", "status: { public: true }");
    expect((await open.read("/v1/status", T, {})).status).toBe(200);
    expect((await open.read("/metrics", T, {})).status).toBe(200);
  });
});
