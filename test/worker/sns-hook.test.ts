// POST /v1/hooks/sns inside workerd, end to end: the schedules are synced into the Scheduler
// stand-in with the real client, a firing's target Input (as Scheduler renders it) is wrapped in
// an SNS message signed with a key made here (certificate served by the local SNS host), posted
// as text/plain to the real Hono app, executed against the HF emulator and journaled in D1.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import type { SnsHookDeps } from "../../handlers/http/sns-hook.ts";
import { createOverride } from "../../src/control/index.ts";
import type { EndpointSpec } from "../../src/fakes/index.ts";
import type { PolicyInput } from "../../src/policy/index.ts";
import { validatePolicy } from "../../src/policy/index.ts";
import { HfClient } from "../../src/providers/hf/index.ts";
import { applySync, desiredSchedules, planSync } from "../../src/schedule/index.ts";
import { CertCache, type SnsMessage } from "../../src/security/sns-signature.ts";
import { actionsOfDay, claimAction, finishAction, listEvents, raiseDayLevel, recordMetering } from "../../src/store/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { schedulerAdmin, testSchedulerClient } from "../fixtures/scheduler-admin.ts";
import { publishCert, snsHostFetch, testSigner } from "../fixtures/sns-signer.ts";

const hfBase = inject("hfBase");
const schedulerBase = inject("schedulerBase");
const snsHostBase = inject("snsHostBase");
const TOPIC = "arn:aws:sns:us-east-1:123456789012:guardrail-commands";
const ROLE = "arn:aws:iam::123456789012:role/guardrail-scheduler";
const CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hook-test.pem";

const FLEET: EndpointSpec[] = [
  { name: "llm", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 2, replicas: 1 },
  { name: "big", instanceType: "nvidia-a100", instanceSize: "x4", minReplica: 2, maxReplica: 4, replicas: 2 },
];

function policyInput(ns: string, group: string, over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    mode: "enforce",
    budget: { daily_usd: 100, timezone: "UTC" },
    hf: { namespaces: [ns] },
    schedules: {
      group,
      commands_topic_arn: TOPIC,
      role_arn: ROLE,
      timezone: "America/New_York",
      entries: [
        { name: `${ns}-prewarm`, endpoint: `${ns}/llm`, cron: "0 8 * * 1-5", replicas: 2 },
        { name: `${ns}-evening`, endpoint: `${ns}/big`, cron: "0 18 * * 1-5", replicas: 0, scale_to_zero_timeout_minutes: 10 },
      ],
    },
    ...over,
  };
}

/** Sends sns.*.amazonaws.com to the local SNS host and everything else (the HF emulator) through. */
function routedFetch(): typeof fetch {
  const sns = snsHostFetch(snsHostBase);
  return (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com\//.test(url) ? sns(input, init) : fetch(input, init);
  };
}

