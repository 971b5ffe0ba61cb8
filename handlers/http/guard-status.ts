// The engine's part of GET /v1/status: blind or not, the end-of-day forecast, pending restores.
import { budgetDayBounds } from "../../src/core/budget-day.ts";
import { forecastEndOfDay } from "../../src/core/forecast.ts";
import { microToUsd } from "../../src/core/index.ts";
import type { Policy } from "../../src/policy/index.ts";
import { loadGuard, pendingRestores } from "../../src/store/index.ts";

/**
 * `budgetMicro`: today's budget in force (with an active raise), as the planner's forecast alert uses.
 * `spendAsOf`: when `spendMicro` was metered (the last tick): the forecast runs from there, as the tick's
 * own forecast does, so the status page and /v1/status agree to the cent whenever they are read.
 */
export async function guardStatus(
  db: D1Database,
  policy: Policy,
  day: string,
  now: number,
  spendMicro: number,
  burnMicroPerHour: number,
  budgetMicro: number,
  spendAsOf: number | null = null,
) {
  const [guard, pending] = await Promise.all([loadGuard(db), pendingRestores(db, day)]);
  const bounds = budgetDayBounds(now, policy.budget.timezone);
  // A forecast only for the budget day in progress.
  const from = spendAsOf === null ? now : Math.min(now, Math.max(bounds.start, spendAsOf));
  const f = bounds.day === day ? forecastEndOfDay(spendMicro, burnMicroPerHour, budgetMicro, from, bounds.end) : null;
  return {
    blind: {
      blind: guard.blindStreak >= policy.blind.after_ticks,
      failed_ticks: guard.blindStreak,
      since: guard.blindSince === null ? null : new Date(guard.blindSince).toISOString(),
      failed_namespaces: guard.failedNamespaces,
      after_ticks: policy.blind.after_ticks,
      on_blind: policy.blind.on_blind,
    },
    forecast: f && {
      end_of_day_usd: microToUsd(Math.round(f.endOfDayMicro)),
      ratio: Number(f.ratio.toFixed(4)),
      hours_left: Number(f.hoursLeft.toFixed(2)),
    },
    restore: { mode: policy.restore, pending_actions: pending },
  };
}
