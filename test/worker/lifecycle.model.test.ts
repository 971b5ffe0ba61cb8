// Model-based test of the action lifecycle: fast-check drives random sequences through the real
// tick, the real D1 and the HF emulator inside workerd: ticks across three budget days in New York
// (the middle one 23 hours long: DST starts), mode switches, HF faults (5xx before and after
// applying, a hang after applying), a crash before and after each HF call, a person changing an
// endpoint, overrides (force, suspend, raise), approvals (approve, reject, time out), schedule
// fires, a catalog outage and D1 faults (one request to the real binding failing before it reaches
// D1, or after D1 applied it, test/fixtures/d1-faults.ts). The issue's five invariants are checked
// after every step, with the metering's: the ledger is exactly what the meter gives over the
// observations D1 kept, whatever failed (nothing lost, nothing counted twice); a failure prints the
// seed and the shrunk command list (fast-check does both).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { createOverride, decide } from "../../src/control/index.ts";
import { budgetDay, configOf, LADDER, meter, type Observation, showsChange } from "../../src/core/index.ts";
import type { Change } from "../../src/core/types.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { createNotifier } from "../../src/notify/index.ts";
import { type Policy, type PolicyInput, settingsFor, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import type { EndpointProvider, EndpointSnapshot } from "../../src/providers/types.ts";
import { runScheduledCommand } from "../../src/schedule/index.ts";
import { activeOverrides, approvalsOfDay, loadMeterPoints, loadRoutes, observedEndpoint } from "../../src/store/index.ts";
import { runTick, type TickReport } from "../../src/tick/index.ts";
import { type D1Fault, type FaultyD1, faultyD1 } from "../fixtures/d1-faults.ts";
import { type EmulatorAdmin, emulatorAdmin } from "../fixtures/emulator-admin.ts";

const base = inject("hfBase");
const MIN = 60_000;
const TZ = "America/New_York";
/** 2027-03-13 00:00 in New York (EST, UTC-5); 2027-03-14 has 23 hours (DST starts at 02:00). */
const DAY0 = Date.UTC(2027, 2, 13, 5, 0);
const DAY_STARTS = [DAY0, Date.UTC(2027, 2, 14, 5, 0), Date.UTC(2027, 2, 15, 4, 0), Date.UTC(2027, 2, 16, 4, 0)];

/** $10 + $2 + $0.067 + $5 (critical) per hour: the $12 non-critical part reaches 200 % of $10 in under two hours. */
const FLEET: EndpointSpec[] = [
  { name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 4 },
  { name: "summarizer", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 3, replicas: 2 },
  { name: "cpu", instanceType: "intel-spr", instanceSize: "x2", minReplica: 1, maxReplica: 1, replicas: 1 },
  { name: "vip", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 2, maxReplica: 2, replicas: 2 },
];
const NAMES = ["big", "summarizer", "cpu", "vip"] as const;
const MUTABLE_TABLES = [
  "endpoint_state",
  "ledger",
  "budget_days",
  "actions",
  "events",
  "routes",
  "ticks",
  "samples",
  "usage_hours",
  "notices",
  "deliveries",
  "alert_conditions",
  "overrides",
  "seen_signatures",
  "approvals",
];

function policyFor(ns: string, mode: "enforce" | "dry_run"): Policy {
  const input: PolicyInput = {
    mode,
    budget: { daily_usd: 10, timezone: TZ },
    hf: { namespaces: [ns] },
    endpoints: { [`${ns}/vip`]: { critical: true } },
    // Issue 14: only endpoints a gateway service follows are rerouted (a bare `endpoints.<id>.fallback`
    // moves nothing), so the reroute, and the restore of its route, need a service.
    services: { summarize: { primary: { target: `${ns}/summarizer` }, fallback: { target: `${ns}/cpu` }, callers: ["SUMMARIZE_KEY"] } },
    approvals: { shutdown: { wait_minutes: 10, on_timeout: "run" } },
    // The model ticks minutes to hours apart (every minute in production): such intervals are not
    // gaps here, so the 200 % rung (which a gap's estimate alone cannot reach, issue 13) stays in play.
    metering: { gap_minutes: 1440 },
    schedules: {
      group: "model",
      commands_topic_arn: "arn:aws:sns:us-east-1:123456789012:guardrail-commands",
      role_arn: "arn:aws:iam::123456789012:role/guardrail-scheduler",
      timezone: TZ,
      entries: [
        { name: "model-evening", endpoint: `${ns}/summarizer`, cron: "0 18 * * *", replicas: 0 },
        { name: "model-morning", endpoint: `${ns}/summarizer`, cron: "0 8 * * *", replicas: 2 },
      ],
    },
  };
  const res = validatePolicy(input);
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  return res.policy;
}

/** One logical provider call the guardrail made, seen through the wrapper. */
interface Call {
  step: number;
  source: "tick" | "force" | "schedule";
  method: "updateEndpoint" | "pauseEndpoint" | "resumeEndpoint";
  endpoint: string;
  body: unknown;
}

interface Real {
  ns: string;
  admin: EmulatorAdmin;
  client: HfClient;
  calls: Call[];
  /** the wrapper dies at the k-th mutating call of the next tick: before sending it, or after HF answered */
  crash: { at: number; when: "before" | "after" } | null;
  /** mutating calls since the crash was armed */
  mutating: number;
  source: Call["source"];
  /** the D1 binding the ticks use, with one fault armed at a time */
  d1: FaultyD1;
  /** a D1 fault fired in the last tick */
  d1Failed: boolean;
  /** the endpoints the running tick listed (what it metered) */
  listed: Map<string, EndpointSnapshot> | null;
  /** the ledger the meter gives over the observations D1 kept, per `day|endpoint` */
  metered: Map<string, Spend>;
}

interface Spend {
  micro: number;
  low: number;
  high: number;
  gap: number;
}

interface Model {
  step: number;
  now: number;
  dayIndex: number;
  mode: "enforce" | "dry_run";
  /** faults queued since the last tick (a tick with none is "clean") */
  faulted: boolean;
  lastTick: TickReport | null;
}

function watched(real: Real, model: Model, c: HfClient = real.client): EndpointProvider {
  const wrap =
    (method: Call["method"]) =>
    async (ns: string, name: string, body?: unknown): Promise<Awaited<ReturnType<EndpointProvider["pauseEndpoint"]>>> => {
      real.mutating++;
      const crash = real.crash && real.crash.at === real.mutating ? real.crash : null;
      if (crash?.when === "before") throw new Error("crash before the HF call");
      real.calls.push({ step: model.step, source: real.source, method, endpoint: `${ns}/${name}`, body: body ?? null });
      const res =
        method === "updateEndpoint"
          ? await c.updateEndpoint(ns, name, body as Parameters<EndpointProvider["updateEndpoint"]>[2])
          : method === "pauseEndpoint"
            ? await c.pauseEndpoint(ns, name)
            : await c.resumeEndpoint(ns, name);
      if (crash?.when === "after") throw new Error("crash after the HF call, before its record");
      return res;
    };
  return {
    listEndpoints: async (ns) => {
      const res = await c.listEndpoints(ns);
      if (res.ok && real.source === "tick") real.listed = new Map(res.value.endpoints.map((e) => [e.name, e]));
      return res;
    },
    getEndpoint: (ns, n) => c.getEndpoint(ns, n),
    updateEndpoint: (ns, n, u) => wrap("updateEndpoint")(ns, n, u),
    pauseEndpoint: wrap("pauseEndpoint"),
    resumeEndpoint: wrap("resumeEndpoint"),
    scaleToZero: (ns, n) => c.scaleToZero(ns, n),
    listPrices: (ns) => c.listPrices(ns),
    // Calls bounded by the lease still go through the wrapper.
    within: (ms) => watched(real, model, c.within(ms)),
  };
}

const day = (m: Model) => budgetDay(m.now, TZ);
const stepsOf = (c: Change): number => (c.type === "sequence" ? c.steps.reduce((n, s) => n + stepsOf(s), 0) : c.type === "route" ? 0 : 1);

interface Row {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  mode: string;
  status: string;
  attempts: number;
  change: string;
  expected: string | null;
}

async function rows(): Promise<Row[]> {
  const { results } = await env.DB.prepare(
    "SELECT key, day, kind, endpoint, mode, status, attempts, change, expected FROM actions ORDER BY id",
  ).all<Row>();
  return results;
}

/** The five invariants of issue 12, after every step, with the timeline's and the outbox's. */
async function checkInvariants(m: Model, r: Real, stepCalls: Call[], tick: TickReport | null, clean: boolean): Promise<void> {
  const journal = await rows();
  // Every result in the journal is explained in the timeline: an action event names its key.
  const { results: unexplained } = await env.DB.prepare(
    `SELECT key, status FROM actions a WHERE status != 'intent'
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'action' AND json_extract(e.data, '$.key') = a.key)`,
  ).all();
  expect(unexplained, "journal results without their timeline event").toEqual([]);
  // One-shot alerts are written with the state change that raises them, so whatever failed (a D1 request
  // before or after D1 ran it, a crash), they hold at every step: every approval row has its request alert,
  // a timeout its expiry alert; every restore the tick journaled, its announcement; every part left as a
  // person set it, its restore_skipped. (Before, they were written after, with the tick's other alerts: that
  // write lost, nothing raised them again, and a pause waited for an approval nobody was asked for.)
  const { results: unasked } = await env.DB.prepare(
    `SELECT a.key, a.status FROM approvals a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'alert'
       AND e.kind = 'approval_requested' AND e.dedup_key = a.day || ':approval_requested:' || a.key)`,
  ).all();
  expect(unasked, "approval rows without their approval_requested alert").toEqual([]);
  const { results: untold } = await env.DB.prepare(
    `SELECT a.key, a.status FROM approvals a WHERE a.decided_by = 'timeout' AND NOT EXISTS (SELECT 1 FROM events e
       WHERE e.type = 'alert' AND e.kind = 'approval_expired' AND e.dedup_key = a.day || ':approval_expired:' || a.key)`,
  ).all();
  expect(untold, "timed-out approvals without their approval_expired alert").toEqual([]);
  const { results: unannounced } = await env.DB.prepare(
    `SELECT a.key, a.status FROM actions a WHERE a.kind = 'restore' AND a.key = a.day || ':restore:' || a.endpoint
       AND NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'alert' AND e.kind = 'restore' AND e.dedup_key = a.key)`,
  ).all();
  expect(unannounced, "the tick's restores without their restore alert").toEqual([]);
  const { results: unexplainedLeft } = await env.DB.prepare(
    `SELECT a.key FROM actions a WHERE a.status = 'left_by_person' AND NOT EXISTS (SELECT 1 FROM events e
       WHERE e.type = 'alert' AND e.kind = 'restore_skipped' AND e.endpoint = a.endpoint AND e.at <= a.restored_at)`,
  ).all();
  expect(unexplainedLeft, "parts left as a person set them without their restore_skipped alert").toEqual([]);
  // After a tick that ran its outbox with D1 answering, every alert has its one notice, whatever its age (a
  // tick that died after writing its alerts, or whose outbox failed, leaves them to the next one; the outbox
  // sweeps by event id, not by time): none lost, none announced twice.
  if (tick?.ran && !r.d1Failed) {
    const { results: unnoticed } = await env.DB.prepare(
      `SELECT e.kind, e.dedup_key FROM events e LEFT JOIN notices n ON n.event_id = e.id
         WHERE e.type IN ('alert', 'error') AND n.key IS NULL`,
    ).all();
    expect(unnoticed, "alerts the outbox never queued").toEqual([]);
    const { results: twice } = await env.DB.prepare(
      `SELECT e.dedup_key, COUNT(*) AS n FROM notices n JOIN events e ON e.id = n.event_id
         WHERE e.dedup_key IS NOT NULL GROUP BY e.dedup_key HAVING COUNT(*) > 1`,
    ).all();
    expect(twice, "alerts queued twice").toEqual([]);
  }
  // 2. No intent produces two mutating calls: the guardrail's HF calls never outnumber its attempts.
  const attempts = new Map<string, number>();
  for (const row of journal.filter((x) => x.mode === "enforce")) {
    attempts.set(row.endpoint, (attempts.get(row.endpoint) ?? 0) + row.attempts * stepsOf(JSON.parse(row.change) as Change));
  }
  const made = new Map<string, number>();
  for (const c of r.calls) made.set(c.endpoint, (made.get(c.endpoint) ?? 0) + 1);
  for (const [endpoint, n] of made)
    expect(n, `HF calls on ${endpoint} vs journaled attempts`).toBeLessThanOrEqual(attempts.get(endpoint) ?? 0);

  // Every action a tick carried out, recorded as a dry run or failed has its row in the journal.
  const keys = new Set(journal.map((x) => x.key));
  for (const x of tick?.executed ?? [])
    if (x.status !== "skipped") expect(keys.has(x.action.key), `${x.action.key} not journaled`).toBe(true);

  // 4. Dry run makes no mutating call; critical endpoints are never paused or scaled down by the guardrail.
  if (m.mode === "dry_run") expect(stepCalls, "mutating calls in dry run").toEqual([]);
  for (const c of stepCalls.filter((x) => x.source !== "force" && x.endpoint === `${r.ns}/vip`)) {
    expect(c.method, "the guardrail paused a critical endpoint").not.toBe("pauseEndpoint");
    const scaling = (c.body as { compute?: { scaling?: { maxReplica?: number } } } | null)?.compute?.scaling;
    expect(scaling?.maxReplica ?? 2, "the guardrail scaled a critical endpoint down").toBeGreaterThanOrEqual(2);
  }

  // 3. In enforce, a clean tick carries out what the level calls for and is not settled: nothing it
  // planned fails, and afterwards no rung at or under the level is still needed on an endpoint it did
  // not touch, unless the journal (read here, not through the planner) settled it or a person holds it.
  if (tick?.ran && clean && m.mode === "enforce" && tick.plan) {
    for (const x of tick.executed) expect(x.status, `${x.action.key} on a clean tick: ${x.error}`).not.toBe("failed");
    await checkLevelCarriedOut(m, r, tick, journal);
  }

  // 5. /v1/status never shows an action failed for an endpoint in its after state.
  const routes = await loadRoutes(env.DB);
  const list = await r.client.listEndpoints(r.ns);
  if (list.ok) {
    const seen = new Map(list.value.endpoints.map((o) => [`${r.ns}/${o.name}`, o]));
    for (const row of journal.filter((x) => x.status === "failed" && x.expected !== null)) {
      const o = seen.get(row.endpoint);
      if (!o) continue;
      const current = configOf({ ...o, id: row.endpoint, priceMicroPerHour: null }, routes.get(row.endpoint));
      const shown = showsChange(current, JSON.parse(row.expected ?? "null"), JSON.parse(row.change) as Change);
      // A failed row is resolved by the next tick's reconciliation; between ticks only a person can make HF
      // show it, or this tick's own action of another key on the endpoint (a forced pause that failed, then
      // the ladder's pause once the force ran out: the failed row reads failed until the next tick confirms it).
      const changedNow = tick?.executed.some(
        (x) => x.status === "applied" && x.action.endpoint === row.endpoint && x.action.key !== row.key,
      );
      if (tick?.ran && !changedNow) expect(shown, `${row.key} failed although HF shows it`).toBe(false);
    }
  }
}

const SETTLED = new Set(["applied", "restored", "superseded", "left_by_person"]);

async function checkLevelCarriedOut(m: Model, r: Real, tick: TickReport, journal: Row[]): Promise<void> {
  const plan = tick.plan;
  if (!plan || plan.level === 0) return;
  const policy = policyFor(r.ns, m.mode);
  const today = day(m);
  const settled = new Set(
    journal.filter((x) => x.mode === "enforce" && (SETTLED.has(x.status) || (x.status === "failed" && x.attempts >= 3))).map((x) => x.key),
  );
  const waiting = new Set(
    (await approvalsOfDay(env.DB, today)).filter((a) => ["pending", "rejected", "expired_hold"].includes(a.status)).map((a) => a.key),
  );
  const held = new Set((await activeOverrides(env.DB, m.now)).filter((o) => o.op === "suspend" || o.op === "force").map((o) => o.endpoint));
  const touched = new Set(tick.executed.map((x) => x.action.endpoint));
  // Issue 14: a reroute whose fallback the guardrail capped or paused (or that no service carries) is
  // held and said so in an alert; the level does not call for it then.
  const explained = new Set(
    plan.alerts
      .filter((a) => a.kind === "reroute_held" || a.kind === "reroute_without_service")
      .map((a) => `${today}:reroute:${a.endpoint}`),
  );
  const routes = await loadRoutes(env.DB);
  const list = await r.client.listEndpoints(r.ns);
  if (!list.ok) return;
  for (const snapshot of list.value.endpoints) {
    const id = `${r.ns}/${snapshot.name}`;
    const settings = settingsFor(policy, id);
    if (settings.critical || touched.has(id) || held.has(id) || held.has("*")) continue;
    const o = { ...snapshot, id, priceMicroPerHour: (await observedEndpoint(env.DB, id))?.observation.priceMicroPerHour ?? null };
    const ctx = { policy, settings, config: configOf(o, routes.get(id)), ratio: plan.ratio };
    for (const kind of LADDER) {
      if (kind.level > plan.level) break;
      const key = `${today}:${kind.name}:${id}`;
      if (kind.name === "scale_down" && settled.has(`${today}:pause:${id}`)) continue;
      if (kind.needed(o, ctx) && !settled.has(key) && !waiting.has(key) && !explained.has(key)) {
        throw new Error(`${key}: the ${plan.level} level calls for it, nothing settled it, and the enforce tick did not carry it out`);
      }
    }
  }
}

/** 1. Every change the guardrail made is restored at a later budget day, left by a person, or the schedule's. */
async function checkEverythingRestored(): Promise<void> {
  const left = (await rows()).filter(
    (x) => x.mode === "enforce" && x.status === "applied" && !["restore", "schedule_scale"].includes(x.kind),
  );
  expect(
    left.map((x) => x.key),
    "changes still applied after a calm budget day",
  ).toEqual([]);
  // Nothing is left in between: every intent was resolved against what HF reports.
  expect(
    (await rows()).filter((x) => x.status === "intent").map((x) => x.key),
    "intents never resolved",
  ).toEqual([]);
}

/**
 * 6. The ledger is the meter over the observations D1 kept: each interval between two kept observations
 * of an endpoint is metered once, by the tick that kept the later one. A tick whose metering did not
 * land (its batch failed, so its observations were not kept either) leaves its interval to the next
 * tick, which meters it whole; a write that landed although its call failed is not metered again.
 * `points` are the meter points before the tick, as the tick read them.
 */
async function checkMetering(r: Real, points: Awaited<ReturnType<typeof loadMeterPoints>>): Promise<void> {
  const metering = policyFor(r.ns, "enforce").metering;
  const { results: kept } = await env.DB.prepare("SELECT endpoint, observed_at, snapshot FROM endpoint_state WHERE endpoint LIKE ?1")
    .bind(`${r.ns}/%`)
    .all<{ endpoint: string; observed_at: number; snapshot: string }>();
  for (const row of kept) {
    const prev = points.get(row.endpoint);
    if (prev && row.observed_at <= prev.at) continue;
    // Kept by this tick: meter what it listed (the stored snapshot may since show an action's answer).
    const listed = r.listed?.get(row.endpoint.slice(r.ns.length + 1));
    if (!listed) throw new Error(`${row.endpoint}: an observation kept that the tick did not list`);
    const price = (JSON.parse(row.snapshot) as Observation).priceMicroPerHour;
    const cur: Observation = { ...listed, id: row.endpoint, priceMicroPerHour: price };
    for (const a of meter(prev, cur, row.observed_at, TZ, { gapMs: metering.gap_minutes * MIN, partialMinute: metering.partial_minute })) {
      const key = `${a.day}|${row.endpoint}`;
      const s = r.metered.get(key) ?? { micro: 0, low: 0, high: 0, gap: 0 };
      r.metered.set(key, { micro: s.micro + a.micro, low: s.low + a.lowMicro, high: s.high + a.highMicro, gap: s.gap + a.gapMicro });
    }
  }
  const { results: ledger } = await env.DB.prepare(
    "SELECT day, endpoint, spend_micro, low_micro, high_micro, gap_micro FROM ledger WHERE endpoint LIKE ?1",
  )
    .bind(`${r.ns}/%`)
    .all<{ day: string; endpoint: string; spend_micro: number; low_micro: number; high_micro: number; gap_micro: number }>();
  const nonzero = (entries: Array<[string, Spend]>) =>
    Object.fromEntries(entries.filter(([, s]) => s.micro !== 0 || s.low !== 0 || s.high !== 0 || s.gap !== 0));
  expect(
    nonzero(
      ledger.map((l) => [`${l.day}|${l.endpoint}`, { micro: l.spend_micro, low: l.low_micro, high: l.high_micro, gap: l.gap_micro }]),
    ),
    "the ledger vs the meter over the observations D1 kept",
  ).toEqual(nonzero([...r.metered]));
}

type Cmd = fc.AsyncCommand<Model, Real>;

async function doTick(m: Model, r: Real, crash: Real["crash"] = null, d1Fault: D1Fault | null = null): Promise<void> {
  const clean = !m.faulted && crash === null && d1Fault === null;
  r.crash = crash;
  r.mutating = 0;
  r.source = "tick";
  r.listed = null;
  r.d1.arm(d1Fault);
  const points = await loadMeterPoints(env.DB);
  const before = r.calls.length;
  const policy = policyFor(r.ns, m.mode);
  let report: TickReport | null = null;
  try {
    report = await runTick({
      db: r.d1.db,
      provider: watched(r, m),
      policy: { ok: true, policy },
      now: m.now,
      clock: () => m.now,
      holder: crypto.randomUUID(),
      log: () => {},
      // No channel is configured: the outbox still queues a notice for every alert (what is checked).
      notifier: createNotifier({ secrets: {} }),
    });
  } catch (e) {
    // A D1 failure ends the tick in error; what it leaves (its lease included) is the tick's own doing.
    if (crash === null && !r.d1.fired()) throw e;
    // A crashed isolate never releases its lease: the next tick waits for it to run out.
    if (crash !== null) {
      await env.DB.prepare("UPDATE lease SET until_ms = ?1 WHERE name = 'tick'")
        .bind(m.now + 90_000)
        .run();
    }
  }
  // The tick's row says what happened: a tick whose last write (its row and the lease's release) landed
  // did its work, whether or not D1's answer came back; it is not recorded as an error.
  const lost = r.d1.firedOn();
  if (lost?.when === "after" && lost.sqls.some((s) => s.includes("UPDATE ticks SET finished_at"))) {
    const last = await env.DB.prepare("SELECT outcome FROM ticks ORDER BY id DESC LIMIT 1").first<{ outcome: string }>();
    expect(last?.outcome, "a tick whose last write landed is recorded as an error").not.toBe("error");
  }
  r.crash = null;
  r.d1Failed = r.d1.fired();
  r.d1.arm(null);
  // A fault lasts until the end of the next tick (what it did not use up is dropped).
  await r.admin.clearFaults();
  m.faulted = false;
  m.lastTick = report;
  await checkMetering(r, points);
  await checkInvariants(m, r, r.calls.slice(before), report, clean);
}

const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>, check: (m: Model) => boolean = () => true): Cmd => ({
  check,
  run: async (m, r) => {
    m.step++;
    await run(m, r);
  },
  toString: () => name,
});

