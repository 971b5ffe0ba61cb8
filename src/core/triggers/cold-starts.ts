// cold_starts: too many replicas started in the last hour: autoscaling is thrashing (min replicas 0
// with a short scale-to-zero timeout, or scaling up and down around the threshold). Every replica that
// starts loads the model and is billed while initializing, whether it wakes the endpoint from zero or
// joins a scale-up; the alert tells the two apart and names the initializing minutes they bill.
import { formatUsd } from "../money.ts";
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
      const scaleUps = Math.max(0, w.coldStarts - w.wakes);
      // Initializing replica-minutes per hour, over the part of the window the guardrail saw.
      const span = w.spanMs > 0 ? w.spanMs : t.window_minutes * 60_000;
      const initMinutesPerHour = (w.initializingMs / span) * 60;
      const initMicroPerHour = o.priceMicroPerHour === null ? null : Math.round((initMinutesPerHour / 60) * o.priceMicroPerHour);
      const cost = initMicroPerHour === null ? "price unknown" : `${formatUsd(initMicroPerHour)}/h`;
      const usual = scaleUps > w.wakes ? " (or to the usual load, so the autoscaler stops adding and dropping replicas)" : "";
      const fix = `Fix: set minReplica to at least 1${usual} (now ${o.minReplica}), or lengthen the scale-to-zero timeout (now ${timeout}).`;
      return alertOf(
        ctx,
        "cold_starts",
        "warning",
        o.id,
        `Autoscaling misconfiguration on ${o.id}: ${w.coldStarts} replica starts in ${t.window_minutes} minutes`,
        `${o.id} started ${w.coldStarts} replicas in the last ${t.window_minutes} minutes (limit ${limit}): ` +
          `${w.wakes} wakes from zero and ${scaleUps} scale-ups. Each start loads the model and is billed while initializing: ` +
          `${Math.round(initMinutesPerHour)} initializing replica-minutes per hour (${cost}), and callers wait. ${fix}`,
        {
          cold_starts: w.coldStarts,
          replica_starts: w.coldStarts,
          wakes: w.wakes,
          scale_ups: scaleUps,
          initializing_minutes_per_hour: Math.round(initMinutesPerHour * 10) / 10,
          initializing_usd_per_hour: initMicroPerHour === null ? null : initMicroPerHour / 1e6,
          limit,
          window_minutes: t.window_minutes,
          min_replica: o.minReplica,
          scale_to_zero_timeout: o.scaleToZeroTimeout,
        },
      );
    });
  },
};
