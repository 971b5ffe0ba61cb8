// AWS SNS: a notice as a Publish (subject, MessageStructure json with the full JSON for HTTP/Lambda/SQS
// subscribers and short texts for email and SMS, message attributes for subscription filter policies),
// sent with @aws-sdk/client-sns. Inside workerd this needs the XML-parser alias in wrangler.toml (see
// aws-xml-builder.js), or the SDK throws after SNS has already accepted the message.
import { PublishCommand, type PublishCommandInput, SNSClient } from "@aws-sdk/client-sns";
import { budgetOf, figureLines, headline, type NoticeBody } from "./notice.ts";
import type { SendOutcome } from "./slack.ts";

/** Errors where sending the same request again cannot help (SNS codes and the SDK's exception names for them). */
const INVALID_REQUEST = /^(InvalidParameter|InvalidParameterValue|ParameterValueInvalid|Validation)(Exception|Error)?$/;

/**
 * Sender faults: the topic, its access policy, the credentials or the topic's KMS key are wrong, so no
 * Publish to this target can succeed until a person fixes it (SNS API Reference, Publish, "Errors":
 * NotFound 404, AuthorizationError 403, KMSAccessDenied / KMSDisabled / KMSInvalidState / KMSNotFound /
 * KMSOptInRequired 400, InvalidSecurity 403; plus the STS/IAM credential errors every AWS API returns).
 * KMSThrottling is not among them: it passes.
 */
const SENDER_FAULT =
  /^(NotFound|AuthorizationError|KMSAccessDenied|KMSDisabled|KMSInvalidState|KMSNotFound|KMSOptInRequired|InvalidSecurity|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch)(Exception)?$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: SNS subjects may not hold control characters
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** SNS: "UTF-8 text with no line breaks or control characters, and less than 100 characters long". */
export function snsSubject(b: NoticeBody): string {
  const s = `[${headline(b)}] ${b.title}`.replace(CONTROL, " ").trim();
  return [...s].length < 100 ? s : `${[...s].slice(0, 98).join("")}…`;
}

/** Plain text for email subscribers. */
export function emailText(b: NoticeBody): string {
  const lines = [`${headline(b)}: ${b.title}`, "", b.message, ""];
  for (const [k, v] of figureLines(b.figures)) lines.push(`${k}: ${v}`);
  if (b.actions.length > 0)
    lines.push("", "What the guardrail did:", ...b.actions.map((a) => `- ${a.title}${a.status === "failed" ? " (failed)" : ""}`));
  lines.push("", `Kind: ${b.kind}`, `Endpoint: ${b.endpoint ?? (budgetOf(b) ? "the budget's endpoints" : "whole fleet")}`);
  if (b.budget_day) lines.push(`Budget day: ${b.budget_day}`);
  lines.push(`At: ${b.at}`);
  if (b.links.status) lines.push(`Status: ${b.links.status}`);
  if (b.links.event) lines.push(`Event: ${b.links.event}`);
  return lines.join("\n");
}

/** A short text for SMS (140 bytes of ASCII fit in one message). */
export function smsText(b: NoticeBody): string {
  const s = `${headline(b)}: ${b.title}`.replace(CONTROL, " ");
  return s.length <= 140 ? s : `${s.slice(0, 137)}...`;
}

/** FIFO topics need a group id and a deduplication id (up to 128 of a-z, A-Z, 0-9 and punctuation). */
const dedupId = (key: string) => key.replace(/[^A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, "_").slice(0, 128);

export function renderSns(b: NoticeBody, topicArn: string, noticeKey: string): PublishCommandInput {
  const input: PublishCommandInput = {
    TopicArn: topicArn,
    Subject: snsSubject(b),
    MessageStructure: "json",
    // "default" goes to every protocol not named: HTTP(S), Lambda, SQS, email-json, Firehose get the full JSON.
    Message: JSON.stringify({ default: JSON.stringify(b), email: emailText(b), sms: smsText(b) }),
    MessageAttributes: {
      severity: { DataType: "String", StringValue: b.severity },
      kind: { DataType: "String", StringValue: b.kind },
      // Attribute values may not be empty; "fleet" cannot clash with an endpoint (those are namespace/name).
      endpoint: { DataType: "String", StringValue: b.endpoint ?? "fleet" },
      notice: { DataType: "String", StringValue: b.notice },
    },
  };
  // The named budget an alert is about (`figures.budget`, a slug, never empty), for filter policies such as
  // {"budget": ["search"]}; absent on alerts about no named budget. Publish takes up to 10 attributes, each
  // a name, a DataType and a non-empty value (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html,
  // https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
  const budget = budgetOf(b);
  if (budget !== null && input.MessageAttributes) input.MessageAttributes.budget = { DataType: "String", StringValue: budget };
  if (topicArn.endsWith(".fifo")) {
    input.MessageGroupId = "budget-guardrail";
    input.MessageDeduplicationId = dedupId(noticeKey);
  }
  return input;
}

export interface SnsTarget {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** AWS_ENDPOINT_URL_SNS: a local server instead of https://sns.<region>.amazonaws.com */
  endpoint?: string | undefined;
}

// One client per isolate and target: building one is not free and it holds no per-request state.
const clients = new Map<string, SNSClient>();

function clientFor(t: SnsTarget): SNSClient {
  const key = JSON.stringify([t.region, t.endpoint ?? "", t.accessKeyId, t.secretAccessKey]);
  let client = clients.get(key);
  if (!client) {
    client = new SNSClient({
      region: t.region,
      credentials: { accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey },
      ...(t.endpoint ? { endpoint: t.endpoint } : {}),
      // The outbox retries on later ticks with backoff; one request per send keeps subrequests predictable.
      maxAttempts: 1,
      requestHandler: { requestTimeout: 10_000 },
    });
    if (clients.size > 8) clients.clear();
    clients.set(key, client);
  }
  return client;
}

export async function publishToSns(target: SnsTarget, input: PublishCommandInput): Promise<SendOutcome> {
  try {
    const out = await clientFor(target).send(new PublishCommand(input));
    return { ok: true, id: out.MessageId ?? null };
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? "Error";
    const permanent = SENDER_FAULT.test(name);
    return {
      ok: false,
      retry: !INVALID_REQUEST.test(name) && !permanent,
      ...(permanent ? { permanent } : {}),
      error: `SNS ${name}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`.slice(0, 500),
    };
  }
}
