// Forced actions: what a person asked to run now on one endpoint, planned with the same action
// kinds as the ladder and the restore (so they change, record and undo the same way). A forced
// restore puts back, now, what the next budget day's restore would. Pure.
import { type Policy, settingsFor } from "../policy/index.ts";
import { ACTION_KINDS, type ActionContext } from "./actions/index.ts";
import { hourlyBurn } from "./metering.ts";
import type { ForceAction } from "./overrides.ts";
import { configOf, type RouteState } from "./plan.ts";
import { type DoneAction, restoreTarget } from "./restore.ts";
import type { EndpointConfig, Observation, PlannedAction } from "./types.ts";

export interface ForceInput {
  action: ForceAction;
  observation: Observation;
  route: RouteState | undefined;
  policy: Policy;
  day: string;
  overrideId: string;
  /** the reason recorded with the action, e.g. "forced by alice: traffic is legit" */
  why: string;
  /** for restore: the guardrail's actions on this endpoint carried out and not restored yet, oldest first */
  unrestored: readonly DoneAction[];
}

/** `settles`: the journal keys a forced restore puts back, to mark once it is done. */
export type ForcePlan = { ok: true; action: PlannedAction; settles: string[] } | { ok: false; message: string };

const sameConfig = (a: EndpointConfig, b: EndpointConfig): boolean =>
  a.state === b.state &&
  a.minReplica === b.minReplica &&
  a.maxReplica === b.maxReplica &&
  a.scaleToZeroTimeout === b.scaleToZeroTimeout &&
  a.route === b.route &&
  a.fallback === b.fallback;

export function planForced(input: ForceInput): ForcePlan {
  const { action, observation: o, policy, day, overrideId, why } = input;
  const config = configOf(o, input.route);
  const settings = settingsFor(policy, o.id);
  if (action === "reroute" && !settings.fallback) {
    return {
      ok: false,
      message: `no gateway service follows ${o.id} (services.<name>.primary or .endpoint), so a reroute would move no traffic; declare one first`,
    };
  }
  // A person may force what the ladder would spare (a critical endpoint, a cheap one).
  const ctx: ActionContext = { policy, settings: { ...settings, critical: false }, config, ratio: 0 };
  if (action === "restore") {
    if (input.unrestored.length === 0)
      return { ok: false, message: `the guardrail has not changed ${o.id} (or it is restored already); nothing to restore` };
    // The engine's own restore: the before-state of the guardrail's first change to each part.
    ctx.restore = restoreTarget(input.unrestored, config);
  }
  const kind = ACTION_KINDS[action];
  const after = kind.after(o, ctx);
  const noop = action === "restore" ? !kind.needed(o, ctx) : sameConfig(after, config) || (action === "pause" && o.state === "paused");
  if (noop) return { ok: false, message: `${o.id} is already in the state "${action}" would put it in; nothing to do` };
  return {
    ok: true,
    action: {
      kind: action,
      endpoint: o.id,
      key: `${day}:${action}:${o.id}:${overrideId}`,
      level: kind.level,
      change: kind.change(o, ctx),
      before: config,
      after,
      reason: why,
      hourlyMicro: hourlyBurn(o),
    },
    settles: ctx.restore?.keys ?? [],
  };
}
