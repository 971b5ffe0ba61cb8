// cold_starts: an endpoint woke from 0 billable replicas too often in the last hour: autoscaling
// is thrashing (min replicas 0 with a short scale-to-zero timeout), and every wake is billed.
import { alertOf, eachEndpoint, type Trigger, windowOf } from "./kind.ts";

export const coldStarts: Trigger = {
  name: "cold_starts",
  evaluate(ctx) {
    const t = ctx.policy.triggers.cold_starts;
    const limit = t.max_per_hour * (t.window_minutes / 60);
    return eachEndpoint(ctx, t.enabled, (o, h) => {
      const w = windowOf(h, t.window_minutes);
      if (!(w.coldStarts > limit)) return null;
      const timeout = o.scaleToZeroTimeout === null ? "none" : `${o.scaleToZeroTimeout} min`;
      return alertOf(
        ctx,
        "cold_starts",
        "warning",
        o.id,
        `Autoscaling misconfiguration on ${o.id}: ${w.coldStarts} cold starts in ${t.window_minutes} minutes`,
        `${o.id} went from 0 to running ${w.coldStarts} times in the last ${t.window_minutes} minutes (limit ${limit}). ` +
          `Each wake is billed while initializing and callers wait. Fix: set minReplica to at least 1 (now ${o.minReplica}), ` +
          `or lengthen the scale-to-zero timeout (now ${timeout}).`,
        {
          cold_starts: w.coldStarts,
          limit,
          window_minutes: t.window_minutes,
          min_replica: o.minReplica,
          scale_to_zero_timeout: o.scaleToZeroTimeout,
        },
      );
    });
  },
};
