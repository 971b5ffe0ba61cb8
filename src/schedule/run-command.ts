// Carrying out a scheduled command (delivered by the commands topic): gather today's spend,
// level and fleet burn from D1 and the endpoint from the provider, let the core decide, then
// execute through the action journal (once per schedule and fire time) or hold and alert.

import { act, alertEvent, CLAIM_MS, failedAlert, type Outcome, RECORD_MARGIN_MS, splitId } from "../act/index.ts";
import type { EndpointConfig, Observation } from "../core/index.ts";
import {
  actionKey,
  activeRaise,
  budgetDayBounds,
  configOf,
  decideScheduledScale,
  effectiveBudgetMicro,
  hourlyBurn,
  levelFor,
  type ScheduledScale,
  scheduleActionKey,
} from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import type { EndpointProvider } from "../providers/index.ts";
import {
  activeOverrides,
  daySpend,
  type EventRow,
  lastObservations,
  loadRoutes,
  type NewEvent,
  recordEvents,
  settledToday,
} from "../store/index.ts";
import { namedBudgets, priceIndex, priceOf } from "../tick/index.ts";
import type { ScheduledCommand } from "./command.ts";

export interface CommandDeps {
  db: D1Database;
  provider: EndpointProvider;
  policy: Policy;
  now: number;
  /** wall clock for the call's deadline; default: `now` */
  clock?: () => number;
}

export type CommandOutcome =
  | "executed"
  | "dry_run"
  | "held"
  | "unchanged"
  | "duplicate"
  /** the provider failed; attempts remain, so the sender should redeliver */
  | "retry"
  | "failed";

export interface CommandReport {
  outcome: CommandOutcome;
  reason: string;
  before: EndpointConfig | null;
  after: EndpointConfig | null;
  events: EventRow[];
}

/** Why a command does not match the policy's entry of the same name (sync lagging behind), or null. */
export function mismatchWithPolicy(policy: Policy, c: ScheduledCommand): string | null {
  const s = policy.schedules;
  const e = s.entries.find((x) => x.name === c.schedule);
  if (c.group !== s.group) return `the command comes from schedule group ${c.group}, the policy's is ${s.group}`;
  if (!e) return `schedule ${c.schedule} is not in the policy (run \`npm run schedules -- prune\`)`;
  if (!e.enabled) return `schedule ${c.schedule} is disabled in the policy (run \`npm run schedules -- apply\`)`;
  const same = e.endpoint === c.endpoint && e.replicas === c.replicas && (e.max_replicas ?? null) === c.max_replicas;
  return same ? null : `schedule ${c.schedule} in AWS differs from the policy (run \`npm run schedules -- apply\`)`;
}

const toScale = (c: ScheduledCommand): ScheduledScale => ({
  schedule: c.schedule,
  endpoint: c.endpoint,
  replicas: c.replicas,
  maxReplicas: c.max_replicas,
  scaleToZeroTimeoutMinutes: c.scale_to_zero_timeout_minutes,
  cron: c.cron,
  timezone: c.timezone,
  firedAt: Date.parse(c.scheduled_time),
});

function actionEvent(
  now: number,
  c: ScheduledScale,
  status: string,
  title: string,
  reason: string,
  data: Record<string, unknown>,
): NewEvent {
  return {
    at: now,
    type: "action",
    kind: "schedule_scale",
    severity: null,
    endpoint: c.endpoint,
    title,
    message: reason,
    data: { schedule: c.schedule, fired_at: new Date(c.firedAt).toISOString(), status, ...data },
    // One event per schedule firing, however often SNS redelivers it.
    dedupKey: `${scheduleActionKey(c.schedule, c.firedAt)}:${status}`,
  };
}

