// The pure parts of alerting: which conditions cleared, how a notice renders for Slack and SNS, backoff,
// redaction and the policy's alerts section.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alert } from "../../src/core/types.ts";
import { blockKitProblem } from "../../src/fakes/index.ts";
import { type ConditionInput, trackConditions } from "../../src/notify/conditions.ts";
import {
  ACTION_IDS,
  backoffMs,
  emailText,
  isGuardrailAction,
  type NoticeBody,
  noticeFromEvent,
  redact,
  renderSlack,
  renderSns,
  routesFor,
  smsText,
  snoozeValue,
  snsSubject,
} from "../../src/notify/index.ts";
import { DEFAULT_ALERTS, parsePolicy, snsRegion } from "../../src/policy/index.ts";
import type { ConditionRow } from "../../src/store/index.ts";

const MIN = 60_000;

function spared(level: number, over: Partial<Alert> = {}): Alert {
  return {
    kind: "critical_endpoint_spared",
    severity: "warning",
    endpoint: "acme/vip",
    dedupKey: `2026-03-01:critical_endpoint_spared:acme/vip:${level}`,
    title: `Critical endpoint acme/vip left running (level ${level})`,
    message: "It burns $10/h.",
    figures: { level },
    ...over,
  };
}

/** Runs ticks through trackConditions, carrying the rows like the store would. */
function ticks(
  steps: Array<{
    alerts: Alert[];
    observed?: string[];
    complete?: boolean;
    newKeys?: string[];
    acked?: Alert[];
    acks?: Map<string, number>;
    ratio?: number;
    budgetRatios?: Map<string, number>;
  }>,
  recovery = true,
) {
  let rows: ConditionRow[] = [];
  const out = steps.map((s, i) => {
    const input: ConditionInput = {
      now: i * MIN,
      alerts: s.alerts,
      newDedupKeys: new Set(s.newKeys ?? []),
      observed: new Set(s.observed ?? ["acme/vip"]),
      complete: s.complete ?? true,
      recovery,
      ...(s.acked ? { acked: s.acked } : {}),
      ...(s.acks ? { acks: s.acks } : {}),
      ...(s.ratio !== undefined ? { spendRatio: s.ratio } : {}),
      ...(s.budgetRatios ? { budgetRatios: s.budgetRatios } : {}),
    };
    const res = trackConditions(rows, input);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const c of res.changed) byKey.set(c.key, c);
    rows = [...byKey.values()];
    return res;
  });
  return { out, rows: () => rows };
}

/** The fleet's budget_level alert at ladder level `l`. */
const budgetLevel = (l: number): Alert => ({
  ...spared(l),
  kind: "budget_level",
  endpoint: null,
  severity: l === 1 ? "warning" : "critical",
  dedupKey: `2026-03-01:budget_level:${l}`,
});

