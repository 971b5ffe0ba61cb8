// The Hugging Face provider's public surface: the client and the wire schemas other folders need.
export { HfClient, type HfClientOptions } from "./client.ts";
export {
  endpointListSchema,
  endpointWithStatusSchema,
  errorBodySchema,
  providerCatalogSchema,
  toComputePrices,
  toSnapshot,
  type EndpointList,
  type EndpointWithStatus,
  type ProviderCatalog,
} from "./schema.ts";
