// The gateway's latency histogram: the buckets' upper bounds, and percentiles read from bucket
// counts (the counters the gateway writes and the store sums over any window).

/** Upper bounds (ms) of the latency histogram buckets; a last bucket `inf` holds the rest. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10_000, 15_000, 20_000, 30_000,
  60_000, 120_000,
] as const;

export interface LatencyPercentiles {
  p50: number;
  p90: number;
  p99: number;
}

/**
 * Percentiles from bucket counts keyed by upper bound (`inf` for the last), interpolated linearly
 * inside the bucket. A percentile that falls in the `inf` bucket is reported as the last finite bound.
 */
export function percentiles(buckets: ReadonlyMap<string, number>): LatencyPercentiles | null {
  const at = quantiles(buckets);
  return at && { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

/** One quantile (0..1) of the histogram, interpolated as `percentiles` does; null without samples. */
export function latencyQuantile(buckets: ReadonlyMap<string, number>, q: number): number | null {
  return quantiles(buckets)?.(q) ?? null;
}

function quantiles(buckets: ReadonlyMap<string, number>): ((q: number) => number) | null {
  const ordered = LATENCY_BOUNDS_MS.map((b, i) => ({
    lower: i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] ?? 0),
    upper: b as number,
    n: buckets.get(String(b)) ?? 0,
  }));
  const last = LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1] ?? 0;
  ordered.push({ lower: last, upper: last, n: buckets.get("inf") ?? 0 });
  const total = ordered.reduce((s, b) => s + b.n, 0);
  if (total === 0) return null;
  const at = (q: number) => {
    const rank = q * total;
    let seen = 0;
    for (const b of ordered) {
      if (b.n > 0 && seen + b.n >= rank) return Number((b.lower + ((rank - seen) / b.n) * (b.upper - b.lower)).toFixed(3));
      seen += b.n;
    }
    return last;
  };
  return at;
}
