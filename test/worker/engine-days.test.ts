// The decision engine over several simulated days, inside workerd: real D1 with the real migrations,
// the real HF client, the HF emulator's fleet and traffic on a clock kept in step with the ticks.
// Three quiet days teach the baselines; the fourth has an incident; the fifth restores, then goes blind.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { guardStatus } from "../../src/status/index.ts";
import { actionsOfDay, type EventRow, listEvents } from "../../src/store/index.ts";
import { runTick, type TickReport } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";

const base = inject("hfBase");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// In the future, so the emulator's clock (wall clock + offset) can be moved forward to each tick.
const D1 = Date.UTC(2027, 2, 1); // a Monday

function harness(ns: string, over: Partial<PolicyInput> = {}) {
  const res = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 250, timezone: "UTC" },
    hf: { namespaces: [ns] },
    endpoints: { [`${ns}/vip`]: { critical: true }, [`${ns}/batch`]: { expected_max_replicas: 2 } },
    // Ticks are 5 to 60 minutes apart here (every minute in production): an hour holds fewer readings.
    triggers: { underutilized: { min_samples: 1 } },
    metering: { gap_minutes: 1440 },
    ...over,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  const provider = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {} });
  const admin = emulatorAdmin(base, ns);
  const tick = async (now: number): Promise<TickReport> => {
    await admin.advanceTo(now);
    return runTick({ db: env.DB, provider, policy: res, now, clock: () => now, holder: crypto.randomUUID(), log: () => {} });
  };
  /** Ticks every `step` from `from` (inclusive) to `to` (exclusive). */
  const run = async (from: number, to: number, step: number) => {
    for (let t = from; t < to; t += step) await tick(t);
  };
  return { tick, run, admin, policy: res.ok ? res.policy : (undefined as never) };
}

// $5 + $1 + $0 + $0.067 = $6.07/h, $146 a day: 58 % of the $250 budget on a quiet day (hourly limit $10.42).
const FLEET: EndpointSpec[] = [
  {
    name: "api",
    instanceType: "nvidia-a100",
    instanceSize: "x1",
    minReplica: 1,
    maxReplica: 4,
    replicas: 2,
    traffic: { rps: 10, p95Ms: 120, usagePct: 55, pending: 1 },
  },
  { name: "batch", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 3, replicas: 1 },
  { name: "train", instanceType: "nvidia-h200", instanceSize: "x8", minReplica: 0, maxReplica: 2, replicas: 0, scaleToZeroTimeout: 30 },
  { name: "vip", instanceType: "intel-spr", instanceSize: "x2", minReplica: 1, maxReplica: 1, replicas: 1, traffic: { usagePct: 3 } },
];

const first = (events: EventRow[], kind: string, endpoint?: string) =>
  events.filter((e) => e.kind === kind && (endpoint === undefined || e.endpoint === endpoint)).sort((a, b) => a.at - b.at)[0];

