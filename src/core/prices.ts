// Prices: where each namespace's prices came from this tick, and the alert when they are stale (the
// catalog has not answered for over an hour, or never did): metering goes on at the last known
// prices, and a person is told once a day that the figures rest on them.
import type { Alert } from "./types.ts";

export interface PriceSource {
  namespace: string;
  /** catalog: HF answered this tick; stored: the last catalog kept in D1; none: no catalog at all */
  source: "catalog" | "stored" | "none";
  /** when HF last answered with these prices (null: never) */
  fetchedAt: number | null;
  stale: boolean;
  error: string | null;
}

export function staleAlerts(day: string, prices: readonly PriceSource[]): Alert[] {
  return prices
    .filter((p) => p.stale)
    .map((p) => {
      const since =
        p.fetchedAt === null ? "never answered" : `last answered ${new Date(p.fetchedAt).toISOString().slice(0, 16).replace("T", " ")} UTC`;
      return {
        kind: "prices_stale",
        severity: "warning",
        endpoint: null,
        dedupKey: `${day}:prices_stale:${p.namespace}`,
        title: `Prices for ${p.namespace} are stale: the HF catalog is not answering`,
        message:
          `The price catalog of ${p.namespace} ${since}${p.error ? ` (${p.error})` : ""}. ` +
          (p.source === "stored"
            ? "Spend is metered at the last known prices; a price HF changed since is not reflected."
            : "No catalog was ever stored: endpoints are metered at the price they were last seen at, and unpriced ones not at all.") +
          " Check the token can read GET /v2/provider/{namespace}.",
        figures: {
          namespace: p.namespace,
          source: p.source,
          fetched_at: p.fetchedAt === null ? null : new Date(p.fetchedAt).toISOString(),
        },
      };
    });
}
