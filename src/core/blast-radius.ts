// Blast radius: one change per endpoint per tick, and at most N changes per tick, most expensive
// first; the rest wait for the next tick (they are planned again then, since they were not carried
// out). Pure.
import type { PlannedAction } from "./types.ts";

/** Orders by hourly cost (then level, then name) and keeps the first `max`. */
export function applyBlastRadius(actions: readonly PlannedAction[], max: number): { kept: PlannedAction[]; deferred: PlannedAction[] } {
  const sorted = [...actions].sort(
    (a, b) => b.hourlyMicro - a.hourlyMicro || b.level - a.level || a.endpoint.localeCompare(b.endpoint) || a.kind.localeCompare(b.kind),
  );
  return { kept: sorted.slice(0, max), deferred: sorted.slice(max) };
}

/** One action per endpoint: the highest rung's (the first planned among equals); the others come on a later tick if still needed. */
export function onePerEndpoint(actions: readonly PlannedAction[]): PlannedAction[] {
  const best = new Map<string, PlannedAction>();
  for (const a of actions) {
    const b = best.get(a.endpoint);
    if (!b || a.level > b.level) best.set(a.endpoint, a);
  }
  return actions.filter((a) => best.get(a.endpoint) === a);
}
