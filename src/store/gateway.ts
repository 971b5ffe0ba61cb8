// Gateway tables: the routing state the gateway reads (routes, the last observation's state and
// URL, recent counters of every isolate) in one round trip, and the per-minute counters it
// flushes, with the read functions the engine's triggers and /metrics use.
import type { RouteMode } from "../core/index.ts";
import { latencyQuantile, percentiles } from "./latency.ts";

export interface GatewayCounterRow {
  minute: number;
  service: string;
  target: string;
  endpoint: string;
  name: string;
  value: number;
}

/** How long per-minute counters are kept before being folded into minute 0 (totals stay whole). */
export const GATEWAY_RETENTION_MS = 7 * 24 * 3600_000;

/** Adds counters (one statement whatever their number). */
export async function addGatewayCounters(db: D1Database, rows: readonly GatewayCounterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .prepare(
      `INSERT INTO gateway_counters (minute, service, target, endpoint, name, value)
       SELECT json_extract(value, '$.minute'), json_extract(value, '$.service'), json_extract(value, '$.target'),
              json_extract(value, '$.endpoint'), json_extract(value, '$.name'), json_extract(value, '$.value')
       FROM json_each(?1) WHERE true
       ON CONFLICT (minute, service, target, endpoint, name) DO UPDATE SET value = value + excluded.value`,
    )
    .bind(JSON.stringify(rows))
    .run();
}

