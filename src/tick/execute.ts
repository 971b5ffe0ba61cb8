// The executor: carries out planned actions through the provider and the route store, writing
// the intent before and the result after, so every action is recorded, done once and undoable.
import { configOf } from "../core/index.ts";
import type { Change, EndpointConfig, PlannedAction } from "../core/types.ts";
import type { EndpointProvider, EndpointSnapshot, ProviderResult } from "../providers/types.ts";
import { claimAction, finishAction, setRoute } from "../store/index.ts";

export type ExecutionStatus = "done" | "dry_run" | "failed" | "skipped";

export interface ExecutedAction {
  action: PlannedAction;
  status: ExecutionStatus;
  after: EndpointConfig | null;
  error: string | null;
}

export interface ExecuteDeps {
  db: D1Database;
  provider: EndpointProvider;
  mode: "enforce" | "dry_run";
  day: string;
  now: number;
  /** intents older than this were left by a tick that died and may be claimed again */
  staleBefore: number;
  /** false once the tick is past its deadline: remaining actions wait for the next tick */
  inTime: () => boolean;
}

/** The configuration after an action, and the endpoint as the provider last answered it (null: no HF call). */
interface Applied {
  config: EndpointConfig;
  snapshot: EndpointSnapshot | null;
}

async function apply(provider: EndpointProvider, db: D1Database, a: PlannedAction, now: number): Promise<ProviderResult<Applied>> {
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
  const o = res.value;
  return {
    ok: true,
    value: {
      config: configOf({ ...o, id: a.endpoint, priceMicroPerHour: null }, { mode: a.before.route, fallback: a.before.fallback }),
      snapshot: o,
    },
  };
}

export function splitId(id: string): [string, string] {
  const i = id.indexOf("/");
  return [id.slice(0, i), id.slice(i + 1)];
}

export async function executePlan(deps: ExecuteDeps, actions: readonly PlannedAction[]): Promise<ExecutedAction[]> {
  const out: ExecutedAction[] = [];
  for (const a of actions) {
    if (!deps.inTime()) {
      out.push({ action: a, status: "skipped", after: null, error: "tick deadline reached; left for the next tick" });
      continue;
    }
    const claimed = await claimAction(deps.db, a, deps.day, deps.mode, deps.now, deps.staleBefore);
    if (!claimed) {
      out.push({ action: a, status: "skipped", after: null, error: "already recorded by another tick" });
      continue;
    }
    if (deps.mode === "dry_run") {
      await finishAction(deps.db, a.key, "dry_run", a.after, null, deps.now);
      out.push({ action: a, status: "dry_run", after: a.after, error: null });
      continue;
    }
    const res = await apply(deps.provider, deps.db, a, deps.now);
    if (res.ok) {
      const { config, snapshot } = res.value;
      await finishAction(deps.db, a.key, "done", config, null, deps.now, snapshot && { ...snapshot, endpoint: a.endpoint });
      out.push({ action: a, status: "done", after: config, error: null });
    } else {
      const error = `${res.error.code}: ${res.error.message}`;
      await finishAction(deps.db, a.key, "failed", null, error, deps.now);
      out.push({ action: a, status: "failed", after: null, error });
    }
  }
  return out;
}
