// cap_replicas (runaway scaling, only when `triggers.runaway_scaling.cap` is on): maxReplica down to
// the endpoint's expected_max_replicas. Never on critical endpoints.
import type { ActionKind } from "./kind.ts";

export const capReplicas: ActionKind = {
  name: "cap_replicas",
  level: 0,
  verb: "cap at expected max",
  needed(o, { settings, config }) {
    const cap = settings.expected_max_replicas;
    return !settings.critical && cap !== null && cap >= 1 && o.state !== "paused" && config.maxReplica > cap;
  },
  change(o, ctx) {
    const a = this.after(o, ctx);
    return { type: "hf_update", body: { compute: { scaling: { minReplica: a.minReplica, maxReplica: a.maxReplica } } } };
  },
  after(_o, { settings, config }) {
    const cap = settings.expected_max_replicas ?? config.maxReplica;
    return { ...config, minReplica: Math.min(config.minReplica, cap), maxReplica: Math.min(config.maxReplica, cap) };
  },
  reason(o, { settings, config }) {
    return (
      `runaway scaling: ${o.targetReplica} replicas, expected at most ${settings.expected_max_replicas}: ` +
      `maxReplica ${config.maxReplica} -> ${settings.expected_max_replicas}`
    );
  },
};
