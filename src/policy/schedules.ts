// The `schedules` section of the policy: predictive schedules (pre-warm before the business
// morning, scale down at lunch and in the evening) that EventBridge Scheduler fires in a time
// zone, and the AWS resources they use. Synced with `npm run schedules`; executed by the Worker
// when the commands topic delivers them to POST /v1/hooks/sns.
import * as z from "zod";
import { parseCron } from "./cron.ts";
import { ENDPOINT_KEY, isTimeZone } from "./primitives.ts";

/** EventBridge Scheduler's name rule for schedules and groups. */
const SCHEDULER_NAME = /^[0-9A-Za-z_.-]{1,64}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

const timeZone = z.string().refine(isTimeZone, { message: "not an IANA time zone (for example Europe/Paris, America/New_York, UTC)" });

export const scheduleEntrySchema = z
  .object({
    name: z
      .string()
      .regex(SCHEDULER_NAME, "1-64 letters, digits, '-', '_' or '.' (EventBridge Scheduler's rule)")
      .describe(
        "the schedule's name in the group (1-64 of A-Za-z0-9-_.), unique; renaming an entry deletes the old schedule on prune and creates a new one",
      ),
    endpoint: z.string().regex(ENDPOINT_KEY, 'expected "namespace/name"').describe("the endpoint the schedule scales"),
    cron: z
      .string()
      .superRefine((c, ctx) => {
        const r = parseCron(c);
        if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
      })
      .describe('Unix cron, five fields, in the entry\'s time zone: "0 8 * * 1-5" is 08:00 Monday to Friday'),
    timezone: timeZone.optional().describe("IANA time zone of the cron; defaults to schedules.timezone, then budget.timezone"),
    replicas: z
      .number()
      .int()
      .min(0)
      .describe("minReplica to set: replicas kept warm from the fire time; 0 lets the endpoint scale to zero when idle"),
    max_replicas: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("maxReplica to set; by default maxReplica is left as it is (raised to `replicas` if lower)"),
    scale_to_zero_timeout_minutes: z
      .number()
      .int()
      .min(1)
      .default(15)
      .describe("with replicas 0: idle minutes before HF scales the endpoint to zero"),
    enabled: z.boolean().default(true).describe("false keeps the schedule in AWS but DISABLED"),
  })
  .strict()
  .refine((e) => e.max_replicas === undefined || e.max_replicas >= e.replicas, {
    message: "max_replicas must be at least replicas",
    path: ["max_replicas"],
  });

export const schedulesSchema = z
  .object({
    group: z
      .string()
      .regex(SCHEDULER_NAME, "1-64 letters, digits, '-', '_' or '.'")
      .default("budget-guardrail")
      .describe("the EventBridge Scheduler schedule group the guardrail owns; prune deletes schedules in it that the policy lacks"),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1")
      .optional()
      .describe("AWS region of the Scheduler; defaults to the commands topic's region"),
    commands_topic_arn: z
      .string()
      .regex(TOPIC_ARN, "an SNS topic ARN, arn:aws:sns:<region>:<account>:<name>")
      .nullable()
      .default(null)
      .describe(
        "SNS topic the schedules publish to, and the only topic POST /v1/hooks/sns accepts (stack output CommandsTopicArn); required when there are entries",
      ),
    role_arn: z
      .string()
      .regex(ROLE_ARN, "an IAM role ARN, arn:aws:iam::<account>:role/<name>")
      .nullable()
      .default(null)
      .describe(
        "execution role Scheduler assumes to publish to the commands topic (stack output SchedulerRoleArn of infra/aws); required when there are entries",
      ),
    dead_letter_arn: z
      .string()
      .regex(/^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+$/, "an SQS queue ARN, arn:aws:sqs:<region>:<account>:<name>")
      .nullable()
      .default(null)
      .describe(
        "SQS queue Scheduler sends a fire to once every retry failed (stack output SchedulerDeadLetterQueueArn of infra/aws); each dead letter becomes a schedule_dead_letter alert",
      ),
    timezone: timeZone.optional().describe("default IANA time zone of the entries; defaults to budget.timezone"),
    max_delay_minutes: z
      .number()
      .int()
      .min(1)
      .default(15)
      .describe("a command delivered later than this after its fire time is held, not executed; also Scheduler's maximum event age"),
    sync_from_worker: z
      .boolean()
      .default(false)
      .describe("the first tick after the policy changes syncs the schedules (apply, then prune) from the Worker"),
    entries: z.array(scheduleEntrySchema).default([]).describe("the predictive schedules"),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    for (const [i, e] of s.entries.entries()) {
      if (seen.has(e.name)) ctx.addIssue({ code: "custom", path: ["entries", i, "name"], message: `duplicate schedule name "${e.name}"` });
      seen.add(e.name);
    }
    if (s.entries.length > 0) {
      if (s.commands_topic_arn === null) {
        ctx.addIssue({ code: "custom", path: ["commands_topic_arn"], message: "required when there are entries" });
      }
      if (s.role_arn === null) ctx.addIssue({ code: "custom", path: ["role_arn"], message: "required when there are entries" });
    }
  });

export type SchedulesPolicy = z.infer<typeof schedulesSchema>;

/** The section when the policy leaves it out: no schedules. */
export const schedulesDefault = (): SchedulesPolicy => ({
  group: "budget-guardrail",
  commands_topic_arn: null,
  role_arn: null,
  dead_letter_arn: null,
  max_delay_minutes: 15,
  sync_from_worker: false,
  entries: [],
});

export type ScheduleEntry = z.infer<typeof scheduleEntrySchema>;
