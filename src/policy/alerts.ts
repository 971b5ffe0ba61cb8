// The `alerts` section of the policy: where alerts go (Slack, AWS SNS), which severities each channel
// receives, how often a channel may be notified, and how undelivered notices are retried.
import * as z from "zod";

const severity = z.enum(["info", "warning", "critical"]);

/** `arn:aws:sns:<region>:<account>:<topic>` (also aws-cn / aws-us-gov partitions, FIFO topics). */
export const SNS_TOPIC_ARN = /^arn:aws(-[a-z]+)*:sns:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

const rateLimit = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .default(20)
    .describe(
      `most notices sent to ${what} per clock hour (UTC); beyond it one summary says how many were held back (escalations always go)`,
    );

const slackSchema = z
  .object({
    severities: z
      .array(severity)
      .default(["info", "warning", "critical"])
      .describe("severities sent to Slack (needs the SLACK_WEBHOOK_URL secret); [] turns Slack off"),
    rate_limit_per_hour: rateLimit("Slack"),
  })
  .strict();

const snsSchema = z
  .object({
    topic_arn: z
      .string()
      .regex(SNS_TOPIC_ARN, "expected arn:aws:sns:<region>:<12-digit account>:<topic name>")
      .nullable()
      .default(null)
      .describe("SNS topic alerts are published to (needs the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets); null turns SNS off"),
    region: z
      .string()
      .regex(AWS_REGION, "expected an AWS region such as us-east-1")
      .nullable()
      .default(null)
      .describe("AWS region of the topic; must be the region in topic_arn (SNS publishes only within a region); null takes it from there"),
    severities: z.array(severity).default(["warning", "critical"]).describe("severities published to SNS"),
    rate_limit_per_hour: rateLimit("SNS"),
  })
  .strict()
  .refine((s) => s.region === null || s.topic_arn === null || SNS_TOPIC_ARN.exec(s.topic_arn)?.[2] === s.region, {
    message: "region must be the topic's region (SNS publishes only to topics in the client's region)",
    path: ["region"],
  });

const retrySchema = z
  .object({
    max_attempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(8)
      .describe("sends per notice and channel before the delivery is marked failed (listed in /v1/status)"),
    backoff_seconds: z.number().int().min(10).default(60).describe("wait before the first retry; doubled after each failure"),
    max_backoff_seconds: z.number().int().min(10).default(3600).describe("the longest wait between two retries"),
  })
  .strict();

export const alertsSchema = z
  .object({
    public_url: z
      .url({ protocol: /^https?$/ })
      .nullable()
      .default(null)
      .describe(
        "this Worker's URL (for example https://budget-guardrail.acme.workers.dev): messages link to its status page and the event",
      ),
    slack: slackSchema.prefault({}),
    sns: snsSchema.prefault({}),
    recovery: z.boolean().default(true).describe("send one recovery notice when a condition that was alerted clears"),
    retry: retrySchema.prefault({}),
    sends_per_tick: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(10)
      .describe("most Slack/SNS requests per tick (each is a subrequest; the Free plan allows 50 per invocation)"),
  })
  .strict();

export type AlertsPolicy = z.infer<typeof alertsSchema>;

/** The section as it is when the policy leaves it out (also used when the policy itself is invalid). */
export const DEFAULT_ALERTS: AlertsPolicy = alertsSchema.parse({});

/** The region SNS calls go to: the policy's, else the topic's. */
export function snsRegion(a: AlertsPolicy): string | null {
  return a.sns.region ?? (a.sns.topic_arn ? (SNS_TOPIC_ARN.exec(a.sns.topic_arn)?.[2] ?? null) : null);
}
