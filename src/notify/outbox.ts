// The alert outbox, run once per tick after the events are recorded:
//   1. conditions: recovery notices for alerts that cleared, "again" notices for ones that came back;
//   2. enqueue: every alert/error event without a notice gets one, with a delivery per channel its
//      severity routes to (rate limit per channel per clock hour; one summary when it is hit);
//   3. deliver: due deliveries, most severe first, bounded per tick; failures retry on later ticks with
//      exponential backoff until the attempt limit, then are marked failed (and shown in /v1/status).
// Notices and deliveries are stored before any send, so a crash loses nothing.
import type { Alert, Severity } from "../core/index.ts";
import type { AlertsPolicy } from "../policy/index.ts";
import {
  type Channel,
  type ChannelFault,
  type ClaimedDelivery,
  claimDueDeliveries,
  clearChannelFault,
  conditionsAndPending,
  type DeliveryResult,
  type EventRow,
  enqueueNotices,
  eventsWithoutNotice,
  finishDeliveries,
  heldInHour,
  hourUsage,
  loadChannelFaults,
  markChannelFault,
  type NewDelivery,
  type NewNotice,
  recordEvents,
  saveConditions,
} from "../store/index.ts";
import { FORGET_CLEARED_MS, trackConditions } from "./conditions.ts";
import { links, type NoticeBody, noticeFromEvent, redact, redactDeep, routingSeverity } from "./notice.ts";
import type { SendOutcome } from "./slack.ts";

/** Every channel the outbox delivers to. */
const CHANNELS: readonly Channel[] = ["slack", "sns"];

export const HOUR_MS = 3_600_000;
/**
 * An alert event without a notice is picked up by the next tick's outbox whatever its age (the sweep goes
 * by event id, store/outbox.ts): a tick that died between recording and queueing it, or hours with no
 * tick. Found within this long of being recorded it is sent; later, its notice is stored with its
 * deliveries failed ("expired", shown in /v1/status), since a day-old alert would mislead more than inform.
 */
export const QUEUE_WITHIN_MS = 24 * HOUR_MS;
/** Subrequests one invocation may make on the Free plan is 50; leave room for the rest of the tick. */
export const SUBREQUEST_CEILING = 45;

/** A configured channel: sends one rendered notice. */
export interface ChannelSender {
  send(body: NoticeBody, noticeKey: string): Promise<SendOutcome>;
  /** what the channel sends to (webhook URL, topic ARN): a fault found is tied to it, by hash only */
  target?: string;
}

/** SHA-256 of a channel's target, hex: a webhook URL is a secret, so only its hash is stored. */
export async function targetHash(target: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(target));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export type Senders = Partial<Record<Channel, ChannelSender>>;

export interface OutboxInput {
  db: D1Database;
  now: number;
  /** the plan's alerts this tick; null when the tick did not get that far (invalid policy): conditions stay as they are */
  alerts: readonly Alert[] | null;
  /** the plan's acked alerts (Plan.acked): conditions that hold, announced to nobody */
  acked?: readonly Alert[];
  /** the conditions acked now, with when they were acked (see conditions.ts) */
  acks?: ReadonlyMap<string, number>;
  /** endpoints observed this tick */
  observed?: readonly string[];
  /** today's spend / budget (Plan.ratio): a forecast that came true gets no recovery */
  spendRatio?: number;
  /** each named budget's ratio (BudgetState.ratio), by name: the same for its forecasts */
  budgetRatios?: ReadonlyMap<string, number>;
  /** every namespace listed and every endpoint read without error */
  complete?: boolean;
  /** the events this tick recorded (new ones only) */
  events: readonly EventRow[];
  policy: AlertsPolicy;
  /** false once the tick runs out of time: no further sends */
  inTime?: () => boolean;
  /** subrequests this invocation already made */
  subrequestsUsed?: number;
}

