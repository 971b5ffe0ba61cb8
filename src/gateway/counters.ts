// Gateway metrics: each request becomes a handful of counters (requests, status, latency bucket,
// bytes, fallback reason) added up in memory per minute, service, target and endpoint, and
// written to D1 as one statement at most every flush interval. Percentiles come from the
// latency histogram (store/latency.ts), so any window can be summed and still give p50/p90/p99.

import { LATENCY_BOUNDS_MS } from "../store/index.ts";

export type TargetRole = "primary" | "fallback";
export type Failure = "timeout" | "network";

export interface CounterKey {
  /** unix ms at the start of the minute */
  minute: number;
  service: string;
  target: TargetRole;
  /** `namespace/name`, or the URL's origin for URL targets */
  endpoint: string;
}

export interface CounterRow extends CounterKey {
  name: string;
  value: number;
}

/** One attempt at one target: the primary, or the fallback. */
export interface AttemptRecord extends Omit<CounterKey, "minute"> {
  /** when the request started, unix ms */
  at: number;
  /** upstream status; null when no response came (see failure) */
  status: number | null;
  failure: Failure | null;
  /** time until the upstream's response headers, ms */
  latencyMs: number;
  bytesIn: number;
  /** bytes of the response body, when known at header time (Content-Length); streamed bodies add theirs later */
  bytesOut: number;
}

const MINUTE = 60_000;
export const minuteOf = (ms: number) => ms - (ms % MINUTE);

export function latencyBucket(ms: number): string {
  for (const bound of LATENCY_BOUNDS_MS) if (ms <= bound) return `latency_le_ms:${bound}`;
  return "latency_le_ms:inf";
}

/** Failed from the caller's point of view: server errors, rate limits, timeouts, unreachable. */
export const isError = (status: number | null, failure: Failure | null) => failure !== null || status === 429 || (status ?? 0) >= 500;

/** The counters one attempt adds. */
export function countersOf(a: AttemptRecord): Array<[string, number]> {
  const out: Array<[string, number]> = [
    ["requests", 1],
    [latencyBucket(a.latencyMs), 1],
    ["latency_sum_ms", Math.round(a.latencyMs)],
  ];
  if (a.status !== null) out.push([`status:${a.status}`, 1]);
  if (a.failure !== null) out.push([`failure:${a.failure}`, 1]);
  if (isError(a.status, a.failure)) out.push(["errors", 1]);
  if (a.bytesIn > 0) out.push(["bytes_in", a.bytesIn]);
  if (a.bytesOut > 0) out.push(["bytes_out", a.bytesOut]);
  return out;
}

const keyString = (k: CounterKey) => `${k.minute}\u0000${k.service}\u0000${k.target}\u0000${k.endpoint}`;

/** Counters of this isolate not yet written to D1. */
export class MetricsAggregate {
  private pending = new Map<string, { key: CounterKey; counters: Map<string, number> }>();
  /** a bound on memory if D1 stays unreachable: past this many keys, new counters are dropped (counted once per refused add or attempt) */
  dropped = 0;

  constructor(private readonly maxKeys = 10_000) {}

  add(key: CounterKey, name: string, value: number): void {
    if (value === 0) return;
    const counters = this.countersAt(key);
    if (counters) counters.set(name, (counters.get(name) ?? 0) + value);
  }

  recordAttempt(a: AttemptRecord): void {
    const counters = this.countersAt({ minute: minuteOf(a.at), service: a.service, target: a.target, endpoint: a.endpoint });
    if (!counters) return;
    for (const [name, value] of countersOf(a)) if (value !== 0) counters.set(name, (counters.get(name) ?? 0) + value);
  }

  /** The pending counters of `key`, created when new; null (and counted as dropped) past maxKeys. */
  private countersAt(key: CounterKey): Map<string, number> | null {
    const id = keyString(key);
    let entry = this.pending.get(id);
    if (!entry) {
      if (this.pending.size >= this.maxKeys) {
        this.dropped++;
        return null;
      }
      entry = { key, counters: new Map() };
      this.pending.set(id, entry);
    }
    return entry.counters;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Takes every pending counter, leaving the aggregate empty. */
  drain(): CounterRow[] {
    const rows: CounterRow[] = [];
    for (const { key, counters } of this.pending.values()) {
      for (const [name, value] of counters) rows.push({ ...key, name, value });
    }
    this.pending.clear();
    return rows;
  }

  /** Puts back rows whose write failed, so the next flush retries them. */
  restore(rows: readonly CounterRow[]): void {
    for (const { name, value, ...key } of rows) this.add(key, name, value);
  }
}
