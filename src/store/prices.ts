// The last known price catalog per namespace, with when HF last answered: metering goes on at these
// prices through a catalog outage, and /v1/status shows them as stale once they are over an hour old.
import type { ComputePrice } from "../providers/index.ts";

export interface StoredCatalog {
  namespace: string;
  prices: ComputePrice[];
  fetchedAt: number;
}

export async function loadCatalogs(db: D1Database): Promise<Map<string, StoredCatalog>> {
  const { results } = await db
    .prepare("SELECT namespace, prices, fetched_at FROM price_catalog")
    .all<{ namespace: string; prices: string; fetched_at: number }>();
  return new Map(
    results.map((r) => [r.namespace, { namespace: r.namespace, prices: JSON.parse(r.prices) as ComputePrice[], fetchedAt: r.fetched_at }]),
  );
}

/** Stores the catalogs fetched this tick (one statement); a catalog is only written when HF answered. */
export async function saveCatalogs(db: D1Database, catalogs: readonly StoredCatalog[]): Promise<void> {
  if (catalogs.length === 0) return;
  await db
    .prepare(
      `INSERT INTO price_catalog (namespace, prices, fetched_at)
       SELECT json_extract(value, '$.namespace'), json_extract(value, '$.prices'), json_extract(value, '$.fetchedAt')
       FROM json_each(?1) WHERE true
       ON CONFLICT (namespace) DO UPDATE SET prices = excluded.prices, fetched_at = excluded.fetched_at
       WHERE excluded.fetched_at >= price_catalog.fetched_at`,
    )
    .bind(JSON.stringify(catalogs.map((c) => ({ ...c, prices: JSON.stringify(c.prices) }))))
    .run();
}
