// The guard tick and its parts.

export { type ExecutedAction, executePlan, splitId } from "./execute.ts";
export { type FleetObservation, observeFleet, PRICES_STALE_MS, priceIndex, priceOf } from "./observe.ts";
export { actionEvents, alertEvent, DEFAULT_LEASE_MS, runTick, type TickDeps, type TickLogEntry, type TickReport } from "./run.ts";
