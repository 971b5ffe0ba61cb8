// Billing reconciliation (issue 13, item 6): the real tick reads HF's billing usage from the emulator's Hub
// routes once an hour, stores it beside the ledger's metered spend over the period, and /v1/status, the page
// and /metrics show the drift. Real D1 with the real migrations, the real HF client, the emulator over HTTP.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { BillingNamespaceJson } from "../../src/status/index.ts";
import { listEvents, spendBounds } from "../../src/store/index.ts";
import { guardrail, HOUR, MIN } from "../fixtures/http.ts";

// $2.50/h, $5/h scaled up: under the fixtures' $10 daily budget, so no action changes the fleet under the test.
const BIG = { name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 2, replicas: 1 };
// After the real clock (December 2026), so the emulator's namespace clock can be moved to it.
const T0 = Date.UTC(2027, 4, 10, 6, 0);
const PERIOD = { periodStart: "2027-05-01T00:00:00.000Z", periodEnd: "2027-06-01T00:00:00.000Z" };

async function setup(ns: string, extra = "billing: { reconcile: true }") {
  const g = guardrail(ns, extra);
  await g.admin.advanceTo(T0);
  await g.admin.reset([BIG]);
  await g.admin.billing(PERIOD);
  /** the emulator moved to `at`, then a tick at `at` */
  const tickAt = async (at: number, subrequests?: () => number) => {
    await g.admin.advanceTo(at);
    return g.tick(at, undefined, subrequests);
  };
  const billingReads = async () => (await g.admin.calls()).filter((c) => c.path.endsWith("/billing/usage"));
  const billing = async (now: number) => {
    const status = (await (await g.read("/v1/status", now)).json()) as {
      billing: { reconcile: boolean; namespaces: BillingNamespaceJson[] };
    };
    return status.billing;
  };
  return { g, tickAt, billingReads, billing };
}

