// spend_spike: an endpoint's spend rate exceeds `factor` x its baseline (traffic anomaly or a configuration change).
import { perHour } from "../history.ts";
import { formatUsd, microToUsd } from "../money.ts";
import { alertOf, eachEndpoint, round, type Trigger, windowOf } from "./kind.ts";

export const spendSpike: Trigger = {
  name: "spend_spike",
  evaluate(ctx) {
    const t = ctx.policy.triggers.spend_spike;
    return eachEndpoint(ctx, t.enabled, (o, h) => {
      const base = h?.spendBaseline;
      const w = windowOf(h, t.window_minutes);
      const rate = perHour(w.spendMicro, w.spanMs);
      if (!base || rate === null) return null;
      if (!(rate > t.factor * base.value) || rate < t.min_usd_per_hour * 1e6) return null;
      return alertOf(
        ctx,
        "spend_spike",
        "warning",
        o.id,
        `Spend spike on ${o.id}: ${formatUsd(Math.round(rate))}/h, ${base.value > 0 ? `${round(rate / base.value, 1)}x` : "far above"} normal`,
        `${o.id} burned ${formatUsd(Math.round(rate))}/h over the last ${t.window_minutes} minutes, more than ${t.factor}x its normal ` +
          `${formatUsd(Math.round(base.value))}/h. A traffic anomaly or a configuration change (replicas, hardware): ` +
          `it now runs ${o.targetReplica} replica(s) of ${o.instanceType ?? "?"} ${o.instanceSize ?? ""}${o.updatedBy ? `, last updated by ${o.updatedBy}` : ""}.`,
        {
          spend_usd_per_hour: round(microToUsd(rate), 4),
          baseline_usd_per_hour: round(microToUsd(base.value), 4),
          factor: base.value > 0 ? round(rate / base.value) : null,
          baseline_source: base.source,
        },
      );
    });
  },
};
