// Carrying one change out: HF calls for scaling and pause/resume, the route store for routing;
// a sequence stops at its first failure. The answer is turned into the configuration after it.

import type { Change, EndpointConfig, PlannedAction } from "../core/index.ts";
import { configOf } from "../core/index.ts";
import type { EndpointProvider, EndpointSnapshot, ProviderResult } from "../providers/index.ts";
import { setRoute } from "../store/index.ts";

/** The configuration after an action, and the endpoint as the provider last answered it (null: no HF call). */
export interface Applied {
  config: EndpointConfig;
  snapshot: EndpointSnapshot | null;
}

export function splitId(id: string): [string, string] {
  const i = id.indexOf("/");
  return [id.slice(0, i), id.slice(i + 1)];
}

/** The configuration an endpoint snapshot shows, with the route the action started from. */
export const configAfter = (a: PlannedAction, o: EndpointSnapshot, route = { mode: a.before.route, fallback: a.before.fallback }) =>
  configOf({ ...o, id: a.endpoint, priceMicroPerHour: null }, route);

/** True when the change calls HF (a read-back can tell whether it landed). */
export function callsProvider(change: Change): boolean {
  return change.type === "sequence" ? change.steps.some(callsProvider) : change.type !== "route";
}

export async function apply(provider: EndpointProvider, db: D1Database, a: PlannedAction, now: number): Promise<ProviderResult<Applied>> {
  const [ns, name] = splitId(a.endpoint);
  const change: Change = a.change;
  let res: ProviderResult<EndpointSnapshot>;
  switch (change.type) {
    case "route":
      await setRoute(db, a.endpoint, change.mode, change.fallback, a.reason, now);
      return { ok: true, value: { config: { ...a.before, route: change.mode, fallback: change.fallback }, snapshot: null } };
    case "hf_update":
      res = await provider.updateEndpoint(ns, name, change.body);
      break;
    case "hf_pause":
      res = await provider.pauseEndpoint(ns, name);
      break;
    case "hf_resume":
      res = await provider.resumeEndpoint(ns, name);
      break;
    case "sequence": {
      // Each step starts from the configuration the previous one left; the first failure stops the rest.
      let config = a.before;
      let snapshot: EndpointSnapshot | null = null;
      for (const step of change.steps) {
        const done = await apply(provider, db, { ...a, change: step, before: config }, now);
        if (!done.ok) return done;
        config = done.value.config;
        snapshot = done.value.snapshot ?? snapshot;
      }
      return { ok: true, value: { config, snapshot } };
    }
  }
  if (!res.ok) return res;
  return { ok: true, value: { config: configAfter(a, res.value), snapshot: res.value } };
}
