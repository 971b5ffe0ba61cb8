// The last read of HF's billing usage per namespace (table billing_usage, migration 0012) and the
// ledger's spend of a namespace over a billing period's budget days, for the reconciliation.

/** One namespace's reconciliation row; the figures are those of the last good read (null before one). */
export interface BillingRow {
  namespace: string;
  kind: "org" | "user";
  attemptedAt: number;
  fetchedAt: number | null;
  entityName: string | null;
  periodStart: number | null;
  periodEnd: number | null;
  billedMicro: number | null;
  freeGrantMicro: number | null;
  items: number | null;
  meteredMicro: number | null;
  /** of `meteredMicro`, the started-minute allowance (`rounded_up`); null for reads before migration 0018 */
  meteredRoundingMicro: number | null;
  meteredFromDay: string | null;
  aligned: boolean | null;
  error: { code: string; status: number | null; message: string; since: number } | null;
}

interface Raw {
  namespace: string;
  kind: "org" | "user";
  attempted_at: number;
  fetched_at: number | null;
  entity_name: string | null;
  period_start: number | null;
  period_end: number | null;
  billed_micro: number | null;
  free_grant_micro: number | null;
  items: number | null;
  metered_micro: number | null;
  metered_rounding_micro: number | null;
  metered_from_day: string | null;
  aligned: number | null;
  error_code: string | null;
  error_status: number | null;
  error_message: string | null;
  error_since: number | null;
}

export async function loadBillingRows(db: D1Database): Promise<BillingRow[]> {
  const { results } = await db.prepare("SELECT * FROM billing_usage ORDER BY namespace").all<Raw>();
  return results.map((r) => ({
    namespace: r.namespace,
    kind: r.kind,
    attemptedAt: r.attempted_at,
    fetchedAt: r.fetched_at,
    entityName: r.entity_name,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    billedMicro: r.billed_micro,
    freeGrantMicro: r.free_grant_micro,
    items: r.items,
    meteredMicro: r.metered_micro,
    meteredRoundingMicro: r.metered_rounding_micro ?? null,
    meteredFromDay: r.metered_from_day,
    aligned: r.aligned === null ? null : r.aligned === 1,
    error:
      r.error_code === null
        ? null
        : { code: r.error_code, status: r.error_status, message: r.error_message ?? "", since: r.error_since ?? r.attempted_at },
  }));
}

export interface BillingRead {
  namespace: string;
  kind: "org" | "user";
  at: number;
  entityName: string;
  periodStart: number;
  periodEnd: number;
  billedMicro: number;
  freeGrantMicro: number;
  items: number;
  meteredMicro: number;
  meteredRoundingMicro: number;
  meteredFromDay: string;
  aligned: boolean;
}

/** A good read: its figures replace the last ones and any error is cleared. */
export async function recordBillingRead(db: D1Database, r: BillingRead): Promise<void> {
  await db
    .prepare(
      `INSERT INTO billing_usage (namespace, kind, attempted_at, fetched_at, entity_name, period_start, period_end, billed_micro,
         free_grant_micro, items, metered_micro, metered_from_day, aligned, metered_rounding_micro,
         error_code, error_status, error_message, error_since)
       VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, NULL, NULL, NULL)
       ON CONFLICT (namespace) DO UPDATE SET kind = excluded.kind, attempted_at = excluded.attempted_at,
         fetched_at = excluded.fetched_at, entity_name = excluded.entity_name, period_start = excluded.period_start,
         period_end = excluded.period_end, billed_micro = excluded.billed_micro, free_grant_micro = excluded.free_grant_micro,
         items = excluded.items, metered_micro = excluded.metered_micro, metered_from_day = excluded.metered_from_day,
         aligned = excluded.aligned, metered_rounding_micro = excluded.metered_rounding_micro, error_code = NULL, error_status = NULL, error_message = NULL, error_since = NULL`,
    )
    .bind(
      r.namespace,
      r.kind,
      r.at,
      r.entityName,
      r.periodStart,
      r.periodEnd,
      r.billedMicro,
      r.freeGrantMicro,
      r.items,
      r.meteredMicro,
      r.meteredFromDay,
      r.aligned ? 1 : 0,
      r.meteredRoundingMicro,
    )
    .run();
}

/** A failed read: the last good figures stay (shown with their age), the error is kept with when its run began. */
export async function recordBillingFailure(
  db: D1Database,
  f: { namespace: string; kind: "org" | "user"; at: number; code: string; status: number | null; message: string },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO billing_usage (namespace, kind, attempted_at, error_code, error_status, error_message, error_since)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?3)
       ON CONFLICT (namespace) DO UPDATE SET kind = excluded.kind, attempted_at = excluded.attempted_at,
         error_code = excluded.error_code, error_status = excluded.error_status, error_message = excluded.error_message,
         error_since = CASE WHEN billing_usage.error_code = excluded.error_code THEN billing_usage.error_since ELSE excluded.error_since END`,
    )
    .bind(f.namespace, f.kind, f.at, f.code, f.status, f.message.slice(0, 500))
    .run();
}

/**
 * The ledger's endpoint spend of `namespace` (endpoints `namespace/...`) over the budget days [fromDay, toDay],
 * and the part of it that is the started-minute allowance.
 */
export async function namespaceSpendBetween(
  db: D1Database,
  namespace: string,
  fromDay: string,
  toDay: string,
): Promise<{ micro: number; roundingMicro: number }> {
  const prefix = `${namespace}/`;
  const row = await db
    .prepare(
      `SELECT COALESCE(SUM(spend_micro), 0) AS total, COALESCE(SUM(rounding_micro), 0) AS rounding
       FROM ledger WHERE day >= ?1 AND day <= ?2 AND substr(endpoint, 1, ?3) = ?4`,
    )
    .bind(fromDay, toDay, prefix.length, prefix)
    .first<{ total: number; rounding: number }>();
  return { micro: row?.total ?? 0, roundingMicro: row?.rounding ?? 0 };
}
