// The ledger: last observation per endpoint, spend per endpoint per budget day, and the level
// reached each day. Writes of a whole tick are one batch (a transaction) of set-based statements,
// so the number of D1 queries does not grow with the fleet.

import type { Level, MeterPoint, Observation } from "../core/index.ts";
import { type Accrual, hardwareKey, initializingReplicas } from "../core/index.ts";
import type { EndpointState } from "../providers/index.ts";

export async function loadMeterPoints(db: D1Database): Promise<Map<string, MeterPoint>> {
  const { results } = await db
    .prepare(
      `SELECT endpoint, observed_at, billable_replicas, price_micro_per_hour,
              json_extract(snapshot, '$.state') AS state, json_extract(snapshot, '$.readyReplica') AS ready,
              json_extract(snapshot, '$.targetReplica') AS target,
              json_extract(snapshot, '$.vendor') AS vendor, json_extract(snapshot, '$.region') AS region,
              json_extract(snapshot, '$.instanceType') AS instance_type, json_extract(snapshot, '$.instanceSize') AS instance_size
       FROM endpoint_state`,
    )
    .all<{
      endpoint: string;
      observed_at: number;
      billable_replicas: number;
      price_micro_per_hour: number | null;
      state: EndpointState | null;
      ready: number | null;
      target: number | null;
      vendor: string | null;
      region: string | null;
      instance_type: string | null;
      instance_size: string | null;
    }>();
  return new Map(
    results.map((r) => [
      r.endpoint,
      {
        at: r.observed_at,
        billableReplicas: r.billable_replicas,
        priceMicroPerHour: r.price_micro_per_hour,
        initializing:
          r.state === null ? 0 : initializingReplicas({ state: r.state, readyReplica: r.ready ?? 0, targetReplica: r.target ?? 0 }),
        hardware: hardwareKey({ vendor: r.vendor, region: r.region, instanceType: r.instance_type, instanceSize: r.instance_size }),
      },
    ]),
  );
}

/**
 * One endpoint's (or another source's) spend for a budget day. Only `micro` is required, so another
 * source of spend (the gateway's token-priced targets) adds rows with its own `endpoint` key; bounds
 * default to the estimate itself.
 */
export type EndpointAccrual = Pick<Accrual, "day" | "micro"> & Partial<Omit<Accrual, "day" | "micro">> & { endpoint: string };

/**
 * Stores this tick's observations and adds the accruals to the ledger, atomically.
 * An observation older than the stored one is ignored, so a late duplicate tick cannot rewind.
 */
export async function recordMetering(
  db: D1Database,
  now: number,
  observations: ReadonlyArray<{ o: Observation; billable: number }>,
  accruals: readonly EndpointAccrual[],
): Promise<void> {
  // The snapshot goes as an object inside the rows' JSON, not as a string of JSON in it: SQLite's
  // json_extract gives an object back as its JSON text, as written (numbers and strings kept verbatim), so
  // the column holds JSON.stringify(o) without it being encoded twice (1,000 endpoints: half the request to D1).
  const rows = observations.map(({ o, billable }) => ({ endpoint: o.id, billable, price: o.priceMicroPerHour, snapshot: o }));
  await db.batch([
    db
      .prepare(
        `INSERT INTO endpoint_state (endpoint, observed_at, billable_replicas, price_micro_per_hour, snapshot)
         SELECT json_extract(value, '$.endpoint'), ?2, json_extract(value, '$.billable'), json_extract(value, '$.price'),
                json_extract(value, '$.snapshot')
         FROM json_each(?1) WHERE true
         ON CONFLICT (endpoint) DO UPDATE SET observed_at = excluded.observed_at,
           billable_replicas = excluded.billable_replicas,
           -- A catalog without this price (an outage, a withdrawn compute) keeps the last known one, but only
           -- for the same hardware: an endpoint moved to hardware no catalog prices is unpriced, not metered
           -- at the price of what it ran on before.
           price_micro_per_hour = CASE
             WHEN excluded.price_micro_per_hour IS NOT NULL THEN excluded.price_micro_per_hour
             WHEN json_extract(excluded.snapshot, '$.vendor') IS json_extract(endpoint_state.snapshot, '$.vendor')
              AND json_extract(excluded.snapshot, '$.region') IS json_extract(endpoint_state.snapshot, '$.region')
              AND json_extract(excluded.snapshot, '$.instanceType') IS json_extract(endpoint_state.snapshot, '$.instanceType')
              AND json_extract(excluded.snapshot, '$.instanceSize') IS json_extract(endpoint_state.snapshot, '$.instanceSize')
             THEN endpoint_state.price_micro_per_hour
           END,
           snapshot = excluded.snapshot
         WHERE excluded.observed_at > endpoint_state.observed_at`,
      )
      .bind(JSON.stringify(rows), now),
    db
      .prepare(
        `INSERT INTO ledger (day, endpoint, spend_micro, low_micro, high_micro, gap_micro, unpriced_replica_ms, var_micro2, rounding_micro, updated_at)
         SELECT json_extract(value, '$.day'), json_extract(value, '$.endpoint'), json_extract(value, '$.micro'),
                json_extract(value, '$.lowMicro'), json_extract(value, '$.highMicro'), json_extract(value, '$.gapMicro'),
                json_extract(value, '$.unpricedReplicaMs'), json_extract(value, '$.varMicro2'), json_extract(value, '$.roundingMicro'), ?2
         FROM json_each(?1) WHERE true
         ON CONFLICT (day, endpoint) DO UPDATE SET spend_micro = spend_micro + excluded.spend_micro,
           low_micro = low_micro + excluded.low_micro, high_micro = high_micro + excluded.high_micro,
           gap_micro = gap_micro + excluded.gap_micro, unpriced_replica_ms = unpriced_replica_ms + excluded.unpriced_replica_ms,
           var_micro2 = var_micro2 + excluded.var_micro2, rounding_micro = rounding_micro + excluded.rounding_micro,
           updated_at = excluded.updated_at`,
      )
      .bind(
        JSON.stringify(
          accruals
            .filter((a) => a.micro > 0 || (a.highMicro ?? 0) > 0 || (a.unpricedReplicaMs ?? 0) > 0)
            .map((a) => ({
              ...a,
              lowMicro: a.lowMicro ?? a.micro,
              highMicro: a.highMicro ?? a.micro,
              gapMicro: a.gapMicro ?? 0,
              unpricedReplicaMs: a.unpricedReplicaMs ?? 0,
              varMicro2: a.varMicro2 ?? 0,
              roundingMicro: a.roundingMicro ?? 0,
            })),
        ),
        now,
      ),
  ]);
}

