// The Hub's billing usage (GET /api/organizations/{name}/billing/usage, GET /api/settings/billing/usage for
// the token's own user), parsed at the boundary into the period's Inference Endpoints cost.
//
// Source of the shape: the Hub OpenAPI spec, https://huggingface.co/.well-known/openapi.json (HF's
// hub-docs `docs/hub/api.md` points to it), operation "Get org usage for a given period" / "Get user
// usage for a given period", read from the copy tryAGI/HuggingFace downloads from that URL
// (`src/libs/HuggingFace/openapi.json`, commit 6491d53d, 2026-08-17); HF's own Swift client models
// the same response (huggingface/swift-huggingface `Sources/HuggingFace/Hub/Billing.swift`). The spec
// types `usage` as a map whose keys are "Endpoints" or "Spaces", each an array of items with required
// entityId, label, product, quantity, productPrettyName, unitLabel, totalCostMicroUSD,
// unitCostMicroUSD, active (optional startedAt, stoppedAt, freeGrant), and `period` with required
// _id, entityId, entityType (user|org), entityName, periodStart, periodEnd (date-times).
//
// Only what the spec types and the reconciliation needs is read: totalCostMicroUSD per Endpoints item,
// freeGrant, and the period. HF does not document what `label` names, so nothing maps items to
// endpoints here. Unknown keys are accepted (HF adds products and fields), missing required ones are not.
import * as z from "zod";
import type { BillingUsage } from "../types.ts";

const microUsd = z.number().finite().nonnegative();

export const billingUsageItemSchema = z.object({
  entityId: z.string(),
  label: z.string().nullable(),
  // The spec enumerates 64 `endpoints/{vendor}/{instanceType}/{instanceSize}` products; HF adds hardware,
  // so any string is accepted rather than a snapshot of the enum.
  product: z.string(),
  quantity: z.number().finite(),
  productPrettyName: z.string(),
  unitLabel: z.string().nullable(),
  totalCostMicroUSD: microUsd,
  unitCostMicroUSD: microUsd,
  active: z.boolean(),
  freeGrant: z.boolean().optional(),
  startedAt: z.iso.datetime().optional(),
  stoppedAt: z.iso.datetime().nullable().optional(),
});

export const billingUsageSchema = z.object({
  usage: z.object({ Endpoints: z.array(billingUsageItemSchema).optional() }),
  period: z.object({
    _id: z.string(),
    entityId: z.string(),
    entityType: z.enum(["user", "org"]),
    entityName: z.string(),
    periodStart: z.iso.datetime(),
    periodEnd: z.iso.datetime(),
  }),
});

export type BillingUsageBody = z.infer<typeof billingUsageSchema>;

/** The period's Inference Endpoints cost: the sum of its items' totalCostMicroUSD, in integer micro-USD. */
export function toBillingUsage(body: BillingUsageBody): BillingUsage {
  const items = body.usage.Endpoints ?? [];
  const sum = (xs: typeof items) => Math.round(xs.reduce((a, i) => a + i.totalCostMicroUSD, 0));
  return {
    entityName: body.period.entityName,
    entityType: body.period.entityType,
    periodStart: Date.parse(body.period.periodStart),
    periodEnd: Date.parse(body.period.periodEnd),
    endpointsMicro: sum(items),
    freeGrantMicro: sum(items.filter((i) => i.freeGrant === true)),
    items: items.length,
  };
}
