// Alerts that must not be lost between a D1 request and its record, inside workerd with the real D1 (its
// real migrations), the HF emulator and the local Slack server: one-shot alerts written with the state
// change that raises them, the outbox's sweep of alerts of any age, named budgets' conditions after the
// upgrade. D1 faults come from test/fixtures/d1-faults.ts (a request failing before D1 ran it, or after).
// This file's D1 is its own; each test takes budget days of its own in July 2026.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { createNotifier, QUEUE_WITHIN_MS, trackConditions } from "../../src/notify/index.ts";
import { runOutbox } from "../../src/notify/outbox.ts";
import { validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { approvalsOfDay, eventsWithoutNotice, listEvents, loadConditions, type NewEvent, recordEvents } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { faultyD1 } from "../fixtures/d1-faults.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { slackHook } from "../fixtures/notify-admin.ts";

const hfBase = inject("hfBase");
const slackBase = inject("slackBase");
const MIN = 60_000;
const HOUR = 60 * MIN;
/** The tick's own write of its alerts (conditions, provider errors): the one request that used to carry every alert. */
const TICK_EVENTS_WRITE = /INTO events[\s\S]*FROM json_each\(\?1\)\s*RETURNING/;

/** $10/h against a $10 budget: 200 % after two hours. */
const BIG: EndpointSpec[] = [{ name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 4 }];

function harness(id: string, yaml: Record<string, unknown> = {}) {
  const ns = `durable-${id}`;
  const hook = slackHook(slackBase, `durable-${id}`);
  const policy = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 10, timezone: "UTC" },
    hf: { namespaces: [ns] },
    metering: { gap_minutes: 1440 },
    restore: "manual",
    alerts: { sns: { severities: [] } },
    ...yaml,
  });
  if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
  const secrets = { SLACK_WEBHOOK_URL: hook.url };
  const notifier = createNotifier({ secrets });
  const provider = new HfClient({ baseUrl: hfBase, token: "hf_test_token", sleep: async () => {} });
  const d1 = faultyD1(env.DB);
  const tick = (now: number) =>
    runTick({ db: d1.db, provider, policy, now, clock: () => now, holder: crypto.randomUUID(), log: () => {}, notifier });
  return { ns, hook, d1, tick, notifier, policy: policy.policy, admin: emulatorAdmin(hfBase, ns) };
}

const alert = (at: number, title: string, dedupKey: string): NewEvent => ({
  at,
  type: "alert",
  kind: "runaway_scaling",
  severity: "warning",
  endpoint: null,
  title,
  message: "Replicas above the expected maximum.",
  data: {},
  dedupKey,
});

async function noticesOf(kind: string) {
  const { results } = await env.DB.prepare(
    "SELECT n.key, e.dedup_key FROM notices n JOIN events e ON e.id = n.event_id WHERE e.kind = ?1 ORDER BY n.key",
  )
    .bind(kind)
    .all<{ key: string; dedup_key: string }>();
  return results;
}