describe("alert conditions", () => {
  it("sends one recovery when a condition raised on the last tick is gone, and nothing more after", () => {
    const { out } = ticks([{ alerts: [spared(1)] }, { alerts: [spared(1)] }, { alerts: [] }, { alerts: [] }]);
    expect(out.map((o) => o.events.length)).toEqual([0, 0, 1, 0]);
    expect(out[2]?.events[0]).toMatchObject({
      type: "alert",
      kind: "critical_endpoint_spared",
      severity: "info",
      endpoint: "acme/vip",
      title: "Resolved: Critical endpoint acme/vip left running (level 1)",
      dedupKey: "2026-03-01:critical_endpoint_spared:acme/vip:1:resolved#1",
      data: { notice: "recovery", resolves: { severity: "warning" }, active_minutes: 2 },
    });
  });

  it("writes nothing while a condition simply holds", () => {
    const { out } = ticks([{ alerts: [spared(1)] }, { alerts: [spared(1)] }, { alerts: [spared(1)] }, { alerts: [spared(1)] }]);
    expect(out.map((o) => o.changed.length)).toEqual([1, 0, 0, 0]);
  });

  it("treats a higher level of the same condition as an escalation, not as a recovery", () => {
    const { out, rows } = ticks([{ alerts: [spared(1)] }, { alerts: [spared(1)] }, { alerts: [spared(2, { severity: "critical" })] }]);
    expect(out[2]?.events).toEqual([]);
    expect(rows()[0]).toMatchObject({ dedupKey: "2026-03-01:critical_endpoint_spared:acme/vip:2", severity: "critical", state: "active" });
  });

  it("never tracks events (an action failed, a restore ran) nor kinds the core does not know", () => {
    const failed: Alert = { ...spared(1), kind: "action_failed", dedupKey: "2026-03-01:action_failed:acme/vip" };
    const restored: Alert = { ...spared(1), kind: "restore", dedupKey: "2026-03-01:restore:acme/vip" };
    const unknown = { ...spared(1), kind: "brand_new_kind", dedupKey: "2026-03-01:brand_new_kind" } as unknown as Alert;
    const { out } = ticks([{ alerts: [failed, restored, unknown] }, { alerts: [failed, restored, unknown] }, { alerts: [] }]);
    expect(out.flatMap((o) => [...o.events, ...o.changed])).toEqual([]);
  });

  it("tracks every level of the budget ladder as one condition, recovered once when the new day resets it", () => {
    const level = budgetLevel;
    const { out } = ticks([{ alerts: [level(1)] }, { alerts: [level(1), level(2)] }, { alerts: [level(1), level(2)] }, { alerts: [] }]);
    expect(out.map((o) => o.events.map((e) => e.dedupKey))).toEqual([[], [], [], ["2026-03-01:budget_level:2:resolved#1"]]);
  });

  it("recovers the highest level reached, shutdown over reroute, though both are critical", () => {
    const level = (l: number): Alert => ({ ...budgetLevel(l), title: `Spend crossed level ${l}` });
    const all = [level(1), level(2), level(3)];
    const { out } = ticks([{ alerts: all }, { alerts: all }, { alerts: [] }]);
    expect(out[2]?.events.map((e) => [e.dedupKey, e.title])).toEqual([
      ["2026-03-01:budget_level:3:resolved#1", "Resolved: Spend crossed level 3"],
    ]);
  });

  it("tracks each named budget's conditions apart: one team's recovery while another team's alert holds", () => {
    const of = (budget: string, l: number): Alert => ({
      ...spared(l, { severity: "critical" }),
      kind: "budget_level",
      endpoint: null,
      dedupKey: `2026-03-01:budget_level:${l}:${budget}`,
      title: `Budget "${budget}": level ${l}`,
      figures: { level: l, budget },
    });
    const fleet: Alert = { ...of("x", 2), dedupKey: "2026-03-01:budget_level:2", title: "Fleet level 2", figures: { level: 2 } };
    const { out, rows } = ticks([
      { alerts: [fleet, of("search", 3), of("chat", 2)] },
      { alerts: [fleet, of("chat", 2)] },
      { alerts: [fleet] },
    ]);
    expect(
      rows()
        .map((r) => r.key)
        .sort(),
    ).toEqual(["budget_level:budget:chat", "budget_level:budget:search", "budget_level:fleet"]);
    expect(out.map((o) => o.events.map((e) => e.title))).toEqual([
      [],
      ['Resolved: Budget "search": level 3'],
      ['Resolved: Budget "chat": level 2'],
    ]);
  });

  it("says nothing about an endpoint the tick could not read, nor about the fleet when a read failed", () => {
    const fleetWide: Alert = { ...spared(1), kind: "hourly_burn", endpoint: null, dedupKey: "2026-03-01:hourly_burn" };
    const { out } = ticks([
      { alerts: [spared(1), fleetWide] },
      { alerts: [spared(1), fleetWide] },
      { alerts: [], observed: [], complete: false },
      { alerts: [], observed: ["acme/vip"], complete: false },
      { alerts: [], observed: ["acme/vip"], complete: true },
    ]);
    expect(out.map((o) => o.events.map((e) => e.kind))).toEqual([[], [], [], ["critical_endpoint_spared"], ["hourly_burn"]]);
  });

  it("announces a condition again when it returns after clearing, unless its alert is new anyway (a new day)", () => {
    const { out } = ticks([
      { alerts: [spared(1)], newKeys: [spared(1).dedupKey] },
      { alerts: [spared(1)] },
      { alerts: [] },
      { alerts: [spared(1)] },
      { alerts: [spared(1)] },
      { alerts: [] },
      {
        alerts: [spared(1, { dedupKey: "2026-03-02:critical_endpoint_spared:acme/vip:1" })],
        newKeys: ["2026-03-02:critical_endpoint_spared:acme/vip:1"],
      },
    ]);
    expect(out.map((o) => o.events.map((e) => e.dedupKey))).toEqual([
      [],
      [],
      ["2026-03-01:critical_endpoint_spared:acme/vip:1:resolved#1"],
      ["2026-03-01:critical_endpoint_spared:acme/vip:1#2"],
      [],
      ["2026-03-01:critical_endpoint_spared:acme/vip:1:resolved#2"],
      [],
    ]);
    expect(out[3]?.events[0]).toMatchObject({ title: "Critical endpoint acme/vip left running (level 1) (again)", severity: "warning" });
  });

  it("keeps an acked condition active without a recovery; it recovers once when it really clears", () => {
    const acks = new Map([["critical_endpoint_spared:acme/vip:1", 1 * MIN]]); // acked after the first tick
    const { out, rows } = ticks([
      { alerts: [spared(1)], newKeys: [spared(1).dedupKey] },
      { alerts: [], acked: [spared(1)], acks },
      { alerts: [], acked: [spared(1)], acks },
      { alerts: [], acks },
    ]);
    expect(out.map((o) => o.events.map((e) => e.dedupKey))).toEqual([
      [],
      [],
      [],
      ["2026-03-01:critical_endpoint_spared:acme/vip:1:resolved#1"],
    ]);
    expect(rows()[0]).toMatchObject({ state: "cleared", episode: 1 });
  });

  it("says nothing about an episode that began and ended under an ack", () => {
    const acks = new Map([["critical_endpoint_spared:acme/vip:1", 1 * MIN]]);
    const { out, rows } = ticks([
      { alerts: [spared(1)], newKeys: [spared(1).dedupKey] },
      { alerts: [], acks }, // cleared after the ack: the episode a person was told about ends
      { alerts: [], acked: [spared(1)], acks }, // back under the ack: no "again"
      { alerts: [], acked: [spared(1)], acks },
      { alerts: [], acks }, // gone again: nobody heard of this episode
    ]);
    expect(out.map((o) => o.events.map((e) => e.dedupKey))).toEqual([
      [],
      ["2026-03-01:critical_endpoint_spared:acme/vip:1:resolved#1"],
      [],
      [],
      [],
    ]);
    expect(rows()[0]).toMatchObject({ state: "cleared", episode: 2 });
  });

  it("sends no recovery for a forecast that came true: spend reached its threshold in this tick", () => {
    const forecastOf = (threshold: number): Alert => ({
      kind: "forecast",
      severity: threshold >= 2 ? "critical" : "warning",
      endpoint: null,
      dedupKey: `2026-03-01:forecast:${threshold}`,
      title: `Forecast: ${threshold * 100}% of the budget reached in about 1 h`,
      message: "At the current burn ...",
      figures: { threshold },
    });
    const level3: Alert = { ...spared(3), kind: "budget_level", endpoint: null, dedupKey: "2026-03-01:budget_level:3" };
    const crossed = ticks([
      { alerts: [forecastOf(2)], ratio: 1.9 },
      { alerts: [forecastOf(2)], ratio: 1.97 },
      { alerts: [level3], ratio: 2.04 },
    ]);
    expect(crossed.out.map((o) => o.events)).toEqual([[], [], []]);
    expect(crossed.rows().find((r) => r.kind === "forecast")?.state).toBe("cleared");
    // 100 % is no rung: nothing else is raised when spend reaches it, and still no "Resolved".
    const budget = ticks([
      { alerts: [forecastOf(1)], ratio: 0.95 },
      { alerts: [], ratio: 1.01 },
    ]);
    expect(budget.out[1]?.events).toEqual([]);
    // A forecast that recedes (the burn went down) is a real recovery.
    const receded = ticks([
      { alerts: [forecastOf(1.2)], ratio: 0.9 },
      { alerts: [], ratio: 0.92 },
    ]);
    expect(receded.out[1]?.events.map((e) => e.title)).toEqual(["Resolved: Forecast: 120% of the budget reached in about 1 h"]);
  });

  it("a named budget's forecast that came true sends no recovery either: its own ratio decides, not the fleet's", () => {
    const searchForecast: Alert = {
      kind: "forecast",
      severity: "warning",
      endpoint: null,
      dedupKey: "2026-03-01:forecast:1.2:search",
      title: 'Forecast: budget "search" reaches 120% in about 1 h',
      message: "At the current burn ...",
      figures: { budget: "search" },
    };
    // The fleet is at 50 %; search reached its 120 %.
    const cameTrue = ticks([
      { alerts: [searchForecast], ratio: 0.5, budgetRatios: new Map([["search", 1.1]]) },
      { alerts: [], ratio: 0.5, budgetRatios: new Map([["search", 1.21]]) },
    ]);
    expect(cameTrue.out[1]?.events).toEqual([]);
    // Search's burn went down before it got there: a real recovery, for search.
    const receded = ticks([
      { alerts: [searchForecast], ratio: 0.5, budgetRatios: new Map([["search", 1.1]]) },
      { alerts: [], ratio: 0.5, budgetRatios: new Map([["search", 1.12]]) },
    ]);
    expect(receded.out[1]?.events.map((e) => e.title)).toEqual(['Resolved: Forecast: budget "search" reaches 120% in about 1 h']);
  });

  it("records the clearing but sends no recovery when alerts.recovery is off", () => {
    const { out, rows } = ticks([{ alerts: [spared(1)] }, { alerts: [spared(1)] }, { alerts: [] }], false);
    expect(out[2]?.events).toEqual([]);
    expect(rows()[0]?.state).toBe("cleared");
  });
});

