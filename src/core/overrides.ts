// Overrides: a person's temporary decisions, applied to one tick's planning. Pure: the shell
// passes only the overrides active at the tick's time.
//   suspend       no automatic actions for an endpoint (or "*") until it expires; alerts continue
//   raise_budget  a higher budget for the budget day it was made on (absolute or percent): the fleet
//                 budget, or the named budget it names
//   force         one action run at once (src/control); until it expires the guardrail leaves
//                 that endpoint alone, so it does not fight the person's decision
//   ack           silences one alert condition (its dedup key without the day) until it expires
import { budgetsOf, FLEET_BUDGET, type Policy } from "../policy/index.ts";
import { formatUsd, type MicroUsd, usdToMicro } from "./money.ts";
import type { PlanInput } from "./plan.ts";
import type { ActionKindName, Alert, Plan } from "./types.ts";

export const OVERRIDE_OPS = ["suspend", "raise_budget", "force", "ack"] as const;
export type OverrideOp = (typeof OVERRIDE_OPS)[number];

export const FORCE_ACTIONS = ["scale_down", "reroute", "pause", "restore"] as const satisfies readonly ActionKindName[];
export type ForceAction = (typeof FORCE_ACTIONS)[number];

interface OverrideBase {
  id: string;
  /** `ns/name`, `*` for every endpoint, null when the operation is not about one (raise_budget, ack) */
  endpoint: string | null;
  reason: string;
  /** who asked: a name from the webhook, `slack:<user id>` from Slack */
  actor: string;
  source: "webhook" | "slack";
  /** the budget day it was made on */
  day: string;
  createdAt: number;
  until: number;
}

export type Override = OverrideBase &
  (
    | { op: "suspend" }
    | {
        op: "raise_budget";
        budgetUsd: number;
        percent: number | null;
        /** the named budget (`budgets[].name`) it raises; null for the fleet budget (`budget:`) */
        budget: string | null;
      }
    | { op: "force"; action: ForceAction }
    | { op: "ack"; condition: string }
  );

const DAY_PREFIX = /^\d{4}-\d{2}-\d{2}:/;

