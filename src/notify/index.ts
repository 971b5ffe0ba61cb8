// Public surface of notify: the notifier the tick calls once after recording its events, the channel
// overview for /v1/status, and the renderers (for tests and docs).
import { type AlertsPolicy, DEFAULT_ALERTS, snsRegion } from "../policy/index.ts";
import { deliveryOverview, loadChannelFaults } from "../store/index.ts";
import { redact } from "./notice.ts";
import { type ChannelSender, type OutboxInput, type OutboxReport, runOutbox, type Senders, targetHash } from "./outbox.ts";
import { postToSlack, renderSlack } from "./slack.ts";
import { publishToSns, renderSns } from "./sns.ts";

export { isCondition, trackConditions } from "./conditions.ts";
export { type NoticeBody, noticeFromEvent, redact } from "./notice.ts";
export { backoffMs, type OutboxReport, QUEUE_WITHIN_MS, routesFor, SUBREQUEST_CEILING } from "./outbox.ts";
export { postToSlack, renderSlack, type SlackMessage } from "./slack.ts";
export {
  ACTION_IDS,
  type AlertRef,
  alertButtons,
  approvalButtons,
  type InteractionPayload,
  interactionPayload,
  isGuardrailAction,
  type SlackButton,
  snoozeValue,
} from "./slack-buttons.ts";
export { emailText, publishToSns, renderSns, smsText, snsSubject } from "./sns.ts";

/** What the Worker's environment provides: secrets and the optional local SNS endpoint. */
export interface NotifySecrets {
  SLACK_WEBHOOK_URL?: string | undefined;
  /** set when the Slack app takes button presses (POST /slack/interactions): alerts then carry the control buttons */
  SLACK_SIGNING_SECRET?: string | undefined;
  AWS_ACCESS_KEY_ID?: string | undefined;
  AWS_SECRET_ACCESS_KEY?: string | undefined;
  AWS_ENDPOINT_URL_SNS?: string | undefined;
}

export interface NotifierOptions {
  secrets: NotifySecrets;
  /** other values that must never appear in a message (HF_TOKEN, ...) */
  alsoSecret?: ReadonlyArray<string | undefined>;
  fetch?: typeof fetch;
  /** called once per outbound request (Slack POST, SNS Publish), for the tick's subrequest count */
  onRequest?: () => void;
  log?: (entry: NotifyLogEntry) => void;
}

export type NotifyLogEntry =
  | ({ event: "notify" } & Omit<OutboxReport, "failures" | "misconfigured">)
  | { event: "channel_misconfigured"; channel: string }
  | { event: "delivery_failed"; channel: string; kind: string; title: string; error: string; final: boolean }
  | { event: "notify_error"; message: string };

export type TickNotification = Omit<OutboxInput, "policy"> & {
  /** the policy's alerts section; null when the policy is invalid (then the defaults route the alert saying so) */
  policy: AlertsPolicy | null;
};

export interface Notifier {
  /** Never throws: a storage or channel failure is logged, and what was not sent is retried next tick. */
  afterTick(n: TickNotification): Promise<OutboxReport | null>;
}

export interface ChannelState {
  enabled: boolean;
  severities: string[];
  /** what is missing, in words a person can act on */
  problem: string | null;
  target?: string | null;
}

/** Which channels are on, and what stops the others (for /v1/status and the notifier). */
export function channelStates(secrets: NotifySecrets, policy: AlertsPolicy): { slack: ChannelState; sns: ChannelState } {
  const slackUrl = secrets.SLACK_WEBHOOK_URL?.trim();
  const slackProblem = !slackUrl
    ? "SLACK_WEBHOOK_URL is not set: run `wrangler secret put SLACK_WEBHOOK_URL`"
    : !URL.canParse(slackUrl)
      ? "SLACK_WEBHOOK_URL is not a URL"
      : null;
  const topic = policy.sns.topic_arn;
  const creds = Boolean(secrets.AWS_ACCESS_KEY_ID && secrets.AWS_SECRET_ACCESS_KEY);
  const snsProblem = !topic
    ? "alerts.sns.topic_arn is not set in the policy"
    : !creds
      ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set (wrangler secret put ...)"
      : secrets.AWS_ENDPOINT_URL_SNS && !URL.canParse(secrets.AWS_ENDPOINT_URL_SNS)
        ? "AWS_ENDPOINT_URL_SNS is not a URL"
        : null;
  return {
    slack: {
      enabled: slackProblem === null && policy.slack.severities.length > 0,
      severities: policy.slack.severities,
      problem: slackProblem,
    },
    sns: {
      // A topic without credentials still gets deliveries: they fail visibly (/v1/status) instead of silently.
      enabled: Boolean(topic) && policy.sns.severities.length > 0,
      severities: policy.sns.severities,
      problem: snsProblem,
      target: topic,
    },
  };
}

