// Spend per endpoint per budget day over a range of days, for month budgets' month-to-date and pacing.
// Reads the ledger (owned by ledger.ts); a later per-budget ledger can replace this read (docs/budgets.md).

export interface EndpointDaySpend {
  day: string;
  endpoint: string;
  micro: number;
}

/** Ledger rows of the budget days in [from, before) (`YYYY-MM-DD`). */
export async function spendByEndpointDays(db: D1Database, from: string, before: string): Promise<EndpointDaySpend[]> {
  if (from >= before) return [];
  const { results } = await db
    .prepare("SELECT day, endpoint, spend_micro AS micro FROM ledger WHERE day >= ?1 AND day < ?2")
    .bind(from, before)
    .all<EndpointDaySpend>();
  return results;
}