describe("the engine over five simulated days", () => {
  it("learns normal, catches the incident day's anomalies, forecasts before spending, restores the next day, and notices going blind", async () => {
    const ns = "days";
    const { tick, run, admin, policy } = harness(ns);
    await admin.reset(FLEET);
    const id = (name: string) => `${ns}/${name}`;

    // Days 1-3: quiet, a tick an hour (the engine's windows clip a long interval to what falls inside them).
    await run(D1, D1 + 3 * DAY, HOUR);
    let events = await listEvents(env.DB, { limit: 500 });
    const quietKinds = new Set(events.filter((e) => e.type === "alert").map((e) => e.kind));
    expect([...quietKinds].sort()).toEqual(["underutilized"]); // the 3 %-busy CPU endpoint, once a day
    expect(events.filter((e) => e.kind === "underutilized").map((e) => e.endpoint)).toEqual([id("vip"), id("vip"), id("vip")]);

    // Day 4, the incident.
    const D4 = D1 + 3 * DAY;
    await run(D4, D4 + 8 * HOUR, 30 * MIN);
    await admin.traffic("api", { pending: 30 });
    const queued = await tick(D4 + 8 * HOUR); // requests queue: one more replica, spend well under budget
    expect(queued.executed.map((x) => [x.action.kind, x.action.endpoint, x.status])).toEqual([["scale_up", id("api"), "applied"]]);
    expect((await admin.mutations()).at(-1)).toEqual({
      method: "PUT",
      path: `/v2/endpoint/${ns}/api`,
      body: { compute: { scaling: { minReplica: 3, maxReplica: 4 } } },
    });
    await admin.traffic("api", { pending: 1 });
    await run(D4 + 8 * HOUR + 5 * MIN, D4 + 9 * HOUR, 5 * MIN);

    // 09:00: the $40/h training endpoint wakes with two replicas, api traffic jumps tenfold and queues,
    // batch scales past its expected maximum.
    await admin.advanceTo(D4 + 9 * HOUR);
    await admin.setReplicas("train", 2);
    await admin.traffic("api", { rps: 100, pending: 30 });
    await admin.patch("batch", { compute: { scaling: { maxReplica: 3 } } });
    await admin.setReplicas("batch", 3);
    await run(D4 + 9 * HOUR, D4 + 9 * HOUR + 30 * MIN, 5 * MIN);
    await admin.advanceTo(D4 + 9 * HOUR + 30 * MIN);
    await admin.traffic("api", { errorRate: 0.05, pending: 1 });
    await run(D4 + 9 * HOUR + 30 * MIN, D4 + 17 * HOUR, 5 * MIN);
    // 17:00: a person reconfigures batch (paused by the guardrail) by hand.
    await admin.patch("batch", { compute: { scaling: { minReplica: 1, maxReplica: 2 } } });
    await admin.setReplicas("train", 0);
    await run(D4 + 17 * HOUR, D4 + DAY, 30 * MIN);

    events = await listEvents(env.DB, { after: events[0]?.id ?? 0, limit: 500 });
    const at = (kind: string, endpoint?: string) => first(events, kind, endpoint)?.at;
    // Every anomaly of the day, each once, on the endpoint that caused it.
    expect(at("spend_spike", id("train"))).toBe(D4 + 9 * HOUR);
    // The last hour's spend passes budget/24 in the tick train wakes: the 08:55-09:00 interval is metered
    // at the count before its replicas' updatedAt (the old rule charged the larger count, two $20/h
    // replicas for five minutes they did not run), plus half a started minute for each of the two new
    // replicas (metering.partial_minute: rounded_up), which is what takes the hour over budget/24.
    expect(at("hourly_burn")).toBe(D4 + 9 * HOUR);
    expect(at("runaway_scaling", id("batch"))).toBe(D4 + 9 * HOUR);
    expect(at("scale_up_held", id("api"))).toBe(D4 + 9 * HOUR);
    expect(at("request_spike", id("api"))).toBe(D4 + 9 * HOUR + 10 * MIN);
    expect(at("error_rate", id("api"))).toBe(D4 + 9 * HOUR + 35 * MIN);
    for (const kind of ["spend_spike", "hourly_burn", "request_spike", "error_rate", "scale_up", "scale_up_held", "runaway_scaling"]) {
      const keys = events.filter((e) => e.kind === kind).map((e) => e.dedupKey);
      expect(keys, kind).toEqual([...new Set(keys)]);
    }
    // The forecast warned hours before spend crossed each threshold.
    for (const [threshold, level] of [
      [1.2, 1],
      [2, 3],
    ] as const) {
      const warned = events.find((e) => e.kind === "forecast" && e.data.threshold === threshold);
      const crossed = events.find((e) => e.kind === "budget_level" && e.data.level === level);
      expect(warned?.at).toBe(D4 + 9 * HOUR);
      expect((crossed?.at ?? 0) - (warned?.at ?? 0)).toBeGreaterThanOrEqual(2 * HOUR);
    }
    const d4 = await actionsOfDay(env.DB, "2027-03-04");
    expect(d4.map((a) => `${a.kind} ${a.endpoint} ${a.status}`)).toEqual([
      `scale_up ${id("api")} applied`,
      // 08:10: the queue is gone and the cooldown over, so the pinned minReplica goes back.
      `scale_up_release ${id("api")} applied`,
      `scale_down ${id("train")} applied`,
      `scale_down ${id("api")} applied`,
      `scale_down ${id("batch")} applied`,
      `pause ${id("train")} applied`,
      `pause ${id("api")} applied`,
      `pause ${id("batch")} applied`,
    ]);
    expect(d4.some((a) => a.endpoint === id("vip"))).toBe(false);

    // Day 5, first tick: what the guardrail changed comes back, except the parts a person changed since
    // (batch's scaling stays as the person set it; its pause, which nobody touched, is undone).
    const D5 = D4 + DAY;
    const restoring = await tick(D5);
    expect(restoring.executed.map((x) => [x.action.kind, x.action.endpoint, x.status]).sort()).toEqual([
      ["restore", id("api"), "applied"],
      ["restore", id("batch"), "applied"],
      ["restore", id("train"), "applied"],
    ]);
    expect(restoring.executed.find((x) => x.action.endpoint === id("batch"))?.action.change).toEqual({ type: "hf_resume" });
    const api = restoring.executed.find((x) => x.action.endpoint === id("api"));
    expect(api?.after).toMatchObject({ minReplica: 1, maxReplica: 4, state: "running" });
    const train = restoring.executed.find((x) => x.action.endpoint === id("train"));
    expect(train?.after).toMatchObject({ minReplica: 0, maxReplica: 2, scaleToZeroTimeout: 30 });
    expect(restoring.events.filter((e) => e.type === "alert").map((e) => [e.kind, e.endpoint])).toEqual(
      expect.arrayContaining([
        ["restore", id("api")],
        ["restore", id("train")],
        ["restore_skipped", id("batch")],
      ]),
    );
    const batchAfter = (await tick(D5 + 5 * MIN)).executed; // nothing more to restore
    expect(batchAfter).toEqual([]);

    // Three ticks that cannot list the namespace: blind on the third, shown in /v1/status; recovered on the fourth.
    await admin.faults({ method: "GET", path: `/v2/endpoint/${ns}`, status: 503, times: 12 });
    const blind = [await tick(D5 + 10 * MIN), await tick(D5 + 11 * MIN), await tick(D5 + 12 * MIN)];
    expect(blind.map((r) => r.events.some((e) => e.kind === "guardrail_blind"))).toEqual([false, false, true]);
    const status = await guardStatus(env.DB, policy, "2027-03-05", D5 + 12 * MIN, 0, 0, policy.budget.daily_usd * 1e6);
    expect(status.blind).toMatchObject({ blind: true, failed_ticks: 3, failed_namespaces: [ns], on_blind: "hold" });
    await tick(D5 + 13 * MIN);
    expect((await guardStatus(env.DB, policy, "2027-03-05", D5 + 13 * MIN, 0, 0, policy.budget.daily_usd * 1e6)).blind).toMatchObject({
      blind: false,
      failed_ticks: 0,
    });
  }, 120_000);
});

