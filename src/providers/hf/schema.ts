// The shapes of the HF Inference Endpoints API (shared/reference/hf-endpoints-api.md §2, §4, §6), parsed at the boundary.
//
// Tolerance: objects use zod's default mode, so keys we do not model are accepted and dropped from
// the parsed value. That keeps us working when HF adds fields, and it means model.secrets and
// model.env never leave this module: they are not in the schema, so they are not in the output.
import * as z from "zod";
import { type ComputePrice, ENDPOINT_STATES, type EndpointSnapshot } from "../types.ts";

const count = z.number().int().nonnegative();
const user = z.object({ id: z.string(), name: z.string() });

export const endpointStatusSchema = z.object({
  state: z.enum(ENDPOINT_STATES),
  message: z.string().optional(),
  errorMessage: z.string().optional(),
  // Missing on freshly created endpoints (vectors/hf/post_create_endpoint_minimal_response.json).
  readyReplica: count.default(0),
  targetReplica: count.default(0),
  url: z.string().nullish(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  createdBy: user.optional(),
  updatedBy: user.optional(),
});

export const endpointScalingSchema = z.object({
  minReplica: count,
  maxReplica: count,
  // Minutes (HFH docstring). Absent or null when auto scale-to-zero is off.
  scaleToZeroTimeout: z.number().nonnegative().nullish(),
});

export const endpointComputeSchema = z.object({
  /** Informational hardware id, e.g. aws-us-east-1-nvidia-l4-x1. */
  id: z.string().nullish(),
  accelerator: z.string().nullish(),
  instanceType: z.string(),
  instanceSize: z.string(),
  scaling: endpointScalingSchema,
});

export const endpointWithStatusSchema = z.object({
  name: z.string().min(1),
  // "protected" is deprecated but still returned by old endpoints, so any string is accepted.
  type: z.string().optional(),
  // compute and provider are absent from some create responses; the snapshot then carries nulls.
  provider: z.object({ vendor: z.string(), region: z.string() }).optional(),
  compute: endpointComputeSchema.optional(),
  // Only the identifying model fields: env, secrets, command and args are deliberately not modelled.
  model: z
    .object({
      repository: z.string().optional(),
      revision: z.string().nullish(),
      task: z.string().nullish(),
      framework: z.string().nullish(),
    })
    .optional(),
  tags: z.array(z.string()).optional(),
  status: endpointStatusSchema,
});
export type EndpointWithStatus = z.infer<typeof endpointWithStatusSchema>;

/** One page of `GET /v2/endpoint/{ns}`; items are checked one by one so a bad item spoils only itself. */
export const endpointPageSchema = z.object({
  items: z.array(z.unknown()),
  nextCursor: z.string().nullish(),
  prevCursor: z.string().nullish(),
});

/** The list response with every item checked (for fixtures and the emulator's answers). */
export const endpointListSchema = endpointPageSchema.extend({ items: z.array(endpointWithStatusSchema) });
export type EndpointList = z.infer<typeof endpointListSchema>;

export const catalogComputeSchema = z.object({
  id: z.string().nullish(),
  accelerator: z.string().nullish(),
  instanceType: z.string(),
  instanceSize: z.string(),
  status: z.string().optional(),
  // USD per replica-hour. Nullable so one unpriced (e.g. reserved) compute cannot void the whole catalog.
  pricePerHour: z.number().nonnegative().nullish(),
});

/** `GET /v2/provider/{ns}`: vendors → regions → computes. */
export const providerCatalogSchema = z.object({
  vendors: z.array(
    z.object({
      name: z.string(),
      status: z.string().optional(),
      regions: z.array(
        z.object({
          name: z.string(),
          label: z.string().optional(),
          status: z.string().optional(),
          computes: z.array(catalogComputeSchema),
        }),
      ),
    }),
  ),
});
export type ProviderCatalog = z.infer<typeof providerCatalogSchema>;

/** `ApiResponseError`: the body of every HF error answer, e.g. {"error":"Endpoint not found"}. */
export const errorBodySchema = z.object({ error: z.string() });

/** Normalises a parsed endpoint into the contract the guard tick reasons about. */
export function toSnapshot(raw: EndpointWithStatus, namespace: string): EndpointSnapshot {
  const scaling = raw.compute?.scaling;
  return {
    namespace,
    name: raw.name,
    state: raw.status.state,
    readyReplica: raw.status.readyReplica,
    targetReplica: raw.status.targetReplica,
    // Without a compute block nothing is provisioned yet (a create in progress), so 0 is the honest bound.
    minReplica: scaling?.minReplica ?? 0,
    maxReplica: scaling?.maxReplica ?? 0,
    scaleToZeroTimeout: scaling?.scaleToZeroTimeout ?? null,
    vendor: raw.provider?.vendor ?? null,
    region: raw.provider?.region ?? null,
    accelerator: raw.compute?.accelerator ?? null,
    instanceType: raw.compute?.instanceType ?? null,
    instanceSize: raw.compute?.instanceSize ?? null,
    computeId: raw.compute?.id ?? null,
    url: raw.status.url ?? null,
    updatedAt: raw.status.updatedAt ?? null,
    updatedBy: raw.status.updatedBy?.name ?? null,
    tags: raw.tags ?? [],
  };
}

/** Flattens the catalog into prices in integer micro-USD per replica-hour; unpriced computes are left out. */
export function toComputePrices(catalog: ProviderCatalog): ComputePrice[] {
  const prices: ComputePrice[] = [];
  for (const vendor of catalog.vendors) {
    for (const region of vendor.regions) {
      for (const compute of region.computes) {
        if (compute.pricePerHour == null) continue;
        prices.push({
          id: compute.id ?? null,
          vendor: vendor.name,
          region: region.name,
          instanceType: compute.instanceType,
          instanceSize: compute.instanceSize,
          accelerator: compute.accelerator ?? null,
          priceMicroPerHour: Math.round(compute.pricePerHour * 1e6),
        });
      }
    }
  }
  return prices;
}
