// Restore at the next budget day: what is put back, and when a person's change wins.
import { describe, expect, it } from "vitest";
import { configOf } from "../../src/core/index.ts";
import { type DoneAction, planRestores } from "../../src/core/restore.ts";
import type { EndpointConfig, Observation, RouteMode } from "../../src/core/types.ts";
import { settingsFor } from "../../src/policy/index.ts";
import { endpoint, policy } from "../fixtures/builders.ts";

const pol = policy();
const original: EndpointConfig = {
  state: "running",
  minReplica: 2,
  maxReplica: 6,
  scaleToZeroTimeout: null,
  route: "primary",
  fallback: null,
};
const capped: EndpointConfig = { ...original, minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 };
const cap: DoneAction = {
  key: "2026-11-23:scale_down:acme/llm",
  day: "2026-11-23",
  kind: "scale_down",
  endpoint: "acme/llm",
  change: { type: "hf_update", body: { compute: { scaling: { minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 } } } },
  before: original,
  after: capped,
};
const reroute: DoneAction = {
  key: "2026-11-23:reroute:acme/llm",
  day: "2026-11-23",
  kind: "reroute",
  endpoint: "acme/llm",
  change: { type: "route", mode: "overflow", fallback: "acme/cpu" },
  // Planned in the same tick as the cap, so its before/after still show the old scaling.
  before: original,
  after: { ...original, route: "overflow", fallback: "acme/cpu" },
};
const pause: DoneAction = {
  key: "2026-11-23:pause:acme/llm",
  day: "2026-11-23",
  kind: "pause",
  endpoint: "acme/llm",
  change: { type: "hf_pause" },
  before: { ...capped, route: "overflow", fallback: "acme/cpu" },
  after: { ...capped, state: "paused", route: "overflow", fallback: "acme/cpu" },
};

function restoreFor(
  candidates: DoneAction[],
  o: Observation,
  route: { mode: RouteMode; fallback: string | null } = { mode: "overflow", fallback: "acme/cpu" },
  failed: string[] = [],
) {
  return planRestores({
    policy: pol,
    day: "2026-11-24",
    candidates,
    observations: [o],
    configOf: (x) => configOf(x, route),
    settingsOf: (id) => settingsFor(pol, id),
    failedNamespaces: failed,
  });
}

const asLeft = endpoint({ state: "paused", replicas: 0, minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 });

