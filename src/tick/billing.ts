// The tick's billing reconciliation: once an hour per namespace (the last attempt is kept in D1), read
// HF's billing usage for the current period and store it beside what the ledger metered over the same
// budget days. Last in the tick: it uses only the subrequests left after observing, acting and alerting,
// one per namespace, and nothing it meets (a 403, a bad answer, a D1 error) can fail the tick.
import { billingDays, billingDue } from "../core/index.ts";
import { billingKindOf, type Policy } from "../policy/index.ts";
import type { EndpointProvider } from "../providers/index.ts";
import {
  type EventRow,
  loadBillingRows,
  namespaceSpendBetween,
  recordBillingFailure,
  recordBillingRead,
  recordEvents,
} from "../store/index.ts";

export interface BillingTickInput {
  db: D1Database;
  provider: EndpointProvider;
  policy: Policy;
  now: number;
  /** subrequests this invocation may still make */
  budget: number;
  /** ms left before the tick's deadline */
  leftMs: number;
}

export interface BillingTickReport {
  /** namespaces read this tick (answered or not) */
  read: string[];
  /** namespaces due but left for a later tick (no subrequests or time left) */
  deferred: string[];
  events: EventRow[];
}

const NOTHING: BillingTickReport = { read: [], deferred: [], events: [] };

export async function reconcileBilling(input: BillingTickInput): Promise<BillingTickReport> {
  const { db, policy, now } = input;
  if (!policy.billing.reconcile || input.provider.getBillingUsage === undefined) return NOTHING;
  const rows = await loadBillingRows(db);
  const last = new Map(rows.map((r) => [r.namespace, r]));
  const due = billingDue(policy.hf.namespaces, new Map(rows.map((r) => [r.namespace, r.attemptedAt])), now);
  if (due.length === 0) return NOTHING;
  const take = input.leftMs > 0 ? Math.max(0, Math.min(due.length, input.budget)) : 0;
  const provider = input.provider.within?.(input.leftMs) ?? input.provider;
  const read = due.slice(0, take);
  const events = [];
  for (const namespace of read) {
    const kind = billingKindOf(policy.billing, namespace);
    const result = await provider.getBillingUsage?.({ namespace, kind });
    if (!result) continue;
    if (result.ok) {
      const usage = result.value;
      const days = billingDays({ start: usage.periodStart, end: usage.periodEnd }, now, policy.budget.timezone);
      const metered = await namespaceSpendBetween(db, namespace, days.fromDay, days.toDay);
      await recordBillingRead(db, {
        namespace,
        kind,
        at: now,
        entityName: usage.entityName,
        periodStart: usage.periodStart,
        periodEnd: usage.periodEnd,
        billedMicro: usage.endpointsMicro,
        freeGrantMicro: usage.freeGrantMicro,
        items: usage.items,
        meteredMicro: metered.micro,
        meteredRoundingMicro: metered.roundingMicro,
        meteredFromDay: days.fromDay,
        aligned: days.aligned,
      });
      continue;
    }
    const e = result.error;
    await recordBillingFailure(db, { namespace, kind, at: now, code: e.code, status: e.status ?? null, message: e.message });
    // Said once when a run of failures begins (or its kind changes), not every hour it lasts.
    if (last.get(namespace)?.error?.code === e.code) continue;
    const denied = e.code === "unauthorized";
    events.push({
      at: now,
      type: "error" as const,
      kind: `billing_${e.code}`,
      severity: "warning" as const,
      endpoint: null,
      title: denied ? `The token may not read HF billing of ${namespace}` : `Could not read HF billing of ${namespace}`,
      message: denied
        ? `${e.message}. HF refused the token this account's billing usage: reconciliation of ${namespace} shows nothing until the token may read it. Tried again hourly.`
        : `${e.message}. Tried again in an hour; the last figures stay, shown with their age.`,
      data: { namespace, kind, code: e.code, status: e.status ?? null },
      dedupKey: `billing:${namespace}:${e.code}:${now}`,
    });
  }
  return { read, deferred: due.slice(take), events: events.length > 0 ? await recordEvents(db, events) : [] };
}
