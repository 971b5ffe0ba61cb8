// The inference gateway inside workerd: the real Hono app and Gateway, real local D1 with the real
// migrations, and two local upstream servers (primary, fallback) over real HTTP. Each test uses its
// own endpoint namespace, so the shared per-file D1 never mixes their routes and observations.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../../handlers/http/app.ts";
import worker from "../../handlers/worker.ts";
import type { RouteMode } from "../../src/core/types.ts";
import { Gateway, renderGatewayMetrics } from "../../src/gateway/index.ts";
import type { EndpointState } from "../../src/providers/types.ts";
import {
  addGatewayCounters,
  compactGatewayCounters,
  gatewayCounterTotals,
  gatewaySpendBetween,
  gatewayStats,
  raiseDayLevel,
  recordMetering,
  setRoute,
} from "../../src/store/index.ts";
import { endpoint } from "../fixtures/builders.ts";
import type { RecordedCall } from "../fixtures/upstream.ts";

const PRIMARY = inject("upstreamPrimary");
const FALLBACK = inject("upstreamFallback");
const CALLER_KEY = "gw_live_3f9a2c7e";
let seq = 0;

interface ServiceOver {
  budget?: Record<string, unknown>;
  overflow?: Record<string, unknown>;
  primary?: Record<string, unknown>;
  fallback?: Record<string, unknown>;
  timeout_ms?: number;
}

