// Policy sections for human control: who may steer (overrides, Slack users) and which ladder
// levels wait for a person's approval. (Who may read is `status`, in status.ts.)
import * as z from "zod";

/** A Slack member id, e.g. U2CERLKJA or W012A3CDE. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

export const overridesPolicySchema = z
  .object({
    max_duration_hours: z
      .number()
      .positive()
      .max(24 * 14)
      .default(24)
      .describe("longest an override may last; a request asking for more is refused with a 400 naming `duration` or `until`"),
    slack_users: z
      .array(z.string().regex(SLACK_USER_ID, "a Slack member id such as U2CERLKJA"))
      .default([])
      .describe(
        "Slack member ids (U2CERLKJA) allowed to suspend, resume, raise, approve, reject, snooze and restore from Slack; anyone in the workspace may run /guardrail status",
      ),
  })
  .strict()
  .default({ max_duration_hours: 24, slack_users: [] });

const approvalRuleSchema = z
  .object({
    wait_minutes: z.number().int().min(1).max(1440).describe("how long an action at this level waits for a person's answer"),
    on_timeout: z.enum(["run", "hold"]).describe("what happens when nobody answers in time: run the action, or hold it for the day"),
  })
  .strict();

export const approvalsPolicySchema = z
  .object({
    scale_down: approvalRuleSchema.nullable().default(null).describe("approval rule for caps (120 %); null acts at once"),
    reroute: approvalRuleSchema.nullable().default(null).describe("approval rule for reroutes (150 %); null acts at once"),
    shutdown: approvalRuleSchema.nullable().default(null).describe("approval rule for pauses (200 %); null acts at once"),
  })
  .strict()
  .default({ scale_down: null, reroute: null, shutdown: null });

export type ApprovalRule = z.infer<typeof approvalRuleSchema>;
export type ApprovalsPolicy = z.infer<typeof approvalsPolicySchema>;
