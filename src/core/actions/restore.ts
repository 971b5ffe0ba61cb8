// restore: put back, from the saved before-state, the parts of an endpoint's configuration the
// guardrail changed (scaling, paused or not, route). Planned by core/restore.ts at the next budget day.
import type { Change, EndpointConfig } from "../types.ts";
import type { ActionKind } from "./kind.ts";

export type ConfigPart = "scaling" | "state" | "route";

const paused = (c: EndpointConfig) => c.state === "paused";

/** The parts of a configuration that differ between `a` and `b`, among `parts`. */
export function differingParts(a: EndpointConfig, b: EndpointConfig, parts: readonly ConfigPart[]): ConfigPart[] {
  return parts.filter((p) =>
    p === "scaling"
      ? a.minReplica !== b.minReplica || a.maxReplica !== b.maxReplica || a.scaleToZeroTimeout !== b.scaleToZeroTimeout
      : p === "state"
        ? paused(a) !== paused(b)
        : a.route !== b.route || a.fallback !== b.fallback,
  );
}

/** The steps that take `from` to `to` on `parts`: scaling first, so a resumed endpoint starts with its own bounds. */
export function restoreSteps(from: EndpointConfig, to: EndpointConfig, parts: readonly ConfigPart[]): Change[] {
  const steps: Change[] = [];
  const diff = differingParts(from, to, parts);
  if (diff.includes("scaling")) {
    const scaling: { minReplica: number; maxReplica: number; scaleToZeroTimeout?: number } = {
      minReplica: to.minReplica,
      maxReplica: to.maxReplica,
    };
    if (to.scaleToZeroTimeout !== null) scaling.scaleToZeroTimeout = to.scaleToZeroTimeout;
    steps.push({ type: "hf_update", body: { compute: { scaling } } });
  }
  if (diff.includes("state")) steps.push(paused(to) ? { type: "hf_pause" } : { type: "hf_resume" });
  if (diff.includes("route")) steps.push({ type: "route", mode: to.route, fallback: to.fallback });
  return steps;
}

export const restore: ActionKind = {
  name: "restore",
  level: 0,
  verb: "restore",
  needed(_o, { config, restore }) {
    return restore !== undefined && restoreSteps(config, restore.to, restore.parts).length > 0;
  },
  change(_o, { config, restore }) {
    const steps = restore ? restoreSteps(config, restore.to, restore.parts) : [];
    return steps.length === 1 ? (steps[0] as Change) : { type: "sequence", steps };
  },
  after(_o, { config, restore }) {
    if (!restore) return config;
    const to = restore.to;
    let out = { ...config };
    for (const p of restore.parts) {
      if (p === "scaling") {
        out = {
          ...out,
          minReplica: to.minReplica,
          maxReplica: to.maxReplica,
          // HF cannot unset a timeout; with minReplica >= 1 it has no effect.
          scaleToZeroTimeout: to.scaleToZeroTimeout ?? out.scaleToZeroTimeout,
        };
      }
      if (p === "state" && paused(out) !== paused(to)) out = { ...out, state: paused(to) ? "paused" : "running" };
      if (p === "route") out = { ...out, route: to.route, fallback: to.fallback };
    }
    return out;
  },
  reason(_o, { config, restore }) {
    if (!restore) return "nothing to restore";
    const to = restore.to;
    const what = differingParts(config, to, restore.parts).map((p) =>
      p === "scaling"
        ? `replicas ${config.minReplica}-${config.maxReplica} -> ${to.minReplica}-${to.maxReplica}`
        : p === "state"
          ? paused(to)
            ? "pause again"
            : "resume"
          : `route ${config.route} -> ${to.route}`,
    );
    return `new budget day: putting back what the guardrail changed on ${restore.since} (${what.join(", ")})`;
  },
};
