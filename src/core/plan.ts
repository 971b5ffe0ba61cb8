// The planner: from today's spend, the observed fleet and the policy, decide the actions and
// alerts of one tick, each with the reason and figures that caused it. Pure.
import { type EndpointSettings, type Policy, settingsFor } from "../policy/index.ts";
import { type ActionContext, holdReroutesOnSpentFallbacks, LADDER, rerouteWithoutServiceAlert } from "./actions/index.ts";
import { type ApprovalRecord, gateActions } from "./approvals.ts";
import { applyBlastRadius, onePerEndpoint } from "./blast-radius.ts";
import { type BlindState, blindAlert, escalates, isBlind } from "./blind.ts";
import { budgetActionReason, budgetAlerts, effectNote, heldScaleUps, LEVEL_SEVERITY, levelAlertKey, levelEffect } from "./budget-alerts.ts";
import { budgetDayBounds } from "./budget-day.ts";
import type { BudgetsResult, EndpointBudgetLevel } from "./budgets.ts";
import { forecastEndOfDay } from "./forecast.ts";
import type { FleetHistory } from "./history.ts";
import { actionKey } from "./keys.ts";
import { levelFor, levelName, thresholdOf } from "./ladder.ts";
import { billableReplicas, hourlyBurn } from "./metering.ts";
import { formatUsd, type MicroUsd, microToUsd, usdToMicro } from "./money.ts";
import { applyOverrides, type Override, withOverrides, withoutHeld } from "./overrides.ts";
import { type PriceSource, staleAlerts } from "./prices.ts";
import { type DoneAction, planRestores } from "./restore.ts";
import { runTriggers } from "./triggers/index.ts";
import type { Alert, EndpointConfig, Level, Observation, Plan, PlannedAction, RouteMode } from "./types.ts";

export { actionKey } from "./keys.ts";

export interface RouteState {
  mode: RouteMode;
  fallback: string | null;
}

export interface PlanInput {
  policy: Policy;
  day: string;
  observations: readonly Observation[];
  /** today's spend after metering this tick (every source; the endpoints' part is the best estimate) */
  spendMicro: MicroUsd;
  /** the part of spendMicro the gateway's token-priced answers make, and its answers without usage (alerts show the split) */
  gateway?: { spendMicro: MicroUsd; unpricedAnswers: number };
  /**
   * today's spend without the part metered across observation gaps; the shutdown rung (a pause) needs
   * this at the threshold too, so a gap's estimate alone never pauses anything. Absent: spendMicro.
   */
  confirmedSpendMicro?: MicroUsd;
  /** where each namespace's prices came from this tick (stale ones raise prices_stale) */
  prices?: readonly PriceSource[];
  /** highest level already reached today (a level reached stays reached for the day) */
  previousLevel: Level;
  routes: ReadonlyMap<string, RouteState>;
  /** idempotency keys of actions already carried out (or recorded in dry run) today */
  doneKeys: ReadonlySet<string>;
  /** of doneKeys, the actions that failed their last attempt today: not planned again, but in effect they did nothing */
  exhaustedKeys?: ReadonlySet<string>;
  /** overrides active at the tick's time (suspend, raise_budget, force, ack) */
  overrides?: readonly Override[];
  /** the tick's time: enables the forecast (without it, and without history, only the ladder runs) */
  now?: number;
  /** recent windows, baselines and this tick's request metrics, per endpoint */
  history?: FleetHistory;
  blind?: BlindState;
  /** last known observations of endpoints this tick could not see (fail_safe acts on them) */
  stale?: readonly Observation[];
  /** when each endpoint's latest scale-up today was applied, for the scale-up cooldown */
  lastScaleUpAt?: ReadonlyMap<string, number>;
  /** minReplica before each endpoint's first scale-up today (released when the pressure passes) */
  scaleUpFloor?: ReadonlyMap<string, { floor: number; pinned: number }>;
  /** today's approval records by action key, when the policy asks for approvals: gating happens here */
  approvals?: ReadonlyMap<string, ApprovalRecord>;
  /** actions carried out on earlier days and not restored yet, oldest first */
  restoreCandidates?: readonly DoneAction[];
  /** the named budgets (`budgets:`, without the fleet budget) this tick: an endpoint acts at the higher of the fleet's level and its budgets' */
  budgets?: BudgetsResult;
}

