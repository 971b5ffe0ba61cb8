// The named budgets (`budgets:`) in the tick: today's and the month's spend per endpoint from the
// ledger, evaluated by the core into each endpoint's budget level for the planner. The fleet budget
// (`budget:`) stays the planner's own, so overrides that raise it keep working as before.
import {
  type BudgetsResult,
  earlierDaysOf,
  evaluateBudgets,
  type FleetHistory,
  hourlyBurn,
  namedRaises,
  type Observation,
  type Override,
  windowOf,
} from "../core/index.ts";
import { budgetsOf, type Policy } from "../policy/index.ts";
import { spendByEndpoint, spendByEndpointDays } from "../store/index.ts";

export async function namedBudgets(
  db: D1Database,
  policy: Policy,
  day: string,
  now: number,
  observations: readonly Observation[],
  /** the hourly-burn window's spend per endpoint; without it no budget checks its hourly burn (a scheduled command) */
  history: FleetHistory | null,
  overrides: readonly Override[] = [],
): Promise<BudgetsResult | undefined> {
  const budgets = budgetsOf(policy).slice(1);
  if (budgets.length === 0) return undefined;
  const endpoints = observations.map((o) => ({ id: o.id, tags: o.tags, burnMicroPerHour: hourlyBurn(o) }));
  // All budgets share the budget day's zone (the policy checks it), so the month is this day's month.
  const months = budgets.some((b) => b.period === "month");
  const [today, rows] = await Promise.all([spendByEndpoint(db, day), months ? spendByEndpointDays(db, `${day.slice(0, 7)}-01`, day) : []]);
  const burn = policy.triggers.hourly_burn;
  const byEndpoint = history && new Map([...history.endpoints].map(([id, h]) => [id, windowOf(h, burn.window_minutes).spendMicro]));
  return evaluateBudgets({
    budgets,
    now,
    endpoints,
    todayByEndpoint: today,
    earlierDays: earlierDaysOf(budgets, endpoints, rows),
    ...(byEndpoint ? { window: { byEndpoint, minutes: burn.window_minutes, budgetDivisor: burn.budget_divisor } } : {}),
    raises: namedRaises(overrides, day),
  });
}
