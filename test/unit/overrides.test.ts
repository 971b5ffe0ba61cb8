// Overrides applied to planning, forced actions and approval gating: pure, table-driven.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApprovalRecord,
  actionKey,
  alertCondition,
  type DoneAction,
  gateActions,
  type Override,
  parseDuration,
  plan,
  planForced,
  raisedBudgetUsd,
} from "../../src/core/index.ts";
import type { EndpointConfig, PlannedAction } from "../../src/core/types.ts";
import { endpoint, planInput, policy } from "../fixtures/builders.ts";

const BUDGET = 100_000_000; // $100
const at = (ratio: number) => Math.round(BUDGET * ratio);
const DAY = "2026-11-24";
const T = Date.UTC(2026, 10, 24, 12);

function override(o: Partial<Override> & Pick<Override, "op">): Override {
  const base = {
    id: "ovr_test",
    endpoint: null,
    reason: "because",
    actor: "alice",
    source: "webhook" as const,
    day: DAY,
    createdAt: T,
    until: T + 3_600_000,
  };
  return { ...base, ...o } as Override;
}

describe("durations", () => {
  it.each([
    ["30m", 30 * 60_000],
    ["2h", 2 * 3_600_000],
    ["1h30m", 90 * 60_000],
    ["1d", 86_400_000],
    ["45s", 45_000],
    [" 2h ", 2 * 3_600_000],
  ])("reads %s", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "0m", "2", "h", "2 h", "-1h", "1.5h", "2hours", "1m2h", "P1D"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe("suspend", () => {
  const observations = [endpoint({ name: "llm" }), endpoint({ name: "other" })];

  it("holds automatic actions off the suspended endpoint and keeps its alerts", () => {
    const suspended = override({ op: "suspend", endpoint: "acme/llm" });
    const p = plan(planInput({ spendMicro: at(2.1), observations, overrides: [suspended] }));
    expect(p.actions.some((a) => a.endpoint === "acme/llm")).toBe(false);
    expect(p.actions.some((a) => a.endpoint === "acme/other")).toBe(true);
    expect(p.alerts.map((a) => a.kind)).toContain("budget_level");
  });

  it("holds every endpoint with *", () => {
    const p = plan(planInput({ spendMicro: at(2.1), observations, overrides: [override({ op: "suspend", endpoint: "*" })] }));
    expect(p.actions).toEqual([]);
    expect(p.level).toBe(3);
    expect(p.alerts.filter((a) => a.kind === "budget_level")).toHaveLength(3);
  });

  it("also follows a force override (the guardrail does not fight a person's decision)", () => {
    const forced = override({ op: "force", endpoint: "acme/llm", action: "restore" });
    const p = plan(planInput({ spendMicro: at(2.1), observations, overrides: [forced] }));
    expect(p.actions.map((a) => a.endpoint)).not.toContain("acme/llm");
  });
});

describe("raise_budget", () => {
  it("plans against the raised budget for its own day only", () => {
    const raise = override({ op: "raise_budget", budgetUsd: 300, percent: null });
    const raised = plan(planInput({ spendMicro: at(2.1), overrides: [raise] }));
    expect(raised.budgetMicro).toBe(300_000_000);
    expect(raised.level).toBe(0);
    expect(raised.actions).toEqual([]);
    const tomorrow = plan(planInput({ day: "2026-11-25", spendMicro: at(2.1), overrides: [raise] }));
    expect(tomorrow.level).toBe(3);
  });

  it("restarts the ladder under the raise, with crossings tied to the raise", () => {
    const raise = override({ op: "raise_budget", budgetUsd: 150, percent: 50 });
    const p = plan(planInput({ spendMicro: at(1.9), previousLevel: 2, overrides: [raise] }));
    expect(p.level).toBe(1); // 190 / 150 = 1.27
    const alerts = p.alerts.filter((a) => a.kind === "budget_level");
    expect(alerts.map((a) => a.dedupKey)).toEqual([`${DAY}:budget_level:1:raise:ovr_test`]);
    expect(alerts[0]?.message).toContain("raised to $150.00 for today by alice");
  });

  it("uses the newest raise of the day", () => {
    const older = override({ id: "a", op: "raise_budget", budgetUsd: 500, percent: null, createdAt: T - 1000 });
    const newer = override({ id: "b", op: "raise_budget", budgetUsd: 120, percent: null });
    expect(plan(planInput({ spendMicro: at(1), overrides: [newer, older] })).budgetMicro).toBe(120_000_000);
  });

  it("turns a percent into a budget", () => {
    expect(raisedBudgetUsd(policy().budget.daily_usd, 50)).toBe(150);
    expect(raisedBudgetUsd(policy().budget.daily_usd, 12.345)).toBe(112.35);
  });
});

describe("ack", () => {
  it("silences one alert condition, whatever the day in its dedup key", () => {
    const p0 = plan(planInput({ spendMicro: at(1.3) }));
    const key = p0.alerts.find((a) => a.kind === "budget_level")?.dedupKey ?? "";
    expect(alertCondition(key)).toBe("budget_level:1");
    const ack = override({ op: "ack", condition: alertCondition(key) });
    expect(plan(planInput({ spendMicro: at(1.3), overrides: [ack] })).alerts.map((a) => a.kind)).not.toContain("budget_level");
    const nextDay = plan(planInput({ day: "2026-11-25", spendMicro: at(1.3), overrides: [ack] }));
    expect(nextDay.alerts.map((a) => a.kind)).not.toContain("budget_level");
    expect(nextDay.actions.length).toBeGreaterThan(0); // acting goes on
  });

  it("keeps the silenced alert in the plan's acked list: its condition still holds", () => {
    const ack = override({ op: "ack", condition: "budget_level:1" });
    const p = plan(planInput({ spendMicro: at(1.3), overrides: [ack] }));
    expect(p.acked?.map((a) => a.dedupKey)).toEqual([`${DAY}:budget_level:1`]);
    expect(plan(planInput({ spendMicro: at(1.3) })).acked).toBeUndefined();
  });

  it("silences a budget alert under a raise, acked with or without the raise's suffix", () => {
    const raise = override({ id: "ovr_r", op: "raise_budget", budgetUsd: 105, percent: null });
    for (const condition of ["budget_level:1", "budget_level:1:raise:ovr_r"]) {
      const p = plan(planInput({ spendMicro: at(1.3), overrides: [raise, override({ op: "ack", condition })] }));
      expect(p.alerts.map((a) => a.kind)).not.toContain("budget_level");
      expect(p.acked?.map((a) => a.dedupKey)).toContain(`${DAY}:budget_level:1:raise:ovr_r`);
    }
  });

  it("leaves other conditions alone", () => {
    const ack = override({ op: "ack", condition: "budget_level:2" });
    expect(plan(planInput({ spendMicro: at(1.3), overrides: [ack] })).alerts.map((a) => a.kind)).toContain("budget_level");
  });

  it("never adds an action or an alert, for any mix of overrides", () => {
    const ops = fc.oneof(
      fc.record({ op: fc.constant("suspend" as const), endpoint: fc.constantFrom("*", "acme/a", "acme/b", "acme/c") }),
      fc.record({
        op: fc.constant("ack" as const),
        condition: fc.constantFrom("budget_level:1", "budget_level:3", "unpriced_endpoint:acme/b"),
      }),
      fc.record({
        op: fc.constant("force" as const),
        endpoint: fc.constantFrom("acme/a", "acme/c"),
        action: fc.constant("pause" as const),
      }),
    );
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 5 }), fc.double({ min: 0, max: 3, noNaN: true }), (list, ratio) => {
        const observations = ["a", "b", "c"].map((name) => endpoint({ name, priceMicroPerHour: name === "b" ? null : 2_000_000 }));
        const input = planInput({ spendMicro: at(ratio), observations });
        const without = plan(input);
        const withOverrides = plan({ ...input, overrides: list.map((o, i) => override({ id: `o${i}`, ...o }) as Override) });
        expect(withOverrides.actions.every((a) => without.actions.some((b) => b.key === a.key))).toBe(true);
        expect(withOverrides.alerts.every((a) => without.alerts.some((b) => b.dedupKey === a.dedupKey))).toBe(true);
      }),
    );
  });
});

