// The named budgets (`budgets:`) in the tick: today's and the month's spend per endpoint from the
// ledger, evaluated by the core into each endpoint's budget level for the planner. The fleet budget
// (`budget:`) stays the planner's own, so overrides that raise it keep working as before.
import {
  type BudgetsResult,
  budgetDayBounds,
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
import { type GatewaySpend, gatewaySpendBetween, spendByEndpoint, spendByEndpointDays } from "../store/index.ts";

/** Token-priced spend per gateway service. */
function byService(g: GatewaySpend | null): Map<string, number> | undefined {
  if (!g) return undefined;
  const out = new Map<string, number>();
  for (const r of g.rows) out.set(r.service, (out.get(r.service) ?? 0) + r.spendMicro);
  return out;
}

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
  const burn = policy.triggers.hourly_burn;
  // Budgets that scope gateway services count the services' token-priced spend: today's, and the
  // hourly-burn window's (also the services' current burn). Only then are the gateway's counters read.
  const services = budgets.some((b) => b.scope.all || b.scope.services.length > 0);
  const bounds = budgetDayBounds(now, policy.budget.timezone);
  const windowMs = burn.window_minutes * 60_000;
  const [today, rows, gatewayToday, gatewayWindow] = await Promise.all([
    spendByEndpoint(db, day),
    months ? spendByEndpointDays(db, `${day.slice(0, 7)}-01`, day) : [],
    services ? gatewaySpendBetween(db, bounds.start, bounds.end) : null,
    services ? gatewaySpendBetween(db, now - windowMs, now + 60_000) : null,
  ]);
  const todayByService = byService(gatewayToday);
  const windowByService = byService(gatewayWindow);
  const burnByService = windowByService && new Map([...windowByService].map(([s, m]) => [s, Math.round((m * 60) / burn.window_minutes)]));
  const byEndpoint = history && new Map([...history.endpoints].map(([id, h]) => [id, windowOf(h, burn.window_minutes).spendMicro]));
  return evaluateBudgets({
    budgets,
    now,
    endpoints,
    todayByEndpoint: today,
    ...(todayByService ? { todayByService } : {}),
    ...(burnByService ? { burnByService } : {}),
    earlierDays: earlierDaysOf(budgets, endpoints, rows),
    ...(byEndpoint
      ? {
          window: {
            byEndpoint,
            ...(windowByService ? { byService: windowByService } : {}),
            minutes: burn.window_minutes,
            budgetDivisor: burn.budget_divisor,
          },
        }
      : {}),
    raises: namedRaises(overrides, day),
  });
}
