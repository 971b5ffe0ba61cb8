// Slack: POST /slack/commands (`/guardrail ...`) and POST /slack/interactions (buttons on alert
// messages). Every request must carry Slack's signature; only the policy's `overrides.slack_users`
// may change anything. Slack wants an answer within 3 s: commands touch only D1 and answer inline;
// button presses are acknowledged at once and carried out after the response (waitUntil), with the
// outcome posted to the message's response_url.
import { type Context, Hono } from "hono";
import {
  type ControlDeps,
  type CreateRequest,
  createOverride,
  decide,
  describeOverride,
  overrideRequestSchema,
  parseSlashCommand,
  resumeEndpoint,
  USAGE,
} from "../../src/control/index.ts";
import { formatUsd, usdToMicro } from "../../src/core/index.ts";
import { ACTION_IDS, approvalButtons, interactionPayload, isGuardrailAction, snoozeValue } from "../../src/notify/index.ts";
import { formatPath, type Policy } from "../../src/policy/index.ts";
import { verifySlackSignature } from "../../src/security/index.ts";
import { budgetLine } from "../../src/status/index.ts";
import { approvalsOfDay, isErrorKey } from "../../src/store/index.ts";
import type { Config } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { limitBody } from "./body.ts";
import { errorResponse } from "./errors.ts";
import { loadStatus } from "./status.ts";

const MAX_SLACK_BODY = 64 * 1024;

const usd = (dollars: number) => formatUsd(usdToMicro(dollars));

type Verified = { ok: true; form: URLSearchParams; policy: Policy | null; deps: ControlDeps | null } | { ok: false; res: Response };

async function verified(c: Context<AppEnv>): Promise<Verified> {
  const secret = c.env.SLACK_SIGNING_SECRET;
  if (!secret) return { ok: false, res: errorResponse(c, 503, "not_configured", "Slack is off: set the SLACK_SIGNING_SECRET secret") };
  const raw = await c.req.text();
  const now = c.get("clock")();
  const check = await verifySlackSignature({
    secret,
    timestamp: c.req.header("X-Slack-Request-Timestamp"),
    signature: c.req.header("X-Slack-Signature"),
    body: raw,
    nowSeconds: now / 1000,
  });
  if (!check.ok) return { ok: false, res: errorResponse(c, 401, "unauthorized", check.message) };
  const config = c.var.runtime.config;
  const policy = config.policy.ok ? config.policy.policy : null;
  const deps = policy && { db: c.env.DB, policy, provider: c.var.runtime.provider, now };
  return { ok: true, form: new URLSearchParams(raw), policy, deps };
}

const reply = (c: Context, text: string, visible = false, blocks?: unknown[]) =>
  c.json({ response_type: visible ? "in_channel" : "ephemeral", text, ...(blocks ? { blocks } : {}) });

const notAllowed = (userId: string) =>
  `You (${userId}) may not steer the guardrail: ask an admin to add your member id to overrides.slack_users in the policy.`;

/** The first problem of a request that failed validation, as a line for Slack. */
function problemOf(error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  const first = error.issues[0];
  return first ? `${formatPath(first.path)}: ${first.message}` : "invalid request";
}

/** What a command or a press did; only a change (done) is shown to the channel, a refusal only to the one who asked. */
interface Answer {
  text: string;
  done: boolean;
  /** why it was not done, as the control API's error code */
  code?: string;
}

const notDone = (text: string): Answer => ({ text: `Not done: ${text}`, done: false });

async function create(deps: ControlDeps, body: Record<string, unknown>): Promise<Answer> {
  const parsed = overrideRequestSchema.safeParse(body);
  if (!parsed.success) return notDone(problemOf(parsed.error));
  const res = await createOverride(deps, parsed.data as CreateRequest, "slack");
  if (!res.ok) return { ...notDone(res.error.message), code: res.error.code };
  const failed = res.value.executed.filter((x) => x.status === "failed");
  const tail = failed.length ? ` (failed: ${failed.map((x) => x.error).join("; ")})` : "";
  const who = body.actor?.toString().replace("slack:", "");
  return { text: `<@${who}>: ${describeOverride(res.value.override)} (${res.value.override.id}).${tail}`, done: true };
}

