// Property: whatever a signed client sends to the override webhook or Slack routes, the answer is
// never a 5xx (bad input is a 4xx naming the field, good input succeeds). Inside workerd, real D1.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/notify/index.ts";
import { FLEET, guardrail, HOUR, send, signed, slackRequest } from "../fixtures/http.ts";

const g = guardrail("prop");
const T = Date.UTC(2026, 6, 1, 12, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", " ", "null", "0", "*", "\u0000", "x".repeat(600)));
const endpointLike = fc.oneof(
  fc.constantFrom("prop/big", "prop/vip", "prop/summarizer", "prop/cpu", "prop/nope", "other/big", "*", "prop/", "/big", "PROP/Big"),
  text,
);
const durationLike = fc.oneof(fc.constantFrom("30m", "2h", "1h30m", "6h", "7h", "1d", "0m", "-1h", "1.5h", "99999d"), text);
const untilLike = fc.oneof(
  fc.integer({ min: -48, max: 48 }).map((h) => iso(T + h * HOUR)),
  fc.constantFrom("2026-07-01", "tomorrow"),
  text,
);
const numberLike = fc.oneof(fc.double({ noNaN: true }), fc.integer(), fc.constantFrom(0, -1, 1e308, 5, 15, 50, 100), text);

const known = fc.constantFrom("prop/big", "prop/vip", "prop/summarizer", "prop/cpu");
const word = fc.constantFrom("load test", "alice", "x", "ok then");
const common = { duration: fc.constantFrom("30m", "2h", "6h"), reason: word, actor: word };

/** Well-formed requests of every operation... */
const validRequest = fc.oneof(
  fc.record({ op: fc.constant("suspend"), endpoint: fc.oneof(known, fc.constant("*")), ...common }),
  fc.record({ op: fc.constant("raise_budget"), budget_usd: fc.integer({ min: 11, max: 1000 }), ...common }),
  fc.record({ op: fc.constant("raise_budget"), percent: fc.integer({ min: 1, max: 500 }), ...common }),
  fc.record({ op: fc.constant("force"), endpoint: known, action: fc.constantFrom("scale_down", "reroute", "pause", "restore"), ...common }),
  fc.record({ op: fc.constant("force"), endpoint: fc.constant("*"), action: fc.constant("restore"), ...common }),
  fc.record({ op: fc.constant("ack"), dedup_key: fc.constantFrom("2026-07-01:budget_level:1", "budget_level:3"), ...common }),
  fc.record({
    op: fc.constantFrom("approve", "reject"),
    endpoint: known,
    action: fc.constantFrom("scale_down", "reroute", "pause"),
    reason: word,
    actor: word,
  }),
);
const FIELDS = ["op", "endpoint", "duration", "until", "reason", "actor", "budget_usd", "percent", "action", "dedup_key", "extra"] as const;
const junk = fc.oneof(endpointLike, durationLike, untilLike, numberLike, fc.jsonValue());

/** ...and the same with one field dropped, replaced by junk, or added. */
const requestLike = fc
  .tuple(validRequest, fc.constantFrom("as is", "drop", "junk"), fc.constantFrom(...FIELDS), junk)
  .map(([r, how, field, value]) => {
    const out: Record<string, unknown> = { ...r };
    if (how === "drop") delete out[field];
    if (how === "junk") out[field] = value;
    return out;
  });

const bodyLike = fc.oneof(
  { arbitrary: requestLike.map((r) => JSON.stringify(r)), weight: 8 },
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 100 }).map((b) => String.fromCharCode(...b)),
);

describe("random requests never produce a 5xx", () => {
  it("POST /v1/overrides and DELETE /v1/overrides/{id}, signed", async () => {
    await g.admin.reset(FLEET);
    await g.tick(T - HOUR);
    await g.tick(T - HOUR / 2);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        bodyLike,
        fc.integer({ min: 0, max: 4 }).map((i) => i === 0),
        fc.oneof(fc.constantFrom("ovr_none"), fc.string({ minLength: 1, maxLength: 20 })),
        async (body, del, id) => {
          const at = T + n++ * 1000;
          const path = del ? `/v1/overrides/${encodeURIComponent(id)}` : "/v1/overrides";
          const res = await send(await signed(del ? "DELETE" : "POST", path, body, at), at, g.env);
          expect(res.status, `${res.status} for ${body}`).toBeLessThan(500);
          const json = (await res.json()) as { error?: { code: string; message: string } };
          if (res.status >= 400) expect(json.error?.message).toBeTruthy();
        },
      ),
      { numRuns: 250 },
    );
  }, 60_000);

  it("POST /slack/commands and /slack/interactions, signed", async () => {
    const commandText = fc.oneof(
      fc
        .tuple(
          fc.constantFrom("status", "suspend", "resume", "raise", "help", ""),
          fc.array(fc.oneof(endpointLike, durationLike, text), { maxLength: 4 }),
        )
        .map(([w, rest]) => [w, ...rest].join(" ")),
      text,
    );
    const payload = fc.oneof(
      fc
        .record({
          type: fc.constantFrom("block_actions", "shortcut", "view_submission"),
          user: fc.record({ id: fc.constantFrom("U0ALLOWED", "U0STRANGER") }),
          actions: fc.array(
            fc.record({
              action_id: fc.oneof(fc.constantFrom(...Object.values(ACTION_IDS)), text),
              value: fc.oneof(
                endpointLike,
                text,
                fc.jsonValue().map((v) => JSON.stringify(v)),
              ),
            }),
            { maxLength: 2 },
          ),
        })
        .map((p) => JSON.stringify(p)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      text,
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), commandText, payload, fc.constantFrom("U0ALLOWED", "U0STRANGER"), async (isCommand, cmd, p, user) => {
        const at = T + 3 * HOUR + n++ * 1000;
        const body = isCommand
          ? new URLSearchParams({ command: "/guardrail", text: cmd, user_id: user }).toString()
          : new URLSearchParams({ payload: p }).toString();
        const res = await send(await slackRequest(isCommand ? "/slack/commands" : "/slack/interactions", body, at), at, g.env);
        expect(res.status, `${res.status} for ${body}`).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