const tickCmd = (minutes: number) =>
  cmd(`tick +${minutes} min`, async (m, r) => {
    m.now = Math.min(m.now + minutes * MIN, (DAY_STARTS[m.dayIndex + 1] ?? m.now) - MIN);
    await doTick(m, r);
  });

const crashCmd = (at: number, when: "before" | "after") =>
  cmd(`tick +2 min, crash ${when} mutating call ${at}`, async (m, r) => {
    m.now += 2 * MIN;
    await doTick(m, r, { at, when });
    m.now += 2 * MIN; // the lease of the dead tick runs out
  });

/** Requests a tick makes to D1, by what they hold: its metering, the journal's claims and results, its record, its row. */
const D1_TARGETS = {
  request: undefined,
  "ledger batch": /INSERT INTO ledger/,
  // claims, and results with their timeline events (one statement since migration 0017)
  "journal write": /(INSERT INTO|UPDATE) actions/,
  // an action's result and its events, alone
  "journal result": /UPDATE actions SET status = \?2[\s\S]*result_events/,
  "events write": /INTO events/,
  // the tick's own write of its alerts (and, before they were written with their results, its actions' events)
  "tick's events write": /INTO events[\s\S]*FROM json_each\(\?1\)\s*RETURNING/,
  // its row, which releases its lease (a trigger, migration 0017)
  "tick's last write": /UPDATE ticks SET finished_at/,
  // new approval requests and timeouts (and, with them now, their alerts)
  "approvals write": /INTO approvals/,
  // the journal rows a tick's restores settle (and, with them now, restore_skipped)
  "restore settling": /UPDATE actions SET status = \(SELECT json_extract/,
} as const;

const d1FaultCmd = (target: keyof typeof D1_TARGETS, nth: number, when: D1Fault["when"]) =>
  cmd(`tick +2 min, D1 fails ${when} ${target} ${nth}`, async (m, r) => {
    m.now += 2 * MIN;
    const sql = D1_TARGETS[target];
    await doTick(m, r, null, { nth, when, ...(sql ? { sql } : {}) });
  });

const nextDayCmd = cmd(
  "next budget day",
  async (m, r) => {
    m.dayIndex++;
    m.now = (DAY_STARTS[m.dayIndex] ?? m.now) + 5 * MIN;
    await doTick(m, r);
  },
  (m) => m.dayIndex < 2,
);

const modeCmd = (mode: "enforce" | "dry_run") =>
  cmd(
    `switch to ${mode}`,
    async (m) => {
      m.mode = mode;
    },
    (m) => m.mode !== mode,
  );

const faultCmd = (kind: "5xx before" | "5xx after" | "hang after", path: "/pause" | "PUT" | "/resume", times: number) =>
  cmd(`HF fault ${kind} on ${path} x${times}`, async (m, r) => {
    const method = path === "PUT" ? "PUT" : "POST";
    const p = path === "PUT" ? `/v2/endpoint/${r.ns}/` : path;
    const fault =
      kind === "5xx before"
        ? { method, path: p, status: 503, times }
        : kind === "5xx after"
          ? { method, path: p, status: 502, afterApply: true, times }
          : { method, path: p, delayMs: 400, afterApply: true, times };
    await r.admin.faults(fault);
    m.faulted = true;
  });

const catalogOutageCmd = cmd("catalog outage", async (m, r) => {
  await r.admin.faults({ method: "GET", path: `/v2/provider/${r.ns}`, status: 503, times: 8 });
  m.faulted = true;
});

const personCmd = (name: (typeof NAMES)[number]) =>
  cmd(`a person sets ${name} to 2-3 replicas`, async (m, r) => {
    await r.admin.patch(name, { compute: { scaling: { minReplica: 2, maxReplica: 3 } } });
    m.faulted = true; // the next tick may legitimately find a part changed
  });

/** A forced action; with `fault`, one of its journal writes fails (the person sees an error; the next tick reconciles). */
const forceCmd = (action: "pause" | "scale_down" | "restore", name: (typeof NAMES)[number], fault: D1Fault | null = null) =>
  cmd(`force ${action} ${name}${fault ? `, D1 fails ${fault.when} journal write ${fault.nth}` : ""}`, async (m, r) => {
    r.source = "force";
    const before = r.calls.length;
    r.d1.arm(fault);
    try {
      await createOverride(
        { db: r.d1.db, policy: policyFor(r.ns, m.mode), provider: watched(r, m), now: m.now + 10_000 },
        { op: "force", endpoint: `${r.ns}/${name}`, action, duration: "1h", reason: "model", actor: "model" },
        "webhook",
      );
    } catch (e) {
      if (!r.d1.fired()) throw e;
    }
    r.d1.arm(null);
    await checkInvariants(m, r, r.calls.slice(before), null, false);
  });

const suspendCmd = (name: (typeof NAMES)[number]) =>
  cmd(`suspend ${name} 30m`, async (m, r) => {
    await createOverride(
      { db: env.DB, policy: policyFor(r.ns, m.mode), provider: r.client, now: m.now + 10_000 },
      { op: "suspend", endpoint: `${r.ns}/${name}`, duration: "30m", reason: "model", actor: "model" },
      "webhook",
    );
  });

const raiseCmd = cmd("raise today's budget to $40", async (m, r) => {
  await createOverride(
    { db: env.DB, policy: policyFor(r.ns, m.mode), provider: r.client, now: m.now + 10_000 },
    { op: "raise_budget", budget_usd: 40, duration: "2h", reason: "model", actor: "model" },
    "webhook",
  );
});

const decideCmd = (op: "approve" | "reject") =>
  cmd(`${op} the first pending approval`, async (m, r) => {
    const pending = (await approvalsOfDay(env.DB, day(m))).find((a) => a.status === "pending" && a.endpoint.startsWith(`${r.ns}/`));
    if (!pending) return;
    await decide(
      { db: env.DB, policy: policyFor(r.ns, m.mode), provider: r.client, now: m.now + 20_000 },
      { op, key: pending.key, actor: "model", reason: "model" },
    );
  });

const scheduleCmd = (entry: "model-evening" | "model-morning") =>
  cmd(`schedule ${entry} fires`, async (m, r) => {
    r.source = "schedule";
    const before = r.calls.length;
    const replicas = entry === "model-evening" ? 0 : 2;
    await runScheduledCommand(
      { db: env.DB, provider: watched(r, m), policy: policyFor(r.ns, m.mode), now: m.now + 5_000 },
      {
        kind: "budget-guardrail/schedule_scale",
        version: 1,
        group: "model",
        schedule: entry,
        endpoint: `${r.ns}/summarizer`,
        replicas,
        max_replicas: null,
        scale_to_zero_timeout_minutes: 15,
        cron: entry === "model-evening" ? "0 18 * * *" : "0 8 * * *",
        timezone: TZ,
        scheduled_time: new Date(m.now).toISOString(),
      },
    );
    await checkInvariants(m, r, r.calls.slice(before), null, false);
  });

const name = fc.constantFrom(...NAMES);
const tickArb = fc.constantFrom(1, 5, 30, 60, 90, 180).map(tickCmd);
const crashArb = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom("before" as const, "after" as const))
  .map(([k, w]) => crashCmd(k, w));
