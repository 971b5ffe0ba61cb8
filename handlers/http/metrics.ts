// GET /metrics: Prometheus text exposition of the budget day, the fleet, actions, alerts, ticks,
// overrides and the inference gateway, for a scraper (Grafana Agent, Prometheus) with the read token.
import { Hono } from "hono";
import { budgetDay, exposition, type MetricFamily as Family, microToUsd, PROMETHEUS_CONTENT_TYPE } from "../../src/core/index.ts";
import { gatewayFamilies } from "../../src/gateway/index.ts";
import { FLEET_BUDGET } from "../../src/policy/index.ts";
import type { BillingJson, GuardStatus } from "../../src/status/index.ts";
import { gatewayCounterTotals, metricCounts } from "../../src/store/index.ts";
import type { AppEnv } from "./app.ts";
import { requireReader } from "./auth.ts";
import { loadStatus } from "./status.ts";

const FAILED_TICKS = new Set(["error", "policy_invalid", "blind"]);

/** The billing reconciliation (status `billing`), one series per namespace read at least once. */
function billingFamilies(billing: BillingJson): Family[] {
  const read = billing.namespaces.filter((n) => n.fetched_at !== null);
  const each = (value: (n: (typeof read)[number]) => number | null) =>
    read.flatMap((n) => {
      const v = value(n);
      return v === null ? [] : [{ labels: { namespace: n.namespace }, value: v }];
    });
  return [
    {
      name: "guardrail_billed_usd",
      help: "HF's billed Inference Endpoints cost of the current billing period (sum of the Hub billing usage's totalCostMicroUSD), as of the last hourly read.",
      type: "gauge",
      samples: each((n) => n.billed_usd),
    },
    {
      name: "guardrail_billing_metered_usd",
      help: "The guardrail's metered endpoint spend over the same billing period's budget days, at the last read.",
      type: "gauge",
      samples: each((n) => n.metered_usd),
    },
    {
      name: "guardrail_billing_drift_usd",
      help: "Metered minus billed over the billing period at the last read: positive when the guardrail reads high.",
      type: "gauge",
      samples: each((n) => n.drift_usd),
    },
    {
      name: "guardrail_billing_rounding_allowance_usd",
      help: "Of the metered figure at the last billing read, the started-minute allowance (metering.partial_minute rounded_up): what a prorating bill would not show.",
      type: "gauge",
      samples: each((n) => n.rounding_allowance_usd),
    },
    {
      name: "guardrail_billing_fetched_timestamp_seconds",
      help: "When HF's billing usage last answered, unix seconds; alert when it is over two hours old.",
      type: "gauge",
      samples: each((n) => (n.fetched_at === null ? null : Date.parse(n.fetched_at) / 1000)),
    },
    {
      name: "guardrail_billing_read_ok",
      help: "1 when the last read of HF's billing usage answered and parsed, 0 when it failed (a 401/403: the token may not read billing).",
      type: "gauge",
      samples: billing.namespaces
        .filter((n) => n.last_attempt_at !== null)
        .map((n) => ({ labels: { namespace: n.namespace }, value: n.error === null ? 1 : 0 })),
    },
  ];
}

/** How sure today's metered endpoint spend is (status `guard.metering`, docs/metering.md): bounds, gaps, prices. */
function meteringFamilies(m: GuardStatus["metering"]): Family[] {
  return [
    {
      name: "guardrail_spend_bounds_usd",
      help: "Today's metered endpoint spend in USD at its low and high bound (the estimate between them: guardrail_spend_by_source_usd, source endpoints).",
      type: "gauge",
      samples: [
        { labels: { bound: "low" }, value: m.low_usd },
        { labels: { bound: "high" }, value: m.high_usd },
      ],
    },
    {
      name: "guardrail_spend_estimated_gap_usd",
      help: "The part of today's metered endpoint spend estimated across observation gaps (never alone a reason to pause).",
      type: "gauge",
      samples: [{ value: m.estimated_gap_usd }],
    },
    {
      name: "guardrail_spend_rounding_allowance_usd",
      help: "The part of today's metered endpoint spend that is the started-minute allowance (metering.partial_minute rounded_up; 0 when prorated).",
      type: "gauge",
      samples: [{ value: m.rounding_allowance_usd }],
    },
    {
      name: "guardrail_unpriced_replica_hours",
      help: "Billable replica-hours today no price was known for, metered at $0 (see the unpriced_endpoint alert).",
      type: "gauge",
      samples: [{ value: m.unpriced_replica_hours }],
    },
    {
      name: "guardrail_prices_stale",
      help: "1 when a namespace's price catalog is over an hour old (HF's catalog not answering) or was never read, else 0.",
      type: "gauge",
      samples: m.prices.map((p) => ({ labels: { namespace: p.namespace }, value: p.stale ? 1 : 0 })),
    },
  ];
}