/** `/guardrail status`: the status model's day (the one /v1/status shows), a line per budget, overrides and approvals. */
async function statusText(env: Cloudflare.Env, config: Config, deps: ControlDeps): Promise<{ text: string; blocks: unknown[] }> {
  const status = await loadStatus(env, config, deps.now);
  const { json } = status;
  if (!("budget" in json)) return { text: "The guardrail's policy is invalid, so it is not acting; see /v1/status.", blocks: [] };
  const approvals = await approvalsOfDay(deps.db, json.budget.day);
  const b = json.budget;
  const s = b.sources;
  const pending = approvals.filter((a) => a.status === "pending");
  const lines = [
    `*${b.day}*: spent ${usd(b.spend_usd)} of ${usd(b.daily_usd)} (${(b.ratio * 100).toFixed(1)}%), level *${b.level_name}*${json.mode === "dry_run" ? " (dry run)" : ""}`,
    `Endpoints ${usd(s.endpoints_usd)}, gateway (token-priced) ${usd(s.gateway_usd)}` +
      (s.gateway_unpriced_answers > 0 ? `, plus ${s.gateway_unpriced_answers} unpriced answer(s)` : ""),
    // One line per budget, the fleet's first (only the fleet's when the policy names none).
    ...(json.budgets.length > 1 ? json.budgets.map((x) => `• ${budgetLine(x)}`) : []),
    status.overrides.length
      ? `Overrides: ${status.overrides.map((o) => `${describeOverride(o)} [${o.id}, ${o.actor}]`).join("; ")}`
      : "No overrides.",
    pending.length ? `Waiting for approval: ${pending.map((a) => `${a.kind} ${a.endpoint}`).join(", ")}` : "Nothing waiting for approval.",
  ];
  const text = lines.join("\n");
  const blocks: unknown[] = [
    { type: "section", text: { type: "mrkdwn", text } },
    ...pending.map((a) => approvalButtons(a.key, a.kind, a.endpoint, `${b.day}:approval_requested:${a.key}`)),
  ];
  return { text, blocks };
}

async function runCommand(c: Context<AppEnv>, v: Extract<Verified, { ok: true }>): Promise<Response> {
  const userId = v.form.get("user_id") ?? "";
  const cmd = parseSlashCommand(v.form.get("text") ?? "");
  if (cmd.kind === "help") return reply(c, `${cmd.error ? `${cmd.error}\n` : ""}${USAGE}`);
  if (!v.deps || !v.policy) return reply(c, "The guardrail's policy is invalid, so it is not acting; see /v1/status.");
  // Anyone in the workspace may look; only listed users may change anything.
  if (cmd.kind === "status") {
    const { text, blocks } = await statusText(c.env, c.var.runtime.config, v.deps);
    return reply(c, text, false, blocks);
  }
  if (!v.policy.overrides.slack_users.includes(userId)) return reply(c, notAllowed(userId));
  const actor = `slack:${userId}`;
  switch (cmd.kind) {
    case "suspend": {
      const a = await create(v.deps, { op: "suspend", endpoint: cmd.endpoint, duration: cmd.duration, reason: cmd.reason, actor });
      return reply(c, a.text, a.done);
    }
    case "raise": {
      const amount = cmd.percent === undefined ? { budget_usd: cmd.budgetUsd } : { percent: cmd.percent };
      const a = await create(v.deps, {
        op: "raise_budget",
        ...amount,
        budget: cmd.budget,
        duration: cmd.duration,
        reason: cmd.reason,
        actor,
      });
      return reply(c, a.text, a.done);
    }
    case "resume": {
      const ended = await resumeEndpoint(v.deps, cmd.endpoint, actor);
      if (ended.length === 0) return reply(c, `No active suspension of ${cmd.endpoint}.`);
      return reply(c, `<@${userId}> resumed automatic actions on ${cmd.endpoint} (ended ${ended.map((o) => o.id).join(", ")}).`, true);
    }
  }
}