const arbText = fc.string({ unit: "grapheme", maxLength: 400 });
const arbBody: fc.Arbitrary<NoticeBody> = fc.record({
  source: fc.constant("budget-guardrail" as const),
  version: fc.constant(1 as const),
  notice: fc.constantFrom("alert" as const, "recovery" as const, "summary" as const),
  kind: fc.constantFrom("budget_level", "hourly_burn", "rate_limited", "critical_endpoint_spared", "approval_requested"),
  severity: fc.constantFrom("info" as const, "warning" as const, "critical" as const),
  endpoint: fc.option(fc.constantFrom("acme/llm", "acme/a-b-c", "org.with.dots/x"), { nil: null }),
  title: fc.string({ minLength: 1, maxLength: 300 }),
  message: fc.string({ maxLength: 5000 }),
  budget_day: fc.option(fc.constant("2026-03-01"), { nil: null }),
  at: fc.constant("2026-03-01T12:34:56.000Z"),
  event_id: fc.option(fc.nat(), { nil: null }),
  dedup_key: fc.option(arbText, { nil: null }),
  figures: fc.dictionary(
    fc.constantFrom(
      "spend_usd",
      "budget_usd",
      "ratio",
      "forecast_usd",
      "replicas",
      "level",
      "burn_usd_per_hour",
      "threshold",
      "note",
      "x_usd",
      "key",
      "action",
    ),
    fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => v + 0),
      fc.string({ maxLength: 3000 }),
      fc.constant(null),
    ),
  ),
  actions: fc.array(
    fc.record({
      kind: fc.string(),
      endpoint: fc.option(fc.string(), { nil: null }),
      status: fc.constantFrom("done", "failed", "dry_run"),
      title: fc.string({ maxLength: 200 }),
    }),
    {
      maxLength: 30,
    },
  ),
  resolves: fc.constant(null),
  links: fc.constantFrom(
    { status: null, event: null },
    { status: "https://g.example.com/v1/status", event: "https://g.example.com/v1/events?before=3&limit=1" },
  ),
});