describe("one-shot alerts are written with their cause", () => {
  it("asks a person for a pause's approval even when the tick's alert write failed before D1 ran it", async () => {
    const h = harness("approval", { approvals: { shutdown: { wait_minutes: 30, on_timeout: "hold" } } });
    await h.admin.reset(BIG);
    const T0 = Date.UTC(2026, 6, 1, 0, 0);
    await h.tick(T0);
    // The tick that reaches 300 % asks for the pause's approval, then its write of the other alerts fails.
    h.d1.arm({ nth: 1, when: "before", sql: TICK_EVENTS_WRITE });
    await expect(h.tick(T0 + 3 * HOUR)).rejects.toThrow("injected fault before");
    expect(h.d1.fired()).toBe(true);
    h.d1.arm(null);
    const [waiting] = await approvalsOfDay(env.DB, "2026-07-01");
    expect(waiting).toMatchObject({ endpoint: `${h.ns}/big`, kind: "pause", status: "pending" });
    // The request was written with the approval row: the next tick sends it, once; later ticks nothing more.
    await h.tick(T0 + 3 * HOUR + MIN);
    await h.tick(T0 + 3 * HOUR + 2 * MIN);
    const asked = (await listEvents(env.DB, { kind: "approval_requested", limit: 10 })).filter((e) => e.endpoint === `${h.ns}/big`);
    expect(asked.map((e) => e.title)).toEqual([`Approve pause of ${h.ns}/big?`]);
    expect((await noticesOf("approval_requested")).map((n) => n.dedup_key)).toEqual([`2026-07-01:approval_requested:${waiting?.key}`]);
    expect((await h.hook.messages()).filter((m) => m.payload.text?.includes("Approve pause"))).toHaveLength(1);
  });

  it("says a channel is misconfigured even when that alert's write failed before D1 ran it", async () => {
    const h = harness("channel");
    await h.hook.revoke();
    const T0 = Date.UTC(2026, 6, 2, 0, 0);
    await recordEvents(env.DB, [alert(T0, "Runaway scaling on the revoked hook", "2026-07-02:durable:revoked")]);
    const input = { db: h.d1.db, now: T0, alerts: null, events: [], policy: h.policy.alerts };
    // Slack answers 404 (a revoked hook, permanent): the channel is marked and the alert saying so written, together.
    h.d1.arm({ nth: 1, when: "before", sql: /INTO events/ });
    await h.notifier.afterTick(input);
    expect(h.d1.fired()).toBe(true);
    h.d1.arm(null);
    await h.notifier.afterTick({ ...input, now: T0 + 2 * MIN });
    const told = await listEvents(env.DB, { kind: "channel_misconfigured", limit: 10 });
    expect(told.map((e) => e.title)).toEqual(["Slack alerts are not delivered: the channel is misconfigured"]);
    expect(await noticesOf("channel_misconfigured")).toHaveLength(1);
  });
});

describe("the outbox's sweep", () => {
  it("queues an alert whose tick died before its outbox ran, hours later", async () => {
    const h = harness("late");
    const T0 = Date.UTC(2026, 6, 3, 0, 0);
    // Recorded, then the tick died; no tick ran the outbox for three hours (D1 or the cron down).
    await recordEvents(env.DB, [alert(T0, "Runaway scaling three hours ago", "2026-07-03:durable:late")]);
    await h.notifier.afterTick({ db: env.DB, now: T0 + 3 * HOUR, alerts: null, events: [], policy: h.policy.alerts });
    expect((await h.hook.messages()).map((m) => m.payload.text)).toEqual(["[WARNING] Runaway scaling three hours ago"]);
    // Once queued, later ticks leave it alone.
    await h.notifier.afterTick({ db: env.DB, now: T0 + 3 * HOUR + MIN, alerts: null, events: [], policy: h.policy.alerts });
    expect(await h.hook.messages()).toHaveLength(1);
  });

  it("stores an alert found more than a day late with its deliveries failed as expired, and sends nothing", async () => {
    const h = harness("expired");
    const T0 = Date.UTC(2026, 6, 4, 0, 0);
    const [old] = await recordEvents(env.DB, [alert(T0, "Runaway scaling two days ago", "2026-07-04:durable:expired")]);
    const report = await runOutbox(
      { db: env.DB, now: T0 + QUEUE_WITHIN_MS + HOUR, alerts: null, events: [], policy: h.policy.alerts },
      { slack: { send: async () => Promise.reject(new Error("an expired alert is not sent")) } },
      [],
    );
    expect(report).toMatchObject({ expired: 1, sent: 0 });
    const { results } = await env.DB.prepare("SELECT channel, status, error FROM deliveries WHERE notice_key = ?1")
      .bind(`event:${old?.id}`)
      .all();
    expect(results).toEqual([
      {
        channel: "slack",
        status: "failed",
        error: "expired: recorded 2026-07-04T00:00:00.000Z, not queued within 24 h (no tick ran the outbox since)",
      },
    ]);
  });

  it("does not count expired deliveries against the hour's rate limit: a fresh alert after a backlog is sent, not held", async () => {
    const h = harness("expired-rate", { alerts: { sns: { severities: [] }, slack: { rate_limit_per_hour: 2 } } });
    const T0 = Date.UTC(2026, 6, 7, 0, 0);
    const now = T0 + QUEUE_WITHIN_MS + HOUR;
    await recordEvents(env.DB, [
      alert(T0, "old 1", "2026-07-07:durable:backlog-1"),
      alert(T0 + MIN, "old 2", "2026-07-07:durable:backlog-2"),
      alert(T0 + 2 * MIN, "old 3", "2026-07-07:durable:backlog-3"),
      alert(now - MIN, "fresh", "2026-07-08:durable:fresh"),
    ]);
    const sent: string[] = [];
    const report = await runOutbox(
      { db: env.DB, now, alerts: null, events: [], policy: h.policy.alerts },
      {
        slack: {
          send: async (n: { title: string }) => {
            sent.push(n.title);
            return { ok: true as const, id: null };
          },
        },
      },
      [],
    );
    expect(report).toMatchObject({ expired: 3, held: 0 });
    expect(sent).toEqual(["fresh"]);
    // A later tick in the same hour, with the backlog's failed rows stored: still room for one more.
    await recordEvents(env.DB, [alert(now + MIN, "fresh 2", "2026-07-08:durable:fresh-2")]);
    const later = await runOutbox(
      { db: env.DB, now: now + 2 * MIN, alerts: null, events: [], policy: h.policy.alerts },
      {
        slack: {
          send: async (n: { title: string }) => {
            sent.push(n.title);
            return { ok: true as const, id: null };
          },
        },
      },
      [],
    );
    expect(later).toMatchObject({ held: 0 });
    expect(sent).toEqual(["fresh", "fresh 2"]);
  });
});

