// The guard tick and its parts.

export { actionEvents, type ExecutedAction, splitId } from "../act/index.ts";
export { namedBudgets } from "./budgets.ts";
export { type FleetObservation, observeFleet, PRICES_STALE_MS, priceIndex, priceOf } from "./observe.ts";
export { DEFAULT_LEASE_MS, runTick, type TickDeps, type TickLogEntry, type TickReport } from "./run.ts";
