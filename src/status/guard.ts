// The engine's part of the status (GET /v1/status): blind or not, the end-of-day forecast, pending restores, and
// the metering's uncertainty (estimate, bounds, what rests on gaps, stale prices; docs/metering.md).
import { budgetDayBounds, forecastEndOfDay, microToUsd, standardError } from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import { lastObservations, loadCatalogs, loadGuard, loadHistory, pendingRestores, spendBounds } from "../store/index.ts";
import { PRICES_STALE_MS } from "../tick/index.ts";

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
  const [guard, pending, spend, catalogs, lastHour, stored] = await Promise.all([
    loadGuard(db),
    pendingRestores(db, day),
    spendBounds(db, day),
    loadCatalogs(db),
    loadHistory(db, now, [60], []),
    lastObservations(db),
  ]);
  const priceOf = new Map(stored.map((s) => [s.observation.id, s.observation.priceMicroPerHour]));
  // Replica starts in the last hour and the initializing time they billed (the cold_starts trigger's figures).
  const starts = [...lastHour.windows.entries()].flatMap(([endpoint, w]) => {
    const x = w.get(60);
    if (!x || x.coldStarts === 0) return [];
    const minutes = x.spanMs > 0 ? (x.initializingMs / x.spanMs) * 60 : 0;
    const price = priceOf.get(endpoint) ?? null;
    return [
      {
        endpoint,
        replica_starts: x.coldStarts,
        wakes: x.wakes,
        scale_ups: Math.max(0, x.coldStarts - x.wakes),
        initializing_minutes_per_hour: Math.round(minutes * 10) / 10,
        initializing_usd_per_hour: price === null ? null : Math.round((minutes / 60) * price) / 1e6,
      },
    ];
  });
  const prices = policy.hf.namespaces.map((ns) => {
    const c = catalogs.get(ns);
    return {
      namespace: ns,
      fetched_at: c ? new Date(c.fetchedAt).toISOString() : null,
      age_minutes: c ? Math.max(0, Math.floor((now - c.fetchedAt) / 60_000)) : null,
      stale: !c || now - c.fetchedAt > PRICES_STALE_MS,
    };
  });
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
    metering: {
      estimate_usd: spend.micro / 1e6,
      low_usd: spend.lowMicro / 1e6,
      high_usd: spend.highMicro / 1e6,
      /** the estimate's standard error: the pause waits for the estimate less `pause_margin_sigmas` of these at 200 % */
      standard_error_usd: Math.round(standardError(spend.varMicro2)) / 1e6,
      pause_margin_sigmas: policy.metering.pause_margin_sigmas,
      /** the part of the estimate metered across observation gaps (never alone a reason to pause) */
      estimated_gap_usd: spend.gapMicro / 1e6,
      /** the part of the estimate that is the started-minute allowance (`partial_minute: rounded_up`; 0 when prorated) */
      rounding_allowance_usd: spend.roundingMicro / 1e6,
      partial_minute: policy.metering.partial_minute,
      unpriced_replica_hours: Number((spend.unpricedReplicaMs / 3_600_000).toFixed(3)),
      prices_stale: prices.some((p) => p.stale),
      prices,
      replica_starts_last_hour: starts,
      /** the cold_starts trigger's limit per hour (null when it is off): the page marks an endpoint over it */
      replica_starts_max_per_hour: policy.triggers.cold_starts.enabled ? policy.triggers.cold_starts.max_per_hour : null,
    },
  };
}

/** The engine's part of the status, as `/v1/status` has it under `guard`. */
export type GuardStatus = Awaited<ReturnType<typeof guardStatus>>;
