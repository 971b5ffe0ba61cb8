// Restore planning: at the start of a new budget day, for each endpoint the guardrail changed on an
// earlier day, put back the saved before-state of exactly the parts (scaling, paused or not, route)
// the guardrail still owns. Per part: a part a schedule set since belongs to the schedule (its
// change is the desired state until its next entry); a part already back where it was (a restore
// that stopped half way, or a person) needs nothing; a part someone else changed stays as they left
// it, with an alert. Pure.
import type { EndpointSettings, Policy } from "../policy/index.ts";
import { type ConfigPart, differingParts, restore } from "./actions/restore.ts";
import { partsOf } from "./lifecycle.ts";
import { hourlyBurn } from "./metering.ts";
import type { Alert, Change, EndpointConfig, Observation, PlannedAction } from "./types.ts";

/** An applied change from the journal, oldest first: the guardrail's, or a schedule command's (kind schedule_scale). */
export interface DoneAction {
  key: string;
  day: string;
  kind: string;
  endpoint: string;
  change: Change;
  before: EndpointConfig;
  after: EndpointConfig | null;
  /** who HF said made the change when it answered (the guardrail's own HF identity); null when unknown */
  appliedBy?: string | null;
}

/** Where settled journal rows go (lifecycle events restore, leave, supersede). */
export interface RestoreMark {
  keys: string[];
  status: "restored" | "left_by_person" | "superseded";
}

export interface RestoreTarget {
  /** the parts the guardrail owns (changed it, and no schedule set it since) */
  parts: ConfigPart[];
  /** the configuration before the guardrail's first change to each owned part */
  to: EndpointConfig;
  /** the configuration the guardrail's last change to each owned part left */
  expected: EndpointConfig;
  /** the guardrail's journal keys per owned part */
  keysOf: Partial<Record<ConfigPart, string[]>>;
  /** all the guardrail's journal keys this target covers */
  keys: string[];
  /** guardrail keys whose every part a schedule took over since: nothing to put back */
  superseded: string[];
  /** the first budget day whose changes are put back */
  since: string;
}

function pick(base: EndpointConfig, from: EndpointConfig, part: ConfigPart): EndpointConfig {
  if (part === "scaling")
    return { ...base, minReplica: from.minReplica, maxReplica: from.maxReplica, scaleToZeroTimeout: from.scaleToZeroTimeout };
  if (part === "state") return { ...base, state: from.state };
  return { ...base, route: from.route, fallback: from.fallback };
}

const isSchedule = (a: DoneAction) => a.kind === "schedule_scale";

