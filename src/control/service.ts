// Human control, the shell: turns a request (from the override webhook or Slack) into an override,
// an approval decision, or a forced action, checked against the policy and the fleet. Bad requests
// are values naming the field; nothing is stored unless everything checks out.

import { act, CLAIM_MS, type ExecutedAction, RECORD_MARGIN_MS, splitId } from "../act/index.ts";
import type { PlannedAction } from "../core/index.ts";
import { alertCondition, budgetDayBounds, checkRaise, type Override, parseDuration, planForced } from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import type { EndpointProvider } from "../providers/index.ts";
import {
  type ApprovalRow,
  activeOverrides,
  alertKeyKnown,
  decideApproval,
  endOverrides,
  eventsStatement,
  getOverride,
  loadRoutes,
  markRestored,
  observedEndpoint,
  createOverride as storeOverride,
  unrestoredActions,
} from "../store/index.ts";
import { decisionEvent, overrideCreatedEvent, overridesEndedEvent } from "./events.ts";
import type { CreateRequest, DecisionRequest } from "./requests.ts";

export interface ControlDeps {
  db: D1Database;
  policy: Policy;
  provider: EndpointProvider;
  now: number;
  /** wall clock for the calls' deadline; default: `now` (no deadline passes) */
  clock?: () => number;
}

export interface ControlError {
  status: 400 | 404 | 409 | 422 | 502;
  code: string;
  /** the request field at fault, e.g. `duration` */
  field: string;
  message: string;
}

export type ControlResult<T> = { ok: true; value: T } | { ok: false; error: ControlError };

const refuse = (status: ControlError["status"], code: string, field: string, message: string): { ok: false; error: ControlError } => ({
  ok: false,
  error: { status, code, field, message: `${field}: ${message}` },
});

export const newOverrideId = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `ovr_${Array.from(bytes, (b) => "abcdefghijklmnopqrstuvwxyz234567"[b & 31]).join("")}`;
};

const dayOf = (deps: ControlDeps) => budgetDayBounds(deps.now, deps.policy.budget.timezone);

/** `duration` or `until`, in the future and within the policy's maximum. */
export function resolveUntil(
  req: { duration?: string | undefined; until?: string | undefined },
  policy: Policy,
  now: number,
): ControlResult<number> {
  const maxMs = policy.overrides.max_duration_hours * 3_600_000;
  const max = `${policy.overrides.max_duration_hours}h (policy overrides.max_duration_hours)`;
  if (req.duration !== undefined && req.until !== undefined)
    return refuse(400, "invalid_request", "until", "give duration or until, not both");
  if (req.duration !== undefined) {
    const ms = parseDuration(req.duration);
    if (ms === null)
      return refuse(400, "invalid_request", "duration", `"${req.duration}" is not a duration (examples: 30m, 2h, 1h30m, 1d)`);
    if (ms > maxMs) return refuse(400, "invalid_request", "duration", `${req.duration} is over the maximum of ${max}`);
    return { ok: true, value: now + ms };
  }
  if (req.until !== undefined) {
    const until = Date.parse(req.until);
    if (until <= now) return refuse(400, "invalid_request", "until", "must be in the future");
    if (until - now > maxMs) return refuse(400, "invalid_request", "until", `is more than the maximum of ${max} from now`);
    return { ok: true, value: until };
  }
  return refuse(400, "invalid_request", "duration", "required: a duration such as 2h (or until, an ISO time)");
}

/** An endpoint the guardrail guards: in a guarded namespace, and observed or named in the policy. */
async function checkEndpoint(deps: ControlDeps, endpoint: string): Promise<ControlError | null> {
  if (endpoint === "*") return null;
  const [ns] = splitId(endpoint);
  if (!deps.policy.hf.namespaces.includes(ns)) {
    return refuse(
      422,
      "unknown_endpoint",
      "endpoint",
      `namespace "${ns}" is not guarded (hf.namespaces: ${deps.policy.hf.namespaces.join(", ")})`,
    ).error;
  }
  if (endpoint in deps.policy.endpoints || (await observedEndpoint(deps.db, endpoint))) return null;
  return refuse(422, "unknown_endpoint", "endpoint", `${endpoint} is not an endpoint the guardrail has seen in ${ns}`).error;
}

export interface Created {
  override: Override;
  /** forced actions, as carried out (or recorded in dry run) */
  executed: ExecutedAction[];
}

