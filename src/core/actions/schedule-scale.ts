// schedule_scale: a predictive schedule fired (pre-warm before the business morning, scale down
// at lunch and in the evening). It sets minReplica (and maxReplica) as the policy's entry says,
// but a schedule never fights the budget: a scale-up is held and alerted when today's spend
// already reached the first rung, when the end-of-day forecast with the added replicas would
// reach 100 % of today's budget in force (a raise counts), or when the guardrail paused the endpoint today. Scale-downs always go ahead. Pure.
// The forecast is the engine's (forecast.ts), with the added replicas' burn, against the budget in
// force, so a held schedule, the forecast alert and the status page never disagree.
import type { Policy } from "../../policy/index.ts";
import type { EndpointBudgetLevel } from "../budgets.ts";
import { forecastEndOfDay } from "../forecast.ts";
import { billableReplicas } from "../metering.ts";
import { formatUsd, type MicroUsd, microToUsd, usdToMicro } from "../money.ts";
import type { Alert, EndpointConfig, Level, Observation, PlannedAction } from "../types.ts";

/** The command as the schedule's entry defines it, with the time it fired. */
export interface ScheduledScale {
  schedule: string;
  endpoint: string;
  replicas: number;
  maxReplicas: number | null;
  scaleToZeroTimeoutMinutes: number;
  cron: string;
  timezone: string;
  /** the schedule's fire time (ms), from Scheduler: with the name, the idempotency key */
  firedAt: number;
}

export interface ScheduleScaleInput {
  policy: Policy;
  day: string;
  now: number;
  /** end of today's budget day (ms), the horizon of the forecast */
  dayEnd: number;
  command: ScheduledScale;
  /** why the command cannot be trusted as the policy's (unknown schedule, values differ), or null */
  mismatch: string | null;
  /** the endpoint as read from the provider just now, priced */
  observation: Observation;
  config: EndpointConfig;
  spendMicro: MicroUsd;
  /** today's budget in force (a raise_budget override's, see effectiveBudgetMicro); default the policy's */
  budgetMicro?: MicroUsd;
  /** highest ladder level reached today */
  level: Level;
  /** the endpoint's highest level over its named budgets (`budgets:`), with the budget that set it */
  budget?: EndpointBudgetLevel;
  /** current burn of the whole fleet (micro-USD per hour), this endpoint included */
  fleetBurnMicro: MicroUsd;
  pausedToday: boolean;
}

export type ScheduleDecision =
  | { kind: "execute"; action: PlannedAction; scaleUp: boolean }
  | { kind: "unchanged"; reason: string }
  | { kind: "hold"; alert: Alert; reason: string };

export const scheduleActionKey = (schedule: string, firedAt: number): string => `schedule:${schedule}:${new Date(firedAt).toISOString()}`;

/** The endpoint's configuration once the schedule applied. */
export function scheduledTarget(c: ScheduledScale, config: EndpointConfig): EndpointConfig {
  const minReplica = c.replicas;
  const maxReplica = c.maxReplicas ?? Math.max(config.maxReplica, minReplica, 1);
  return {
    ...config,
    minReplica,
    maxReplica,
    scaleToZeroTimeout: minReplica === 0 ? c.scaleToZeroTimeoutMinutes : config.scaleToZeroTimeout,
  };
}

function held(input: ScheduleScaleInput, after: EndpointConfig, reason: string, figures: Alert["figures"]): ScheduleDecision {
  const { command: c, day, config } = input;
  const at = new Date(c.firedAt).toISOString();
  return {
    kind: "hold",
    reason,
    alert: {
      kind: "schedule_held",
      severity: "warning",
      endpoint: c.endpoint,
      dedupKey: `${day}:schedule_held:${c.schedule}:${at}`,
      title: `Schedule ${c.schedule} held: ${c.endpoint} not scaled`,
      message:
        `Schedule ${c.schedule} ("${c.cron}" ${c.timezone}) fired at ${at} to set ${c.endpoint} to minReplica ${after.minReplica}, ` +
        `maxReplica ${after.maxReplica} (now ${config.minReplica}/${config.maxReplica}). Held: ${reason}. ` +
        "Scale it by hand if the traffic needs it; the next firing is judged afresh.",
      figures: {
        schedule: c.schedule,
        fired_at: at,
        min_replicas_from: config.minReplica,
        min_replicas_to: after.minReplica,
        max_replicas_from: config.maxReplica,
        max_replicas_to: after.maxReplica,
        ...figures,
      },
    },
  };
}

