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
export { BILLING_EVERY_MS, BILLING_STALE_MS, billingDays, billingDrift, billingDue } from "./billing.ts";
export { applyBlastRadius } from "./blast-radius.ts";
export { type BlindState, isBlind } from "./blind.ts";
export { budgetActionReason, budgetAlerts } from "./budget-alerts.ts";
export { budgetDay, budgetDayBounds, type LocalParts, localParts, startOfDay } from "./budget-day.ts";
export { type BudgetFinding, budgetFindings, type ListedEndpoint, scopeCovers } from "./budget-findings.ts";
export { type BudgetPeriod, daysInMonth, nextDay, type PeriodBounds, periodBounds } from "./budget-period.ts";
export {
  type Allowance,
  type BudgetEndpoint,
  type BudgetForecast,
  type BudgetMember,
  type BudgetMemory,
  type BudgetState,
  type BudgetsInput,
  type BudgetsResult,
  dailyAllowance,
  type EndpointBudgetLevel,
  earlierDaysOf,
  effectiveLevel,
  evaluateBudgets,
  inScope,
  membership,
  serviceInScope,
} from "./budgets.ts";
export { type ForceInput, type ForcePlan, planForced } from "./force.ts";
export { type Forecast, forecastEndOfDay } from "./forecast.ts";
export {
  type Baseline,
  baselineHours,
  baselineOf,
  type CounterPoint,
  type Counters,
  type EndpointHistory,
  type FleetHistory,
  type HourBucket,
  requestRate,
  type Sample,
  sampleOf,
  spendRate,
  type WindowStats,
} from "./history.ts";
export { levelFor, levelName, thresholdOf } from "./ladder.ts";
export {
  ACTION_STATES,
  type ActionEvent,
  type ActionState,
  claimSources,
  type JournalState,
  MAX_ATTEMPTS,
  next,
  partsOf,
  settledStates,
  showsChange,
  sourcesOf,
  targetOf,
} from "./lifecycle.ts";
export {
  type Accrual,
  BILLABLE_STATES,
  billableReplicas,
  confirmedSpend,
  GAP_MS,
  hourlyBurn,
  initializingReplicas,
  type MeterOptions,
  meter,
  PAUSE_MARGIN_SIGMAS,
  type PartialMinute,
  replicaMs,
  replicaStarts,
  standardError,
} from "./metering.ts";
export { costOf, formatUsd, HOUR_MS, MICRO, type MicroUsd, microToUsd, usdToMicro } from "./money.ts";
export {
  ENDPOINT_STATES,
  type EndpointMetrics,
  type EndpointSnapshot,
  type EndpointState,
  type EndpointUpdate,
  hardwareKey,
} from "./observation.ts";
export {
  ackedConditions,
  activeRaise,
  alertCondition,
  applyOverrides,
  checkRaise,
  effectiveBudgetMicro,
  FORCE_ACTIONS,
  type ForceAction,
  holdOn,
  namedRaises,
  OVERRIDE_OPS,
  type Override,
  type OverrideOp,
  parseDuration,
  raisedBudgetUsd,
  withOverrides,
} from "./overrides.ts";
export { actionKey, configOf, type PlanInput, plan, type RouteState } from "./plan.ts";
export { type PriceSource, staleAlerts } from "./prices.ts";
export { exposition, type Family as MetricFamily, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";
export { type DoneAction, planRestores, type RestoreMark, type RestorePlan, restoreTarget } from "./restore.ts";
export { runRateForecast } from "./run-rate.ts";
export { runTriggers, TRIGGERS, type Trigger, type TriggerContext } from "./triggers/index.ts";
export { windowOf } from "./triggers/kind.ts";
export type * from "./types.ts";
export { LEVEL_NAMES } from "./types.ts";
