// The contract between the guard tick and an endpoint provider (Hugging Face today).
// Expected failures are values (`ProviderResult`), never exceptions.

/** Real HF state names (see shared/reference/hf-endpoints-api.md §2.1). */
export const ENDPOINT_STATES = [
  "pending",
  "initializing",
  "updating",
  "updateFailed",
  "running",
  "paused",
  "failed",
  "scaledToZero",
] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

/** The fields of an endpoint the guardrail reasons about, normalised from the provider's payload. */
export interface EndpointSnapshot {
  namespace: string;
  name: string;
  state: EndpointState;
  readyReplica: number;
  targetReplica: number;
  minReplica: number;
  maxReplica: number;
  scaleToZeroTimeout: number | null;
  vendor: string | null;
  region: string | null;
  accelerator: string | null;
  instanceType: string | null;
  instanceSize: string | null;
  /** compute.id when the provider sends it, e.g. aws-us-east-1-nvidia-l4-x1 */
  computeId: string | null;
  url: string | null;
  updatedAt: string | null;
  updatedBy: string | null;
  /** the endpoint's HF tags (budgets select endpoints by tag); absent in snapshots stored before tags were kept */
  tags?: string[];
}

/** Partial update body: only the keys being changed (HF merges PUT bodies). */
export interface EndpointUpdate {
  compute?: {
    instanceType?: string;
    instanceSize?: string;
    accelerator?: string;
    scaling?: {
      minReplica?: number;
      maxReplica?: number;
      scaleToZeroTimeout?: number;
    };
  };
}

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

/** Request metrics of one endpoint at one instant, normalised from its open-metrics export. */
export interface EndpointMetrics {
  /** cumulative counters per replica id (a replica that goes away takes its counters with it) */
  replicas: Record<string, { requests: number; errors: number }>;
  /** p95 latency in milliseconds, when exported */
  p95LatencyMs: number | null;
  /** requests waiting or in flight, when exported */
  pendingRequests: number | null;
  /** hardware usage in percent: the accelerator's when exported, else the CPU's (for display; decisions use the two below) */
  usagePercent: number | null;
  /** CPU busy percent, mean over replicas, when exported (absent: not read apart) */
  cpuUsagePercent?: number | null;
  /** GPU / accelerator busy percent, mean over replicas, when exported */
  acceleratorUsagePercent?: number | null;
}

export interface EndpointProvider {
  listEndpoints(namespace: string): Promise<ProviderResult<ListResult>>;
  getEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  updateEndpoint(namespace: string, name: string, update: EndpointUpdate): Promise<ProviderResult<EndpointSnapshot>>;
  pauseEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  /** 400 "already running" counts as success (value is then the endpoint as fetched afterwards) */
  resumeEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  scaleToZero(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>>;
  /** Catalog for a namespace (GET /v2/provider/{ns}), cached by the implementation. */
  listPrices(namespace: string): Promise<ProviderResult<ComputePrice[]>>;
  /** The same provider with every call bounded to end within `ms` (what is left of the lease); optional. */
  within?(ms: number): EndpointProvider;
  /** Request metrics (GET /v2/endpoint/{ns}/{name}/open-metrics); optional: providers without it get spend triggers only. */
  getOpenMetrics?(
    namespace: string,
    name: string,
    names?: import("../policy/index.ts").MetricNames,
  ): Promise<ProviderResult<EndpointMetrics>>;
}
