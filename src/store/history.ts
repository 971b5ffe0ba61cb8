// The engine's memory in D1: per-tick samples (a few hours), hourly rollups (8 days) and the guard
// row (blind streak). Every statement is set-based (json_each), so a tick's query count does not
// grow with the fleet: one read before observing, one batch that writes the tick's samples and reads
// the windows back.
import type { BlindState, CounterPoint, Counters, HourBucket, Sample, WindowStats } from "../core/index.ts";
import { HOUR_MS } from "../core/index.ts";

export interface GuardRow {
  blindStreak: number;
  blindSince: number | null;
  failedNamespaces: string[];
  lastSampleAt: number | null;
}

interface RawGuard {
  blind_streak: number;
  blind_since: number | null;
  failed_namespaces: string;
  last_sample_at: number | null;
}

const toGuard = (r: RawGuard | null): GuardRow => ({
  blindStreak: r?.blind_streak ?? 0,
  blindSince: r?.blind_since ?? null,
  failedNamespaces: r ? (JSON.parse(r.failed_namespaces) as string[]) : [],
  lastSampleAt: r?.last_sample_at ?? null,
});

export async function loadGuard(db: D1Database): Promise<GuardRow> {
  return toGuard(await db.prepare("SELECT * FROM guard_state WHERE name = 'guard'").first<RawGuard>());
}

/**
 * The guard row and, per endpoint, the counters of its latest metrics reading still in the samples: one
 * statement (the counters as a JSON array beside the row).
 */
export async function loadBeforeObserving(db: D1Database): Promise<{ guard: GuardRow; counters: Map<string, CounterPoint> }> {
  const row = await db
    .prepare(
      `SELECT g.blind_streak, g.blind_since, g.failed_namespaces, g.last_sample_at,
         (SELECT json_group_array(json_object('endpoint', s.endpoint, 'at', s.at, 'counters', s.counters)) FROM samples s
          JOIN (SELECT endpoint, MAX(at) AS at FROM samples WHERE counters IS NOT NULL GROUP BY endpoint) m
            ON s.endpoint = m.endpoint AND s.at = m.at) AS latest
       FROM (SELECT 1) LEFT JOIN guard_state g ON g.name = 'guard'`,
    )
    .first<{ [K in keyof RawGuard]: RawGuard[K] | null } & { latest: string }>();
  const guard = row?.failed_namespaces == null ? null : (row as RawGuard);
  const rows = JSON.parse(row?.latest ?? "[]") as Array<{ endpoint: string; at: number; counters: string }>;
  return {
    guard: toGuard(guard),
    counters: new Map(rows.map((r) => [r.endpoint, { at: r.at, counters: JSON.parse(r.counters) as Counters }])),
  };
}

export interface HistoryWrite {
  now: number;
  samples: readonly Sample[];
  blind: BlindState;
  /** samples older than this many ms are pruned (after their hour was rolled up) */
  sampleRetentionMs: number;
  /** hourly rollups older than this many ms are pruned */
  hourRetentionMs: number;
  /** the previous tick that wrote samples: the first tick of a new hour rolls up the hours before it */
  lastSampleAt: number | null;
}

/**
 * Writes this tick's samples and the guard row, then reads the windows and buckets back (`loadHistory`,
 * this tick's samples included): one batch, one round trip.
 */
export async function recordAndLoadHistory(
  db: D1Database,
  w: HistoryWrite,
  windows: readonly number[],
  hours: readonly number[],
): Promise<{ windows: Map<string, Map<number, WindowStats>>; buckets: HourBucket[] }> {
  const writes = historyWrites(db, w);
  const results = await db.batch<unknown>([...writes, ...historyReads(db, w.now, windows, hours)]);
  return historyOf(results.slice(writes.length), windows.length > 0);
}