describe("rendering", () => {
  it("always produces a Slack message that Slack's Block Kit rules accept", () => {
    fc.assert(
      fc.property(arbBody, (b) => {
        const m = renderSlack(b, { controls: true });
        expect(blockKitProblem(m.blocks)).toBeNull();
        expect(m.text.length).toBeGreaterThan(0);
      }),
    );
  });

  it("the Block Kit check used by the local Slack server does reject broken messages", () => {
    expect(blockKitProblem([{ type: "header", text: { type: "plain_text", text: "x".repeat(151) } }])).toMatch(/150/);
    expect(blockKitProblem([{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "a" })) }])).toMatch(/10/);
    expect(blockKitProblem([{ type: "banner" }])).toMatch(/unknown block type/);
    const press = (value: string) => ({ type: "button", text: { type: "plain_text", text: "x" }, action_id: "a", value });
    expect(blockKitProblem([{ type: "actions", elements: [press("v".repeat(2001))] }])).toMatch(/2000/);
    const twice = { type: "actions", block_id: "same", elements: [press("v")] };
    expect(blockKitProblem([twice, twice])).toMatch(/duplicate block_id/);
  });

  it("puts the control buttons on alerts (not recoveries or summaries) when asked, with values the interaction handler reads", () => {
    fc.assert(
      fc.property(arbBody, (b) => {
        const controls = renderSlack(b, { controls: true }).blocks.flatMap((block) =>
          block.type === "actions" ? block.elements.filter((e) => "value" in e && isGuardrailAction(e.action_id)) : [],
        );
        if (b.notice !== "alert") {
          expect(controls).toEqual([]);
          return;
        }
        expect(renderSlack(b).blocks.some((block) => block.type === "actions" && block.block_id !== "guardrail_links")).toBe(false);
        const snooze = controls.find((e) => e.action_id === ACTION_IDS.snooze);
        if (!snooze || !("value" in snooze)) throw new Error("no Snooze button");
        const target = snoozeValue.parse(JSON.parse(snooze.value));
        expect(target.endpoint).toBe(b.endpoint);
        expect([b.dedup_key, null]).toContain(target.dedup_key);
        const restore = controls.find((e) => e.action_id === ACTION_IDS.restore);
        if (b.kind !== "approval_requested" || typeof b.figures.key !== "string" || !b.endpoint)
          expect(restore && "value" in restore ? restore.value : null).toBe(b.endpoint);
      }),
    );
  });

  it("always produces an SNS subject SNS accepts and a JSON message with a string default", () => {
    fc.assert(
      fc.property(arbBody, (b) => {
        const input = renderSns(b, "arn:aws:sns:eu-west-1:123456789012:alerts", "event:1");
        const subject = input.Subject ?? "";
        expect([...subject].length).toBeLessThan(100);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the property under test
        expect(subject).not.toMatch(/[\u0000-\u001f\u007f]/);
        const structured = JSON.parse(input.Message ?? "") as Record<string, unknown>;
        expect(JSON.parse(structured.default as string)).toEqual(b);
        expect(smsText(b).length).toBeLessThanOrEqual(140);
        expect(Object.values(input.MessageAttributes ?? {}).every((a) => (a.StringValue ?? "").length > 0)).toBe(true);
      }),
    );
  });

  it("escapes Slack's control characters in text that came from outside", () => {
    const b = fc.sample(arbBody, 1)[0] as NoticeBody;
    const m = renderSlack({ ...b, notice: "alert", message: "a <!channel> & <https://evil|click>", figures: {}, actions: [] });
    expect(JSON.stringify(m.blocks[1])).toContain("a &lt;!channel&gt; &amp; &lt;https://evil|click&gt;");
  });

  it("gives a named budget's recovery its `budget` SNS attribute, so a filter policy on it gets the recovery too", () => {
    const alert: Alert = {
      kind: "budget_level",
      severity: "critical",
      endpoint: null,
      dedupKey: "2026-03-01:budget_level:3:search",
      title: 'Budget "search": level 3',
      message: "m",
      figures: { level: 3, budget: "search" },
    };
    const { out } = ticks([{ alerts: [alert] }, { alerts: [] }]);
    const [event] = out[1]?.events ?? [];
    if (!event) throw new Error("no recovery");
    const input = renderSns(noticeFromEvent({ ...event, id: 7 }, [], null), "arn:aws:sns:eu-west-1:123456789012:alerts", "event:7");
    expect(input.MessageAttributes?.budget).toEqual({ DataType: "String", StringValue: "search" });
  });

  it("labels a month budget's forecast as month-to-date spend and a forecast to the month's end", () => {
    const b = fc.sample(arbBody, 1)[0] as NoticeBody;
    const text = emailText({
      ...b,
      notice: "alert",
      kind: "forecast",
      figures: { budget: "search", period: "2026-12", forecast_usd: 1440, forecast_ratio: 24, threshold: 2, spend_usd: 6.53 },
    });
    expect(text).toContain("Spend this month: $6.53");
    expect(text).toContain("Forecast (end of month): $1,440.00");
    expect(text).not.toContain("end of day");
  });

  it("labels the SNS subject and SMS by what the notice is", () => {
    const b = fc.sample(arbBody, 1)[0] as NoticeBody;
    expect(snsSubject({ ...b, notice: "recovery", title: "Resolved: x" })).toBe("[RESOLVED] Resolved: x");
    expect(snsSubject({ ...b, notice: "alert", severity: "critical", title: "Over\nbudget" })).toBe("[CRITICAL] Over budget");
  });
});

