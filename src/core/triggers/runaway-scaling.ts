// runaway_scaling: more replicas than the endpoint's expected_max_replicas. With
// `triggers.runaway_scaling.cap` the guardrail also caps maxReplica there (never on critical endpoints).
import { capReplicas } from "../actions/cap-replicas.ts";
import { actionKey } from "../keys.ts";
import { hourlyBurn as burnOf } from "../metering.ts";
import { formatUsd, microToUsd } from "../money.ts";
import type { PlannedAction } from "../types.ts";
import { alertOf, NONE, type Trigger, type TriggerResult } from "./kind.ts";

export const runawayScaling: Trigger = {
  name: "runaway_scaling",
  evaluate(ctx) {
    const t = ctx.policy.triggers.runaway_scaling;
    if (!t.enabled) return NONE;
    const out: TriggerResult = { alerts: [], actions: [] };
    for (const o of ctx.observations) {
      const settings = ctx.settingsOf(o.id);
      const expected = settings.expected_max_replicas;
      if (expected === null || !(o.targetReplica > expected)) continue;
      const config = ctx.configOf(o);
      const actx = { policy: ctx.policy, settings, config, ratio: ctx.ratio };
      const key = actionKey(ctx.day, capReplicas.name, o.id);
      const capping = t.cap && capReplicas.needed(o, actx) && !ctx.doneKeys.has(key);
      if (capping) {
        const action: PlannedAction = {
          kind: "cap_replicas",
          endpoint: o.id,
          key,
          level: 0,
          change: capReplicas.change(o, actx),
          before: config,
          after: capReplicas.after(o, actx),
          reason: capReplicas.reason(o, actx),
          hourlyMicro: burnOf(o),
        };
        out.actions.push(action);
      }
      const then = capping
        ? `The guardrail caps maxReplica at ${expected}.`
        : settings.critical && t.cap
          ? "It is critical, so the guardrail does not cap it: check its autoscaling by hand."
          : `Check its autoscaling (maxReplica is ${o.maxReplica}); policy triggers.runaway_scaling.cap lets the guardrail cap it.`;
      out.alerts.push(
        alertOf(
          ctx,
          "runaway_scaling",
          "warning",
          o.id,
          `Runaway scaling on ${o.id}: ${o.targetReplica} replicas, expected at most ${expected}`,
          `${o.id} runs ${o.targetReplica} replicas (${formatUsd(burnOf(o))}/h), above its expected maximum of ${expected}. ${then}`,
          { replicas: o.targetReplica, expected_max: expected, max_replica: o.maxReplica, burn_usd_per_hour: microToUsd(burnOf(o)) },
        ),
      );
    }
    return out;
  },
};
