// Queue depth or p95 latency over the limit: add one replica (scale_up), but only while today's spend
// is under the budget and the forecast, the new replica included, stays under 100 % of it;
// otherwise alert that the budget held the scale-up back (scale_up_held).
import { scaleUp, scaleUpRelease } from "../actions/scale-up.ts";
import { forecastEndOfDay } from "../forecast.ts";
import { formatUsd } from "../money.ts";
import { alertOf, historyOf, NONE, round, type Trigger, type TriggerResult } from "./kind.ts";

export const queueLatency: Trigger = {
  name: "scale_up",
  evaluate(ctx) {
    const t = ctx.policy.triggers.scale_up;
    if (!t.enabled) return NONE;
    const out: TriggerResult = { alerts: [], actions: [] };
    for (const o of ctx.observations) {
      const m = historyOf(ctx, o.id)?.metrics;
      if (!m) continue;
      const queued = m.pendingRequests !== null && m.pendingRequests > t.max_pending_requests;
      const slow = m.p95LatencyMs !== null && m.p95LatencyMs > t.max_p95_latency_ms;
      if (!queued && !slow) {
        // The pressure passed: release the floor a scale-up pinned today, after the cooldown.
        // Only while minReplica is still what the scale-up pinned: a person's later change stands.
        const pin = ctx.scaleUpFloor?.get(o.id);
        const floor = pin && ctx.configOf(o).minReplica === pin.pinned ? pin.floor : undefined;
        const last = ctx.lastScaleUpAt?.get(o.id);
        const calm = last === undefined || ctx.now - last >= t.cooldown_minutes * 60_000;
        const rctx = {
          policy: ctx.policy,
          settings: ctx.settingsOf(o.id),
          config: ctx.configOf(o),
          ratio: ctx.ratio,
          ...(floor === undefined ? {} : { floor }),
        };
        if (calm && scaleUpRelease.needed(o, rctx)) {
          out.actions.push({
            kind: "scale_up_release",
            endpoint: o.id,
            key: `${ctx.day}:scale_up_release:${o.id}:${rctx.config.minReplica}`,
            level: 0,
            change: scaleUpRelease.change(o, rctx),
            before: rctx.config,
            after: scaleUpRelease.after(o, rctx),
            reason: scaleUpRelease.reason(o, rctx),
            hourlyMicro: 0,
          });
        }
        continue;
      }
      const why = [
        queued ? `${round(m.pendingRequests ?? 0, 1)} pending requests (> ${t.max_pending_requests})` : null,
        slow ? `p95 latency ${Math.round(m.p95LatencyMs ?? 0)} ms (> ${t.max_p95_latency_ms} ms)` : null,
      ]
        .filter(Boolean)
        .join(" and ");
      const figures = {
        pending_requests: m.pendingRequests,
        p95_latency_ms: m.p95LatencyMs === null ? null : Math.round(m.p95LatencyMs),
        replicas: o.targetReplica,
        ratio: round(ctx.ratio, 4),
      };
      const settings = ctx.settingsOf(o.id);
      const target = o.targetReplica + 1;
      const extra = o.priceMicroPerHour ?? 0;
      const after = ctx.forecast
        ? forecastEndOfDay(
            ctx.spendMicro,
            ctx.forecast.burnMicroPerHour + extra,
            ctx.budgetMicro,
            ctx.now,
            ctx.now + ctx.forecast.hoursLeft * 3_600_000,
          )
        : null;
      const held =
        ctx.ratio >= t.max_budget_ratio
          ? `today's spend is ${Math.round(ctx.ratio * 100)}% of the budget (scale-up only under ${Math.round(t.max_budget_ratio * 100)}%)`
          : ctx.level > 0
            ? "the budget ladder is active today"
            : after && after.ratio >= 1
              ? `with one more replica (${formatUsd(extra)}/h) the day would end at ${Math.round(after.ratio * 100)}% of the budget (scale-up only while the forecast stays under 100%)`
              : o.priceMicroPerHour === null
                ? "its price is unknown, so the cost of another replica cannot be forecast"
                : settings.expected_max_replicas !== null && target > settings.expected_max_replicas
                  ? `it already runs its expected maximum of ${settings.expected_max_replicas} replicas`
                  : null;
      if (held) {
        out.alerts.push(
          alertOf(
            ctx,
            "scale_up_held",
            "warning",
            o.id,
            `Scale-up of ${o.id} held back: ${why}`,
            `${o.id} needs capacity (${why}) but the guardrail did not add a replica: ${held}. Callers wait or fail; ` +
              "decide by hand whether the traffic is worth the money (or raise the budget for today).",
            { ...figures, held_by: held.split(":")[0] ?? held },
          ),
        );
        continue;
      }
      const actx = { policy: ctx.policy, settings, config: ctx.configOf(o), ratio: ctx.ratio, detail: why };
      const key = `${ctx.day}:scale_up:${o.id}:${target}`;
      // A cooldown between steps: the replica added last may be the answer once it serves.
      const last = ctx.lastScaleUpAt?.get(o.id);
      const cooling = last !== undefined && ctx.now - last < t.cooldown_minutes * 60_000;
      if (scaleUp.needed(o, actx) && !ctx.doneKeys.has(key) && !cooling) {
        out.actions.push({
          kind: "scale_up",
          endpoint: o.id,
          key,
          level: 0,
          change: scaleUp.change(o, actx),
          before: actx.config,
          after: scaleUp.after(o, actx),
          reason: scaleUp.reason(o, actx),
          hourlyMicro: extra,
        });
      }
      out.alerts.push(
        alertOf(
          ctx,
          "scale_up",
          "info",
          o.id,
          `Scaling up ${o.id}: ${why}`,
          `${o.id} is queueing (${why}); the guardrail adds one replica at a time (${formatUsd(extra)}/h each) while spend ` +
            `stays under budget, and puts the old bounds back at the next budget day. If this persists, raise its maxReplica.`,
          { ...figures, target_replicas: target },
        ),
      );
    }
    return out;
  },
};