/** A service "chat" whose primary is the endpoint `${ns}/llm` (URL: the primary upstream) and whose fallback is the fallback upstream. */
function harness(ns: string, over: ServiceOver = {}, gatewayOptions: ConstructorParameters<typeof Gateway>[0] = {}) {
  const id = `${ns}/llm`;
  const policy = {
    mode: "enforce",
    budget: { daily_usd: 10 },
    hf: { namespaces: [ns] },
    services: {
      chat: {
        primary: { target: id, token: "PRIMARY_TOKEN", ...over.primary },
        fallback: { target: FALLBACK, token: "FALLBACK_TOKEN", ...over.fallback },
        callers: ["CHAT_KEY_A", "CHAT_KEY_B"],
        ...(over.timeout_ms ? { timeout_ms: over.timeout_ms } : {}),
        overflow: over.overflow ?? {},
        ...(over.budget ? { budget: over.budget } : {}),
      },
    },
  };
  const gateway = new Gateway({ stateTtlMs: 0, maxStaleMs: 0, flushIntervalMs: 3_600_000, ...gatewayOptions });
  const app = createApp({ clock: () => Date.now(), gateway });
  const testEnv = {
    ...env,
    GUARDRAIL_POLICY: JSON.stringify(policy),
    CHAT_KEY_A: "another-key-not-used",
    CHAT_KEY_B: CALLER_KEY,
    PRIMARY_TOKEN: "hf_primary_token",
    FALLBACK_TOKEN: "hf_fallback_token",
  } as Cloudflare.Env;
  const testId = `${ns}-${++seq}`;

  async function call(path: string, init: RequestInit & { upstream?: Record<string, string>; key?: string | null } = {}) {
    const headers = new Headers(init.headers);
    headers.set("x-test-id", testId);
    if (init.key !== null) headers.set("authorization", `Bearer ${init.key ?? CALLER_KEY}`);
    for (const [server, directive] of Object.entries(init.upstream ?? {})) headers.set(`x-upstream-${server}`, directive);
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`https://guardrail.test${path}`, { ...init, headers }), testEnv, ctx);
    return { res, settled: () => waitOnExecutionContext(ctx) };
  }

  /** Calls, reads the answer to its end and waits for the request's background work (the copy the gateway meters). */
  async function answer(path: string, init: Parameters<typeof call>[1] = {}) {
    const { res, settled } = await call(path, init);
    const text = await res.text();
    await settled();
    return { res, text };
  }

  return {
    id,
    gateway,
    call,
    answer,
    observe: (state: EndpointState, url: string | null = PRIMARY) =>
      recordMetering(env.DB, Date.now() + seq++, [{ o: endpoint({ namespace: ns, name: "llm", state, url }), billable: 1 }], []),
    route: (mode: RouteMode) => setRoute(env.DB, id, mode, FALLBACK, "test", Date.now()),
    calls: async (server: "primary" | "fallback"): Promise<RecordedCall[]> => {
      const res = await fetch(`${server === "primary" ? PRIMARY : FALLBACK}/_upstream/calls?test=${testId}`);
      return ((await res.json()) as { calls: RecordedCall[] }).calls;
    },
  };
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe("gateway routing modes", () => {
  it("primary mode sends everything to the primary, with the primary's token instead of the caller's key", async () => {
    const h = harness("gw-primary");
    await h.observe("running");
    await h.route("primary");
    const { res } = await h.call("/v1/gateway/chat/v1/chat/completions?stream=false", {
      method: "POST",
      headers: { "content-type": "application/json", connection: "keep-alive, x-drop-me", "x-drop-me": "1", "x-keep": "yes" },
      body: JSON.stringify({ model: "tgi", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-guardrail-target")).toBe("primary");
    const body = await json(res);
    expect(body.server).toBe("primary");
    expect(body.url).toBe("/v1/chat/completions?stream=false");
    expect(JSON.parse(body.body as string)).toEqual({ model: "tgi", messages: [{ role: "user", content: "hi" }] });
    const sent = body.headers as Record<string, string>;
    expect(sent.authorization).toBe("Bearer hf_primary_token");
    expect(sent["x-keep"]).toBe("yes");
    expect(sent["x-drop-me"]).toBeUndefined();
    expect(JSON.stringify(sent)).not.toContain(CALLER_KEY);
    expect(await h.calls("fallback")).toEqual([]);
  });

  it("forwards the service's own path to the target's root", async () => {
    const h = harness("gw-root");
    await h.observe("running");
    const { res } = await h.call("/v1/gateway/chat?probe=1");
    expect(await json(res)).toMatchObject({ server: "primary", url: "/?probe=1" });
  });

  it("primary mode passes the primary's failures through without trying the fallback", async () => {
    const h = harness("gw-primary-503");
    await h.observe("running");
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: "{}", upstream: { primary: "status=503" } });
    expect(res.status).toBe(503);
    expect((await json(res)).error).toBe("primary answers 503");
    expect(await h.calls("fallback")).toEqual([]);
  });

  it("fallback mode sends everything to the fallback with the fallback's token", async () => {
    const h = harness("gw-fallback");
    await h.observe("running");
    await h.route("fallback");
    const { res } = await h.call("/v1/gateway/chat/v1/chat/completions", { method: "POST", body: '{"model":"m"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-guardrail-target")).toBe("fallback");
    expect(res.headers.get("x-guardrail-reason")).toBe("mode");
    const body = await json(res);
    expect(body.server).toBe("fallback");
    expect((body.headers as Record<string, string>).authorization).toBe("Bearer hf_fallback_token");
    expect(await h.calls("primary")).toEqual([]);
  });

  it("overflow mode sends to the primary while it answers", async () => {
    const h = harness("gw-overflow-ok");
    await h.observe("running");
    await h.route("overflow");
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: '{"inputs":"x"}' });
    expect(res.status).toBe(200);
    expect((await json(res)).server).toBe("primary");
    expect(await h.calls("fallback")).toEqual([]);
  });

  it("a paused primary sends everything to the fallback, whatever the mode", async () => {
    const h = harness("gw-paused");
    await h.observe("paused");
    await h.route("primary");
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: '{"inputs":"x"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-guardrail-reason")).toBe("primary_paused");
    expect((await json(res)).server).toBe("fallback");
    expect(await h.calls("primary")).toEqual([]);
  });

  it("a paused primary without a URL is reported paused, not missing", async () => {
    const h = harness("gw-paused-nourl");
    await h.observe("paused", null);
    const { res } = await h.call("/v1/gateway/chat/x", { method: "POST", body: "{}" });
    expect(res.headers.get("x-guardrail-target")).toBe("fallback");
    expect(res.headers.get("x-guardrail-reason")).toBe("primary_paused");
  });

  it("never forwards our read cookie, our read token or a caller key upstream, nor headers Connection names", async () => {
    const h = harness("gw-strip");
    await h.observe("running");
    const { res } = await h.call("/v1/gateway/chat/x", {
      method: "POST",
      body: "{}",
      headers: {
        cookie: `lang=en; guardrail_read=${env.READ_TOKEN}`,
        "x-forwarded-read": `${env.READ_TOKEN}`,
        "x-caller-copy": CALLER_KEY,
        connection: "x-hop",
        "x-hop": "1",
      },
    });
    expect(res.status).toBe(200);
    const [sent] = await h.calls("primary");
    expect(sent?.headers.cookie).toBe("lang=en");
    expect(JSON.stringify(sent?.headers)).not.toContain(String(env.READ_TOKEN));
    expect(JSON.stringify(sent?.headers)).not.toContain(CALLER_KEY);
    expect(sent?.headers["x-hop"]).toBeUndefined();
  });

  it("follows the engine's route change once the cached state expires", async () => {
    let now = Date.now();
    const h = harness("gw-ttl", {}, { stateTtlMs: 5_000, maxStaleMs: 5_000, clock: () => now });
    await h.observe("running");
    await h.route("primary");
    expect((await h.call("/v1/gateway/chat/x")).res.headers.get("x-guardrail-target")).toBe("primary");
    await h.route("fallback");
    now += 4_000; // still fresh: the old mode holds
    expect((await h.call("/v1/gateway/chat/x")).res.headers.get("x-guardrail-target")).toBe("primary");
    now += 1_001; // expired: reloaded before answering
    expect((await h.call("/v1/gateway/chat/x")).res.headers.get("x-guardrail-target")).toBe("fallback");
  });
});

describe("gateway overflow", () => {
  it.each([
    ["429", "status=429", "status_429"],
    ["502", "status=502", "status_502"],
    ["503", "status=503", "status_503"],
    ["HF cold-start 503", "cold", "status_503"],
  ])("moves a request to the fallback when the primary answers %s, resending the same body", async (_label, directive, reason) => {
    const h = harness(`gw-of-${reason}-${directive.length}`);
    await h.observe("running");
    await h.route("overflow");
    const payload = JSON.stringify({ inputs: "résumé ✓", parameters: { max_new_tokens: 8 } });
    const { res } = await h.call("/v1/gateway/chat/generate?x=1", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: payload,
      upstream: { primary: directive },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-guardrail-target")).toBe("fallback");
    expect(res.headers.get("x-guardrail-reason")).toBe(reason);
    const body = await json(res);
    expect(body).toMatchObject({ server: "fallback", url: "/generate?x=1", body: payload });
    expect((await h.calls("primary")).map((c) => c.body)).toEqual([payload]);
  });

  it("moves a request to the fallback when the primary does not answer within primary_timeout_ms", async () => {
    const h = harness("gw-of-timeout", { overflow: { primary_timeout_ms: 150 } });
    await h.observe("running");
    await h.route("overflow");
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: "{}", upstream: { primary: "delay=2000" } });
    expect(res.headers.get("x-guardrail-reason")).toBe("timeout");
    expect((await json(res)).server).toBe("fallback");
  });

  it("moves a request to the fallback when the primary drops the connection", async () => {
    const h = harness("gw-of-reset");
    await h.observe("running");
    await h.route("overflow");
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: "{}", upstream: { primary: "reset" } });
    expect(res.headers.get("x-guardrail-reason")).toBe("unreachable");
    expect((await json(res)).server).toBe("fallback");
  });

  it("answers 504 when the chosen target times out and there is nowhere else to go", async () => {
    const h = harness("gw-timeout-504", { timeout_ms: 150 });
    await h.observe("running");
    await h.route("primary");
    const { res } = await h.call("/v1/gateway/chat/generate", { upstream: { primary: "delay=2000" } });
    expect(res.status).toBe(504);
    expect(await json(res)).toMatchObject({ error: { code: "upstream_timeout" } });
  });

  it("sends new requests to the fallback while the primary's queue is at max_queue", async () => {
    const h = harness("gw-of-queue", { overflow: { max_queue: 1 } });
    await h.observe("running");
    await h.route("overflow");
    const slow = h.call("/v1/gateway/chat/generate", { method: "POST", body: "{}", upstream: { primary: "delay=1000" } });
    for (let i = 0; i < 100 && h.gateway.health.queued(h.id) < 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.gateway.health.queued(h.id)).toBe(1);
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: "{}" });
    expect(res.headers.get("x-guardrail-reason")).toBe("queue");
    expect((await json(res)).server).toBe("fallback");
    const first = await slow;
    expect((await json(first.res)).server).toBe("primary");
    expect(h.gateway.health.queued(h.id)).toBe(0);
  });

  it("sends new requests to the fallback once the primary's recent error rate is over max_error_rate", async () => {
    const h = harness("gw-of-errors", { overflow: { max_error_rate: 0.5, min_requests: 4 } });
    await h.observe("running");
    await h.route("overflow");
    for (let i = 0; i < 4; i++) {
      // 500 is not an overflow status: the caller gets it, and it counts as an error
      const { res } = await h.call("/v1/gateway/chat/generate", { upstream: { primary: "status=500" } });
      expect(res.status).toBe(500);
    }
    const { res } = await h.call("/v1/gateway/chat/generate");
    expect(res.headers.get("x-guardrail-reason")).toBe("error_rate");
    expect((await json(res)).server).toBe("fallback");
    expect(await h.calls("primary")).toHaveLength(4);
  });

  it("counts errors other isolates flushed to D1 towards the error rate", async () => {
    const h = harness("gw-of-remote-errors", { overflow: { max_error_rate: 0.2, min_requests: 10 } });
    await h.observe("running");
    await h.route("overflow");
    const minute = Date.now() - (Date.now() % 60_000);
    await addGatewayCounters(env.DB, [
      { minute, service: "chat", target: "primary", endpoint: h.id, name: "requests", value: 10 },
      { minute, service: "chat", target: "primary", endpoint: h.id, name: "errors", value: 3 },
    ]);
    const { res } = await h.call("/v1/gateway/chat/generate");
    expect(res.headers.get("x-guardrail-reason")).toBe("error_rate");
    expect(await h.calls("primary")).toEqual([]);
  });

  it("streams a body larger than replay_limit_bytes to the primary only, passing its failure through", async () => {
    const h = harness("gw-of-big", { overflow: { replay_limit_bytes: 16 } });
    await h.observe("running");
    await h.route("overflow");
    const big = "x".repeat(64);
    const { res } = await h.call("/v1/gateway/chat/generate", { method: "POST", body: big, upstream: { primary: "status=503" } });
    expect(res.status).toBe(503);
    expect((await h.calls("primary")).map((c) => c.body)).toEqual([big]);
    expect(await h.calls("fallback")).toEqual([]);
  });
});

