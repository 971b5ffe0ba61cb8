// D1 access, one module per table family; SQL lives only here and in infra/migrations.

export {
  type ActionResult,
  type ActionRow,
  type ActionStatus,
  actionAttempts,
  actionsOfDay,
  claimAction,
  claimAnnounced,
  type EndpointAfter,
  finishAction,
  finishActionsStatements,
  MAX_ATTEMPTS,
  type Settled,
  settledToday,
  unresolvedActions,
} from "./actions.ts";
export {
  type ApprovalRow,
  type ApprovalTimeout,
  approvalsOfDay,
  decideApproval,
  type NewApproval,
  recordApprovalChanges,
} from "./approvals.ts";
export {
  type BillingRead,
  type BillingRow,
  loadBillingRows,
  namespaceSpendBetween,
  recordBillingFailure,
  recordBillingRead,
} from "./billing.ts";
export { type EndpointDaySpend, spendByEndpointDays } from "./budget-spend.ts";
export { type ChannelFault, clearChannelFault, loadChannelFaults, markChannelFault } from "./channel-faults.ts";
export { coalescingDb } from "./coalesce.ts";
export { type DaySpend, daySpend } from "./day-spend.ts";
export {
  alertKeyKnown,
  type EventFilter,
  type EventRow,
  type EventType,
  eventsStatement,
  fromRawEvent,
  isErrorKey,
  listEvents,
  type NewEvent,
  type RawEvent,
  recordEvents,
} from "./events.ts";
export {
  addGatewayCounters,
  compactGatewayCounters,
  GATEWAY_RETENTION_MS,
  type GatewayCounterRow,
  type GatewayEndpointTraffic,
  type GatewayRoutingRows,
  type GatewaySpend,
  type GatewaySpendRow,
  type GatewayStats,
  gatewayCounterTotals,
  gatewayEndpointTraffic,
  gatewaySpendBetween,
  gatewayStats,
  loadGatewayRouting,
} from "./gateway.ts";
export {
  type GuardRow,
  type HistoryWrite,
  loadBeforeObserving,
  loadGuard,
  loadHistory,
  recordAndLoadHistory,
} from "./history.ts";
export { LATENCY_BOUNDS_MS, type LatencyPercentiles, latencyQuantile, percentiles } from "./latency.ts";
export { releaseLease, TICK_LEASE } from "./lease.ts";
export {
  type EndpointAccrual,
  lastObservations,
  loadMeterPoints,
  observedEndpoint,
  raiseDayLevel,
  recordMetering,
  type SpendBounds,
  type StoredEndpoint,
  spendBounds,
  spendByEndpoint,
  spendToday,
} from "./ledger.ts";
export { type MetricCounts, metricCounts } from "./metric-counts.ts";
export {
  type Channel,
  type ClaimedDelivery,
  type ConditionRow,
  claimDueDeliveries,
  conditionsAndPending,
  type DeliveryOverview,
  type DeliveryResult,
  type DeliveryStatus,
  deliveryOverview,
  enqueueNotices,
  eventsWithoutNotice,
  type FailedDelivery,
  finishDeliveries,
  heldInHour,
  hourUsage,
  loadConditions,
  type NewDelivery,
  type NewNotice,
  type NoticeType,
  type StoredNotice,
  saveConditions,
} from "./outbox.ts";
export {
  activeOverrides,
  claimSignature,
  createOverride,
  endOverrides,
  getOverride,
  SEEN_SIGNATURE_TTL_MS,
  type StoredOverride,
} from "./overrides.ts";
export { loadCatalogs, type StoredCatalog, saveCatalogs } from "./prices.ts";
export { markRestored, pendingRestores, restoreCandidates, settleRestoreRows, unrestoredActions } from "./restores.ts";
export { loadRoutes, setRoute } from "./routes.ts";
export {
  claimScheduleSync,
  finishScheduleSync,
  lastScheduleSync,
  type ScheduleSyncRow,
  SYNC_MAX_ATTEMPTS,
} from "./schedule-syncs.ts";
export {
  addTickSubrequests,
  failTick,
  finishTick,
  recentTicks,
  type SpendPoint,
  spendSeries,
  startLeasedTick,
  type TickOutcome,
  type TickRow,
  type TickSummary,
} from "./ticks.ts";
