// underutilized: hardware usage under a few percent for a whole hour while billed: over-provisioned.
import { alertOf, eachEndpoint, round, type Trigger, windowOf } from "./kind.ts";

export const underutilized: Trigger = {
  name: "underutilized",
  evaluate(ctx) {
    const t = ctx.policy.triggers.underutilized;
    // Billed for (nearly) the whole window: a tick's jitter must not hide an idle hour.
    const needMs = 0.9 * t.window_minutes * 60_000;
    return eachEndpoint(ctx, t.enabled, (o, h) => {
      const w = windowOf(h, t.window_minutes);
      if (w.usageAvg === null || w.usageSamples < t.min_samples || w.billableMs < needMs) return null;
      if (!(w.usageAvg < t.below_percent)) return null;
      return alertOf(
        ctx,
        "underutilized",
        "info",
        o.id,
        `${o.id} is over-provisioned: ${round(w.usageAvg, 1)}% hardware usage over ${t.window_minutes} minutes`,
        `${o.id} averaged ${round(w.usageAvg, 1)}% usage (under ${t.below_percent}%) with ${o.targetReplica} replica(s) of ` +
          `${o.instanceType ?? "?"} ${o.instanceSize ?? ""}. Consider fewer replicas (minReplica ${o.minReplica}), smaller ` +
          "hardware, or scale-to-zero when idle.",
        { usage_percent: round(w.usageAvg, 1), below_percent: t.below_percent, replicas: o.targetReplica, samples: w.usageSamples },
      );
    });
  },
};
