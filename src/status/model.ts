// The one reading of "today": everything GET /v1/status shows, read from D1 once per request and
// returned as one typed object. /v1/status, the status page, Slack `/guardrail status` and /metrics
// all render from it, so they cannot disagree about the day, its spend, its budget or its budgets.

import { overrideJson } from "../control/index.ts";
import {
  type BudgetsResult,
  budgetDay,
  budgetDayBounds,
  effectiveBudgetMicro,
  hourlyBurn,
  type Level,
  levelName,
  microToUsd,
  type Override,
} from "../core/index.ts";
import { alertStatus, type NotifySecrets } from "../notify/index.ts";
import { type PolicyIssue, type PolicyResult, settingsFor } from "../policy/index.ts";
import {
  type ActionRow,
  actionsOfDay,
  activeOverrides,
  type DaySpend,
  daySpend,
  lastObservations,
  loadRoutes,
  recentTicks,
  type StoredEndpoint,
  spendByEndpoint,
} from "../store/index.ts";
import { namedBudgets } from "../tick/index.ts";
import { billingStatus } from "./billing.ts";
import { budgetsJson } from "./budgets.ts";
import { guardStatus } from "./guard.ts";

/** What the deployment's configuration says (handlers/config.ts builds it from the environment). */
export interface StatusConfig {
  policy: PolicyResult;
  policySource: string;
  problems: PolicyIssue[];
  warnings: PolicyIssue[];
}

const usd = (micro: number) => microToUsd(Math.round(micro));

/** The budget day's figures in micro-USD, for the views that compute with them (/metrics, Slack). */
export interface DayFigures {
  day: string;
  spend: DaySpend;
  /** today's fleet budget in force (with an active raise_budget) */
  budgetMicro: number;
  level: Level;
  /** today's spend per endpoint, observed or not */
  byEndpoint: Map<string, number>;
  /** the named budgets (`budgets:`) evaluated now as the tick evaluates them; undefined without any */
  named: BudgetsResult | undefined;
}

/**
 * The status at `now` (of the budget day `dayWanted`, default today): `json` is the body of GET
 * /v1/status; `actions` the day's action journal, oldest first (empty while the policy is invalid);
 * `figures` the same day in micro-USD (null while the policy is invalid); `observed` the endpoints'
 * last observations; `overrides` those in force.
 */
