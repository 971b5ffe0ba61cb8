// One guard tick: lease, observe, meter, decide, act, record. The imperative shell around the
// pure core; every dependency (D1, provider, clock, log) comes in as a parameter.
import { act, alertEvent, type ExecutedAction, RECORD_MARGIN_MS, reconcile } from "../act/index.ts";
import type { Alert, MicroUsd, Override, Plan } from "../core/index.ts";
import {
  ALERT_KINDS,
  ackedConditions,
  billableReplicas,
  budgetDay,
  budgetDayBounds,
  confirmedSpend,
  formatUsd,
  holdOn,
  levelName,
  meter,
  plan,
  standardError,
} from "../core/index.ts";
import { type Notifier, SUBREQUEST_CEILING } from "../notify/index.ts";
import type { Policy, PolicyIssue, PolicyResult } from "../policy/index.ts";
import type { EndpointProvider, ProviderError } from "../providers/index.ts";
import {
  activeOverrides,
  coalescingDb,
  daySpend,
  type EndpointAccrual,
  type EventRow,
  failTick,
  finishTick,
  loadCatalogs,
  loadMeterPoints,
  loadRoutes,
  type NewEvent,
  raiseDayLevel,
  recordEvents,
  recordMetering,
  releaseLease,
  restoreCandidates,
  saveCatalogs,
  settledToday,
  startLeasedTick,
} from "../store/index.ts";
import { loadApprovals, recordApprovals } from "./approvals.ts";
import { type BillingTickReport, reconcileBilling } from "./billing.ts";
import { namedBudgets } from "./budgets.ts";
import { engineAfter, engineBefore, settleRestores } from "./engine-state.ts";
import { observeFleet } from "./observe.ts";
import { readMetrics, withGatewayMetrics } from "./request-metrics.ts";

export interface TickDeps {
  db: D1Database;
  provider: EndpointProvider;
  policy: PolicyResult;
  /** configuration problems found at the edge (missing secrets); they stop the tick like a bad policy */
  problems?: readonly PolicyIssue[];
  /** the tick's time (the cron's scheduled time): metering and the budget day use it */
  now: number;
  /** wall clock, for the deadline and durations */
  clock: () => number;
  /** unique id of this tick for the lease */
  holder: string;
  log: (entry: TickLogEntry) => void;
  /** outbound requests made so far by this invocation, when the edge counts them */
  subrequests?: () => number;
  leaseMs?: number;
  /** sends the tick's alerts (Slack, SNS) through the outbox; absent: alerts are only recorded */
  notifier?: Notifier;
}

export type TickLogEntry =
  | { event: "tick_skipped"; reason: string }
  | {
      event: "tick";
      outcome: string;
      day: string | null;
      spend: string;
      budget: string;
      ratio: number | null;
      level: string;
      endpoints: number;
      actions: number;
      alerts: number;
      ms: number;
    }
  | { event: "action"; kind: string; endpoint: string; status: string; reason: string; error: string | null }
  | { event: "alert"; kind: string; severity: string; endpoint: string | null; title: string }
  | { event: "error"; message: string; issues?: readonly PolicyIssue[] };

export interface TickReport {
  ran: boolean;
  /** the tick's row (when it ran): work done after it in the same invocation (the schedule sync) adds its subrequests there */
  tickId?: number;
  outcome: "skipped" | "ok" | "partial" | "blind" | "policy_invalid" | "error";
  plan: Plan | null;
  executed: ExecutedAction[];
  /** events recorded by this tick (alerts already seen today are not repeated) */
  events: EventRow[];
  /** the hourly billing reconciliation's part of this tick (absent when it did not run) */
  billing?: BillingTickReport;
  /** the metered estimate's standard error today and the spend the pause may act on (absent when nothing was planned) */
  metering?: { standardErrorMicro: MicroUsd; confirmedSpendMicro: MicroUsd };
}

export const DEFAULT_LEASE_MS = 90_000;
/** How many earlier budget days' unresolved rows each tick still reconciles. */
const RECONCILE_DAYS = 3;

