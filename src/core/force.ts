// Forced actions: what a person asked to run now on one endpoint, planned with the same action
// kinds as the ladder (so they change, record and undo the same way), or a restore of the
// configuration the endpoint had before the guardrail's first change today. Pure.
import { type Policy, settingsFor } from "../policy/index.ts";
import { ACTION_KINDS, type ActionContext } from "./actions/index.ts";
import { hourlyBurn } from "./metering.ts";
import type { ForceAction } from "./overrides.ts";
import { configOf, type RouteState } from "./plan.ts";
import type { EndpointConfig, Observation, PlannedAction } from "./types.ts";

/** What the action journal says about one endpoint today, oldest first. */
export interface JournalEntry {
  kind: string;
  status: string;
  before: EndpointConfig;
}

export interface ForceInput {
  action: ForceAction;
  observation: Observation;
  route: RouteState | undefined;
  policy: Policy;
  day: string;
  overrideId: string;
  /** the reason recorded with every step, e.g. "forced by alice: traffic is legit" */
  why: string;
  journal: readonly JournalEntry[];
}

export type ForcePlan = { ok: true; actions: PlannedAction[] } | { ok: false; message: string };

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
  if (action === "restore") return planRestore(input, config);
  const settings = settingsFor(policy, o.id);
  if (action === "reroute" && !settings.fallback) {
    return { ok: false, message: `${o.id} has no fallback in the policy (endpoints["${o.id}"].fallback), so it cannot be rerouted` };
  }
  // A person may force what the ladder would spare (a critical endpoint, a cheap one).
  const ctx: ActionContext = { policy, settings: { ...settings, critical: false }, config, ratio: 0 };
  const kind = ACTION_KINDS[action];
  const after = kind.after(o, ctx);
  if (sameConfig(after, config) || (action === "pause" && o.state === "paused")) {
    return { ok: false, message: `${o.id} is already in the state "${action}" would put it in; nothing to do` };
  }
  return {
    ok: true,
    actions: [
      {
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
    ],
  };
}

/** The before-state of the guardrail's first change since the last restore today. */
export function savedBeforeState(journal: readonly JournalEntry[]): EndpointConfig | null {
  let start = 0;
  journal.forEach((e, i) => {
    if (e.kind === "restore" && e.status === "done") start = i + 1;
  });
  return journal.slice(start).find((e) => e.kind !== "restore" && e.status === "done")?.before ?? null;
}

function planRestore(input: ForceInput, current: EndpointConfig): ForcePlan {
  const { observation: o, day, overrideId, why } = input;
  const target = savedBeforeState(input.journal);
  if (!target) return { ok: false, message: `the guardrail has not changed ${o.id} today; nothing to restore` };
  const actions: PlannedAction[] = [];
  let config = current;
  const step = (name: string, change: PlannedAction["change"], after: EndpointConfig) => {
    actions.push({
      kind: "restore",
      endpoint: o.id,
      key: `${day}:restore:${o.id}:${overrideId}:${name}`,
      level: 0,
      change,
      before: config,
      after,
      reason: why,
      hourlyMicro: hourlyBurn(o),
    });
    config = after;
  };
  if (config.state === "paused" && target.state !== "paused") step("resume", { type: "hf_resume" }, { ...config, state: "running" });
  const scalingDiffers =
    config.minReplica !== target.minReplica ||
    config.maxReplica !== target.maxReplica ||
    (target.scaleToZeroTimeout !== null && config.scaleToZeroTimeout !== target.scaleToZeroTimeout);
  if (scalingDiffers) {
    // HF cannot unset scaleToZeroTimeout; with minReplica >= 1 it has no effect anyway.
    const scaling = {
      minReplica: target.minReplica,
      maxReplica: target.maxReplica,
      ...(target.scaleToZeroTimeout === null ? {} : { scaleToZeroTimeout: target.scaleToZeroTimeout }),
    };
    step(
      "scaling",
      { type: "hf_update", body: { compute: { scaling } } },
      {
        ...config,
        minReplica: target.minReplica,
        maxReplica: target.maxReplica,
        scaleToZeroTimeout: target.scaleToZeroTimeout ?? config.scaleToZeroTimeout,
      },
    );
  }
  if (config.route !== target.route || config.fallback !== target.fallback) {
    step(
      "route",
      { type: "route", mode: target.route, fallback: target.fallback },
      { ...config, route: target.route, fallback: target.fallback },
    );
  }
  if (actions.length === 0) return { ok: false, message: `${o.id} already has its configuration from before the guardrail's changes` };
  return { ok: true, actions };
}
