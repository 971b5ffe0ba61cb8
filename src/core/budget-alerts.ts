// What a named budget says: one budget_level alert per level it reached, its hourly burn and its
// forecast to the end of its period, each with its name in the title and in `figures.budget` (for SNS
// filter policies), and action reasons that name it. Pure.
import type { Policy } from "../policy/index.ts";
import { ruleFor } from "./approvals.ts";
import type { BudgetState, BudgetsResult, EndpointBudgetLevel } from "./budgets.ts";
import { hoursUntil } from "./forecast.ts";
import { levelName, thresholdOf } from "./ladder.ts";
import { formatUsd } from "./money.ts";
import type { Alert, Level, PlannedAction, Severity } from "./types.ts";

/** A budget level alert's severity, the fleet's and a named budget's alike. */
export const LEVEL_SEVERITY: Record<Exclude<Level, 0>, Severity> = { 1: "warning", 2: "critical", 3: "critical" };
const EFFECT: Record<Exclude<Level, 0>, string> = {
  1: "non-critical endpoints are capped and may scale to zero",
  2: "non-critical overflow is rerouted to fallbacks",
  3: "expensive non-critical endpoints are paused",
};

/** What a level does, as the alert says it: "Non-critical endpoints are capped ..." (the fleet), "Its non-critical ..." (a named budget). */
export const levelEffect = (level: Exclude<Level, 0>, ofNamedBudget: boolean): string =>
  ofNamedBudget ? `Its ${EFFECT[level]}` : `${EFFECT[level].charAt(0).toUpperCase()}${EFFECT[level].slice(1)}`;

/**
 * A budget level alert's dedup key: `<day>:budget_level:<level>[:<budget>]`, with `:dry_run` after it
 * in dry run. A level alert says what the guardrail did; the same level reached in dry run and then
 * acted on in enforce the same day (a mode switch) are two things to tell, so each mode has its key,
 * and a steady mode still sends one per level per day.
 */
export const levelAlertKey = (day: string, level: Exclude<Level, 0>, mode: Policy["mode"], budget?: string): string =>
  `${day}:budget_level:${level}${budget === undefined ? "" : `:${budget}`}${mode === "dry_run" ? ":dry_run" : ""}`;

/**
 * What the level's effect waits on, as the alert says it: nothing in dry run (" (dry run: recorded,
 * nothing changed)"), or a person when the policy's `approvals` names the level — the actions are
 * requested, not carried out, so "endpoints are paused" alone would say what did not happen.
 */
export function effectNote(policy: Pick<Policy, "mode" | "approvals">, level: Exclude<Level, 0>): string {
  const name = levelName(level);
  const rule = ruleFor(policy.approvals, level);
  const approval = rule
    ? ` once a person approves each (approvals.${name}; if nobody answers within ${rule.wait_minutes} min: ${rule.on_timeout === "run" ? "carried out" : "held for the day"})`
    : "";
  return `${approval}${policy.mode === "dry_run" ? " (dry run: recorded, nothing changed)" : ""}`;
}

const finite = (r: number | null) => (r !== null && Number.isFinite(r) ? Number(r.toFixed(4)) : null);

function levelAlert(s: BudgetState, level: Exclude<Level, 0>, day: string, policy: Pick<Policy, "mode" | "approvals">): Alert {
  const note = effectNote(policy, level);
  const threshold = thresholdOf(level, s.thresholds);
  const byPace = s.ladderLevel < level;
  const pct = `${(threshold * 100).toFixed(0)}%`;
  const title = byPace
    ? `Budget "${s.name}": today's spend crossed ${pct} of today's allowance (${levelName(level)})`
    : `Budget "${s.name}": spend crossed ${pct} of its ${s.period === "day" ? "daily" : "monthly"} budget (${levelName(level)})`;
  return {
    kind: "budget_level",
    severity: LEVEL_SEVERITY[level],
    endpoint: null,
    dedupKey: levelAlertKey(day, level, policy.mode, s.name),
    title,
    message: `${s.reason}; burning ${formatUsd(s.burnMicroPerHour)}/h. ${levelEffect(level, true)} (${s.members.length} endpoint(s) in "${s.name}")${note}.`,
    figures: {
      budget: s.name,
      period: s.bounds.period,
      spend_usd: s.spendMicro / 1e6,
      amount_usd: s.amountMicro / 1e6,
      ratio: Number(s.ratio.toFixed(4)),
      today_usd: s.todayMicro / 1e6,
      allowance_usd: s.allowance ? s.allowance.micro / 1e6 : null,
      pace_ratio: finite(s.paceRatio),
      level,
      threshold,
      burn_usd_per_hour: s.burnMicroPerHour / 1e6,
    },
  };
}

function hourlyBurnAlert(s: BudgetState, day: string, minutes: number): Alert | null {
  const h = s.hourlyBurn;
  if (!h?.over) return null;
  const daily = s.allowance ? `today's allowance ${formatUsd(s.allowance.micro)}` : `the daily budget ${formatUsd(s.amountMicro)}`;
  return {
    kind: "hourly_burn",
    severity: "warning",
    endpoint: null,
    dedupKey: `${day}:hourly_burn:budget:${s.name}`,
    title: `Investigate now: budget "${s.name}" spent ${formatUsd(h.windowMicro)} in the last ${minutes} minutes`,
    message:
      `The ${s.members.length} endpoint(s) and ${s.services.length} service(s) of "${s.name}" spent ${formatUsd(h.windowMicro)} in the last ` +
      `${minutes} minutes, over ${formatUsd(h.limitMicro)} (${daily}, divided as the policy's hourly_burn says).`,
    figures: { budget: s.name, spend_window_usd: h.windowMicro / 1e6, limit_usd: h.limitMicro / 1e6, window_minutes: minutes },
  };
}

