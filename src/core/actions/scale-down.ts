// scale_down (first rung): cap maxReplica and allow scale-to-zero on non-critical endpoints.
import { fallbackEndpoints } from "../../policy/index.ts";
import { formatUsd } from "../money.ts";
import type { ActionKind } from "./kind.ts";

export const scaleDown: ActionKind = {
  name: "scale_down",
  level: 1,
  verb: "cap replicas",
  needed(o, { policy, settings, config }) {
    // A service's fallback endpoint is the capacity the reroute rung sends overflow to: not capped.
    if (settings.critical || o.state === "paused" || fallbackEndpoints(policy.services).has(o.id)) return false;
    const cap = policy.actions.scale_down.max_replicas;
    return config.maxReplica > cap || config.minReplica > 0;
  },
  change(o, ctx) {
    const a = this.after(o, ctx);
    return {
      type: "hf_update",
      body: {
        compute: {
          scaling: { minReplica: a.minReplica, maxReplica: a.maxReplica, scaleToZeroTimeout: a.scaleToZeroTimeout ?? undefined },
        },
      },
    };
  },
  after(_o, { policy, config }) {
    const { max_replicas, scale_to_zero_timeout_minutes } = policy.actions.scale_down;
    return {
      ...config,
      // HF needs minReplica <= maxReplica in the same body; scale-to-zero needs minReplica 0.
      minReplica: 0,
      maxReplica: Math.min(config.maxReplica, max_replicas),
      scaleToZeroTimeout: scale_to_zero_timeout_minutes,
    };
  },
  reason(o, { policy, ratio, config }) {
    const cap = Math.min(config.maxReplica, policy.actions.scale_down.max_replicas);
    const price = o.priceMicroPerHour === null ? "unknown price" : `${formatUsd(o.priceMicroPerHour)}/h per replica`;
    return (
      `spend is ${(ratio * 100).toFixed(0)}% of the daily budget (>= ${(policy.thresholds.scale_down * 100).toFixed(0)}%): ` +
      `maxReplica ${config.maxReplica} -> ${cap}, minReplica ${config.minReplica} -> 0, scale to zero after ` +
      `${policy.actions.scale_down.scale_to_zero_timeout_minutes} idle minutes (${price})`
    );
  },
};
