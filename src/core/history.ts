// History: what each tick remembers of each endpoint (a sample), what the engine reads back
// (sums over recent windows, hourly buckets), and the baseline ("normal") learned from it. Pure.

import { billableReplicas, initializingReplicas, replicaStarts } from "./metering.ts";
import { HOUR_MS, type MicroUsd } from "./money.ts";
import type { EndpointMetrics } from "./observation.ts";
import type { MeterPoint, Observation } from "./types.ts";

/** Per-replica cumulative counters as last read, to turn the next reading into a delta. */
export type Counters = EndpointMetrics["replicas"];

export interface CounterPoint {
  at: number;
  counters: Counters;
}

/** One endpoint over one tick's interval (prev observation, now]; the row the tick stores. */
export interface Sample {
  endpoint: string;
  at: number;
  durationMs: number;
  spendMicro: MicroUsd;
  billable: number;
  /** 1 when the endpoint went from 0 billable replicas to at least one in this interval (a wake) */
  coldStart: 0 | 1;
  /** replicas that started in this interval: every one of a wake, and each one a scale-up added */
  starts: number;
  /** replica-milliseconds spent initializing (billed, not serving): the mean of the two ends x the interval */
  initializingMs: number;
  /** 1 when the interval was an observation gap (metered as an estimate) */
  estimated: 0 | 1;
  /** span the request deltas cover (since the previous metrics reading); 0 without a delta */
  metricsMs: number;
  requests: number;
  errors: number;
  pending: number | null;
  p95Ms: number | null;
  usagePct: number | null;
  /** this reading's counters, stored for the next delta; null when metrics were not read */
  counters: Counters | null;
}

/** Sums over the samples of one endpoint whose end lies in the last `minutes` (clipped to the window). */
export interface WindowStats {
  spanMs: number;
  spendMicro: number;
  /** replica starts: wakes from zero and scale-ups */
  coldStarts: number;
  /** of those, wakes from zero */
  wakes: number;
  /** replica-milliseconds initializing */
  initializingMs: number;
  /** time the endpoint had billable replicas */
  billableMs: number;
  metricsMs: number;
  requests: number;
  errors: number;
  usageAvg: number | null;
  usageSamples: number;
}

export const EMPTY_WINDOW: WindowStats = {
  spanMs: 0,
  spendMicro: 0,
  coldStarts: 0,
  wakes: 0,
  initializingMs: 0,
  billableMs: 0,
  metricsMs: 0,
  requests: 0,
  errors: 0,
  usageAvg: null,
  usageSamples: 0,
};

/** One endpoint over one clock hour [hour, hour + 1 h), rolled up from its samples. */
export interface HourBucket {
  endpoint: string;
  hour: number;
  spanMs: number;
  spendMicro: number;
  metricsMs: number;
  requests: number;
}

export interface Baseline {
  /** per hour: micro-USD for spend, requests for traffic */
  value: number;
  source: "same_hour" | "recent_hours";
  /** hours the median was taken over */
  hours: number;
}

export interface EndpointHistory {
  /** keyed by window length in minutes */
  windows: ReadonlyMap<number, WindowStats>;
  spendBaseline: Baseline | null;
  requestBaseline: Baseline | null;
  /** metrics read this tick (null when not read: no metrics, not awake, or not in this tick's rotation) */
  metrics: EndpointMetrics | null;
}