function providerErrorEvent(now: number, day: string, e: ProviderError): NewEvent {
  return {
    at: now,
    type: "error",
    kind: `provider_${e.code}`,
    severity: "warning",
    endpoint: e.endpoint ?? null,
    title: e.endpoint ? `Could not read ${e.endpoint}` : e.subject ? `Could not read ${e.subject}` : "Could not observe the fleet",
    message: e.message + (e.requestId ? ` (request id ${e.requestId})` : ""),
    data: { code: e.code, status: e.status ?? null },
    // One per day per problem, so a provider outage does not flood the timeline.
    dedupKey: `${day}:error:${e.code}:${e.endpoint ?? e.message}`,
  };
}

/** Re-read the overrides before an action once this long has passed since they were last read. */
const OVERRIDES_FRESH_MS = 1_000;

/**
 * A person may suspend or force an endpoint while the tick carries out its plan (slow HF calls take
 * seconds each): before an action, the overrides are read again when a second has passed since the
 * last read, and an endpoint they now hold is left alone. A quick tick reads them no extra time.
 */
function heldOffSince(db: D1Database, now: number, leaseMs: number, clock: () => number) {
  let readAt = clock();
  let overrides: Override[] | null = null;
  return async (a: { endpoint: string }): Promise<string | null> => {
    if (clock() - readAt >= OVERRIDES_FRESH_MS) {
      readAt = clock();
      overrides = await activeOverrides(db, now, Math.min(readAt, now + leaseMs));
    }
    const hold = overrides ? holdOn(overrides, a.endpoint) : null;
    return hold ? `held off by an override made while this tick ran (${hold.op} by ${hold.actor})` : null;
  };
}

/** What the tick reads before observing (one batch through the coalescing db): the engine's state, the meter points, the stored catalogs, the routes. */
async function readBeforeObserving(db: D1Database, policy: Policy, day: string) {
  const [before, points, catalogs, routes] = await Promise.all([
    engineBefore(db, policy, day),
    loadMeterPoints(db),
    loadCatalogs(db),
    loadRoutes(db),
  ]);
  return { before, points, catalogs, routes };
}

