// The Hugging Face provider's public surface: the client and the wire schemas other folders need.
export { type BillingUsageBody, billingUsageSchema, toBillingUsage } from "./billing.ts";
export { HfClient, type HfClientOptions } from "./client.ts";
export { type MetricSample, type ParsedMetrics, type ParseResult, parseOpenMetrics, toEndpointMetrics } from "./open-metrics.ts";
export {
  type EndpointList,
  type EndpointWithStatus,
  endpointListSchema,
  endpointWithStatusSchema,
  errorBodySchema,
  type ProviderCatalog,
  providerCatalogSchema,
  toComputePrices,
  toSnapshot,
} from "./schema.ts";
