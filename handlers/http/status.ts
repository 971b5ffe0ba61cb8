// GET /v1/status: the budget day at a glance: spend, ratio, level, endpoints, last tick, problems, alert delivery.
// loadStatus() is the one reading of it; the JSON here and the status page (page.tsx) both show it.
import { Hono } from "hono";
import * as z from "zod";
import { overrideJson } from "../../src/control/index.ts";
import type { Level } from "../../src/core/index.ts";
import { budgetDay, budgetDayBounds, effectiveBudgetMicro, hourlyBurn, levelName, microToUsd } from "../../src/core/index.ts";
import { alertStatus } from "../../src/notify/index.ts";
import { settingsFor } from "../../src/policy/index.ts";
import {
  type ActionRow,
  actionsOfDay,
  activeOverrides,
  dayLevel,
  gatewaySpendBetween,
  lastObservations,
  loadRoutes,
  recentTicks,
  spendByEndpoint,
} from "../../src/store/index.ts";
import type { Config } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { invalidInput } from "./errors.ts";
import { guardStatus } from "./guard-status.ts";

const usd = (micro: number) => microToUsd(Math.round(micro));

/**
 * The day's status: `json` is the body of GET /v1/status; `actions` the day's action journal,
 * oldest first (empty while the policy is invalid), whose times the status page marks.
 */
export async function loadStatus(env: Cloudflare.Env, config: Config, now: number, dayWanted?: string) {
  const db = env.DB;
  const [ticks, stored, alerts] = await Promise.all([
    recentTicks(db, 1),
    lastObservations(db),
    alertStatus(db, env, config.policy.ok ? config.policy.policy.alerts : null, now),
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
  if (!config.policy.ok) return { json: { acting: false as boolean, ...base }, actions: [] as ActionRow[] };
  const policy = config.policy.policy;
  const day = dayWanted ?? budgetDay(now, policy.budget.timezone);
  const bounds = budgetDayBounds(Date.parse(`${day}T12:00:00Z`), policy.budget.timezone);
  const [spend, level, routes, actions, overrides, gateway] = await Promise.all([
    spendByEndpoint(db, day),
    dayLevel(db, day),
    loadRoutes(db),
    actionsOfDay(db, day),
    activeOverrides(db, now),
    gatewaySpendBetween(db, bounds.start, bounds.end),
  ]);
  const dedicated = [...spend.values()].reduce((a, b) => a + b, 0);
  // Every dollar: the endpoints' replica-hours and the gateway's token-priced answers.
  const total = dedicated + gateway.totalMicro;
  // Today's budget is the policy's, or a raise_budget override's while one is active.
  const budgetMicro = effectiveBudgetMicro(policy, overrides, day);
  const lastAction = new Map(actions.map((a) => [a.endpoint, a]));
  const burnMicro = stored.reduce((a, s) => a + hourlyBurn(s.observation), 0);
  const guard = await guardStatus(db, policy, day, now, total, burnMicro, budgetMicro, lastTick?.scheduledAt ?? null);
  const json = {
    acting: config.problems.length === 0,
    mode: policy.mode,
    ...base,
    budget: {
      day,
      timezone: policy.budget.timezone,
      daily_usd: usd(budgetMicro),
      policy_daily_usd: policy.budget.daily_usd,
      spend_usd: usd(total),
      ratio: Number((total / budgetMicro).toFixed(4)),
      level: level as Level,
      level_name: levelName(level as Level),
      thresholds: policy.thresholds,
      burn_usd_per_hour: usd(burnMicro),
      sources: {
        endpoints_usd: usd(dedicated),
        gateway_usd: usd(gateway.totalMicro),
        gateway_priced_answers: gateway.pricedRequests,
        gateway_unpriced_answers: gateway.unpricedRequests,
      },
    },
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
        spend_today_usd: usd(spend.get(o.id) ?? 0),
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
  return { json, actions };
}

export type Status = Awaited<ReturnType<typeof loadStatus>>;
export type StatusJson = Status["json"];
/** The status when the policy is valid: with budget, endpoints and today's actions. */
export type ActingStatusJson = Extract<StatusJson, { budget: unknown }>;

const query = z
  .object({
    day: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
      .optional(),
  })
  .strict();

export const statusRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const parsed = query.safeParse(c.req.query());
  if (!parsed.success) return invalidInput(c, parsed.error);
  const { json } = await loadStatus(c.env, c.var.runtime.config, c.get("clock")(), parsed.data.day);
  return c.json(json);
});