export interface OutboxReport {
  recoveries: number;
  again: number;
  enqueued: number;
  held: number;
  /** alerts found more than QUEUE_WITHIN_MS after they were recorded: stored, their deliveries failed */
  expired: number;
  sent: number;
  retrying: number;
  failed: number;
  failures: Array<{ channel: Channel; kind: string; title: string; error: string; final: boolean }>;
  /** channels found misconfigured by this run (a permanent failure) */
  misconfigured: Channel[];
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const hourOf = (t: number) => Math.floor(t / HOUR_MS);

/** Escalations (a budget level crossed) always notify, whatever the rate limit. */
const isEscalation = (n: NewNotice) => n.notice === "alert" && n.kind === "budget_level";

export function backoffMs(attempts: number, policy: AlertsPolicy): number {
  const { backoff_seconds: base, max_backoff_seconds: max } = policy.retry;
  return Math.min(base * 2 ** Math.max(0, attempts - 1), max) * 1000;
}

export function routesFor(severity: Severity, policy: AlertsPolicy, senders: Senders): Channel[] {
  const out: Channel[] = [];
  if (senders.slack && policy.slack.severities.includes(severity)) out.push("slack");
  if (senders.sns && policy.sns.topic_arn && policy.sns.severities.includes(severity)) out.push("sns");
  return out;
}

function rateLimitOf(channel: Channel, policy: AlertsPolicy): number {
  return channel === "slack" ? policy.slack.rate_limit_per_hour : policy.sns.rate_limit_per_hour;
}

const CHANNEL_NAME: Record<Channel, string> = { slack: "Slack", sns: "SNS" };

function summaryNotice(channel: Channel, hour: number, policy: AlertsPolicy): NewNotice {
  return {
    key: `summary:${channel}:${hour}`,
    notice: "summary",
    eventId: null,
    kind: "rate_limited",
    severity: "warning",
    endpoint: null,
    title: `${CHANNEL_NAME[channel]} rate limit reached: alerts held back until ${new Date((hour + 1) * HOUR_MS).toISOString().slice(11, 16)} UTC`,
    // The body is written when it is sent, with the count held back by then.
    body: { hour, limit: rateLimitOf(channel, policy) },
  };
}

/** A budget level alert's actions of its tick: those its budget caused (the action's event names its budget). */
function budgetActions(alert: EventRow, actions: readonly EventRow[]): EventRow[] {
  const budgetOf = (e: EventRow) => (typeof e.data.budget === "string" ? e.data.budget : null);
  return actions.filter((a) => budgetOf(a) === budgetOf(alert));
}

/** Step 2: a notice for every alert/error event that has none (`pending`, read by the caller), and its deliveries. */
async function enqueue(
  input: OutboxInput,
  senders: Senders,
  pending: readonly EventRow[],
): Promise<{ enqueued: number; held: number; expired: number }> {
  const { db, now, policy } = input;
  if (pending.length === 0) return { enqueued: 0, held: 0, expired: 0 };
  const hour = hourOf(now);
  // The hour's usage per channel (the rate limit) is read only when a notice is routed to a channel.
  const routed = pending.some((e) =>
    e.kind === "channel_misconfigured" ? CHANNELS.some((c) => senders[c]) : routesFor(routingSeverity(e), policy, senders).length > 0,
  );
  const usage = routed ? await hourUsage(db, hour) : new Map<Channel, { counted: number; summary: boolean }>();
  // A budget level alert carries the actions its tick took.
  const actionsByTick = new Map<number, EventRow[]>();
  for (const e of input.events) if (e.type === "action") actionsByTick.set(e.at, [...(actionsByTick.get(e.at) ?? []), e]);

  const notices: NewNotice[] = [];
  const deliveries: NewDelivery[] = [];
  const ordered = [...pending].sort((a, b) => RANK[routingSeverity(a)] - RANK[routingSeverity(b)] || a.id - b.id);
  let held = 0;
  let expired = 0;
  for (const e of ordered) {
    const body = noticeFromEvent(e, e.kind === "budget_level" ? budgetActions(e, actionsByTick.get(e.at) ?? []) : [], policy.public_url);
    const notice: NewNotice = {
      key: `event:${e.id}`,
      notice: body.notice,
      eventId: e.id,
      kind: e.kind,
      severity: body.severity,
      endpoint: e.endpoint,
      title: e.title,
      body,
    };
    notices.push(notice);
    // A channel found misconfigured is announced on every other channel, whatever their severities.
    const channels =
      e.kind === "channel_misconfigured"
        ? CHANNELS.filter((c) => senders[c] && c !== e.data.channel)
        : routesFor(routingSeverity(e), policy, senders);
    if (e.at < now - QUEUE_WITHIN_MS) {
      const error = `expired: recorded ${new Date(e.at).toISOString()}, not queued within ${QUEUE_WITHIN_MS / HOUR_MS} h (no tick ran the outbox since)`;
      for (const channel of channels) deliveries.push({ noticeKey: notice.key, channel, status: "failed", hour, error });
      expired++;
      continue;
    }
    for (const channel of channels) {
      const used = usage.get(channel) ?? { counted: 0, summary: false };
      usage.set(channel, used);
      if (used.counted >= rateLimitOf(channel, policy) && !isEscalation(notice)) {
        deliveries.push({ noticeKey: notice.key, channel, status: "held", hour });
        held++;
        if (!used.summary) {
          const summary = summaryNotice(channel, hour, policy);
          notices.push(summary);
          deliveries.push({ noticeKey: summary.key, channel, status: "pending", hour });
          used.summary = true;
        }
        continue;
      }
      used.counted++;
      deliveries.push({ noticeKey: notice.key, channel, status: "pending", hour });
    }
  }
  await enqueueNotices(db, notices, deliveries, now);
  return { enqueued: pending.length, held, expired };
}

async function summaryBody(db: D1Database, d: ClaimedDelivery, policy: AlertsPolicy): Promise<NoticeBody> {
  const { count, titles } = await heldInHour(db, d.channel, d.hour);
  const limit = rateLimitOf(d.channel, policy);
  const resume = new Date((d.hour + 1) * HOUR_MS).toISOString().slice(11, 16);
  const shown = titles.slice(0, 10).map((t) => `- ${t}`);
  if (titles.length > 10) shown.push(`- … and ${titles.length - 10} more`);
  return {
    source: "budget-guardrail",
    version: 1,
    notice: "summary",
    kind: "rate_limited",
    severity: "warning",
    endpoint: null,
    title: d.notice.title,
    message:
      `${limit} notices went to ${CHANNEL_NAME[d.channel]} this hour, the policy's limit (alerts.${d.channel}.rate_limit_per_hour). ` +
      `${count} more ${count === 1 ? "was" : "were"} held back so far; later ones until ${resume} UTC are held too ` +
      `(budget level escalations still go). Every alert is in the timeline (/v1/events).` +
      (shown.length ? `\n${shown.join("\n")}` : ""),
    budget_day: null,
    at: new Date(d.notice.createdAt).toISOString(),
    event_id: null,
    dedup_key: null,
    figures: { held: count, limit_per_hour: limit },
    actions: [],
    resolves: null,
    links: links(policy.public_url, null),
  };
}

const CHANNEL_FIX: Record<Channel, string> = {
  slack:
    "The webhook was revoked or its channel archived or deleted: create a new incoming webhook and `wrangler secret put SLACK_WEBHOOK_URL`.",
  sns: "Check alerts.sns.topic_arn exists, the topic policy lets the guardrail's IAM user publish, and the topic's KMS key is enabled and usable by it.",
};

/** A permanent failure: mark the channel, fail what waits for it, and raise an alert for the other channel. */
async function channelFailed(input: OutboxInput, channel: Channel, sender: ChannelSender, error: string): Promise<boolean> {
  const { db, now } = input;
  const hash = await targetHash(sender.target ?? channel);
  return markChannelFault(db, { channel, targetHash: hash, error, since: now }, now, {
    at: now,
    type: "alert",
    kind: "channel_misconfigured",
    severity: "critical",
    endpoint: null,
    title: `${CHANNEL_NAME[channel]} alerts are not delivered: the channel is misconfigured`,
    message:
      `${error}. The guardrail stopped sending to ${CHANNEL_NAME[channel]}: it tries again at once when its configuration changes, ` +
      `else with the first alert an hour on. ${CHANNEL_FIX[channel]}`,
    data: { channel, error },
    dedupKey: `channel_misconfigured:${channel}:${hash.slice(0, 16)}:${now}`,
  });
}

/**
 * Step 3: send what is due, record each result. Returns the sends attempted. `retrying`: channels marked
 * misconfigured whose hourly try this is; one that answers is no longer marked.
 */
async function deliver(
  input: OutboxInput,
  senders: Senders,
  secrets: readonly string[],
  report: OutboxReport,
  retrying?: Set<Channel>,
): Promise<number> {
  const { db, now, policy } = input;
  const budget = Math.min(policy.sends_per_tick, SUBREQUEST_CEILING - (input.subrequestsUsed ?? 0));
  if (budget <= 0) return 0;
  const claimed = await claimDueDeliveries(db, now, budget, now + backoffMs(1, policy));
  const results: DeliveryResult[] = [];
  const broken = new Map<Channel, string>();
  let attempted = 0;
  for (const d of claimed) {
    const base = { noticeKey: d.noticeKey, channel: d.channel, providerId: null };
    if (input.inTime && !input.inTime()) {
      results.push({ ...base, status: "pending", nextAt: now, error: null, untried: true });
      continue;
    }
    const fault = broken.get(d.channel);
    if (fault !== undefined) {
      results.push({ ...base, status: "failed", nextAt: now, error: `not sent: ${fault}`, untried: true });
      report.failed++;
      continue;
    }
    const sender = senders[d.channel];
    attempted++;
    const outcome: SendOutcome = sender
      ? await sender.send(
          redactDeep(d.notice.notice === "summary" ? await summaryBody(db, d, policy) : (d.notice.body as NoticeBody), secrets),
          d.noticeKey,
        )
      : { ok: false, retry: true, error: `${CHANNEL_NAME[d.channel]} is no longer configured` };
    if (outcome.ok) {
      results.push({ ...base, status: "sent", nextAt: now, providerId: outcome.id, error: null });
      report.sent++;
      // The hourly try of a channel marked misconfigured went through: it was fixed outside the guardrail.
      if (retrying?.delete(d.channel)) await clearChannelFault(db, d.channel);
      continue;
    }
    const error = redact(outcome.error, secrets);
    if (outcome.permanent && sender) {
      broken.set(d.channel, error);
      if (await channelFailed(input, d.channel, sender, error)) report.misconfigured.push(d.channel);
    }
    const final = !outcome.retry || d.attempts >= policy.retry.max_attempts;
    const nextAt = now + Math.max(backoffMs(d.attempts, policy), outcome.retryAfterMs ?? 0);
    results.push({ ...base, status: final ? "failed" : "pending", nextAt, error });
    report[final ? "failed" : "retrying"]++;
    report.failures.push({ channel: d.channel, kind: d.notice.kind, title: d.notice.title, error, final });
  }
  await finishDeliveries(db, results, now);
  return attempted;
}

/** The senders still worth sending to: a channel marked misconfigured for its current target is left out. */
const anyChannel = (senders: Senders) => Boolean(senders.slack || senders.sns);

/**
 * A channel marked misconfigured is tried again this long after it was marked (or last tried): a fix made
 * outside the guardrail (a topic policy, a KMS key, a Slack admin setting) leaves its target as it was.
 */
export const MISCONFIGURED_RETRY_MS = HOUR_MS;

/**
 * The senders without the channels marked misconfigured for their current target (`faults`: loadChannelFaults),
 * except a channel whose hourly try is due. `retrying` collects the channels let through for that try.
 */
async function healthySenders(
  db: D1Database,
  senders: Senders,
  now: number,
  faults?: readonly ChannelFault[],
  retrying?: Set<Channel>,
): Promise<Senders> {
  if (!anyChannel(senders)) return senders; // no channel: no fault to look up
  faults ??= await loadChannelFaults(db);
  if (faults.length === 0) return senders;
  const out: Senders = { ...senders };
  for (const f of faults) {
    const sender = senders[f.channel];
    if (!sender) continue;
    if ((await targetHash(sender.target ?? f.channel)) !== f.targetHash)
      await clearChannelFault(db, f.channel); // a person changed the target: try it again
    else if (now - (f.triedAt ?? f.since) >= MISCONFIGURED_RETRY_MS) retrying?.add(f.channel);
    else delete out[f.channel];
  }
  return out;
}

/** Steps 1–3 for one tick. Throws only on storage errors; the caller keeps the tick going. */
export async function runOutbox(input: OutboxInput, configured: Senders, secrets: readonly string[]): Promise<OutboxReport> {
  const report: OutboxReport = {
    recoveries: 0,
    again: 0,
    enqueued: 0,
    held: 0,
    expired: 0,
    sent: 0,
    retrying: 0,
    failed: 0,
    failures: [],
    misconfigured: [],
  };
  const { db, now } = input;
  // The reads the steps start from go to D1 together (one round trip): the conditions with the events
  // without a notice (one statement; read again below if step 1 records any) and the channels' faults.
  const [{ rows, pending: pendingBefore }, faults] = await Promise.all([
    input.alerts ? conditionsAndPending(db) : eventsWithoutNotice(db).then((pending) => ({ rows: null, pending })),
    anyChannel(configured) ? loadChannelFaults(db) : [],
  ]);
  let pending = pendingBefore;
  if (input.alerts && rows) {
    const outcome = trackConditions(rows, {
      now,
      alerts: input.alerts,
      newDedupKeys: new Set(input.events.flatMap((e) => (e.dedupKey ? [e.dedupKey] : []))),
      observed: new Set(input.observed ?? []),
      complete: input.complete ?? false,
      recovery: input.policy.recovery,
      acked: input.acked,
      acks: input.acks,
      ...(input.spendRatio === undefined ? {} : { spendRatio: input.spendRatio }),
      ...(input.budgetRatios === undefined ? {} : { budgetRatios: input.budgetRatios }),
    });
    // Events first: if the tick dies before the rows are saved, the next tick finds the same transitions
    // and the events' dedup keys keep them from being recorded twice.
    const recorded = await recordEvents(db, outcome.events);
    report.recoveries = recorded.filter((e) => e.data.notice === "recovery").length;
    report.again = recorded.length - report.recoveries;
    const forget = rows.some((r) => r.state === "cleared" && (r.clearedAt ?? now) < now - FORGET_CLEARED_MS);
    if (outcome.changed.length > 0 || forget) await saveConditions(db, outcome.changed, forget ? now - FORGET_CLEARED_MS : null);
    if (recorded.length > 0) pending = await eventsWithoutNotice(db);
  }
  const retrying = new Set<Channel>();
  let senders = await healthySenders(db, configured, now, faults, retrying);
  const queued = await enqueue(input, senders, pending);
  report.enqueued = queued.enqueued;
  report.held = queued.held;
  report.expired = queued.expired;
  const attempted = await deliver(input, senders, secrets, report, retrying);
  if (report.misconfigured.length > 0) {
    // Say so on the other channel in this tick, not the next one.
    // A channel whose hourly try falls to this pass is let through as in the first, and cleared if it answers.
    senders = await healthySenders(db, configured, now, undefined, retrying);
    const again = await enqueue(input, senders, await eventsWithoutNotice(db));
    report.enqueued += again.enqueued;
    report.expired += again.expired;
    await deliver({ ...input, subrequestsUsed: (input.subrequestsUsed ?? 0) + attempted }, senders, secrets, report, retrying);
  }
  return report;
}
