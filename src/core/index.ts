// Public surface of the pure core: metering, budget day, ladder, planner.

export {
  ACTION_KINDS,
  decideScheduledScale,
  isExpensive,
  LADDER,
  type ScheduleDecision,
  type ScheduledScale,
  type ScheduleScaleInput,
  scheduleActionKey,
  scheduledTarget,
} from "./actions/index.ts";
export { ALERT_KINDS, type AlertNature } from "./alert-kinds.ts";
export {
  type ApprovalGate,
  type ApprovalRecord,
  type ApprovalStatus,
  approvalExpiredAlert,
  approvalRequestedAlert,
  gateActions,
  ruleFor,
} from "./approvals.ts";
export { type BlindState, isBlind } from "./blind.ts";
export { budgetDay, budgetDayBounds, type LocalParts, localParts, startOfDay } from "./budget-day.ts";
export { type ForceInput, type ForcePlan, planForced } from "./force.ts";
export { type Forecast, forecastEndOfDay } from "./forecast.ts";
export type { Baseline, EndpointHistory, FleetHistory, Sample, WindowStats } from "./history.ts";
export { levelFor, levelName, thresholdOf } from "./ladder.ts";
export { type Accrual, BILLABLE_STATES, billableReplicas, GAP_MS, hourlyBurn, initializingReplicas, meter, replicaMs } from "./metering.ts";
export { costOf, formatUsd, HOUR_MS, MICRO, type MicroUsd, microToUsd, usdToMicro } from "./money.ts";
export {
  ackedConditions,
  activeRaise,
  alertCondition,
  applyOverrides,
  effectiveBudgetMicro,
  FORCE_ACTIONS,
  type ForceAction,
  holdOn,
  OVERRIDE_OPS,
  type Override,
  type OverrideOp,
  parseDuration,
  raisedBudgetUsd,
  withOverrides,
} from "./overrides.ts";
export { actionKey, configOf, type PlanInput, plan, type RouteState } from "./plan.ts";
export { type PriceSource, staleAlerts } from "./prices.ts";
export { type DoneAction, planRestores, type RestorePlan } from "./restore.ts";
export { runRateForecast } from "./run-rate.ts";
export { runTriggers, TRIGGERS, type Trigger, type TriggerContext } from "./triggers/index.ts";
export type * from "./types.ts";
export { LEVEL_NAMES } from "./types.ts";