async function press(deps: ControlDeps, actor: string, action: { action_id: string; value?: string | undefined }): Promise<Answer> {
  const value = action.value ?? "";
  switch (action.action_id) {
    case ACTION_IDS.approve:
    case ACTION_IDS.reject: {
      const op = action.action_id === ACTION_IDS.approve ? "approve" : "reject";
      const res = await decide(deps, { op, key: value, actor, reason: "from Slack" });
      if (!res.ok) return { ...notDone(res.error.message), code: res.error.code };
      const a = res.value;
      // In dry run an approved action is only recorded: saying it runs would mislead the person who approved.
      const then =
        a.status !== "approved" ? "" : deps.policy.mode === "dry_run" ? ": dry run, nothing changes" : ": it runs on the next tick";
      return { text: `<@${actor.replace("slack:", "")}> ${a.status} ${a.kind.replace("_", " ")} of ${a.endpoint}${then}.`, done: true };
    }
    case ACTION_IDS.snooze: {
      let target: { endpoint: string | null; dedup_key: string | null };
      try {
        target = snoozeValue.parse(JSON.parse(value));
      } catch {
        return notDone("this button's value is not one the guardrail made.");
      }
      // The ack first: a refusal is told to the presser alone, and nothing is suspended. A key no alert had
      // is an error notice's (provider and billing errors are `error` events, not alerts, and carry the
      // button too): there is no condition to silence, but the endpoint is still suspended.
      const asked = target.dedup_key
        ? await create(deps, { op: "ack", dedup_key: target.dedup_key, duration: "1h", reason: "snoozed from Slack", actor })
        : null;
      const errorNotice = asked !== null && !asked.done && asked.code === "not_found" && (await isErrorKey(deps.db, target.dedup_key));
      if (asked && !asked.done && !errorNotice) return asked;
      const ack = errorNotice ? null : asked;
      const suspend = await create(deps, {
        op: "suspend",
        endpoint: target.endpoint ?? "*",
        duration: "1h",
        reason: "snoozed from Slack",
        actor,
      });
      return joined(ack ? [suspend, ack] : [suspend]);
    }
    case ACTION_IDS.restore:
      return create(deps, { op: "force", action: "restore", endpoint: value, duration: "1h", reason: "restore pressed in Slack", actor });
    default:
      return { text: `Unknown button ${action.action_id}.`, done: false };
  }
}

/** Several answers as one: shown to the channel when any of them changed something. */
const joined = (answers: Answer[]): Answer => ({ text: answers.map((a) => a.text).join("\n"), done: answers.some((a) => a.done) });

/** Posts the outcome to the message's response_url: a change under the alert for the channel, a refusal to the presser only. */
async function respond(responseUrl: string | undefined, answer: Answer): Promise<void> {
  if (!responseUrl) return;
  const res = await fetch(responseUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ response_type: answer.done ? "in_channel" : "ephemeral", replace_original: false, text: answer.text }),
  });
  await res.body?.cancel();
}

export const slackRoutes = new Hono<AppEnv>()
  .use("*", limitBody(MAX_SLACK_BODY))
  .post("/commands", async (c) => {
    const v = await verified(c);
    return v.ok ? runCommand(c, v) : v.res;
  })
  .post("/interactions", async (c) => {
    const v = await verified(c);
    if (!v.ok) return v.res;
    let json: unknown;
    try {
      json = JSON.parse(v.form.get("payload") ?? "");
    } catch {
      return errorResponse(c, 400, "invalid_json", "payload: not valid JSON", [{ path: "payload", message: "not valid JSON" }]);
    }
    const parsed = interactionPayload.safeParse(json);
    if (!parsed.success) {
      return errorResponse(c, 400, "invalid_request", `payload.${problemOf(parsed.error)}`, [
        { path: "payload", message: problemOf(parsed.error) },
      ]);
    }
    const p = parsed.data;
    // Slack also reports presses of link buttons (Status, Event): they only need the 200.
    const actions = p.actions.filter((a) => isGuardrailAction(a.action_id));
    if (p.type !== "block_actions" || actions.length === 0) return c.body(null, 200);
    const { deps, policy } = v;
    const work = async () => {
      if (!deps || !policy)
        return respond(p.response_url, { text: "The guardrail's policy is invalid, so it is not acting; see /v1/status.", done: false });
      if (!policy.overrides.slack_users.includes(p.user.id)) return respond(p.response_url, { text: notAllowed(p.user.id), done: false });
      const answers: Answer[] = [];
      for (const action of actions) answers.push(await press(deps, `slack:${p.user.id}`, action));
      await respond(p.response_url, joined(answers));
    };
    c.executionCtx.waitUntil(
      work().catch((err) =>
        console.error(JSON.stringify({ event: "slack_interaction_failed", message: err instanceof Error ? err.message : String(err) })),
      ),
    );
    return c.body(null, 200);
  });
