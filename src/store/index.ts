// D1 access, one module per table family; SQL lives only here and in infra/migrations.

export {
  type ActionRow,
  type ActionStatus,
  actionAttempts,
  actionsOfDay,
  claimAction,
  finishAction,
  MAX_ATTEMPTS,
  settledKeys,
} from "./actions.ts";
export { type EventFilter, type EventRow, type EventType, listEvents, type NewEvent, recordEvents } from "./events.ts";
export { releaseLease, TICK_LEASE, takeLease } from "./lease.ts";
export {
  dayLevel,
  type EndpointAccrual,
  lastObservations,
  loadMeterPoints,
  raiseDayLevel,
  recordMetering,
  type StoredEndpoint,
  spendByEndpoint,
  spendToday,
} from "./ledger.ts";
export { loadRoutes, setRoute } from "./routes.ts";
export {
  claimScheduleSync,
  finishScheduleSync,
  lastScheduleSync,
  type ScheduleSyncRow,
  SYNC_MAX_ATTEMPTS,
} from "./schedule-syncs.ts";
export {
  finishTick,
  recentTicks,
  type SpendPoint,
  spendSeries,
  startTick,
  type TickOutcome,
  type TickRow,
  type TickSummary,
} from "./ticks.ts";
