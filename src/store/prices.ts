// The last known price catalog per namespace, with when HF last answered: metering goes on at these
// prices through a catalog outage, and /v1/status shows them as stale once they are over an hour old.
import type { ComputePrice } from "../providers/index.ts";

export interface StoredCatalog {
  namespace: string;
  prices: ComputePrice[];
  fetchedAt: number;
}

/**
 * The last stored catalog read per namespace, parsed: it changes at most every 10 minutes and the tick
 * reads it every minute, so the same text is parsed once per isolate. Callers only read the prices.
 */
const parsed = new Map<string, { text: string; prices: ComputePrice[] }>();

function pricesOf(namespace: string, text: string): ComputePrice[] {
  const known = parsed.get(namespace);
  if (known?.text === text) return known.prices;
  const prices = JSON.parse(text) as ComputePrice[];
  parsed.set(namespace, { text, prices });
  return prices;
}

export async function loadCatalogs(db: D1Database): Promise<Map<string, StoredCatalog>> {
  const { results } = await db
    .prepare("SELECT namespace, prices, fetched_at FROM price_catalog")
    .all<{ namespace: string; prices: string; fetched_at: number }>();
  return new Map(
    results.map((r) => [r.namespace, { namespace: r.namespace, prices: pricesOf(r.namespace, r.prices), fetchedAt: r.fetched_at }]),
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
