// Invariants of metering and the ladder over random fleets and spend paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { meter, plan, type RouteState } from "../../src/core/index.ts";
import type { Level, Observation } from "../../src/core/types.ts";
import { ENDPOINT_STATES } from "../../src/providers/types.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";

const arbEndpoint = (i: number) =>
  fc
    .record({
      state: fc.constantFrom(...ENDPOINT_STATES),
      replicas: fc.integer({ min: 0, max: 8 }),
      minReplica: fc.integer({ min: 0, max: 2 }),
      maxReplica: fc.integer({ min: 1, max: 10 }),
      price: fc.option(fc.integer({ min: 10_000, max: 10_000_000 }), { nil: null }),
      critical: fc.boolean(),
      fallback: fc.boolean(),
    })
    .map((r) => ({
      ...r,
      o: endpoint({
        name: `e${i}`,
        state: r.state,
        replicas: r.replicas,
        minReplica: r.minReplica,
        maxReplica: r.maxReplica,
        priceMicroPerHour: r.price,
      }),
    }));

const arbFleet = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbEndpoint(i))));

function policyFor(fleet: ReadonlyArray<{ o: Observation; critical: boolean; fallback: boolean }>) {
  return policy({
    endpoints: Object.fromEntries(fleet.map((f) => [f.o.id, { critical: f.critical, fallback: f.fallback ? `${f.o.id}-cheap` : null }])),
  });
}

describe("ladder invariants", () => {
  it("never puts a critical endpoint in a pause or cap action", () => {
    fc.assert(
      fc.property(arbFleet, fc.double({ min: 0, max: 5, noNaN: true }), (fleet, ratio) => {
        const p = plan(planInput({ policy: policyFor(fleet), observations: fleet.map((f) => f.o), spendMicro: Math.round(ratio * 100e6) }));
        const critical = new Set(fleet.filter((f) => f.critical).map((f) => f.o.id));
        expect(p.actions.filter((a) => critical.has(a.endpoint))).toEqual([]);
      }),
    );
  });

  it("never repeats an action across repeated ticks of the same day", () => {
    fc.assert(
      fc.property(arbFleet, fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { minLength: 1, maxLength: 12 }), (fleet, ratios) => {
        const pol = policyFor(fleet);
        const done = new Set<string>();
        const routes = new Map<string, RouteState>();
        let previousLevel: Level = 0;
        // Dry run: the world never changes, so only the ledger of done keys can prevent repeats.
        for (const ratio of ratios) {
          const p = plan(
            planInput({
              policy: pol,
              observations: fleet.map((f) => f.o),
              spendMicro: Math.round(ratio * 100e6),
              previousLevel,
              doneKeys: done,
              routes,
            }),
          );
          for (const a of p.actions) {
            expect(done.has(a.key)).toBe(false);
            done.add(a.key);
          }
          previousLevel = p.level;
        }
      }),
    );
  });

  it("never lowers the level within a day", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { minLength: 1, maxLength: 20 }), (ratios) => {
        let previousLevel: Level = 0;
        for (const ratio of ratios) {
          const p = plan(planInput({ spendMicro: Math.round(ratio * 100e6), previousLevel }));
          expect(p.level).toBeGreaterThanOrEqual(previousLevel);
          previousLevel = p.level;
        }
      }),
    );
  });

  it("never decreases spend within a day", () => {
    const T0 = Date.UTC(2026, 10, 24, 0, 0);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.integer({ min: 0, max: 180_000 }),
            replicas: fc.integer({ min: 0, max: 10 }),
            price: fc.option(fc.integer({ min: 0, max: 40_000_000 }), { nil: null }),
          }),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (steps) => {
          let at = T0;
          let prev: { at: number; billableReplicas: number; priceMicroPerHour: number | null } | undefined;
          let total = 0;
          for (const s of steps) {
            at += s.gap;
            const o = endpoint({ replicas: s.replicas, priceMicroPerHour: s.price });
            const acc = meter(prev, o, at, "UTC");
            for (const a of acc) expect(a.micro).toBeGreaterThanOrEqual(0);
            const next = total + acc.reduce((x, a) => x + a.micro, 0);
            expect(next).toBeGreaterThanOrEqual(total);
            total = next;
            prev = { at, billableReplicas: s.replicas, priceMicroPerHour: s.price };
          }
        },
      ),
    );
  });
});
