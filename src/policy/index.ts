// Public surface of the policy: schema, types, loading and per-endpoint settings.

export { type AlertsPolicy, DEFAULT_ALERTS, snsRegion } from "./alerts.ts";
export type { ApprovalRule, ApprovalsPolicy } from "./control.ts";
export { DEFAULT_METRIC_NAMES, type MetricNames } from "./engine.ts";
export {
  gatewaySecretProblems,
  type OverflowLimits,
  routedEndpointOf,
  SERVICE_NAME,
  type ServiceConfig,
  type TargetConfig,
} from "./gateway.ts";
export { formatPath, type PolicyIssue, type PolicyResult, parsePolicy, settingsFor, validatePolicy } from "./load.ts";
export { type ScheduleEntry, type SchedulesPolicy, scheduleEntrySchema } from "./schedules.ts";
export { ENDPOINT_KEY, type EndpointSettings, type Policy, type PolicyInput, policySchema } from "./schema.ts";
