// The action state machine: every state a guardrail change can be in and the one table of which
// event moves it where. The store builds its conditional SQL from this table, so no other module
// decides a transition. Pure. Diagram and meanings: docs/actions.md.
import type { ConfigPart } from "./actions/restore.ts";
import { differingParts } from "./actions/restore.ts";
import type { Change, EndpointConfig } from "./types.ts";

export const ACTION_STATES = [
  /** planned this tick, nothing stored yet (only in the plan) */
  "planned",
  /** waiting for a person (approvals table: pending) */
  "held",
  "approved",
  "rejected",
  /** journaled before the provider call: the call may or may not have landed */
  "intent",
  /** the change is in effect (answered, or confirmed by reading the endpoint back) */
  "applied",
  /** the call failed and the endpoint does not show the change; retried while attempts remain */
  "failed",
  /** recorded in dry run: nothing changed; settles nothing in enforce */
  "dry_run",
  /** put back by a restore */
  "restored",
  /** overtaken: a higher rung or a schedule owns the part now, nothing to put back */
  "superseded",
  /** a person changed the part since: their change stands (alerted) */
  "left_by_person",
] as const;
export type ActionState = (typeof ACTION_STATES)[number];

/** States stored in the journal (actions.status); the approval states live in the approvals table. */
export type JournalState = Exclude<ActionState, "planned" | "held" | "approved" | "rejected">;

export type ActionEvent =
  | "request_approval"
  | "approve"
  | "reject"
  | "claim"
  | "record_dry_run"
  | "succeed"
  | "fail"
  | "confirm"
  | "lose"
  | "restore"
  | "leave"
  | "supersede";

/** "new" is the absence of a journal row. */
type From = ActionState | "new";

const TRANSITIONS: Record<ActionEvent, { from: readonly From[]; to: ActionState }> = {
  request_approval: { from: ["planned"], to: "held" },
  approve: { from: ["held"], to: "approved" },
  reject: { from: ["held"], to: "rejected" },
  // A claim writes the intent. failed: only while attempts remain, and only in enforce; dry_run: only in enforce (see claimSources).
  claim: { from: ["new", "planned", "approved", "failed", "dry_run"], to: "intent" },
  record_dry_run: { from: ["intent"], to: "dry_run" },
  succeed: { from: ["intent"], to: "applied" },
  fail: { from: ["intent"], to: "failed" },
  // Reconciliation: HF shows the change although its answer was lost or an error.
  confirm: { from: ["intent", "failed"], to: "applied" },
  // Reconciliation: a dead tick's intent that HF does not show.
  lose: { from: ["intent"], to: "failed" },
  restore: { from: ["applied"], to: "restored" },
  leave: { from: ["applied"], to: "left_by_person" },
  supersede: { from: ["applied", "failed"], to: "superseded" },
};

/** How many times one action key is tried in a budget day before it alerts and stops. */
export const MAX_ATTEMPTS = 3;

/** The state `event` moves `from` to, or null when the machine does not allow it. */
export function next(from: From, event: ActionEvent): ActionState | null {
  const t = TRANSITIONS[event];
  return t.from.includes(from) ? t.to : null;
}

/** The journal states `event` may start from (for the store's conditional UPDATE). */
export function sourcesOf(event: ActionEvent): JournalState[] {
  return TRANSITIONS[event].from.filter((s): s is JournalState => isJournalState(s));
}

export function targetOf(event: ActionEvent): ActionState {
  return TRANSITIONS[event].to;
}

function isJournalState(s: From): s is JournalState {
  return s !== "new" && s !== "planned" && s !== "held" && s !== "approved" && s !== "rejected";
}

/**
 * Which existing journal rows a claim may take over in `mode`. In enforce: a failed attempt with
 * attempts left, and a dry-run record, which never settles an enforce action. In dry run: none — a
 * failed enforce attempt stays as it is (its call, error and attempt count are the record of what
 * happened), to be retried when enforce is back.
 */
export function claimSources(mode: "enforce" | "dry_run"): JournalState[] {
  return mode === "enforce" ? sourcesOf("claim") : sourcesOf("claim").filter((s) => s !== "failed" && s !== "dry_run");
}

/**
 * Journal states that settle an action key for the rest of the budget day in `mode` (the planner
 * skips them). In dry run a failed enforce attempt settles too: dry run has nothing to add to it.
 */
export function settledStates(mode: "enforce" | "dry_run"): JournalState[] {
  const always: JournalState[] = ["applied", "restored", "superseded", "left_by_person"];
  return mode === "dry_run" ? [...always, "dry_run", "failed"] : always;
}

/** The parts of the endpoint configuration a change touches. */
export function partsOf(change: Change): ConfigPart[] {
  switch (change.type) {
    case "hf_update":
      return ["scaling"];
    case "hf_pause":
    case "hf_resume":
      return ["state"];
    case "route":
      return ["route"];
    case "sequence":
      return [...new Set(change.steps.flatMap(partsOf))];
  }
}

/** True when `current` shows every part `change` was to set as `expected` has it. */
export function showsChange(current: EndpointConfig, expected: EndpointConfig, change: Change): boolean {
  return differingParts(current, scalingAsSent(current, expected, change), partsOf(change)).length === 0;
}

/**
 * HF keeps the last scaleToZeroTimeout when a PUT does not send one: compare only the scaling
 * fields the change sent, so a body without a timeout is shown whatever the timeout is.
 */
function scalingAsSent(current: EndpointConfig, expected: EndpointConfig, change: Change): EndpointConfig {
  const sent = sentScaling(change);
  if (sent === null) return expected;
  return {
    ...expected,
    minReplica: sent.minReplica ?? current.minReplica,
    maxReplica: sent.maxReplica ?? current.maxReplica,
    scaleToZeroTimeout: sent.scaleToZeroTimeout ?? current.scaleToZeroTimeout,
  };
}

function sentScaling(change: Change): { minReplica?: number; maxReplica?: number; scaleToZeroTimeout?: number } | null {
  if (change.type === "hf_update") return change.body.compute?.scaling ?? null;
  if (change.type === "sequence") {
    const all = change.steps.map(sentScaling).filter((s) => s !== null);
    return all.length === 0 ? null : Object.assign({}, ...all);
  }
  return null;
}
