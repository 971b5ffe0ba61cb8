// Slack's slash command and buttons inside workerd: requests signed as Slack signs them (and the
// documented example itself), outcomes posted to response_url, here a local recording server (the
// tests' inference upstream, which records every request it gets).
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { ReceivedSlackMessage } from "../../src/fakes/index.ts";
import { ACTION_IDS, createNotifier } from "../../src/notify/index.ts";
import { actionsOfDay, activeOverrides, approvalsOfDay, listEvents, recordEvents } from "../../src/store/index.ts";
import { FLEET, guardrail, HOUR, MIN, ORIGIN, send, slackRequest, stateCounts } from "../fixtures/http.ts";
import { slackHook } from "../fixtures/notify-admin.ts";

const day = (d: number) => Date.UTC(2026, 3, d, 0, 0);
const capture = inject("upstreamPrimary");

function command(text: string, user = "U0ALLOWED"): string {
  return new URLSearchParams({
    token: "xyzz0WbapA4vBCDEFasx0q6G",
    team_id: "T1DC2JH3J",
    team_domain: "acme",
    channel_id: "G8PSS9T3V",
    channel_name: "oncall",
    user_id: user,
    user_name: "someone",
    command: "/guardrail",
    text,
    response_url: "https://hooks.slack.com/commands/T1DC2JH3J/1/x",
    trigger_id: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  }).toString();
}

