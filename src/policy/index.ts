// Public surface of the policy: schema, types, loading and per-endpoint settings.

export { type AlertsPolicy, DEFAULT_ALERTS, snsRegion } from "./alerts.ts";
export { type BillingAccountKind, type BillingPolicy, billingKindOf } from "./billing.ts";
export {
  BUDGET_NAME,
  type BudgetEntry,
  type BudgetIssue,
  type BudgetScope,
  type BudgetSpec,
  budgetIssues,
  budgetsOf,
  FLEET_BUDGET,
  type Thresholds,
} from "./budgets.ts";
export type { ApprovalRule, ApprovalsPolicy } from "./control.ts";
export { type CronResult, type CronSpec, parseCron } from "./cron.ts";
export { DEFAULT_METRIC_NAMES, type MetricNames } from "./engine.ts";
export {
  fallbackEndpoints,
  gatewaySecretProblems,
  gatewayTrafficLabels,
  type OverflowLimits,
  routedEndpointOf,
  SERVICE_NAME,
  type ServiceBudget,
  type ServiceConfig,
  serviceFollowing,
  type TargetConfig,
  type TargetPricing,
  type TokenPrice,
  targetLabel,
} from "./gateway.ts";
export {
  declaredFallbackProblem,
  fallbackWarnings,
  formatPath,
  type PolicyIssue,
  type PolicyResult,
  parsePolicy,
  settingsFor,
  validatePolicy,
} from "./load.ts";
export { type ScheduleEntry, type SchedulesPolicy, scheduleEntrySchema } from "./schedules.ts";
export { ENDPOINT_KEY, type EndpointSettings, type Policy, type PolicyInput, policySchema } from "./schema.ts";
