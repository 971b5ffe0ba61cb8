// A local stand-in for Slack incoming webhooks (https://hooks.slack.com/services/T…/B…/secret): JSON POSTs,
// answered as Slack does: 200 `ok`; 400 `invalid_payload` (not JSON), `no_text` (neither text nor blocks),
// `invalid_blocks` (a Block Kit rule broken: header over 150 characters, section text over 3000, more than
// 10 fields, unknown block types, ...); 404 `no_service` for a revoked hook. It can be told to fail for a while
// (500 `rollup_error`, 429 with Retry-After), like Slack during an incident.
//
// Admin API (JSON, no auth), scoped by hook path so parallel test files never see each other's messages:
//   GET  /_slack/hooks/{T}/{B}/{secret}/messages   {messages: ReceivedSlackMessage[]}  accepted, oldest first
//   GET  /_slack/hooks/{T}/{B}/{secret}/requests   {requests: [{at, status, body}]}     every POST and its answer
//   POST /_slack/hooks/{T}/{B}/{secret}/faults     {faults: SlackFault[]}  the next POSTs get these answers
//   POST /_slack/hooks/{T}/{B}/{secret}/revoke     the hook answers 404 no_service from now on
//   POST /_slack/hooks/{T}/{B}/{secret}/reset
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listen, sendText as reply } from "./http.ts";
import { readBody } from "./http-body.ts";

export interface SlackFault {
  status: number;
  /** response text; default rollup_error (500), rate_limited (429) */
  body?: string;
  /** seconds, sent as Retry-After */
  retryAfter?: number;
  /** how many POSTs it answers; default 1 */
  times?: number;
}

export interface ReceivedSlackMessage {
  at: number;
  payload: { text?: string; blocks?: Array<Record<string, unknown>>; [key: string]: unknown };
}

export interface SlackWebhookServer {
  url: string;
  /** the webhook URL for a hook id: `${url}/services/T0LOCAL/B<hook>/<secret>` */
  hookUrl(hook: string): string;
  messages(hook: string): ReceivedSlackMessage[];
  close(): Promise<void>;
}

interface Hook {
  messages: ReceivedSlackMessage[];
  requests: Array<{ at: number; status: number; body: string }>;
  faults: SlackFault[];
  revoked: boolean;
}

/** The path of a local hook: Slack's shape, /services/<team>/<bot>/<secret>. */
export const slackHookPath = (id: string) => `/services/T0LOCAL/B${id.toUpperCase()}/secret-${id}`;

const BLOCK_TYPES = new Set(["header", "section", "context", "divider", "actions", "image", "rich_text"]);

/** Block Kit rules Slack enforces on webhook messages (docs.slack.dev, Block Kit reference); null when valid. */
export function blockKitProblem(blocks: unknown): string | null {
  if (!Array.isArray(blocks)) return "blocks must be an array";
  if (blocks.length > 50) return "no more than 50 blocks";
  const text = (t: unknown, max: number, types: string[] = ["plain_text", "mrkdwn"]): string | null => {
    if (typeof t !== "object" || t === null) return "text object missing";
    const o = t as { type?: unknown; text?: unknown };
    if (typeof o.type !== "string" || !types.includes(o.type)) return `text type must be ${types.join(" or ")}`;
    if (typeof o.text !== "string" || o.text.length === 0) return "text must be a non-empty string";
    return o.text.length > max ? `text longer than ${max} characters` : null;
  };
  const blockIds = new Set<string>();
  for (const [i, block] of blocks.entries()) {
    const b = block as Record<string, unknown>;
    const where = `blocks[${i}]`;
    if (typeof b?.type !== "string" || !BLOCK_TYPES.has(b.type)) return `${where}: unknown block type ${String(b?.type)}`;
    if (typeof b.block_id === "string") {
      if (b.block_id.length > 255) return `${where}: block_id longer than 255`;
      if (blockIds.has(b.block_id)) return `${where}: duplicate block_id ${b.block_id}`;
      blockIds.add(b.block_id);
    }
    let problem: string | null = null;
    if (b.type === "header") problem = text(b.text, 150, ["plain_text"]);
    if (b.type === "section") {
      if (b.text === undefined && b.fields === undefined) problem = "section needs text or fields";
      if (!problem && b.text !== undefined) problem = text(b.text, 3000);
      if (!problem && b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length > 10) problem = "fields: at most 10";
        else for (const f of b.fields) problem ??= text(f, 2000);
      }
    }
    if (b.type === "context") {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) problem = "context: 1 to 10 elements";
      else for (const e of b.elements) problem ??= text(e, 3000);
    }
    if (b.type === "actions") {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) problem = "actions: 1 to 25 elements";
      else {
        const ids = new Set<string>();
        for (const e of b.elements as Array<Record<string, unknown>>) {
          if (e.type !== "button") continue;
          problem ??= text(e.text, 75, ["plain_text"]);
          if (typeof e.url === "string" && (e.url.length > 3000 || !URL.canParse(e.url))) problem ??= "button url invalid";
          if (typeof e.value === "string" && e.value.length > 2000) problem ??= "button value longer than 2000";
          if (e.style !== undefined && e.style !== "primary" && e.style !== "danger") problem ??= "button style must be primary or danger";
          if (typeof e.action_id === "string") {
            if (e.action_id.length > 255) problem ??= "action_id longer than 255";
            if (ids.has(e.action_id)) problem ??= `duplicate action_id ${e.action_id}`;
            ids.add(e.action_id);
          }
        }
      }
    }
    if (problem) return `${where}: ${problem}`;
  }
  return null;
}

