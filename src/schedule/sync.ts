// Sync of the policy's schedules into EventBridge Scheduler: plan (read-only diff), apply (create
// and update in place) and prune (delete schedules of the guardrail's group that the policy no
// longer has). Every Scheduler call the guardrail makes goes through here, with the real
// @aws-sdk/client-scheduler. Expected failures (throttling, conflicts, missing rights) come back
// as values per schedule; apply twice changes nothing the second time.
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import type { DesiredSchedule } from "./desired.ts";

export type SchedulerApi = Pick<SchedulerClient, "send">;

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface SyncPlan {
  group: string;
  groupExists: boolean;
  create: DesiredSchedule[];
  update: Array<{ desired: DesiredSchedule; changes: FieldChange[] }>;
  unchanged: DesiredSchedule[];
  /** schedules in the group that the policy does not have: deleted by prune */
  prune: string[];
}

export interface SyncError {
  schedule: string | null;
  operation: string;
  code: string;
  message: string;
}

export interface SyncResult {
  createdGroup: boolean;
  created: string[];
  updated: string[];
  deleted: string[];
  errors: SyncError[];
}

const errorOf = (schedule: string | null, operation: string, err: unknown): SyncError => ({
  schedule,
  operation,
  code: err instanceof Error ? err.name : "Error",
  message: err instanceof Error ? err.message : String(err),
});

const isNamed = (err: unknown, name: string) => err instanceof Error && err.name === name;

function parseObject(text: string | undefined): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text ?? "");
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The command in the target Input, compared key by key so a plan says what changed in it. */
function inputChanges(current: string | undefined, desired: string): FieldChange[] {
  const a = parseObject(current);
  const b = parseObject(desired);
  if (a === null || b === null) return current === desired ? [] : [{ field: "Target.Input", from: current ?? null, to: desired }];
  const out: FieldChange[] = [];
  for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push({ field: `Target.Input.${k}`, from: a[k] ?? null, to: b[k] ?? null });
  }
  return out;
}

/** What differs between a schedule in Scheduler and the policy's; empty when in sync. */
export function diffSchedule(current: GetScheduleCommandOutput, d: DesiredSchedule): FieldChange[] {
  const out: FieldChange[] = [];
  const cmp = (field: string, from: unknown, to: unknown, equal = from === to) => {
    if (!equal) out.push({ field, from: from ?? null, to });
  };
  cmp("ScheduleExpression", current.ScheduleExpression, d.expression);
  cmp("ScheduleExpressionTimezone", current.ScheduleExpressionTimezone ?? "UTC", d.timezone);
  cmp("State", current.State, d.state);
  cmp("Description", current.Description, d.description);
  cmp("FlexibleTimeWindow.Mode", current.FlexibleTimeWindow?.Mode, "OFF");
  cmp("Target.Arn", current.Target?.Arn, d.target.arn);
  cmp("Target.RoleArn", current.Target?.RoleArn, d.target.roleArn);
  out.push(...inputChanges(current.Target?.Input, d.target.input));
  cmp(
    "Target.RetryPolicy.MaximumEventAgeInSeconds",
    current.Target?.RetryPolicy?.MaximumEventAgeInSeconds,
    d.target.maximumEventAgeInSeconds,
  );
  cmp("Target.RetryPolicy.MaximumRetryAttempts", current.Target?.RetryPolicy?.MaximumRetryAttempts, d.target.maximumRetryAttempts);
  // Scheduler API Reference, Target.DeadLetterConfig: { Arn } of an SQS standard queue.
  cmp("Target.DeadLetterConfig.Arn", current.Target?.DeadLetterConfig?.Arn ?? null, d.target.deadLetterArn);
  return out;
}

async function listNames(client: SchedulerApi, group: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListSchedulesCommand({ GroupName: group, NextToken: token, MaxResults: 100 }));
    for (const s of page.Schedules ?? []) if (s.Name) names.push(s.Name);
    token = page.NextToken;
  } while (token);
  return names;
}

async function groupExists(client: SchedulerApi, group: string): Promise<boolean> {
  try {
    await client.send(new GetScheduleGroupCommand({ Name: group }));
    return true;
  } catch (err) {
    if (isNamed(err, "ResourceNotFoundException")) return false;
    throw err;
  }
}