/** The D1 binding with the rows each statement read (D1 bills rows read), for `.all()`. */
function countingRows(real: D1Database) {
  const reads: number[] = [];
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement =>
    ({
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      all: async () => {
        const res = await stmt.all();
        reads.push(res.meta.rows_read);
        return res;
      },
    }) as unknown as D1PreparedStatement;
  return { db: { prepare: (sql: string) => wrap(real.prepare(sql)) } as unknown as D1Database, reads };
}

describe("the sweep's cost", () => {
  it("reads the alerts waiting for a notice, not the timeline, however long it is", async () => {
    const h = harness("cost");
    const T0 = Date.UTC(2026, 6, 6, 0, 0);
    const action = (i: number): NewEvent => ({
      ...alert(T0, `Capped ${i}`, `unused-${i}`),
      type: "action",
      kind: "scale_down",
      dedupKey: null,
    });
    await recordEvents(
      env.DB,
      Array.from({ length: 500 }, (_, i) => action(i)),
    );
    await recordEvents(env.DB, [alert(T0, "Runaway scaling among 500 actions", "2026-07-06:durable:cost")]);
    const counted = countingRows(env.DB);
    expect((await eventsWithoutNotice(counted.db)).map((e) => e.title)).toEqual(["Runaway scaling among 500 actions"]);
    await h.notifier.afterTick({ db: env.DB, now: T0 + MIN, alerts: null, events: [], policy: h.policy.alerts });
    await recordEvents(
      env.DB,
      Array.from({ length: 500 }, (_, i) => action(500 + i)),
    );
    expect(await eventsWithoutNotice(counted.db)).toEqual([]);
    // The mark, the alert and its (missing) notice: a handful of rows each time, not the thousand events.
    expect(counted.reads.every((n) => n <= 5)).toBe(true);
  });
});