export async function runScheduledCommand(deps: CommandDeps, command: ScheduledCommand): Promise<CommandReport> {
  const { db, provider, policy, now } = deps;
  const c = toScale(command);
  const { day, end } = budgetDayBounds(now, policy.budget.timezone);
  const [ns, name] = splitId(c.endpoint);

  const current = await provider.getEndpoint(ns, name);
  if (!current.ok) {
    return {
      outcome: "retry",
      reason: `reading ${c.endpoint}: ${current.error.code}: ${current.error.message}`,
      before: null,
      after: null,
      events: [],
    };
  }
  const [stored, { totalMicro: spendMicro, level }, done, routes, overrides] = await Promise.all([
    lastObservations(db),
    daySpend(db, day, budgetDayBounds(now, policy.budget.timezone)),
    settledToday(db, day, policy.mode),
    loadRoutes(db),
    activeOverrides(db, now),
  ]);
  const fleet = stored.map((s) => s.observation).filter((x) => x.id !== c.endpoint);
  // The price as the ticks saw it; the catalog when the endpoint was never observed.
  let price = stored.find((s) => s.observation.id === c.endpoint)?.observation.priceMicroPerHour ?? null;
  if (price === null) {
    const prices = await provider.listPrices(ns);
    if (prices.ok) price = priceOf(current.value, priceIndex(prices.value.prices));
  }
  const observation: Observation = { ...current.value, id: c.endpoint, priceMicroPerHour: price };
  const route = routes.get(c.endpoint);
  const config = configOf(observation, route);

  // A redelivered firing that was already carried out (or recorded in dry run): nothing to decide.
  const key = scheduleActionKey(c.schedule, c.firedAt);
  if (done.keys.has(key))
    return { outcome: "duplicate", reason: `${key} was already carried out`, before: config, after: null, events: [] };

  const budgetMicro = effectiveBudgetMicro(policy, overrides, day);
  // The endpoint's named budgets: a schedule does not scale up an endpoint one of its budgets holds above normal.
  const budgets = await namedBudgets(db, policy, day, now, [...fleet, observation], null, overrides);
  const byBudget = budgets?.endpoints.get(c.endpoint);
  const decision = decideScheduledScale({
    policy,
    day,
    now,
    dayEnd: end,
    command: c,
    mismatch: mismatchWithPolicy(policy, command),
    observation,
    config,
    spendMicro,
    budgetMicro,
    // Under a raise the ladder restarts from the level today's spend reaches under it (as the tick's plan does).
    level: activeRaise(overrides, day) ? levelFor(spendMicro / budgetMicro, policy.thresholds) : level,
    ...(byBudget ? { budget: byBudget } : {}),
    fleetBurnMicro: fleet.reduce((sum, x) => sum + hourlyBurn(x), 0) + hourlyBurn(observation),
    // A pause that failed its last attempt is settled but never paused anything (as the tick's plan reads it).
    pausedToday: done.keys.has(actionKey(day, "pause", c.endpoint)) && !done.exhausted.has(actionKey(day, "pause", c.endpoint)),
  });

  if (decision.kind === "hold") {
    const events = await recordEvents(db, [alertEvent(now, decision.alert)]);
    return { outcome: "held", reason: decision.reason, before: config, after: null, events };
  }
  if (decision.kind === "unchanged") {
    const events = await recordEvents(db, [
      actionEvent(now, c, "unchanged", `Schedule ${c.schedule}: ${c.endpoint} already as scheduled`, decision.reason, {}),
    ]);
    return { outcome: "unchanged", reason: decision.reason, before: config, after: config, events };
  }

  const a = decision.action;
  // The same executor and per-endpoint claim as the tick; the schedule's events are written with the
  // result. Intents older than the claim were left by a request that died: reconciliation (the next
  // tick) resolves them, SNS redelivers meanwhile.
  const [x] = await act(
    {
      db,
      provider,
      mode: policy.mode,
      day,
      now,
      clock: deps.clock ?? (() => now),
      deadline: (deps.clock?.() ?? now) + CLAIM_MS - RECORD_MARGIN_MS,
      claimMs: CLAIM_MS,
      describe: (o) => scheduleEvents(now, c, day, o),
    },
    [a],
  );
  if (!x || x.status === "skipped") {
    return {
      outcome: "duplicate",
      reason: `${a.key} was already carried out or another change to ${c.endpoint} is in flight`,
      before: config,
      after: null,
      events: [],
    };
  }
  const { events } = x;
  if (x.status === "dry_run") return { outcome: "dry_run", reason: a.reason, before: config, after: a.after, events };
  if (x.status === "failed")
    return { outcome: x.final ? "failed" : "retry", reason: x.error ?? "failed", before: config, after: null, events };
  return { outcome: "executed", reason: a.reason, before: config, after: x.after ?? a.after, events };
}

/** A scheduled scale's timeline events for what the executor made of it. */
function scheduleEvents(now: number, c: ScheduledScale, day: string, x: Outcome): NewEvent[] {
  const a = x.action;
  if (x.status === "dry_run") {
    return [
      actionEvent(now, c, "dry_run", `[dry run] schedule ${c.schedule} would scale ${c.endpoint}`, a.reason, {
        key: a.key,
        before: a.before,
        after: a.after,
      }),
    ];
  }
  if (x.status === "failed") {
    const error = x.error ?? "failed";
    return [
      actionEvent(now, c, "failed", `Schedule ${c.schedule} failed to scale ${c.endpoint}`, a.reason, {
        key: a.key,
        before: a.before,
        error,
      }),
      ...(x.final ? [failedAlert(now, a.key, a.kind, c.endpoint, day, `${error}. ${a.reason}`)] : []),
    ];
  }
  const after = x.after ?? a.after;
  return [actionEvent(now, c, "applied", `Schedule ${c.schedule} scaled ${c.endpoint}`, a.reason, { key: a.key, before: a.before, after })];
}
