// POST /v1/hooks/sns: the HTTPS subscription of the commands topic. Every message is verified
// (signature, certificate URL, age) before anything else; only the policy's commands topic is
// accepted; a SubscriptionConfirmation is confirmed by GETting its SubscribeURL; a Notification
// carries a scheduled command, executed once per schedule and fire time, or a dead letter (a command
// Scheduler gave up on, forwarded from its dead-letter queue), recorded as a schedule_dead_letter alert.
// SNS posts JSON as text/plain, so the body is read as text (Hono's json validator would skip it).
// Status codes steer SNS: 2xx = delivered, 5xx = retried (about 3 times, 20 s apart), 4xx = dropped.
import { Hono } from "hono";
import { alertEvent } from "../../src/act/index.ts";
import { deadLetterAlert, parseCommand, parseDeadLetter, runScheduledCommand } from "../../src/schedule/index.ts";
import {
  type CertCache,
  httpsCertFetcher,
  isTrustedSnsUrl,
  type SnsMessage,
  sharedCertCache,
  verifySnsMessage,
} from "../../src/security/index.ts";
import { recordEvents } from "../../src/store/index.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

export interface SnsHookDeps {
  /** fetch for certificates, SubscribeURL and the HF API; the global fetch by default */
  fetch?: typeof fetch;
  certCache?: CertCache;
  /** oldest message accepted; default 1 hour */
  maxAgeMs?: number;
}

/** SNS messages are at most 256 KB; the envelope adds a little. */
const MAX_BODY = 300_000;

/** A subscription change on the timeline, once per SNS message. */
function recordSubscriptionEvent(db: D1Database, now: number, m: SnsMessage, title: string, message: string, dedup: string) {
  return recordEvents(db, [
    {
      at: now,
      type: "action",
      kind: "sns_subscription",
      severity: null,
      endpoint: null,
      title,
      message,
      data: { topic: m.TopicArn, message_id: m.MessageId },
      dedupKey: `${dedup}:${m.MessageId}`,
    },
  ]);
}

export function snsHookRoutes(deps: SnsHookDeps = {}) {
  const doFetch: typeof fetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const fetchCert = httpsCertFetcher(doFetch);
  const cache = deps.certCache ?? sharedCertCache;

  return new Hono<AppEnv>().post("/", async (c) => {
    const raw = await c.req.text();
    if (raw.length > MAX_BODY) return errorResponse(c, 413, "too_large", "an SNS message is at most 256 KB");
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return errorResponse(c, 400, "invalid_request", "the body is not JSON");
    }
    const now = c.get("clock")();
    const verdict = await verifySnsMessage(body, {
      now: () => now,
      fetchCert,
      cache,
      ...(deps.maxAgeMs ? { maxAgeMs: deps.maxAgeMs } : {}),
    });
    if (!verdict.ok) {
      // A certificate that could not be fetched may be a passing fault: let SNS retry.
      if (verdict.code === "cert_unavailable") return errorResponse(c, 503, "certificate_unavailable", verdict.reason);
      return errorResponse(c, 401, "invalid_signature", `${verdict.code}: ${verdict.reason}`);
    }
    const m = verdict.message;
    const typeHeader = c.req.header("x-amz-sns-message-type");
    if (typeHeader !== undefined && typeHeader !== m.Type) {
      return errorResponse(c, 400, "invalid_request", `x-amz-sns-message-type ${typeHeader} does not match Type ${m.Type}`);
    }

    const config = c.var.runtime.config;
    if (!config.policy.ok) return errorResponse(c, 503, "policy_invalid", "the policy is invalid; see /v1/status");
    const policy = config.policy.policy;
    const allowed = policy.schedules.commands_topic_arn;
    if (allowed === null || m.TopicArn !== allowed) {
      return errorResponse(c, 403, "topic_not_allowed", `topic ${m.TopicArn} is not schedules.commands_topic_arn`);
    }

    if (m.Type === "UnsubscribeConfirmation") {
      // Its SubscribeURL would subscribe again: a person decides that, not the Worker.
      await recordSubscriptionEvent(
        c.env.DB,
        now,
        m,
        `Unsubscribed from ${m.TopicArn}`,
        "SNS confirmed the HTTPS subscription was removed; scheduled commands no longer arrive.",
        "sns_unsubscribed",
      );
      return c.json({ ok: true, type: m.Type });
    }

    if (m.Type === "SubscriptionConfirmation") {
      if (!isTrustedSnsUrl(m.SubscribeURL)) {
        return errorResponse(c, 400, "invalid_request", "SubscribeURL is not an https URL on sns.<region>.amazonaws.com");
      }
      const res = await doFetch(m.SubscribeURL as string, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
      await res.body?.cancel();
      if (res.status !== 200) return errorResponse(c, 502, "confirmation_failed", `SubscribeURL answered ${res.status}`);
      await recordSubscriptionEvent(
        c.env.DB,
        now,
        m,
        `Confirmed the subscription to ${m.TopicArn}`,
        "Scheduled commands from this topic now reach POST /v1/hooks/sns.",
        "sns_confirmed",
      );
      return c.json({ ok: true, type: m.Type, confirmed: true });
    }

    const dead = parseDeadLetter(m.Message);
    if (dead) {
      await recordEvents(c.env.DB, [alertEvent(now, deadLetterAlert(dead))]);
      return c.json({ ok: true, outcome: "dead_letter", schedule: dead.schedule });
    }
    const command = parseCommand(m.Message);
    if (!command.ok) return errorResponse(c, 400, "invalid_command", `the notification is not a scheduled command: ${command.error}`);
    if (!c.env.HF_TOKEN) return errorResponse(c, 503, "not_configured", "secret HF_TOKEN is not set");
    const provider = c.var.runtime.hfClient({ fetch: doFetch, maxRetries: 1, timeoutMs: 5000 });
    const report = await runScheduledCommand({ db: c.env.DB, provider, policy, now }, command.command);
    const payload = { ok: true, outcome: report.outcome, reason: report.reason, before: report.before, after: report.after };
    if (report.outcome === "retry") return errorResponse(c, 503, "provider_unavailable", report.reason);
    return c.json(payload);
  });
}