describe("gateway streaming", () => {
  it.each(["primary", "overflow"] as const)("passes server-sent events through as they come (%s mode)", async (mode) => {
    const h = harness(`gw-sse-${mode}`);
    await h.observe("running");
    await h.route(mode);
    const holdId = `hold-${mode}-${Date.now()}`;
    const { res } = await h.call("/v1/gateway/chat/generate_stream", {
      method: "POST",
      body: "{}",
      upstream: { primary: `hold=${holdId}` },
    });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"id":0');
    // the first event reached the caller while the upstream is still holding the rest
    const held = (await (await fetch(`${PRIMARY}/_upstream/streams/${holdId}`)).json()) as { started: boolean; finished: boolean };
    expect(held).toMatchObject({ started: true, finished: false });
    await fetch(`${PRIMARY}/_upstream/release/${holdId}`, { method: "POST" });
    let rest = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('"id":1');
    expect(rest).toContain("data: [DONE]");
  });
});

describe("gateway callers and services", () => {
  it("answers 404 in the JSON error shape for a service the policy does not declare", async () => {
    const h = harness("gw-404");
    const { res } = await h.call("/v1/gateway/nope/v1/chat/completions");
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: { code: "unknown_service", message: 'no gateway service "nope" in the policy' } });
  });

  it.each([
    ["no key", null],
    ["a wrong key", "gw_live_3f9a2c7f"],
    ["a key's prefix", CALLER_KEY.slice(0, -1)],
  ])("answers 401 to a caller with %s and never reaches an upstream", async (_label, key) => {
    const h = harness(`gw-401-${String(key).length}`);
    await h.observe("running");
    const { res } = await h.call("/v1/gateway/chat/generate", { key });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
    expect(await json(res)).toMatchObject({ error: { code: "unauthorized" } });
    expect(await h.calls("primary")).toEqual([]);
    expect(await h.calls("fallback")).toEqual([]);
  });

  it("accepts any of the service's caller keys", async () => {
    const h = harness("gw-key-a");
    await h.observe("running");
    expect((await h.call("/v1/gateway/chat/x", { key: "another-key-not-used" })).res.status).toBe(200);
  });

  it("is mounted in the shipped Worker", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("https://guardrail.test/v1/gateway/nope/v1/models"), env, ctx);
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: { code: "unknown_service" } });
  });
});

