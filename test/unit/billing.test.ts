// The pure part of the billing reconciliation (core/billing.ts) and the Hub billing usage's zod schema.
import { describe, expect, it } from "vitest";
import { billingDays, billingDrift, billingDue } from "../../src/core/index.ts";
import { billingUsageSchema, toBillingUsage } from "../../src/providers/hf/index.ts";

const HOUR = 3_600_000;
const MAY = { start: Date.UTC(2027, 4, 1), end: Date.UTC(2027, 5, 1) };

describe("which namespaces are read this tick", () => {
  it("reads those never read and those read an hour ago or more, the longest waiting first", () => {
    const now = Date.UTC(2027, 4, 10, 12);
    const last = new Map([
      ["a", now - HOUR + 1],
      ["b", now - 3 * HOUR],
      ["c", now - HOUR],
    ]);
    expect(billingDue(["a", "b", "c", "d"], last, now)).toEqual(["d", "b", "c"]);
  });
});

describe("the budget days that cover a billing period", () => {
  it("runs from the period's first day through today, aligned when the period starts at a budget-day midnight", () => {
    expect(billingDays(MAY, Date.UTC(2027, 4, 10, 12), "UTC")).toEqual({ fromDay: "2027-05-01", toDay: "2027-05-10", aligned: true });
  });

  it("is not aligned in a zone whose midnight is not the period's start; the first day is counted whole", () => {
    // 2027-05-01T00:00Z is 2027-04-30 20:00 in New York (EDT).
    expect(billingDays(MAY, Date.UTC(2027, 4, 10, 12), "America/New_York")).toEqual({
      fromDay: "2027-04-30",
      toDay: "2027-05-10",
      aligned: false,
    });
  });

  it("stops at the period's last day when HF answers for a period already over", () => {
    expect(billingDays(MAY, Date.UTC(2027, 5, 3), "UTC").toDay).toBe("2027-05-31");
  });
});

describe("drift", () => {
  it("is metered minus billed, positive when the guardrail reads high, in percent of the bill", () => {
    expect(billingDrift(10_500_000, 10_000_000)).toEqual({ driftMicro: 500_000, driftPct: 5 });
    expect(billingDrift(9_000_000, 10_000_000)).toEqual({ driftMicro: -1_000_000, driftPct: -10 });
    expect(billingDrift(1_000, 0)).toEqual({ driftMicro: 1_000, driftPct: null });
  });
});

describe("the Hub billing usage schema", () => {
  const item = (over: Record<string, unknown> = {}) => ({
    entityId: "64b7f0c2a1b2c3d4e5f60718",
    label: "llm",
    product: "endpoints/aws/nvidia-l4/x1",
    quantity: 120,
    productPrettyName: "Inference Endpoints · aws · nvidia-l4 · x1",
    unitLabel: "minutes",
    unitCostMicroUSD: 13_333,
    totalCostMicroUSD: 1_599_960.4,
    active: true,
    ...over,
  });
  const body = (items: unknown[] | undefined) => ({
    usage: items === undefined ? { Spaces: [] } : { Endpoints: items, Spaces: [] },
    period: {
      _id: "66f0a1b2c3d4e5f607182930",
      entityId: "64b7f0c2a1b2c3d4e5f60718",
      entityType: "org",
      entityName: "acme",
      periodStart: "2027-05-01T00:00:00.000Z",
      periodEnd: "2027-06-01T00:00:00.000Z",
      invoice: { type: "no-invoice", id: "no-invoice" },
    },
  });

  it("sums the period's Inference Endpoints items in integer micro-USD, free grants shown apart", () => {
    const parsed = billingUsageSchema.parse(body([item(), item({ totalCostMicroUSD: 400_000, freeGrant: true, stoppedAt: null })]));
    expect(toBillingUsage(parsed)).toEqual({
      entityName: "acme",
      entityType: "org",
      periodStart: MAY.start,
      periodEnd: MAY.end,
      endpointsMicro: 1_999_960,
      freeGrantMicro: 400_000,
      items: 2,
    });
  });

  it("reads a period without Inference Endpoints usage as $0", () => {
    expect(toBillingUsage(billingUsageSchema.parse(body(undefined))).endpointsMicro).toBe(0);
  });

  it("rejects an item without a required field or with a negative cost", () => {
    const { totalCostMicroUSD: _, ...noCost } = item();
    expect(billingUsageSchema.safeParse(body([noCost])).success).toBe(false);
    expect(billingUsageSchema.safeParse(body([item({ totalCostMicroUSD: -1 })])).success).toBe(false);
    expect(billingUsageSchema.safeParse({ ...body([item()]), period: { periodStart: "2027-05-01" } }).success).toBe(false);
  });
});