async function harness(ns: string, over: Partial<PolicyInput> = {}) {
  const group = `hook-${ns}`;
  const input = policyInput(ns, group, over);
  const parsed = validatePolicy(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const hf = emulatorAdmin(hfBase, ns);
  await hf.reset(FLEET);
  const scheduler = schedulerAdmin(schedulerBase, group);
  await scheduler.reset();
  const client = testSchedulerClient(schedulerBase);
  await applySync(client, await planSync(client, group, desiredSchedules(parsed.policy)));

  const signer = await testSigner(CERT_URL);
  await publishCert(snsHostBase, CERT_URL, signer.certPem);
  let now = 0;
  const deps: SnsHookDeps = { fetch: routedFetch(), certCache: new CertCache() };
  const app = createApp({ clock: () => now, snsHook: deps });
  const workerEnv = { ...env, HF_API_BASE: hfBase, GUARDRAIL_POLICY: JSON.stringify(input) };

  const post = async (m: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request(
      "/v1/hooks/sns",
      { method: "POST", body: JSON.stringify(m), headers: { "content-type": "text/plain; charset=UTF-8", ...headers } },
      workerEnv,
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  /** What SNS delivers when the schedule fires at `firedAt`: its rendered Input, signed. */
  const firing = async (schedule: string, firedAt: number, id = crypto.randomUUID()): Promise<SnsMessage> => {
    const { input: message, arn } = await scheduler.fire(schedule, new Date(firedAt).toISOString());
    return signer.sign({
      Type: "Notification",
      MessageId: id,
      TopicArn: arn,
      Message: message,
      Timestamp: new Date(firedAt + 2_000).toISOString(),
    });
  };

  return {
    hf,
    post,
    firing,
    signer,
    setNow: (t: number) => {
      now = t;
    },
    policy: parsed.policy,
  };
}

const day = (d: number) => Date.UTC(2026, 2, d, 12, 0); // 08:00 New York (EDT) on weekdays from 9 March

describe("POST /v1/hooks/sns", () => {
  it("turns a dead letter forwarded from the Scheduler's DLQ into one schedule_dead_letter alert, running nothing", async () => {
    const ns = "hook-dlq";
    const h = await harness(ns);
    const fired = day(10);
    h.setNow(fired + 20 * 60_000);
    const { input: command, arn } = await schedulerAdmin(schedulerBase, `hook-${ns}`).fire(`${ns}-prewarm`, new Date(fired).toISOString());
    // What the EventBridge Pipe publishes for one SQS record (Pipes User Guide, "Amazon SQS as a source"):
    // the record as JSON, its body the command Scheduler could not deliver.
    const record = {
      messageId: "0b1c2d3e-dlq-1",
      receiptHandle: "AQEB...",
      body: command,
      attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(fired + 15 * 60_000) },
      messageAttributes: {
        ERROR_CODE: { stringValue: "AWS.SNS.AuthorizationError", dataType: "String" },
        ERROR_MESSAGE: { stringValue: "not authorized to perform: SNS:Publish", dataType: "String" },
      },
      md5OfBody: "x",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:budget-guardrail-scheduler-dlq",
      awsRegion: "us-east-1",
    };
    const m = await h.signer.sign({
      Type: "Notification",
      MessageId: crypto.randomUUID(),
      TopicArn: arn,
      Message: JSON.stringify(record),
      Timestamp: new Date(fired + 16 * 60_000).toISOString(),
    });
    const first = await h.post(m);
    expect(first).toMatchObject({ status: 200, body: { outcome: "dead_letter" } });
    expect(await h.post(m)).toMatchObject({ status: 200 }); // a redelivery records nothing more
    expect(await h.hf.mutations()).toEqual([]);
    const alerts = (await listEvents(env.DB, { kind: "schedule_dead_letter", limit: 10 })).filter((e) => e.endpoint === `${ns}/llm`);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: "critical" });
    expect(alerts[0]?.message).toContain("AWS.SNS.AuthorizationError");
    expect(alerts[0]?.title).toContain(`${ns}-prewarm`);
  });

  it("executes a fired pre-warm once: minReplica 1 -> 2 on HF, journaled with before/after; a redelivery changes nothing", async () => {
    const ns = "hook-exec";
    const h = await harness(ns);
    const fired = day(9);
    h.setNow(fired + 10_000);
    const m = await h.firing(`${ns}-prewarm`, fired);

    const first = await h.post(m, { "x-amz-sns-message-type": "Notification" });
    expect(first).toMatchObject({ status: 200, body: { outcome: "executed", after: { minReplica: 2, maxReplica: 2 } } });
    expect(await h.hf.mutations()).toEqual([
      { method: "PUT", path: `/v2/endpoint/${ns}/llm`, body: { compute: { scaling: { minReplica: 2, maxReplica: 2 } } } },
    ]);
    const [row] = (await actionsOfDay(env.DB, "2026-03-09")).filter((a) => a.endpoint === `${ns}/llm`);
    expect(row).toMatchObject({
      key: `schedule:${ns}-prewarm:2026-03-09T12:00:00.000Z`,
      kind: "schedule_scale",
      status: "applied",
      before: { minReplica: 1, maxReplica: 2 },
      after: { minReplica: 2, maxReplica: 2 },
    });
    expect(row?.reason).toContain(`schedule ${ns}-prewarm ("0 8 * * 1-5" America/New_York)`);

    const again = await h.post(m); // SNS redelivers the same message
    expect(again).toMatchObject({ status: 200, body: { outcome: "duplicate" } });
    expect(await h.hf.mutations()).toHaveLength(1);
  });

  it("holds a scheduled scale-up once the day reached the first rung, and alerts schedule_held", async () => {
    const ns = "hook-held";
    const h = await harness(ns);
    const fired = day(10);
    h.setNow(fired + 10_000);
    await raiseDayLevel(env.DB, "2026-03-10", 1, 100_000_000, fired);
    const res = await h.post(await h.firing(`${ns}-prewarm`, fired));
    expect(res).toMatchObject({ status: 200, body: { outcome: "held" } });
    expect(await h.hf.mutations()).toEqual([]);
    const [alert] = await listEvents(env.DB, { kind: "schedule_held", endpoint: `${ns}/llm`, limit: 5 });
    expect(alert).toMatchObject({ type: "alert", severity: "warning", title: `Schedule ${ns}-prewarm held: ${ns}/llm not scaled` });
    expect(alert?.message).toContain("reached the 120% rung");
  });

  it("holds a scale-up of an endpoint one of whose named budgets is above normal, naming the budget, though the fleet is calm", async () => {
    const ns = "hook-budget";
    const h = await harness(ns, {
      budgets: [{ name: "llm-team", period: "day", amount_usd: 5, scope: { endpoints: [`${ns}/llm`] } }],
    });
    const fired = day(24);
    h.setNow(fired + 10_000);
    // $7 of llm-team's $5 (140 %: scale_down); the fleet's $7 of $100 is normal.
    await recordMetering(env.DB, fired, [], [{ day: "2026-03-24", endpoint: `${ns}/llm`, micro: 7_000_000 }]);
    const res = await h.post(await h.firing(`${ns}-prewarm`, fired));
    expect(res.body).toMatchObject({ outcome: "held" });
    expect(res.body.reason).toBe(
      `budget "llm-team" (day 2026-03-24) at scale_down: today's $7.00 is 140.0% of $5.00; no scale-up while a budget of ${ns}/llm is above normal`,
    );
    expect(await h.hf.mutations()).toEqual([]);
    const [alert] = await listEvents(env.DB, { kind: "schedule_held", endpoint: `${ns}/llm`, limit: 5 });
    expect(alert?.data).toMatchObject({ budget: "llm-team", level: 0 });
  });

  it("holds a scale-up whose end-of-day forecast would cross 120 %", async () => {
    const ns = "hook-forecast";
    const h = await harness(ns);
    const fired = day(11);
    h.setNow(fired + 10_000);
    // $110 already spent today; one more $1/h replica for the 12 h left: forecast $122 >= $120.
    await recordMetering(env.DB, fired, [], [{ day: "2026-03-11", endpoint: `${ns}/other`, micro: 110_000_000 }]);
    const res = await h.post(await h.firing(`${ns}-prewarm`, fired));
    expect(res.body).toMatchObject({ outcome: "held" });
    expect(res.body.reason).toMatch(/end-of-day forecast is \$\d+/);
    expect(await h.hf.mutations()).toEqual([]);
  });

  it("judges the forecast against today's raised budget, as the forecast alert does", async () => {
    const ns = "hook-raised";
    const h = await harness(ns);
    const fired = day(13);
    h.setNow(fired + 10_000);
    // As above, $110 spent and $122 forecast: over 120 % of the policy's $100, but a person raised today's budget to $200.
    await recordMetering(env.DB, fired, [], [{ day: "2026-03-13", endpoint: `${ns}/other`, micro: 110_000_000 }]);
    const raise = await createOverride(
      { db: env.DB, policy: h.policy, provider: new HfClient({ baseUrl: hfBase, token: "hf_test_token" }), now: fired },
      { op: "raise_budget", budget_usd: 200, duration: "6h", reason: "launch", actor: "bob" },
      "webhook",
    );
    expect(raise.ok).toBe(true);
    const res = await h.post(await h.firing(`${ns}-prewarm`, fired));
    expect(res.body).toMatchObject({ outcome: "executed" });
  });

  it("holds a scale-up of an endpoint the guardrail paused today", async () => {
    const ns = "hook-paused";
    const h = await harness(ns);
    const fired = day(12);
    h.setNow(fired + 10_000);
    const pause = {
      kind: "pause" as const,
      endpoint: `${ns}/llm`,
      key: `2026-03-12:pause:${ns}/llm`,
      level: 3 as const,
      change: { type: "hf_pause" as const },
      before: { state: "running", minReplica: 1, maxReplica: 2, scaleToZeroTimeout: null, route: "primary" as const, fallback: null },
      after: { state: "paused", minReplica: 1, maxReplica: 2, scaleToZeroTimeout: null, route: "primary" as const, fallback: null },
      reason: "emergency pause",
      hourlyMicro: 1_000_000,
    };
    await claimAction(env.DB, pause, "2026-03-12", "enforce", fired - 60_000, 0);
    await finishAction(env.DB, { key: pause.key, event: "succeed", after: pause.after, error: null }, fired - 60_000);
    const res = await h.post(await h.firing(`${ns}-prewarm`, fired));
    expect(res.body).toMatchObject({ outcome: "held" });
    expect(res.body.reason).toContain("paused");
  });

  it("carries out an evening scale-down even at the shutdown level, with the scale-to-zero timeout", async () => {
    const ns = "hook-evening";
    const h = await harness(ns);
    const fired = Date.UTC(2026, 2, 13, 22, 0); // 18:00 New York
    h.setNow(fired + 10_000);
    await raiseDayLevel(env.DB, "2026-03-13", 3, 100_000_000, fired);
    const res = await h.post(await h.firing(`${ns}-evening`, fired));
    expect(res).toMatchObject({ status: 200, body: { outcome: "executed" } });
    expect(await h.hf.mutations()).toEqual([
      {
        method: "PUT",
        path: `/v2/endpoint/${ns}/big`,
        body: { compute: { scaling: { minReplica: 0, maxReplica: 4, scaleToZeroTimeout: 10 } } },
      },
    ]);
  });

  it("answers 503 while HF fails, so SNS redelivers, and the redelivery applies the schedule once", async () => {
    const ns = "hook-retry";
    const h = await harness(ns);
    const fired = day(16);
    h.setNow(fired + 10_000);
    await h.hf.faults({ method: "PUT", path: `/v2/endpoint/${ns}/llm`, status: 500, times: 2 });
    const m = await h.firing(`${ns}-prewarm`, fired);
    const failed = await h.post(m);
    expect(failed.status, JSON.stringify(failed.body)).toBe(503);
    h.setNow(fired + 30_000);
    expect(await h.post(m)).toMatchObject({ status: 200, body: { outcome: "executed" } });
    const [row] = (await actionsOfDay(env.DB, "2026-03-16")).filter((a) => a.endpoint === `${ns}/llm`);
    expect(row).toMatchObject({ status: "applied", attempts: 2 });
  });

  it("records a dry run without calling HF", async () => {
    const ns = "hook-dry";
    const h = await harness(ns, { mode: "dry_run" });
    const fired = day(17);
    h.setNow(fired + 10_000);
    expect((await h.post(await h.firing(`${ns}-prewarm`, fired))).body).toMatchObject({ outcome: "dry_run" });
    expect(await h.hf.mutations()).toEqual([]);
    const [row] = (await actionsOfDay(env.DB, "2026-03-17")).filter((a) => a.endpoint === `${ns}/llm`);
    expect(row).toMatchObject({ status: "dry_run", mode: "dry_run", after: { minReplica: 2 } });
  });

  it("confirms the subscription of the commands topic by GETting its SubscribeURL", async () => {
    const ns = "hook-confirm";
    const h = await harness(ns);
    const now = day(18);
    h.setNow(now);
    const token = `token-${crypto.randomUUID()}`;
    const m = await h.signer.sign({
      Type: "SubscriptionConfirmation",
      MessageId: crypto.randomUUID(),
      TopicArn: TOPIC,
      Message: `You have chosen to subscribe to the topic ${TOPIC}.`,
      Timestamp: new Date(now - 1000).toISOString(),
      Token: token,
      SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(TOPIC)}&Token=${token}`,
    });
    expect(await h.post(m)).toMatchObject({ status: 200, body: { confirmed: true } });
    const { confirmations } = (await (await fetch(`${snsHostBase}/_sim/confirmations`)).json()) as {
      confirmations: Array<{ topicArn: string; token: string }>;
    };
    expect(confirmations).toContainEqual({ topicArn: TOPIC, token });

    const other = await h.signer.sign({ ...m, TopicArn: "arn:aws:sns:us-east-1:123456789012:someone-else" });
    expect(await h.post(other)).toMatchObject({ status: 403, body: { error: { code: "topic_not_allowed" } } });
  });

  it("refuses with 401 and changes nothing: unsigned, tampered, expired, foreign certificate host", async () => {
    const ns = "hook-refuse";
    const h = await harness(ns);
    const fired = day(19);
    h.setNow(fired + 10_000);
    const m = await h.firing(`${ns}-prewarm`, fired);
    const tampered = { ...m, Message: m.Message.replace('"replicas":2', '"replicas":9') };
    const { Signature: _s, ...unsigned } = m;
    for (const bad of [unsigned, tampered, { ...m, SigningCertURL: "https://evil.example.com/SimpleNotificationService-x.pem" }]) {
      expect(await h.post(bad)).toMatchObject({ status: 401, body: { error: { code: "invalid_signature" } } });
    }
    h.setNow(fired + 2 * 3_600_000);
    expect((await h.post(m)).status).toBe(401);
    expect(await h.hf.mutations()).toEqual([]);
    expect(await actionsOfDay(env.DB, "2026-03-19")).toEqual([]);
  });

  it("holds a command whose schedule the policy no longer has", async () => {
    const ns = "hook-stale";
    const h = await harness(ns);
    const fired = day(20);
    h.setNow(fired + 10_000);
    const m = await h.firing(`${ns}-prewarm`, fired);
    const renamed = await h.signer.sign({ ...m, Message: m.Message.replace(`"${ns}-prewarm"`, '"gone"') });
    expect((await h.post(renamed)).body).toMatchObject({ outcome: "held", reason: expect.stringContaining("not in the policy") });
  });

  it("rejects a verified notification that is not a scheduled command with 400", async () => {
    const h = await harness("hook-junk");
    h.setNow(day(23));
    const m = await h.signer.sign({
      Type: "Notification",
      MessageId: crypto.randomUUID(),
      TopicArn: TOPIC,
      Message: "hello",
      Timestamp: new Date(day(23)).toISOString(),
    });
    expect(await h.post(m)).toMatchObject({ status: 400, body: { error: { code: "invalid_command" } } });
  });
});
