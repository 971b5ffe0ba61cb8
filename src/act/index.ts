// The executor and its journal: every change the guardrail makes goes through act(), and every
// unresolved row through reconcile(). See docs/actions.md.
export { callsProvider, splitId } from "./apply.ts";
export { actionEvents, alertEvent, failedAlert } from "./events.ts";
export { type ActDeps, act, CLAIM_MS, type ExecutedAction, type ExecutionStatus, type Outcome, RECORD_MARGIN_MS } from "./execute.ts";
export { type Reconciled, type ReconcileInput, reconcile } from "./reconcile.ts";
