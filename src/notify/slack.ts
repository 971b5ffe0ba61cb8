// Slack: a notice as a Block Kit message a person on call can act on (severity at a glance, the
// figures, what the guardrail did, the control buttons, links), and the incoming-webhook POST that sends it.
import { budgetOf, figureLines, headline, type NoticeBody } from "./notice.ts";
import { alertButtons, type SlackButton } from "./slack-buttons.ts";

export interface SlackText {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] }
  | { type: "divider" }
  | {
      type: "actions";
      block_id: string;
      elements: Array<SlackButton | { type: "button"; text: SlackText; url: string; action_id: string }>;
    };

export interface SlackMessage {
  /** shown in notifications and where blocks cannot be rendered */
  text: string;
  blocks: SlackBlock[];
}

const EMOJI = { critical: ":red_circle:", warning: ":large_orange_circle:", info: ":large_blue_circle:" } as const;

/** Slack's limits (docs.slack.dev Block Kit reference): header 150, section text 3000, field 2000, 10 fields. */
const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
/** mrkdwn treats &, < and > as control characters. */
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function emojiOf(b: NoticeBody): string {
  if (b.notice === "recovery") return ":white_check_mark:";
  if (b.notice === "summary") return ":hourglass_flowing_sand:";
  return EMOJI[b.severity];
}

export interface SlackRenderOptions {
  /** put the control buttons on alerts: only when the Slack app that receives their presses is set up (SLACK_SIGNING_SECRET) */
  controls?: boolean;
}

export function renderSlack(b: NoticeBody, opts: SlackRenderOptions = {}): SlackMessage {
  const label = headline(b);
  const budget = budgetOf(b);
  const where = [
    b.endpoint ? `\`${esc(b.endpoint)}\`` : null,
    budget ? `budget \`${esc(budget)}\`` : null,
    b.endpoint || budget ? null : "whole fleet",
  ]
    .filter(Boolean)
    .join(" · ");
  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: cut(`${emojiOf(b)} ${b.title}`, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: cut(`*${label}* · \`${esc(b.kind)}\` · ${where}\n${esc(b.message)}`, 3000) } },
  ];
  const fields = figureLines(b.figures)
    .slice(0, 10)
    .map(([k, v]): SlackText => ({ type: "mrkdwn", text: cut(`*${esc(k)}*\n${esc(v)}`, 2000) }));
  if (fields.length > 0) blocks.push({ type: "section", fields });
  if (b.actions.length > 0) {
    const lines = b.actions.slice(0, 20).map((a) => `• ${esc(a.title)}${a.status === "failed" ? " *(failed)*" : ""}`);
    if (b.actions.length > 20) lines.push(`• … and ${b.actions.length - 20} more (see the event)`);
    blocks.push({ type: "section", text: { type: "mrkdwn", text: cut(`*What the guardrail did*\n${lines.join("\n")}`, 3000) } });
  }
  // Snooze / Restore / Approve / Reject: handled by POST /slack/interactions (the buttons are in slack-buttons.ts).
  if (opts.controls && b.notice === "alert")
    blocks.push(alertButtons({ kind: b.kind, endpoint: b.endpoint, figures: b.figures, dedupKey: b.dedup_key }));
  const buttons = [
    b.links.status && { text: "Status", url: b.links.status, action_id: "guardrail_open_status" },
    b.links.event && { text: b.notice === "summary" ? "Alerts" : "Event", url: b.links.event, action_id: "guardrail_open_event" },
  ].filter((x): x is { text: string; url: string; action_id: string } => Boolean(x));
  if (buttons.length > 0) {
    blocks.push({
      type: "actions",
      block_id: "guardrail_links",
      elements: buttons.map((x) => ({ type: "button", text: { type: "plain_text", text: x.text }, url: x.url, action_id: x.action_id })),
    });
  }
  const when = `${b.at.slice(0, 16).replace("T", " ")} UTC`;
  const context = [`budget-guardrail`, b.budget_day ? `budget day ${b.budget_day}` : null, when].filter(Boolean).join(" · ");
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: esc(context) }] });
  return { text: cut(`[${label}] ${b.title}`, 3000), blocks };
}

export type SendOutcome =
  | { ok: true; id: string | null }
  | {
      ok: false;
      /** worth trying again later (outage, rate limit, network); false when the request itself is wrong */
      retry: boolean;
      error: string;
      /** the service asked us to wait at least this long */
      retryAfterMs?: number;
      /**
       * the channel itself is misconfigured (hook revoked, topic gone, no permission): no send to this
       * target can succeed until a person changes it, so the outbox stops trying and says so elsewhere
       */
      permanent?: boolean;
    };

/**
 * Slack's answers for a hook that can never work again: 403 (token revoked / action prohibited), 404
 * (no_service, channel_not_found), 410 (channel archived). Slack "Sending messages using incoming
 * webhooks" (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks, "Handling errors").
 */
const PERMANENT_STATUS = new Set([403, 404, 410]);

/**
 * POSTs a message to an incoming webhook. Slack answers 200 `ok`; 400 means the payload is wrong (no retry);
 * 403/404/410 (token revoked, channel gone) are permanent: the hook is misconfigured; 429 (with Retry-After)
 * and 5xx are retried by the outbox.
 */
export async function postToSlack(
  webhookUrl: string,
  message: SlackMessage,
  fetchFn: typeof fetch,
  timeoutMs = 10_000,
): Promise<SendOutcome> {
  let res: Response;
  try {
    res = await fetchFn(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { ok: false, retry: true, error: `Slack unreachable: ${err instanceof Error ? err.message : String(err)}` };
  }
  const text = (await res.text().catch(() => "")).trim().slice(0, 200);
  if (res.ok) return { ok: true, id: null };
  const retryAfter = Number(res.headers.get("retry-after"));
  const permanent = PERMANENT_STATUS.has(res.status);
  return {
    ok: false,
    retry: res.status !== 400 && !permanent,
    ...(permanent ? { permanent } : {}),
    error: `Slack answered HTTP ${res.status}${text ? `: ${text}` : ""}`,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}