/** An alert's condition: its dedup key without the leading budget day, so an ack outlives midnight. */
export const alertCondition = (dedupKey: string): string => dedupKey.replace(DAY_PREFIX, "");

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** "90m", "2h", "1h30m", "1d": milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(?:(\d{1,4})d)?(?:(\d{1,5})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/.exec(text.trim());
  if (!m || text.trim() === "") return null;
  const [, d, h, min, s] = m;
  const ms = Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(min ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s;
  return ms > 0 ? ms : null;
}

/** A raise given as percent becomes an absolute budget; the newest raise of the day wins. */
export const raisedBudgetUsd = (amountUsd: number, percent: number): number => Math.round(amountUsd * (1 + percent / 100) * 100) / 100;

type Raise = Override & { op: "raise_budget" };

/** The newest raise of `day` of one budget: the fleet's (null, the default) or a named budget's. */
export function activeRaise(overrides: readonly Override[], day: string, budget: string | null = null): Raise | null {
  let found: Raise | null = null;
  for (const o of overrides) {
    if (o.op === "raise_budget" && (o.budget ?? null) === budget && o.day === day && (found === null || o.createdAt > found.createdAt))
      found = o;
  }
  return found;
}

/** The newest raise of `day` per named budget, by name: what `evaluateBudgets` takes as `raises`. */
export function namedRaises(overrides: readonly Override[], day: string): Map<string, Raise> {
  const out = new Map<string, Raise>();
  for (const o of overrides) {
    const name = o.op === "raise_budget" ? (o.budget ?? null) : null;
    if (o.op !== "raise_budget" || name === null || o.day !== day) continue;
    const known = out.get(name);
    if (!known || o.createdAt > known.createdAt) out.set(name, o);
  }
  return out;
}

export type RaiseCheck =
  | { ok: true; budget: string | null; budgetUsd: number }
  | { ok: false; field: "budget" | "budget_usd" | "percent"; message: string };

/**
 * What a raise request asks, checked against the policy: which budget (absent or "fleet": the fleet
 * budget), and an amount above that budget's own. Unknown budget names are refused with the known ones.
 */
export function checkRaise(
  policy: Policy,
  req: { budget?: string | undefined; budget_usd?: number | undefined; percent?: number | undefined },
): RaiseCheck {
  if (req.budget_usd !== undefined && req.percent !== undefined)
    return { ok: false, field: "percent", message: "give budget_usd or percent, not both" };
  if (req.budget_usd === undefined && req.percent === undefined)
    return { ok: false, field: "budget_usd", message: "required: budget_usd (today's budget in USD) or percent" };
  const budgets = budgetsOf(policy);
  const spec = budgets.find((b) => b.name === (req.budget ?? FLEET_BUDGET));
  if (!spec) {
    return {
      ok: false,
      field: "budget",
      message: `no budget "${req.budget}" in the policy; its budgets are ${budgets.map((b) => `"${b.name}"`).join(", ")}`,
    };
  }
  const budgetUsd = req.budget_usd ?? raisedBudgetUsd(spec.amountUsd, req.percent ?? 0);
  if (budgetUsd <= spec.amountUsd) {
    const whose = spec.name === FLEET_BUDGET ? "the policy's" : `budget "${spec.name}"'s`;
    return {
      ok: false,
      field: req.budget_usd === undefined ? "percent" : "budget_usd",
      message: `must raise the budget above ${whose} ${formatUsd(usdToMicro(spec.amountUsd))}`,
    };
  }
  return { ok: true, budget: spec.name === FLEET_BUDGET ? null : spec.name, budgetUsd };
}

/** The override that holds automatic actions off `endpoint`, if any (suspend, or a recent force). */
export function holdOn(overrides: readonly Override[], endpoint: string): Override | null {
  return overrides.find((o) => (o.op === "suspend" || o.op === "force") && (o.endpoint === "*" || o.endpoint === endpoint)) ?? null;
}

/** The actions a suspend or force does not hold off. */
export const withoutHeld = <A extends { endpoint: string }>(overrides: readonly Override[], actions: readonly A[]): A[] =>
  actions.filter((a) => holdOn(overrides, a.endpoint) === null);

/**
 * Before planning: a raised budget replaces the policy's for today, and the ladder restarts from
 * the level today's spend reaches under it (the crossings it alerts about are then new ones).
 */
export function withOverrides(input: PlanInput): PlanInput {
  const raise = activeRaise(input.overrides ?? [], input.day);
  if (!raise) return input;
  const policy: Policy = { ...input.policy, budget: { ...input.policy.budget, daily_usd: raise.budgetUsd } };
  return { ...input, policy, previousLevel: 0 };
}

/** The conditions acked now, each with when its earliest active ack was made. */
export function ackedConditions(overrides: readonly Override[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of overrides) if (o.op === "ack") out.set(o.condition, Math.min(o.createdAt, out.get(o.condition) ?? o.createdAt));
  return out;
}

/**
 * After planning: drop held actions, tie budget alerts to the raise, and move acknowledged alerts
 * to `acked` (not recorded or sent, but their conditions still hold: the outbox must not read an
 * ack as a recovery).
 */
export function applyOverrides(input: PlanInput, plan: Plan): Plan {
  const overrides = input.overrides ?? [];
  if (overrides.length === 0) return plan;
  const fleetRaise = activeRaise(overrides, input.day);
  const raises = namedRaises(overrides, input.day);
  const acks = ackedConditions(overrides);
  const alerts: Alert[] = [];
  const acked: Alert[] = [];
  for (const a of plan.alerts) {
    // A budget level alert is tied to the raise of its own budget: the fleet's, or the named one in its figures.
    const raise =
      a.kind !== "budget_level" ? null : a.figures.budget === undefined ? fleetRaise : (raises.get(String(a.figures.budget)) ?? null);
    const shown = raise
      ? {
          ...a,
          // A crossing under the raised budget is a new condition, once per raise.
          dedupKey: `${a.dedupKey}:raise:${raise.id}`,
          message: `${a.message} Budget raised to ${formatUsd(usdToMicro(raise.budgetUsd))} for today by ${raise.actor}: ${raise.reason}.`,
          figures: { ...a.figures, raised_by: raise.actor, override: raise.id },
        }
      : a;
    // An ack names the condition as the person saw it: with or without the raise's suffix.
    const silenced = acks.has(alertCondition(a.dedupKey)) || acks.has(alertCondition(shown.dedupKey));
    (silenced ? acked : alerts).push(shown);
  }
  return { ...plan, actions: withoutHeld(overrides, plan.actions), alerts, ...(acked.length > 0 ? { acked } : {}) };
}

/** The budget in force for `day`, for the read side (status, metrics). */
export function effectiveBudgetMicro(policy: Policy, overrides: readonly Override[], day: string): MicroUsd {
  return usdToMicro(activeRaise(overrides, day)?.budgetUsd ?? policy.budget.daily_usd);
}