describe("delivery rules", () => {
  it("backs off exponentially from alerts.retry.backoff_seconds up to the maximum", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, DEFAULT_ALERTS) / 1000)).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600]);
  });

  it("routes by severity per channel, and only to channels that can send", () => {
    const policy = { ...DEFAULT_ALERTS, sns: { ...DEFAULT_ALERTS.sns, topic_arn: "arn:aws:sns:us-east-1:123456789012:t" } };
    const send = { send: async () => ({ ok: true as const, id: null }) };
    expect(routesFor("info", policy, { slack: send, sns: send })).toEqual(["slack"]);
    expect(routesFor("critical", policy, { slack: send, sns: send })).toEqual(["slack", "sns"]);
    expect(routesFor("critical", policy, { sns: send })).toEqual(["sns"]);
    expect(routesFor("critical", DEFAULT_ALERTS, { sns: send })).toEqual([]);
  });

  it("redacts secret values and anything shaped like a token or a Slack webhook", () => {
    const text =
      "a hf_abcdefghijklmnopqrstuvwxyz0123 b https://hooks.slack.com/services/T1/B2/xyz c AKIAABCDEFGHIJKLMNOP d my-own-secret e";
    expect(redact(text, ["my-own-secret"])).toBe("a [redacted] b [redacted] c [redacted] d [redacted] e");
  });
});

