// request_spike: the request rate exceeds `factor` x its baseline (traffic spike or abuse).
import { perHour } from "../history.ts";
import { alertOf, eachEndpoint, round, type Trigger, windowOf } from "./kind.ts";

export const requestSpike: Trigger = {
  name: "request_spike",
  evaluate(ctx) {
    const t = ctx.policy.triggers.request_spike;
    return eachEndpoint(ctx, t.enabled, (o, h) => {
      const base = h?.requestBaseline;
      const w = windowOf(h, t.window_minutes);
      const rate = perHour(w.requests, w.metricsMs);
      if (!base || rate === null) return null;
      const limit = t.factor * base.value;
      if (!(rate > limit) || rate < t.min_requests_per_hour) return null;
      return alertOf(
        ctx,
        "request_spike",
        "warning",
        o.id,
        `Request spike on ${o.id}: ${round(rate / base.value, 1)}x normal`,
        `${o.id} serves ${Math.round(rate)} requests/h over the last ${t.window_minutes} minutes, more than ${t.factor}x its ` +
          `normal ${Math.round(base.value)}/h (${base.source === "same_hour" ? `median of this hour over ${base.hours} days` : `median of the last ${base.hours} hours`}). ` +
          "A traffic spike or abuse: check who is calling it (client keys, rate limits) before its autoscaler follows.",
        {
          requests_per_hour: Math.round(rate),
          baseline_per_hour: round(base.value),
          factor: round(rate / base.value),
          baseline_source: base.source,
        },
      );
    });
  },
};