describe("the engine's cost per tick", () => {
  it("uses the same number of D1 statements for 3 endpoints as for 30", async () => {
    const count = async (ns: string, n: number) => {
      const { tick, admin } = harness(ns, { endpoints: {} });
      await admin.reset(
        Array.from({ length: n }, (_, i) => ({
          name: `e${i}`,
          instanceType: "nvidia-l4",
          instanceSize: "x1",
          minReplica: 1,
          maxReplica: 2,
          replicas: 1,
          traffic: { rps: 1, pending: 0 },
        })),
      );
      const T = D1 + 10 * DAY + (n === 3 ? 0 : DAY);
      await tick(T);
      await tick(T + MIN);
      let statements = 0;
      const db = env.DB;
      const counting = new Proxy(db, {
        get(target, prop) {
          if (prop === "prepare") {
            return (sql: string) => {
              statements++;
              return target.prepare(sql);
            };
          }
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      const provider = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {} });
      const policy = validatePolicy({ mode: "enforce", budget: { daily_usd: 1000, timezone: "UTC" }, hf: { namespaces: [ns] } });
      await admin.advanceTo(T + 2 * MIN);
      await runTick({ db: counting, provider, policy, now: T + 2 * MIN, clock: () => T, holder: crypto.randomUUID(), log: () => {} });
      return statements;
    };
    const small = await count("cost-3", 3);
    expect(small).toBeGreaterThan(10);
    expect(await count("cost-30", 30)).toBe(small);
  });
});

describe("GET /v1/status", () => {
  it("shows the engine's state: blind, forecast, restore mode", async () => {
    const app = createApp({ clock: () => Date.now() });
    const res = await app.request("/v1/status", { headers: { Authorization: `Bearer ${env.READ_TOKEN}` } }, env);
    const body = (await res.json()) as { guard?: { blind: { blind: boolean }; restore: { mode: string } } };
    expect(res.status).toBe(200);
    expect(body.guard?.restore.mode).toBe("next_day");
    expect(typeof body.guard?.blind.blind).toBe("boolean");
  });
});
