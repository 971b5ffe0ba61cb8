// /v1/status's `billing` block: per guarded namespace, the last hourly read of HF's billing usage for the
// current period beside what the guardrail metered over the same budget days (tick/billing.ts), the
// drift between them, and the read's age or error. Figures are as of the read, so they match each other.
import { BILLING_STALE_MS, billingDrift, microToUsd } from "../core/index.ts";
import { billingKindOf, type Policy } from "../policy/index.ts";
import { type BillingRow, loadBillingRows } from "../store/index.ts";

const usd = (micro: number) => microToUsd(Math.round(micro));
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Why there are no per-endpoint figures (docs/metering.md). */
export const PER_ENDPOINT_NOTE = "not compared per endpoint: HF does not document that a billing item's label is the endpoint's name";

export type BillingState = "ok" | "stale" | "error" | "pending";

function namespaceJson(namespace: string, kind: "org" | "user", row: BillingRow | undefined, now: number) {
  const fetched = row?.fetchedAt ?? null;
  const billed = row?.billedMicro ?? null;
  const metered = row?.meteredMicro ?? null;
  const drift = billed !== null && metered !== null ? billingDrift(metered, billed) : null;
  // The same drift without the started-minute allowance: the figure a prorating bill would match.
  const rounding = row?.meteredRoundingMicro ?? null;
  const prorated = billed !== null && metered !== null && rounding !== null ? billingDrift(metered - rounding, billed) : null;
  const stale = fetched !== null && now - fetched > BILLING_STALE_MS;
  const state: BillingState = row?.error ? "error" : fetched === null ? "pending" : stale ? "stale" : "ok";
  return {
    namespace,
    kind,
    state,
    entity: row?.entityName ?? null,
    billed_usd: billed === null ? null : usd(billed),
    metered_usd: metered === null ? null : usd(metered),
    drift_usd: drift === null ? null : usd(drift.driftMicro),
    drift_pct: drift?.driftPct ?? null,
    rounding_allowance_usd: rounding === null ? null : usd(rounding),
    drift_without_allowance_usd: prorated === null ? null : usd(prorated.driftMicro),
    drift_without_allowance_pct: prorated?.driftPct ?? null,
    free_grant_usd: row?.freeGrantMicro == null ? null : usd(row.freeGrantMicro),
    items: row?.items ?? null,
    period:
      row?.periodStart == null || row.periodEnd == null
        ? null
        : {
            start: new Date(row.periodStart).toISOString(),
            end: new Date(row.periodEnd).toISOString(),
            metered_from_day: row.meteredFromDay,
            aligned: row.aligned ?? false,
          },
    fetched_at: iso(fetched),
    age_minutes: fetched === null ? null : Math.max(0, Math.floor((now - fetched) / 60_000)),
    stale,
    last_attempt_at: iso(row?.attemptedAt ?? null),
    error: row?.error ? { code: row.error.code, status: row.error.status, message: row.error.message, since: iso(row.error.since) } : null,
  };
}

export type BillingNamespaceJson = ReturnType<typeof namespaceJson>;

export interface BillingJson {
  reconcile: boolean;
  namespaces: BillingNamespaceJson[];
  per_endpoint: string;
}

/** The `billing` block; with reconciliation off, rows already stored are still shown (marked by `reconcile: false`). */
export async function billingStatus(db: D1Database, policy: Policy, now: number): Promise<BillingJson> {
  const rows = new Map((await loadBillingRows(db)).map((r) => [r.namespace, r]));
  const namespaces = policy.billing.reconcile ? policy.hf.namespaces : policy.hf.namespaces.filter((ns) => rows.has(ns));
  return {
    reconcile: policy.billing.reconcile,
    namespaces: namespaces.map((ns) => namespaceJson(ns, billingKindOf(policy.billing, ns), rows.get(ns), now)),
    per_endpoint: PER_ENDPOINT_NOTE,
  };
}