export function configOf(o: Observation, route: RouteState | undefined): EndpointConfig {
  return {
    state: o.state,
    minReplica: o.minReplica,
    maxReplica: o.maxReplica,
    scaleToZeroTimeout: o.scaleToZeroTimeout,
    route: route?.mode ?? "primary",
    fallback: route?.fallback ?? null,
  };
}

function budgetLevelAlert(input: PlanInput, level: Exclude<Level, 0>, ratio: number, budgetMicro: MicroUsd, burn: MicroUsd): Alert {
  const { policy, day, spendMicro } = input;
  const threshold = thresholdOf(level, policy.thresholds);
  const what = levelEffect(level, false);
  return {
    kind: "budget_level",
    severity: LEVEL_SEVERITY[level],
    endpoint: null,
    dedupKey: levelAlertKey(day, level, policy.mode),
    title: `Spend crossed ${(threshold * 100).toFixed(0)}% of the daily budget (${levelName(level)})`,
    message:
      `Today's spend ${formatUsd(spendMicro)}${sourcesText(input)} is ${(ratio * 100).toFixed(1)}% of the ${formatUsd(budgetMicro)} budget; ` +
      `burning ${formatUsd(burn)}/h. ${what}${effectNote(policy, level)}.`,
    figures: {
      spend_usd: microToUsd(spendMicro),
      budget_usd: microToUsd(budgetMicro),
      ratio: Number(ratio.toFixed(4)),
      level,
      threshold,
      burn_usd_per_hour: microToUsd(burn),
      // Only when the gateway took part today: an endpoints-only fleet's alert keeps its shape.
      ...(input.gateway && (input.gateway.spendMicro > 0 || input.gateway.unpricedAnswers > 0)
        ? { gateway_spend_usd: microToUsd(input.gateway.spendMicro), gateway_unpriced_answers: input.gateway.unpricedAnswers }
        : {}),
    },
  };
}

/** "(endpoints $a, gateway $b)" when the gateway spent or answered unpriced today; else nothing. */
function sourcesText({ gateway, spendMicro }: PlanInput): string {
  if (!gateway || (gateway.spendMicro === 0 && gateway.unpricedAnswers === 0)) return "";
  const unpriced = gateway.unpricedAnswers > 0 ? ` + ${gateway.unpricedAnswers} unpriced answers` : "";
  return ` (endpoints ${formatUsd(spendMicro - gateway.spendMicro)}, gateway ${formatUsd(gateway.spendMicro)}${unpriced})`;
}

/** `by`: the named budget that set the endpoint's level; its ratio and name replace the fleet's. */
function sparedAlert(day: string, o: Observation, level: Exclude<Level, 0>, fleetRatio: number, by?: EndpointBudgetLevel): Alert {
  const ratio = by ? by.ratio : fleetRatio;
  const of = by?.budget ? `budget "${by.budget}"` : "budget";
  return {
    kind: "critical_endpoint_spared",
    severity: "warning",
    endpoint: o.id,
    dedupKey: `${day}:critical_endpoint_spared:${o.id}:${level}`,
    title: `Critical endpoint ${o.id} left running at the ${levelName(level)} level`,
    message:
      `${o.id} is marked critical, so the guardrail did not touch it at ${Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : "over (no allowance left)"} of ${of}. ` +
      `It burns ${formatUsd(hourlyBurn(o))}/h with ${o.targetReplica} replica(s). Decide whether to scale it down by hand.`,
    figures: {
      ratio: Number.isFinite(ratio) ? Number(ratio.toFixed(4)) : null,
      level,
      replicas: o.targetReplica,
      burn_usd_per_hour: microToUsd(hourlyBurn(o)),
      ...(by?.budget ? { budget: by.budget } : {}),
    },
  };
}

function unpricedAlert(day: string, o: Observation, source: PriceSource["source"] | undefined): Alert {
  // Whose catalog lacks the price: HF's answer this tick, or (HF not answering) the one kept in D1.
  const catalog =
    source === "stored"
      ? "The stored price catalog (HF's catalog did not answer this tick)"
      : source === "none"
        ? "No price catalog (HF's did not answer and none is stored)"
        : "The provider catalog";
  return {
    kind: "unpriced_endpoint",
    severity: "warning",
    endpoint: o.id,
    dedupKey: `${day}:unpriced_endpoint:${o.id}`,
    title: `No price for ${o.id}`,
    message:
      `${catalog} has no price for ${o.vendor}/${o.region}/${o.instanceType}/${o.instanceSize}, so ${o.id} is not ` +
      "metered. Check the hardware is still offered; until then its spend is missing from the budget.",
    figures: { replicas: o.targetReplica },
  };
}