describe("policy: alerts", () => {
  const base = "budget: { daily_usd: 50 }\nhf: { namespaces: [acme] }\n";

  it("defaults to Slack for every severity, SNS off, 20 per hour, 8 attempts", () => {
    const res = parsePolicy(base);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.alerts).toEqual(DEFAULT_ALERTS);
    expect(DEFAULT_ALERTS).toMatchObject({
      slack: { severities: ["info", "warning", "critical"], rate_limit_per_hour: 20 },
      sns: { topic_arn: null, region: null, severities: ["warning", "critical"] },
      retry: { max_attempts: 8 },
    });
  });

  it("takes the SNS region from the topic ARN, and refuses a region that is not the topic's", () => {
    const ok = parsePolicy(`${base}alerts: { sns: { topic_arn: "arn:aws:sns:eu-west-1:123456789012:guardrail" } }\n`);
    expect(ok.ok && snsRegion(ok.policy.alerts)).toBe("eu-west-1");
    const bad = parsePolicy(`${base}alerts: { sns: { topic_arn: "arn:aws:sns:eu-west-1:123456789012:guardrail", region: us-east-1 } }\n`);
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual(["alerts.sns.region"]);
  });

  it("names the path of a bad topic ARN, severity or URL", () => {
    const res = parsePolicy(`${base}alerts: { public_url: "ftp://x", sns: { topic_arn: "my-topic" }, slack: { severities: [loud] } }\n`);
    expect(res.ok ? [] : res.issues.map((i) => i.path).sort()).toEqual([
      "alerts.public_url",
      "alerts.slack.severities[0]",
      "alerts.sns.topic_arn",
    ]);
  });
});
