// The scheduled command: the JSON a schedule publishes to the commands topic when it fires, and
// that POST /v1/hooks/sns executes. The schedule's target Input carries it with Scheduler's
// context attributes, which Scheduler replaces at each fire:
// `<aws.scheduler.scheduled-time>` (the fire time, the idempotency key with the schedule name)
// and `<aws.scheduler.execution-id>`.
import * as z from "zod";

export const COMMAND_KIND = "budget-guardrail/schedule_scale";
export const COMMAND_VERSION = 1;

/** Placeholders Scheduler substitutes in a target's Input. */
export const CONTEXT = {
  scheduledTime: "<aws.scheduler.scheduled-time>",
  executionId: "<aws.scheduler.execution-id>",
  scheduleArn: "<aws.scheduler.schedule-arn>",
  attemptNumber: "<aws.scheduler.attempt-number>",
} as const;

export const scheduledCommandSchema = z
  .object({
    kind: z.literal(COMMAND_KIND),
    version: z.literal(COMMAND_VERSION),
    group: z.string().min(1).max(64),
    schedule: z.string().min(1).max(64),
    endpoint: z.string().min(3).max(200),
    replicas: z.number().int().min(0),
    max_replicas: z.number().int().min(1).nullable(),
    scale_to_zero_timeout_minutes: z.number().int().min(1),
    cron: z.string(),
    timezone: z.string(),
    /** ISO 8601, e.g. 2026-03-09T12:00:00Z: when the schedule fired (not when it arrived) */
    scheduled_time: z.iso.datetime({ offset: true }),
    execution_id: z.string().max(200).optional(),
  })
  .strict();

export type ScheduledCommand = z.infer<typeof scheduledCommandSchema>;

/** The Input template of a schedule's target: the command with the fire time left to Scheduler. */
export function commandTemplate(c: Omit<ScheduledCommand, "kind" | "version" | "scheduled_time" | "execution_id">): string {
  // Fixed key order, so a synced schedule compares equal to the policy's.
  const command: Record<keyof ScheduledCommand, unknown> = {
    kind: COMMAND_KIND,
    version: COMMAND_VERSION,
    group: c.group,
    schedule: c.schedule,
    endpoint: c.endpoint,
    replicas: c.replicas,
    max_replicas: c.max_replicas,
    scale_to_zero_timeout_minutes: c.scale_to_zero_timeout_minutes,
    cron: c.cron,
    timezone: c.timezone,
    scheduled_time: CONTEXT.scheduledTime,
    execution_id: CONTEXT.executionId,
  };
  return JSON.stringify(command);
}

export type CommandParse = { ok: true; command: ScheduledCommand } | { ok: false; error: string };

/** Parses an SNS Message as a scheduled command; anything else is a clear error. */
export function parseCommand(message: string): CommandParse {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, error: "the message is not JSON" };
  }
  const parsed = scheduledCommandSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, error: first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "not a scheduled command" };
  }
  return { ok: true, command: parsed.data };
}
