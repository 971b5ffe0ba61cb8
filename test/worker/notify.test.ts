// Alerts end to end inside workerd: the guard tick with the real HF client against the emulator, the real
// outbox in the local D1, the Slack webhook and SNS Query API servers receiving what the real code sends.
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import { createOverride } from "../../src/control/index.ts";
import type { EndpointSpec, ReceivedSlackMessage } from "../../src/fakes/index.ts";
import { type PublishedMessage, TEST_AWS_CREDENTIALS } from "../../src/fakes/sns-server.ts";
import { createNotifier, type NoticeBody, type NotifyLogEntry } from "../../src/notify/index.ts";
import { runOutbox } from "../../src/notify/outbox.ts";
import { DEFAULT_ALERTS, type PolicyInput, type PolicyResult, validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { listEvents, loadChannelFaults, recordEvents } from "../../src/store/index.ts";
import { runTick } from "../../src/tick/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { slackHook, snsTopic } from "../fixtures/notify-admin.ts";

const hfBase = inject("hfBase");
const slackBase = inject("slackBase");
const snsBase = inject("snsBase");
const MIN = 60_000;
const PUBLIC_URL = "https://guardrail.example.com";

// $10 + $10 + $2 + $0.067 = $22.067/h against a $10 budget: 120 % after about 33 minutes.
const FLEET: EndpointSpec[] = [
  { name: "big", instanceType: "nvidia-a100", instanceSize: "x1", minReplica: 1, maxReplica: 6, replicas: 4 },
  { name: "vip", instanceType: "nvidia-h200", instanceSize: "x1", minReplica: 2, maxReplica: 2, replicas: 2 },
  { name: "summarizer", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 3, replicas: 2 },
  { name: "cpu", instanceType: "intel-spr", instanceSize: "x2", minReplica: 1, maxReplica: 1, replicas: 1 },
];

type AlertsInput = NonNullable<PolicyInput["alerts"]>;

function harness(id: string, alerts: AlertsInput = {}, over: Partial<PolicyInput> = {}) {
  const ns = `notify-${id}`;
  const hook = slackHook(slackBase, id);
  const topic = snsTopic(snsBase, `arn:aws:sns:us-east-1:123456789012:${id}`);
  const policy = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 10, timezone: "UTC" },
    hf: { namespaces: [ns] },
    endpoints: { [`${ns}/vip`]: { critical: true } },
    // Tests share the D1: a next-day restore would find the previous test's endpoints gone (restore_skipped).
    restore: "manual",
    alerts: { public_url: PUBLIC_URL, ...alerts, sns: { topic_arn: topic.arn, ...alerts.sns } },
    ...over,
  });
  if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
  const logs: NotifyLogEntry[] = [];
  const secrets = {
    SLACK_WEBHOOK_URL: hook.url,
    SLACK_SIGNING_SECRET: "the Slack app takes button presses",
    AWS_ACCESS_KEY_ID: TEST_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_AWS_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SNS: snsBase,
  };
  const notifier = createNotifier({ secrets, alsoSecret: ["hf_test_token"], log: (e) => logs.push(e) });
  const provider = new HfClient({ baseUrl: hfBase, token: "hf_test_token", sleep: async () => {} });
  const tick = (now: number, p: PolicyResult = policy) =>
    runTick({ db: env.DB, provider, policy: p, now, clock: () => now, holder: crypto.randomUUID(), log: () => {}, notifier });
  return { ns, hook, topic, tick, notifier, secrets, logs, provider, policy: policy.policy, admin: emulatorAdmin(hfBase, ns) };
}

const slackTitles = (messages: ReceivedSlackMessage[]) => messages.map((m) => m.payload.text);
const snsBody = (m: PublishedMessage): NoticeBody => JSON.parse((JSON.parse(m.message) as { default: string }).default) as NoticeBody;

/** Alert events recorded from `at` through that budget day (each test has its own day), oldest first. */
async function alertTitlesSince(at: number) {
  const events = await listEvents(env.DB, { type: "alert", limit: 500 });
  return events.filter((e) => e.at >= at && e.at < at + 86_400_000).reverse();
}

// Tests share this file's D1; the fleet and channels are per test, and so must be the outbox's memory of
// which conditions hold (else one test's fleet would "recover" in the next). Test-only cleanup. Each
// test has a budget day of its own (deleting the notices here does not make the outbox send earlier tests'
// alerts again: its sweep goes by event id, src/store/outbox.ts).
beforeEach(async () => {
  await env.DB.batch([
    env.DB.prepare("DELETE FROM alert_conditions"),
    env.DB.prepare("DELETE FROM deliveries"),
    env.DB.prepare("DELETE FROM notices"),
  ]);
});

