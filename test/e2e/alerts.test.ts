// Alerts end to end in the Worker as wrangler bundles it for deployment (wrangler.toml, its [alias]
// for the AWS SDK's XML parser): `wrangler dev` against the HF emulator, the local Slack webhook and SNS
// servers. Without the alias the SDK would publish, then throw on SNS's XML reply; the delivery would
// stay pending and the next tick would publish the same alert again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWranglerDev, type WranglerDev } from "../../scripts/wrangler-dev.ts";
import { startOfDay } from "../../src/core/index.ts";
import {
  DEMO_FLEET,
  type Emulator,
  type SlackWebhookServer,
  type SnsServer,
  startEmulator,
  startSlackWebhookServer,
  startSnsServer,
} from "../../src/fakes/index.ts";
import type { PolicyInput } from "../../src/policy/index.ts";

const NS = "e2e-alerts";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:guardrail-e2e";
const MIN = 60_000;

describe("alerts from the deployable bundle", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "guardrail-e2e-alerts-"));
  let emulator: Emulator;
  let slack: SlackWebhookServer;
  let sns: SnsServer;
  let dev: WranglerDev;

  beforeAll(async () => {
    [emulator, slack, sns] = await Promise.all([startEmulator({ port: 0 }), startSlackWebhookServer(), startSnsServer()]);
    emulator.reset(NS, { endpoints: DEMO_FLEET });
    const policy: PolicyInput = {
      mode: "enforce",
      budget: { daily_usd: 10, timezone: "UTC" },
      hf: { namespaces: [NS] },
      endpoints: { [`${NS}/chat-prod`]: { critical: true } },
      status: { public: true },
      alerts: { sns: { topic_arn: TOPIC, severities: ["warning", "critical"] } },
    };
    dev = await startWranglerDev({
      stateDir,
      logFile: path.join(stateDir, "wrangler.log"),
      vars: {
        HF_API_BASE: emulator.url,
        HF_TOKEN: emulator.token,
        GUARDRAIL_POLICY: JSON.stringify(policy),
        SLACK_WEBHOOK_URL: slack.hookUrl("e2e"),
        AWS_ACCESS_KEY_ID: sns.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: sns.credentials.secretAccessKey,
        AWS_ENDPOINT_URL_SNS: sns.url,
      },
    });
    await dev.ready;
  });

  afterAll(async () => {
    dev?.stop();
    await Promise.all([emulator?.close(), slack?.close(), sns?.close()]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("publishes each alert to SNS once and posts it to Slack once, and records them as sent", async () => {
    // The demo fleet burns about $31.50/h against $10/day: 120 % is crossed after about 23 minutes.
    const t0 = startOfDay(new Date().toISOString().slice(0, 10), "UTC") + 60 * MIN;
    for (const m of [0, 25, 26, 27, 28]) expect(await dev.tick(t0 + m * MIN)).toBe("ok");
    const { events } = (await (await fetch(`${dev.base}/v1/events?type=alert&limit=100`)).json()) as {
      events: Array<{ severity: string; title: string }>;
    };
    const label = (e: { severity: string; title: string }) => `[${e.severity.toUpperCase()}] ${e.title}`;
    expect(events.map(label)).toContain("[WARNING] Spend crossed 120% of the daily budget (scale_down)");
    // Slack takes every severity, SNS warning and critical (the policy above); each alert exactly once.
    const published = sns.messages(TOPIC);
    // The title from the JSON body: the subject is cut to SNS's 100 characters.
    const titleOf = (m: { message: string }) => {
      const body = JSON.parse((JSON.parse(m.message) as { default: string }).default) as { severity: string; title: string };
      return label(body);
    };
    expect(published.map(titleOf).sort()).toEqual(
      events
        .filter((e) => e.severity !== "info")
        .map(label)
        .sort(),
    );
    expect(published.every((m) => m.signedWith.region === "eu-west-1" && m.signedWith.service === "sns")).toBe(true);
    expect(
      slack
        .messages("e2e")
        .map((m) => m.payload.text)
        .sort(),
    ).toEqual(events.map(label).sort());
    const status = (await (await fetch(`${dev.base}/v1/status`)).json()) as {
      alerts: { last_24h: Record<string, number>; failed_deliveries: unknown[] };
    };
    expect(status.alerts.last_24h).toEqual({ sent: published.length + events.length, pending: 0, held: 0, failed: 0 });
    expect(status.alerts.failed_deliveries).toEqual([]);
  });
});
