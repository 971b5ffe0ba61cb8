// An action's result and its timeline events in one statement (src/store/actions.ts finishAction,
// migration 0017): the events land with the result or not at all, come back with their ids, an alert
// already recorded is not recorded (nor returned) again, and nothing of them stays on the journal row.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PlannedAction } from "../../src/core/index.ts";
import { claimAction, finishAction, listEvents, type NewEvent, recordEvents } from "../../src/store/index.ts";

const DAY = "2026-09-02";
const T0 = Date.UTC(2026, 8, 2, 12);
const config = { state: "running", minReplica: 1, maxReplica: 4, scaleToZeroTimeout: null, route: "primary" as const, fallback: null };

function pause(endpoint: string): PlannedAction {
  return {
    kind: "pause",
    endpoint,
    key: `${DAY}:pause:${endpoint}`,
    level: 3,
    change: { type: "hf_pause" },
    before: config,
    after: { ...config, state: "paused" },
    reason: "test",
    hourlyMicro: 0,
  };
}

const event = (endpoint: string, over: Partial<NewEvent> = {}): NewEvent => ({
  at: T0,
  type: "action",
  kind: "pause",
  severity: null,
  endpoint,
  title: `Paused ${endpoint}`,
  message: "test",
  data: { key: `${DAY}:pause:${endpoint}`, nested: { a: [1, 2] } },
  dedupKey: null,
  ...over,
});

describe("an action's result and its events", () => {
  it("land together in one statement, with the events' ids, and only the new ones", async () => {
    const a = pause("journal-ns/one");
    expect(await claimAction(env.DB, a, DAY, "enforce", T0, 0)).toBe(1);
    const alert = event(a.endpoint, { type: "alert", kind: "action_failed", severity: "critical", dedupKey: `${DAY}:journal-test` });
    // The alert is in the timeline already: recorded once, so not returned with the result.
    const [earlier] = await recordEvents(env.DB, [alert]);
    const done = await finishAction(env.DB, { key: a.key, event: "succeed", after: a.after, error: null }, T0, [event(a.endpoint), alert]);
    expect(done.changed).toBe(true);
    expect(done.events.map((e) => [e.type, e.title, e.data])).toEqual([["action", "Paused journal-ns/one", event(a.endpoint).data]]);
    const listed = await listEvents(env.DB, { endpoint: a.endpoint, limit: 10 });
    expect(listed.map((e) => e.id).sort((x, y) => x - y)).toEqual([earlier?.id, done.events[0]?.id]);
    const row = await env.DB.prepare("SELECT status, result_events FROM actions WHERE key = ?1").bind(a.key).first();
    expect(row).toEqual({ status: "applied", result_events: null });
  });

  it("records no event for a result the journal refuses (a late answer)", async () => {
    const a = pause("journal-ns/two");
    expect(await claimAction(env.DB, a, DAY, "enforce", T0, 0)).toBe(1);
    expect((await finishAction(env.DB, { key: a.key, event: "fail", after: null, error: "x" }, T0, [event(a.endpoint)])).changed).toBe(
      true,
    );
    const late = await finishAction(env.DB, { key: a.key, event: "succeed", after: a.after, error: null }, T0 + 1, [
      event(a.endpoint, { title: "late" }),
    ]);
    expect(late).toEqual({ changed: false, events: [] });
    expect((await listEvents(env.DB, { endpoint: a.endpoint, limit: 10 })).map((e) => e.title)).toEqual(["Paused journal-ns/two"]);
  });

  it("moves the row with no events when there are none", async () => {
    const a = pause("journal-ns/three");
    expect(await claimAction(env.DB, a, DAY, "enforce", T0, 0)).toBe(1);
    expect(await finishAction(env.DB, { key: a.key, event: "record_dry_run", after: a.after, error: null }, T0)).toEqual({
      changed: true,
      events: [],
    });
    expect(await listEvents(env.DB, { endpoint: a.endpoint, limit: 10 })).toEqual([]);
  });
});