const d1FaultArb = fc
  .tuple(
    fc.constantFrom(...(Object.keys(D1_TARGETS) as Array<keyof typeof D1_TARGETS>)),
    fc.integer({ min: 1, max: 8 }),
    fc.constantFrom("before" as const, "after" as const),
  )
  // A tick makes about 6 requests to D1, one with its metering, one with its events, two per action in the journal.
  .map(([target, nth, when]) =>
    d1FaultCmd(target, target === "request" ? nth : target === "journal write" ? Math.ceil(nth / 2.5) : 1, when),
  );
// Ticks (and crashing ticks) weigh more: the other commands only matter between ticks.
const commands = [
  d1FaultArb,
  d1FaultArb,
  tickArb,
  tickArb,
  tickArb,
  tickArb,
  tickArb,
  crashArb,
  crashArb,
  fc.constant(nextDayCmd),
  fc.constantFrom("enforce" as const, "dry_run" as const).map(modeCmd),
  fc.constantFrom("enforce" as const, "dry_run" as const).map(modeCmd),
  fc.constantFrom("enforce" as const, "dry_run" as const).map(modeCmd),
  fc
    .tuple(
      fc.constantFrom("5xx before" as const, "5xx after" as const, "hang after" as const),
      fc.constantFrom("/pause" as const, "PUT" as const, "/resume" as const),
      fc.constantFrom(1, 4, 12),
    )
    .map(([k, p, t]) => faultCmd(k, p, t)),
  fc.constant(catalogOutageCmd),
  name.map(personCmd),
  fc.tuple(fc.constantFrom("pause" as const, "scale_down" as const, "restore" as const), name).map(([a, n]) => forceCmd(a, n)),
  fc
    .tuple(
      fc.constantFrom("pause" as const, "scale_down" as const),
      name,
      fc.integer({ min: 1, max: 2 }),
      fc.constantFrom("before" as const, "after" as const),
    )
    .map(([a, n, nth, when]) => forceCmd(a, n, { nth, when, sql: D1_TARGETS["journal write"] })),
  name.map(suspendCmd),
  fc.constant(raiseCmd),
  fc.constantFrom("approve" as const, "reject" as const).map(decideCmd),
  fc.constantFrom("model-evening" as const, "model-morning" as const).map(scheduleCmd),
];