/** Folds one endpoint's applied changes (oldest first) into what to put back and what the guardrail left. */
export function restoreTarget(actions: readonly DoneAction[], current: EndpointConfig): RestoreTarget {
  let to = current;
  let expected = current;
  const keysOf: Partial<Record<ConfigPart, string[]>> = {};
  for (const a of actions) {
    for (const part of partsOf(a.change)) {
      if (isSchedule(a)) {
        // The schedule owns the part from here; a later guardrail change starts from the schedule's state.
        delete keysOf[part];
        continue;
      }
      if (!keysOf[part]) {
        keysOf[part] = [];
        to = pick(to, a.before, part);
      }
      keysOf[part].push(a.key);
      expected = pick(expected, a.after ?? a.before, part);
    }
  }
  const parts = (["scaling", "state", "route"] as const).filter((p) => keysOf[p] !== undefined);
  const owned = new Set(parts.flatMap((p) => keysOf[p] ?? []));
  const guardrail = actions.filter((a) => !isSchedule(a));
  return {
    parts,
    to,
    expected,
    keysOf,
    keys: guardrail.filter((a) => owned.has(a.key)).map((a) => a.key),
    superseded: guardrail.filter((a) => !owned.has(a.key)).map((a) => a.key),
    since: guardrail[0]?.day ?? "",
  };
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
  /** journal keys settled without an action (a person's change, a schedule's, gone, or already back) */
  settled: RestoreMark[];
  /** per restore action key, the journal keys it settles once applied */
  settles: Record<string, string[]>;
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

/**
 * Who HF says last updated the endpoint, as a clause. HF keeps only the last updater: when that is
 * the guardrail's own identity (a later change of its own), HF no longer says which person it was.
 */
function lastUpdater(o: Observation, actions: readonly DoneAction[], unknown: string): string {
  const own = new Set(actions.map((a) => a.appliedBy).filter((n): n is string => typeof n === "string" && n !== ""));
  if (o.updatedBy === null) return unknown;
  return own.has(o.updatedBy)
    ? ` (HF names the guardrail's own later change as the last update, so who changed it is not known)`
    : ` (last updated by ${o.updatedBy})`;
}

/** Per part: back where it was, still as the guardrail left it (to put back), or changed by someone else. */
export function splitParts(current: EndpointConfig, target: RestoreTarget) {
  const back: ConfigPart[] = [];
  const toRestore: ConfigPart[] = [];
  const changed: ConfigPart[] = [];
  // HF cannot unset a scale-to-zero timeout: a restored endpoint keeps the last one (no effect with minReplica >= 1).
  const to = { ...target.to, scaleToZeroTimeout: target.to.scaleToZeroTimeout ?? current.scaleToZeroTimeout };
  for (const p of target.parts) {
    if (differingParts(current, to, [p]).length === 0) back.push(p);
    else if (differingParts(current, target.expected, [p]).length === 0) toRestore.push(p);
    else changed.push(p);
  }
  return { back, toRestore, changed };
}

export function planRestores(input: RestoreInput): RestorePlan {
  const { day, candidates, policy } = input;
  const dryRun = policy.mode === "dry_run";
  const out: RestorePlan = { actions: [], alerts: [], settled: [], settles: {} };
  const byEndpoint = new Map<string, DoneAction[]>();
  for (const a of candidates) byEndpoint.set(a.endpoint, [...(byEndpoint.get(a.endpoint) ?? []), a]);
  const observed = new Map(input.observations.map((o) => [o.id, o]));
  const settle = (keys: string[], status: RestoreMark["status"]) => {
    if (keys.length > 0) out.settled.push({ keys, status });
  };

  for (const [id, actions] of byEndpoint) {
    if (actions.every(isSchedule)) continue;
    const o = observed.get(id);
    if (!o) {
      if (input.failedNamespaces.includes(id.slice(0, id.indexOf("/")))) continue; // not seen this tick: wait
      const keys = actions.filter((a) => !isSchedule(a)).map((a) => a.key);
      settle(keys, "superseded");
      out.alerts.push({
        kind: "restore_skipped",
        severity: "warning",
        endpoint: id,
        dedupKey: `${day}:restore_skipped:${id}`,
        title: `Nothing to restore on ${id}: it no longer exists`,
        message: `The guardrail changed ${id} on ${actions[0]?.day} but the endpoint is gone from its namespace, so there is nothing to put back.`,
        figures: { actions: keys.length },
      });
      continue;
    }
    const current = input.configOf(o);
    const target = restoreTarget(actions, current);
    settle(target.superseded, "superseded");
    const { back, toRestore, changed } = splitParts(current, target);
    const keysOfParts = (parts: readonly ConfigPart[]) => [...new Set(parts.flatMap((p) => target.keysOf[p] ?? []))];
    const restoring = new Set(keysOfParts(toRestore));
    // A key spanning a restored part and another part settles with the restore.
    const backKeys = keysOfParts(back).filter((k) => !restoring.has(k));
    settle(backKeys, "restored");
    // Parts already back as before (a person, or a restore that stopped half way): said in the restore alert.
    const alreadyBack =
      back.length === 0
        ? ""
        : `"${describe(target.expected, back)}", as the guardrail had left it, is now "${describe(current, back)}" again, as before its change` +
          lastUpdater(o, actions, " (HF does not say who put it back)");
    const backFigures: Record<string, string> =
      back.length === 0 ? {} : { already_back: back.join(","), left: describe(target.expected, back), now: describe(current, back) };
    if (changed.length > 0) {
      // The alert must not name the guardrail as the person who changed the part (lastUpdater).
      const who = lastUpdater(o, actions, "");
      const left = keysOfParts(changed).filter((k) => !restoring.has(k) && !keysOfParts(back).includes(k));
      settle(left, "left_by_person");
      out.alerts.push({
        kind: "restore_skipped",
        severity: "warning",
        endpoint: id,
        dedupKey: `${day}:restore_skipped:${id}`,
        title: `Did not restore ${describe(current, changed)} on ${id}: it was changed since the guardrail acted`,
        message:
          `The guardrail left ${id} at "${describe(target.expected, changed)}" on ${target.since}, but it is now ` +
          `"${describe(current, changed)}"${who}. A person's change stands: ` +
          `the guardrail did not put back "${describe(target.to, changed)}"` +
          (toRestore.length > 0 ? `; it does put back ${describe(target.to, toRestore)}` : "") +
          ". Check the endpoint is configured as intended.",
        figures: { changed: changed.join(","), since: target.since },
      });
    }
    const ctx = { policy, settings: input.settingsOf(id), config: current, ratio: 0, restore: { ...target, parts: toRestore } };
    if (toRestore.length === 0 || !restore.needed(o, ctx)) {
      settle([...restoring], "restored");
      // Nothing to put back: the journal rows settle as restored, and the timeline says why and who.
      if (back.length > 0)
        out.alerts.push({
          kind: "restore",
          severity: "info",
          endpoint: id,
          dedupKey: `${day}:restore:${id}`,
          title: `Nothing to restore on ${id}: it is already back as before the guardrail's change`,
          message: `The guardrail changed ${id} on ${target.since}: ${alreadyBack}. Nothing is put back; its changes count as restored.`,
          figures: { since: target.since, actions: backKeys.length + restoring.size, ...backFigures },
        });
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
    out.settles[action.key] = [...restoring];
    out.alerts.push({
      kind: "restore",
      severity: "info",
      endpoint: id,
      // The action's own key: the alert announces it, and is written with its claim (Plan.announces).
      dedupKey: action.key,
      title: dryRun ? `Would restore ${id} after the budget day ended (dry run)` : `Restoring ${id} after the budget day ended`,
      message:
        `${action.reason}. Nobody changed ${describe(current, toRestore)} since the guardrail did, so its earlier configuration comes back` +
        (dryRun ? " once you enforce again (dry run: recorded, nothing changed)." : ".") +
        (alreadyBack ? ` Already back: ${alreadyBack}.` : ""),
      figures: { since: target.since, actions: restoring.size, ...backFigures },
    });
  }
  return out;
}