function press(actionId: string, value: string, responsePath: string, user = "U0ALLOWED"): string {
  const payload = {
    type: "block_actions",
    user: { id: user, username: "someone", team_id: "T1DC2JH3J" },
    api_app_id: "A0001",
    container: { type: "message", message_ts: "1700000000.000100", channel_id: "G8PSS9T3V" },
    trigger_id: "1.2.3",
    team: { id: "T1DC2JH3J", domain: "acme" },
    channel: { id: "G8PSS9T3V", name: "oncall" },
    response_url: `${capture}/slack-response${responsePath}`,
    actions: [
      {
        type: "button",
        action_id: actionId,
        block_id: "b",
        value,
        text: { type: "plain_text", text: "x" },
        action_ts: "1700000001.000200",
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** What the Worker posted to the response_url ending in `path`. */
async function responses(path: string): Promise<Array<{ text: string; response_type: string }>> {
  const res = await fetch(`${capture}/_upstream/calls`);
  const { calls } = (await res.json()) as { calls: Array<{ method: string; url: string; body: string }> };
  return calls.filter((c) => c.method === "POST" && c.url === `/slack-response${path}`).map((c) => JSON.parse(c.body));
}

describe("POST /slack/commands", () => {
  const g = guardrail("slack-cmd");
  const T = day(1) + 10 * HOUR;
  const run = async (text: string, user?: string, at = T) => {
    const res = await send(await slackRequest("/slack/commands", command(text, user), at), at, g.env);
    return { status: res.status, body: (await res.json()) as { response_type: string; text: string; blocks?: unknown[] } };
  };

  it("accepts Slack's documented example request (signature, timestamp and body as published)", async () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const req = new Request(`${ORIGIN}/slack/commands`, {
      method: "POST",
      body,
      headers: {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
      },
    });
    const e = { ...g.env, SLACK_SIGNING_SECRET: "8f742231b10e8888abcd99yyyzzz85a5" };
    const ok = await send(req.clone(), 1531420618_000, e);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { text: string }).text).toContain("/guardrail status");
    expect((await send(req.clone(), (1531420618 + 301) * 1000, e)).status).toBe(401);
    expect((await send(req.clone(), 1531420618_000, g.env)).status).toBe(401); // another app's secret
  });

  it("refuses unsigned and badly signed requests with 401 and changes nothing", async () => {
    const before = await stateCounts();
    const unsigned = await send(new Request(`${ORIGIN}/slack/commands`, { method: "POST", body: command("suspend * 1h") }), T, g.env);
    expect(unsigned.status).toBe(401);
    const wrong = await send(await slackRequest("/slack/commands", command("suspend * 1h"), T, "another-secret"), T, g.env);
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    expect(await stateCounts()).toEqual(before);
  });

  it("suspends and resumes for a listed user, visibly to the channel", async () => {
    await g.admin.reset(FLEET);
    await g.tick(T - HOUR);
    const s = await run("suspend slack-cmd/big 2h deploy in progress");
    expect(s.body.response_type).toBe("in_channel");
    expect(s.body.text).toContain("<@U0ALLOWED>: automatic actions suspended on slack-cmd/big");
    const [event] = await listEvents(env.DB, { type: "override", endpoint: "slack-cmd/big", limit: 1 });
    expect(event).toMatchObject({ kind: "suspend", message: "deploy in progress", data: { actor: "slack:U0ALLOWED", source: "slack" } });

    const status = await run("status", "U0SOMEONE");
    expect(status.body.response_type).toBe("ephemeral");
    expect(status.body.text).toContain("automatic actions suspended on slack-cmd/big");
    expect(status.body.text).toMatch(/spent \$\d+\.\d+ of \$10\.00/);

    const r = await run("resume slack-cmd/big", undefined, T + MIN);
    expect(r.body.text).toContain("resumed automatic actions on slack-cmd/big");
    expect((await run("resume slack-cmd/big", undefined, T + 2 * MIN)).body.text).toContain("No active suspension");
  });

  it("raises today's budget by an amount or a percent", async () => {
    const r = await run("raise 50% 2h launch day", undefined, T + 3 * MIN);
    expect(r.body.text).toContain("raised to $15.00 (+50%)");
    const abs = await run("raise $40 1h", undefined, T + 4 * MIN);
    expect(abs.body.text).toContain("raised to $40.00");
  });

  it("refuses an unlisted user, and explains bad arguments, without changing anything", async () => {
    const before = await stateCounts();
    const denied = await run("suspend * 1h", "U0STRANGER");
    expect(denied.body).toMatchObject({ response_type: "ephemeral" });
    expect(denied.body.text).toContain("may not steer");
    const tooLong = await run("suspend slack-cmd/big 99h");
    expect(tooLong.body.text).toContain("duration: 99h is over the maximum");
    expect(tooLong.body.response_type).toBe("ephemeral"); // a refusal is for the one who typed it, not the channel
    expect((await run("raise 5 1h")).body.response_type).toBe("ephemeral");
    expect((await run("suspend slack-cmd/nope 1h")).body.text).toContain("endpoint: slack-cmd/nope is not an endpoint");
    expect((await run("raise 5 1h")).body.text).toContain("budget_usd: must raise the budget");
    expect((await run("explode")).body.text).toContain('unknown subcommand "explode"');
    expect(await stateCounts()).toEqual(before);
  });
});

describe("POST /slack/interactions", () => {
  const g = guardrail("slack-btn", "approvals: { shutdown: { wait_minutes: 30, on_timeout: hold } }");
  const T0 = day(2);
  const click = async (body: string, at: number, secret?: string) =>
    send(await slackRequest("/slack/interactions", body, at, secret), at, g.env);

  it("approves a waiting pause from the button; it runs on the next tick; the outcome goes to response_url", async () => {
    await g.admin.reset(FLEET);
    await g.tick(T0);
    const t1 = await g.tick(T0 + HOUR); // 220 %: the pauses wait for approval
    expect(t1.executed.some((x) => x.action.kind === "pause")).toBe(false);
    expect(t1.events.filter((e) => e.kind === "approval_requested").map((e) => e.endpoint)).toEqual(
      expect.arrayContaining(["slack-btn/big", "slack-btn/summarizer"]),
    );
    const key = "2026-04-02:pause:slack-btn/big";
    const res = await click(press(ACTION_IDS.approve, key, "/r/approve"), T0 + HOUR + MIN);
    expect(res.status).toBe(200);
    expect(await responses("/r/approve")).toEqual([
      {
        response_type: "in_channel",
        replace_original: false,
        text: "<@U0ALLOWED> approved pause of slack-btn/big: it runs on the next tick.",
      },
    ]);
    const t2 = await g.tick(T0 + HOUR + 2 * MIN);
    expect(t2.executed.filter((x) => x.action.kind === "pause").map((x) => [x.action.endpoint, x.status])).toEqual([
      ["slack-btn/big", "applied"],
    ]);

    await click(press(ACTION_IDS.reject, "2026-04-02:pause:slack-btn/summarizer", "/r/reject"), T0 + HOUR + 3 * MIN);
    expect((await responses("/r/reject"))[0]?.text).toContain("rejected pause of slack-btn/summarizer");
    const approvals = await approvalsOfDay(env.DB, "2026-04-02");
    expect(approvals.map((a) => [a.endpoint, a.status, a.decidedBy])).toEqual([
      ["slack-btn/big", "approved", "slack:U0ALLOWED"],
      ["slack-btn/summarizer", "rejected", "slack:U0ALLOWED"],
    ]);
    const late = await g.tick(T0 + 2 * HOUR); // past the deadline: a rejection stands
    expect(late.executed.some((x) => x.action.endpoint === "slack-btn/summarizer" && x.action.kind === "pause")).toBe(false);
  });

  it("in dry run an approval from the button says nothing changes, not that the pause runs", async () => {
    const dry = guardrail("slack-dry", "approvals: { shutdown: { wait_minutes: 30, on_timeout: hold } }", "dry_run");
    await dry.admin.reset(FLEET);
    await dry.tick(T0);
    await dry.tick(T0 + HOUR); // 220 %: the pauses wait for approval, in dry run
    const at = T0 + HOUR + MIN;
    const res = await send(
      await slackRequest("/slack/interactions", press(ACTION_IDS.approve, "2026-04-02:pause:slack-dry/big", "/r/dry"), at),
      at,
      dry.env,
    );
    expect(res.status).toBe(200);
    expect((await responses("/r/dry"))[0]?.text).toBe("<@U0ALLOWED> approved pause of slack-dry/big: dry run, nothing changes.");
  });

  it("snoozes an alert for an hour: suspends its endpoint and silences its condition", async () => {
    const value = JSON.stringify({ endpoint: "slack-btn/cpu", dedup_key: "2026-04-02:budget_level:3" });
    await click(press(ACTION_IDS.snooze, value, "/r/snooze"), T0 + 3 * HOUR);
    const [text] = (await responses("/r/snooze")).map((r) => r.text);
    expect(text).toContain("automatic actions suspended on slack-btn/cpu until 2026-04-02T04:00:00.000Z");
    expect(text).toContain("alert condition budget_level:3 silenced");
  });

  it("answers a snooze of a key no alert ever had to the presser alone, and suspends nothing", async () => {
    const before = await stateCounts();
    const value = JSON.stringify({ endpoint: "slack-btn/cpu", dedup_key: "2026-04-02:budget_level:9" });
    await click(press(ACTION_IDS.snooze, value, "/r/snooze-none"), T0 + 3 * HOUR + MIN);
    expect(await responses("/r/snooze-none")).toEqual([
      { response_type: "ephemeral", replace_original: false, text: expect.stringContaining("no alert with key 2026-04-02:budget_level:9") },
    ]);
    expect(await stateCounts()).toEqual(before);
  });

  it("snoozes an error notice (its key is an error event's, no alert's): suspends its endpoint, silences nothing", async () => {
    const dedupKey = "2026-04-02:error:hf_unavailable:slack-btn/cpu";
    await recordEvents(env.DB, [
      {
        at: T0 + 3 * HOUR,
        type: "error",
        kind: "hf_unavailable",
        severity: "warning",
        endpoint: "slack-btn/cpu",
        title: "HF did not answer",
        message: "m",
        data: {},
        dedupKey,
      },
    ]);
    const value = JSON.stringify({ endpoint: "slack-btn/cpu", dedup_key: dedupKey });
    await click(press(ACTION_IDS.snooze, value, "/r/snooze-error"), T0 + 3 * HOUR + 2 * MIN);
    const [text] = (await responses("/r/snooze-error")).map((r) => r.text);
    expect(text).toContain("automatic actions suspended on slack-btn/cpu");
    expect(text).not.toContain("Not done");
  });

  it("restores an endpoint from the button", async () => {
    await click(press(ACTION_IDS.restore, "slack-btn/big", "/r/restore"), T0 + 4 * HOUR);
    expect((await responses("/r/restore"))[0]?.text).toContain("restore forced on slack-btn/big");
    const restores = (await actionsOfDay(env.DB, "2026-04-02")).filter((a) => a.kind === "restore");
    expect(restores.map((a) => [a.endpoint, a.status])).toContainEqual(["slack-btn/big", "applied"]);
    expect((await g.admin.mutations()).at(-1)).toMatchObject({ path: "/v2/endpoint/slack-btn/big/resume" });
  });

  it("tells an unlisted user no, ignores what is not a button press, and refuses bad payloads and signatures", async () => {
    const before = await stateCounts();
    await click(press(ACTION_IDS.restore, "slack-btn/big", "/r/stranger", "U0STRANGER"), T0 + 5 * HOUR);
    expect((await responses("/r/stranger"))[0]).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringContaining("may not steer"),
    });
    const shortcut = new URLSearchParams({ payload: JSON.stringify({ type: "shortcut", user: { id: "U0ALLOWED" } }) }).toString();
    expect((await click(shortcut, T0 + 5 * HOUR)).status).toBe(200);
    const broken = await click(new URLSearchParams({ payload: "{" }).toString(), T0 + 5 * HOUR);
    expect(broken.status).toBe(400);
    const noUser = await click(new URLSearchParams({ payload: JSON.stringify({ type: "block_actions" }) }).toString(), T0 + 5 * HOUR);
    expect(noUser.status).toBe(400);
    expect(((await noUser.json()) as { error: { message: string } }).error.message).toContain("user");
    expect((await click(press(ACTION_IDS.restore, "slack-btn/big", "/r/x"), T0 + 5 * HOUR, "wrong")).status).toBe(401);
    expect(await stateCounts()).toEqual(before);
  });
});