/** Reads the group and compares it with `desired`. Read-only. Throws what the SDK throws (no rights, no network). */
export async function planSync(client: SchedulerApi, group: string, desired: readonly DesiredSchedule[]): Promise<SyncPlan> {
  const plan: SyncPlan = { group, groupExists: await groupExists(client, group), create: [], update: [], unchanged: [], prune: [] };
  const existing = new Set(plan.groupExists ? await listNames(client, group) : []);
  for (const d of desired) {
    if (!existing.has(d.name)) {
      plan.create.push(d);
      continue;
    }
    const current = await client.send(new GetScheduleCommand({ Name: d.name, GroupName: group }));
    const changes = diffSchedule(current, d);
    if (changes.length > 0) plan.update.push({ desired: d, changes });
    else plan.unchanged.push(d);
  }
  const wanted = new Set(desired.map((d) => d.name));
  plan.prune = [...existing].filter((n) => !wanted.has(n)).sort();
  return plan;
}

function input(d: DesiredSchedule) {
  return {
    Name: d.name,
    GroupName: d.group,
    ScheduleExpression: d.expression,
    ScheduleExpressionTimezone: d.timezone,
    State: d.state,
    Description: d.description,
    FlexibleTimeWindow: { Mode: "OFF" as const },
    Target: {
      Arn: d.target.arn,
      RoleArn: d.target.roleArn,
      Input: d.target.input,
      RetryPolicy: { MaximumEventAgeInSeconds: d.target.maximumEventAgeInSeconds, MaximumRetryAttempts: d.target.maximumRetryAttempts },
      ...(d.target.deadLetterArn ? { DeadLetterConfig: { Arn: d.target.deadLetterArn } } : {}),
    },
  };
}

/** Creates the group if needed, then creates and updates schedules (a race with another sync is absorbed). */
export async function applySync(client: SchedulerApi, plan: SyncPlan): Promise<SyncResult> {
  const result: SyncResult = { createdGroup: false, created: [], updated: [], deleted: [], errors: [] };
  if (!plan.groupExists) {
    try {
      await client.send(new CreateScheduleGroupCommand({ Name: plan.group }));
      result.createdGroup = true;
    } catch (err) {
      if (!isNamed(err, "ConflictException")) {
        result.errors.push(errorOf(null, "CreateScheduleGroup", err));
        return result;
      }
    }
  }
  for (const d of plan.create) {
    try {
      await client.send(new CreateScheduleCommand(input(d)));
      result.created.push(d.name);
    } catch (err) {
      if (!isNamed(err, "ConflictException")) {
        result.errors.push(errorOf(d.name, "CreateSchedule", err));
        continue;
      }
      try {
        await client.send(new UpdateScheduleCommand(input(d)));
        result.updated.push(d.name);
      } catch (err2) {
        result.errors.push(errorOf(d.name, "UpdateSchedule", err2));
      }
    }
  }
  for (const { desired: d } of plan.update) {
    try {
      // UpdateSchedule replaces the whole schedule: every field is sent, as on create.
      await client.send(new UpdateScheduleCommand(input(d)));
      result.updated.push(d.name);
    } catch (err) {
      result.errors.push(errorOf(d.name, "UpdateSchedule", err));
    }
  }
  return result;
}

/** Deletes the schedules `plan.prune` names; one already gone counts as deleted. */
export async function pruneSync(client: SchedulerApi, plan: SyncPlan): Promise<SyncResult> {
  const result: SyncResult = { createdGroup: false, created: [], updated: [], deleted: [], errors: [] };
  for (const name of plan.prune) {
    try {
      await client.send(new DeleteScheduleCommand({ Name: name, GroupName: plan.group }));
      result.deleted.push(name);
    } catch (err) {
      if (isNamed(err, "ResourceNotFoundException")) result.deleted.push(name);
      else result.errors.push(errorOf(name, "DeleteSchedule", err));
    }
  }
  return result;
}

export const isInSync = (plan: SyncPlan): boolean =>
  plan.groupExists && plan.create.length === 0 && plan.update.length === 0 && plan.prune.length === 0;
