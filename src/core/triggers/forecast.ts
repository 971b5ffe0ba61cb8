// forecast: today's spend plus the current burn until the end of the budget day crosses a threshold
// (100 % of the budget and each rung of the ladder) while spend itself has not: hours of warning.
import { hoursUntil } from "../forecast.ts";
import { formatUsd, microToUsd } from "../money.ts";
import type { Alert } from "../types.ts";
import { NONE, round, type Trigger } from "./kind.ts";

export const forecast: Trigger = {
  name: "forecast",
  evaluate(ctx) {
    const t = ctx.policy.triggers.forecast;
    const f = ctx.forecast;
    if (!t.enabled || !f) return NONE;
    const { thresholds } = ctx.policy;
    const ladder: Array<[number, string]> = [
      [thresholds.scale_down, "replicas of non-critical endpoints get capped"],
      [thresholds.reroute, "non-critical overflow goes to fallbacks"],
      [thresholds.shutdown, "expensive non-critical endpoints get paused"],
    ];
    if (t.budget) ladder.unshift([1, "the daily budget is spent"]);
    const alerts: Alert[] = [];
    for (const [ratio, then] of ladder) {
      if (!(f.ratio >= ratio) || ctx.ratio >= ratio) continue;
      const eta = hoursUntil(ratio, ctx.spendMicro, f, ctx.budgetMicro);
      const at =
        eta === null ? "before the day ends" : `in about ${eta < 1 ? `${Math.max(1, Math.round(eta * 60))} min` : `${round(eta, 1)} h`}`;
      alerts.push({
        kind: "forecast",
        severity: ratio >= thresholds.shutdown ? "critical" : "warning",
        endpoint: null,
        dedupKey: `${ctx.day}:forecast:${ratio}`,
        title: `Forecast: ${Math.round(ratio * 100)}% of the budget reached ${at}`,
        message:
          `At the current burn of ${formatUsd(f.burnMicroPerHour)}/h the day ends at ${formatUsd(f.endOfDayMicro)}, ` +
          `${Math.round(f.ratio * 100)}% of the ${formatUsd(ctx.budgetMicro)} budget (spent so far ${formatUsd(ctx.spendMicro)}). ` +
          `At ${Math.round(ratio * 100)}% ${then}. Lower the burn now, or raise the budget if this day is expected.`,
        figures: {
          forecast_usd: round(microToUsd(f.endOfDayMicro), 4),
          forecast_ratio: round(f.ratio, 4),
          threshold: ratio,
          spend_usd: round(microToUsd(ctx.spendMicro), 4),
          burn_usd_per_hour: round(microToUsd(f.burnMicroPerHour), 4),
          hours_to_threshold: eta === null ? null : round(eta),
          hours_left: round(f.hoursLeft),
        },
      });
    }
    return { alerts, actions: [] };
  },
};
