// One guard tick: lease, observe, meter, decide, act, record. The imperative shell around the
// pure core; every dependency (D1, provider, clock, log) comes in as a parameter.
import { gateApprovals } from "../control/approvals.ts";
import { ackedConditions, billableReplicas, budgetDay, formatUsd, levelName, meter, plan } from "../core/index.ts";
import type { Alert, Plan, PlannedAction } from "../core/types.ts";
import type { Notifier } from "../notify/index.ts";
import type { PolicyIssue, PolicyResult } from "../policy/index.ts";
import type { EndpointProvider, ProviderError } from "../providers/types.ts";
import {
  activeOverrides,
  dayLevel,
  type EndpointAccrual,
  type EventRow,
  finishTick,
  loadMeterPoints,
  loadRoutes,
  type NewEvent,
  raiseDayLevel,
  recordEvents,
  recordMetering,
  releaseLease,
  settledKeys,
  spendToday,
  startTick,
  takeLease,
} from "../store/index.ts";
import { namedBudgets } from "./budgets.ts";
import { engineAfter, engineBefore, settleRestores } from "./engine.ts";
import { type ExecutedAction, executePlan } from "./execute.ts";
import { readMetrics } from "./metrics.ts";
import { observeFleet } from "./observe.ts";

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
  outcome: "skipped" | "ok" | "partial" | "blind" | "policy_invalid" | "error";
  plan: Plan | null;
  executed: ExecutedAction[];
  /** events recorded by this tick (alerts already seen today are not repeated) */
  events: EventRow[];
}

export const DEFAULT_LEASE_MS = 90_000;

const DONE_VERB: Record<PlannedAction["kind"], string> = {
  scale_down: "Capped",
  reroute: "Rerouted",
  pause: "Paused",
  scale_up: "Added a replica to",
  cap_replicas: "Capped at expected max",
  restore: "Restored",
  schedule_scale: "Scaled",
};

function providerErrorEvent(now: number, day: string, e: ProviderError): NewEvent {
  return {
    at: now,
    type: "error",
    kind: `provider_${e.code}`,
    severity: "warning",
    endpoint: e.endpoint ?? null,
    title: e.endpoint ? `Could not read ${e.endpoint}` : "Could not observe the fleet",
    message: e.message + (e.requestId ? ` (request id ${e.requestId})` : ""),
    data: { code: e.code, status: e.status ?? null },
    // One per day per problem, so a provider outage does not flood the timeline.
    dedupKey: `${day}:error:${e.code}:${e.endpoint ?? e.message}`,
  };
}

/** An alert of the plan as a timeline event. */
export const alertEvent = (now: number, a: Alert): NewEvent => ({
  at: now,
  type: "alert",
  kind: a.kind,
  severity: a.severity,
  endpoint: a.endpoint,
  title: a.title,
  message: a.message,
  data: a.figures,
  dedupKey: a.dedupKey,
});

export function actionEvents(now: number, day: string, executed: readonly ExecutedAction[]): NewEvent[] {
  const out: NewEvent[] = [];
  for (const x of executed) {
    if (x.status === "skipped") continue;
    const a = x.action;
    const verb = DONE_VERB[a.kind];
    const title =
      x.status === "dry_run"
        ? `[dry run] would ${a.kind.replace("_", " ")} ${a.endpoint}`
        : x.status === "failed"
          ? `Failed to ${a.kind.replace("_", " ")} ${a.endpoint}`
          : `${verb} ${a.endpoint}`;
    out.push({
      at: now,
      type: "action",
      kind: a.kind,
      severity: null,
      endpoint: a.endpoint,
      title,
      message: a.reason,
      data: { key: a.key, status: x.status, level: a.level, change: a.change, before: a.before, after: x.after, error: x.error },
      dedupKey: null,
    });
    if (x.status === "failed") {
      out.push({
        at: now,
        type: "alert",
        kind: "action_failed",
        severity: "critical",
        endpoint: a.endpoint,
        title: `Could not ${a.kind.replace("_", " ")} ${a.endpoint}`,
        message: `${x.error}. The guardrail retries on the next ticks; act by hand if spend keeps rising.`,
        data: { key: a.key },
        dedupKey: `${day}:action_failed:${a.key}`,
      });
    }
  }
  return out;
}

