// The provider's public surface: the contract every provider implements (types.ts) and the Hugging
// Face client (hf/).

export {
  type BillingUsageBody,
  billingUsageSchema,
  type EndpointList,
  type EndpointWithStatus,
  endpointListSchema,
  endpointWithStatusSchema,
  errorBodySchema,
  HfClient,
  type HfClientOptions,
  type MetricSample,
  type ParsedMetrics,
  type ParseResult,
  type ProviderCatalog,
  parseOpenMetrics,
  providerCatalogSchema,
  toComputePrices,
  toEndpointMetrics,
  toSnapshot,
} from "./hf/index.ts";
export {
  type BillingAccount,
  type BillingUsage,
  type ComputePrice,
  ENDPOINT_STATES,
  type EndpointMetrics,
  type EndpointProvider,
  type EndpointSnapshot,
  type EndpointState,
  type EndpointUpdate,
  type ListResult,
  type PriceCatalog,
  type ProviderError,
  type ProviderErrorCode,
  type ProviderResult,
} from "./types.ts";
