// error_rate: more than 1 % of requests answered 5xx: check model loading and memory.
import { alertOf, eachEndpoint, round, type Trigger, windowOf } from "./kind.ts";

export const errorRate: Trigger = {
  name: "error_rate",
  evaluate(ctx) {
    const t = ctx.policy.triggers.error_rate;
    return eachEndpoint(ctx, t.enabled, (o, h) => {
      const w = windowOf(h, t.window_minutes);
      if (w.requests <= 0 || w.requests < t.min_requests) return null;
      const percent = (w.errors / w.requests) * 100;
      if (!(percent > t.max_percent)) return null;
      return alertOf(
        ctx,
        "error_rate",
        percent > 10 * t.max_percent ? "critical" : "warning",
        o.id,
        `${round(percent, 1)}% errors on ${o.id}`,
        `${Math.round(w.errors)} of ${Math.round(w.requests)} requests to ${o.id} in the last ${t.window_minutes} minutes answered 5xx ` +
          `(over ${t.max_percent}%). Check model loading and memory (out-of-memory restarts, a too-small instance), then the endpoint's logs.`,
        { error_percent: round(percent), errors: Math.round(w.errors), requests: Math.round(w.requests), max_percent: t.max_percent },
      );
    });
  },
};
