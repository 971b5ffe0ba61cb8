// Several budgets at once: which budgets each endpoint belongs to, each budget's spend, ratio, ladder
// level, daily pacing (month budgets), hourly burn and forecast, and each endpoint's effective level
// (the highest any of its budgets reached, with the reason naming that budget). Pure.
import type { BudgetScope, BudgetSpec } from "../policy/index.ts";
import { type PeriodBounds, periodBounds } from "./budget-period.ts";
import { levelFor, levelName } from "./ladder.ts";
import { formatUsd, HOUR_MS, type MicroUsd, usdToMicro } from "./money.ts";
import { runRateForecast } from "./run-rate.ts";
import type { Level } from "./types.ts";

/** What membership needs to know of an endpoint. */
export interface BudgetMember {
  /** `namespace/name` */
  id: string;
  tags?: readonly string[] | undefined;
}

/** An endpoint as the budgets see it this tick: its identity and its current burn. */
export interface BudgetEndpoint extends BudgetMember {
  burnMicroPerHour: MicroUsd;
}

const namespaceOf = (id: string) => id.slice(0, id.indexOf("/"));

/** An endpoint is a member when it matches any selector of the scope (they add up, they do not narrow). */
export function inScope(scope: BudgetScope, e: BudgetMember): boolean {
  return (membership([{ scope }], [e]).get(e.id)?.length ?? 0) > 0;
}

/** A gateway service's token-priced spend counts toward the budget (every service for `all`). */
export function serviceInScope(scope: BudgetScope, service: string): boolean {
  return scope.all || scope.services.includes(service);
}

/**
 * For each endpoint, the indexes (into `budgets`) of the budgets it belongs to, in policy order.
 * An index from namespace, id and tag to budgets makes the cost per endpoint its tags plus its budgets.
 */
export function membership(budgets: ReadonlyArray<Pick<BudgetSpec, "scope">>, endpoints: Iterable<BudgetMember>): Map<string, number[]> {
  const everything: number[] = [];
  const byNamespace = new Map<string, number[]>();
  const byId = new Map<string, number[]>();
  const byTag = new Map<string, number[]>();
  const add = (index: Map<string, number[]>, key: string, b: number) => {
    const list = index.get(key);
    if (!list) index.set(key, [b]);
    else if (list[list.length - 1] !== b) list.push(b);
  };
  budgets.forEach((budget, b) => {
    const s = budget.scope;
    if (s.all) {
      everything.push(b);
      return;
    }
    for (const ns of s.namespaces) add(byNamespace, ns, b);
    for (const id of s.endpoints) add(byId, id, b);
    for (const t of s.tags) add(byTag, t, b);
  });
  const out = new Map<string, number[]>();
  const push = (of: number[], list: number[] | undefined) => {
    if (list) for (const b of list) of.push(b);
  };
  for (const e of endpoints) {
    const of = everything.slice();
    push(of, byNamespace.get(namespaceOf(e.id)));
    push(of, byId.get(e.id));
    if (e.tags) for (const t of e.tags) push(of, byTag.get(t));
    if (of.length > everything.length) {
      of.sort((x, y) => x - y);
      let w = 1;
      for (let r = 1; r < of.length; r++) if (of[r] !== of[w - 1]) of[w++] = of[r] as number;
      of.length = w;
    }
    out.set(e.id, of);
  }
  return out;
}

/** What a budget had reached, carried from tick to tick: the ladder level of its period, the pacing level of its day. */
export interface BudgetMemory {
  period: string;
  level: Level;
  day: string;
  paceLevel: Level;
}

export interface Allowance {
  /** today's allowance of a month budget */
  micro: MicroUsd;
  /** month-to-date spend before today */
  spentBeforeMicro: MicroUsd;
  /** how it was worked out, in words with the figures */
  explain: string;
}

/**
 * Today's allowance of a month budget. `remaining`: what is left of the month's amount (never below 0)
 * over the days left including today. `even`: the amount / the month's days; with rollover, plus what
 * earlier days left unspent of their even share (an overspent day takes nothing away; the month's
 * ladder sees it). `earlier` holds the spend of earlier days of this month; a day missing from it spent 0.
 */
