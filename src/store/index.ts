// D1 access, one module per table family; SQL lives only here and in infra/migrations.
export { takeLease, releaseLease, TICK_LEASE } from "./lease.ts";
export {
  loadMeterPoints,
  recordMetering,
  spendByEndpoint,
  spendToday,
  dayLevel,
  raiseDayLevel,
  lastObservations,
  type EndpointAccrual,
  type StoredEndpoint,
} from "./ledger.ts";
export { settledKeys, claimAction, finishAction, actionsOfDay, MAX_ATTEMPTS, type ActionRow, type ActionStatus } from "./actions.ts";
export { recordEvents, listEvents, type NewEvent, type EventRow, type EventFilter, type EventType } from "./events.ts";
export { loadRoutes, setRoute } from "./routes.ts";
export { startTick, finishTick, recentTicks, type TickRow, type TickSummary, type TickOutcome } from "./ticks.ts";
