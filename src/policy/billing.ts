// Billing reconciliation settings (docs/metering.md): whether the tick reads HF's billing usage once an
// hour per namespace and which namespaces are the token's own user account rather than an organisation.
import * as z from "zod";

export const billingSchema = z
  .object({
    reconcile: z
      .boolean()
      .default(false)
      .describe(
        "once an hour per namespace, read HF's billing usage for the current billing period (one subrequest each) and show the drift between what the guardrail metered and what HF billed in /v1/status, the page and /metrics; the token needs billing read access",
      ),
    user_namespaces: z
      .array(z.string().min(1))
      .max(1)
      .default([])
      .describe(
        "the namespace (at most one) that is the token's own user account, read through /api/settings/billing/usage; every other namespace is read as an organisation (/api/organizations/{name}/billing/usage)",
      ),
  })
  .strict();

export type BillingPolicy = z.infer<typeof billingSchema>;

/** Which Hub billing route a namespace is read through. */
export type BillingAccountKind = "org" | "user";

export function billingKindOf(billing: BillingPolicy, namespace: string): BillingAccountKind {
  return billing.user_namespaces.includes(namespace) ? "user" : "org";
}