export function dailyAllowance(
  b: Pick<BudgetSpec, "amountUsd" | "pacing" | "rollover">,
  bounds: Pick<PeriodBounds, "days" | "dayOfPeriod" | "daysLeft">,
  earlier: ReadonlyMap<string, MicroUsd> | readonly MicroUsd[],
): Allowance {
  const amount = usdToMicro(b.amountUsd);
  const spends = Array.isArray(earlier) ? (earlier as readonly MicroUsd[]) : [...(earlier as ReadonlyMap<string, MicroUsd>).values()];
  const spentBeforeMicro = spends.reduce((s, m) => s + m, 0);
  if (b.pacing !== "even") {
    const left = Math.max(0, amount - spentBeforeMicro);
    const micro = Math.round(left / bounds.daysLeft);
    return {
      micro,
      spentBeforeMicro,
      explain: `${formatUsd(left)} left of ${formatUsd(amount)} over ${bounds.daysLeft} day${bounds.daysLeft === 1 ? "" : "s"}`,
    };
  }
  const share = amount / bounds.days;
  if (!b.rollover) return { micro: Math.round(share), spentBeforeMicro, explain: `${formatUsd(amount)} / ${bounds.days} days` };
  // Earlier days with no spend recorded left their whole share unspent.
  const missing = Math.max(0, bounds.dayOfPeriod - 1 - spends.length);
  let unspent = missing * share;
  for (const m of spends) unspent += Math.max(0, share - m);
  return {
    micro: Math.round(share + unspent),
    spentBeforeMicro,
    explain: `${formatUsd(Math.round(share))} (${formatUsd(amount)} / ${bounds.days} days) + ${formatUsd(Math.round(unspent))} unspent on earlier days`,
  };
}

export interface BudgetsInput {
  budgets: readonly BudgetSpec[];
  now: number;
  /** every endpoint known this tick (observed, or last known), with its current burn */
  endpoints: readonly BudgetEndpoint[];
  /** today's spend per endpoint after metering this tick; an id not in `endpoints` is placed by its id alone */
  todayByEndpoint: ReadonlyMap<string, MicroUsd>;
  /** today's token-priced gateway spend per service */
  todayByService?: ReadonlyMap<string, MicroUsd>;
  /** current token-priced burn per gateway service, micro-USD per hour */
  burnByService?: ReadonlyMap<string, MicroUsd>;
  /** month budgets: spend of each earlier day of the current month, by budget name then `YYYY-MM-DD` (other days ignored) */
  earlierDays?: ReadonlyMap<string, ReadonlyMap<string, MicroUsd>>;
  /** spend within the hourly-burn window, per endpoint and per service; without it no budget checks its hourly burn */
  window?: { byEndpoint: ReadonlyMap<string, MicroUsd>; byService?: ReadonlyMap<string, MicroUsd>; minutes: number; budgetDivisor: number };
  /** what each budget had reached before this tick (by name) */
  memory?: ReadonlyMap<string, BudgetMemory>;
  /** today's raises (`raise_budget` naming a budget), by name: the amount replaces the budget's for today */
  raises?: ReadonlyMap<string, { budgetUsd: number; actor: string }>;
}

export interface BudgetForecast {
  /** projected spend at the end of the period at the current burn */
  endMicro: MicroUsd;
  ratio: number;
  hoursLeft: number;
  /** month budgets: projected spend at the end of today, and its ratio to today's allowance */
  endOfDayMicro: MicroUsd | null;
  endOfDayPaceRatio: number | null;
}

export interface BudgetState {
  name: string;
  period: BudgetSpec["period"];
  thresholds: BudgetSpec["thresholds"];
  bounds: PeriodBounds;
  amountMicro: MicroUsd;
  /** spend in the period so far (month-to-date for a month budget), including today */
  spendMicro: MicroUsd;
  todayMicro: MicroUsd;
  /** spendMicro / amountMicro: what the ladder compares */
  ratio: number;
  /** month budgets: today's allowance; null for day budgets */
  allowance: Allowance | null;
  /** todayMicro / today's allowance (Infinity once the allowance is 0 and anything was spent); null for day budgets */
  paceRatio: number | null;
  /** level of the ladder, reached stays reached for the period */
  ladderLevel: Level;
  /** level of the pacing, reached stays reached for the day */
  paceLevel: Level;
  /** max(ladderLevel, paceLevel) */
  level: Level;
  /** the level the budget held before this tick (same period and day), to tell a new crossing */
  previousLevel: Level;
  /** which comparison set the level */
  cause: "ladder" | "pacing" | null;
  burnMicroPerHour: MicroUsd;
  forecast: BudgetForecast;
  /** spend over the hourly-burn window against its limit (the day's amount or allowance / divisor) */
  hourlyBurn: { windowMicro: MicroUsd; limitMicro: MicroUsd; over: boolean } | null;
  /** member endpoints (ids) and gateway services */
  members: string[];
  services: string[];
  /** today's raise of the amount (the policy's amount is then `policyAmountMicro`), or null */
  raised: { by: string; policyAmountMicro: MicroUsd } | null;
  /** one line naming the budget, its figures and its level */
  reason: string;
  /** what to carry to the next tick */
  memory: BudgetMemory;
}

