// The decision engine's settings: anomaly triggers, baselines, request metrics, blast radius,
// restore and blind detection. Every number the engine uses lives here, the cost guide's value as
// default, so an existing guardrail.yaml stays valid and a person can tune each one.
import * as z from "zod";

const enabled = z.boolean().default(true).describe("false turns this trigger off");
const minutes = (d: number, what: string) => z.number().int().min(1).max(1440).default(d).describe(what);

const hourlyBurn = z
  .object({
    enabled,
    budget_divisor: z
      .number()
      .positive()
      .default(24)
      .describe("alert when the fleet's spend over the window (60 minutes by default) exceeds the daily budget divided by this"),
    window_minutes: minutes(60, "how far back the hourly spend is summed (the limit scales with it)"),
  })
  .strict();

const runawayScaling = z
  .object({
    enabled,
    cap: z.boolean().default(false).describe("also cap maxReplica at the endpoint's expected_max_replicas (never on critical endpoints)"),
  })
  .strict();

const requestSpike = z
  .object({
    enabled,
    factor: z.number().positive().default(5).describe("alert when the request rate exceeds this many times the baseline"),
    window_minutes: minutes(15, "the current request rate is averaged over this many minutes"),
    min_requests_per_hour: z
      .number()
      .min(0)
      .default(60)
      .describe("rates below this are never a spike (an idle endpoint's baseline is near zero)"),
  })
  .strict();

const spendSpike = z
  .object({
    enabled,
    factor: z.number().positive().default(2).describe("alert when an endpoint's spend rate exceeds this many times its baseline"),
    window_minutes: minutes(15, "the current spend rate is averaged over this many minutes"),
    min_usd_per_hour: z.number().min(0).default(0.5).describe("spend rates below this are never a spike"),
  })
  .strict();

const coldStarts = z
  .object({
    enabled,
    max_per_hour: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe(
        "alert when an endpoint starts more replicas than this per hour: wakes from zero and scale-ups alike (each loads the model and bills while initializing)",
      ),
    window_minutes: minutes(60, "replica starts are counted over this many minutes (the limit scales with it)"),
  })
  .strict();

const underutilized = z
  .object({
    enabled,
    below_percent: z.number().min(0).max(100).default(10).describe("alert when average hardware usage is below this"),
    window_minutes: minutes(60, "usage is averaged over this many minutes; the endpoint must have been billed for at least 90 % of it"),
    min_samples: z.number().int().min(1).default(3).describe("metric readings needed in the window before judging"),
  })
  .strict();

const scaleUp = z
  .object({
    enabled,
    max_pending_requests: z.number().min(0).default(10).describe("scale up when more requests than this are pending"),
    max_p95_latency_ms: z.number().min(0).default(500).describe("scale up when p95 latency exceeds this (milliseconds)"),
    max_budget_ratio: z
      .number()
      .positive()
      .max(1)
      .default(1)
      .describe(
        "scale up only while today's spend is under this ratio of the budget (and the forecast with the added replica under 100 %)",
      ),
    cooldown_minutes: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe("wait at least this long after a scale-up before the next one on the same endpoint (its replica may be the answer)"),
  })
  .strict();

const errorRate = z
  .object({
    enabled,
    max_percent: z.number().min(0).max(100).default(1).describe("alert when more than this percent of requests answer 5xx"),
    window_minutes: minutes(5, "the error rate is computed over this many minutes"),
    min_requests: z.number().int().min(0).default(100).describe("requests needed in the window before judging"),
  })
  .strict();

const forecast = z
  .object({
    enabled,
    budget: z.boolean().default(true).describe("also alert when the forecast crosses 100 % of the budget, not only the ladder thresholds"),
  })
  .strict();

export const triggersSchema = z
  .object({
    hourly_burn: hourlyBurn.default(hourlyBurn.parse({})),
    runaway_scaling: runawayScaling.default(runawayScaling.parse({})),
    request_spike: requestSpike.default(requestSpike.parse({})),
    spend_spike: spendSpike.default(spendSpike.parse({})),
    cold_starts: coldStarts.default(coldStarts.parse({})),
    underutilized: underutilized.default(underutilized.parse({})),
    scale_up: scaleUp.default(scaleUp.parse({})),
    error_rate: errorRate.default(errorRate.parse({})),
    forecast: forecast.default(forecast.parse({})),
  })
  .strict();

