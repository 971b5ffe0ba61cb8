// One change per endpoint per tick, chosen after approvals: the highest rung that may run wins, and
// a rung waiting for a person neither takes a place in the blast radius nor holds a lower one back.
import { describe, expect, it } from "vitest";
import { plan } from "../../src/core/index.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";

const at = (ratio: number) => Math.round(ratio * 100_000_000);
const summary = (p: ReturnType<typeof plan>) => p.actions.map((a) => `${a.kind} ${a.endpoint}`);

describe("one change per endpoint per tick", () => {
  it("pauses at 200 % without also rerouting or capping the same endpoint in that tick", () => {
    const pol = policy({ endpoints: { "acme/llm": { fallback: "acme/cpu" } } });
    const p = plan(planInput({ policy: pol, spendMicro: at(2.1), observations: [endpoint({ minReplica: 1, maxReplica: 4 })] }));
    expect(summary(p)).toEqual(["pause acme/llm"]);
  });

  it("caps an endpoint whose pause waits for approval, instead of doing nothing", () => {
    const pol = policy({ approvals: { shutdown: { wait_minutes: 15, on_timeout: "hold" } } });
    const p = plan(
      planInput({
        policy: pol,
        spendMicro: at(2.1),
        now: 0,
        approvals: new Map(),
        observations: [endpoint({ minReplica: 1, maxReplica: 4 })],
      }),
    );
    expect(summary(p)).toEqual(["scale_down acme/llm"]);
    expect(p.approval?.request.map((r) => r.action.kind)).toEqual(["pause"]);
  });

  it("keeps the blast radius for actions that need no approval", () => {
    const pol = policy({ approvals: { shutdown: { wait_minutes: 15, on_timeout: "hold" } }, blast_radius: { max_changes_per_tick: 1 } });
    const p = plan(
      planInput({
        policy: pol,
        spendMicro: at(2.1),
        now: 0,
        approvals: new Map(),
        observations: [
          endpoint({ name: "big", minReplica: 0, maxReplica: 1, replicas: 1 }),
          endpoint({ name: "small", accelerator: "cpu", priceMicroPerHour: 50_000 }),
        ],
      }),
    );
    expect(summary(p)).toEqual(["scale_down acme/small"]);
    expect(p.deferred ?? []).toEqual([]);
  });
});