export interface EndpointBudgetLevel {
  level: Level;
  /** the budget that set the level (the first in policy order among equals); null in no budget */
  budget: string | null;
  /** that budget's ratio behind the level: today's spend to today's allowance when its pacing set it, else spend to amount */
  ratio: number;
  reason: string;
}

export interface BudgetsResult {
  budgets: BudgetState[];
  /** every endpoint in `endpoints` or `todayByEndpoint`, with the highest level its budgets reached */
  endpoints: Map<string, EndpointBudgetLevel>;
}

const pct = (r: number) => (Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : "over (no allowance left)");

function reasonOf(s: Omit<BudgetState, "reason" | "memory">): string {
  const head = `budget "${s.name}" (${s.period} ${s.bounds.period})`;
  if (s.cause === "pacing" && s.allowance) {
    return (
      `${head} at ${levelName(s.level)}: today's ${formatUsd(s.todayMicro)} is ${pct(s.paceRatio ?? 0)} of today's allowance ` +
      `${formatUsd(s.allowance.micro)} (${s.allowance.explain})${raisedNote(s)}`
    );
  }
  const spent = s.period === "month" ? "month-to-date" : "today's";
  return `${head} at ${levelName(s.level)}: ${spent} ${formatUsd(s.spendMicro)} is ${pct(s.ratio)} of ${formatUsd(s.amountMicro)}${raisedNote(s)}`;
}

const raisedNote = (s: Pick<BudgetState, "raised">) =>
  s.raised ? ` (raised from ${formatUsd(s.raised.policyAmountMicro)} for today by ${s.raised.by})` : "";

function stateOf(
  spec: BudgetSpec,
  input: BudgetsInput,
  sums: { today: MicroUsd; burn: MicroUsd; window: MicroUsd; members: string[]; services: string[] },
): BudgetState {
  const raise = input.raises?.get(spec.name);
  const b = raise ? { ...spec, amountUsd: raise.budgetUsd } : spec;
  const bounds = periodBounds(b.period, input.now, b.timezone);
  const amountMicro = usdToMicro(b.amountUsd);
  const prev = input.memory?.get(b.name);
  const prevLadder = prev && prev.period === bounds.period ? prev.level : 0;
  const prevPace = prev && prev.day === bounds.day ? prev.paceLevel : 0;

  let allowance: Allowance | null = null;
  let earlierMicro = 0;
  if (b.period === "month") {
    const days = input.earlierDays?.get(b.name);
    const inMonth: MicroUsd[] = [];
    if (days) for (const [day, micro] of days) if (day.startsWith(`${bounds.period}-`) && day < bounds.day) inMonth.push(micro);
    allowance = dailyAllowance(b, bounds, inMonth);
    earlierMicro = allowance.spentBeforeMicro;
  }
  const spendMicro = earlierMicro + sums.today;
  const ratio = spendMicro / amountMicro;
  const paceRatio =
    allowance === null ? null : allowance.micro > 0 ? sums.today / allowance.micro : sums.today > 0 ? Number.POSITIVE_INFINITY : 0;
  const ladderLevel = Math.max(prevLadder, levelFor(ratio, b.thresholds)) as Level;
  const paceLevel = (paceRatio === null ? 0 : Math.max(prevPace, levelFor(paceRatio, b.thresholds))) as Level;
  const level = Math.max(ladderLevel, paceLevel) as Level;
  const cause = level === 0 ? null : paceLevel > ladderLevel ? "pacing" : "ladder";

  const endMicro = runRateForecast(spendMicro, sums.burn, input.now, bounds.end);
  const endOfDayMicro = allowance === null ? null : runRateForecast(sums.today, sums.burn, input.now, bounds.dayEnd);
  const forecast: BudgetForecast = {
    endMicro,
    ratio: endMicro / amountMicro,
    hoursLeft: Math.max(0, bounds.end - input.now) / HOUR_MS,
    endOfDayMicro,
    endOfDayPaceRatio: allowance === null || endOfDayMicro === null ? null : allowance.micro > 0 ? endOfDayMicro / allowance.micro : null,
  };

  let hourlyBurn: BudgetState["hourlyBurn"] = null;
  if (input.window) {
    const daily = allowance === null ? amountMicro : allowance.micro;
    const limitMicro = Math.round((daily / input.window.budgetDivisor) * (input.window.minutes / 60));
    hourlyBurn = { windowMicro: sums.window, limitMicro, over: sums.window > limitMicro };
  }

  const state = {
    name: b.name,
    period: b.period,
    thresholds: b.thresholds,
    bounds,
    amountMicro,
    spendMicro,
    todayMicro: sums.today,
    ratio,
    allowance,
    paceRatio,
    ladderLevel,
    paceLevel,
    level,
    previousLevel: Math.max(prevLadder, prevPace) as Level,
    cause,
    burnMicroPerHour: sums.burn,
    forecast,
    hourlyBurn,
    members: sums.members,
    services: sums.services,
    raised: raise ? { by: raise.actor, policyAmountMicro: usdToMicro(spec.amountUsd) } : null,
  } satisfies Omit<BudgetState, "reason" | "memory">;
  return { ...state, reason: reasonOf(state), memory: { period: bounds.period, level: ladderLevel, day: bounds.day, paceLevel } };
}