async function resetWorld(ns: string): Promise<void> {
  await env.DB.batch([
    ...MUTABLE_TABLES.map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
    env.DB.prepare("UPDATE lease SET holder = NULL, until_ms = 0"),
    env.DB.prepare(
      "UPDATE guard_state SET blind_streak = 0, blind_since = NULL, failed_namespaces = '[]', last_sample_at = NULL, updated_at = 0",
    ),
  ]);
  await emulatorAdmin(base, ns).reset(FLEET);
}

let run = 0;
/** 60 runs of up to 40 commands took 20-70 s on a shared 2-core machine: well within a few minutes of CI. */
const RUNS = 60;

describe("the action lifecycle, model-based", () => {
  it("keeps the five invariants through random days, modes, faults, crashes, people, overrides, approvals and schedules", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("enforce" as const, "dry_run" as const),
        fc.commands(commands, { maxCommands: 40 }),
        async (mode, cmds) => {
          const ns = `model-${run++}`;
          await resetWorld(ns);
          // The client's own timeout is short so an emulated hang costs little wall time; retries do not sleep.
          const client = new HfClient({ baseUrl: base, token: "hf_test_token", sleep: async () => {}, timeoutMs: 250 });
          const real: Real = {
            ns,
            admin: emulatorAdmin(base, ns),
            client,
            calls: [],
            crash: null,
            mutating: 0,
            source: "tick",
            d1: faultyD1(env.DB),
            d1Failed: false,
            listed: null,
            metered: new Map(),
          };
          const model: Model = { step: 0, now: DAY0 + 5 * MIN, dayIndex: 0, mode, faulted: false, lastTick: null };
          await doTick(model, real);
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          // Settle: no more faults, enforce, then the next budget day once every override ran out (a
          // force holds its endpoint for an hour), with a raise so the day is calm and restores run.
          await real.admin.clearFaults();
          model.mode = "enforce";
          model.faulted = true;
          model.dayIndex++;
          model.now = (DAY_STARTS[model.dayIndex] ?? model.now) + MIN;
          await createOverride(
            { db: env.DB, policy: policyFor(ns, "enforce"), provider: client, now: model.now },
            { op: "raise_budget", budget_usd: 1000, duration: "6h", reason: "settle", actor: "model" },
            "webhook",
          );
          model.now += 64 * MIN;
          for (let i = 0; i < 4; i++) {
            await doTick(model, real);
            model.now += MIN;
          }
          await checkEverythingRestored();
        },
      ),
      {
        numRuns: RUNS,
        verbose: 1,
        // The sequences of issue 12, run first on every CI run (random runs find them only now and then).
        examples: [
          ["dry_run", [tickCmd(90), modeCmd("enforce"), tickCmd(1)]],
          ["enforce", [faultCmd("5xx after", "/pause", 12), tickCmd(180), nextDayCmd, tickCmd(1)]],
          ["enforce", [tickCmd(180), crashCmd(1, "after"), tickCmd(1), nextDayCmd]],
          ["enforce", [scheduleCmd("model-evening"), nextDayCmd, tickCmd(1)]],
          ["enforce", [tickCmd(90), tickCmd(30), tickCmd(5), nextDayCmd, faultCmd("5xx before", "/resume", 4), tickCmd(1)]],
          // A restore that failed on its day, then the next day's restore put the same back: the failed row
          // stayed `failed` for an endpoint HF shows restored (invariant 5; a random run found it as
          // "2027-03-14:restore:model-79/big failed although HF shows it"). It is superseded now.
          ["enforce", [tickCmd(90), tickCmd(30), tickCmd(5), faultCmd("5xx before", "PUT", 12), nextDayCmd, nextDayCmd]],
          // A pause that failed in enforce, then dry run: the dry-run tick took the failed row over
          // (mode dry_run, its enforce attempt no longer counted), so the journal lost the enforce call
          // (invariant 2; a random run found it as "HF calls on model-30/big vs journaled attempts").
          ["enforce", [tickCmd(180), faultCmd("5xx before", "/pause", 12), tickCmd(30), modeCmd("dry_run"), tickCmd(2)]],
          // D1 faults in the tick's combined write batch (its ledger rows, meter points, history): rolled back
          // before D1 ran it, the next tick meters the whole interval; applied and its answer lost, not again.
          ["enforce", [tickCmd(90), d1FaultCmd("ledger batch", 1, "before"), tickCmd(1), tickCmd(30)]],
          ["enforce", [tickCmd(90), d1FaultCmd("ledger batch", 1, "after"), tickCmd(1), tickCmd(30)]],
          // The executor's records: the claim lost before or after D1 applied it, the result lost after HF applied the change.
          ["enforce", [tickCmd(180), d1FaultCmd("journal write", 1, "before"), tickCmd(5), nextDayCmd]],
          ["enforce", [tickCmd(180), d1FaultCmd("journal write", 1, "after"), tickCmd(5), nextDayCmd]],
          ["enforce", [tickCmd(180), d1FaultCmd("journal write", 2, "before"), tickCmd(5), nextDayCmd]],
          ["enforce", [tickCmd(180), d1FaultCmd("journal write", 2, "after"), tickCmd(5), nextDayCmd]],
          // A dry run's claim landed and its call threw: the intent stayed open for good (reconciliation read
          // only enforce rows), so the key could not be claimed again ("intents never resolved"; a random run
          // found it). Reconciliation records it as the dry run it was.
          ["dry_run", [tickCmd(90), d1FaultCmd("journal write", 1, "after"), tickCmd(5), modeCmd("enforce"), tickCmd(1)]],
          // The tick's events write lost (before or after D1 ran it) once its actions were in the journal: the
          // actions' events ("Capped X", with before, after and reason) were never written. They are written
          // with each result now; the alerts are queued by the next tick (re-raised, or swept when written).
          ["enforce", [tickCmd(60), d1FaultCmd("tick's events write", 1, "before"), tickCmd(1)]],
          ["enforce", [tickCmd(60), d1FaultCmd("tick's events write", 1, "after"), tickCmd(1)]],
          // The tick's last write (its row, the lease's release) landed and its answer was lost: the catch path
          // wrote outcome `error` over the row of a tick that had done its work.
          ["enforce", [tickCmd(90), d1FaultCmd("tick's last write", 1, "after"), tickCmd(1)]],
          // One-shot alerts whose write was lost while their cause landed: nothing raised them again. The tick's
          // events write lost before D1 ran it (every two minutes from 200 %, so one of them is the tick that asks
          // for the pause's approval), or the approval rows' write applied and its answer lost: the pause waited
          // for an approval nobody was asked for. They are written with the approval rows now.
          ["enforce", [tickCmd(60), ...Array.from({ length: 20 }, () => d1FaultCmd("tick's events write", 1, "before")), tickCmd(1)]],
          ["enforce", [tickCmd(60), ...Array.from({ length: 20 }, () => d1FaultCmd("approvals write", 1, "after")), tickCmd(1)]],
          // The next day's first tick restores what the guardrail changed ("Restoring X") and leaves what a person
          // changed since (restore_skipped), its events write lost: both alerts were gone for good. They are
          // written with the restore's claim and with the rows the tick settles now.
          ["enforce", [tickCmd(90), tickCmd(30), tickCmd(1440), d1FaultCmd("tick's events write", 1, "before"), nextDayCmd]],
          [
            "enforce",
            [tickCmd(90), tickCmd(30), personCmd("big"), tickCmd(1440), d1FaultCmd("tick's events write", 1, "before"), nextDayCmd],
          ],
          ["enforce", [tickCmd(90), tickCmd(30), personCmd("big"), tickCmd(1440), d1FaultCmd("restore settling", 1, "after"), nextDayCmd]],
          // Alerts left without a notice by ticks that died after writing them (from 200 %, one asks for an
          // approval), the next tick three hours later: the outbox swept only the last hour, so they were never
          // sent. It sweeps by event id now: a later tick queues them whatever their age.
          [
            "enforce",
            [tickCmd(60), ...Array.from({ length: 20 }, () => d1FaultCmd("tick's events write", 1, "after")), tickCmd(180), tickCmd(1)],
          ],
        ],
      },
    );
  }, 300_000);
});
