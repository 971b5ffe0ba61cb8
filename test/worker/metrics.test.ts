// GET /metrics inside workerd: Prometheus text exposition whose figures agree with /v1/status and
// with what the ticks did.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createNotifier } from "../../src/notify/index.ts";
import { addGatewayCounters } from "../../src/store/index.ts";
import { FLEET, guardrail, HOUR, MIN } from "../fixtures/http.ts";
import { slackHook } from "../fixtures/notify-admin.ts";

const LINE =
  /^(?:# (?:HELP|TYPE) [a-z_:][a-z0-9_:]* .+|[a-z_:][a-z0-9_:]*(?:\{(?:[a-z_][a-z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (?:[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|NaN|[+-]Inf))$/;

/** Samples by `name{labels}`; also checks every line's syntax and that each family is declared before use. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.trimEnd().split("\n")) {
    expect(line).toMatch(LINE);
    const type = /^# TYPE (\S+) (gauge|counter|histogram)$/.exec(line);
    if (type?.[1]) typed.add(type[1]);
    if (line.startsWith("#")) continue;
    const [series = "", value = ""] = line.split(/ (?=\S+$)/);
    const family = series.replace(/\{.*$/, "");
    expect(typed.has(family) || typed.has(family.replace(/_(bucket|sum|count)$/, ""))).toBe(true);
    samples.set(series, value === "+Inf" ? Number.POSITIVE_INFINITY : Number(value));
  }
  return samples;
}

describe("GET /metrics", () => {
  it("exposes spend, budget, ratio, level, the fleet, actions, alerts, ticks, failures and overrides", async () => {
    const g = guardrail("metrics");
    await g.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 5, 1, 0, 0);
    const before = parse(await (await g.read("/metrics", T0)).text());
    expect(before.get("guardrail_seconds_since_last_good_observation")).toBe(Number.POSITIVE_INFINITY);
    expect(before.get("guardrail_policy_valid")).toBe(1);

    await g.tick(T0);
    await g.tick(T0 + HOUR);
    await g.admin.faults({ method: "GET", path: "/v2/endpoint/metrics", status: 503, times: 20 });
    await g.tick(T0 + HOUR + MIN); // blind: a failed tick
    await g.post({ op: "raise_budget", budget_usd: 40, duration: "2h", reason: "launch", actor: "m" }, T0 + HOUR + 2 * MIN);
    const series = { minute: T0, service: "chat", target: "primary", endpoint: "metrics/big" };
    await addGatewayCounters(env.DB, [
      { ...series, name: "requests", value: 7 },
      { ...series, name: "latency_le_ms:50", value: 7 },
    ]);

    const at = T0 + HOUR + 3 * MIN;
    const res = await g.read("/metrics", at);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const m = parse(await res.text());
    const status = (await (await g.read("/v1/status", at)).json()) as { budget: { spend_usd: number; level: number } };

    expect(m.get("guardrail_spend_usd")).toBeCloseTo(status.budget.spend_usd, 6);
    expect(m.get("guardrail_budget_usd")).toBe(40);
    expect(m.get("guardrail_budget_ratio")).toBeCloseTo(status.budget.spend_usd / 40, 5);
    expect(m.get("guardrail_level")).toBe(3);
    expect(m.get("guardrail_dry_run")).toBe(0);
    expect(m.get('guardrail_endpoint_replicas{endpoint="metrics/vip",state="running"}')).toBe(2);
    // As HF answered the pause (the blind tick after it saw nothing).
    expect(m.get('guardrail_endpoint_replicas{endpoint="metrics/big",state="paused"}')).toBe(0);
    expect(m.has('guardrail_endpoint_replicas{endpoint="metrics/big",state="running"}')).toBe(false);
    expect(m.get('guardrail_endpoint_price_usd_per_hour{endpoint="metrics/big"}')).toBe(2.5);
    expect(m.get('guardrail_endpoint_spend_usd{endpoint="metrics/big"}')).toBeCloseTo(10, 1);
    expect(m.get('guardrail_actions_total{kind="pause",result="applied"}')).toBe(2);
    // summarizer's reroute waits for a later tick: one change per endpoint per tick, and its pause came first.
    expect(m.get('guardrail_actions_total{kind="reroute",result="applied"}')).toBeUndefined();
    // No cap either: cpu, the summarize service's fallback, is spared by the 120 % cap (issue 14), and
    // big and summarizer get their pause (the highest rung) instead.
    expect(m.get('guardrail_actions_total{kind="scale_down",result="applied"}')).toBeUndefined();
    expect(m.get('guardrail_alerts_total{kind="budget_level",severity="critical"}')).toBe(2);
    expect(m.get('guardrail_alerts_total{kind="budget_level",severity="warning"}')).toBe(1);
    expect(m.get('guardrail_ticks_total{outcome="blind"}')).toBe(1);
    expect(m.get('guardrail_ticks_total{outcome="ok"}')).toBe(2);
    expect(m.get("guardrail_tick_failures_total")).toBe(1);
    expect(m.get("guardrail_last_tick_duration_seconds")).toBeGreaterThanOrEqual(0);
    expect(m.get("guardrail_last_tick_timestamp_seconds")).toBe((T0 + HOUR + MIN) / 1000);
    expect(m.get("guardrail_seconds_since_last_good_observation")).toBe(180); // the blind tick observed nothing
    expect(m.get('guardrail_overrides_active{op="raise_budget"}')).toBe(1);
    expect(m.get('guardrail_overrides_active{op="suspend"}')).toBe(0);
    expect(m.get("guardrail_approvals_pending")).toBe(0);
    // The inference gateway's families come after the guardrail's.
    expect(m.get('guardrail_gateway_requests_total{service="chat",target="primary",endpoint="metrics/big"}')).toBe(7);
    expect(m.get('guardrail_gateway_upstream_latency_seconds_count{service="chat",target="primary",endpoint="metrics/big"}')).toBe(7);
  });

  it("counts alert deliveries by channel, kind and result (sent, failed, held, pending) as the outbox has them", async () => {
    const g = guardrail("metrics-alerts", "alerts: { slack: { rate_limit_per_hour: 2 } }");
    const hook = slackHook(inject("slackBase"), "metrics-alerts");
    const notifier = createNotifier({ secrets: { SLACK_WEBHOOK_URL: hook.url } });
    await g.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 5, 2, 0, 0);
    await g.tick(T0, notifier);
    // Slack refuses the first message as malformed (given up at once) and is down for the second (retried later).
    await hook.faults({ status: 400, body: "invalid_blocks" }, { status: 500 });
    await g.tick(T0 + HOUR, notifier);

    // What the outbox holds, counted the slow way.
    const truth = async () => {
      const { results } = await env.DB.prepare(
        `SELECT d.channel, n.kind, d.status, COUNT(*) AS n FROM deliveries d JOIN notices n ON n.key = d.notice_key
         GROUP BY d.channel, n.kind, d.status`,
      ).all<{ channel: string; kind: string; status: string; n: number }>();
      return new Map(
        results.map((r) => [`guardrail_alert_deliveries_total{channel="${r.channel}",kind="${r.kind}",result="${r.status}"}`, r.n]),
      );
    };
    const exposed = async (at: number) =>
      new Map([...parse(await (await g.read("/metrics", at)).text())].filter(([s]) => s.startsWith("guardrail_alert_deliveries_total{")));

    const first = await exposed(T0 + HOUR + MIN);
    expect(first).toEqual(await truth());
    expect(new Set([...first.keys()].map((k) => /result="(\w+)"/.exec(k)?.[1]))).toEqual(new Set(["sent", "failed", "held", "pending"]));
    expect(first.get('guardrail_alert_deliveries_total{channel="slack",kind="rate_limited",result="sent"}')).toBeGreaterThanOrEqual(1);
    // The retry goes out on a later tick: pending goes down, sent up, the totals still match.
    await g.tick(T0 + HOUR + 5 * MIN, notifier);
    const later = await exposed(T0 + HOUR + 6 * MIN);
    expect(later).toEqual(await truth());
    const sent = (x: Map<string, number>) => [...x].filter(([k]) => k.includes('result="sent"')).reduce((a, [, v]) => a + v, 0);
    expect(sent(later)).toBeGreaterThan(sent(first));
  });
});