describe("buttons on the alerts the guardrail sends to Slack", () => {
  const g = guardrail(
    "slack-alert",
    [
      "  slack-alert/big: { expected_max_replicas: 2 }", // one more entry under `endpoints:`: big's 4 replicas are runaway scaling
      "approvals: { shutdown: { wait_minutes: 30, on_timeout: hold } }",
      "alerts: { public_url: https://guardrail.test }",
    ].join("\n"),
  );
  const hook = slackHook(inject("slackBase"), "slack-alert");
  const notifier = createNotifier({ secrets: { SLACK_WEBHOOK_URL: hook.url, SLACK_SIGNING_SECRET: env.SLACK_SIGNING_SECRET } });
  const T0 = day(3);
  const click = async (body: string, at: number) => send(await slackRequest("/slack/interactions", body, at), at, g.env);
  type Button = { action_id: string; value?: string; url?: string; text: { text: string } };
  const buttons = (m: ReceivedSlackMessage | undefined): Button[] =>
    (m?.payload.blocks ?? []).flatMap((b) => (b.type === "actions" ? ((b as { elements: Button[] }).elements ?? []) : []));
  const message = async (title: string) => (await hook.messages()).find((m) => m.payload.text?.includes(title));
  const button = (m: ReceivedSlackMessage | undefined, text: string) => {
    const b = buttons(m).find((x) => x.text.text === text);
    if (!b) throw new Error(`no "${text}" button on ${m?.payload.text}: ${JSON.stringify(buttons(m))}`);
    return b;
  };

  it("carries the buttons POST /slack/interactions acts on: approve, snooze, restore; link buttons need no answer", async () => {
    await g.admin.reset(FLEET);
    // The tests above tick without a notifier, so their alerts have no notice, and this test's outbox (which
    // sweeps alerts of any age) would send them to this hook, over its hourly limit. Queue them to no channel.
    await createNotifier({ secrets: {} }).afterTick({ db: env.DB, now: T0, alerts: null, events: [], policy: null });
    await g.tick(T0, notifier);
    await g.tick(T0 + HOUR, notifier); // 220 %: pauses wait for approval, vip is spared

    // Approve pause, from the approval request as it reached Slack.
    const approve = button(await message("Approve pause of slack-alert/big?"), "Approve pause");
    await click(press(approve.action_id, approve.value ?? "", "/a/approve"), T0 + HOUR + MIN);
    expect((await responses("/a/approve"))[0]?.text).toContain("approved pause of slack-alert/big");
    const t2 = await g.tick(T0 + HOUR + 2 * MIN, notifier);
    expect(t2.executed.filter((x) => x.action.kind === "pause").map((x) => [x.action.endpoint, x.status])).toEqual([
      ["slack-alert/big", "applied"],
    ]);

    // Snooze 1h, from the alert about the spared critical endpoint: suspends it and acks that condition.
    const spared = await message("Critical endpoint slack-alert/vip left running");
    const snooze = button(spared, "Snooze 1h");
    await click(press(snooze.action_id, snooze.value ?? "", "/a/snooze"), T0 + HOUR + 3 * MIN);
    const overrides = await activeOverrides(env.DB, T0 + HOUR + 4 * MIN);
    expect(overrides.filter((o) => o.actor === "slack:U0ALLOWED").map((o) => [o.op, o.op === "ack" ? o.condition : o.endpoint])).toEqual(
      expect.arrayContaining([
        ["suspend", "slack-alert/vip"],
        ["ack", expect.stringMatching(/^critical_endpoint_spared:slack-alert\/vip:\d$/)],
      ]),
    );

    // Restore, from the runaway scaling alert about big (now paused): the guardrail puts back what it changed.
    const restoreBig = button(await message("Runaway scaling on slack-alert/big"), "Restore");
    await click(press(restoreBig.action_id, restoreBig.value ?? "", "/a/restore"), T0 + HOUR + 5 * MIN);
    expect((await responses("/a/restore"))[0]?.text).toContain("restore forced on slack-alert/big");
    expect((await g.admin.mutations()).at(-1)).toMatchObject({ path: "/v2/endpoint/slack-alert/big/resume" });

    // A link button (Status) is reported by Slack too: it gets its 200 and nothing else.
    const before = await stateCounts();
    const link = button(spared, "Status");
    expect(link.url).toBe("https://guardrail.test/");
    expect((await click(press(link.action_id, "", "/a/link"), T0 + HOUR + 6 * MIN)).status).toBe(200);
    expect(await responses("/a/link")).toEqual([]);
    expect(await stateCounts()).toEqual(before);
  });
});
