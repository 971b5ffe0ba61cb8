// A dead letter: a scheduled command EventBridge Scheduler could not deliver after every retry. The
// schedule's DeadLetterConfig queue (infra/aws: SchedulerDeadLetterQueue) is forwarded to the commands
// topic by an EventBridge Pipe, which publishes each SQS record as JSON (Pipes User Guide, "Amazon SQS
// as a source": messageId, body, attributes, messageAttributes, eventSource "aws:sqs", eventSourceARN).
// Scheduler's error details ride in the record's message attributes (Scheduler User Guide,
// "Configuring a dead-letter queue"; read leniently: a missing one is reported as unknown).
import * as z from "zod";
import type { Alert } from "../core/index.ts";
import { scheduledCommandSchema } from "./command.ts";

const attribute = z.object({ stringValue: z.string().optional() }).passthrough();

const sqsRecordSchema = z
  .object({
    messageId: z.string().min(1).max(200),
    body: z.string(),
    eventSource: z.literal("aws:sqs"),
    eventSourceARN: z.string().optional(),
    messageAttributes: z.record(z.string(), attribute).optional(),
  })
  .passthrough();

export interface DeadLetter {
  messageId: string;
  queue: string | null;
  schedule: string | null;
  endpoint: string | null;
  scheduledTime: string | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** The dead letter in an SNS message, or null when the message is not one (it may be a command). */
export function parseDeadLetter(message: string): DeadLetter | null {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return null;
  }
  const record = sqsRecordSchema.safeParse(Array.isArray(json) ? json[0] : json);
  if (!record.success) return null;
  const r = record.data;
  let command: z.infer<typeof scheduledCommandSchema> | null = null;
  try {
    const parsed = scheduledCommandSchema.safeParse(JSON.parse(r.body));
    command = parsed.success ? parsed.data : null;
  } catch {
    command = null;
  }
  const attr = (name: string) => r.messageAttributes?.[name]?.stringValue?.slice(0, 500) ?? null;
  return {
    messageId: r.messageId,
    queue: r.eventSourceARN ?? null,
    schedule: command?.schedule ?? null,
    endpoint: command?.endpoint ?? null,
    scheduledTime: command?.scheduled_time ?? null,
    errorCode: attr("ERROR_CODE"),
    errorMessage: attr("ERROR_MESSAGE"),
  };
}

/** The alert a dead letter raises (an event: once per dead letter). */
export function deadLetterAlert(d: DeadLetter): Alert {
  const what = d.schedule ? `schedule ${d.schedule}` : "a schedule";
  const error = [d.errorCode, d.errorMessage].filter(Boolean).join(": ") || "error not given";
  return {
    kind: "schedule_dead_letter",
    severity: "critical",
    endpoint: d.endpoint,
    dedupKey: `schedule_dead_letter:${d.messageId}`,
    title: `Scheduled scale of ${d.endpoint ?? "an endpoint"} never ran: ${what} failed every retry`,
    message:
      `EventBridge Scheduler gave up on ${what}${d.scheduledTime ? ` fired at ${d.scheduledTime}` : ""} (${error}) and put it on the ` +
      "dead-letter queue. The endpoint was not scaled: scale it by hand if it still should be, then check the Scheduler role " +
      "may publish to the commands topic.",
    figures: { schedule: d.schedule, scheduled_time: d.scheduledTime, error_code: d.errorCode, queue: d.queue },
  };
}
