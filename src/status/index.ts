// The status model: one reading of the budget day (spend, budget, level, named budgets, forecast,
// endpoints, guard) that /v1/status, the status page, Slack `/guardrail status` and /metrics render.
export { type BillingJson, type BillingNamespaceJson, type BillingState, PER_ENDPOINT_NOTE } from "./billing.ts";
export { type BudgetJson, budgetLine } from "./budgets.ts";
export { type GuardStatus, guardStatus } from "./guard.ts";
export { type ActingStatusJson, type DayFigures, readStatus, type Status, type StatusConfig, type StatusJson } from "./model.ts";