describe("billing reconciliation", () => {
  it("shows HF's bill beside the metered spend of the period and the drift, in /v1/status, the page and /metrics", async () => {
    const ns = "bill-drift";
    const s = await setup(ns);
    await s.tickAt(T0);
    // Scaled up between two ticks: HF bills the minutes, the guardrail estimates where the change fell.
    await s.g.admin.advanceTo(T0 + 40 * MIN);
    await s.g.admin.setReplicas("big", 2);
    await s.tickAt(T0 + 50 * MIN);
    const r = await s.tickAt(T0 + 61 * MIN);
    expect(r.billing?.read).toEqual([ns]);
    const billed = (await s.g.admin.cost()).totalMicroUsd;
    const { micro: metered, roundingMicro: rounding } = await spendBounds(env.DB, "2027-05-10");
    // The scale-up seen between two ticks is a run seen to start: rounded_up adds half a replica-minute for it.
    expect(rounding).toBeGreaterThan(0);
    expect(billed).toBeGreaterThan(0);
    expect(metered).not.toBe(billed);
    expect(r.executed).toEqual([]);

    const b = await s.billing(T0 + 62 * MIN);
    expect(b.reconcile).toBe(true);
    const row = b.namespaces.find((n) => n.namespace === ns);
    expect(row).toMatchObject({
      kind: "org",
      state: "ok",
      entity: ns,
      billed_usd: billed / 1e6,
      metered_usd: metered / 1e6,
      drift_usd: (metered - billed) / 1e6,
      drift_pct: Number((((metered - billed) / billed) * 100).toFixed(2)),
      rounding_allowance_usd: rounding / 1e6,
      drift_without_allowance_usd: (metered - rounding - billed) / 1e6,
      drift_without_allowance_pct: Number((((metered - rounding - billed) / billed) * 100).toFixed(2)),
      items: 1,
      free_grant_usd: 0,
      period: { start: PERIOD.periodStart, end: PERIOD.periodEnd, metered_from_day: "2027-05-01", aligned: true },
      fetched_at: new Date(T0 + 61 * MIN).toISOString(),
      age_minutes: 1,
      stale: false,
      error: null,
    });

    const page = await (await s.g.read("/", T0 + 62 * MIN)).text();
    expect(page).toContain('data-section="billing"');
    expect(page).toContain(`data-billing="${ns}"`);
    const metrics = await (await s.g.read("/metrics", T0 + 62 * MIN)).text();
    expect(metrics).toContain(`guardrail_billed_usd{namespace="${ns}"} ${billed / 1e6}`);
    expect(metrics).toContain(`guardrail_billing_drift_usd{namespace="${ns}"} ${(metered - billed) / 1e6}`);
    expect(metrics).toContain(`guardrail_billing_read_ok{namespace="${ns}"} 1`);
    expect(metrics).toContain(`guardrail_billing_rounding_allowance_usd{namespace="${ns}"} ${rounding / 1e6}`);
    expect(metrics).toContain(`guardrail_spend_rounding_allowance_usd ${rounding / 1e6}`);
  });

  it("reads each namespace once an hour, counted from the last read kept in D1", async () => {
    const s = await setup("bill-hourly");
    for (const m of [0, 1, 2, 30, 59]) await s.tickAt(T0 + m * MIN);
    expect(await s.billingReads()).toHaveLength(1);
    await s.tickAt(T0 + 60 * MIN);
    await s.tickAt(T0 + 61 * MIN);
    expect((await s.billingReads()).map((c) => c.path)).toEqual([
      "/api/organizations/bill-hourly/billing/usage",
      "/api/organizations/bill-hourly/billing/usage",
    ]);
  });

  it("shows a 403 as the token not allowed to read billing, once, retried hourly, and the tick goes on", async () => {
    const ns = "bill-denied";
    const s = await setup(ns);
    await s.g.admin.faults({ path: "/billing/usage", status: 403, body: { error: "Forbidden" }, times: 100 });
    const first = await s.tickAt(T0);
    expect(first.outcome).toBe("ok");
    expect(first.plan?.spendMicro).toBeDefined();
    for (const m of [1, 30, 60, 61, 120]) expect((await s.tickAt(T0 + m * MIN)).outcome).toBe("ok");
    // Not retried every tick: at T0, T0 + 60 min and T0 + 120 min; no retries inside a tick either.
    expect(await s.billingReads()).toHaveLength(3);
    const row = (await s.billing(T0 + 121 * MIN)).namespaces.find((n) => n.namespace === ns);
    expect(row).toMatchObject({
      state: "error",
      billed_usd: null,
      fetched_at: null,
      error: { code: "unauthorized", status: 403, since: new Date(T0).toISOString() },
    });
    const events = (await listEvents(env.DB, { kind: "billing_unauthorized", limit: 10 })).filter((e) => e.data.namespace === ns);
    expect(events).toHaveLength(1);
    expect(events[0]?.title).toBe(`The token may not read HF billing of ${ns}`);
    const page = await (await s.g.read("/", T0 + 121 * MIN)).text();
    expect(page).toContain("token may not read billing (HTTP 403)");
    const metrics = await (await s.g.read("/metrics", T0 + 121 * MIN)).text();
    expect(metrics).toContain(`guardrail_billing_read_ok{namespace="${ns}"} 0`);
    expect(metrics).not.toContain(`guardrail_billed_usd{namespace="${ns}"}`);
  });

  it("does not retry a failed read inside the tick (one subrequest) and keeps the last figures with their age", async () => {
    const ns = "bill-503";
    const s = await setup(ns);
    await s.tickAt(T0);
    await s.g.admin.faults({ path: "/billing/usage", status: 503, times: 1 });
    await s.tickAt(T0 + 60 * MIN);
    expect(await s.billingReads()).toHaveLength(2);
    const row = (await s.billing(T0 + 61 * MIN)).namespaces.find((n) => n.namespace === ns);
    // The figures of the read at T0 stay, an hour old.
    expect(row).toMatchObject({
      state: "error",
      error: { code: "server_error", status: 503 },
      fetched_at: new Date(T0).toISOString(),
      age_minutes: 61,
    });
    expect(row?.billed_usd).toBeGreaterThan(0);
    await s.tickAt(T0 + 120 * MIN);
    expect((await s.billing(T0 + 120 * MIN)).namespaces.find((n) => n.namespace === ns)).toMatchObject({ state: "ok", error: null });
  });

  it("rejects an answer that does not match the documented shape with a clear error and stores no figures", async () => {
    const ns = "bill-bad";
    const s = await setup(ns);
    // An item without the required entityId and totalCostMicroUSD (Hub OpenAPI spec: both required).
    const body = {
      usage: { Endpoints: [{ label: "big", product: "endpoints/aws/nvidia-a100/x1", quantity: 10, active: true }] },
      period: { _id: "a".repeat(24), entityId: "b".repeat(24), entityType: "org", entityName: ns, ...PERIOD },
    };
    await s.g.admin.faults({ path: "/billing/usage", status: 200, body });
    expect((await s.tickAt(T0)).outcome).toBe("ok");
    const row = (await s.billing(T0 + MIN)).namespaces.find((n) => n.namespace === ns);
    expect(row?.error?.code).toBe("invalid_response");
    expect(row?.error?.message).toMatch(/^billing usage of bill-bad does not match the schema: usage\.Endpoints\.0\.entityId: /);
    expect(row).toMatchObject({ billed_usd: null, metered_usd: null, period: null, fetched_at: null });
    const stored = await env.DB.prepare("SELECT billed_micro, fetched_at FROM billing_usage WHERE namespace = ?1").bind(ns).first();
    expect(stored).toEqual({ billed_micro: null, fetched_at: null });
  });

  it("reads the token's own user through /api/settings/billing/usage", async () => {
    const ns = "bill-user";
    const s = await setup(ns, `billing: { reconcile: true, user_namespaces: [${ns}] }`);
    await s.g.admin.billing({ ...PERIOD, user: true });
    await s.tickAt(T0);
    await s.tickAt(T0 + 30 * MIN);
    expect((await s.billingReads()).map((c) => c.path)).toEqual(["/api/settings/billing/usage"]);
    const row = (await s.billing(T0 + 30 * MIN)).namespaces.find((n) => n.namespace === ns);
    expect(row).toMatchObject({ kind: "user", state: "ok", entity: ns });
  });

  it("waits for a later tick when the tick has no subrequests left, and reads nothing when the policy leaves it off", async () => {
    const s = await setup("bill-budget");
    const r = await s.tickAt(T0, () => 45);
    expect(r.billing).toMatchObject({ read: [], deferred: ["bill-budget"] });
    expect(await s.billingReads()).toHaveLength(0);
    await s.tickAt(T0 + MIN);
    expect(await s.billingReads()).toHaveLength(1);

    const off = await setup("bill-off", "");
    await off.tickAt(T0);
    await off.tickAt(T0 + 2 * HOUR);
    expect(await off.billingReads()).toHaveLength(0);
    expect((await off.billing(T0 + 2 * HOUR)).namespaces.map((n) => n.namespace)).not.toContain("bill-off");
  });
});
