// The sync run from the Worker after a tick (schedules.sync_from_worker): once per desired state,
// retried after a failure, alerted; and wired into the real scheduled handler.

import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { GetScheduleCommand } from "@aws-sdk/client-scheduler";
import { describe, expect, inject, it, vi } from "vitest";
import worker from "../../handlers/worker.ts";
import { type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { syncFromWorker } from "../../src/schedule/index.ts";
import { lastScheduleSync, listEvents, recentTicks } from "../../src/store/index.ts";
import { emulatorAdmin } from "../fixtures/emulator-admin.ts";
import { schedulerAdmin, TEST_CREDENTIALS, testSchedulerClient } from "../fixtures/scheduler-admin.ts";

const base = inject("schedulerBase");
const client = testSchedulerClient(base);

function input(group: string, over: Record<string, unknown> = {}, ns = "sync-ns"): PolicyInput {
  return {
    mode: "enforce",
    budget: { daily_usd: 100, timezone: "Europe/Paris" },
    hf: { namespaces: [ns] },
    schedules: {
      group,
      sync_from_worker: true,
      commands_topic_arn: "arn:aws:sns:eu-west-1:123456789012:guardrail-commands",
      role_arn: "arn:aws:iam::123456789012:role/guardrail-scheduler",
      entries: [{ name: "warm", endpoint: `${ns}/llm`, cron: "0 8 * * 1-5", replicas: 2 }],
      ...over,
    },
  };
}
function policy(i: PolicyInput) {
  const r = validatePolicy(i);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

describe("schedule sync from the Worker", () => {
  it("syncs a new desired state once; the next ticks do nothing until the policy changes", async () => {
    const group = "wsync-once";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    const p = policy(input(group));
    const first = await syncFromWorker({ db: env.DB, policy: p, now: 1_000, client });
    expect(first).toMatchObject({ outcome: "done", summary: "created the group; created warm" });
    expect(await syncFromWorker({ db: env.DB, policy: p, now: 61_000, client })).toEqual({ outcome: "unchanged" });
    expect(await admin.writes()).toEqual(["CreateScheduleGroup", "CreateSchedule warm"]);

    const changed = policy(input(group, { entries: [{ name: "warm", endpoint: "sync-ns/llm", cron: "30 7 * * 1-5", replicas: 2 }] }));
    expect(await syncFromWorker({ db: env.DB, policy: changed, now: 121_000, client })).toMatchObject({
      outcome: "done",
      summary: "updated warm",
    });
    const [event] = await listEvents(env.DB, { kind: "schedule_sync", limit: 1 });
    expect(event).toMatchObject({ type: "action", title: `Synced the schedules of group ${group}`, message: "updated warm" });
  });

  it("records a failed sync with a schedule_sync_failed alert and retries it on a later tick", async () => {
    const group = "wsync-retry";
    await schedulerAdmin(base, group).reset();
    const p = policy(input(group));
    const failed = await syncFromWorker({ db: env.DB, policy: p, now: 200_000, client: null });
    expect(failed).toMatchObject({ outcome: "failed" });
    const [alert] = await listEvents(env.DB, { kind: "schedule_sync_failed", limit: 1 });
    expect(alert?.message).toContain("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set");
    expect(await syncFromWorker({ db: env.DB, policy: p, now: 260_000, client })).toMatchObject({ outcome: "done" });
    expect(await lastScheduleSync(env.DB)).toMatchObject({ status: "done", attempts: 2, error: null });
  });

  it("does nothing when sync_from_worker is off", async () => {
    const p = policy(input("wsync-off", { sync_from_worker: false }));
    expect(await syncFromWorker({ db: env.DB, policy: p, now: 3_000, client })).toEqual({ outcome: "disabled" });
  });

  it("runs after the tick in the Worker's scheduled handler, with the Worker's credentials and endpoint override", async () => {
    const group = "wsync-handler";
    const ns = "wsync-handler";
    await schedulerAdmin(base, group).reset();
    await emulatorAdmin(inject("hfBase"), ns).reset([
      { name: "llm", instanceType: "nvidia-a10g", instanceSize: "x1", minReplica: 1, maxReplica: 2, replicas: 1 },
    ]);
    const workerEnv = {
      ...env,
      GUARDRAIL_POLICY: JSON.stringify(input(group, {}, ns)),
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SCHEDULER: base,
    };
    // The Scheduler's requests, counted where they leave the Worker; and the log lines.
    const realFetch = globalThis.fetch;
    let sent = 0;
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      if (url.startsWith(base)) sent++;
      return realFetch(input, init);
    });
    const logged: unknown[] = [];
    const logSpy = vi.spyOn(console, "log").mockImplementation((line) => void logged.push(line));
    try {
      await worker.scheduled(createScheduledController({ scheduledTime: Date.UTC(2026, 2, 9, 7), cron: "* * * * *" }), workerEnv);
    } finally {
      fetchSpy.mockRestore();
      logSpy.mockRestore();
    }
    const s = await client.send(new GetScheduleCommand({ Name: "warm", GroupName: group }));
    expect(s).toMatchObject({ ScheduleExpression: "cron(0 8 ? * MON-FRI *)", ScheduleExpressionTimezone: "Europe/Paris" });
    // Its subrequests count against the invocation's limit with the tick's: both are in its log line and event.
    const lines = logged.map((l) => JSON.parse(String(l)) as Record<string, unknown>);
    const tick = lines.find((l) => l.event === "tick");
    const sync = lines.find((l) => l.event === "schedule_sync");
    expect(sent).toBeGreaterThan(0);
    expect(sync).toMatchObject({ outcome: "done", subrequests: sent });
    expect(sync?.invocation_subrequests).toBeGreaterThan(sent); // the tick listed the namespace first
    expect(tick).toBeDefined();
    const [event] = (await listEvents(env.DB, { limit: 50 })).filter((e) => e.kind === "schedule_sync" && e.title.includes(group));
    expect(event?.data).toMatchObject({ subrequests: sent });
    // The tick's row, as /v1/status shows it, counts the invocation's subrequests: the tick's and the sync's.
    const [row] = await recentTicks(env.DB, 1);
    expect(row?.subrequests).toBe(sync?.invocation_subrequests);
  });
});
