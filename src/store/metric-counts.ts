// Read-only aggregates for GET /metrics over the journal, the timeline and the ticks, in one
// batch (one round trip). Counts are over all time, so they only grow, as Prometheus counters should.
export interface MetricCounts {
  actions: Array<{ kind: string; status: string; n: number }>;
  alerts: Array<{ kind: string; severity: string | null; n: number }>;
  ticks: Array<{ outcome: string; n: number }>;
  lastTick: { scheduled_at: number; started_at: number; finished_at: number | null; outcome: string } | null;
  lastObservedAt: number | null;
  pendingApprovals: number;
  /** alert deliveries by channel, notice kind and status (delivery_totals, kept by triggers: a few rows) */
  deliveries: Array<{ channel: string; kind: string; status: string; n: number }>;
}

export async function metricCounts(db: D1Database, day: string): Promise<MetricCounts> {
  const [actions, alerts, ticks, last, observed, pending, deliveries] = await db.batch<Record<string, unknown>>([
    db.prepare("SELECT kind, status, COUNT(*) AS n FROM actions GROUP BY kind, status ORDER BY kind, status"),
    db.prepare("SELECT kind, severity, COUNT(*) AS n FROM events WHERE type = 'alert' GROUP BY kind, severity ORDER BY kind, severity"),
    db.prepare("SELECT outcome, COUNT(*) AS n FROM ticks GROUP BY outcome ORDER BY outcome"),
    db.prepare("SELECT scheduled_at, started_at, finished_at, outcome FROM ticks WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"),
    db.prepare("SELECT MAX(observed_at) AS at FROM endpoint_state"),
    db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE day = ?1 AND status = 'pending'").bind(day),
    db.prepare("SELECT channel, kind, status, n FROM delivery_totals WHERE n > 0 ORDER BY channel, kind, status"),
  ]);
  const rows = <T>(r: D1Result<Record<string, unknown>> | undefined) => (r?.results ?? []) as T[];
  return {
    actions: rows(actions),
    alerts: rows(alerts),
    ticks: rows(ticks),
    lastTick: rows<MetricCounts["lastTick"]>(last)[0] ?? null,
    lastObservedAt: rows<{ at: number | null }>(observed)[0]?.at ?? null,
    pendingApprovals: rows<{ n: number }>(pending)[0]?.n ?? 0,
    deliveries: rows(deliveries),
  };
}
