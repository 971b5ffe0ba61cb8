// Schedule sync inside workerd with the real @aws-sdk/client-scheduler against the local
// Scheduler stand-in: plan, apply (idempotent), update in place, prune, time zones.
import { GetScheduleCommand } from "@aws-sdk/client-scheduler";
import { describe, expect, inject, it } from "vitest";
import { type Policy, type PolicyInput, validatePolicy } from "../../src/policy/index.ts";
import { applySync, desiredSchedules, isInSync, planSync, pruneSync, renderPlan } from "../../src/schedule/index.ts";
import { schedulerAdmin, testSchedulerClient } from "../fixtures/scheduler-admin.ts";

const base = inject("schedulerBase");
const client = testSchedulerClient(base);
const TOPIC = "arn:aws:sns:us-east-1:123456789012:guardrail-commands";
const ROLE = "arn:aws:iam::123456789012:role/guardrail-scheduler";

type Entries = NonNullable<NonNullable<PolicyInput["schedules"]>["entries"]>;

function policyWith(group: string, entries: Entries, over: Partial<NonNullable<PolicyInput["schedules"]>> = {}): Policy {
  const res = validatePolicy({
    budget: { daily_usd: 100, timezone: "America/New_York" },
    hf: { namespaces: ["acme"] },
    schedules: { group, commands_topic_arn: TOPIC, role_arn: ROLE, entries, ...over },
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  return res.policy;
}

const MORNING = { name: "llm-prewarm", endpoint: "acme/llm", cron: "0 8 * * 1-5", replicas: 3 };
const EVENING = { name: "llm-evening", endpoint: "acme/llm", cron: "0 18 * * 1-5", replicas: 0 };

async function sync(policy: Policy, prune = false) {
  const desired = desiredSchedules(policy);
  const plan = await planSync(client, policy.schedules.group, desired);
  const applied = await applySync(client, plan);
  const pruned = prune ? await pruneSync(client, plan) : null;
  return { plan, applied, pruned };
}

describe("schedule sync against the Scheduler JSON API", () => {
  it("creates the group and one schedule per entry, and a second apply changes nothing", async () => {
    const group = "sync-idempotent";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    const policy = policyWith(group, [MORNING, EVENING]);

    const first = await sync(policy);
    expect(first.plan.groupExists).toBe(false);
    expect(first.applied).toMatchObject({ createdGroup: true, created: ["llm-prewarm", "llm-evening"], updated: [], errors: [] });
    expect(await admin.writes()).toEqual(["CreateScheduleGroup", "CreateSchedule llm-prewarm", "CreateSchedule llm-evening"]);

    const second = await sync(policy);
    expect(isInSync(second.plan)).toBe(true);
    expect(second.plan.unchanged.map((d) => d.name)).toEqual(["llm-prewarm", "llm-evening"]);
    expect(second.applied).toMatchObject({ createdGroup: false, created: [], updated: [], errors: [] });
    expect(await admin.writes()).toHaveLength(3); // nothing written the second time
    expect(renderPlan(second.plan, Date.UTC(2026, 2, 5, 14))).toContain("in sync: nothing to do");
  });

  it("gives every schedule the dead-letter queue, and moves schedules onto it when it is added later", async () => {
    const group = "sync-dead-letter";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    const DLQ = "arn:aws:sqs:us-east-1:123456789012:guardrail-scheduler-dlq";
    await sync(policyWith(group, [MORNING]));
    const added = await sync(policyWith(group, [MORNING], { dead_letter_arn: DLQ }));
    expect(added.plan.update.map((u) => u.changes.map((c) => c.field))).toEqual([["Target.DeadLetterConfig.Arn"]]);
    const stored = await client.send(new GetScheduleCommand({ Name: "llm-prewarm", GroupName: group }));
    expect(stored.Target?.DeadLetterConfig).toEqual({ Arn: DLQ });
    expect(isInSync((await sync(policyWith(group, [MORNING], { dead_letter_arn: DLQ }))).plan)).toBe(true);
  });

  it("stores the expression in Scheduler syntax with ScheduleExpressionTimezone, so 08:00 stays local across DST", async () => {
    const group = "sync-timezone";
    await schedulerAdmin(base, group).reset();
    const policy = policyWith(group, [MORNING, { ...EVENING, timezone: "Europe/Paris" }]);
    await sync(policy);
    const morning = await client.send(new GetScheduleCommand({ Name: "llm-prewarm", GroupName: group }));
    expect(morning).toMatchObject({
      ScheduleExpression: "cron(0 8 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "America/New_York", // budget.timezone by default
      State: "ENABLED",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: TOPIC, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 900, MaximumRetryAttempts: 3 } },
    });
    const evening = await client.send(new GetScheduleCommand({ Name: "llm-evening", GroupName: group }));
    expect(evening.ScheduleExpressionTimezone).toBe("Europe/Paris");
    // The plan shows people the next fires: 08:00 New York is 13:00Z before 8 March and 12:00Z after.
    const plan = await planSync(client, group, desiredSchedules(policyWith(group, [{ ...MORNING, cron: "0 8 * * 1-5", replicas: 4 }])));
    const rendered = renderPlan(plan, Date.UTC(2026, 2, 6, 14));
    expect(rendered).toContain("~ update llm-prewarm in place");
    const inSync = await planSync(client, group, desiredSchedules(policy));
    const text = renderPlan(inSync, Date.UTC(2026, 2, 6, 14));
    expect(text).toContain("Mon, 2026-03-09, 08:00 America/New_York (2026-03-09T12:00Z)");
    expect(text).toContain("Tue, 2026-03-10, 08:00 America/New_York (2026-03-10T12:00Z)");
  });

  it("updates a changed schedule in place: UpdateSchedule, no delete, creation date kept", async () => {
    const group = "sync-update";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    await sync(policyWith(group, [MORNING, EVENING]));
    const before = await client.send(new GetScheduleCommand({ Name: "llm-prewarm", GroupName: group }));

    const changed = policyWith(group, [{ ...MORNING, cron: "30 7 * * 1-5", replicas: 4 }, EVENING]);
    const { plan, applied } = await sync(changed);
    expect(plan.update.map((u) => [u.desired.name, u.changes.map((c) => c.field)])).toEqual([
      ["llm-prewarm", ["ScheduleExpression", "Description", "Target.Input.replicas", "Target.Input.cron"]],
    ]);
    expect(applied).toMatchObject({ created: [], updated: ["llm-prewarm"], errors: [] });
    expect((await admin.writes()).slice(3)).toEqual(["UpdateSchedule llm-prewarm"]);
    const after = await client.send(new GetScheduleCommand({ Name: "llm-prewarm", GroupName: group }));
    expect(after.ScheduleExpression).toBe("cron(30 7 ? * MON-FRI *)");
    expect(JSON.parse(after.Target?.Input ?? "{}")).toMatchObject({ schedule: "llm-prewarm", replicas: 4 });
    expect(after.CreationDate).toEqual(before.CreationDate);
    expect(isInSync(await planSync(client, group, desiredSchedules(changed)))).toBe(true);
  });

  it("prune deletes schedules the policy dropped; apply alone never deletes", async () => {
    const group = "sync-prune";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    await sync(policyWith(group, [MORNING, EVENING]));

    const fewer = policyWith(group, [MORNING]);
    const applyOnly = await sync(fewer);
    expect(applyOnly.plan.prune).toEqual(["llm-evening"]);
    expect(await admin.writes()).not.toContain("DeleteSchedule llm-evening");

    const pruned = await sync(fewer, true);
    expect(pruned.pruned).toMatchObject({ deleted: ["llm-evening"], errors: [] });
    expect(await admin.writes()).toContain("DeleteSchedule llm-evening");
    const after = await planSync(client, group, desiredSchedules(fewer));
    expect(isInSync(after)).toBe(true);
    expect(after.prune).toEqual([]);
  });

  it("disables an entry in place with enabled: false", async () => {
    const group = "sync-disable";
    await schedulerAdmin(base, group).reset();
    await sync(policyWith(group, [MORNING]));
    const { applied } = await sync(policyWith(group, [{ ...MORNING, enabled: false }]));
    expect(applied.updated).toEqual(["llm-prewarm"]);
    expect((await client.send(new GetScheduleCommand({ Name: "llm-prewarm", GroupName: group }))).State).toBe("DISABLED");
  });

  it("absorbs a create race (ConflictException) by updating, and reports other failures per schedule", async () => {
    const group = "sync-errors";
    const admin = schedulerAdmin(base, group);
    await admin.reset();
    const policy = policyWith(group, [MORNING, EVENING]);
    const plan = await planSync(client, group, desiredSchedules(policy));
    // Another sync creates the morning schedule between this plan and its apply.
    await applySync(client, { ...plan, create: plan.create.slice(0, 1) });
    await admin.faults({ operation: "CreateSchedule", status: 400, type: "ValidationException", times: 1 });
    const result = await applySync(client, { ...plan, groupExists: true });
    expect(result).toMatchObject({ created: ["llm-evening"], updated: [] });
    expect(result.errors).toEqual([
      { schedule: "llm-prewarm", operation: "CreateSchedule", code: "ValidationException", message: "injected ValidationException" },
    ]);
    // The same stale plan again: both already exist, so both creates turn into updates.
    const again = await applySync(client, { ...plan, groupExists: true });
    expect(again).toMatchObject({ created: [], updated: ["llm-prewarm", "llm-evening"], errors: [] });
  });

  it("refuses a request without a SigV4 Authorization header, as AWS does", async () => {
    const res = await fetch(`${base}/schedules?ScheduleGroup=x`);
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toMatch(/^UnrecognizedClientException/);
  });
});