/**
 * What an SNS fault is tied to (only its hash is stored): the topic, and the access key and endpoint it is
 * published with, so new credentials count as a new configuration and are tried at once.
 */
const snsTarget = (topic: string, secrets: NotifySecrets) =>
  [topic, secrets.AWS_ACCESS_KEY_ID?.trim() ?? "", secrets.AWS_ENDPOINT_URL_SNS?.trim() ?? ""].join("\n");

function senders(opts: NotifierOptions, policy: AlertsPolicy): Senders {
  const out: Senders = {};
  const count = <T>(p: () => Promise<T>) => {
    opts.onRequest?.();
    return p();
  };
  const states = channelStates(opts.secrets, policy);
  const webhook = opts.secrets.SLACK_WEBHOOK_URL?.trim();
  const fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
  if (states.slack.enabled && webhook) {
    const controls = Boolean(opts.secrets.SLACK_SIGNING_SECRET?.trim());
    out.slack = { target: webhook, send: (body) => count(() => postToSlack(webhook, renderSlack(body, { controls }), fetchFn)) };
  }
  const topic = policy.sns.topic_arn;
  const region = snsRegion(policy);
  if (states.sns.enabled && topic && region) {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_ENDPOINT_URL_SNS: endpoint } = opts.secrets;
    const sns: ChannelSender =
      accessKeyId && secretAccessKey
        ? {
            target: snsTarget(topic, opts.secrets),
            send: (body, key) => count(() => publishToSns({ region, accessKeyId, secretAccessKey, endpoint }, renderSns(body, topic, key))),
          }
        : {
            target: snsTarget(topic, opts.secrets),
            send: async () => ({ ok: false, retry: true, error: states.sns.problem ?? "AWS credentials missing" }),
          };
    out.sns = sns;
  }
  return out;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const secretValues = [
    opts.secrets.SLACK_WEBHOOK_URL,
    opts.secrets.AWS_ACCESS_KEY_ID,
    opts.secrets.AWS_SECRET_ACCESS_KEY,
    ...(opts.alsoSecret ?? []),
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
  const log = opts.log ?? (() => {});
  return {
    async afterTick(n) {
      const policy = n.policy ?? DEFAULT_ALERTS;
      try {
        const report = await runOutbox({ ...n, policy }, senders(opts, policy), secretValues);
        const { failures, misconfigured, ...counts } = report;
        if (Object.values(counts).some((v) => v > 0)) log({ event: "notify", ...counts });
        for (const channel of misconfigured) log({ event: "channel_misconfigured", channel });
        for (const f of failures) log({ event: "delivery_failed", ...f });
        return report;
      } catch (err) {
        log({ event: "notify_error", message: redact(err instanceof Error ? err.message : String(err), secretValues) });
        return null;
      }
    },
  };
}

/** /v1/status: channels, deliveries of the last day, and the failed ones. */
export async function alertStatus(db: D1Database, secrets: NotifySecrets, policy: AlertsPolicy | null, now: number) {
  const p = policy ?? DEFAULT_ALERTS;
  const [overview, faults] = await Promise.all([deliveryOverview(db, now - 24 * 3_600_000), loadChannelFaults(db)]);
  const count = (status: string) => overview.counts.filter((c) => c.status === status).reduce((a, c) => a + c.count, 0);
  const states = channelStates(secrets, p);
  const targets = { slack: secrets.SLACK_WEBHOOK_URL?.trim() ?? "", sns: p.sns.topic_arn ? snsTarget(p.sns.topic_arn, secrets) : "" };
  // A permanent failure stands while the channel still points at the same target (see outbox.ts).
  const misconfigured = async (channel: "slack" | "sns") => {
    const f = faults.find((x) => x.channel === channel);
    if (!f || f.targetHash !== (await targetHash(targets[channel] || channel))) return null;
    return { since: new Date(f.since).toISOString(), error: f.error };
  };
  const [slackFault, snsFault] = await Promise.all([misconfigured("slack"), misconfigured("sns")]);
  return {
    channels: {
      slack: { ...states.slack, misconfigured: slackFault, ...(slackFault ? { problem: `misconfigured: ${slackFault.error}` } : {}) },
      sns: { ...states.sns, misconfigured: snsFault, ...(snsFault ? { problem: `misconfigured: ${snsFault.error}` } : {}) },
    },
    last_24h: { sent: count("sent"), pending: count("pending"), held: count("held"), failed: count("failed") },
    failed_deliveries: overview.failed.map((f) => ({
      channel: f.channel,
      notice: f.notice,
      kind: f.kind,
      severity: f.severity,
      endpoint: f.endpoint,
      title: f.title,
      attempts: f.attempts,
      error: f.error,
      queued_at: new Date(f.queuedAt).toISOString(),
      last_tried_at: new Date(f.lastTriedAt).toISOString(),
    })),
  };
}
