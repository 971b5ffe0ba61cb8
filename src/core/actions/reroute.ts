// reroute (second rung): send non-critical overflow traffic to the endpoint's cheaper fallback.
// The routing mode is stored; the inference gateway reads it. Only an endpoint a gateway service
// follows has a fallback (settingsFor): a reroute that would move no traffic is never planned.
// Also here: the rung's honesty checks, as alerts (a fallback no service carries; a fallback the
// guardrail capped or paused, where overflow must not land).
import { declaredFallbackProblem, type Policy, serviceFollowing } from "../../policy/index.ts";
import { actionKey } from "../keys.ts";
import type { Alert, Observation, PlannedAction } from "../types.ts";
import type { ActionKind } from "./kind.ts";

export const reroute: ActionKind = {
  name: "reroute",
  level: 2,
  verb: "reroute overflow",
  needed(_o, { settings, config }) {
    return !settings.critical && settings.fallback !== null && config.route === "primary";
  },
  change(_o, { settings }) {
    return { type: "route", mode: "overflow", fallback: settings.fallback };
  },
  after(_o, { config, settings }) {
    return { ...config, route: "overflow", fallback: settings.fallback };
  },
  reason(o, { policy, ratio, settings }) {
    const via = serviceFollowing(policy.services, o.id);
    return (
      `spend is ${(ratio * 100).toFixed(0)}% of the daily budget (>= ${(policy.thresholds.reroute * 100).toFixed(0)}%): ` +
      `overflow traffic of gateway service ${via?.name ?? "?"} goes to the fallback ${settings.fallback}`
    );
  },
};

/** At the reroute level: an endpoint whose `endpoints:` fallback no service carries is told plainly that nothing moves. */
export function rerouteWithoutServiceAlert(policy: Policy, day: string, o: Observation): Alert | null {
  const declared = policy.endpoints[o.id]?.fallback;
  if (typeof declared !== "string" || serviceFollowing(policy.services, o.id) !== null) return null;
  return {
    kind: "reroute_without_service",
    severity: "warning",
    endpoint: o.id,
    dedupKey: `${day}:reroute_without_service:${o.id}`,
    title: `Not rerouted: no traffic moves from ${o.id} to ${declared}`,
    message: `The reroute level is reached but no traffic moves: ${declaredFallbackProblem(policy, o.id)}. Until then ${o.id} keeps all its traffic and its spend.`,
    figures: { fallback: declared },
  };
}

/**
 * Drops reroutes whose fallback endpoint is paused (observed, or paused by the guardrail today or in
 * this plan) or was capped by the guardrail today or in this plan: overflow never lands on capacity
 * the guardrail took away. Each drop is an alert saying why the overflow stays on the primary.
 */
export function holdReroutesOnSpentFallbacks(
  day: string,
  actions: readonly PlannedAction[],
  observations: readonly Observation[],
  doneKeys: ReadonlySet<string>,
): { actions: PlannedAction[]; alerts: Alert[] } {
  const state = new Map(observations.map((o) => [o.id, o.state]));
  const planned = new Set(actions.map((a) => `${a.kind}:${a.endpoint}`));
  const did = (kind: "pause" | "scale_down", id: string) => planned.has(`${kind}:${id}`) || doneKeys.has(actionKey(day, kind, id));
  const spent = (id: string): "paused" | "failed" | "capped" | null => {
    const s = state.get(id);
    if (s === "paused" || s === "failed" || did("pause", id)) return s === "failed" ? "failed" : "paused";
    if (did("scale_down", id)) return "capped";
    return null;
  };
  const kept: PlannedAction[] = [];
  const alerts: Alert[] = [];
  for (const a of actions) {
    const fallback = a.kind === "reroute" && a.change.type === "route" ? a.change.fallback : null;
    const why = fallback ? spent(fallback) : null;
    if (fallback === null || why === null) {
      kept.push(a);
      continue;
    }
    const shown = why === "capped" ? "capped by the guardrail today" : why;
    const advice = {
      capped: "or mark the fallback critical so the lower rungs spare it.",
      paused: `or resume ${fallback} if it should take the overflow.`,
      failed: `or fix or replace ${fallback}.`,
    }[why];
    alerts.push({
      kind: "reroute_held",
      severity: "warning",
      endpoint: a.endpoint,
      dedupKey: `${day}:reroute_held:${a.endpoint}`,
      title: `Not rerouted: the fallback of ${a.endpoint} is ${shown}`,
      message:
        `${a.endpoint} would send its overflow to ${fallback}, but ${fallback} is ${shown}, so overflow stays on ${a.endpoint}. ` +
        `Give the service another fallback (for example HF Inference Providers), ${advice}`,
      figures: { fallback, fallback_state: shown },
    });
  }
  return { actions: kept, alerts };
}