describe("restore at the next budget day", () => {
  it("puts back scaling, then resumes, then routes to the primary, in one action with one reason", () => {
    const r = restoreFor([cap, reroute, pause], asLeft);
    expect(r.actions).toHaveLength(1);
    const [a] = r.actions;
    expect(a?.key).toBe("2026-11-24:restore:acme/llm");
    expect(a?.change).toEqual({
      type: "sequence",
      steps: [
        { type: "hf_update", body: { compute: { scaling: { minReplica: 2, maxReplica: 6 } } } },
        { type: "hf_resume" },
        { type: "route", mode: "primary", fallback: null },
      ],
    });
    expect(a?.reason).toContain("2026-11-23");
    expect(r.alerts.map((x) => x.kind)).toEqual(["restore"]);
  });

  it("says in dry run that the restore is only recorded, not that the configuration comes back", () => {
    const dry = policy({ mode: "dry_run" });
    const r = planRestores({
      policy: dry,
      day: "2026-11-24",
      candidates: [cap],
      observations: [endpoint({ minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 })],
      configOf: (x) => configOf(x, undefined),
      settingsOf: (id) => settingsFor(dry, id),
      failedNamespaces: [],
    });
    const [alert] = r.alerts;
    expect(alert?.title).toBe("Would restore acme/llm after the budget day ended (dry run)");
    expect(alert?.message).toMatch(/comes back once you enforce again \(dry run: recorded, nothing changed\)\.$/);
  });

  it("needs nothing for a part a person already put back, and puts back the others", () => {
    const resumedByHand = endpoint({
      state: "running",
      replicas: 3,
      minReplica: 0,
      maxReplica: 1,
      scaleToZeroTimeout: 15,
      updatedBy: "alice",
    });
    const r = restoreFor([cap, reroute, pause], resumedByHand);
    expect(r.actions.map((a) => a.change)).toEqual([
      {
        type: "sequence",
        steps: [
          { type: "hf_update", body: { compute: { scaling: { minReplica: 2, maxReplica: 6 } } } },
          { type: "route", mode: "primary", fallback: null },
        ],
      },
    ]);
    expect(r.alerts.map((x) => [x.kind, x.severity])).toEqual([["restore", "info"]]);
    expect(r.settled).toEqual([{ keys: [pause.key], status: "restored" }]);
    expect(r.settles).toEqual({ "2026-11-24:restore:acme/llm": [cap.key, reroute.key] });
  });

  it("records a restore event, naming who, when a person already put everything back as it was before", () => {
    const backByHand = endpoint({ state: "running", replicas: 3, minReplica: 2, maxReplica: 6, updatedBy: "alice" });
    const r = restoreFor([cap], backByHand, { mode: "primary", fallback: null });
    expect(r.actions).toEqual([]);
    expect(r.settled).toEqual([{ keys: [cap.key], status: "restored" }]);
    expect(r.alerts).toEqual([
      expect.objectContaining({
        kind: "restore",
        severity: "info",
        endpoint: "acme/llm",
        dedupKey: "2026-11-24:restore:acme/llm",
        title: "Nothing to restore on acme/llm: it is already back as before the guardrail's change",
        figures: {
          since: "2026-11-23",
          actions: 1,
          already_back: "scaling",
          left: "replicas 0-1, scale to zero after 15 min",
          now: "replicas 2-6",
        },
      }),
    ]);
    expect(r.alerts[0]?.message).toBe(
      'The guardrail changed acme/llm on 2026-11-23: "replicas 0-1, scale to zero after 15 min", as the guardrail had left it, is now "replicas 2-6" again, as before its change (last updated by alice). Nothing is put back; its changes count as restored.',
    );
  });

  it("says who is not known when HF does not name the person who put it back", () => {
    const unnamed = endpoint({ state: "running", replicas: 3, minReplica: 2, maxReplica: 6, updatedBy: null });
    const r = restoreFor([cap], unnamed, { mode: "primary", fallback: null });
    expect(r.alerts.map((a) => a.kind)).toEqual(["restore"]);
    expect(r.alerts[0]?.message).toContain("HF does not say who put it back");
    const own = restoreFor(
      [{ ...cap, appliedBy: "guardrail-bot" }],
      { ...unnamed, updatedBy: "guardrail-bot" },
      { mode: "primary", fallback: null },
    );
    expect(own.alerts[0]?.message).toContain("who changed it is not known");
  });

  it("does not overwrite a person's change to a part: it alerts restore_skipped and settles it as left by a person", () => {
    const changedByHand = endpoint({ state: "running", replicas: 3, minReplica: 3, maxReplica: 3, updatedBy: "alice" });
    const r = restoreFor([cap, reroute], changedByHand);
    expect(r.alerts.map((x) => [x.kind, x.severity])).toEqual([
      ["restore_skipped", "warning"],
      ["restore", "info"],
    ]);
    expect(r.alerts[0]?.message).toContain("alice");
    expect(r.actions.map((a) => a.change)).toEqual([{ type: "route", mode: "primary", fallback: null }]);
    expect(r.settled).toEqual([{ keys: [cap.key], status: "left_by_person" }]);
  });

  it("never restores what a schedule set after the guardrail: that part is the schedule's", () => {
    const evening: DoneAction = {
      key: "schedule:evening:2026-11-23T23:00:00.000Z",
      day: "2026-11-23",
      kind: "schedule_scale",
      endpoint: "acme/llm",
      change: { type: "hf_update", body: { compute: { scaling: { minReplica: 0, maxReplica: 1 } } } },
      before: capped,
      after: { ...capped, minReplica: 0, maxReplica: 1 },
    };
    const r = restoreFor([cap, evening], endpoint({ replicas: 0, minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 }));
    expect(r.actions).toEqual([]);
    expect(r.settled).toEqual([{ keys: [cap.key], status: "superseded" }]);
  });

  it("touches only what the guardrail changed (a reroute alone comes back as a route change)", () => {
    const r = restoreFor([reroute], endpoint({ minReplica: 2, maxReplica: 6, replicas: 5 }));
    expect(r.actions[0]?.change).toEqual({ type: "route", mode: "primary", fallback: null });
  });

  it("waits for an endpoint whose namespace could not be listed, and settles one that is gone", () => {
    const other = endpoint({ name: "other" });
    expect(restoreFor([cap], other, undefined, ["acme"])).toEqual({ actions: [], alerts: [], settled: [], settles: {} });
    const gone = restoreFor([cap], other);
    expect(gone.settled).toEqual([{ keys: [cap.key], status: "superseded" }]);
    expect(gone.alerts[0]?.title).toContain("no longer exists");
  });
});
