// The contract between the guard tick and an endpoint provider (Hugging Face today).
// Expected failures are values (`ProviderResult`), never exceptions. What a provider observes (the
// endpoint snapshot and its metrics) and the update body are the core's vocabulary
// (core/observation.ts), re-exported here.
import type { EndpointMetrics, EndpointSnapshot, EndpointUpdate } from "../core/index.ts";

export { ENDPOINT_STATES, type EndpointMetrics, type EndpointSnapshot, type EndpointState, type EndpointUpdate } from "../core/index.ts";

/** Catalog price of one compute, keyed by `vendor|region|instanceType|instanceSize` and by compute id. */
export interface ComputePrice {
  id: string | null;
  vendor: string;
  region: string;
  instanceType: string;
  instanceSize: string;
  accelerator: string | null;
  /** integer micro-USD per replica-hour */
  priceMicroPerHour: number;
}

/** A namespace's catalog and when HF answered it (the cache's time, not the caller's). */
export interface PriceCatalog {
  prices: ComputePrice[];
  fetchedAt: number;
}

export type ProviderErrorCode =
  | "unauthorized" // 401/403
  | "not_found" // 404
  | "rate_limited" // 429 after retries
  | "server_error" // 5xx after retries
  | "timeout" // no answer in time, after retries
  | "network" // fetch threw
  | "bad_request" // other 4xx
  | "invalid_response"; // body did not match the schema / was not JSON

export interface ProviderError {
  code: ProviderErrorCode;
  message: string;
  status?: number;
  /** X-Request-Id or similar from the provider, for support tickets */
  requestId?: string;
  /** the endpoint the error is about, `ns/name`, when there is one */
  endpoint?: string;
  /** what could not be read when it is not the fleet nor one endpoint, e.g. "the price catalog of acme" (the event's title) */
  subject?: string;
}

export type ProviderResult<T> = { ok: true; value: T } | { ok: false; error: ProviderError };

export interface ListResult {
  /** endpoints that parsed */
  endpoints: EndpointSnapshot[];
  /** items in the listing that did not match the schema: an error for that endpoint only */
  invalid: ProviderError[];
  /** HTTP requests the listing took (pages and retries), for subrequest accounting */
  requests: number;
}

/** The Hub account a billing usage read is about: an organisation, or the token's own user. */
export interface BillingAccount {
  namespace: string;
  kind: "org" | "user";
}

/** One read of the Hub's billing usage for the current billing period (providers/hf/billing.ts). */
export interface BillingUsage {
  entityName: string;
  entityType: "org" | "user";
  /** the billing period, ms */
  periodStart: number;
  periodEnd: number;
  /** sum of the period's Inference Endpoints items' totalCostMicroUSD, integer micro-USD */
  endpointsMicro: number;
  /** the part of it on items marked freeGrant */
  freeGrantMicro: number;
  /** Inference Endpoints items in the answer */
  items: number;
}

export interface EndpointProvider {
  listEndpoints(namespace: string): Promise<ProviderResult<ListResult>>;
  getEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  updateEndpoint(namespace: string, name: string, update: EndpointUpdate): Promise<ProviderResult<EndpointSnapshot>>;
  pauseEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  /** 400 "already running" counts as success (value is then the endpoint as fetched afterwards) */
  resumeEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  scaleToZero(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  /**
   * Catalog for a namespace (GET /v2/provider/{ns}), cached by the implementation; `now` (default: the
   * provider's clock) ages the cache, so a tick fired at a chosen time sees the cache as that time would.
   */
  listPrices(namespace: string, now?: number): Promise<ProviderResult<PriceCatalog>>;
  /** The same provider with every call bounded to end within `ms` (what is left of the lease); optional. */
  within?(ms: number): EndpointProvider;
  /** Request metrics (GET /v2/endpoint/{ns}/{name}/open-metrics); optional: providers without it get spend triggers only. */
  getOpenMetrics?(
    namespace: string,
    name: string,
    names?: import("../policy/index.ts").MetricNames,
  ): Promise<ProviderResult<EndpointMetrics>>;
  /** The Hub's billing usage of the current period, one request and no retry; optional: providers without it are not reconciled. */
  getBillingUsage?(account: BillingAccount): Promise<ProviderResult<BillingUsage>>;
}