describe("named budgets' conditions across the upgrade (migration 0014)", () => {
  it("reads a level under a raise by its budget, not by the raise: the fleet's stays, a named budget's moves to its name", async () => {
    const T0 = Date.UTC(2026, 6, 6, 12, 0);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0014_"));
    if (!migration) throw new Error("migration 0014 not found");
    const migrated = async (dedupKey: string) => {
      await env.DB.prepare("DELETE FROM alert_conditions").run();
      await env.DB.prepare(
        `INSERT INTO alert_conditions (key, kind, endpoint, severity, title, dedup_key, state, episode, since, cleared_at)
         VALUES ('budget_level:fleet', 'budget_level', NULL, 'warning', 't', ?1, 'active', 1, ?2, NULL)`,
      )
        .bind(dedupKey, T0 - HOUR)
        .run();
      await env.DB.batch(migration.queries.map((q: string) => env.DB.prepare(q)));
      return (await loadConditions(env.DB)).map((r) => r.key);
    };
    // src/core/overrides.ts appends `:raise:<id>` to a level alert under a raise of its budget.
    expect(await migrated("2026-07-06:budget_level:2:raise:17")).toEqual(["budget_level:fleet"]);
    expect(await migrated("2026-07-06:budget_level:2:search:raise:17")).toEqual(["budget_level:budget:search"]);
    expect(await migrated("2026-07-06:budget_level:2:dry_run")).toEqual(["budget_level:fleet"]);
    expect(await migrated("2026-07-06:budget_level:2:search:dry_run")).toEqual(["budget_level:budget:search"]);
    await env.DB.prepare("DELETE FROM alert_conditions").run();
  });

  it("moves a named budget's condition off the fleet's key, so the first tick sends no spurious 'Resolved'", async () => {
    const T0 = Date.UTC(2026, 6, 5, 12, 0);
    const row = (key: string, kind: string, dedupKey: string) =>
      env.DB.prepare(
        `INSERT INTO alert_conditions (key, kind, endpoint, severity, title, dedup_key, state, episode, since, cleared_at)
         VALUES (?1, ?2, NULL, 'warning', ?3, ?4, 'active', 1, ?5, NULL)`,
      ).bind(key, kind, `title of ${dedupKey}`, dedupKey, T0 - HOUR);
    await env.DB.prepare("DELETE FROM alert_conditions").run();
    // As the code before named budgets had their own keys left them: each under `<kind>:fleet`.
    await env.DB.batch([
      row("budget_level:fleet", "budget_level", "2026-07-05:budget_level:1:search"),
      row("hourly_burn:fleet", "hourly_burn", "2026-07-05:hourly_burn:budget:chat"),
      row("forecast:fleet", "forecast", "2026-07-05:forecast:1.5"),
    ]);
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0014_"));
    if (!migration) throw new Error("migration 0014 not found");
    await env.DB.batch(migration.queries.map((q: string) => env.DB.prepare(q)));
    const rows = await loadConditions(env.DB);
    expect(rows.map((r) => r.key).sort()).toEqual(["budget_level:budget:search", "forecast:fleet", "hourly_burn:budget:chat"]);
    // The first tick after the upgrade: search's level and chat's burn still hold, the fleet's forecast too.
    const outcome = trackConditions(rows, {
      now: T0,
      alerts: [
        {
          kind: "budget_level",
          severity: "warning",
          endpoint: null,
          dedupKey: "2026-07-05:budget_level:1:search",
          title: "t",
          message: "m",
          figures: { budget: "search", level: 1 },
        },
        {
          kind: "hourly_burn",
          severity: "warning",
          endpoint: null,
          dedupKey: "2026-07-05:hourly_burn:budget:chat",
          title: "t",
          message: "m",
          figures: { budget: "chat" },
        },
        {
          kind: "forecast",
          severity: "warning",
          endpoint: null,
          dedupKey: "2026-07-05:forecast:1.5",
          title: "t",
          message: "m",
          figures: {},
        },
      ],
      newDedupKeys: new Set(),
      observed: new Set(),
      complete: true,
      recovery: true,
    });
    expect(outcome.events.map((e) => e.title)).toEqual([]);
    await env.DB.prepare("DELETE FROM alert_conditions").run();
  });
});
