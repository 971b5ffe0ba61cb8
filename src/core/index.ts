// Public surface of the pure core: metering, budget day, ladder, planner.

export {
  ACTION_KINDS,
  decideScheduledScale,
  forecastEndOfDay,
  isExpensive,
  LADDER,
  type ScheduleDecision,
  type ScheduledScale,
  type ScheduleScaleInput,
  scheduleActionKey,
  scheduledTarget,
} from "./actions/index.ts";
export { budgetDay, budgetDayBounds, type LocalParts, localParts, startOfDay } from "./budget-day.ts";
export { levelFor, levelName, thresholdOf } from "./ladder.ts";
export { type Accrual, BILLABLE_STATES, billableReplicas, hourlyBurn, meter } from "./metering.ts";
export { costOf, formatUsd, HOUR_MS, MICRO, type MicroUsd, microToUsd, usdToMicro } from "./money.ts";
export { actionKey, configOf, type PlanInput, plan, type RouteState } from "./plan.ts";
export { runRateForecast } from "./run-rate.ts";
export type * from "./types.ts";
export { LEVEL_NAMES } from "./types.ts";