export async function spendByEndpoint(db: D1Database, day: string): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT endpoint, spend_micro FROM ledger WHERE day = ?1")
    .bind(day)
    .all<{ endpoint: string; spend_micro: number }>();
  return new Map(results.map((r) => [r.endpoint, r.spend_micro]));
}

export async function spendToday(db: D1Database, day: string): Promise<number> {
  const row = await db
    .prepare("SELECT COALESCE(SUM(spend_micro), 0) AS total FROM ledger WHERE day = ?1")
    .bind(day)
    .first<{ total: number }>();
  return row?.total ?? 0;
}

/** Today's spend as the ledger keeps it: the estimate, its bounds, the part metered across gaps, unpriced replica time. */
export interface SpendBounds {
  micro: number;
  lowMicro: number;
  highMicro: number;
  gapMicro: number;
  unpricedReplicaMs: number;
  /** the estimate's variance, micro-USD^2 (its square root is the standard error) */
  varMicro2: number;
  /** the part of `micro` that is the started-minute allowance (`rounded_up`; 0 when prorated) */
  roundingMicro: number;
}

/**
 * Today's spend as the ledger keeps it, and the highest level the budget day reached (budget_days), in
 * one statement: every reader of the day's spend reads its level beside it (one D1 query fewer a tick).
 */
export async function spendBounds(db: D1Database, day: string): Promise<SpendBounds & { level: Level }> {
  const row = await db
    .prepare(
      `SELECT COALESCE(SUM(spend_micro), 0) AS micro, COALESCE(SUM(low_micro), 0) AS low, COALESCE(SUM(high_micro), 0) AS high,
              COALESCE(SUM(gap_micro), 0) AS gap, COALESCE(SUM(unpriced_replica_ms), 0) AS unpriced,
              COALESCE(SUM(var_micro2), 0) AS variance, COALESCE(SUM(rounding_micro), 0) AS rounding,
              (SELECT level FROM budget_days WHERE day = ?1) AS level
       FROM ledger WHERE day = ?1`,
    )
    .bind(day)
    .first<{
      micro: number;
      low: number;
      high: number;
      gap: number;
      unpriced: number;
      variance: number;
      rounding: number;
      level: number | null;
    }>();
  return {
    micro: row?.micro ?? 0,
    lowMicro: row?.low ?? 0,
    highMicro: row?.high ?? 0,
    gapMicro: row?.gap ?? 0,
    unpricedReplicaMs: row?.unpriced ?? 0,
    varMicro2: row?.variance ?? 0,
    roundingMicro: row?.rounding ?? 0,
    level: (row?.level ?? 0) as Level,
  };
}

/** Raises (never lowers) the level reached on `day`. */
export async function raiseDayLevel(db: D1Database, day: string, level: Level, budgetMicro: number, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO budget_days (day, level, budget_micro, updated_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (day) DO UPDATE SET level = MAX(level, excluded.level), budget_micro = excluded.budget_micro,
         updated_at = excluded.updated_at`,
    )
    .bind(day, level, budgetMicro, now)
    .run();
}

export interface StoredEndpoint {
  observation: Observation;
  observedAt: number;
}

export async function lastObservations(db: D1Database): Promise<StoredEndpoint[]> {
  const { results } = await db
    .prepare("SELECT snapshot, observed_at FROM endpoint_state ORDER BY endpoint")
    .all<{ snapshot: string; observed_at: number }>();
  return results.map((r) => ({ observation: JSON.parse(r.snapshot) as Observation, observedAt: r.observed_at }));
}

/** The last observation of one endpoint, or null when the guardrail has never seen it. */
export async function observedEndpoint(db: D1Database, id: string): Promise<StoredEndpoint | null> {
  const row = await db
    .prepare("SELECT snapshot, observed_at FROM endpoint_state WHERE endpoint = ?1")
    .bind(id)
    .first<{ snapshot: string; observed_at: number }>();
  return row ? { observation: JSON.parse(row.snapshot) as Observation, observedAt: row.observed_at } : null;
}
