// Restore planning: at the start of a new budget day, for each endpoint the guardrail changed on an
// earlier day, put back the saved before-state, unless someone changed the endpoint since (the
// current configuration no longer matches what the guardrail set): then alert, never overwrite. Pure.
import type { EndpointSettings, Policy } from "../policy/index.ts";
import { type ConfigPart, differingParts, restore } from "./actions/restore.ts";
import { hourlyBurn } from "./metering.ts";
import type { Alert, Change, EndpointConfig, Observation, PlannedAction } from "./types.ts";

/** An action the guardrail carried out (status done) and has not restored yet, from the journal, oldest first. */
export interface DoneAction {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  change: Change;
  before: EndpointConfig;
  after: EndpointConfig | null;
}

export interface RestoreTarget {
  parts: ConfigPart[];
  /** the configuration before the guardrail's first change to each part */
  to: EndpointConfig;
  /** the configuration the guardrail's last change to each part left */
  expected: EndpointConfig;
  /** the journal keys this restore settles */
  keys: string[];
  /** the first budget day whose changes are put back */
  since: string;
}

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

function pick(base: EndpointConfig, from: EndpointConfig, part: ConfigPart): EndpointConfig {
  if (part === "scaling")
    return { ...base, minReplica: from.minReplica, maxReplica: from.maxReplica, scaleToZeroTimeout: from.scaleToZeroTimeout };
  if (part === "state") return { ...base, state: from.state };
  return { ...base, route: from.route, fallback: from.fallback };
}

/** Folds one endpoint's actions (oldest first) into what to put back and what the guardrail left. */
export function restoreTarget(actions: readonly DoneAction[], current: EndpointConfig): RestoreTarget {
  let to = current;
  let expected = current;
  const parts: ConfigPart[] = [];
  for (const a of actions) {
    for (const part of partsOf(a.change)) {
      if (!parts.includes(part)) {
        parts.push(part);
        to = pick(to, a.before, part);
      }
      expected = pick(expected, a.after ?? a.before, part);
    }
  }
  return { parts, to, expected, keys: actions.map((a) => a.key), since: actions[0]?.day ?? "" };
}

export interface RestoreInput {
  policy: Policy;
  day: string;
  candidates: readonly DoneAction[];
  observations: readonly Observation[];
  /** current configuration (observation + stored route) of an observed endpoint */
  configOf: (o: Observation) => EndpointConfig;
  settingsOf: (id: string) => EndpointSettings;
  /** namespaces that could not be listed this tick: their endpoints wait */
  failedNamespaces: readonly string[];
}

export interface RestorePlan {
  actions: PlannedAction[];
  alerts: Alert[];
  /** journal keys settled without an action: skipped (someone changed it, or it is gone) or nothing left to put back */
  settled: Array<{ keys: string[]; status: "skipped" | "done" }>;
}

const describe = (c: EndpointConfig, parts: readonly ConfigPart[]) =>
  parts
    .map((p) =>
      p === "scaling"
        ? `replicas ${c.minReplica}-${c.maxReplica}${c.scaleToZeroTimeout === null ? "" : `, scale to zero after ${c.scaleToZeroTimeout} min`}`
        : p === "state"
          ? c.state === "paused"
            ? "paused"
            : "not paused"
          : `route ${c.route}${c.fallback ? ` via ${c.fallback}` : ""}`,
    )
    .join("; ");

export function planRestores(input: RestoreInput): RestorePlan {
  const { day, candidates, policy } = input;
  const out: RestorePlan = { actions: [], alerts: [], settled: [] };
  const byEndpoint = new Map<string, DoneAction[]>();
  for (const a of candidates) byEndpoint.set(a.endpoint, [...(byEndpoint.get(a.endpoint) ?? []), a]);
  const observed = new Map(input.observations.map((o) => [o.id, o]));

  const skip = (id: string, keys: string[], title: string, message: string, figures: Alert["figures"]) => {
    out.settled.push({ keys, status: "skipped" });
    out.alerts.push({
      kind: "restore_skipped",
      severity: "warning",
      endpoint: id,
      dedupKey: `${day}:restore_skipped:${id}`,
      title,
      message,
      figures,
    });
  };

  for (const [id, actions] of byEndpoint) {
    const o = observed.get(id);
    const keys = actions.map((a) => a.key);
    if (!o) {
      if (input.failedNamespaces.includes(id.slice(0, id.indexOf("/")))) continue; // not seen this tick: wait
      skip(
        id,
        keys,
        `Nothing to restore on ${id}: it no longer exists`,
        `The guardrail changed ${id} on ${actions[0]?.day} but the endpoint is gone from its namespace, so there is nothing to put back.`,
        { actions: actions.length },
      );
      continue;
    }
    const current = input.configOf(o);
    const target = restoreTarget(actions, current);
    const changed = differingParts(current, target.expected, target.parts);
    if (changed.length > 0) {
      skip(
        id,
        keys,
        `Did not restore ${id}: it was changed since the guardrail acted`,
        `The guardrail left ${id} at "${describe(target.expected, changed)}" on ${target.since}, but it is now ` +
          `"${describe(current, changed)}"${o.updatedBy ? ` (last updated by ${o.updatedBy})` : ""}. A person's change stands: ` +
          `the guardrail did not put back "${describe(target.to, target.parts)}". Check the endpoint is configured as intended.`,
        { changed: changed.join(","), since: target.since },
      );
      continue;
    }
    const ctx = { policy, settings: input.settingsOf(id), config: current, ratio: 0, restore: target };
    if (!restore.needed(o, ctx)) {
      out.settled.push({ keys, status: "done" });
      continue;
    }
    const action: PlannedAction = {
      kind: "restore",
      endpoint: id,
      key: `${day}:restore:${id}`,
      level: 0,
      change: restore.change(o, ctx),
      before: current,
      after: restore.after(o, ctx),
      reason: restore.reason(o, ctx),
      hourlyMicro: hourlyBurn(o),
    };
    out.actions.push(action);
    out.alerts.push({
      kind: "restore",
      severity: "info",
      endpoint: id,
      dedupKey: `${day}:restore:${id}`,
      title: `Restoring ${id} after the budget day ended`,
      message: `${action.reason}. Nobody changed the endpoint since the guardrail did, so its earlier configuration comes back.`,
      figures: { since: target.since, actions: actions.length },
    });
  }
  return out;
}
