// Today's spend from every source, the one figure the ratio, the ladder, the forecast and every
// view use: the dedicated endpoints' ledger (replica-hours) plus the gateway's token-priced spend.
// Each source stays its own figure; this is the only place they are added.

import type { Level } from "../core/index.ts";
import { type GatewaySpend, gatewaySpendBetween } from "./gateway.ts";
import { type SpendBounds, spendBounds } from "./ledger.ts";

export interface DaySpend {
  totalMicro: number;
  /** replica-hours of HF Inference Endpoints, metered by the tick */
  dedicatedMicro: number;
  /** the endpoints' ledger with its low and high bounds and the part metered across observation gaps */
  dedicated: SpendBounds;
  /** token-priced answers through the gateway (HF Inference Providers, OpenAI-compatible APIs) */
  gateway: GatewaySpend;
  /** the highest level the budget day reached so far (budget_days), read with the ledger */
  level: Level;
}

/** `bounds`: the budget day's start and end (core budgetDayBounds), for the gateway's per-minute counters. */
export async function daySpend(db: D1Database, day: string, bounds: { start: number; end: number }): Promise<DaySpend> {
  const [dedicated, gateway] = await Promise.all([spendBounds(db, day), gatewaySpendBetween(db, bounds.start, bounds.end)]);
  const { level, ...ledger } = dedicated;
  return { totalMicro: dedicated.micro + gateway.totalMicro, dedicatedMicro: dedicated.micro, dedicated: ledger, gateway, level };
}
