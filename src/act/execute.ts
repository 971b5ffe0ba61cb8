// The executor: the one path every change takes (tick actions, forced overrides, approved actions,
// scheduled commands, restores). Journal the intent (which is also the endpoint's claim), then in
// dry run record it, else call the provider within what is left of the deadline; after a 5xx or a
// timeout read the endpoint back, since HF may have applied a change it did not acknowledge; then
// record the result with before and after, and its timeline events with it (one transaction). States
// change only as core/lifecycle.ts allows.

import type { EndpointConfig, PlannedAction } from "../core/index.ts";
import { MAX_ATTEMPTS, showsChange } from "../core/index.ts";
import type { EndpointProvider, ProviderError } from "../providers/index.ts";
import { type ActionResult, claimAnnounced, type EndpointAfter, type EventRow, finishAction, type NewEvent } from "../store/index.ts";
import { apply, callsProvider, configAfter, splitId } from "./apply.ts";
import { actionEvents } from "./events.ts";

export type ExecutionStatus = "applied" | "dry_run" | "failed" | "skipped";

export interface ExecutedAction {
  action: PlannedAction;
  status: ExecutionStatus;
  after: EndpointConfig | null;
  error: string | null;
  /** applied although the call answered an error: the endpoint read back shows the change */
  confirmed?: boolean;
  /** failed on its last allowed attempt: alert a person */
  final?: boolean;
  /** the timeline events recorded with its result (none when skipped) */
  events: EventRow[];
}

export interface ActDeps {
  db: D1Database;
  provider: EndpointProvider;
  mode: "enforce" | "dry_run";
  day: string;
  /** the time recorded on the journal rows */
  now: number;
  /** wall clock, for the deadline */
  clock: () => number;
  /** wall-clock time by which every provider call must have ended (the lease's end, less a margin) */
  deadline: number;
  /** how long an intent holds its endpoint; an older one was left by a caller that died (reconciliation resolves it) */
  claimMs: number;
  /** why an action may no longer run (an override a person made since it was planned), or null */
  heldOff?: (a: PlannedAction) => Promise<string | null>;
  /** the timeline events of a result (default: actionEvents); written with it */
  describe?: (x: Outcome) => NewEvent[];
  /** the one-shot alerts announcing an action (a restore's): written with its claim, so never lost nor sent for a claim not taken */
  announce?: (a: PlannedAction) => NewEvent[];
}

/** What an action came to, before its record. */
export type Outcome = Omit<ExecutedAction, "events">;

/** Default for callers without a tick lease (forced and scheduled actions): as long as a tick's. */
export const CLAIM_MS = 90_000;
/** Margin kept between the last call's end and the lease's end, for recording the result. */
export const RECORD_MARGIN_MS = 15_000;

const RETRYABLE: ReadonlySet<ProviderError["code"]> = new Set(["server_error", "timeout", "network", "invalid_response"]);

async function readBack(provider: EndpointProvider, a: PlannedAction): Promise<{ config: EndpointConfig; observed: EndpointAfter } | null> {
  const [ns, name] = splitId(a.endpoint);
  const res = await provider.getEndpoint(ns, name);
  if (!res.ok) return null;
  const config = configAfter(a, res.value);
  return showsChange(config, a.after, a.change) ? { config, observed: { ...res.value, endpoint: a.endpoint } } : null;
}

/** Records the result and its events in one transaction. */
async function record(deps: ActDeps, x: Outcome, result: Omit<ActionResult, "key">): Promise<ExecutedAction> {
  const events = deps.describe?.(x) ?? actionEvents(deps.now, deps.day, [x]);
  const recorded = await finishAction(deps.db, { key: x.action.key, ...result }, deps.now, events);
  return { ...x, events: recorded.events };
}

async function actOne(deps: ActDeps, a: PlannedAction): Promise<ExecutedAction> {
  const announced: EventRow[] = [];
  const x = await claimAndCarryOut(deps, a, announced);
  return announced.length > 0 ? { ...x, events: [...announced, ...x.events] } : x;
}

async function claimAndCarryOut(deps: ActDeps, a: PlannedAction, announced: EventRow[]): Promise<ExecutedAction> {
  const skipped = (error: string): ExecutedAction => ({ action: a, status: "skipped", after: null, error, events: [] });
  if (deps.clock() >= deps.deadline) return skipped("deadline reached; left for the next tick");
  const held = await deps.heldOff?.(a);
  if (held) return skipped(held);
  const announce = deps.announce?.(a) ?? [];
  const claim = await claimAnnounced(announce, deps.db, a, deps.day, deps.mode, deps.now, deps.now - deps.claimMs);
  const { attempt } = claim;
  announced.push(...claim.events);
  if (attempt === null) return skipped("already recorded, or another change to this endpoint is in flight");
  if (deps.mode === "dry_run") {
    return record(
      deps,
      { action: a, status: "dry_run", after: a.after, error: null },
      { event: "record_dry_run", after: a.after, error: null },
    );
  }
  const provider = deps.provider.within?.(deps.deadline - deps.clock()) ?? deps.provider;
  const res = await apply(provider, deps.db, a, deps.now);
  if (res.ok) {
    const { config, snapshot } = res.value;
    const observed = snapshot && { ...snapshot, endpoint: a.endpoint };
    return record(
      deps,
      { action: a, status: "applied", after: config, error: null },
      { event: "succeed", after: config, error: null, observed },
    );
  }
  const error = `${res.error.code}: ${res.error.message}`;
  // HF may have applied a change whose answer was a 5xx or never came: what it shows decides.
  const back = RETRYABLE.has(res.error.code) && callsProvider(a.change) ? await readBack(provider, a) : null;
  if (back) {
    const note = `HF answered ${error}, but reading ${a.endpoint} back shows the change`;
    return record(
      deps,
      { action: a, status: "applied", after: back.config, error: note, confirmed: true },
      { event: "succeed", after: back.config, error: note, observed: back.observed },
    );
  }
  return record(
    deps,
    { action: a, status: "failed", after: null, error, final: attempt >= MAX_ATTEMPTS },
    { event: "fail", after: null, error },
  );
}

/** Carries the actions out in order, each at most once, each recorded. */
export async function act(deps: ActDeps, actions: readonly PlannedAction[]): Promise<ExecutedAction[]> {
  const out: ExecutedAction[] = [];
  for (const a of actions) out.push(await actOne(deps, a));
  return out;
}