const config = (over: Partial<EndpointConfig> = {}): EndpointConfig => ({
  state: "running",
  minReplica: 1,
  maxReplica: 4,
  scaleToZeroTimeout: null,
  route: "primary",
  fallback: null,
  ...over,
});

describe("forced actions", () => {
  const force = (over: Partial<Parameters<typeof planForced>[0]> = {}) =>
    planForced({
      action: "pause",
      observation: endpoint(),
      route: undefined,
      policy: policy({
        endpoints: { "acme/llm": { critical: true } },
        services: { chat: { primary: { target: "acme/llm" }, fallback: { target: "acme/llm-cpu" }, callers: ["K"] } },
      }),
      day: DAY,
      overrideId: "ovr_1",
      why: "forced by alice: runaway",
      unrestored: [],
      ...over,
    });

  it("pauses even a critical endpoint when a person says so, with its own key", () => {
    const p = force();
    expect(p.ok && p.action).toMatchObject({
      kind: "pause",
      key: `${DAY}:pause:acme/llm:ovr_1`,
      change: { type: "hf_pause" },
      reason: "forced by alice: runaway",
    });
  });

  it("caps and reroutes with the ladder's own changes", () => {
    const cap = force({ action: "scale_down" });
    expect(cap.ok && cap.action.change).toEqual({
      type: "hf_update",
      body: { compute: { scaling: { minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 } } },
    });
    const reroute = force({ action: "reroute" });
    expect(reroute.ok && reroute.action.change).toEqual({ type: "route", mode: "overflow", fallback: "acme/llm-cpu" });
  });

  it("refuses what cannot be done, saying why", () => {
    expect(force({ observation: endpoint({ state: "paused", replicas: 0 }) })).toMatchObject({
      ok: false,
      message: expect.stringContaining("nothing to do"),
    });
    expect(force({ action: "reroute", policy: policy() })).toMatchObject({
      ok: false,
      message: expect.stringContaining("no gateway service"),
    });
    expect(force({ action: "restore" })).toMatchObject({ ok: false, message: expect.stringContaining("nothing to restore") });
  });

  const done = (key: string, change: DoneAction["change"], before: EndpointConfig, after: EndpointConfig): DoneAction => ({
    key,
    day: DAY,
    kind: key.split(":")[1] ?? "",
    endpoint: "acme/llm",
    change,
    before,
    after,
  });
  const capped = config({ minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 });
  const unrestored = [
    done(`${DAY}:scale_down:acme/llm`, { type: "hf_update", body: {} }, config({ minReplica: 2, maxReplica: 6 }), capped),
    done(`${DAY}:reroute:acme/llm`, { type: "route", mode: "overflow", fallback: "acme/llm-cpu" }, capped, {
      ...capped,
      route: "overflow",
      fallback: "acme/llm-cpu",
    }),
    done(
      `${DAY}:pause:acme/llm`,
      { type: "hf_pause" },
      { ...capped, route: "overflow", fallback: "acme/llm-cpu" },
      { ...capped, state: "paused", route: "overflow", fallback: "acme/llm-cpu" },
    ),
  ];

  it("restores the before-state of the guardrail's first change to each part, with the engine's restore", () => {
    const now = endpoint({ state: "paused", replicas: 0, minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15 });
    const p = force({ action: "restore", observation: now, route: { mode: "overflow", fallback: "acme/llm-cpu" }, unrestored });
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.action).toMatchObject({ kind: "restore", key: `${DAY}:restore:acme/llm:ovr_1`, reason: "forced by alice: runaway" });
    expect(p.action.change).toEqual({
      type: "sequence",
      steps: [
        { type: "hf_update", body: { compute: { scaling: { minReplica: 2, maxReplica: 6 } } } },
        { type: "hf_resume" },
        { type: "route", mode: "primary", fallback: null },
      ],
    });
    expect(p.action.after).toMatchObject({ state: "running", minReplica: 2, maxReplica: 6, route: "primary" });
    expect(p.settles).toEqual(unrestored.map((a) => a.key));
  });

  it("has nothing to do when the endpoint is back as it was", () => {
    const p = force({ action: "restore", observation: endpoint({ minReplica: 2, maxReplica: 6 }), unrestored });
    expect(p).toMatchObject({ ok: false, message: expect.stringContaining("nothing to do") });
  });
});