export const baselineSchema = z
  .object({
    days: z.number().int().min(1).max(7).default(7).describe("the same hour of each of the last N days is the normal for this hour"),
    min_days: z.number().int().min(1).max(7).default(3).describe("same-hour samples needed before that baseline is used"),
    fallback_hours: z
      .number()
      .int()
      .min(1)
      .max(24)
      .default(6)
      .describe("while history is shorter, the median of the last N complete hours is the normal"),
    fallback_min_hours: z.number().int().min(1).max(24).default(2).describe("complete hours needed before any baseline exists"),
    min_coverage_minutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(15)
      .describe("an hour counts only if the guardrail observed at least this many minutes of it"),
  })
  .strict()
  .refine((b) => b.min_days <= b.days, { message: "baseline.min_days must be <= baseline.days" })
  .refine((b) => b.fallback_min_hours <= b.fallback_hours, {
    message: "baseline.fallback_min_hours must be <= baseline.fallback_hours",
  });

const names = (d: string[], what: string) =>
  z
    .array(z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/))
    .default(d)
    .describe(what);

/**
 * Which open-metrics names mean what. HF's documentation names only `http_requests`,
 * `latency_distribution` and `cpu_usage_percent` (hf-endpoints-documentation, guides/analytics.md; the
 * OpenMetrics guide says "hardware metrics for all accelerator types" without naming them, and there is
 * no queue metric). The other defaults are our reading and the emulator's; see docs/metering.md.
 */
export const metricNamesSchema = z
  .object({
    requests: names(
      ["http_requests", "http_requests_total"],
      "counters of requests, labelled replica_id and status_code (documented by HF)",
    ),
    latency: names(["latency_distribution"], "latency summary in seconds with a quantile label; p95 is read (documented by HF)"),
    pending: names(
      ["pending_requests", "http_pending_requests"],
      "gauges of requests waiting or in flight per replica (not documented by HF: the queue trigger needs one that exists)",
    ),
    accelerator_usage: names(
      ["gpu_usage_percent", "accelerator_usage_percent", "neuron_usage_percent"],
      "GPU/accelerator busy percent per replica (HF exports one but documents no name): a GPU endpoint's usage comes only from these",
    ),
    cpu_usage: names(["cpu_usage_percent"], "CPU percent per replica (documented by HF): the usage of CPU endpoints only"),
  })
  .strict();

export type MetricNames = z.infer<typeof metricNamesSchema>;
export const DEFAULT_METRIC_NAMES: MetricNames = metricNamesSchema.parse({});

export const metricsSchema = z
  .object({
    names: metricNamesSchema.prefault({}).describe("open-metrics names mapped to requests, latency, pending requests and usage"),
    open_metrics: z
      .boolean()
      .default(true)
      .describe("read request rate, latency, errors, pending requests and usage from each endpoint's open-metrics (HF Team/Enterprise)"),
    max_endpoints_per_tick: z
      .number()
      .int()
      .min(0)
      .default(20)
      .describe("open-metrics reads per tick (one subrequest each); larger fleets are read in rotation"),
  })
  .strict();

export const blastRadiusSchema = z
  .object({
    max_changes_per_tick: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe("at most this many actions per tick, most expensive first; the rest wait for the next tick"),
  })
  .strict();

export const blindSchema = z
  .object({
    after_ticks: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe("consecutive ticks that fail to list a namespace before the guardrail calls itself blind"),
    on_blind: z
      .enum(["hold", "fail_safe"])
      .default("hold")
      .describe("hold: alert only; fail_safe: when blind while over a threshold, act at the shutdown level on the last known fleet"),
  })
  .strict();

/** Spread into the policy object: each key is one top-level section of guardrail.yaml. */
export const enginePolicyShape = {
  triggers: triggersSchema.default(triggersSchema.parse({})).describe("anomaly triggers beside the budget ladder"),
  baseline: baselineSchema.default(baselineSchema.parse({})).describe("how 'normal' is learned from history"),
  metrics: metricsSchema.default(metricsSchema.parse({})).describe("where request metrics come from"),
  blast_radius: blastRadiusSchema.default(blastRadiusSchema.parse({})).describe("how many changes one tick may make"),
  restore: z
    .enum(["next_day", "manual"])
    .default("next_day")
    .describe("next_day: at the start of the next budget day put back what the guardrail changed; manual: leave it to a person"),
  blind: blindSchema.default(blindSchema.parse({})).describe("what happens when the fleet cannot be observed"),
};
