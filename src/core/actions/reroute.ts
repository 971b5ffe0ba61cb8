// reroute (second rung): send non-critical overflow traffic to the endpoint's cheaper fallback.
// The routing mode is stored; the inference gateway reads it.
import type { ActionKind } from "./kind.ts";

export const reroute: ActionKind = {
  name: "reroute",
  level: 2,
  verb: "reroute overflow",
  needed(_o, { settings, config }) {
    return !settings.critical && settings.fallback !== null && config.route === "primary";
  },
  change(_o, { settings }) {
    return { type: "route", mode: "overflow", fallback: settings.fallback };
  },
  after(_o, { config, settings }) {
    return { ...config, route: "overflow", fallback: settings.fallback };
  },
  reason(_o, { policy, ratio, settings }) {
    return (
      `spend is ${(ratio * 100).toFixed(0)}% of the daily budget (>= ${(policy.thresholds.reroute * 100).toFixed(0)}%): ` +
      `overflow traffic goes to the fallback ${settings.fallback}`
    );
  },
};