describe("approval gate", () => {
  const action = (kind: PlannedAction["kind"], level: 1 | 2 | 3): PlannedAction => ({
    kind,
    endpoint: "acme/llm",
    key: actionKey(DAY, kind, "acme/llm"),
    level,
    change: { type: "hf_pause" },
    before: config(),
    after: config({ state: "paused" }),
    reason: "spend is 210% of the daily budget",
    hourlyMicro: 2_000_000,
  });
  const rules = { scale_down: null, reroute: null, shutdown: { wait_minutes: 10, on_timeout: "hold" as const } };
  const pause = action("pause", 3);
  const cap = action("scale_down", 1);
  const record = (status: ApprovalRecord["status"], deadline = T + 600_000): Map<string, ApprovalRecord> =>
    new Map([[pause.key, { key: pause.key, status, deadline }]]);

  it("lets levels without a rule act at once and asks about the others", () => {
    const g = gateActions([pause, cap], rules, new Map(), T);
    expect(g.run).toEqual([cap]);
    expect(g.request).toEqual([{ action: pause, rule: rules.shutdown, deadline: T + 600_000 }]);
  });

  it.each([
    ["approved", T, true],
    ["rejected", T, false],
    ["pending", T + 599_999, false],
    ["expired_hold", T + 700_000, false],
    ["expired_run", T + 700_000, true],
  ] as const)("%s at %i: runs %s", (status, now, runs) => {
    const g = gateActions([pause], rules, record(status), now);
    expect(g.run.includes(pause)).toBe(runs);
    expect(g.request).toEqual([]);
  });

  it("decides a pending request on timeout as the policy says", () => {
    const hold = gateActions([pause], rules, record("pending"), T + 600_000);
    expect(hold.expired).toEqual([{ action: pause, rule: rules.shutdown, outcome: "expired_hold" }]);
    expect(hold.run).toEqual([]);
    const run = gateActions([pause], { ...rules, shutdown: { wait_minutes: 10, on_timeout: "run" } }, record("pending"), T + 600_000);
    expect(run.expired[0]?.outcome).toBe("expired_run");
    expect(run.run).toEqual([pause]);
  });
});
