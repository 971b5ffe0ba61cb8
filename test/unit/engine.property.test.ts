// Invariants of the whole engine over random fleets, spend and traffic: restore puts every endpoint
// back; the blast radius holds; nothing protected is paused or scaled down; no scale-up at or over budget.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configOf, plan, type RouteState } from "../../src/core/index.ts";
import { type DoneAction, planRestores } from "../../src/core/restore.ts";
import type { Change, EndpointConfig, Observation, PlannedAction } from "../../src/core/types.ts";
import { type PolicyInput, settingsFor } from "../../src/policy/index.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";
import { history, metrics, T0 } from "../fixtures/engine.ts";

const BUDGET = 100_000_000;

const arbEndpoint = (i: number) =>
  fc.record({
    state: fc.constantFrom("running" as const, "scaledToZero" as const, "initializing" as const),
    replicas: fc.integer({ min: 0, max: 8 }),
    minReplica: fc.integer({ min: 0, max: 3 }),
    extra: fc.integer({ min: 0, max: 6 }),
    timeout: fc.option(fc.integer({ min: 5, max: 60 }), { nil: null }),
    price: fc.integer({ min: 10_000, max: 10_000_000 }),
    critical: fc.boolean(),
    fallback: fc.boolean(),
    expectedMax: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null }),
    pending: fc.integer({ min: 0, max: 40 }),
    name: fc.constant(`e${i}`),
  });

type Spec = ReturnType<typeof arbEndpoint> extends fc.Arbitrary<infer T> ? T : never;
const arbFleet = (max: number) =>
  fc.integer({ min: 1, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbEndpoint(i))));

const observationOf = (s: Spec): Observation =>
  endpoint({
    name: s.name,
    state: s.state,
    replicas: s.state === "scaledToZero" ? 0 : Math.max(s.replicas, 1),
    minReplica: s.minReplica,
    maxReplica: s.minReplica + s.extra + 1,
    scaleToZeroTimeout: s.timeout,
    priceMicroPerHour: s.price,
  });

function policyOf(fleet: readonly Spec[], over: Partial<PolicyInput> = {}) {
  return policy({
    endpoints: Object.fromEntries(
      fleet.map((s) => [
        `acme/${s.name}`,
        { critical: s.critical, fallback: s.fallback ? `acme/${s.name}-cpu` : null, expected_max_replicas: s.expectedMax },
      ]),
    ),
    triggers: { runaway_scaling: { cap: true } },
    ...over,
  });
}

const histories = (fleet: readonly Spec[]) => ({
  endpoints: new Map(fleet.map((s) => [`acme/${s.name}`, history({ metrics: metrics({ pendingRequests: s.pending }) })])),
});

/** What HF (and the route store) do to a configuration when the executor carries out `change`. */
function applyChange(c: EndpointConfig, change: Change): EndpointConfig {
  switch (change.type) {
    case "hf_update": {
      const s = change.body.compute?.scaling ?? {};
      return {
        ...c,
        minReplica: s.minReplica ?? c.minReplica,
        maxReplica: s.maxReplica ?? c.maxReplica,
        scaleToZeroTimeout: s.scaleToZeroTimeout ?? c.scaleToZeroTimeout,
      };
    }
    case "hf_pause":
      return { ...c, state: "paused" };
    case "hf_resume":
      return { ...c, state: "running" };
    case "route":
      return { ...c, route: change.mode, fallback: change.fallback };
    case "sequence":
      return change.steps.reduce(applyChange, c);
  }
}

/** The observation after the configuration changed (what the next tick would list). */
const observe = (o: Observation, c: EndpointConfig): Observation => {
  const paused = c.state === "paused";
  const replicas = paused ? 0 : Math.min(Math.max(o.targetReplica, c.minReplica), c.maxReplica);
  return {
    ...o,
    state: paused ? "paused" : o.state,
    minReplica: c.minReplica,
    maxReplica: c.maxReplica,
    scaleToZeroTimeout: c.scaleToZeroTimeout,
    readyReplica: replicas,
    targetReplica: replicas,
  };
};

