// scale_up (asked for by the queue/latency trigger): one more replica now. minReplica goes to the
// current target + 1 (and maxReplica with it when needed), so HF starts the replica at once
// whatever its autoscaler thinks; the next budget day's restore puts the old bounds back.
import { formatUsd } from "../money.ts";
import type { ActionKind } from "./kind.ts";

const AWAKE = new Set(["running", "initializing", "updating"]);

export const scaleUp: ActionKind = {
  name: "scale_up",
  level: 0,
  verb: "add a replica",
  needed(o, { config }) {
    // Wait while a previous scale-up is still starting: its replica may be the answer.
    return AWAKE.has(o.state) && config.state !== "paused" && o.readyReplica >= o.targetReplica;
  },
  change(o, ctx) {
    const a = this.after(o, ctx);
    return { type: "hf_update", body: { compute: { scaling: { minReplica: a.minReplica, maxReplica: a.maxReplica } } } };
  },
  after(o, { config }) {
    const target = o.targetReplica + 1;
    return { ...config, minReplica: Math.max(config.minReplica, target), maxReplica: Math.max(config.maxReplica, target) };
  },
  reason(o, { config, detail }) {
    const target = o.targetReplica + 1;
    const price = o.priceMicroPerHour === null ? "unknown price" : `+${formatUsd(o.priceMicroPerHour)}/h`;
    return (
      `${detail ?? "requests are queueing"}: replicas ${o.targetReplica} -> ${target} ` +
      `(minReplica ${config.minReplica} -> ${Math.max(config.minReplica, target)}, ${price}); put back at the next budget day`
    );
  },
};

// scale_up_release: once the queue and latency are back under their limits, the minReplica a
// scale-up pinned goes back to what it was before today's first scale-up (maxReplica stays, so HF's
// autoscaler may still use the room); the next budget day's restore puts maxReplica back too.
export const scaleUpRelease: ActionKind = {
  name: "scale_up_release",
  level: 0,
  verb: "release the scale-up floor",
  needed(_o, { config, floor }) {
    return floor !== undefined && config.state !== "paused" && config.minReplica > floor;
  },
  change(o, ctx) {
    return { type: "hf_update", body: { compute: { scaling: { minReplica: this.after(o, ctx).minReplica } } } };
  },
  after(_o, { config, floor }) {
    return { ...config, minReplica: Math.min(config.minReplica, floor ?? config.minReplica) };
  },
  reason(_o, { config, floor, detail }) {
    return `${detail ?? "the queue and latency are back under their limits"}: minReplica ${config.minReplica} -> ${floor}, as before today's scale-up`;
  },
};
