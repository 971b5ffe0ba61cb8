// What a named budget says when it acts: one budget_level alert per level it reached, its name in the
// title and in `figures.budget` (for SNS filter policies), and action reasons that name it. Pure.
import type { BudgetState, BudgetsResult, EndpointBudgetLevel } from "./budgets.ts";
import { levelName, thresholdOf } from "./ladder.ts";
import { formatUsd } from "./money.ts";
import type { Alert, Level, Severity } from "./types.ts";

const SEVERITY: Record<Exclude<Level, 0>, Severity> = { 1: "warning", 2: "critical", 3: "critical" };
const EFFECT: Record<Exclude<Level, 0>, string> = {
  1: "Its non-critical endpoints are capped and may scale to zero",
  2: "Its non-critical overflow is rerouted to fallbacks",
  3: "Its expensive non-critical endpoints are paused",
};

const finite = (r: number | null) => (r !== null && Number.isFinite(r) ? Number(r.toFixed(4)) : null);

function levelAlert(s: BudgetState, level: Exclude<Level, 0>, day: string, dryRun: boolean): Alert {
  const threshold = thresholdOf(level, s.thresholds);
  const byPace = s.ladderLevel < level;
  const pct = `${(threshold * 100).toFixed(0)}%`;
  const title = byPace
    ? `Budget "${s.name}": today's spend crossed ${pct} of today's allowance (${levelName(level)})`
    : `Budget "${s.name}": spend crossed ${pct} of its ${s.period === "day" ? "daily" : "monthly"} budget (${levelName(level)})`;
  return {
    kind: "budget_level",
    severity: SEVERITY[level],
    endpoint: null,
    dedupKey: `${day}:budget_level:${level}:${s.name}`,
    title,
    message:
      `${s.reason}; burning ${formatUsd(s.burnMicroPerHour)}/h. ${EFFECT[level]} (${s.members.length} endpoint(s) in "${s.name}")` +
      `${dryRun ? " (dry run: recorded, nothing changed)" : ""}.`,
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

/** Every level each budget reached stays an active condition all day, like the fleet budget's. */
export function budgetLevelAlerts(result: BudgetsResult, day: string, dryRun: boolean): Alert[] {
  const out: Alert[] = [];
  for (const s of result.budgets) for (let l = 1; l <= s.level; l++) out.push(levelAlert(s, l as Exclude<Level, 0>, day, dryRun));
  return out;
}

// The ladder kinds open their reason with the fleet's figures; an action a named budget caused says that budget's instead.
const FLEET_CLAUSE = /^spend is \d+% of the daily budget \(>= \d+%\): /;

/** `reason` of a ladder action, with the budget that set the endpoint's level in place of the fleet's figures. */
export function budgetActionReason(reason: string, by: EndpointBudgetLevel): string {
  return FLEET_CLAUSE.test(reason) ? reason.replace(FLEET_CLAUSE, `${by.reason}: `) : `${by.reason}: ${reason}`;
}