describe("engine invariants", () => {
  it("restore returns every endpoint to its before-state", () => {
    fc.assert(
      fc.property(arbFleet(6), fc.array(fc.double({ min: 0, max: 3, noNaN: true }), { minLength: 1, maxLength: 4 }), (fleet, ratios) => {
        const pol = policyOf(fleet, { blast_radius: { max_changes_per_tick: 100 } });
        let obs = fleet.map(observationOf);
        const routes = new Map<string, RouteState>();
        const original = new Map(obs.map((o) => [o.id, configOf(o, undefined)]));
        const done: DoneAction[] = [];
        const doneKeys = new Set<string>();
        let spend = 0;
        for (const r of ratios) {
          spend = Math.max(spend, Math.round(r * BUDGET));
          const p = plan(
            planInput({ policy: pol, observations: obs, spendMicro: spend, routes, doneKeys, now: T0, history: histories(fleet) }),
          );
          for (const a of p.actions) {
            const current = configOf(obs.find((o) => o.id === a.endpoint) as Observation, routes.get(a.endpoint));
            const after = applyChange(current, a.change);
            done.push({ key: a.key, day: "2026-11-24", kind: a.kind, endpoint: a.endpoint, change: a.change, before: a.before, after });
            doneKeys.add(a.key);
            routes.set(a.endpoint, { mode: after.route, fallback: after.fallback });
            obs = obs.map((o) => (o.id === a.endpoint ? observe(o, after) : o));
          }
        }
        const r = planRestores({
          policy: pol,
          day: "2026-11-25",
          candidates: done,
          observations: obs,
          configOf: (o) => configOf(o, routes.get(o.id)),
          settingsOf: (id) => settingsFor(pol, id),
          failedNamespaces: [],
        });
        expect(r.alerts.filter((a) => a.kind === "restore_skipped")).toEqual([]);
        for (const o of obs) {
          const a = r.actions.find((x) => x.endpoint === o.id);
          const now = configOf(o, routes.get(o.id));
          const restored = a ? applyChange(now, a.change) : now;
          const before = original.get(o.id) as EndpointConfig;
          expect({ ...restored, state: restored.state === "paused" }).toMatchObject({
            minReplica: before.minReplica,
            maxReplica: before.maxReplica,
            route: before.route,
            fallback: before.fallback,
            state: before.state === "paused",
            // HF cannot unset a scale-to-zero timeout; a null one stays at what the guardrail set.
            ...(before.scaleToZeroTimeout === null ? {} : { scaleToZeroTimeout: before.scaleToZeroTimeout }),
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never exceeds the blast radius, and keeps the most expensive actions", () => {
    fc.assert(
      fc.property(arbFleet(12), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 4, noNaN: true }), (fleet, max, ratio) => {
        const pol = policyOf(fleet, { blast_radius: { max_changes_per_tick: max } });
        const p = plan(
          planInput({
            policy: pol,
            observations: fleet.map(observationOf),
            spendMicro: Math.round(ratio * BUDGET),
            now: T0,
            history: histories(fleet),
          }),
        );
        expect(p.actions.length).toBeLessThanOrEqual(max);
        const cheapestKept = Math.min(...p.actions.map((a) => a.hourlyMicro));
        for (const d of p.deferred ?? []) expect(d.hourlyMicro).toBeLessThanOrEqual(cheapestKept);
      }),
    );
  });

  it("never puts a protected endpoint in a pause, scale-down or cap action, even blind with fail_safe", () => {
    fc.assert(
      fc.property(arbFleet(8), fc.double({ min: 0, max: 4, noNaN: true }), fc.boolean(), (fleet, ratio, blind) => {
        const pol = policyOf(fleet, { blind: { on_blind: "fail_safe", after_ticks: 3 } });
        const obs = fleet.map(observationOf);
        const p = plan(
          planInput({
            policy: pol,
            observations: blind ? [] : obs,
            stale: blind ? obs : [],
            blind: blind ? { streak: 5, since: T0, failedNamespaces: ["acme"] } : undefined,
            previousLevel: blind ? 1 : 0,
            spendMicro: Math.round(ratio * BUDGET),
            now: T0,
            history: histories(fleet),
          }),
        );
        const critical = new Set(fleet.filter((s) => s.critical).map((s) => `acme/${s.name}`));
        const harmful = (a: PlannedAction) => a.kind === "pause" || a.kind === "scale_down" || a.kind === "cap_replicas";
        expect(p.actions.filter((a) => harmful(a) && critical.has(a.endpoint))).toEqual([]);
      }),
    );
  });

  it("never scales up at or over the budget", () => {
    fc.assert(
      fc.property(arbFleet(8), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 3 }), (fleet, ratio, prev) => {
        const pol = policyOf(fleet);
        const spendMicro = Math.round(ratio * BUDGET);
        const p = plan(
          planInput({
            policy: pol,
            observations: fleet.map(observationOf),
            spendMicro,
            previousLevel: prev as 0,
            now: T0,
            history: histories(fleet),
          }),
        );
        const ups = p.actions.filter((a) => a.kind === "scale_up");
        if (spendMicro >= BUDGET || prev > 0) expect(ups).toEqual([]);
        if (ups.length > 0) expect(p.ratio).toBeLessThan(1);
      }),
    );
  });
});