export interface FleetHistory {
  endpoints: ReadonlyMap<string, EndpointHistory>;
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;

/**
 * Requests and 5xx since the previous reading. A replica seen before contributes its increase; a new
 * replica, or one whose counter went down (restarted), contributes its whole count, as Prometheus'
 * `increase()` treats counter resets. Replicas that went away contribute nothing more.
 */
export function counterDelta(prev: Counters | undefined, cur: Counters): { requests: number; errors: number } {
  let requests = 0;
  let errors = 0;
  for (const [id, c] of Object.entries(cur)) {
    const p = prev?.[id];
    const reset = !p || c.requests < p.requests || c.errors < p.errors;
    requests += reset ? c.requests : c.requests - p.requests;
    errors += reset ? c.errors : c.errors - p.errors;
  }
  return { requests, errors };
}

/** The sample of one endpoint for this tick; undefined when there is no interval to describe. */
export function sampleOf(
  o: Observation,
  prev: MeterPoint | undefined,
  spendMicro: MicroUsd,
  metrics: EndpointMetrics | null,
  lastCounters: CounterPoint | undefined,
  now: number,
  gapMs = Number.POSITIVE_INFINITY,
): Sample | undefined {
  if (!prev || now <= prev.at) return undefined;
  const billable = billableReplicas(o);
  const initializing = ((prev.initializing ?? 0) + initializingReplicas(o)) / 2;
  const starts = replicaStarts(prev, o);
  const delta = metrics && lastCounters && now > lastCounters.at ? counterDelta(lastCounters.counters, metrics.replicas) : null;
  return {
    endpoint: o.id,
    at: now,
    durationMs: now - prev.at,
    spendMicro,
    billable,
    coldStart: starts.wake ? 1 : 0,
    starts: starts.started,
    initializingMs: Math.round(initializing * (now - prev.at)),
    estimated: now - prev.at > gapMs ? 1 : 0,
    metricsMs: delta && lastCounters ? now - lastCounters.at : 0,
    requests: delta?.requests ?? 0,
    errors: delta?.errors ?? 0,
    pending: metrics?.pendingRequests ?? null,
    p95Ms: metrics?.p95LatencyMs ?? null,
    usagePct: metrics ? hardwareUsage(o, metrics) : null,
    counters: metrics ? metrics.replicas : null,
  };
}

/**
 * The usage of the endpoint's own hardware: a CPU endpoint's CPU, an accelerator endpoint's accelerator,
 * never a GPU endpoint's CPU (a busy GPU with an idle CPU is not underutilized). A reading that does not
 * tell the two apart (a provider with one figure) is taken as given.
 */
export function hardwareUsage(o: Pick<Observation, "accelerator">, m: EndpointMetrics): number | null {
  const split = m.cpuUsagePercent !== undefined || m.acceleratorUsagePercent !== undefined;
  if (o.accelerator === "cpu") return split ? (m.cpuUsagePercent ?? null) : m.usagePercent;
  return split ? (m.acceleratorUsagePercent ?? null) : m.usagePercent;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface BaselineSettings {
  days: number;
  min_days: number;
  fallback_hours: number;
  fallback_min_hours: number;
  min_coverage_minutes: number;
}

/** Hour starts a baseline at `now` may read: the same hour on each of the last `days` days, and the last `fallback_hours` hours. */
export function baselineHours(now: number, b: BaselineSettings): number[] {
  const hour = hourOf(now);
  const out = new Set<number>();
  for (let d = 1; d <= b.days; d++) out.add(hour - d * 24 * HOUR_MS);
  for (let h = 1; h <= b.fallback_hours; h++) out.add(hour - h * HOUR_MS);
  return [...out].sort((a, b) => a - b);
}

/**
 * "Normal" for the current hour: the median per-hour rate over the same clock hour of the last
 * `days` days once `min_days` of them were observed; before that, the median of the last
 * `fallback_hours` complete hours once `fallback_min_hours` were observed; before that, none (warming up).
 * `rate` turns a bucket into a per-hour figure, or null when the bucket does not cover enough of the hour.
 */
export function baselineOf(
  buckets: readonly HourBucket[],
  now: number,
  b: BaselineSettings,
  rate: (bucket: HourBucket) => number | null,
): Baseline | null {
  const hour = hourOf(now);
  // Called twice per endpoint per tick: no map or hour list unless the endpoint has buckets.
  const byHour = buckets.length === 0 ? null : new Map(buckets.map((x) => [x.hour, x]));
  /** The rates of the `count` hours `step` apart before this one, most recent first. */
  const collect = (count: number, step: number) => {
    const rates: number[] = [];
    for (let i = 0; byHour && i < count; i++) {
      const bucket = byHour.get(hour - (i + 1) * step);
      const r = bucket ? rate(bucket) : null;
      if (r !== null) rates.push(r);
    }
    return rates;
  };
  const same = collect(b.days, 24 * HOUR_MS);
  if (same.length >= b.min_days) return { value: median(same), source: "same_hour", hours: same.length };
  const recent = collect(b.fallback_hours, HOUR_MS);
  if (recent.length >= b.fallback_min_hours) return { value: median(recent), source: "recent_hours", hours: recent.length };
  return null;
}

/** Spend per hour of a bucket (micro-USD), when the guardrail saw enough of that hour. */
export const spendRate =
  (minCoverageMs: number) =>
  (x: HourBucket): number | null =>
    x.spanMs >= minCoverageMs ? (x.spendMicro * HOUR_MS) / x.spanMs : null;

/** Requests per hour of a bucket, when metrics covered enough of that hour. */
export const requestRate =
  (minCoverageMs: number) =>
  (x: HourBucket): number | null =>
    x.metricsMs >= minCoverageMs ? (x.requests * HOUR_MS) / x.metricsMs : null;

/** Per-hour rate of a quantity summed over a window: `amount` over `spanMs`, or null without span. */
export function perHour(amount: number, spanMs: number): number | null {
  return spanMs > 0 ? (amount * HOUR_MS) / spanMs : null;
}
