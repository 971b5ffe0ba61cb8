// Carrying out a scheduled command (delivered by the commands topic): gather today's spend,
// level and fleet burn from D1 and the endpoint from the provider, let the core decide, then
// execute through the action journal (once per schedule and fire time) or hold and alert.
import {
  actionKey,
  budgetDayBounds,
  configOf,
  decideScheduledScale,
  effectiveBudgetMicro,
  hourlyBurn,
  type ScheduledScale,
  scheduleActionKey,
} from "../core/index.ts";
import type { EndpointConfig, Observation } from "../core/types.ts";
import type { Policy } from "../policy/index.ts";
import type { EndpointProvider } from "../providers/types.ts";
import {
  actionAttempts,
  activeOverrides,
  claimAction,
  dayLevel,
  type EventRow,
  finishAction,
  lastObservations,
  loadRoutes,
  MAX_ATTEMPTS,
  type NewEvent,
  recordEvents,
  settledKeys,
  spendToday,
} from "../store/index.ts";
import { alertEvent, namedBudgets, priceIndex, priceOf, splitId } from "../tick/index.ts";
import type { ScheduledCommand } from "./command.ts";

export interface CommandDeps {
  db: D1Database;
  provider: EndpointProvider;
  policy: Policy;
  now: number;
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
  const [stored, spendMicro, level, done, routes, overrides] = await Promise.all([
    lastObservations(db),
    spendToday(db, day),
    dayLevel(db, day),
    settledKeys(db, day),
    loadRoutes(db),
    activeOverrides(db, now),
  ]);
  const fleet = stored.map((s) => s.observation).filter((x) => x.id !== c.endpoint);
  // The price as the ticks saw it; the catalog when the endpoint was never observed.
  let price = stored.find((s) => s.observation.id === c.endpoint)?.observation.priceMicroPerHour ?? null;
  if (price === null) {
    const prices = await provider.listPrices(ns);
    if (prices.ok) price = priceOf(current.value, priceIndex(prices.value));
  }
  const observation: Observation = { ...current.value, id: c.endpoint, priceMicroPerHour: price };
  const route = routes.get(c.endpoint);
  const config = configOf(observation, route);

  // A redelivered firing that was already carried out (or recorded in dry run): nothing to decide.
  const key = scheduleActionKey(c.schedule, c.firedAt);
  if (done.has(key)) return { outcome: "duplicate", reason: `${key} was already carried out`, before: config, after: null, events: [] };

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
    budgetMicro: effectiveBudgetMicro(policy, overrides, day),
    level,
    ...(byBudget ? { budget: byBudget } : {}),
    fleetBurnMicro: fleet.reduce((sum, x) => sum + hourlyBurn(x), 0) + hourlyBurn(observation),
    pausedToday: done.has(actionKey(day, "pause", c.endpoint)),
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
  // Intents older than a minute were left by a request that died: SNS redelivers after 20 s.
  if (!(await claimAction(db, a, day, policy.mode, now, now - 60_000))) {
    return { outcome: "duplicate", reason: `${a.key} was already carried out`, before: config, after: null, events: [] };
  }
  if (policy.mode === "dry_run") {
    await finishAction(db, a.key, "dry_run", a.after, null, now);
    const events = await recordEvents(db, [
      actionEvent(now, c, "dry_run", `[dry run] schedule ${c.schedule} would scale ${c.endpoint}`, a.reason, {
        before: a.before,
        after: a.after,
      }),
    ]);
    return { outcome: "dry_run", reason: a.reason, before: config, after: a.after, events };
  }
  if (a.change.type !== "hf_update") throw new Error(`schedule_scale plans hf_update, got ${a.change.type}`);
  const res = await provider.updateEndpoint(ns, name, a.change.body);
  if (!res.ok) {
    const error = `${res.error.code}: ${res.error.message}`;
    await finishAction(db, a.key, "failed", null, error, now);
    const retry = (await actionAttempts(db, a.key)) < MAX_ATTEMPTS;
    const events = await recordEvents(db, [
      actionEvent(now, c, "failed", `Schedule ${c.schedule} failed to scale ${c.endpoint}`, a.reason, { before: a.before, error }),
      ...(retry
        ? []
        : [
            {
              at: now,
              type: "alert" as const,
              kind: "action_failed",
              severity: "critical" as const,
              endpoint: c.endpoint,
              title: `Could not apply schedule ${c.schedule} to ${c.endpoint}`,
              message: `${error}. ${a.reason}. Scale it by hand if the traffic needs it.`,
              data: { key: a.key },
              dedupKey: `${day}:action_failed:${a.key}`,
            },
          ]),
    ]);
    return { outcome: retry ? "retry" : "failed", reason: error, before: config, after: null, events };
  }
  const after = configOf({ ...res.value, id: c.endpoint, priceMicroPerHour: price }, route);
  await finishAction(db, a.key, "done", after, null, now, { ...res.value, endpoint: c.endpoint });
  const events = await recordEvents(db, [
    actionEvent(now, c, "done", `Schedule ${c.schedule} scaled ${c.endpoint}`, a.reason, { before: a.before, after }),
  ]);
  return { outcome: "executed", reason: a.reason, before: config, after, events };
}
