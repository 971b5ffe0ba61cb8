// Model-based test of the action lifecycle: fast-check drives random sequences through the real
// tick, the real D1 and the HF emulator inside workerd: ticks across three budget days in New York
// (the middle one 23 hours long: DST starts), mode switches, HF faults (5xx before and after
// applying, a hang after applying), a crash before and after each HF call, a person changing an
// endpoint, overrides (force, suspend, raise), approvals (approve, reject, time out), schedule
// fires and a catalog outage. The issue's five invariants are checked after every step; a failure
// prints the seed and the shrunk command list (fast-check does both).
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { createOverride, decide } from "../../src/control/index.ts";
import { budgetDay, configOf, LADDER, showsChange } from "../../src/core/index.ts";
import type { Change } from "../../src/core/types.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import { type Policy, type PolicyInput, settingsFor, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import type { EndpointProvider } from "../../src/providers/types.ts";
import { runScheduledCommand } from "../../src/schedule/index.ts";
import { activeOverrides, approvalsOfDay, loadRoutes, observedEndpoint } from "../../src/store/index.ts";
import { runTick, type TickReport } from "../../src/tick/index.ts";
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
    listEndpoints: (ns) => c.listEndpoints(ns),
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

/** The five invariants of issue 12, after every step. */
async function checkInvariants(m: Model, r: Real, stepCalls: Call[], tick: TickReport | null, clean: boolean): Promise<void> {
  const journal = await rows();
  // 2. No intent produces two mutating calls: the guardrail's HF calls never outnumber its attempts.
  const attempts = new Map<string, number>();
  for (const row of journal.filter((x) => x.mode === "enforce")) {
    attempts.set(row.endpoint, (attempts.get(row.endpoint) ?? 0) + row.attempts * stepsOf(JSON.parse(row.change) as Change));
  }
  const made = new Map<string, number>();
  for (const c of r.calls) made.set(c.endpoint, (made.get(c.endpoint) ?? 0) + 1);
  for (const [endpoint, n] of made)
    expect(n, `HF calls on ${endpoint} vs journaled attempts`).toBeLessThanOrEqual(attempts.get(endpoint) ?? 0);

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
      // A failed row is resolved by the next tick's reconciliation; between ticks only a person can make HF show it.
      if (tick?.ran) expect(shown, `${row.key} failed although HF shows it`).toBe(false);
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

type Cmd = fc.AsyncCommand<Model, Real>;

async function doTick(m: Model, r: Real, crash: Real["crash"] = null): Promise<void> {
  const clean = !m.faulted && crash === null;
  r.crash = crash;
  r.mutating = 0;
  r.source = "tick";
  const before = r.calls.length;
  const policy = policyFor(r.ns, m.mode);
  let report: TickReport | null = null;
  try {
    report = await runTick({
      db: env.DB,
      provider: watched(r, m),
      policy: { ok: true, policy },
      now: m.now,
      clock: () => m.now,
      holder: crypto.randomUUID(),
      log: () => {},
    });
  } catch (e) {
    if (crash === null) throw e;
    // A crashed isolate never releases its lease: the next tick waits for it to run out.
    await env.DB.prepare("UPDATE lease SET until_ms = ?1 WHERE name = 'tick'")
      .bind(m.now + 90_000)
      .run();
  }
  r.crash = null;
  // A fault lasts until the end of the next tick (what it did not use up is dropped).
  await r.admin.clearFaults();
  m.faulted = false;
  m.lastTick = report;
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

const forceCmd = (action: "pause" | "scale_down" | "restore", name: (typeof NAMES)[number]) =>
  cmd(`force ${action} ${name}`, async (m, r) => {
    r.source = "force";
    const before = r.calls.length;
    await createOverride(
      { db: env.DB, policy: policyFor(r.ns, m.mode), provider: watched(r, m), now: m.now + 10_000 },
      { op: "force", endpoint: `${r.ns}/${name}`, action, duration: "1h", reason: "model", actor: "model" },
      "webhook",
    );
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
// Ticks (and crashing ticks) weigh more: the other commands only matter between ticks.
const commands = [
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
          const real: Real = { ns, admin: emulatorAdmin(base, ns), client, calls: [], crash: null, mutating: 0, source: "tick" };
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
        ],
      },
    );
  }, 300_000);
});
