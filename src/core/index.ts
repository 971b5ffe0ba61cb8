// Public surface of the pure core: metering, budget day, ladder, planner.
export { budgetDay, budgetDayBounds, startOfDay } from "./budget-day.ts";
export { meter, billableReplicas, hourlyBurn, BILLABLE_STATES, type Accrual } from "./metering.ts";
export { costOf, formatUsd, usdToMicro, microToUsd, MICRO, HOUR_MS, type MicroUsd } from "./money.ts";
export { levelFor, levelName, thresholdOf } from "./ladder.ts";
export { plan, actionKey, configOf, type PlanInput, type RouteState } from "./plan.ts";
export { ACTION_KINDS, LADDER, isExpensive } from "./actions/index.ts";
export type * from "./types.ts";
export { LEVEL_NAMES } from "./types.ts";