export function decideScheduledScale(input: ScheduleScaleInput): ScheduleDecision {
  const { command: c, policy, config, observation: o, now } = input;
  const after = scheduledTarget(c, config);
  const budgetMicro = input.budgetMicro ?? usdToMicro(policy.budget.daily_usd);
  const threshold = policy.thresholds.scale_down;
  const base = { spend_usd: microToUsd(input.spendMicro), budget_usd: microToUsd(budgetMicro), level: input.level };

  if (input.mismatch !== null) return held(input, after, input.mismatch, base);
  const lateMs = now - c.firedAt;
  if (lateMs > policy.schedules.max_delay_minutes * 60_000) {
    return held(
      input,
      after,
      `delivered ${Math.round(lateMs / 60_000)} minutes after its fire time (schedules.max_delay_minutes is ${policy.schedules.max_delay_minutes})`,
      base,
    );
  }

  if (
    after.minReplica === config.minReplica &&
    after.maxReplica === config.maxReplica &&
    after.scaleToZeroTimeout === config.scaleToZeroTimeout
  ) {
    return { kind: "unchanged", reason: `${c.endpoint} already has minReplica ${config.minReplica}, maxReplica ${config.maxReplica}` };
  }

  const scaleUp = after.minReplica > config.minReplica || after.maxReplica > config.maxReplica;
  if (scaleUp) {
    if (input.pausedToday) return held(input, after, `the guardrail paused ${c.endpoint} today; a schedule does not undo that`, base);
    if (input.level >= 1) {
      return held(
        input,
        after,
        `today's spend reached the ${(threshold * 100).toFixed(0)}% rung (level ${input.level}); no scale-up until the next budget day`,
        base,
      );
    }
    if (input.budget && input.budget.level >= 1) {
      return held(input, after, `${input.budget.reason}; no scale-up while a budget of ${c.endpoint} is above normal`, {
        ...base,
        budget: input.budget.budget,
      });
    }
    if (o.priceMicroPerHour === null && o.accelerator !== "cpu") {
      return held(input, after, `no catalog price for ${c.endpoint}, so the scale-up cannot be shown to stay within budget`, base);
    }
    const added = Math.max(0, after.minReplica - billableReplicas(o)) * (o.priceMicroPerHour ?? 0);
    const f = forecastEndOfDay(input.spendMicro, input.fleetBurnMicro + added, budgetMicro, now, input.dayEnd);
    // A scale-up is only for a day that stays within budget, the added replicas included (issue 12).
    if (f.endOfDayMicro >= budgetMicro) {
      return held(
        input,
        after,
        `with ${formatUsd(added)}/h more the end-of-day forecast is ${formatUsd(f.endOfDayMicro)}, ` +
          `${(f.ratio * 100).toFixed(0)}% of the ${formatUsd(budgetMicro)} budget (>= 100%)`,
        { ...base, forecast_usd: microToUsd(f.endOfDayMicro), added_usd_per_hour: microToUsd(added), threshold: 1 },
      );
    }
  }

  return {
    kind: "execute",
    scaleUp,
    action: {
      kind: "schedule_scale",
      endpoint: c.endpoint,
      key: scheduleActionKey(c.schedule, c.firedAt),
      level: 0,
      change: {
        type: "hf_update",
        body: {
          compute: {
            scaling: {
              minReplica: after.minReplica,
              maxReplica: after.maxReplica,
              ...(after.minReplica === 0 && after.scaleToZeroTimeout !== null ? { scaleToZeroTimeout: after.scaleToZeroTimeout } : {}),
            },
          },
        },
      },
      before: config,
      after,
      reason:
        `schedule ${c.schedule} ("${c.cron}" ${c.timezone}) fired at ${new Date(c.firedAt).toISOString()}: ` +
        `minReplica ${config.minReplica} -> ${after.minReplica}, maxReplica ${config.maxReplica} -> ${after.maxReplica}` +
        (after.minReplica === 0 ? `, scale to zero after ${after.scaleToZeroTimeout} idle minutes` : ""),
      hourlyMicro: 0,
    },
  };
}