export const metricsRoutes = new Hono<AppEnv>().get("/", requireReader, async (c) => {
  const now = c.get("clock")();
  const db = c.env.DB;
  // The status model's reading of today (src/status), the one /v1/status and the page show.
  const status = await loadStatus(c.env, c.var.runtime.config, now);
  const { figures, overrides, observed: stored } = status;
  const day = figures?.day ?? budgetDay(now, "UTC");
  const [counts, gateway] = await Promise.all([metricCounts(db, day), gatewayCounterTotals(db)]);
  const spend = figures?.byEndpoint ?? new Map<string, number>();
  const families: Family[] = [
    {
      name: "guardrail_policy_valid",
      help: "1 when the policy validates and the guardrail may act, 0 when it refuses to act.",
      type: "gauge",
      samples: [{ value: status.json.policy.valid && status.json.problems.length === 0 ? 1 : 0 }],
    },
  ];
  if ("budget" in status.json && figures) {
    const { json } = status;
    const dedicatedMicro = figures.spend.dedicatedMicro;
    const spendMicro = figures.spend.totalMicro;
    const budgetMicro = figures.budgetMicro;
    // The unlabeled series are the fleet budget (as before budgets:); each named budget adds a series
    // with its `budget` label, so `{budget=""}` selects the fleet and `{budget!=""}` the named ones.
    const named = json.budgets.filter((b) => b.name !== FLEET_BUDGET);
    const perBudget = (value: (b: (typeof named)[number]) => number) => named.map((b) => ({ labels: { budget: b.name }, value: value(b) }));
    families.push(
      {
        name: "guardrail_dry_run",
        help: "1 in dry run (records, changes nothing), 0 when enforcing.",
        type: "gauge",
        samples: [{ value: json.mode === "dry_run" ? 1 : 0 }],
      },
      {
        name: "guardrail_spend_usd",
        help: "Today's metered spend in USD (budget day in the policy's time zone); with a budget label, that named budget's spend in its period (month-to-date for a month budget).",
        type: "gauge",
        samples: [{ value: microToUsd(spendMicro) }, ...perBudget((b) => b.spend_usd)],
      },
      {
        name: "guardrail_spend_standard_error_usd",
        help: "The standard error of today's metered endpoint spend in USD (changes placed between two ticks, started minutes); the pause waits for spend less metering.pause_margin_sigmas (default 2) of these at 200 %.",
        type: "gauge",
        samples: [{ value: json.guard.metering.standard_error_usd }],
      },
      ...meteringFamilies(json.guard.metering),
      {
        name: "guardrail_spend_by_source_usd",
        help: "Today's spend in USD by source: endpoints (replica-hours) and gateway (token-priced answers).",
        type: "gauge",
        samples: [
          { labels: { source: "endpoints" }, value: microToUsd(dedicatedMicro) },
          { labels: { source: "gateway" }, value: microToUsd(figures.spend.gateway.totalMicro) },
        ],
      },
      {
        name: "guardrail_budget_usd",
        help: "Today's daily budget in USD, including an active raise_budget override; with a budget label, that named budget's amount for its period.",
        type: "gauge",
        samples: [{ value: microToUsd(budgetMicro) }, ...perBudget((b) => b.amount_usd)],
      },
      {
        name: "guardrail_budget_ratio",
        help: "Today's spend divided by today's budget; with a budget label, that named budget's spend divided by its amount.",
        type: "gauge",
        samples: [{ value: Number((spendMicro / budgetMicro).toFixed(6)) }, ...perBudget((b) => b.ratio)],
      },
      {
        name: "guardrail_level",
        help: "Highest ladder level reached today: 0 normal, 1 scale_down, 2 reroute, 3 shutdown; with a budget label, that named budget's level.",
        type: "gauge",
        samples: [{ value: figures.level }, ...perBudget((b) => b.level)],
      },
      ...billingFamilies(json.billing),
      {
        name: "guardrail_budget_pace_ratio",
        help: "Month budgets: today's spend divided by today's allowance (absent while the allowance is 0).",
        type: "gauge",
        samples: named.flatMap((b) => (b.pace_ratio === null ? [] : [{ labels: { budget: b.name }, value: b.pace_ratio }])),
      },
    );
  }
  const endpoints = stored.map((s) => s.observation);
  families.push(
    {
      name: "guardrail_endpoint_replicas",
      help: "Target replicas of each endpoint at its last observation.",
      type: "gauge",
      samples: endpoints.map((o) => ({ labels: { endpoint: o.id, state: o.state }, value: o.targetReplica })),
    },
    {
      name: "guardrail_endpoint_price_usd_per_hour",
      help: "Catalog price per replica-hour of each endpoint's hardware (absent when unknown).",
      type: "gauge",
      samples: endpoints.flatMap((o) =>
        o.priceMicroPerHour === null ? [] : [{ labels: { endpoint: o.id }, value: microToUsd(o.priceMicroPerHour) }],
      ),
    },
    {
      name: "guardrail_endpoint_spend_usd",
      help: "Today's metered spend of each endpoint in USD.",
      type: "gauge",
      samples: [...spend].map(([endpoint, micro]) => ({ labels: { endpoint }, value: microToUsd(micro) })),
    },
    {
      name: "guardrail_actions_total",
      help: "Actions in the journal by kind and result (the lifecycle state: applied, failed, dry_run, intent, restored, superseded, left_by_person).",
      type: "counter",
      samples: counts.actions.map((r) => ({ labels: { kind: r.kind, result: r.status }, value: r.n })),
    },
    {
      name: "guardrail_alerts_total",
      help: "Alerts recorded (once per condition per budget day) by kind and severity.",
      type: "counter",
      samples: counts.alerts.map((r) => ({ labels: { kind: r.kind, severity: r.severity ?? "none" }, value: r.n })),
    },
    {
      name: "guardrail_alert_deliveries_total",
      help: "Alert notices per channel by kind and delivery result: sent, failed (gave up), held (over the rate limit), pending (queued or retrying: the current number).",
      type: "counter",
      samples: counts.deliveries.map((r) => ({ labels: { channel: r.channel, kind: r.kind, result: r.status }, value: r.n })),
    },
    {
      name: "guardrail_ticks_total",
      help: "Ticks that took the lease, by outcome.",
      type: "counter",
      samples: counts.ticks.map((r) => ({ labels: { outcome: r.outcome }, value: r.n })),
    },
    {
      name: "guardrail_tick_failures_total",
      help: "Ticks that ended in error, refused to act (policy_invalid) or could not observe the fleet (blind).",
      type: "counter",
      samples: [{ value: counts.ticks.filter((r) => FAILED_TICKS.has(r.outcome)).reduce((a, r) => a + r.n, 0) }],
    },
    {
      name: "guardrail_last_tick_duration_seconds",
      help: "Wall time of the last finished tick.",
      type: "gauge",
      samples: counts.lastTick?.finished_at ? [{ value: (counts.lastTick.finished_at - counts.lastTick.started_at) / 1000 }] : [],
    },
    {
      name: "guardrail_last_tick_timestamp_seconds",
      help: "Scheduled time of the last finished tick, unix seconds.",
      type: "gauge",
      samples: counts.lastTick ? [{ value: counts.lastTick.scheduled_at / 1000 }] : [],
    },
    {
      name: "guardrail_seconds_since_last_good_observation",
      help: "Seconds since an endpoint was last observed (+Inf before the first observation); alert when it grows past a few minutes.",
      type: "gauge",
      samples: [{ value: counts.lastObservedAt === null ? Number.POSITIVE_INFINITY : Math.max(0, (now - counts.lastObservedAt) / 1000) }],
    },
    {
      name: "guardrail_overrides_active",
      help: "Overrides in force, by operation.",
      type: "gauge",
      samples: ["suspend", "raise_budget", "force", "ack"].map((op) => ({
        labels: { op },
        value: overrides.filter((o) => o.op === op).length,
      })),
    },
    {
      name: "guardrail_approvals_pending",
      help: "Actions waiting for a person's approval today.",
      type: "gauge",
      samples: [{ value: counts.pendingApprovals }],
    },
  );
  // The inference gateway's families (requests, fallbacks, latency histogram) follow ours.
  return c.body(exposition([...families, ...gatewayFamilies(gateway)]), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
});