/** This tick's samples and the guard row; on the first tick of an hour, also the roll-up and the pruning. */
function historyWrites(db: D1Database, w: HistoryWrite): D1PreparedStatement[] {
  // Counters as an object in the rows' JSON: json_extract gives it back as its JSON text (see recordMetering).
  const rows = w.samples;
  const currentHour = Math.floor((w.now - 1) / HOUR_MS) * HOUR_MS;
  const newHour = w.lastSampleAt === null || Math.floor((w.lastSampleAt - 1) / HOUR_MS) * HOUR_MS < currentHour;
  const stmts: D1PreparedStatement[] = [];
  if (rows.length > 0) {
    stmts.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO samples (endpoint, at, duration_ms, spend_micro, billable, cold_start, metrics_ms, requests, errors,
             pending, p95_ms, usage_pct, counters, starts, initializing_ms, estimated)
           SELECT json_extract(value, '$.endpoint'), json_extract(value, '$.at'), json_extract(value, '$.durationMs'),
                  json_extract(value, '$.spendMicro'), json_extract(value, '$.billable'), json_extract(value, '$.coldStart'),
                  json_extract(value, '$.metricsMs'), json_extract(value, '$.requests'), json_extract(value, '$.errors'),
                  json_extract(value, '$.pending'), json_extract(value, '$.p95Ms'), json_extract(value, '$.usagePct'),
                  json_extract(value, '$.counters'), json_extract(value, '$.starts'), json_extract(value, '$.initializingMs'),
                  json_extract(value, '$.estimated')
           FROM json_each(?1)`,
        )
        .bind(JSON.stringify(rows)),
    );
  }
  if (newHour) {
    // Samples ending in (hour, hour + 1 h] belong to that hour; only complete hours are rolled up.
    stmts.push(
      db
        .prepare(
          `INSERT OR IGNORE INTO usage_hours (endpoint, hour, span_ms, spend_micro, metrics_ms, requests)
           SELECT endpoint, ((at - 1) / ${HOUR_MS}) * ${HOUR_MS} AS h, SUM(duration_ms), SUM(spend_micro), SUM(metrics_ms), SUM(requests)
           FROM samples WHERE at <= ?1 GROUP BY endpoint, h`,
        )
        .bind(currentHour),
      db.prepare("DELETE FROM samples WHERE at <= ?1 AND at <= ?2").bind(w.now - w.sampleRetentionMs, currentHour),
      db.prepare("DELETE FROM usage_hours WHERE hour < ?1").bind(w.now - w.hourRetentionMs),
    );
  }
  stmts.push(
    db
      .prepare(
        `UPDATE guard_state SET blind_streak = ?1, blind_since = ?2, failed_namespaces = ?3,
           last_sample_at = CASE WHEN ?4 THEN ?5 ELSE last_sample_at END, updated_at = ?5 WHERE name = 'guard'`,
      )
      .bind(w.blind.streak, w.blind.since, JSON.stringify(w.blind.failedNamespaces), rows.length > 0 ? 1 : 0, w.now),
  );
  return stmts;
}

interface RawWindow {
  w: number;
  endpoint: string;
  span: number | null;
  spend: number | null;
  cold: number | null;
  wakes: number | null;
  initializing_ms: number | null;
  billable_ms: number | null;
  metrics_ms: number | null;
  requests: number | null;
  errors: number | null;
  usage: number | null;
  usage_n: number;
}

/**
 * Sums per endpoint over each window (minutes) ending now, each sample clipped to the part of its
 * interval inside the window; and the hourly buckets at `hours`. One batch of two statements.
 */
export async function loadHistory(
  db: D1Database,
  now: number,
  windows: readonly number[],
  hours: readonly number[],
): Promise<{ windows: Map<string, Map<number, WindowStats>>; buckets: HourBucket[] }> {
  return historyOf(await db.batch<unknown>(historyReads(db, now, windows, hours)), windows.length > 0);
}

function historyReads(db: D1Database, now: number, windows: readonly number[], hours: readonly number[]): D1PreparedStatement[] {
  const stmts: D1PreparedStatement[] = [];
  if (windows.length > 0) {
    // Replica starts across an observation gap are left out: when in the gap they came is unknown, so
    // they are not "in the last hour" (one morning tick after a night unseen is no cold-start storm).
    const parts = windows.map(
      (_, i) =>
        `SELECT ?${2 * i + 1} AS w, endpoint,
           SUM(f * duration_ms) AS span, SUM(f * spend_micro) AS spend, SUM(CASE WHEN estimated = 1 THEN 0 ELSE starts END) AS cold,
           SUM(CASE WHEN estimated = 1 THEN 0 ELSE cold_start END) AS wakes,
           SUM(f * initializing_ms) AS initializing_ms,
           SUM(CASE WHEN billable > 0 THEN f * duration_ms ELSE 0 END) AS billable_ms,
           SUM(fm * metrics_ms) AS metrics_ms, SUM(fm * requests) AS requests, SUM(fm * errors) AS errors,
           AVG(usage_pct) AS usage, COUNT(usage_pct) AS usage_n
         FROM (SELECT *, MIN(1.0, (at - ?${2 * i + 2}) * 1.0 / duration_ms) AS f,
                 CASE WHEN metrics_ms > 0 THEN MIN(1.0, (at - ?${2 * i + 2}) * 1.0 / metrics_ms) ELSE 1.0 END AS fm
               FROM samples WHERE at > ?${2 * i + 2})
         GROUP BY endpoint`,
    );
    stmts.push(db.prepare(parts.join(" UNION ALL ")).bind(...windows.flatMap((m) => [m, now - m * 60_000])));
  }
  stmts.push(
    db
      .prepare(
        `SELECT endpoint, hour, span_ms, spend_micro, metrics_ms, requests FROM usage_hours
         WHERE hour IN (SELECT value FROM json_each(?1))`,
      )
      .bind(JSON.stringify(hours)),
  );
  return stmts;
}

/** The windows (when read: the first result) and the hourly buckets (the last) of historyReads' results. */
function historyOf(
  results: ReadonlyArray<D1Result<unknown>>,
  withWindows: boolean,
): { windows: Map<string, Map<number, WindowStats>>; buckets: HourBucket[] } {
  const byEndpoint = new Map<string, Map<number, WindowStats>>();
  if (withWindows) {
    for (const r of (results[0]?.results ?? []) as RawWindow[]) {
      const m = byEndpoint.get(r.endpoint) ?? new Map<number, WindowStats>();
      byEndpoint.set(r.endpoint, m);
      m.set(r.w, {
        spanMs: r.span ?? 0,
        spendMicro: r.spend ?? 0,
        coldStarts: r.cold ?? 0,
        wakes: r.wakes ?? 0,
        initializingMs: r.initializing_ms ?? 0,
        billableMs: r.billable_ms ?? 0,
        metricsMs: r.metrics_ms ?? 0,
        requests: r.requests ?? 0,
        errors: r.errors ?? 0,
        usageAvg: r.usage,
        usageSamples: r.usage_n,
      });
    }
  }
  const raw = (results.at(-1)?.results ?? []) as Array<{
    endpoint: string;
    hour: number;
    span_ms: number;
    spend_micro: number;
    metrics_ms: number;
    requests: number;
  }>;
  return {
    windows: byEndpoint,
    buckets: raw.map((r) => ({
      endpoint: r.endpoint,
      hour: r.hour,
      spanMs: r.span_ms,
      spendMicro: r.spend_micro,
      metricsMs: r.metrics_ms,
      requests: r.requests,
    })),
  };
}