function forecastAlerts(s: BudgetState, day: string, triggers: Policy["triggers"]): Alert[] {
  const t = triggers.forecast;
  if (!t.enabled) return [];
  const rungs = [...(t.budget ? [1] : []), s.thresholds.scale_down, s.thresholds.reroute, s.thresholds.shutdown];
  const f = { ...s.forecast, endOfDayMicro: s.forecast.endMicro, burnMicroPerHour: s.burnMicroPerHour };
  const until = s.period === "month" ? "the month ends" : "the day ends";
  return rungs
    .filter((r) => s.forecast.ratio >= r && s.ratio < r)
    .map((r): Alert => {
      const eta = hoursUntil(r, s.spendMicro, f, s.amountMicro);
      const at =
        eta === null ? `before ${until}` : `in about ${eta < 1 ? `${Math.max(1, Math.round(eta * 60))} min` : `${eta.toFixed(1)} h`}`;
      return {
        kind: "forecast",
        severity: r >= s.thresholds.shutdown ? "critical" : "warning",
        endpoint: null,
        dedupKey: `${day}:forecast:${r}:${s.name}`,
        title: `Forecast: budget "${s.name}" reaches ${Math.round(r * 100)}% ${at}`,
        message:
          `At the current burn of ${formatUsd(s.burnMicroPerHour)}/h, "${s.name}" ends ${s.bounds.period} at ${formatUsd(s.forecast.endMicro)}, ` +
          `${Math.round(s.forecast.ratio * 100)}% of its ${formatUsd(s.amountMicro)} (spent so far ${formatUsd(s.spendMicro)}).`,
        figures: {
          budget: s.name,
          period: s.bounds.period,
          forecast_usd: s.forecast.endMicro / 1e6,
          forecast_ratio: Number(s.forecast.ratio.toFixed(4)),
          threshold: r,
          spend_usd: s.spendMicro / 1e6,
          hours_to_threshold: eta === null ? null : Number(eta.toFixed(2)),
          hours_left: Number(s.forecast.hoursLeft.toFixed(2)),
        },
      };
    });
}

/**
 * The alerts of the named budgets: every level each reached (an active condition all day, like the
 * fleet budget's), an hourly burn over its limit, and forecast crossings to the end of its period.
 */
export function budgetAlerts(result: BudgetsResult, day: string, policy: Pick<Policy, "mode" | "triggers" | "approvals">): Alert[] {
  const out: Alert[] = [];
  for (const s of result.budgets) {
    for (let l = 1; l <= s.level; l++) out.push(levelAlert(s, l as Exclude<Level, 0>, day, policy));
    const burn = policy.triggers.hourly_burn.enabled ? hourlyBurnAlert(s, day, policy.triggers.hourly_burn.window_minutes) : null;
    if (burn) out.push(burn);
    out.push(...forecastAlerts(s, day, policy.triggers));
  }
  return out;
}

/**
 * A trigger's scale-up of an endpoint one of whose budgets is above normal does not happen: the
 * action is dropped and its scale_up alert becomes scale_up_held, naming the budget.
 */
export function heldScaleUps(
  triggered: { alerts: readonly Alert[]; actions: readonly PlannedAction[] },
  byBudget: (id: string) => EndpointBudgetLevel | undefined,
  day: string,
): { alerts: Alert[]; actions: PlannedAction[] } {
  const held = (id: string | null) => (id === null ? undefined : byBudget(id)?.level ? byBudget(id) : undefined);
  const alerts = triggered.alerts.map((a): Alert => {
    const by = a.kind === "scale_up" ? held(a.endpoint) : undefined;
    if (!by) return a;
    return {
      ...a,
      kind: "scale_up_held",
      severity: "warning",
      dedupKey: `${day}:scale_up_held:${a.endpoint}`,
      title: `Scale-up of ${a.endpoint} held back: budget "${by.budget}" is at ${levelName(by.level)}`,
      message: `${a.endpoint} needs capacity but the guardrail did not add a replica: ${by.reason}. Decide by hand whether the traffic is worth the money.`,
      figures: { ...a.figures, held_by: "budget", budget: by.budget },
    };
  });
  return { alerts, actions: triggered.actions.filter((x) => x.kind !== "scale_up" || !held(x.endpoint)) };
}

// The ladder kinds open their reason with the fleet's figures; an action a named budget caused says that budget's instead.
const FLEET_CLAUSE = /^spend is \d+% of the daily budget \(>= \d+%\): /;

/** `reason` of a ladder action, with the budget that set the endpoint's level in place of the fleet's figures. */
export function budgetActionReason(reason: string, by: EndpointBudgetLevel): string {
  return FLEET_CLAUSE.test(reason) ? reason.replace(FLEET_CLAUSE, `${by.reason}: `) : `${by.reason}: ${reason}`;
}