export async function readStatus(db: D1Database, config: StatusConfig, secrets: NotifySecrets, now: number, dayWanted?: string) {
  const [ticks, stored, alerts, overrides] = await Promise.all([
    recentTicks(db, 1),
    lastObservations(db),
    alertStatus(db, secrets, config.policy.ok ? config.policy.policy.alerts : null, now),
    activeOverrides(db, now),
  ]);
  const lastTick = ticks[0] ?? null;
  const base = {
    policy: {
      valid: config.policy.ok,
      source: config.policySource,
      issues: config.policy.ok ? [] : config.policy.issues,
    },
    problems: config.problems,
    warnings: config.warnings,
    last_tick: lastTick && {
      at: new Date(lastTick.scheduledAt).toISOString(),
      outcome: lastTick.outcome,
      duration_ms: lastTick.finishedAt === null ? null : lastTick.finishedAt - lastTick.startedAt,
      endpoints: lastTick.endpoints,
      actions: lastTick.actions,
      alerts: lastTick.alerts,
      subrequests: lastTick.subrequests,
      error: lastTick.error,
    },
    alerts,
  };
  const common = { observed: stored as StoredEndpoint[], overrides: overrides as Override[] };
  if (!config.policy.ok) {
    return { json: { acting: false as boolean, ...base }, actions: [] as ActionRow[], figures: null as DayFigures | null, ...common };
  }
  const policy = config.policy.policy;
  const tz = policy.budget.timezone;
  const day = dayWanted ?? budgetDay(now, tz);
  const bounds = budgetDayBounds(Date.parse(`${day}T12:00:00Z`), tz);
  const today = bounds.day === budgetDay(now, tz);
  // The named budgets are read as at the last tick of the day, when their spend was metered (so their
  // forecasts run from there, as the fleet's does in guard.ts); a day gone by as at its last millisecond.
  const tickAt = lastTick?.scheduledAt ?? null;
  const at = tickAt !== null && tickAt >= bounds.start && tickAt < bounds.end ? Math.min(now, tickAt) : Math.min(now, bounds.end - 1);
  const observations = stored.map((s) => s.observation);
  const [sources, byEndpoint, routes, actions, named, billing] = await Promise.all([
    daySpend(db, day, bounds),
    spendByEndpoint(db, day),
    loadRoutes(db),
    actionsOfDay(db, day),
    namedBudgets(db, policy, day, at, observations, null, overrides),
    billingStatus(db, policy, now),
  ]);
  const level = sources.level;
  // Every dollar: the endpoints' replica-hours and the gateway's token-priced answers (store/day-spend.ts).
  const total = sources.totalMicro;
  const gateway = sources.gateway;
  // Today's budget is the policy's, or a raise_budget override's while one is active.
  const budgetMicro = effectiveBudgetMicro(policy, overrides, day);
  const lastAction = new Map(actions.map((a) => [a.endpoint, a]));
  const burnMicro = stored.reduce((a, s) => a + hourlyBurn(s.observation), 0);
  const guard = await guardStatus(db, policy, day, now, total, burnMicro, budgetMicro, lastTick?.scheduledAt ?? null);
  const figures: DayFigures = { day, spend: sources, budgetMicro, level: level as Level, byEndpoint, named };
  const budget = {
    day,
    timezone: tz,
    daily_usd: usd(budgetMicro),
    policy_daily_usd: policy.budget.daily_usd,
    spend_usd: usd(total),
    ratio: Number((total / budgetMicro).toFixed(4)),
    level: level as Level,
    level_name: levelName(level as Level),
    thresholds: policy.thresholds,
    burn_usd_per_hour: usd(burnMicro),
    sources: {
      endpoints_usd: usd(sources.dedicatedMicro),
      gateway_usd: usd(gateway.totalMicro),
      gateway_priced_answers: gateway.pricedRequests,
      gateway_unpriced_answers: gateway.unpricedRequests,
    },
  };
  const json = {
    acting: config.problems.length === 0,
    mode: policy.mode,
    ...base,
    budget,
    budgets: budgetsJson({
      fleet: budget,
      forecast: guard.forecast,
      members: [...new Set([...observations.map((o) => o.id), ...byEndpoint.keys()])].sort(),
      services: [...new Set(gateway.rows.filter((r) => r.spendMicro > 0).map((r) => r.service))].sort(),
      named,
      today,
    }),
    gateway_spend: gateway.rows.map((r) => ({
      service: r.service,
      target: r.target,
      endpoint: r.endpoint,
      model: r.model,
      spend_usd: usd(r.spendMicro),
      input_tokens: r.tokensIn,
      output_tokens: r.tokensOut,
    })),
    guard,
    billing,
    overrides: overrides.map(overrideJson),
    endpoints: stored.map(({ observation: o, observedAt }) => {
      const route = routes.get(o.id);
      const last = lastAction.get(o.id);
      return {
        id: o.id,
        state: o.state,
        replicas: { ready: o.readyReplica, target: o.targetReplica, min: o.minReplica, max: o.maxReplica },
        instance: `${o.vendor}/${o.region}/${o.instanceType}/${o.instanceSize}`,
        price_usd_per_hour: o.priceMicroPerHour === null ? null : usd(o.priceMicroPerHour),
        burn_usd_per_hour: usd(hourlyBurn(o)),
        spend_today_usd: usd(byEndpoint.get(o.id) ?? 0),
        critical: settingsFor(policy, o.id).critical,
        route: route?.mode ?? "primary",
        fallback: route?.fallback ?? null,
        observed_at: new Date(observedAt).toISOString(),
        last_action: last
          ? { kind: last.kind, status: last.status, reason: last.reason, at: new Date(last.updated_at).toISOString() }
          : null,
      };
    }),
    actions_today: actions.map((a) => ({
      kind: a.kind,
      endpoint: a.endpoint,
      status: a.status,
      mode: a.mode,
      reason: a.reason,
      before: a.before,
      after: a.after,
      error: a.error,
    })),
  };
  return { json, actions, figures: figures as DayFigures | null, ...common };
}

export type Status = Awaited<ReturnType<typeof readStatus>>;
export type StatusJson = Status["json"];
/** The status when the policy is valid: with budget, budgets, endpoints and today's actions. */
export type ActingStatusJson = Extract<StatusJson, { budget: unknown }>;
