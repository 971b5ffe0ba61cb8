// The registry of triggers, evaluated in this order each tick; adding one is adding a file here.
import { coldStarts } from "./cold-starts.ts";
import { errorRate } from "./error-rate.ts";
import { forecast } from "./forecast.ts";
import { hourlyBurn } from "./hourly-burn.ts";
import type { Trigger, TriggerContext, TriggerResult } from "./kind.ts";
import { queueLatency } from "./queue-latency.ts";
import { requestSpike } from "./request-spike.ts";
import { runawayScaling } from "./runaway-scaling.ts";
import { spendSpike } from "./spend-spike.ts";
import { underutilized } from "./underutilized.ts";

export const TRIGGERS: readonly Trigger[] = [
  forecast,
  hourlyBurn,
  runawayScaling,
  requestSpike,
  spendSpike,
  coldStarts,
  underutilized,
  queueLatency,
  errorRate,
];

export function runTriggers(ctx: TriggerContext): TriggerResult {
  const out: TriggerResult = { alerts: [], actions: [] };
  for (const t of TRIGGERS) {
    const r = t.evaluate(ctx);
    out.alerts.push(...r.alerts);
    out.actions.push(...r.actions);
  }
  return out;
}

export type { Trigger, TriggerContext, TriggerResult } from "./kind.ts";