export async function runTick(deps: TickDeps): Promise<TickReport> {
  const { now, clock, log } = deps;
  // The queries of each step (issued together) go to D1 as one batch: one round trip, not one per query.
  const db = coalescingDb(deps.db);
  const started = clock();
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const issues = [...(deps.problems ?? []), ...(deps.policy.ok ? [] : deps.policy.issues)];
  const valid = deps.policy.ok && issues.length === 0 ? deps.policy.policy : null;
  const lease = { holder: deps.holder, now, ttlMs: leaseMs };
  // The lease, the tick's row and what the tick reads before observing: one round trip. The reads are
  // wasted when another tick holds the lease. If that request fails as a whole, the lease is taken alone
  // and the reads are sent again inside the tick, so a failing read is recorded on the tick's row as before.
  const leased = startLeasedTick(db, lease, started);
  let early = valid ? readBeforeObserving(db, valid, budgetDay(now, valid.budget.timezone)) : undefined;
  let tickId: number | null;
  try {
    tickId = await leased;
  } catch {
    early?.catch(() => {});
    early = undefined;
    tickId = await startLeasedTick(db, lease, started);
  }
  if (tickId === null) {
    early?.catch(() => {});
    log({ event: "tick_skipped", reason: "another tick holds the lease" });
    return { ran: false, outcome: "skipped", plan: null, executed: [], events: [] };
  }
  // The tick's row, once its outcome is written, has released the lease (migration 0017's trigger).
  let finished = false;
  const summary = { endpoints: 0, actions: 0, alerts: 0, subrequests: 0 };
  try {
    if (!valid) {
      const day = budgetDay(now, "UTC");
      const events = await recordEvents(db, [
        {
          at: now,
          type: "alert",
          kind: "policy_invalid",
          severity: "critical",
          endpoint: null,
          title: "The guardrail is not acting: configuration is invalid",
          message: issues.map((i) => `${i.path}: ${i.message}${i.allowed ? ` (allowed: ${i.allowed.join(", ")})` : ""}`).join("; "),
          data: { issues },
          dedupKey: `${day}:policy_invalid`,
        },
      ]);
      log({ event: "error", message: "configuration invalid: the guardrail refuses to act", issues });
      await deps.notifier?.afterTick({ db, now, alerts: null, events, policy: deps.policy.ok ? deps.policy.policy.alerts : null });
      // Counted as a tick that acts counts them: the alerts it recorded (once a day) and its sends.
      summary.alerts = events.filter((e) => e.type === "alert").length;
      summary.subrequests = deps.subrequests?.() ?? 0;
      await finishTick(db, tickId, clock(), {
        outcome: "policy_invalid",
        day,
        spendMicro: null,
        budgetMicro: null,
        ratio: null,
        level: null,
        ...summary,
        error: "configuration invalid",
      });
      finished = true;
      return { ran: true, tickId, outcome: "policy_invalid", plan: null, executed: [], events };
    }
    const policy = valid;
    const tz = policy.budget.timezone;
    const day = budgetDay(now, tz);

    // Observe and meter.
    const { before, points, catalogs, routes } = await (early ?? readBeforeObserving(db, policy, day));
    const fleet = await observeFleet(deps.provider, policy.hf.namespaces, {
      now,
      catalogs,
      lastPrice: (id, hardware) => {
        const point = points.get(id);
        return point?.hardware === hardware ? point.priceMicroPerHour : null;
      },
    });
    const reading = await readMetrics(deps.provider, fleet.observations, policy, now);
    const openMetrics = deps.provider.getOpenMetrics !== undefined && policy.metrics.open_metrics;
    await withGatewayMetrics(db, policy, fleet.observations, reading, openMetrics, now);
    const blind = fleet.failedNamespaces.length === policy.hf.namespaces.length;
    const accruals: EndpointAccrual[] = [];
    const metered = fleet.observations.map((o) => {
      for (const acc of meter(points.get(o.id), o, now, tz, {
        gapMs: policy.metering.gap_minutes * 60_000,
        partialMinute: policy.metering.partial_minute,
      }))
        accruals.push({ ...acc, endpoint: o.id });
      return { o, billable: billableReplicas(o) };
    });
    // The metering's writes, the engine's history (written, then read back) and the reconciliation's read
    // touch different tables and are issued together: one round trip, in this order. One batch is one
    // transaction: if any of it fails, the tick's ledger rows and meter points roll back with it and the
    // tick ends in error; the next tick meters from the meter points before, so the whole interval is
    // charged once, by it (an interval past metering.gap_minutes is a gap, as after any missed tick). The
    // lifecycle model test fails D1 requests here (before and after D1 applied them) and checks exactly that.
    const recorded = Promise.all([recordMetering(db, now, metered, accruals), saveCatalogs(db, fleet.catalogsToSave)]);
    summary.endpoints = fleet.observations.length;
    const unconfirmed = accruals.reduce((sum, a) => sum + Math.max(0, a.micro - (a.gapMicro ?? 0) - (a.lowMicro ?? a.micro)), 0);
    const spent = new Map<string, number>();
    for (const a of accruals) spent.set(a.endpoint, (spent.get(a.endpoint) ?? 0) + a.micro);
    const [engine, reconciled] = await Promise.all([
      engineAfter(db, {
        policy,
        now,
        observations: fleet.observations,
        points,
        spend: spent,
        metrics: reading.metrics,
        failedNamespaces: fleet.failedNamespaces,
        before,
      }),
      // Reconcile: resolve what earlier ticks, forced and scheduled actions left unknown or failed
      // against what HF reports now, before planning, so nothing is planned twice or left unrestorable.
      reconcile(db, {
        observations: fleet.observations,
        routes,
        now,
        staleBefore: now - leaseMs,
        sinceDay: budgetDay(budgetDayBounds(now, tz).start - RECONCILE_DAYS * 86_400_000, tz),
      }),
      recorded,
    ]);
    // A change of an earlier day found applied is restorable at once.
    const candidates =
      policy.restore === "next_day" && reconciled.confirmed.some((r) => r.day < day) ? await restoreCandidates(db, day) : before.candidates;

    // Decide.
    // Every dollar: the endpoints' replica-hours and the gateway's token-priced answers (store/day-spend.ts).
    // In force at the tick's time, counting those a person made since: the cron's scheduledTime is the
    // minute, the tick reads this seconds later, and a suspend or forced restore made in between is a
    // decision the tick must not undo (bounded by the lease, so a simulator's virtual `now` ignores the wall clock).
    const active = activeOverrides(db, now, Math.min(clock(), now + leaseMs));
    const [spend, settled, overrides, approvalRecords, budgets] = await Promise.all([
      daySpend(db, day, budgetDayBounds(now, tz)),
      settledToday(db, day, policy.mode),
      active,
      loadApprovals(db, policy, day),
      active.then((o) => namedBudgets(db, policy, day, now, [...fleet.observations, ...engine.stale], engine.history, o)),
    ]);
    const previousLevel = spend.level;
    const confirmedSpendMicro = confirmedSpend(
      {
        totalMicro: spend.totalMicro,
        gapMicro: spend.dedicated.gapMicro,
        unconfirmedMicro: unconfirmed,
        varMicro2: spend.dedicated.varMicro2,
      },
      policy.metering.pause_margin_sigmas,
    );
    const thePlan = plan({
      policy,
      day,
      observations: fleet.observations,
      spendMicro: spend.totalMicro,
      gateway: { spendMicro: spend.gateway.totalMicro, unpricedAnswers: spend.gateway.unpricedRequests },
      // The pause needs the estimate at 200 % without what was metered across observation gaps, without
      // this tick's unconfirmed part (an interval's change is placed, not seen: its low bound is what both
      // observations confirm) and less metering.pause_margin_sigmas standard errors of the day's estimate, and this tick's
      // observation still burning (plan.ts, pauseConfirmed).
      confirmedSpendMicro,
      prices: fleet.prices,
      previousLevel,
      routes,
      doneKeys: settled.keys,
      exhaustedKeys: settled.exhausted,
      now,
      history: engine.history,
      blind: engine.blind,
      stale: engine.stale,
      restoreCandidates: candidates,
      overrides,
      ...(budgets ? { budgets } : {}),
      ...(approvalRecords ? { approvals: approvalRecords } : {}),
      lastScaleUpAt: settled.lastScaleUpAt,
      scaleUpFloor: settled.scaleUpFloor,
    });
    if (thePlan.level > previousLevel) await raiseDayLevel(db, day, thePlan.level, thePlan.budgetMicro, now);

    // Act: each call ends before the lease does, so an overlapping tick can never act at the same time.
    const deadline = started + leaseMs - RECORD_MARGIN_MS;
    // One-shot alerts are written with the state change that raises them, never after it (a lost write
    // would lose them: nothing raises them again): approvals' with their rows, a restore's with its claim,
    // restore_skipped with the rows it settles. Conditions are raised again each tick and go last.
    const approvalEvents = thePlan.approval ? await recordApprovals(db, day, thePlan.approval, now, policy.mode === "dry_run") : [];
    const actionKeys = new Set(thePlan.actions.map((a) => a.key));
    // An event alert keyed as an action (a restore's) announces that action.
    const announcing = new Map(
      thePlan.alerts
        .filter((a) => ALERT_KINDS[a.kind] === "event" && actionKeys.has(a.dedupKey))
        .map((a) => [a.dedupKey, alertEvent(now, a)]),
    );
    // Written with the journal rows they settle: a restore left to a person, and one a person already made
    // (a `restore` alert with no action of its own: nothing else would raise it once its rows are settled).
    const settlesRows = (a: Alert) => a.kind === "restore_skipped" || (a.kind === "restore" && !actionKeys.has(a.dedupKey));
    const settling = thePlan.alerts.filter(settlesRows);
    const executed = await act(
      {
        db,
        provider: deps.provider,
        mode: policy.mode,
        day,
        now,
        clock,
        deadline,
        claimMs: leaseMs,
        heldOff: heldOffSince(db, now, leaseMs, clock),
        announce: (a) => {
          const e = announcing.get(a.key);
          return e ? [e] : [];
        },
      },
      thePlan.actions,
    );
    const settledEvents =
      candidates.length > 0 || (thePlan.restoreSettled?.length ?? 0) > 0
        ? await settleRestores(
            db,
            thePlan,
            executed,
            now,
            day,
            settling.map((a) => alertEvent(now, a)),
          )
        : [];

    // Record. The actions' events (and reconciliation's) were written with their journal results, the
    // one-shot alerts with their causes; the rest (conditions, raised again next tick) now.
    const events = [
      ...reconciled.events,
      ...executed.flatMap((x) => x.events),
      ...approvalEvents,
      ...settledEvents,
      ...(await recordEvents(db, [
        ...[...fleet.errors, ...reading.errors].map((e) => providerErrorEvent(now, day, e)),
        ...reconciled.alerts,
        ...thePlan.alerts.filter((a) => !announcing.has(a.dedupKey) && !settlesRows(a)).map((a) => alertEvent(now, a)),
      ])),
    ].sort((a, b) => a.id - b.id);
    await deps.notifier?.afterTick({
      db,
      now,
      alerts: thePlan.alerts,
      acked: thePlan.acked ?? [],
      acks: ackedConditions(overrides),
      observed: fleet.observations.map((o) => o.id),
      complete: fleet.errors.length === 0,
      spendRatio: thePlan.ratio,
      ...(budgets ? { budgetRatios: new Map(budgets.budgets.map((b) => [b.name, b.ratio])) } : {}),
      events,
      policy: policy.alerts,
      inTime: () => clock() < deadline,
      subrequestsUsed: deps.subrequests?.() ?? 0,
    });
    // Last: HF's billing usage, hourly, on the subrequests and time the rest of the tick left. Never fatal.
    const billing = await reconcileBilling({
      db,
      provider: deps.provider,
      policy,
      now,
      budget: SUBREQUEST_CEILING - (deps.subrequests?.() ?? 0),
      leftMs: deadline - clock(),
    }).catch((err: unknown) => {
      log({ event: "error", message: `billing reconciliation failed: ${err instanceof Error ? err.message : String(err)}` });
      return undefined;
    });
    if (billing) events.push(...billing.events);
    for (const x of executed) {
      if (x.status !== "skipped") {
        log({
          event: "action",
          kind: x.action.kind,
          endpoint: x.action.endpoint,
          status: x.status,
          reason: x.action.reason,
          error: x.error,
        });
      }
    }
    for (const e of events) {
      if (e.type === "alert") log({ event: "alert", kind: e.kind, severity: e.severity ?? "info", endpoint: e.endpoint, title: e.title });
    }
    summary.actions = executed.filter((x) => x.status !== "skipped").length;
    summary.alerts = events.filter((e) => e.type === "alert").length;
    summary.subrequests = deps.subrequests?.() ?? 0;
    const outcome = blind ? "blind" : fleet.errors.length > 0 || executed.some((x) => x.status === "failed") ? "partial" : "ok";
    // The tick's row, which releases the lease with it: one statement.
    await finishTick(db, tickId, clock(), {
      outcome,
      day,
      spendMicro: thePlan.spendMicro,
      budgetMicro: thePlan.budgetMicro,
      ratio: thePlan.ratio,
      level: thePlan.level,
      ...summary,
      error: fleet.errors.length
        ? fleet.errors
            .map((e) => e.message)
            .join("; ")
            .slice(0, 1000)
        : null,
    });
    finished = true;
    log({
      event: "tick",
      outcome,
      day,
      spend: formatUsd(thePlan.spendMicro),
      budget: formatUsd(thePlan.budgetMicro),
      ratio: Number(thePlan.ratio.toFixed(4)),
      level: levelName(thePlan.level),
      endpoints: summary.endpoints,
      actions: summary.actions,
      alerts: summary.alerts,
      ms: clock() - started,
    });
    const metering = { standardErrorMicro: standardError(spend.dedicated.varMicro2), confirmedSpendMicro };
    return { ran: true, tickId, outcome, plan: thePlan, executed, events, metering, ...(billing ? { billing } : {}) };
  } catch (err) {
    // A thrown error is a bug or a storage failure: record it, keep the message free of secrets. Only on
    // a row still running: if the tick's last write landed and only D1's answer was lost, the tick did
    // its work and its row says so (docs/architecture.md, step 7).
    const message = err instanceof Error ? err.message : String(err);
    log({ event: "error", message: `tick failed: ${message}` });
    await failTick(db, tickId, clock(), {
      outcome: "error",
      day: null,
      spendMicro: null,
      budgetMicro: null,
      ratio: null,
      level: null,
      ...summary,
      error: message.slice(0, 1000),
    }).catch(() => {});
    throw err;
  } finally {
    // Released with the row's outcome, unless that write failed (or its answer was lost: releasing again is harmless).
    if (!finished) await releaseLease(db, deps.holder).catch(() => {});
  }
}
