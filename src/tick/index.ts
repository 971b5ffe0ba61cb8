// The guard tick and its parts.

export { type ExecutedAction, executePlan, splitId } from "./execute.ts";
export { type FleetObservation, observeFleet, priceIndex, priceOf } from "./observe.ts";
export { alertEvent, DEFAULT_LEASE_MS, runTick, type TickDeps, type TickLogEntry, type TickReport } from "./run.ts";