export async function runTick(deps: TickDeps): Promise<TickReport> {
  const { db, now, clock, log } = deps;
  const started = clock();
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(await takeLease(db, deps.holder, now, leaseMs))) {
    log({ event: "tick_skipped", reason: "another tick holds the lease" });
    return { ran: false, outcome: "skipped", plan: null, executed: [], events: [] };
  }
  const tickId = await startTick(db, now, started);
  const summary = { endpoints: 0, actions: 0, alerts: 0, subrequests: 0 };
  try {
    const issues = [...(deps.problems ?? []), ...(deps.policy.ok ? [] : deps.policy.issues)];
    if (!deps.policy.ok || issues.length > 0) {
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
      return { ran: true, outcome: "policy_invalid", plan: null, executed: [], events };
    }
    const policy = deps.policy.policy;
    const tz = policy.budget.timezone;
    const day = budgetDay(now, tz);

    // Observe and meter.
    const before = await engineBefore(db, policy, day);
    const fleet = await observeFleet(deps.provider, policy.hf.namespaces);
    const reading = await readMetrics(deps.provider, fleet.observations, policy, now);
    const blind = fleet.failedNamespaces.length === policy.hf.namespaces.length;
    const points = await loadMeterPoints(db);
    const accruals: EndpointAccrual[] = [];
    const metered = fleet.observations.map((o) => {
      for (const acc of meter(points.get(o.id), o, now, tz)) accruals.push({ ...acc, endpoint: o.id });
      return { o, billable: billableReplicas(o) };
    });
    await recordMetering(db, now, metered, accruals);
    summary.endpoints = fleet.observations.length;
    const spent = new Map<string, number>();
    for (const a of accruals) spent.set(a.endpoint, (spent.get(a.endpoint) ?? 0) + a.micro);
    const engine = await engineAfter(db, {
      policy,
      now,
      observations: fleet.observations,
      points,
      spend: spent,
      metrics: reading.metrics,
      failedNamespaces: fleet.failedNamespaces,
      before,
    });

    // Decide.
    const active = activeOverrides(db, now);
    const [spendMicro, previousLevel, doneKeys, routes, overrides, budgets] = await Promise.all([
      spendToday(db, day),
      dayLevel(db, day),
      settledKeys(db, day),
      loadRoutes(db),
      active,
      active.then((o) => namedBudgets(db, policy, day, now, [...fleet.observations, ...engine.stale], engine.history, o)),
    ]);
    const thePlan = plan({
      policy,
      day,
      observations: fleet.observations,
      spendMicro,
      previousLevel,
      routes,
      doneKeys,
      now,
      history: engine.history,
      blind: engine.blind,
      stale: engine.stale,
      restoreCandidates: before.candidates,
      overrides,
      ...(budgets ? { budgets } : {}),
    });
    if (thePlan.level > previousLevel) await raiseDayLevel(db, day, thePlan.level, thePlan.budgetMicro, now);

    // Act: stop before the lease runs out so an overlapping tick can never act at the same time.
    const deadline = started + leaseMs - 15_000;
    const approvals = await gateApprovals(db, policy, day, thePlan.actions, now);
    const executed = await executePlan(
      { db, provider: deps.provider, mode: policy.mode, day, now, staleBefore: now - leaseMs, inTime: () => clock() < deadline },
      approvals.run,
    );
    if (before.candidates.length > 0) await settleRestores(db, thePlan, executed, before.candidates, now);

    // Record.
    const events = await recordEvents(db, [
      ...[...fleet.errors, ...reading.errors].map((e) => providerErrorEvent(now, day, e)),
      ...actionEvents(now, day, executed),
      ...thePlan.alerts.map((a) => alertEvent(now, a)),
      ...approvals.alerts.map((a) => alertEvent(now, a)),
    ]);
    await deps.notifier?.afterTick({
      db,
      now,
      alerts: thePlan.alerts,
      acked: thePlan.acked ?? [],
      acks: ackedConditions(overrides),
      observed: fleet.observations.map((o) => o.id),
      complete: fleet.errors.length === 0,
      spendRatio: thePlan.ratio,
      events,
      policy: policy.alerts,
      inTime: () => clock() < deadline,
      subrequestsUsed: deps.subrequests?.() ?? 0,
    });
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
    return { ran: true, outcome, plan: thePlan, executed, events };
  } catch (err) {
    // A thrown error is a bug or a storage failure: record it, keep the message free of secrets.
    const message = err instanceof Error ? err.message : String(err);
    log({ event: "error", message: `tick failed: ${message}` });
    await finishTick(db, tickId, clock(), {
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
    await releaseLease(db, deps.holder).catch(() => {});
  }
}
