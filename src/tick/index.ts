// The guard tick and its parts.

export { namedBudgets } from "./budgets.ts";
export { type ExecutedAction, executePlan, splitId } from "./execute.ts";
export { type FleetObservation, observeFleet, priceIndex, priceOf } from "./observe.ts";
export { actionEvents, alertEvent, DEFAULT_LEASE_MS, runTick, type TickDeps, type TickLogEntry, type TickReport } from "./run.ts";
