// Observation: list every guarded namespace and price each endpoint from the provider catalog.
// A namespace that fails is reported and skipped; one bad endpoint never spoils the rest.
import type { Observation } from "../core/types.ts";
import type { ComputePrice, EndpointProvider, EndpointSnapshot, ProviderError } from "../providers/types.ts";

export interface FleetObservation {
  observations: Observation[];
  /** namespaces that could not be listed, and endpoints whose payload did not parse */
  errors: ProviderError[];
  failedNamespaces: string[];
}

const priceKey = (vendor: string | null, region: string | null, type: string | null, size: string | null) =>
  `${vendor}|${region}|${type}|${size}`;

export function priceIndex(prices: readonly ComputePrice[]): Map<string, number> {
  const index = new Map<string, number>();
  for (const p of prices) {
    index.set(priceKey(p.vendor, p.region, p.instanceType, p.instanceSize), p.priceMicroPerHour);
    if (p.id) index.set(p.id, p.priceMicroPerHour);
  }
  return index;
}

export function priceOf(e: EndpointSnapshot, index: ReadonlyMap<string, number>): number | null {
  return (
    index.get(priceKey(e.vendor, e.region, e.instanceType, e.instanceSize)) ?? (e.computeId ? index.get(e.computeId) : undefined) ?? null
  );
}

export async function observeFleet(provider: EndpointProvider, namespaces: readonly string[]): Promise<FleetObservation> {
  const results = await Promise.all(
    namespaces.map(async (ns) => {
      const [list, prices] = await Promise.all([provider.listEndpoints(ns), provider.listPrices(ns)]);
      return { ns, list, prices };
    }),
  );
  const out: FleetObservation = { observations: [], errors: [], failedNamespaces: [] };
  for (const { ns, list, prices } of results) {
    if (!list.ok) {
      out.failedNamespaces.push(ns);
      out.errors.push({ ...list.error, message: `listing namespace ${ns}: ${list.error.message}` });
      continue;
    }
    if (!prices.ok) out.errors.push({ ...prices.error, message: `price catalog of ${ns}: ${prices.error.message}` });
    const index = priceIndex(prices.ok ? prices.value : []);
    out.errors.push(...list.value.invalid);
    for (const e of list.value.endpoints) {
      out.observations.push({ ...e, id: `${e.namespace}/${e.name}`, priceMicroPerHour: priceOf(e, index) });
    }
  }
  return out;
}