/**
 * The shutdown rung pauses production, so the estimate alone is not enough: the spend without what was
 * metered across observation gaps must be at the threshold too, and this tick's (fresh) observation
 * must still show a burn. Otherwise the day stays at reroute until both hold. Reversible rungs act on
 * the estimate.
 */
function pauseConfirmed(input: PlanInput, budgetMicro: MicroUsd, reached: Level): Level {
  if (reached < 3) return reached;
  const confirmed = (input.confirmedSpendMicro ?? input.spendMicro) / budgetMicro;
  // Burning: replicas billable right now (an unpriced one burns too; its price is only unknown).
  const burning = input.observations.some((o) => billableReplicas(o) > 0);
  return levelFor(confirmed, input.policy.thresholds) === 3 && burning ? 3 : 2;
}

export function plan(given: PlanInput): Plan {
  const input = withOverrides(given);
  const { policy, day, observations, spendMicro, previousLevel, routes, doneKeys } = input;
  // What today's journal changed: a pause out of attempts paused nothing, so the cap it would
  // supersede is still due, and a fallback it did not pause can still take overflow.
  const exhausted = input.exhaustedKeys;
  const inEffect: ReadonlySet<string> = exhausted?.size ? new Set([...doneKeys].filter((k) => !exhausted.has(k))) : doneKeys;
  const budgetMicro = usdToMicro(policy.budget.daily_usd);
  const ratio = spendMicro / budgetMicro;
  const burn = observations.reduce((sum, o) => sum + hourlyBurn(o), 0);
  const level = Math.max(previousLevel, pauseConfirmed(input, budgetMicro, levelFor(ratio, policy.thresholds))) as Level;
  const alerts: Alert[] = [];
  const actions: PlannedAction[] = [];

  // Every level reached today stays an active condition all day (the store keeps one alert per level per day).
  for (let l = 1; l <= level; l++) alerts.push(budgetLevelAlert(input, l as Exclude<Level, 0>, ratio, budgetMicro, burn));

  const ladder = (o: Observation, lvl: Level, by?: EndpointBudgetLevel) => {
    const settings: EndpointSettings = settingsFor(policy, o.id);
    if (settings.critical && lvl > 0) {
      if (hourlyBurn(o) > 0 || o.priceMicroPerHour === null) alerts.push(sparedAlert(day, o, lvl as Exclude<Level, 0>, ratio, by));
      return;
    }
    const config = configOf(o, routes.get(o.id));
    const ctx: ActionContext = { policy, settings, config, ratio };
    const unrouted = lvl >= 2 ? rerouteWithoutServiceAlert(policy, day, o) : null;
    if (unrouted) alerts.push(unrouted);
    const forEndpoint: PlannedAction[] = [];
    for (const kind of LADDER) {
      if (kind.level > lvl) break;
      const key = actionKey(day, kind.name, o.id);
      if (doneKeys.has(key) || !kind.needed(o, ctx)) continue;
      forEndpoint.push({
        kind: kind.name,
        endpoint: o.id,
        key,
        level: kind.level,
        change: kind.change(o, ctx),
        before: config,
        after: kind.after(o, ctx),
        reason: by ? budgetActionReason(kind.reason(o, ctx), by) : kind.reason(o, ctx),
        hourlyMicro: hourlyBurn(o),
        ...(by?.budget ? { budget: by.budget } : {}),
      });
    }
    // A pause done earlier today supersedes a cap (if a person resumed the endpoint since, their
    // decision stands). A pause planned in this tick wins only once it may run (onePerEndpoint,
    // after approvals): a pause waiting for a person must not hold the cap back.
    const pausing = inEffect.has(actionKey(day, "pause", o.id));
    actions.push(...forEndpoint.filter((a) => !(pausing && a.kind === "scale_down")));
  };

  const byBudget = (id: string) => input.budgets?.endpoints.get(id);
  if (input.budgets) alerts.push(...budgetAlerts(input.budgets, day, policy));
  alerts.push(...staleAlerts(day, input.prices ?? []));
  for (const o of observations) {
    if (o.priceMicroPerHour === null && o.targetReplica > 0) {
      const ns = o.id.slice(0, o.id.indexOf("/"));
      alerts.push(unpricedAlert(day, o, input.prices?.find((p) => p.namespace === ns)?.source));
    }
    const by = byBudget(o.id);
    if (by && by.level > level) ladder(o, by.level, by);
    else ladder(o, level);
  }

  // Blind: alert while it lasts; with fail_safe and the day over a threshold, the endpoints it cannot
  // see are handled at the shutdown level from their last known state.
  if (input.blind && isBlind(input.blind, policy)) {
    alerts.push(blindAlert(day, input.blind, policy, level));
    if (escalates(input.blind, policy, level)) for (const o of input.stale ?? []) ladder(o, 3);
  }

  // Overflow never lands on a fallback the guardrail capped or paused.
  const held = holdReroutesOnSpentFallbacks(day, actions, observations, inEffect);
  actions.splice(0, actions.length, ...held.actions);
  alerts.push(...held.alerts);

  const current = (o: Observation) => configOf(o, routes.get(o.id));
  const forecast =
    input.now === undefined
      ? undefined
      : forecastEndOfDay(spendMicro, burn, budgetMicro, input.now, budgetDayBounds(input.now, policy.budget.timezone).end);
  if (input.now !== undefined) {
    const triggered = runTriggers({
      policy,
      day,
      now: input.now,
      observations,
      settingsOf: (id) => settingsFor(policy, id),
      configOf: current,
      history: input.history ?? { endpoints: new Map() },
      spendMicro,
      budgetMicro,
      ratio,
      level,
      burnMicroPerHour: burn,
      forecast: forecast ?? null,
      doneKeys,
      ...(input.lastScaleUpAt ? { lastScaleUpAt: input.lastScaleUpAt } : {}),
      ...(input.scaleUpFloor ? { scaleUpFloor: input.scaleUpFloor } : {}),
    });
    const held = heldScaleUps(triggered, byBudget, day);
    alerts.push(...held.alerts);
    // Never two changes to one endpoint in a tick: the ladder's action wins over a trigger's.
    const touched = new Set(actions.map((a) => a.endpoint));
    actions.push(...held.actions.filter((a) => !touched.has(a.endpoint)));
  }

  // Restore only on a calm day: once the ladder acts again today, yesterday's changes stay.
  let restoreSettled: Plan["restoreSettled"];
  let restoreSettles: Plan["restoreSettles"];
  if (policy.restore === "next_day" && level === 0 && (input.restoreCandidates?.length ?? 0) > 0) {
    const r = planRestores({
      policy,
      day,
      candidates: input.restoreCandidates ?? [],
      observations,
      configOf: current,
      settingsOf: (id) => settingsFor(policy, id),
      failedNamespaces: input.blind?.failedNamespaces ?? [],
    });
    const touched = new Set(actions.map((a) => a.endpoint));
    // An endpoint one of its budgets still holds above normal keeps yesterday's changes too.
    const restores = r.actions.filter((a) => !doneKeys.has(a.key) && !touched.has(a.endpoint) && !byBudget(a.endpoint)?.level);
    actions.push(...restores);
    // A restore alert goes with its action; one with no action (already back as before: its rows settle now) stands alone.
    const planned = new Set(restores.map((a) => a.endpoint));
    const dropped = new Set(r.actions.filter((a) => !planned.has(a.endpoint)).map((a) => a.endpoint));
    alerts.push(...r.alerts.filter((a) => a.kind !== "restore" || !dropped.has(a.endpoint ?? "")));
    restoreSettled = r.settled;
    restoreSettles = Object.fromEntries(restores.map((a) => [a.key, r.settles[a.key] ?? []]));
  }

  // Actions waiting for a person are set aside first, so they never take a place in the blast
  // radius; then one change per endpoint (the highest rung that may run; a lower one still needed
  // comes on a later tick); then most expensive first, so a partial tick (deadline, errors) stops
  // the biggest burn first, at most blast_radius.max_changes_per_tick of them.
  const candidates = withoutHeld(input.overrides ?? [], actions);
  const approval = input.approvals ? gateActions(candidates, policy.approvals, input.approvals, input.now ?? 0) : undefined;
  const { kept, deferred } = applyBlastRadius(onePerEndpoint(approval?.run ?? candidates), policy.blast_radius.max_changes_per_tick);
  return applyOverrides(input, {
    day,
    spendMicro,
    budgetMicro,
    ratio,
    level,
    previousLevel,
    burnMicroPerHour: burn,
    actions: kept,
    alerts,
    ...(deferred.length > 0 ? { deferred } : {}),
    ...(forecast ? { forecast } : {}),
    ...(restoreSettled ? { restoreSettled } : {}),
    ...(restoreSettles ? { restoreSettles } : {}),
    ...(approval ? { approval } : {}),
  });
}
