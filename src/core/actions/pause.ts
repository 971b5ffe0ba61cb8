// pause (third rung, emergency shutdown): pause expensive non-critical endpoints. A paused
// endpoint is not billed and does not wake on traffic, unlike scale-to-zero.
import type { Policy } from "../../policy/index.ts";
import { formatUsd, usdToMicro } from "../money.ts";
import type { Observation } from "../types.ts";
import type { ActionKind } from "./kind.ts";

/** Unknown prices fail safe: an unpriced accelerator counts as expensive, an unpriced CPU does not. */
export function isExpensive(o: Observation, policy: Policy): boolean {
  const threshold = usdToMicro(policy.expensive_usd_per_hour);
  if (o.priceMicroPerHour === null) return o.accelerator !== "cpu";
  return o.priceMicroPerHour >= threshold;
}

export const pause: ActionKind = {
  name: "pause",
  level: 3,
  verb: "pause",
  needed(o, { policy, settings }) {
    return !settings.critical && o.state !== "paused" && isExpensive(o, policy);
  },
  change() {
    return { type: "hf_pause" };
  },
  after(_o, { config }) {
    return { ...config, state: "paused" };
  },
  reason(o, { policy, ratio }) {
    const price = o.priceMicroPerHour === null ? "an unpriced accelerator" : `${formatUsd(o.priceMicroPerHour)}/h per replica`;
    return (
      `spend is ${(ratio * 100).toFixed(0)}% of the daily budget (>= ${(policy.thresholds.shutdown * 100).toFixed(0)}%): ` +
      `emergency pause of an expensive endpoint (${price} >= ${formatUsd(usdToMicro(policy.expensive_usd_per_hour))}/h)`
    );
  },
};
