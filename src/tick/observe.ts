// Observation: list every guarded namespace and price each endpoint from the provider catalog.
// A namespace that fails is reported and skipped; one bad endpoint never spoils the rest. When the
// catalog does not answer, the last catalog stored in D1 prices the fleet (stale past an hour), and
// an endpoint missing from every catalog keeps the last price it was metered at, while on the same hardware.
import { hardwareKey, type Observation, type PriceSource } from "../core/index.ts";
import type { ComputePrice, EndpointProvider, EndpointSnapshot, ProviderError } from "../providers/index.ts";
import type { StoredCatalog } from "../store/index.ts";

/** Prices older than this are shown as stale (the HF client caches the catalog for as long). */
export const PRICES_STALE_MS = 3_600_000;
/** A catalog that answered is written back to D1 at most this often, unless it changed. */
const CATALOG_REFRESH_MS = 10 * 60_000;

export interface FleetObservation {
  observations: Observation[];
  /** namespaces that could not be listed, and endpoints whose payload did not parse */
  errors: ProviderError[];
  failedNamespaces: string[];
  prices: PriceSource[];
  /** catalogs to store for the next outage (only when they changed or the stored one is getting old) */
  catalogsToSave: StoredCatalog[];
}

export interface PriceMemory {
  now: number;
  catalogs: ReadonlyMap<string, StoredCatalog>;
  /** the price an endpoint was last metered at (endpoint_state), if on this same hardware (`hardwareKey`) */
  lastPrice: (id: string, hardware: string) => number | null;
}

export function priceIndex(prices: readonly ComputePrice[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const p of prices) {
    index.set(hardwareKey(p), p.priceMicroPerHour);
    if (p.id) index.set(p.id, p.priceMicroPerHour);
  }
  return index;
}

export function priceOf(e: EndpointSnapshot, index: ReadonlyMap<string, number>): number | null {
  return index.get(hardwareKey(e)) ?? (e.computeId ? index.get(e.computeId) : undefined) ?? null;
}

/** A catalog's JSON, once per array: the client's cached catalog and the stored one are the same arrays tick after tick. */
const catalogJsons = new WeakMap<readonly ComputePrice[], string>();
function catalogJson(prices: readonly ComputePrice[]): string {
  let json = catalogJsons.get(prices);
  if (json === undefined) {
    json = JSON.stringify(prices);
    catalogJsons.set(prices, json);
  }
  return json;
}

export async function observeFleet(
  provider: EndpointProvider,
  namespaces: readonly string[],
  memory: PriceMemory,
): Promise<FleetObservation> {
  const results = await Promise.all(
    namespaces.map(async (ns) => {
      const [list, prices] = await Promise.all([provider.listEndpoints(ns), provider.listPrices(ns, memory.now)]);
      return { ns, list, prices };
    }),
  );
  const out: FleetObservation = { observations: [], errors: [], failedNamespaces: [], prices: [], catalogsToSave: [] };
  const { now } = memory;
  for (const { ns, list, prices } of results) {
    const stored = memory.catalogs.get(ns);
    let catalog: ComputePrice[] = [];
    if (prices.ok) {
      // When HF answered: a catalog the client's cache served is as old as that answer, not this tick.
      // Another isolate may have stored a newer answer since: that one prices the tick, and nothing is saved.
      const { prices: answered, fetchedAt } = prices.value;
      const newer = stored !== undefined && stored.fetchedAt > fetchedAt ? stored : null;
      catalog = newer ? newer.prices : answered;
      out.prices.push({ namespace: ns, source: "catalog", fetchedAt: newer ? newer.fetchedAt : fetchedAt, stale: false, error: null });
      const changed = !stored || catalogJson(stored.prices) !== catalogJson(answered);
      if (!newer && (changed || fetchedAt - (stored?.fetchedAt ?? 0) >= CATALOG_REFRESH_MS))
        out.catalogsToSave.push({ namespace: ns, prices: answered, fetchedAt });
    } else {
      out.errors.push({
        ...prices.error,
        subject: `the price catalog of ${ns}`,
        message: `price catalog of ${ns}: ${prices.error.message}`,
      });
      catalog = stored?.prices ?? [];
      out.prices.push({
        namespace: ns,
        source: stored ? "stored" : "none",
        fetchedAt: stored?.fetchedAt ?? null,
        stale: !stored || now - stored.fetchedAt > PRICES_STALE_MS,
        error: prices.error.message,
      });
    }
    if (!list.ok) {
      out.failedNamespaces.push(ns);
      out.errors.push({ ...list.error, message: `listing namespace ${ns}: ${list.error.message}` });
      continue;
    }
    const index = priceIndex(catalog);
    out.errors.push(...list.value.invalid);
    for (const e of list.value.endpoints) {
      const id = `${e.namespace}/${e.name}`;
      out.observations.push({ ...e, id, priceMicroPerHour: priceOf(e, index) ?? memory.lastPrice(id, hardwareKey(e)) });
    }
  }
  return out;
}