export async function createOverride(deps: ControlDeps, req: CreateRequest, source: Override["source"]): Promise<ControlResult<Created>> {
  const until = resolveUntil(req, deps.policy, deps.now);
  if (!until.ok) return until;
  const { day, end } = dayOf(deps);
  const base = { id: newOverrideId(), reason: req.reason, actor: req.actor, source, day, createdAt: deps.now, until: until.value };
  let override: Override;
  switch (req.op) {
    case "suspend": {
      const bad = await checkEndpoint(deps, req.endpoint);
      if (bad) return { ok: false, error: bad };
      override = { ...base, op: "suspend", endpoint: req.endpoint };
      break;
    }
    case "ack": {
      const condition = alertCondition(req.dedup_key);
      // An ack of a key no alert ever had would silence nothing: say so rather than store it.
      if (!(await alertKeyKnown(deps.db, req.dedup_key, condition)))
        return refuse(
          404,
          "not_found",
          "dedup_key",
          `no alert with key ${req.dedup_key} (on any budget day): copy the key from /v1/events (dedupKey) or the alert's SNS message (dedup_key)`,
        );
      override = { ...base, op: "ack", endpoint: null, condition };
      break;
    }
    case "raise_budget": {
      const raise = checkRaise(deps.policy, req);
      if (!raise.ok) return refuse(400, "invalid_request", raise.field, raise.message);
      const { budgetUsd } = raise;
      // A raise is for today only: it ends at the end of the budget day at the latest.
      override = {
        ...base,
        op: "raise_budget",
        endpoint: null,
        budgetUsd,
        percent: req.percent ?? null,
        budget: raise.budget,
        until: Math.min(until.value, end),
      };
      break;
    }
    case "force": {
      if (req.endpoint === "*" && req.action !== "restore")
        return refuse(400, "invalid_request", "endpoint", `"*" only works with action restore`);
      const bad = await checkEndpoint(deps, req.endpoint);
      if (bad) return { ok: false, error: bad };
      override = { ...base, op: "force", endpoint: req.endpoint, action: req.action };
      const planned = await planForce(deps, override);
      if (!planned.ok) return planned;
      await storeOverride(deps.db, override, overrideCreatedEvent(override));
      // The same executor and per-endpoint claim as the tick: a forced action never races a tick's call.
      const executed = await act(
        {
          db: deps.db,
          provider: deps.provider,
          mode: deps.policy.mode,
          day,
          now: deps.now,
          clock: deps.clock ?? (() => deps.now),
          deadline: (deps.clock?.() ?? deps.now) + CLAIM_MS - RECORD_MARGIN_MS,
          claimMs: CLAIM_MS,
        },
        planned.value.map((p) => p.action),
      );
      // A restore that ran settles the journal entries it put back, so the next day's restore skips them.
      const settled = planned.value.filter((p, i) => executed[i]?.status === "applied" && p.settles.length > 0);
      await markRestored(deps.db, [{ keys: settled.flatMap((p) => p.settles), status: "restored" }], deps.now);
      return { ok: true, value: { override, executed } };
    }
  }
  await storeOverride(deps.db, override, overrideCreatedEvent(override));
  return { ok: true, value: { override, executed: [] } };
}

/** Reads the endpoint(s) fresh from the provider and plans the forced action; nothing runs yet. */
async function planForce(deps: ControlDeps, o: Override & { op: "force" }): Promise<ControlResult<ForcePlanned[]>> {
  const unrestored = o.action === "restore" ? await unrestoredActions(deps.db) : [];
  const targets = o.endpoint === "*" ? [...new Set(unrestored.map((a) => a.endpoint))] : [o.endpoint ?? ""];
  if (targets.length === 0)
    return refuse(409, "nothing_to_do", "endpoint", "the guardrail has no change left to put back; nothing to restore");
  const routes = await loadRoutes(deps.db);
  const planned: ForcePlanned[] = [];
  const problems: string[] = [];
  for (const id of targets) {
    const [ns, name] = splitId(id);
    const fresh = await deps.provider.getEndpoint(ns, name);
    if (!fresh.ok) {
      if (fresh.error.code === "not_found") return refuse(422, "unknown_endpoint", "endpoint", `${id} does not exist at the provider`);
      return refuse(502, "provider_error", "endpoint", `could not read ${id}: ${fresh.error.message}`);
    }
    const stored = await observedEndpoint(deps.db, id);
    const plan = planForced({
      action: o.action,
      observation: { ...fresh.value, id, priceMicroPerHour: stored?.observation.priceMicroPerHour ?? null },
      route: routes.get(id),
      policy: deps.policy,
      day: o.day,
      overrideId: o.id,
      why: `forced by ${o.actor}: ${o.reason}`,
      unrestored: unrestored.filter((a) => a.endpoint === id),
    });
    if (plan.ok) planned.push({ action: plan.action, settles: plan.settles });
    else problems.push(plan.message);
  }
  if (planned.length === 0) return refuse(409, "nothing_to_do", "action", problems.join("; "));
  return { ok: true, value: planned };
}

interface ForcePlanned {
  action: PlannedAction;
  settles: string[];
}

/** Ends one override early. */
export async function endOverride(
  deps: ControlDeps,
  id: string,
  actor: string,
  reason: string | undefined,
): Promise<ControlResult<Override>> {
  const stored = await getOverride(deps.db, id);
  if (!stored) return refuse(404, "not_found", "id", `no override ${id}`);
  const [ended] = await endOverrides(deps.db, [id], deps.now, actor, (list) => overridesEndedEvent(list, actor, reason, deps.now));
  if (!ended) return refuse(409, "not_active", "id", `override ${id} has already ${stored.endedAt === null ? "expired" : "ended"}`);
  return { ok: true, value: ended };
}

/** `/guardrail resume <endpoint>`: ends the suspensions of that endpoint (or of "*"). */
export async function resumeEndpoint(deps: ControlDeps, endpoint: string, actor: string): Promise<Override[]> {
  const ids = (await activeOverrides(deps.db, deps.now)).filter((o) => o.op === "suspend" && o.endpoint === endpoint).map((o) => o.id);
  return endOverrides(deps.db, ids, deps.now, actor, (list) => overridesEndedEvent(list, actor, "resumed", deps.now));
}

/** A person's answer to an action waiting for approval today. */
export async function decide(
  deps: ControlDeps,
  req: DecisionRequest | { op: "approve" | "reject"; key: string; actor: string; reason: string },
): Promise<ControlResult<ApprovalRow>> {
  const key = "key" in req ? req.key : `${dayOf(deps).day}:${req.action}:${req.endpoint}`;
  const decided = await decideApproval(deps.db, key, req.op === "approve" ? "approved" : "rejected", req.actor, req.reason, deps.now);
  if (!decided)
    return refuse(
      404,
      "not_found",
      "action",
      `no ${key.split(":")[1] ?? "action"} of ${key.split(":").slice(2).join(":")} is waiting for approval today`,
    );
  await eventsStatement(deps.db, [decisionEvent(decided, deps.now)]).run();
  return { ok: true, value: decided };
}