// Ticks with the emulator take ~80 ms each inside workerd; scenarios of 30 ticks need more than 5 s.
describe("alerts through the outbox", { timeout: 30_000 }, () => {
  it("notifies each alert once per channel its severity routes to, however many ticks repeat it", async () => {
    const h = harness("dedup", { sns: { severities: ["critical"] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 2, 0, 0);
    for (let m = 0; m <= 62; m += 2) await h.tick(T0 + m * MIN);
    const alerts = await alertTitlesSince(T0);
    expect(alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(["budget_level", "critical_endpoint_spared"]));
    // Every recorded alert reached Slack exactly once (most severe first within a tick).
    const slack = await h.hook.messages();
    expect(slackTitles(slack).sort()).toEqual(alerts.map((a) => `[${a.severity?.toUpperCase()}] ${a.title}`).sort());
    // SNS took only the critical ones: here the budget level escalation to 150 %.
    const sns = await h.topic.messages();
    expect(sns.map((m) => snsBody(m).dedup_key).sort()).toEqual(
      alerts
        .filter((a) => a.severity === "critical")
        .map((a) => a.dedupKey)
        .sort(),
    );
    expect(sns.map((m) => m.attributes.severity?.value)).toEqual(sns.map(() => "critical"));
    expect(sns.map((m) => snsBody(m).dedup_key)).toContain("2026-02-02:budget_level:2");
  });

  it("sends one recovery notice when a condition clears, and announces it again when it comes back", async () => {
    const h = harness("recovery", { sns: { severities: ["warning", "critical"] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 3, 0, 0);
    await h.tick(T0);
    for (let m = 34; m <= 37; m++) await h.tick(T0 + m * MIN); // 120 %: vip is spared, tick after tick
    const spared = `Critical endpoint ${h.ns}/vip left running at the scale_down level`;
    expect(slackTitles(await h.hook.messages()).filter((t) => t?.includes(spared))).toEqual([`[WARNING] ${spared}`]);

    // A person pauses vip: it no longer burns, the condition clears.
    await h.admin.patch("vip", { status: { state: "paused", readyReplica: 0, targetReplica: 0 } });
    for (let m = 38; m <= 42; m++) await h.tick(T0 + m * MIN);
    const afterPause = slackTitles(await h.hook.messages()).filter((t) => t?.includes(spared));
    expect(afterPause).toEqual([`[WARNING] ${spared}`, `[RESOLVED] Resolved: ${spared}`]);
    const recovery = (await h.topic.messages()).map(snsBody).find((b) => b.notice === "recovery");
    expect(recovery).toMatchObject({
      kind: "critical_endpoint_spared",
      severity: "info",
      endpoint: `${h.ns}/vip`,
      resolves: { dedup_key: "2026-02-03:critical_endpoint_spared:notify-recovery/vip:1", severity: "warning" },
    });
    expect(recovery?.figures.active_minutes).toBe(4);

    // It resumes: the same condition the same day is announced again (its first alert's dedup key is spent).
    await h.admin.patch("vip", { status: { state: "running", readyReplica: 2, targetReplica: 2 } });
    for (let m = 43; m <= 45; m++) await h.tick(T0 + m * MIN);
    expect(slackTitles(await h.hook.messages()).filter((t) => t?.includes(spared))).toEqual([
      `[WARNING] ${spared}`,
      `[RESOLVED] Resolved: ${spared}`,
      `[WARNING] ${spared} (again)`,
    ]);
  });

  it("delivers everything exactly once after Slack was down for a while", async () => {
    const h = harness("slack-down", { sns: { severities: [] } });
    await h.admin.reset(FLEET);
    await h.hook.faults({ status: 500, body: "rollup_error", times: 4 }, { status: 429, retryAfter: 120, times: 1 });
    const T0 = Date.UTC(2026, 1, 4, 0, 0);
    await h.tick(T0);
    for (let m = 30; m <= 64; m++) await h.tick(T0 + m * MIN);
    const alerts = await alertTitlesSince(T0);
    const slack = await h.hook.messages();
    expect(slackTitles(slack)).toHaveLength(alerts.length);
    expect(new Set(slackTitles(slack))).toEqual(new Set(alerts.map((a) => `[${a.severity?.toUpperCase()}] ${a.title}`)));
    const statuses = (await h.hook.requests()).map((r) => r.status);
    expect(statuses.slice(0, 5)).toEqual([500, 500, 500, 500, 429]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(alerts.length);
    expect(h.logs.some((l) => l.event === "delivery_failed" && !l.final && l.error === "Slack answered HTTP 500: rollup_error")).toBe(true);
  });

  it("publishes to SNS after Throttling errors, once per alert", async () => {
    const h = harness("sns-throttled", { slack: { severities: [] }, sns: { severities: ["info", "warning", "critical"] } });
    await h.admin.reset(FLEET);
    await h.topic.faults({ code: "Throttling", status: 400, message: "Rate exceeded", times: 3 });
    const T0 = Date.UTC(2026, 1, 5, 0, 0);
    await h.tick(T0);
    for (let m = 30; m <= 40; m++) await h.tick(T0 + m * MIN);
    const alerts = await alertTitlesSince(T0);
    const published = await h.topic.messages();
    expect(published.map((m) => snsBody(m).dedup_key).sort()).toEqual(alerts.map((a) => a.dedupKey).sort());
    const requests = await h.topic.requests();
    expect(requests.filter((r) => r.code === "Throttling")).toHaveLength(3);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(alerts.length);
    expect(await h.hook.messages()).toEqual([]);
  });

  it("renders the budget level alert field by field for SNS and Slack", async () => {
    const h = harness("fields", { sns: { severities: ["warning", "critical"] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 6, 0, 0);
    await h.tick(T0);
    await h.tick(T0 + 33 * MIN);
    const event = (await alertTitlesSince(T0)).find((e) => e.kind === "budget_level");
    if (!event) throw new Error("no budget level alert");
    const published = (await h.topic.messages()).find((m) => snsBody(m).kind === "budget_level");
    if (!published) throw new Error("not published");
    expect(published.subject).toBe("[WARNING] Spend crossed 120% of the daily budget (scale_down)");
    expect(published.messageStructure).toBe("json");
    expect(published.attributes).toEqual({
      severity: { type: "String", value: "warning" },
      kind: { type: "String", value: "budget_level" },
      endpoint: { type: "String", value: "fleet" },
      notice: { type: "String", value: "alert" },
    });
    const structured = JSON.parse(published.message) as Record<string, string>;
    expect(Object.keys(structured).sort()).toEqual(["default", "email", "sms"]);
    const body = snsBody(published);
    expect(body).toEqual({
      source: "budget-guardrail",
      version: 1,
      notice: "alert",
      kind: "budget_level",
      severity: "warning",
      endpoint: null,
      title: "Spend crossed 120% of the daily budget (scale_down)",
      message: event.message,
      budget_day: "2026-02-06",
      at: "2026-02-06T00:33:00.000Z",
      event_id: event.id,
      dedup_key: "2026-02-06:budget_level:1",
      figures: {
        spend_usd: event.data.spend_usd,
        budget_usd: 10,
        ratio: event.data.ratio,
        level: 1,
        threshold: 1.2,
        burn_usd_per_hour: 22.067,
      },
      actions: [
        { kind: "scale_down", endpoint: `${h.ns}/big`, status: "applied", title: `Capped ${h.ns}/big` },
        { kind: "scale_down", endpoint: `${h.ns}/summarizer`, status: "applied", title: `Capped ${h.ns}/summarizer` },
        { kind: "scale_down", endpoint: `${h.ns}/cpu`, status: "applied", title: `Capped ${h.ns}/cpu` },
      ],
      resolves: null,
      links: { status: `${PUBLIC_URL}/`, event: `${PUBLIC_URL}/v1/events?before=${event.id + 1}&limit=1` },
    });
    expect(event.data.ratio).toBeGreaterThanOrEqual(1.2);
    expect(structured.sms).toBe("WARNING: Spend crossed 120% of the daily budget (scale_down)");
    expect(structured.email).toContain(`Spend today: $${(event.data.spend_usd as number).toFixed(2)}`);
    expect(structured.email).toContain("Daily budget: $10.00");
    expect(structured.email).toContain(`- Capped ${h.ns}/big`);

    const slack = (await h.hook.messages()).find((m) => m.payload.text === `[WARNING] ${body.title}`);
    const blocks = slack?.payload.blocks ?? [];
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "actions", "actions", "context"]);
    expect(blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: ":large_orange_circle: Spend crossed 120% of the daily budget (scale_down)", emoji: true },
    });
    expect(blocks[1]).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: `*WARNING* · \`budget_level\` · whole fleet\n${event.message}` },
    });
    const fields = (blocks[2] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);
    expect(fields).toEqual([
      `*Spend today*\n$${(event.data.spend_usd as number).toFixed(2)}`,
      "*Daily budget*\n$10.00",
      `*Spend / budget*\n${((event.data.ratio as number) * 100).toFixed(1)}%`,
      "*Burn*\n$22.07/h",
      "*Level*\n1 (scale_down)",
      "*Threshold*\n120.0%",
    ]);
    expect((blocks[3] as { text: { text: string } }).text.text).toBe(
      `*What the guardrail did*\n• Capped ${h.ns}/big\n• Capped ${h.ns}/summarizer\n• Capped ${h.ns}/cpu`,
    );
    expect(blocks[4]).toEqual({
      type: "actions",
      block_id: "guardrail_alert:2026-02-06:budget_level:1",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Snooze 1h" },
          action_id: "guardrail_snooze_1h",
          value: JSON.stringify({ endpoint: null, dedup_key: "2026-02-06:budget_level:1" }),
        },
      ],
    });
    expect((blocks[5] as { elements: Array<{ url: string }> }).elements.map((e) => e.url)).toEqual([
      `${PUBLIC_URL}/`,
      `${PUBLIC_URL}/v1/events?before=${event.id + 1}&limit=1`,
    ]);
    expect(blocks[6]).toEqual({
      type: "context",
      elements: [{ type: "mrkdwn", text: "budget-guardrail · budget day 2026-02-06 · 2026-02-06 00:33 UTC" }],
    });
  });

  it("a named budget's alerts carry the SNS attribute budget and show the budget in Slack, with only that budget's actions", async () => {
    // search: big + cpu, $10.067/h against $8 a day; chat: summarizer, $2/h against $1 a day. The fleet's $1,000 stays normal.
    const h = harness(
      "named",
      { sns: { severities: ["warning", "critical"] }, sends_per_tick: 30 },
      {
        budget: { daily_usd: 1000, timezone: "UTC" },
        triggers: { forecast: { enabled: false } },
        budgets: [
          { name: "search", period: "day", amount_usd: 8, scope: { endpoints: ["notify-named/big", "notify-named/cpu"] } },
          { name: "chat", period: "day", amount_usd: 1, scope: { endpoints: ["notify-named/summarizer"] } },
        ],
      },
    );
    await h.admin.reset(FLEET);
    // A day of its own: it shared 2026-02-08 (and its fleet-wide level) with the retry-limit test below.
    const T0 = Date.UTC(2026, 1, 15, 0, 0);
    await h.tick(T0);
    await h.tick(T0 + 60 * MIN);
    const published = await h.topic.messages();
    const named = published.filter((m) => typeof snsBody(m).figures.budget === "string");
    expect(named.map((m) => snsBody(m).dedup_key)).toEqual(
      expect.arrayContaining(["2026-02-15:budget_level:1:search", "2026-02-15:budget_level:3:chat"]),
    );
    for (const m of published) {
      const budget = snsBody(m).figures.budget;
      expect(m.attributes.budget).toEqual(typeof budget === "string" ? { type: "String", value: budget } : undefined);
    }
    const levelOf = (name: string, level: number) =>
      published.find((m) => snsBody(m).dedup_key === `2026-02-15:budget_level:${level}:${name}`);
    expect(levelOf("search", 1)?.attributes).toEqual({
      severity: { type: "String", value: "warning" },
      kind: { type: "String", value: "budget_level" },
      endpoint: { type: "String", value: "fleet" },
      notice: { type: "String", value: "alert" },
      budget: { type: "String", value: "search" },
    });
    // Each budget's level alert lists the actions its own budget caused in that tick, not the other team's.
    expect(snsBody(levelOf("search", 1) as PublishedMessage).actions.map((a) => [a.kind, a.endpoint])).toEqual([
      ["scale_down", `${h.ns}/big`],
      ["scale_down", `${h.ns}/cpu`],
    ]);
    expect(snsBody(levelOf("chat", 3) as PublishedMessage).actions.map((a) => [a.kind, a.endpoint])).toEqual([
      ["pause", `${h.ns}/summarizer`],
    ]);
    const email = (JSON.parse((levelOf("search", 1) as PublishedMessage).message) as { email: string }).email;
    expect(email).toContain("Budget: search\n");

    const slack = (await h.hook.messages()).find(
      (m) => m.payload.text === '[WARNING] Budget "search": spend crossed 120% of its daily budget (scale_down)',
    );
    const blocks = slack?.payload.blocks ?? [];
    expect((blocks[1] as { text: { text: string } }).text.text).toMatch(/^\*WARNING\* · `budget_level` · budget `search`\n/);
    const fields = (blocks[2] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);
    expect(fields[0]).toBe("*Budget*\nsearch");
    expect(fields).toContain("*Spend today*\n$10.07");
    expect(fields).toContain("*Amount*\n$8.00");
    expect((blocks[3] as { text: { text: string } }).text.text).toBe(
      `*What the guardrail did*\n• Capped ${h.ns}/big\n• Capped ${h.ns}/cpu`,
    );
  });

  it("holds alerts over a channel's hourly limit behind one summary, but escalations always go", async () => {
    const h = harness("ratelimit", { slack: { rate_limit_per_hour: 1 }, sns: { severities: [] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 7, 0, 0);
    for (let m = 0; m <= 58; m += 2) await h.tick(T0 + m * MIN);
    const texts = slackTitles(await h.hook.messages());
    const levels = texts.filter((t) => t?.includes("Spend crossed"));
    expect(levels.length).toBeGreaterThanOrEqual(2); // 120 % and 150 % (and maybe 200 %): all escalations went
    const summaries = texts.filter((t) => t?.startsWith("[HELD BACK]"));
    expect(summaries).toEqual(["[HELD BACK] Slack rate limit reached: alerts held back until 01:00 UTC"]);
    expect(texts.some((t) => t?.includes("Critical endpoint"))).toBe(false);
    const summary = (await h.hook.messages()).find((m) => m.payload.text?.startsWith("[HELD BACK]"));
    expect(JSON.stringify(summary?.payload.blocks)).toMatch(/\d+ more (was|were) held back so far/);

    // Every alert of the hour either went out or was held back behind the summary.
    const res = await createApp({ clock: () => T0 + 59 * MIN }).fetch(
      new Request("http://guardrail/v1/status", { headers: { authorization: `Bearer ${env.READ_TOKEN}` } }),
      { ...env, ...h.secrets },
    );
    const status = (await res.json()) as { alerts: { last_24h: Record<string, number> } };
    const alerts = await alertTitlesSince(T0);
    expect(status.alerts.last_24h.held).toBeGreaterThanOrEqual(1);
    expect(texts.length - summaries.length + (status.alerts.last_24h.held ?? 0)).toBe(alerts.length);
  });

  // Changed by issue 13: this test revoked the hook (Slack's 404 no_service) to reach the retry limit; a
  // revoked hook is now a permanent failure (next test), so a Slack outage (500s) reaches the limit here.
  it("gives up after the retry limit, marks the delivery failed and reports it in /v1/status", async () => {
    const h = harness("revoked", { retry: { max_attempts: 2, backoff_seconds: 60 }, sns: { severities: [] } });
    await h.admin.reset(FLEET);
    await h.hook.faults({ status: 500, body: "rollup_error", times: 1000 });
    const T0 = Date.UTC(2026, 1, 8, 0, 0);
    await h.tick(T0);
    for (let m = 30; m <= 40; m++) await h.tick(T0 + m * MIN);
    const requests = await h.hook.requests();
    const alerts = await alertTitlesSince(T0);
    expect(requests).toHaveLength(alerts.length * 2);
    expect(requests.every((r) => r.status === 500)).toBe(true);

    const res = await createApp({ clock: () => T0 + 41 * MIN }).fetch(
      new Request("http://guardrail/v1/status", { headers: { authorization: `Bearer ${env.READ_TOKEN}` } }),
      { ...env, ...h.secrets },
    );
    const status = (await res.json()) as {
      alerts: {
        channels: { slack: { enabled: boolean } };
        failed_deliveries: Array<{ channel: string; title: string; attempts: number; error: string }>;
      };
    };
    expect(status.alerts.channels.slack.enabled).toBe(true);
    expect(status.alerts.failed_deliveries.map((f) => f.title).sort()).toEqual(alerts.map((a) => a.title).sort());
    expect(status.alerts.failed_deliveries[0]).toMatchObject({
      channel: "slack",
      attempts: 2,
      error: "Slack answered HTTP 500: rollup_error",
    });
    expect(JSON.stringify(status)).not.toContain(h.hook.url);
  });

  it("never puts a secret or token in a message", async () => {
    const h = harness("secrets", { sns: { severities: ["info", "warning", "critical"] } });
    const T0 = Date.UTC(2026, 1, 9, 0, 0);
    const leaky = `token hf_test_token, hook ${h.hook.url}, key ${TEST_AWS_CREDENTIALS.secretAccessKey}, id ${TEST_AWS_CREDENTIALS.accessKeyId}, other hf_${"a".repeat(34)}`;
    const events = await recordEvents(env.DB, [
      {
        at: T0,
        type: "alert",
        kind: "guardrail_blind",
        severity: "critical",
        endpoint: null,
        title: `Cannot read the fleet with hf_test_token`,
        message: leaky,
        data: { detail: leaky },
        dedupKey: "2026-02-09:guardrail_blind",
      },
    ]);
    await h.notifier.afterTick({ db: env.DB, now: T0, alerts: null, events, policy: h.policy.alerts });
    const published = (await h.topic.messages()).map((m) => ({ subject: m.subject, message: m.message, attributes: m.attributes }));
    const sent = [JSON.stringify(await h.hook.messages()), JSON.stringify(published)];
    for (const text of sent) {
      expect(text).toContain("[redacted]");
      for (const secret of [
        "hf_test_token",
        h.hook.url,
        "secret-secrets",
        TEST_AWS_CREDENTIALS.secretAccessKey,
        TEST_AWS_CREDENTIALS.accessKeyId,
        "aaaaaaaaaa",
      ]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(await h.topic.messages()).toHaveLength(1);
  });

  it("loses nothing when a tick dies after recording an alert, or in the middle of sending it", async () => {
    const h = harness("crash", { sns: { severities: [] } });
    const T0 = Date.UTC(2026, 1, 10, 0, 0);
    const alert = (n: number) => ({
      at: T0,
      type: "alert" as const,
      kind: "runaway_scaling",
      severity: "warning" as const,
      endpoint: `${h.ns}/big`,
      title: `Runaway scaling ${n}`,
      message: "Replicas above the expected maximum.",
      data: { replicas: 9 },
      dedupKey: `2026-02-10:runaway_scaling:${h.ns}/big:${n}`,
    });
    // The tick recorded the alert, then died before the outbox ran.
    await recordEvents(env.DB, [alert(1)]);
    // The next tick died in the middle of a send (after the attempt was counted).
    const events = await recordEvents(env.DB, [alert(2)]);
    const dying = { slack: { send: async (): Promise<never> => Promise.reject(new Error("isolate went away")) } };
    await expect(runOutbox({ db: env.DB, now: T0 + MIN, alerts: null, events, policy: h.policy.alerts }, dying, [])).rejects.toThrow(
      "isolate went away",
    );
    expect(await h.hook.messages()).toEqual([]);
    // Later ticks deliver both, once.
    for (let m = 2; m <= 5; m++)
      await h.notifier.afterTick({ db: env.DB, now: T0 + m * MIN, alerts: null, events: [], policy: h.policy.alerts });
    expect(slackTitles(await h.hook.messages()).sort()).toEqual(["[WARNING] Runaway scaling 1", "[WARNING] Runaway scaling 2"]);
  });

  it("sends the alert that the policy is invalid, with the default routing", async () => {
    const h = harness("badpolicy");
    const bad = validatePolicy({ budget: { daily_usd: -1 }, hf: { namespaces: ["x"] } });
    const T0 = Date.UTC(2026, 1, 11, 0, 0);
    await h.tick(T0, bad);
    await h.tick(T0 + MIN, bad);
    expect(slackTitles(await h.hook.messages())).toEqual(["[CRITICAL] The guardrail is not acting: configuration is invalid"]);
    expect(DEFAULT_ALERTS.slack.severities).toContain("critical");
  });

  it("sends nothing once the tick is out of time or out of subrequests, and counts no attempt for it", async () => {
    const h = harness("late", { sns: { severities: [] }, retry: { max_attempts: 2 } });
    const T0 = Date.UTC(2026, 1, 12, 0, 0);
    const events = await recordEvents(env.DB, [
      {
        at: T0,
        type: "alert",
        kind: "error_rate",
        severity: "critical",
        endpoint: `${h.ns}/e1`,
        title: "Errors on e1",
        message: "More than 1% of requests fail.",
        data: {},
        dedupKey: `2026-02-12:error_rate:${h.ns}/e1`,
      },
    ]);
    await h.notifier.afterTick({ db: env.DB, now: T0, alerts: null, events, policy: h.policy.alerts, inTime: () => false });
    await h.notifier.afterTick({ db: env.DB, now: T0 + MIN, alerts: null, events: [], policy: h.policy.alerts, subrequestsUsed: 45 });
    expect(await h.hook.messages()).toEqual([]);
    // Two real attempts remain: one fails, the next (after the backoff) arrives. Had the skipped ticks
    // counted an attempt, the failure would have been the last one.
    await h.hook.faults({ status: 500 });
    await h.notifier.afterTick({ db: env.DB, now: T0 + 2 * MIN, alerts: null, events: [], policy: h.policy.alerts });
    await h.notifier.afterTick({ db: env.DB, now: T0 + 4 * MIN, alerts: null, events: [], policy: h.policy.alerts });
    expect((await h.hook.requests()).map((r) => r.status)).toEqual([500, 200]);
    expect(slackTitles(await h.hook.messages())).toEqual(["[CRITICAL] Errors on e1"]);
  });

  it("sends at most alerts.sends_per_tick messages in one tick and the rest on the next ones", async () => {
    const h = harness("budgeted", { sends_per_tick: 1, sns: { severities: [] } });
    const T0 = Date.UTC(2026, 1, 13, 0, 0);
    const events = await recordEvents(
      env.DB,
      [1, 2, 3].map((n) => ({
        at: T0,
        type: "alert" as const,
        kind: "error_rate",
        severity: "warning" as const,
        endpoint: `${h.ns}/e${n}`,
        title: `Errors on e${n}`,
        message: "More than 1% of requests fail.",
        data: {},
        dedupKey: `2026-02-13:error_rate:${h.ns}/e${n}`,
      })),
    );
    const counts: number[] = [];
    for (let m = 0; m < 4; m++) {
      await h.notifier.afterTick({ db: env.DB, now: T0 + m * MIN, alerts: null, events: m === 0 ? events : [], policy: h.policy.alerts });
      counts.push((await h.hook.messages()).length);
    }
    expect(counts).toEqual([1, 2, 3, 3]);
  });

  it("sends no recovery for a condition a person acked while it holds, and one when it really clears", async () => {
    const h = harness("ack", { sns: { severities: [] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 1, 14, 0, 0);
    await h.tick(T0);
    for (let m = 34; m <= 36; m++) await h.tick(T0 + m * MIN);
    const spared = `Critical endpoint ${h.ns}/vip left running at the scale_down level`;
    const acked = await createOverride(
      { db: env.DB, policy: h.policy, provider: h.provider, now: T0 + 36 * MIN + 30_000 },
      { op: "ack", dedup_key: `2026-02-14:critical_endpoint_spared:${h.ns}/vip:1`, duration: "2h", reason: "on it", actor: "alice" },
      "webhook",
    );
    expect(acked.ok).toBe(true);
    for (let m = 37; m <= 40; m++) await h.tick(T0 + m * MIN); // still holds, silenced: not "resolved"
    const seen = async () => slackTitles(await h.hook.messages()).filter((t) => t?.includes(spared));
    expect(await seen()).toEqual([`[WARNING] ${spared}`]);

    // It really clears (a person paused vip): the alert they acked is over, say so once.
    await h.admin.patch("vip", { status: { state: "paused", readyReplica: 0, targetReplica: 0 } });
    for (let m = 41; m <= 43; m++) await h.tick(T0 + m * MIN);
    expect(await seen()).toEqual([`[WARNING] ${spared}`, `[RESOLVED] Resolved: ${spared}`]);
    // Back and gone again under the ack: nobody hears of that episode.
    await h.admin.patch("vip", { status: { state: "running", readyReplica: 2, targetReplica: 2 } });
    for (let m = 44; m <= 46; m++) await h.tick(T0 + m * MIN);
    await h.admin.patch("vip", { status: { state: "paused", readyReplica: 0, targetReplica: 0 } });
    for (let m = 47; m <= 49; m++) await h.tick(T0 + m * MIN);
    expect(await seen()).toEqual([`[WARNING] ${spared}`, `[RESOLVED] Resolved: ${spared}`]);
  });

  // After every other test's days: the outbox sweeps up recent alerts without a notice.
  it("stops at Slack's first 404 for a revoked hook, marks Slack misconfigured in /v1/status and says so on SNS", async () => {
    const h = harness("slack-revoked", { sns: { severities: ["critical"] } });
    await h.admin.reset(FLEET);
    await h.hook.revoke();
    const T0 = Date.UTC(2026, 2, 20, 0, 0);
    await h.tick(T0);
    for (let m = 30; m <= 40; m++) await h.tick(T0 + m * MIN);
    // One request found the hook gone; nothing was tried again.
    expect((await h.hook.requests()).map((r) => r.status)).toEqual([404]);
    const onSns = (await h.topic.messages()).map(snsBody).filter((b) => b.kind === "channel_misconfigured");
    expect(onSns).toHaveLength(1);
    expect(onSns[0]?.message).toContain("Slack answered HTTP 404: no_service");
    expect(JSON.stringify(onSns[0])).not.toContain(h.hook.url);

    const res = await createApp({ clock: () => T0 + 41 * MIN }).fetch(
      new Request("http://guardrail/v1/status", { headers: { authorization: `Bearer ${env.READ_TOKEN}` } }),
      { ...env, ...h.secrets },
    );
    const status = (await res.json()) as { alerts: { channels: { slack: { misconfigured: { error: string } | null; problem: string } } } };
    expect(status.alerts.channels.slack.misconfigured?.error).toBe("Slack answered HTTP 404: no_service");
    expect(JSON.stringify(status)).not.toContain(h.hook.url);
    // The status page says so too, in red: alerts that do not arrive are not left for someone to notice.
    const page = await (
      await createApp({ clock: () => T0 + 41 * MIN }).fetch(
        new Request("http://guardrail/", { headers: { authorization: `Bearer ${env.READ_TOKEN}` } }),
        { ...env, ...h.secrets },
      )
    ).text();
    expect(page).toMatch(
      /<span class="flag bad" data-flag="slack_misconfigured">Slack alerts not delivered since \d\d:\d\d: Slack answered HTTP 404: no_service<\/span>/,
    );

    // A new webhook URL (the fix) is tried again.
    const fixed = slackHook(slackBase, "slack-revoked-new");
    const notifier = createNotifier({ secrets: { ...h.secrets, SLACK_WEBHOOK_URL: fixed.url } });
    await runTick({
      db: env.DB,
      provider: h.provider,
      policy: { ok: true, policy: h.policy },
      now: T0 + 50 * MIN,
      clock: () => T0 + 50 * MIN,
      holder: crypto.randomUUID(),
      log: () => {},
      notifier,
    });
    expect((await fixed.requests()).length).toBeGreaterThan(0);
  });

  for (const code of ["NotFound", "AuthorizationError", "KMSDisabled"]) {
    it(`stops publishing to SNS at a ${code} sender fault and says so on Slack`, async () => {
      const h = harness(`sns-${code.toLowerCase()}`, { sns: { severities: ["warning", "critical"] } });
      await h.admin.reset(FLEET);
      await h.topic.faults({
        code,
        status: code === "NotFound" ? 404 : code === "AuthorizationError" ? 403 : 400,
        message: `${code} fault`,
        times: 1000,
      });
      const T0 = Date.UTC(2026, 2, 21 + ["NotFound", "AuthorizationError", "KMSDisabled"].indexOf(code), 0, 0);
      await h.tick(T0);
      for (let m = 30; m <= 40; m++) await h.tick(T0 + m * MIN);
      expect((await h.topic.requests()).map((r) => r.code)).toEqual([code]);
      const slack = slackTitles(await h.hook.messages());
      expect(slack.filter((t) => t?.includes("SNS alerts are not delivered"))).toHaveLength(1);
    });
  }

  it("tries SNS again at once when its credentials change: new keys are a new configuration", async () => {
    const h = harness("sns-newkey", { sns: { severities: ["warning", "critical"] } });
    await h.admin.reset(FLEET);
    const T0 = Date.UTC(2026, 2, 29, 0, 0);
    const tickWith = (now: number, notifier: typeof h.notifier) =>
      runTick({
        db: env.DB,
        provider: h.provider,
        policy: { ok: true, policy: h.policy },
        now,
        clock: () => now,
        holder: crypto.randomUUID(),
        log: () => {},
        notifier,
      });
    // Deployed with a key AWS does not know: SNS answers InvalidClientTokenId, a sender fault.
    await tickWith(T0, createNotifier({ secrets: { ...h.secrets, AWS_ACCESS_KEY_ID: "AKIDNOTAVALIDKEY0000" } }));
    const snsFault = async () => (await loadChannelFaults(env.DB)).find((f) => f.channel === "sns");
    expect((await snsFault())?.error).toContain("InvalidClientTokenId");
    expect(await h.topic.messages()).toEqual([]);
    // `wrangler secret put AWS_ACCESS_KEY_ID` with the right key, same topic: the next alerts are published at once.
    for (let m = 30; m <= 40; m++) await tickWith(T0 + m * MIN, h.notifier);
    expect((await h.topic.messages()).length).toBeGreaterThan(0);
    expect(await snsFault()).toBeUndefined();
  });

  it("tries a channel marked misconfigured again an hour later, and sends to it again once it was fixed outside the guardrail", async () => {
    // Slack refuses the hook twice (403, e.g. an admin restriction), then someone fixes it in Slack: the URL stays the same.
    const h = harness("slack-retry", { slack: { severities: ["info", "warning", "critical"] }, sns: { severities: ["critical"] } });
    await h.admin.reset(FLEET);
    await h.hook.faults({ status: 403, body: "action_prohibited", times: 2 });
    const bad = validatePolicy({ budget: { daily_usd: -1 }, hf: { namespaces: ["x"] } });
    const T0 = Date.UTC(2026, 2, 30, 0, 0);
    await h.tick(T0);
    for (let m = 30; m <= 40; m++) await h.tick(T0 + m * MIN);
    // Marked at the first 403: nothing more for the rest of the hour, though alerts came.
    expect((await h.hook.requests()).map((r) => r.status)).toEqual([403]);
    // An hour on, a new alert (a bad policy deployed) tries Slack once more: still refused, and not announced again.
    await h.tick(T0 + 61 * MIN, bad);
    await h.tick(T0 + 62 * MIN, bad);
    expect((await h.hook.requests()).map((r) => r.status)).toEqual([403, 403]);
    const announced = (await h.topic.messages()).map(snsBody).filter((b) => b.kind === "channel_misconfigured");
    expect(announced).toHaveLength(1);
    // Another hour on, the next alert (the policy fixed: its recovery) goes through, and Slack is no longer marked.
    await h.tick(T0 + 125 * MIN);
    expect((await h.hook.requests()).map((r) => r.status).slice(0, 3)).toEqual([403, 403, 200]);
    const res = await createApp({ clock: () => T0 + 126 * MIN }).fetch(
      new Request("http://guardrail/v1/status", { headers: { authorization: `Bearer ${env.READ_TOKEN}` } }),
      { ...env, ...h.secrets },
    );
    const status = (await res.json()) as { alerts: { channels: { slack: { misconfigured: unknown } } } };
    expect(status.alerts.channels.slack.misconfigured).toBeNull();
  });
});
