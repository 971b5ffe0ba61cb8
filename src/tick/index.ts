// The guard tick and its parts.
export { runTick, DEFAULT_LEASE_MS, type TickDeps, type TickReport, type TickLogEntry } from "./run.ts";
export { observeFleet, priceIndex, priceOf, type FleetObservation } from "./observe.ts";
export { executePlan, splitId, type ExecutedAction } from "./execute.ts";