export async function startSlackWebhookServer(options: { port?: number } = {}): Promise<SlackWebhookServer> {
  const hooks = new Map<string, Hook>();
  const hook = (path: string): Hook => {
    let h = hooks.get(path);
    if (!h) {
      h = { messages: [], requests: [], faults: [], revoked: false };
      hooks.set(path, h);
    }
    return h;
  };

  function post(h: Hook, text: string): { status: number; body: string; headers?: Record<string, string> } {
    if (h.revoked) return { status: 404, body: "no_service" };
    const fault = h.faults[0];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) h.faults.shift();
      return {
        status: fault.status,
        body: fault.body ?? (fault.status === 429 ? "rate_limited" : "rollup_error"),
        ...(fault.retryAfter !== undefined ? { headers: { "retry-after": String(fault.retryAfter) } } : {}),
      };
    }
    let payload: ReceivedSlackMessage["payload"];
    try {
      payload = JSON.parse(text) as ReceivedSlackMessage["payload"];
    } catch {
      return { status: 400, body: "invalid_payload" };
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return { status: 400, body: "invalid_payload" };
    const hasText = typeof payload.text === "string" && payload.text.length > 0;
    if (!hasText && payload.blocks === undefined) return { status: 400, body: "no_text" };
    if (payload.blocks !== undefined && blockKitProblem(payload.blocks)) return { status: 400, body: "invalid_blocks" };
    h.messages.push({ at: Date.now(), payload });
    return { status: 200, body: "ok" };
  }

  function admin(method: string, segments: string[], text: string): { status: number; payload: unknown } {
    // segments: hooks, T, B, secret, action
    const [, t, b, secret, action] = segments;
    if (segments[0] !== "hooks" || !t || !b || !secret || !action) return { status: 404, payload: { error: "no such admin route" } };
    const path = `/services/${t}/${b}/${secret}`;
    const h = hook(path);
    if (method === "GET" && action === "messages") return { status: 200, payload: { messages: h.messages } };
    if (method === "GET" && action === "requests") return { status: 200, payload: { requests: h.requests } };
    if (method === "POST" && action === "faults") {
      h.faults.push(...((JSON.parse(text || "{}") as { faults?: SlackFault[] }).faults ?? []));
      return { status: 200, payload: { faults: h.faults.length } };
    }
    if (method === "POST" && action === "revoke") {
      h.revoked = true;
      return { status: 200, payload: {} };
    }
    if (method === "POST" && action === "reset") {
      hooks.delete(path);
      return { status: 200, payload: {} };
    }
    return { status: 405, payload: { error: `method ${method} not allowed` } };
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => reply(res, 500, "text/plain", error instanceof Error ? error.message : String(error)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? "/", "http://slack");
    const segments = url.pathname.split("/").filter(Boolean);
    if (segments[0] === "_slack") {
      const r = admin(req.method ?? "GET", segments.slice(1), text);
      return reply(res, r.status, "application/json", JSON.stringify(r.payload));
    }
    if (segments[0] !== "services" || segments.length !== 4) return reply(res, 404, "text/html", "no_service");
    if (req.method !== "POST") return reply(res, 405, "text/html", "invalid_method");
    const h = hook(url.pathname);
    const answer = post(h, text);
    h.requests.push({ at: Date.now(), status: answer.status, body: answer.body });
    return reply(res, answer.status, "text/html", answer.body, answer.headers);
  }

  const bound = await listen(server, options.port);
  return {
    url: bound.url,
    hookUrl: (id) => `${bound.url}${slackHookPath(id)}`,
    messages: (id) => hooks.get(slackHookPath(id))?.messages ?? [],
    close: bound.close,
  };
}
