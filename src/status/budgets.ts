// /v1/status's `budgets` list: the fleet budget first (the `budget` block's own figures, so the two
// never disagree), then each named budget (`budgets:`) as the tick evaluates it (tick/budgets.ts).
import { type BudgetState, type BudgetsResult, formatUsd, type Level, levelName, microToUsd, usdToMicro } from "../core/index.ts";
import { FLEET_BUDGET, type Thresholds } from "../policy/index.ts";

const usd = (micro: number) => microToUsd(Math.round(micro));

/** A ratio for JSON: 4 decimals; null when it is not a number JSON can carry (a pace over an allowance of 0). */
const ratioOf = (r: number | null): number | null => (r === null || !Number.isFinite(r) ? null : Number(r.toFixed(4)));

interface FleetInput {
  fleet: {
    day: string;
    daily_usd: number;
    policy_daily_usd: number;
    spend_usd: number;
    ratio: number;
    level: Level;
    burn_usd_per_hour: number;
    thresholds: Thresholds;
  };
  /** the engine's end-of-day forecast (guard.forecast): null for a day gone by */
  forecast: { end_of_day_usd: number; ratio: number; hours_left: number } | null;
  members: string[];
  services: string[];
  named: BudgetsResult | undefined;
  /** whether the day read is the budget day in progress (a forecast only then) */
  today: boolean;
}

/**
 * A day gone by: the ledger keeps spend per endpoint, not which budgets an endpoint belonged to that
 * day, so a named budget's members are today's (its tags and ids now); the entry says so.
 */
export const PAST_MEMBERS_NOTE =
  "members are today's, not that day's: the guardrail keeps no record of a past day's budget membership, so an endpoint that joined, left (its tags changed) or was deleted since is counted as it is now";

function namedJson(s: BudgetState, today: boolean) {
  const f = s.forecast;
  return {
    name: s.name,
    period: s.period,
    /** `YYYY-MM-DD` for a day budget, `YYYY-MM` for a month budget */
    period_key: s.bounds.period,
    amount_usd: usd(s.amountMicro),
    policy_amount_usd: usd(s.raised ? s.raised.policyAmountMicro : s.amountMicro),
    spend_usd: usd(s.spendMicro),
    spend_today_usd: usd(s.todayMicro),
    ratio: ratioOf(s.ratio) ?? 0,
    level: s.level,
    level_name: levelName(s.level),
    cause: s.cause,
    burn_usd_per_hour: usd(s.burnMicroPerHour),
    forecast: today
      ? {
          end_usd: usd(f.endMicro),
          ratio: ratioOf(f.ratio) ?? 0,
          hours_left: Number(f.hoursLeft.toFixed(2)),
          end_of_day_usd: f.endOfDayMicro === null ? null : usd(f.endOfDayMicro),
          end_of_day_pace_ratio: ratioOf(f.endOfDayPaceRatio),
        }
      : null,
    allowance: s.allowance && {
      usd: usd(s.allowance.micro),
      spent_before_today_usd: usd(s.allowance.spentBeforeMicro),
      explain: s.allowance.explain,
    },
    pace_ratio: ratioOf(s.paceRatio),
    thresholds: s.thresholds,
    members: s.members.slice().sort(),
    services: s.services.slice().sort(),
    raised_by: s.raised?.by ?? null,
    reason: s.reason,
    /** what to bear in mind reading this entry (a day gone by); null when nothing */
    note: today ? null : (PAST_MEMBERS_NOTE as string | null),
  };
}

/** One entry of /v1/status's `budgets` list. */
export type BudgetJson = ReturnType<typeof namedJson>;

const money = (dollars: number) => formatUsd(usdToMicro(dollars));
const pct = (r: number | null) => (r === null ? "over (no allowance left)" : `${(r * 100).toFixed(1)}%`);

/**
 * One line per budget, as Slack `/guardrail status` shows them: `fleet (day): $52.00 of $40.00 (130.0%),
 * level *scale_down*, forecast $80.00`; a month budget adds today's pace against today's allowance.
 */
export function budgetLine(b: BudgetJson): string {
  const pace = b.allowance
    ? `; today ${money(b.spend_today_usd)} of today's allowance ${money(b.allowance.usd)} (${pct(b.pace_ratio)})`
    : "";
  const forecast = b.forecast ? `, forecast ${money(b.forecast.end_usd)} by the end of the ${b.period}` : "";
  return `${b.name} (${b.period} ${b.period_key}): ${money(b.spend_usd)} of ${money(b.amount_usd)} (${pct(b.ratio)})${pace}, level *${b.level_name}*${forecast}`;
}

export function budgetsJson(input: FleetInput) {
  const { fleet, forecast } = input;
  const first: BudgetJson = {
    name: FLEET_BUDGET,
    period: "day",
    period_key: fleet.day,
    amount_usd: fleet.daily_usd,
    policy_amount_usd: fleet.policy_daily_usd,
    spend_usd: fleet.spend_usd,
    spend_today_usd: fleet.spend_usd,
    ratio: fleet.ratio,
    level: fleet.level,
    level_name: levelName(fleet.level),
    cause: fleet.level === 0 ? null : "ladder",
    burn_usd_per_hour: fleet.burn_usd_per_hour,
    forecast:
      forecast && input.today
        ? {
            end_usd: forecast.end_of_day_usd,
            ratio: forecast.ratio,
            hours_left: forecast.hours_left,
            end_of_day_usd: null,
            end_of_day_pace_ratio: null,
          }
        : null,
    allowance: null,
    pace_ratio: null,
    thresholds: fleet.thresholds,
    members: input.members,
    services: input.services,
    raised_by: null,
    // The fleet is every endpoint: its members are today's observed ones and that day's ledger's.
    note: null,
    // In the words of a named budget's reason (core/budgets.ts reasonOf).
    reason:
      `budget "${FLEET_BUDGET}" (day ${fleet.day}) at ${levelName(fleet.level)}: today's ${formatUsd(usdToMicro(fleet.spend_usd))} ` +
      `is ${(fleet.ratio * 100).toFixed(1)}% of ${formatUsd(usdToMicro(fleet.daily_usd))}`,
  };
  return [first, ...(input.named?.budgets ?? []).map((s) => namedJson(s, input.today))];
}