/** Folds minutes before `beforeMs` into minute 0 and deletes them, atomically. */
export async function compactGatewayCounters(db: D1Database, beforeMs: number): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO gateway_counters (minute, service, target, endpoint, name, value)
         SELECT 0, service, target, endpoint, name, SUM(value) FROM gateway_counters WHERE minute > 0 AND minute < ?1
         GROUP BY service, target, endpoint, name
         ON CONFLICT (minute, service, target, endpoint, name) DO UPDATE SET value = value + excluded.value`,
      )
      .bind(beforeMs),
    db.prepare("DELETE FROM gateway_counters WHERE minute > 0 AND minute < ?1").bind(beforeMs),
  ]);
}

export interface GatewayRoutingRows {
  routes: Map<string, RouteMode>;
  /** the latest budget day the tick recorded and the level it reached (the shutdown level refuses token-priced traffic) */
  budget: { day: string; level: number } | null;
  /** per service: token-priced spend flushed since the budget day's start, micro-USD */
  serviceSpend: Map<string, number>;
  /** the last observation of each endpoint: its state and URL */
  endpoints: Map<string, { state: string | null; url: string | null; observedAt: number }>;
  /** per primary endpoint and minute since `sinceMs`: requests and errors, all isolates */
  recent: Map<string, Array<{ minute: number; requests: number; errors: number }>>;
}

/** Everything the gateway's routing decision reads, in one batch (one round trip). */
export async function loadGatewayRouting(db: D1Database, sinceMs: number, dayStartMs = 0): Promise<GatewayRoutingRows> {
  const [routes, endpoints, recent, budget, spend] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT endpoint, mode FROM routes"),
    db.prepare(
      "SELECT endpoint, json_extract(snapshot, '$.state') AS state, json_extract(snapshot, '$.url') AS url, observed_at FROM endpoint_state",
    ),
    db
      .prepare(
        `SELECT endpoint, minute, SUM(CASE WHEN name = 'requests' THEN value ELSE 0 END) AS requests,
                SUM(CASE WHEN name = 'errors' THEN value ELSE 0 END) AS errors
         FROM gateway_counters WHERE minute >= ?1 AND target = 'primary' AND name IN ('requests', 'errors')
         GROUP BY endpoint, minute`,
      )
      .bind(sinceMs),
    db.prepare("SELECT day, level FROM budget_days ORDER BY day DESC LIMIT 1"),
    db
      .prepare(
        `SELECT service, SUM(value) AS value FROM gateway_counters
         WHERE minute >= ?1 AND name LIKE 'spend_micro:%' GROUP BY service`,
      )
      .bind(Math.max(1, dayStartMs)),
  ]);
  const day = (budget?.results ?? [])[0] as { day: string; level: number } | undefined;
  const out: GatewayRoutingRows = {
    routes: new Map(),
    endpoints: new Map(),
    recent: new Map(),
    budget: day ? { day: day.day, level: day.level } : null,
    serviceSpend: new Map(((spend?.results ?? []) as Array<{ service: string; value: number }>).map((r) => [r.service, r.value])),
  };
  for (const r of (routes?.results ?? []) as Array<{ endpoint: string; mode: RouteMode }>) out.routes.set(r.endpoint, r.mode);
  for (const r of (endpoints?.results ?? []) as Array<{
    endpoint: string;
    state: string | null;
    url: string | null;
    observed_at: number;
  }>) {
    out.endpoints.set(r.endpoint, { state: r.state, url: r.url, observedAt: r.observed_at });
  }
  for (const r of (recent?.results ?? []) as Array<{ endpoint: string; minute: number; requests: number; errors: number }>) {
    const list = out.recent.get(r.endpoint) ?? [];
    list.push({ minute: r.minute, requests: r.requests, errors: r.errors });
    out.recent.set(r.endpoint, list);
  }
  return out;
}

/** An endpoint's traffic through the gateway over a window, for the engine's rate, latency and error triggers. */
export interface GatewayStats {
  endpoint: string;
  sinceMs: number;
  untilMs: number;
  /** requests the gateway sent to this endpoint (as primary or fallback of any service) */
  requests: number;
  /** requests per minute over the window */
  ratePerMinute: number;
  /** 5xx, 429, timeouts and unreachable */
  errors: number;
  errorRate: number | null;
  statuses: Record<string, number>;
  failures: { timeout: number; network: number };
  /** time to response headers; null without requests */
  latencyMs: { p50: number; p90: number; p99: number; mean: number } | null;
  bytesIn: number;
  bytesOut: number;
  /** requests meant for this endpoint (as a service's primary) that went to the fallback, by reason */
  fallbacks: number;
  fallbacksByReason: Record<string, number>;
}

/**
 * Traffic the gateway sent to `endpoint` (as any service's primary or fallback) in the minutes from
 * `sinceMs` (rounded down to its minute) up to `untilMs` (usually now), as flushed to D1: it trails
 * live traffic by at most the flush interval. Minutes older than the retention are gone.
 */
export async function gatewayStats(db: D1Database, endpoint: string, sinceMs: number, untilMs: number): Promise<GatewayStats> {
  const from = Math.max(1, sinceMs - (sinceMs % 60_000));
  const { results } = await db
    .prepare(
      `SELECT name, SUM(value) AS value FROM gateway_counters
       WHERE endpoint = ?1 AND minute >= ?2 AND minute < ?3 GROUP BY name`,
    )
    .bind(endpoint, from, untilMs)
    .all<{ name: string; value: number }>();
  const c = new Map(results.map((r) => [r.name, r.value]));
  const get = (name: string) => c.get(name) ?? 0;
  const prefixed = (prefix: string) =>
    Object.fromEntries([...c].filter(([n]) => n.startsWith(prefix)).map(([n, v]) => [n.slice(prefix.length), v]));
  const requests = get("requests");
  const errors = get("errors");
  const buckets = new Map(Object.entries(prefixed("latency_le_ms:")));
  const p = percentiles(buckets);
  const fallbacksByReason = prefixed("fallback:");
  return {
    endpoint,
    sinceMs: from,
    untilMs,
    requests,
    ratePerMinute: requests / Math.max(1, (untilMs - from) / 60_000),
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    statuses: prefixed("status:"),
    failures: { timeout: get("failure:timeout"), network: get("failure:network") },
    latencyMs: p && requests > 0 ? { ...p, mean: Number((get("latency_sum_ms") / requests).toFixed(3)) } : null,
    bytesIn: get("bytes_in"),
    bytesOut: get("bytes_out"),
    fallbacks: Object.values(fallbacksByReason).reduce((a, b) => a + b, 0),
    fallbacksByReason,
  };
}

/** Totals since the beginning per service, target and endpoint (monotonic counters for /metrics). */
export async function gatewayCounterTotals(db: D1Database): Promise<GatewayCounterRow[]> {
  const { results } = await db
    .prepare(
      `SELECT service, target, endpoint, name, SUM(value) AS value FROM gateway_counters
       GROUP BY service, target, endpoint, name ORDER BY service, target, endpoint, name`,
    )
    .all<Omit<GatewayCounterRow, "minute">>();
  return results.map((r) => ({ ...r, minute: 0 }));
}

/** Token-priced spend through the gateway, per service, target, endpoint and model, over a time range. */
export interface GatewaySpendRow {
  service: string;
  target: string;
  endpoint: string;
  model: string;
  spendMicro: number;
  tokensIn: number;
  tokensOut: number;
}

export interface GatewaySpend {
  /** micro-USD of priced answers */
  totalMicro: number;
  rows: GatewaySpendRow[];
  /** answers of token-priced targets that carried no usage (or a model without a price): counted, never $0 */
  unpricedRequests: number;
  pricedRequests: number;
}

/**
 * Gateway spend in the minutes from `fromMs` (a budget day's start) up to `toMs`, as flushed to D1
 * (it trails live traffic by at most the flush interval). One query.
 */
export async function gatewaySpendBetween(db: D1Database, fromMs: number, toMs: number): Promise<GatewaySpend> {
  const { results } = await db
    .prepare(
      `SELECT service, target, endpoint, name, SUM(value) AS value FROM gateway_counters
       WHERE minute >= ?1 AND minute < ?2
         AND (name LIKE 'spend_micro:%' OR name LIKE 'tokens_in:%' OR name LIKE 'tokens_out:%' OR name IN ('priced', 'unpriced'))
       GROUP BY service, target, endpoint, name`,
    )
    .bind(Math.max(1, fromMs), toMs)
    .all<{ service: string; target: string; endpoint: string; name: string; value: number }>();
  const out: GatewaySpend = { totalMicro: 0, rows: [], unpricedRequests: 0, pricedRequests: 0 };
  const rows = new Map<string, GatewaySpendRow>();
  for (const r of results) {
    if (r.name === "priced" || r.name === "unpriced") {
      if (r.name === "priced") out.pricedRequests += r.value;
      else out.unpricedRequests += r.value;
      continue;
    }
    const colon = r.name.indexOf(":");
    const what = r.name.slice(0, colon);
    const model = r.name.slice(colon + 1);
    const id = `${r.service}\u0000${r.target}\u0000${r.endpoint}\u0000${model}`;
    let row = rows.get(id);
    if (!row) {
      row = { service: r.service, target: r.target, endpoint: r.endpoint, model, spendMicro: 0, tokensIn: 0, tokensOut: 0 };
      rows.set(id, row);
    }
    if (what === "spend_micro") {
      row.spendMicro += r.value;
      out.totalMicro += r.value;
    } else if (what === "tokens_in") row.tokensIn += r.value;
    else row.tokensOut += r.value;
  }
  out.rows = [...rows.values()].sort((a, b) => b.spendMicro - a.spendMicro);
  return out;
}

/** An endpoint's gateway traffic as the engine's request metrics: cumulative counts, and the recent p95. */
export interface GatewayEndpointTraffic {
  /** requests and errors since the counters began (cumulative, like open-metrics counters) */
  requests: number;
  errors: number;
  /** p95 time to response headers over the minutes since `recentSinceMs`; null without requests */
  p95LatencyMs: number | null;
}

/** Gateway traffic of several endpoints (as any service's primary or fallback), in one query. */
export async function gatewayEndpointTraffic(
  db: D1Database,
  endpoints: readonly string[],
  recentSinceMs: number,
): Promise<Map<string, GatewayEndpointTraffic>> {
  const out = new Map<string, GatewayEndpointTraffic>();
  if (endpoints.length === 0) return out;
  const { results } = await db
    .prepare(
      `SELECT endpoint, name, SUM(value) AS total, SUM(CASE WHEN minute >= ?2 THEN value ELSE 0 END) AS recent
       FROM gateway_counters
       WHERE endpoint IN (SELECT value FROM json_each(?1)) AND (name IN ('requests', 'errors') OR name LIKE 'latency_le_ms:%')
       GROUP BY endpoint, name`,
    )
    .bind(JSON.stringify(endpoints), recentSinceMs - (recentSinceMs % 60_000))
    .all<{ endpoint: string; name: string; total: number; recent: number }>();
  const buckets = new Map<string, Map<string, number>>();
  for (const r of results) {
    const t = out.get(r.endpoint) ?? { requests: 0, errors: 0, p95LatencyMs: null };
    out.set(r.endpoint, t);
    if (r.name === "requests") t.requests = r.total;
    else if (r.name === "errors") t.errors = r.total;
    else {
      const b = buckets.get(r.endpoint) ?? new Map<string, number>();
      b.set(r.name.slice("latency_le_ms:".length), r.recent);
      buckets.set(r.endpoint, b);
    }
  }
  for (const [endpoint, b] of buckets) {
    const t = out.get(endpoint);
    if (t) t.p95LatencyMs = latencyQuantile(b, 0.95);
  }
  return out;
}