/**
 * Every budget's state this tick and every endpoint's effective level. Cost: one pass over
 * endpoints x budgets for membership and sums, then one pass per budget.
 */
export function evaluateBudgets(input: BudgetsInput): BudgetsResult {
  const { budgets } = input;
  const sums = budgets.map(() => ({ today: 0, burn: 0, window: 0, members: [] as string[], services: [] as string[] }));
  const known = new Map<string, BudgetEndpoint>();
  for (const e of input.endpoints) known.set(e.id, e);
  for (const id of input.todayByEndpoint.keys()) if (!known.has(id)) known.set(id, { id, burnMicroPerHour: 0 });
  const memberOf = membership(budgets, known.values());

  for (const [id, of] of memberOf) {
    const e = known.get(id) as BudgetEndpoint;
    const today = input.todayByEndpoint.get(id) ?? 0;
    const window = input.window?.byEndpoint.get(id) ?? 0;
    for (const b of of) {
      const s = sums[b] as (typeof sums)[number];
      s.today += today;
      s.burn += e.burnMicroPerHour;
      s.window += window;
      s.members.push(id);
    }
  }
  const services = new Set([
    ...(input.todayByService?.keys() ?? []),
    ...(input.burnByService?.keys() ?? []),
    ...(input.window?.byService?.keys() ?? []),
  ]);
  for (const service of services) {
    for (let b = 0; b < budgets.length; b++) {
      if (!serviceInScope((budgets[b] as BudgetSpec).scope, service)) continue;
      const s = sums[b] as (typeof sums)[number];
      s.today += input.todayByService?.get(service) ?? 0;
      s.burn += input.burnByService?.get(service) ?? 0;
      s.window += input.window?.byService?.get(service) ?? 0;
      s.services.push(service);
    }
  }

  const states = budgets.map((b, i) => stateOf(b, input, sums[i] as (typeof sums)[number]));
  const endpoints = new Map<string, EndpointBudgetLevel>();
  for (const [id, of] of memberOf) endpoints.set(id, effectiveLevel(states, of));
  return { budgets: states, endpoints };
}

/**
 * Each month budget's spend per earlier day of the month, from ledger rows of its members' spend
 * (an endpoint not in `members` is placed by its id alone): the `earlierDays` input of `evaluateBudgets`.
 */
export function earlierDaysOf(
  budgets: readonly BudgetSpec[],
  members: readonly BudgetMember[],
  rows: ReadonlyArray<{ day: string; endpoint: string; micro: MicroUsd }>,
): Map<string, Map<string, MicroUsd>> {
  const months = budgets.filter((b) => b.period === "month");
  const known = new Map(members.map((m) => [m.id, m]));
  for (const r of rows) if (!known.has(r.endpoint)) known.set(r.endpoint, { id: r.endpoint });
  const memberOf = membership(months, known.values());
  const out = new Map(months.map((b) => [b.name, new Map<string, MicroUsd>()]));
  for (const r of rows) {
    for (const i of memberOf.get(r.endpoint) ?? []) {
      const days = out.get((months[i] as BudgetSpec).name) as Map<string, MicroUsd>;
      days.set(r.day, (days.get(r.day) ?? 0) + r.micro);
    }
  }
  return out;
}

const OUTSIDE: EndpointBudgetLevel = { level: 0, budget: null, ratio: 0, reason: "in no budget" };

type Ranked = Pick<BudgetState, "name" | "level" | "reason"> & Partial<Pick<BudgetState, "ratio" | "paceRatio" | "cause">>;

/** The highest level among the budgets `of` (indexes into `states`); the first in policy order wins a tie. */
export function effectiveLevel(states: readonly Ranked[], of: readonly number[]): EndpointBudgetLevel {
  let best: Ranked | undefined;
  for (const i of of) {
    const s = states[i];
    if (s && (!best || s.level > best.level)) best = s;
  }
  if (!best) return OUTSIDE;
  const ratio = best.cause === "pacing" ? (best.paceRatio ?? 0) : (best.ratio ?? 0);
  return { level: best.level, budget: best.name, ratio, reason: best.reason };
}
