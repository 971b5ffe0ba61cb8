// What EventBridge Scheduler should hold for a policy: one schedule per entry in the guardrail's
// group, its cron translated to Scheduler's syntax, evaluated in the entry's time zone (so 08:00
// stays 08:00 local across daylight-saving changes), targeting the commands topic.
import type { Policy, ScheduleEntry } from "../policy/index.ts";
import { type CronSpec, parseCron } from "../policy/index.ts";
import { commandTemplate } from "./command.ts";

export interface DesiredSchedule {
  name: string;
  group: string;
  endpoint: string;
  cron: CronSpec;
  expression: string;
  timezone: string;
  state: "ENABLED" | "DISABLED";
  description: string;
  target: {
    arn: string;
    roleArn: string;
    input: string;
    /** Scheduler gives up on a fire older than this: the Worker would hold it anyway */
    maximumEventAgeInSeconds: number;
    maximumRetryAttempts: number;
    /** SQS queue for fires that failed every retry (Target.DeadLetterConfig.Arn); null: none */
    deadLetterArn: string | null;
  };
}

export const RETRY_ATTEMPTS = 3;

export const entryTimezone = (policy: Policy, e: ScheduleEntry): string =>
  e.timezone ?? policy.schedules.timezone ?? policy.budget.timezone;

/** Region of the Scheduler: the policy's, else the commands topic's (arn:aws:sns:REGION:...). */
export function schedulerRegion(policy: Policy): string | null {
  return policy.schedules.region ?? policy.schedules.commands_topic_arn?.split(":")[3] ?? null;
}

export function describeEntry(e: ScheduleEntry, tz: string): string {
  const max = e.max_replicas === undefined ? "" : `, max ${e.max_replicas}`;
  return `budget-guardrail: ${e.endpoint} min ${e.replicas} replica(s)${max} at "${e.cron}" ${tz}`.slice(0, 512);
}

/** Throws only on a policy that did not pass validation (entries need the ARNs and a valid cron). */
export function desiredSchedules(policy: Policy): DesiredSchedule[] {
  const s = policy.schedules;
  if (s.entries.length === 0) return [];
  if (s.commands_topic_arn === null || s.role_arn === null) throw new Error("schedules need commands_topic_arn and role_arn");
  const topic = s.commands_topic_arn;
  const role = s.role_arn;
  return s.entries.map((e) => {
    const cron = parseCron(e.cron);
    if (!cron.ok) throw new Error(`schedule ${e.name}: ${cron.error}`);
    const tz = entryTimezone(policy, e);
    return {
      name: e.name,
      group: s.group,
      endpoint: e.endpoint,
      cron: cron.spec,
      expression: cron.spec.aws,
      timezone: tz,
      state: e.enabled ? "ENABLED" : "DISABLED",
      description: describeEntry(e, tz),
      target: {
        arn: topic,
        roleArn: role,
        input: commandTemplate({
          group: s.group,
          schedule: e.name,
          endpoint: e.endpoint,
          replicas: e.replicas,
          max_replicas: e.max_replicas ?? null,
          scale_to_zero_timeout_minutes: e.scale_to_zero_timeout_minutes,
          cron: cron.spec.source,
          timezone: tz,
        }),
        maximumEventAgeInSeconds: Math.min(86_400, Math.max(60, s.max_delay_minutes * 60)),
        maximumRetryAttempts: RETRY_ATTEMPTS,
        deadLetterArn: s.dead_letter_arn,
      },
    };
  });
}