describe("gateway metrics", () => {
  it("aggregates requests, statuses, latency, bytes and fallbacks per target and flushes them in one write", async () => {
    const h = harness("gw-metrics");
    await h.observe("running");
    await h.route("overflow");
    const since = Date.now();
    await (await h.call("/v1/gateway/chat/a", { method: "POST", body: "12345" })).res.text();
    await (await h.call("/v1/gateway/chat/b", { method: "POST", body: "12345", upstream: { primary: "status=503" } })).res.text();
    await h.answer("/v1/gateway/chat/c", { method: "POST", body: "{}", upstream: { primary: "sse=3" } });
    expect(await gatewayStats(env.DB, h.id, since, Date.now() + 1)).toMatchObject({ requests: 0 }); // nothing written yet
    await h.gateway.flush(env.DB);

    const primary = await gatewayStats(env.DB, h.id, since, Date.now() + 1);
    expect(primary).toMatchObject({
      requests: 3,
      errors: 1,
      statuses: { "200": 2, "503": 1 },
      fallbacks: 1,
      fallbacksByReason: { status_503: 1 },
      bytesIn: 12,
    });
    expect(primary.bytesOut).toBeGreaterThan(100); // JSON echo (Content-Length) + the streamed events, counted as they passed
    expect(primary.latencyMs?.p50).toBeGreaterThan(0);
    expect(primary.latencyMs?.p99).toBeGreaterThanOrEqual(primary.latencyMs?.p50 ?? 0);
    const fallback = await gatewayStats(env.DB, FALLBACK, since, Date.now() + 1);
    expect(fallback).toMatchObject({ requests: 1, statuses: { "200": 1 } });

    const text = renderGatewayMetrics(await gatewayCounterTotals(env.DB));
    expect(text).toContain(`guardrail_gateway_requests_total{service="chat",target="primary",endpoint="${h.id}"} 3`);
    expect(text).toContain(`guardrail_gateway_fallbacks_total{service="chat",target="primary",endpoint="${h.id}",reason="status_503"} 1`);
    expect(text).toMatch(
      /guardrail_gateway_upstream_latency_seconds_bucket\{service="chat",target="primary",endpoint="gw-metrics\/llm",le="\+Inf"\} 3/,
    );
  });

  it("flushes in the background through waitUntil once the flush interval has passed", async () => {
    const h = harness("gw-flush", {}, { flushIntervalMs: 0 });
    await h.observe("running");
    const since = Date.now();
    const { res, settled } = await h.call("/v1/gateway/chat/a");
    await res.text();
    await settled();
    expect((await gatewayStats(env.DB, h.id, since, Date.now() + 1)).requests).toBe(1);
  });

  it("folds minutes past the retention into totals, so counters never go down", async () => {
    const endpoint = "gw-compact/llm";
    const row = (minute: number, value: number) => ({ minute, service: "compact", target: "primary", endpoint, name: "requests", value });
    await addGatewayCounters(env.DB, [row(60_000, 2), row(120_000, 3), row(10 * 60_000, 4)]);
    const total = async () => (await gatewayCounterTotals(env.DB)).find((r) => r.endpoint === endpoint)?.value;
    expect(await total()).toBe(9);
    await compactGatewayCounters(env.DB, 5 * 60_000);
    await compactGatewayCounters(env.DB, 5 * 60_000); // twice: nothing counted twice
    expect(await total()).toBe(9);
    expect((await gatewayStats(env.DB, endpoint, 60_000, 5 * 60_000)).requests).toBe(0); // those minutes are gone
    expect((await gatewayStats(env.DB, endpoint, 5 * 60_000, 11 * 60_000)).requests).toBe(4);
  });
});

const PRICED = {
  pricing: {
    input_usd_per_million: 1,
    output_usd_per_million: 2,
    models: { "acme/small": { input_usd_per_million: 0.1, output_usd_per_million: 0.1 } },
  },
};

describe("gateway spend on token-priced targets", () => {
  it("meters a JSON answer's usage at the model's price and adds it to the day's spend at the next flush", async () => {
    const h = harness("gw-spend-json", { fallback: PRICED });
    await h.observe("running");
    await h.route("fallback");
    const since = Date.now() - 60_000;
    const { text } = await h.answer("/v1/gateway/chat/v1/chat/completions", {
      method: "POST",
      body: "{}",
      upstream: { fallback: "usage=1000:500" },
    });
    expect(JSON.parse(text).usage.prompt_tokens).toBe(1000);
    await h.answer("/v1/gateway/chat/v1/chat/completions", {
      method: "POST",
      body: "{}",
      upstream: { fallback: "usage=1000:1000,model=acme/small" },
    });
    await h.gateway.flush(env.DB);
    const spend = await gatewaySpendBetween(env.DB, since, Date.now() + 60_000);
    const mine = spend.rows.filter((r) => r.service === "chat" && r.endpoint === FALLBACK.replace(/\/$/, ""));
    // 1000 x $1/M + 500 x $2/M = $0.002; 2000 x $0.1/M = $0.0002
    expect(mine.map((r) => [r.model, r.spendMicro, r.tokensIn, r.tokensOut]).sort()).toEqual([
      ["acme/llama", 2000, 1000, 500],
      ["acme/small", 200, 1000, 1000],
    ]);
  });

  it("writes the last answers' spend to D1 once the flush interval passes, without another request", async () => {
    // Issue 14: spend of answers just before the traffic stops waited for a next request (or was lost with the isolate).
    const h = harness("gw-spend-trailing", { fallback: PRICED }, { flushIntervalMs: 300 });
    await h.observe("running");
    await h.route("fallback");
    const since = Date.now() - 60_000;
    const mine = async () =>
      (await gatewaySpendBetween(env.DB, since, Date.now() + 60_000)).rows.filter(
        (r) => r.service === "chat" && r.model === "acme/trailing",
      );
    for (let i = 0; i < 3; i++) {
      const { res, settled } = await h.call("/v1/gateway/chat/v1/chat/completions", {
        method: "POST",
        body: "{}",
        upstream: { fallback: "usage=1000:500,model=acme/trailing" },
      });
      await res.text();
      // settled() waits for the request's waitUntil: the trailing flush is in it.
      await settled();
    }
    // No h.gateway.flush() and no further request: the three answers ($0.002 each) are in D1.
    expect((await mine()).reduce((sum, r) => sum + r.spendMicro, 0)).toBe(6000);
  });

  it("reads a stream's usage from its last event while the first event reaches the caller at once", async () => {
    const h = harness("gw-spend-sse", { fallback: PRICED });
    await h.observe("running");
    await h.route("fallback");
    const since = Date.now() - 60_000;
    const holdId = `h-${Date.now()}`;
    const { res, settled } = await h.call("/v1/gateway/chat/v1/chat/completions", {
      method: "POST",
      body: "{}",
      upstream: { fallback: `hold=${holdId},usage=10:20,model=acme/sse` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain("chat.completion.chunk");
    expect(((await (await fetch(`${FALLBACK}/_upstream/streams/${holdId}`)).json()) as { finished: boolean }).finished).toBe(false);
    await fetch(`${FALLBACK}/_upstream/release/${holdId}`, { method: "POST" });
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain("[DONE]");
    await settled();
    await h.gateway.flush(env.DB);
    const spend = await gatewaySpendBetween(env.DB, since, Date.now() + 60_000);
    expect(spend.rows.find((r) => r.service === "chat" && r.model === "acme/sse")).toMatchObject({
      spendMicro: 50,
      tokensIn: 10,
      tokensOut: 20,
    });
  });

  it("prices answers at the published price list's rates, the policy's own prices first, reading the list once", async () => {
    const h = harness("gw-published", {
      fallback: {
        pricing: {
          published_prices: `${FALLBACK}/v1/models`,
          models: { "acme/own": { input_usd_per_million: 0.1, output_usd_per_million: 0.2 } },
        },
      },
    });
    const listReads = async () =>
      ((await (await fetch(`${FALLBACK}/_upstream/calls`)).json()) as { calls: RecordedCall[] }).calls.filter((c) => c.url === "/v1/models")
        .length;
    const readsBefore = await listReads();
    await h.observe("running");
    await h.route("fallback");
    // other tests of this file bill the same models on the same fallback: compare with what was there before
    const spendByModel = async () => {
      const spend = await gatewaySpendBetween(env.DB, 1, Date.now() + 60_000);
      const out: Record<string, number> = { unpriced: spend.unpricedRequests };
      for (const r of spend.rows.filter((x) => x.service === "chat")) out[r.model] = (out[r.model] ?? 0) + r.spendMicro;
      return out;
    };
    await h.gateway.flush(env.DB);
    const before = await spendByModel();
    for (const model of ["acme/llama:novita", "acme/llama", "acme/own", "acme/promo:groq", "acme/unlisted"]) {
      await h.answer("/v1/gateway/chat/v1/chat/completions", {
        method: "POST",
        body: "{}",
        upstream: { fallback: `usage=1000:500,model=${model}` },
      });
    }
    await h.gateway.flush(env.DB);
    const after = await spendByModel();
    const added = Object.fromEntries(Object.entries(after).map(([m, v]) => [m, v - (before[m] ?? 0)]));
    expect(added).toMatchObject({
      "acme/llama:novita": 1000 * 1.69 + 500 * 3.38, // the provider the answer names
      "acme/llama": 1000 * 2.1 + 500 * 4.4, // the router chose: the highest listed rates (a failed provider's are skipped)
      "acme/own": 1000 * 0.1 + 500 * 0.2, // the policy's price wins over the list's
      "acme/promo:groq": 0, // is_free
      unpriced: 1, // acme/unlisted: not listed, and the target has no default price
    });
    expect((await listReads()) - readsBefore).toBe(1);
  });

  it("cancels the upstream when the caller goes away mid-stream, and counts the answer unpriced", async () => {
    const h = harness("gw-spend-gone", { fallback: PRICED });
    await h.observe("running");
    await h.route("fallback");
    const before = (await gatewaySpendBetween(env.DB, 1, Date.now() + 60_000)).unpricedRequests;
    const dripId = `d-${Date.now()}`;
    const { res, settled } = await h.call("/v1/gateway/chat/v1/chat/completions", {
      method: "POST",
      body: "{}",
      upstream: { fallback: `drip=${dripId},usage=10:20` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("chat.completion.chunk");
    await reader.cancel();
    await settled();
    // the upstream saw its connection close while it was still generating (it would drip for 10 s)
    let seen = { cancelled: false, finished: false };
    for (let i = 0; i < 40 && !seen.cancelled; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = (await (await fetch(`${FALLBACK}/_upstream/streams/${dripId}`)).json()) as typeof seen;
    }
    expect(seen).toMatchObject({ cancelled: true, finished: false });
    await h.gateway.flush(env.DB);
    expect((await gatewaySpendBetween(env.DB, 1, Date.now() + 60_000)).unpricedRequests - before).toBe(1);
  });

  it("counts an answer without usage as unpriced, never as $0", async () => {
    const h = harness("gw-spend-none", { fallback: PRICED });
    await h.observe("running");
    await h.route("fallback");
    const before = (await gatewaySpendBetween(env.DB, 1, Date.now() + 60_000)).unpricedRequests;
    await h.answer("/v1/gateway/chat/x", { method: "POST", body: "{}", upstream: { fallback: "sse=2" } });
    await h.answer("/v1/gateway/chat/x", { method: "POST", body: "{}" });
    await h.gateway.flush(env.DB);
    const after = await gatewaySpendBetween(env.DB, 1, Date.now() + 60_000);
    expect(after.unpricedRequests - before).toBe(2);
  });

  it("refuses a non-critical service's token-priced requests with 429 budget_exhausted at the shutdown level", async () => {
    const h = harness("gw-exhausted", { fallback: PRICED, budget: { retry_after_seconds: 120 } });
    await h.observe("running");
    await h.route("fallback");
    const day = new Date().toISOString().slice(0, 10);
    await raiseDayLevel(env.DB, day, 3, 10_000_000, Date.now());
    try {
      const { res } = await h.call("/v1/gateway/chat/x", { method: "POST", body: "{}", upstream: { fallback: "usage=1:1" } });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("120");
      expect(((await json(res)).error as { code: string }).code).toBe("budget_exhausted");
      expect(await h.calls("fallback")).toEqual([]);
      // A dedicated primary (billed per replica-hour, paused by the ladder) still answers.
      await h.route("primary");
      const dedicated = await harness("gw-exhausted", { fallback: PRICED }).call("/v1/gateway/chat/x", { method: "POST", body: "{}" });
      expect(dedicated.res.status).toBe(200);
    } finally {
      await env.DB.prepare("DELETE FROM budget_days WHERE day = ?1").bind(day).run();
    }
  });

  it("refuses past a service's daily cap, counting this isolate's unflushed spend", async () => {
    // Other tests of this file flushed spend of service "chat" today: the cap sits $0.003 above it.
    const dayStart = Date.now() - (Date.now() % 86_400_000);
    const flushed = (await gatewaySpendBetween(env.DB, dayStart, Date.now() + 60_000)).rows
      .filter((r) => r.service === "chat")
      .reduce((a, r) => a + r.spendMicro, 0);
    const h = harness("gw-cap", { fallback: PRICED, budget: { daily_cap_usd: (flushed + 3000) / 1e6 } });
    await h.observe("running");
    await h.route("fallback");
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { res } = await h.answer("/v1/gateway/chat/x", { method: "POST", body: "{}", upstream: { fallback: "usage=1000:500" } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429]); // $0.002 each: the second takes it to $0.004, past the $0.003 cap
  });

  it("counts a daily cap per budget day: once the day ends, the service's requests pass again", async () => {
    let now = Date.UTC(2031, 0, 1, 23, 59, 30);
    const h = harness("gw-cap-day", { fallback: PRICED, budget: { daily_cap_usd: 0.003 } }, { clock: () => now });
    await h.observe("running");
    await h.route("fallback");
    const ask = async () =>
      (await h.answer("/v1/gateway/chat/x", { method: "POST", body: "{}", upstream: { fallback: "usage=1000:500" } })).res.status;
    expect([await ask(), await ask(), await ask()]).toEqual([200, 200, 429]);
    await h.gateway.flush(env.DB); // the day's $0.004 is in D1 now, under 2031-01-01
    now = Date.UTC(2031, 0, 2, 0, 0, 30);
    expect(await ask()).toBe(200);
  });
});
