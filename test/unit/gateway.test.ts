// The gateway's pure parts: the routing decision, overflow outcomes, header and URL shaping,
// request-body replay, the latency histogram and its percentiles, caller keys, the services policy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countersOf, latencyBucket, MetricsAggregate } from "../../src/gateway/counters.ts";
import { downstreamHeaders, upstreamHeaders, upstreamUrl } from "../../src/gateway/forward.ts";
import { errorRate, PrimaryHealth } from "../../src/gateway/health.ts";
import {
  callerAllowed,
  decideRoute,
  LATENCY_BOUNDS_MS,
  overflowReason,
  percentiles,
  presentedKey,
  renderGatewayMetrics,
} from "../../src/gateway/index.ts";
import { prepareBody } from "../../src/gateway/replay.ts";
import type { RouteInputs } from "../../src/gateway/route.ts";
import { RoutingState } from "../../src/gateway/state.ts";
import { type OverflowLimits, parsePolicy, settingsFor, validatePolicy } from "../../src/policy/index.ts";
import { policy } from "../fixtures/builders.ts";

const LIMITS: OverflowLimits = {
  on_status: [429, 502, 503, 504],
  primary_timeout_ms: 10_000,
  max_queue: 4,
  max_error_rate: 0.1,
  window_seconds: 60,
  min_requests: 20,
  replay_limit_bytes: 1024,
};

const inputs = (over: Partial<RouteInputs> = {}): RouteInputs => ({
  mode: "overflow",
  primary: { url: "https://p.example", state: "running" },
  fallbackUrl: "https://f.example",
  queue: 0,
  errorRate: null,
  limits: LIMITS,
  ...over,
});

describe("routing decision", () => {
  it("primary mode: the primary, never overflowing", () => {
    expect(decideRoute(inputs({ mode: "primary", queue: 99, errorRate: 1 }))).toEqual({ first: "primary", overflow: false });
  });

  it("fallback mode: the fallback", () => {
    expect(decideRoute(inputs({ mode: "fallback" }))).toEqual({ first: "fallback", reason: "mode" });
  });

  it("overflow mode: the primary first, with the fallback behind it", () => {
    expect(decideRoute(inputs())).toEqual({ first: "primary", overflow: true });
  });

  it("overflow mode: the fallback first when the queue or the error rate is at its limit", () => {
    expect(decideRoute(inputs({ queue: 4 }))).toEqual({ first: "fallback", reason: "queue" });
    expect(decideRoute(inputs({ queue: 3, errorRate: 0.1 }))).toEqual({ first: "fallback", reason: "error_rate" });
    expect(decideRoute(inputs({ queue: 3, errorRate: 0.09 }))).toEqual({ first: "primary", overflow: true });
    expect(decideRoute(inputs({ queue: 99, limits: { ...LIMITS, max_queue: null } }))).toEqual({ first: "primary", overflow: true });
  });

  it("a paused or failed primary, or one without a URL, sends everything to the fallback in every mode", () => {
    for (const mode of ["primary", "overflow", "fallback"] as const) {
      expect(decideRoute(inputs({ mode, primary: { url: "https://p", state: "paused" } }))).toEqual({
        first: "fallback",
        reason: "primary_paused",
      });
      expect(decideRoute(inputs({ mode, primary: { url: "https://p", state: "failed" } }))).toEqual({
        first: "fallback",
        reason: "primary_paused",
      });
      expect(decideRoute(inputs({ mode, primary: { url: null, state: null } }))).toEqual({ first: "fallback", reason: "primary_no_url" });
    }
  });

  it("a paused primary is reported paused even when it has no URL", () => {
    expect(decideRoute(inputs({ primary: { url: null, state: "paused" } }))).toEqual({ first: "fallback", reason: "primary_paused" });
  });

  it("a scaled-to-zero primary is still tried: HF wakes it, and its cold-start 503 overflows", () => {
    expect(decideRoute(inputs({ primary: { url: "https://p", state: "scaledToZero" } }))).toEqual({ first: "primary", overflow: true });
  });

  it("without a fallback URL the primary is used alone, and nothing at all when the primary is unavailable too", () => {
    expect(decideRoute(inputs({ mode: "fallback", fallbackUrl: null }))).toEqual({ first: "primary", overflow: false });
    expect(decideRoute(inputs({ fallbackUrl: null, primary: { url: "https://p", state: "paused" } })).first).toBe("none");
  });

  it("overflows on the listed statuses, timeouts and network failures only", () => {
    expect(overflowReason(503, null, LIMITS)).toBe("status_503");
    expect(overflowReason(429, null, LIMITS)).toBe("status_429");
    expect(overflowReason(500, null, LIMITS)).toBeNull();
    expect(overflowReason(200, null, LIMITS)).toBeNull();
    expect(overflowReason(null, "timeout", LIMITS)).toBe("timeout");
    expect(overflowReason(null, "network", LIMITS)).toBe("unreachable");
  });
});

describe("forwarding", () => {
  it("joins the target URL and the caller's path without doubling a slash", () => {
    expect(upstreamUrl("https://x.endpoints.huggingface.cloud", "/v1/chat/completions", "?a=1")).toBe(
      "https://x.endpoints.huggingface.cloud/v1/chat/completions?a=1",
    );
    expect(upstreamUrl("https://router.huggingface.co/", "/v1/models", "")).toBe("https://router.huggingface.co/v1/models");
    expect(upstreamUrl("https://h/models/acme/x", "", "")).toBe("https://h/models/acme/x");
  });

  it("drops hop-by-hop fields, Host, cf-* and the caller's key; sets the target's token", () => {
    const h = upstreamHeaders(
      new Headers({
        connection: "keep-alive, x-secret-hop",
        "x-secret-hop": "1",
        "keep-alive": "timeout=5",
        te: "trailers",
        "transfer-encoding": "chunked",
        upgrade: "h2c",
        "proxy-authorization": "Basic abc",
        host: "guardrail.example",
        authorization: "Bearer caller-key",
        "cf-connecting-ip": "1.2.3.4",
        "content-length": "12",
        "content-type": "application/json",
        accept: "text/event-stream",
      }),
      "hf_token",
    );
    expect(Object.fromEntries(h)).toEqual({
      accept: "text/event-stream",
      authorization: "Bearer hf_token",
      "content-type": "application/json",
    });
    expect(upstreamHeaders(new Headers({ authorization: "Bearer k" }), null).has("authorization")).toBe(false);
  });

  it("never forwards our read cookie or any header carrying one of our secrets; other cookies pass", () => {
    const h = upstreamHeaders(
      new Headers({
        cookie: "session=abc; guardrail_read=rt_secret_123; theme=dark",
        "x-read-token": "rt_secret_123",
        "x-api-key": "caller-key-9",
        "x-keep": "yes",
      }),
      "hf_token",
      ["rt_secret_123", "caller-key-9"],
    );
    expect(Object.fromEntries(h)).toEqual({ authorization: "Bearer hf_token", cookie: "session=abc; theme=dark", "x-keep": "yes" });
    expect(upstreamHeaders(new Headers({ cookie: "guardrail_read=x" }), null).has("cookie")).toBe(false);
  });

  it("returns the upstream's headers less hop-by-hop ones, with ours", () => {
    const h = downstreamHeaders(new Headers({ "content-type": "text/event-stream", connection: "close", "x-request-id": "r1" }), {
      "x-guardrail-target": "fallback",
    });
    expect(Object.fromEntries(h)).toEqual({ "content-type": "text/event-stream", "x-request-id": "r1", "x-guardrail-target": "fallback" });
  });
});

const streamOf = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });

describe("request body replay", () => {
  it("keeps a body within the limit in memory", async () => {
    const b = await prepareBody(streamOf("ab", "cd"), null, 4);
    expect(b.replayable).toBe(true);
    expect(new TextDecoder().decode(b.body as Uint8Array)).toBe("abcd");
  });

  it("streams a body over the limit once, losing none of it", async () => {
    const b = await prepareBody(streamOf("ab", "cd", "ef"), null, 3);
    expect(b.replayable).toBe(false);
    expect(await new Response(b.body as ReadableStream).text()).toBe("abcdef");
  });

  it("does not read a body whose declared length is over the limit", async () => {
    const s = streamOf("abcdef");
    const b = await prepareBody(s, 6, 3);
    expect(b).toEqual({ replayable: false, body: s });
    expect(s.locked).toBe(false);
  });
});

describe("latency histogram", () => {
  it("puts a latency in the first bucket whose bound is at least it", () => {
    expect(latencyBucket(0.4)).toBe("latency_le_ms:1");
    expect(latencyBucket(1)).toBe("latency_le_ms:1");
    expect(latencyBucket(1.01)).toBe("latency_le_ms:2");
    expect(latencyBucket(999_999)).toBe("latency_le_ms:inf");
  });

  it("interpolates percentiles inside buckets", () => {
    expect(percentiles(new Map())).toBeNull();
    // 100 requests between 10 and 15 ms: p50 is halfway through that bucket
    expect(percentiles(new Map([["15", 100]]))).toEqual({ p50: 12.5, p90: 14.5, p99: 14.95 });
    expect(percentiles(new Map([["inf", 3]]))?.p99).toBe(120_000);
  });

  it("gives ordered percentiles within the buckets' range for any counts (property)", () => {
    const keys = [...LATENCY_BOUNDS_MS.map(String), "inf"];
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: keys.length, maxLength: keys.length }), (counts) => {
        const p = percentiles(new Map(keys.map((k, i) => [k, counts[i] ?? 0])));
        if (counts.every((c) => c === 0)) return p === null;
        return p !== null && 0 <= p.p50 && p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= 120_000;
      }),
    );
  });

  it("turns an attempt into its counters, errors being 5xx, 429 and no answer", () => {
    const base = { at: 0, service: "s", target: "primary" as const, endpoint: "a/b", latencyMs: 12, bytesIn: 5, bytesOut: 0 };
    expect(Object.fromEntries(countersOf({ ...base, status: 200, failure: null }))).toEqual({
      requests: 1,
      "latency_le_ms:15": 1,
      latency_sum_ms: 12,
      "status:200": 1,
      bytes_in: 5,
    });
    expect(Object.fromEntries(countersOf({ ...base, status: 429, failure: null })).errors).toBe(1);
    expect(Object.fromEntries(countersOf({ ...base, status: null, failure: "timeout" }))).toMatchObject({
      "failure:timeout": 1,
      errors: 1,
    });
  });

  it("adds counters up per minute and key, and gives them all back on drain", () => {
    const m = new MetricsAggregate();
    const key = { minute: 60_000, service: "s", target: "primary" as const, endpoint: "a/b" };
    m.add(key, "requests", 1);
    m.add({ ...key }, "requests", 2);
    m.add({ ...key, minute: 120_000 }, "requests", 1);
    const rows = m.drain();
    expect(rows).toEqual([
      { ...key, name: "requests", value: 3 },
      { ...key, minute: 120_000, name: "requests", value: 1 },
    ]);
    expect(m.size).toBe(0);
    m.restore(rows);
    expect(m.drain()).toEqual(rows);
  });

  it("renders Prometheus counters and a cumulative histogram", () => {
    const row = (name: string, value: number) => ({ service: "chat", target: "primary", endpoint: "a/b", name, value });
    const text = renderGatewayMetrics([
      row("requests", 3),
      row("latency_le_ms:10", 1),
      row("latency_le_ms:50", 2),
      row("latency_sum_ms", 90),
      row("fallback:status_503", 1),
    ]);
    expect(text).toContain('guardrail_gateway_requests_total{service="chat",target="primary",endpoint="a/b"} 3');
    expect(text).toContain('guardrail_gateway_fallbacks_total{service="chat",target="primary",endpoint="a/b",reason="status_503"} 1');
    expect(text).toContain('guardrail_gateway_upstream_latency_seconds_bucket{service="chat",target="primary",endpoint="a/b",le="0.03"} 1');
    expect(text).toContain('guardrail_gateway_upstream_latency_seconds_bucket{service="chat",target="primary",endpoint="a/b",le="+Inf"} 3');
    expect(text).toContain('guardrail_gateway_upstream_latency_seconds_sum{service="chat",target="primary",endpoint="a/b"} 0.09');
    expect(renderGatewayMetrics([])).toBe("");
  });
});

describe("primary health", () => {
  it("counts the queue up and down once per request", () => {
    const h = new PrimaryHealth();
    const a = h.enqueue("a/b");
    const b = h.enqueue("a/b");
    expect(h.queued("a/b")).toBe(2);
    a();
    a();
    expect(h.queued("a/b")).toBe(1);
    b();
    expect(h.queued("a/b")).toBe(0);
  });

  it("gives the error rate over the window, and none below min_requests", () => {
    const h = new PrimaryHealth();
    for (let i = 0; i < 10; i++) h.record("a/b", 100_000 + i * 1000, i < 3);
    expect(h.recent("a/b", 110_000, 60)).toEqual({ requests: 10, errors: 3 });
    expect(h.recent("a/b", 110_000, 5)).toEqual({ requests: 4, errors: 0 }); // seconds 106..109
    expect(errorRate({ requests: 10, errors: 3 }, 10)).toBe(0.3);
    expect(errorRate({ requests: 9, errors: 3 }, 10)).toBeNull();
  });

  it("counts the same over the window whether it walks the window's seconds or the kept ones (seconds ahead of a clock that stepped back count too)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.boolean()), { maxLength: 300 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.integer({ min: 10, max: 3600 }),
        (records, now, windowS) => {
          const h = new PrimaryHealth();
          for (const [sec, error] of records) h.record("a/b", sec * 1000 + 250, error);
          // What every second past the window's start adds up to (300 seconds at most: none pruned).
          const kept = records.filter(([sec]) => sec > now - windowS);
          expect(h.recent("a/b", now * 1000 + 500, windowS)).toEqual({ requests: kept.length, errors: kept.filter(([, e]) => e).length });
        },
      ),
    );
  });

  it("keeps an hour of seconds and counts a short window of them", () => {
    const h = new PrimaryHealth();
    for (let sec = 0; sec < 4000; sec++) h.record("a/b", sec * 1000, sec % 10 === 0);
    expect(h.recent("a/b", 3_999_000, 60)).toEqual({ requests: 60, errors: 6 });
    expect(h.recent("a/b", 3_999_000, 3600)).toEqual({ requests: 3600, errors: 360 });
  });
  it("forgets a primary that went quiet for longer than the longest window", () => {
    const h = new PrimaryHealth();
    h.record("ns/gone", 0, true);
    h.record("ns/busy", 1_000_000, false);
    expect(h.endpoints).toBe(2);
    h.record("ns/busy", 3_601_000, false); // ns/gone's last second is an hour behind: no window reaches it
    expect(h.endpoints).toBe(1);
    expect(h.recent("ns/gone", 3_601_000, 3600)).toEqual({ requests: 0, errors: 0 });
    expect(h.recent("ns/busy", 3_601_000, 3600)).toEqual({ requests: 2, errors: 0 });
  });
});

describe("caller keys", () => {
  it("reads the key from a Bearer authorization only", () => {
    expect(presentedKey(new Headers({ authorization: "Bearer abc" }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "bearer   abc " }))).toBe("abc");
    expect(presentedKey(new Headers({ authorization: "Basic abc" }))).toBeNull();
    expect(presentedKey(new Headers())).toBeNull();
  });

  it("accepts exactly one of the configured keys", async () => {
    expect(await callerAllowed("k2", ["k1", "k2"])).toBe(true);
    expect(await callerAllowed("k", ["k1", "k2"])).toBe(false);
    expect(await callerAllowed("k22", ["k1", "k2"])).toBe(false);
    expect(await callerAllowed(null, ["k1"])).toBe(false);
    expect(await callerAllowed("k1", [])).toBe(false);
  });

  it("refuses a key once its secret is rotated and accepts the new one (secrets' digests are kept per value)", async () => {
    expect(await callerAllowed("old-key", ["old-key"])).toBe(true);
    expect(await callerAllowed("old-key", ["new-key"])).toBe(false);
    expect(await callerAllowed("new-key", ["new-key"])).toBe(true);
  });
});

describe("services policy", () => {
  const minimal = "budget: { daily_usd: 50 }\nhf: { namespaces: [acme] }\n";
  const service = `services:\n  chat:\n    primary: { target: acme/llm, token: HF_TOKEN }\n    fallback: { target: "https://router.huggingface.co", token: HF_ROUTER_TOKEN }\n    callers: [CHAT_KEY]\n`;

  it("fills the documented defaults", () => {
    const res = parsePolicy(minimal + service);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.services.chat).toEqual({
      primary: { target: "acme/llm", token: "HF_TOKEN", pricing: null },
      fallback: { target: "https://router.huggingface.co", token: "HF_ROUTER_TOKEN", pricing: null },
      endpoint: null,
      budget: { on_exhausted: "refuse", daily_cap_usd: null, retry_after_seconds: null },
      callers: ["CHAT_KEY"],
      timeout_ms: 120_000,
      overflow: {
        on_status: [429, 502, 503, 504],
        primary_timeout_ms: 10_000,
        max_queue: null,
        max_error_rate: null,
        window_seconds: 60,
        min_requests: 20,
        replay_limit_bytes: 1_048_576,
      },
    });
    const none = parsePolicy(minimal);
    expect(none.ok && none.policy.services).toEqual({});
  });

  it("rejects plain-http URLs off loopback, secret values where names belong, and services without callers", () => {
    const res = validatePolicy({
      budget: { daily_usd: 5 },
      hf: { namespaces: ["acme"] },
      services: {
        chat: { primary: { target: "http://evil.example" }, fallback: { target: "acme/cpu", token: "hf_abc-123" }, callers: [] },
        Bad: { primary: { target: "acme/llm" }, fallback: { target: "acme/cpu" }, callers: ["K"] },
      },
    });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["services.chat.primary.target", "services.chat.fallback.token", "services.chat.callers", "services.Bad"]),
    );
  });

  it("gives the service's fallback to the endpoint it follows, so the reroute rung switches it to overflow", () => {
    const p = policy({
      services: { chat: { primary: { target: "acme/llm" }, fallback: { target: "https://router.huggingface.co" }, callers: ["K"] } },
      endpoints: { "acme/other": { fallback: null } },
    });
    expect(settingsFor(p, "acme/llm").fallback).toBe("https://router.huggingface.co");
    expect(settingsFor(p, "acme/other").fallback).toBeNull();
  });
});

describe("routing state cache", () => {
  it("serves a fresh snapshot, refreshes a stale one in the background, and reloads an old one before answering", async () => {
    let now = 1_000_000;
    const loads: number[] = [];
    const state = new RoutingState({
      clock: () => now,
      ttlMs: 5_000,
      maxStaleMs: 30_000,
      windowMs: 60_000,
      load: async (_db, since) => {
        loads.push(since);
        return {
          routes: new Map([["a/b", loads.length === 1 ? "primary" : "overflow"]]),
          endpoints: new Map(),
          recent: new Map(),
          budget: null,
          serviceSpend: new Map(),
        };
      },
    });
    const db = {} as D1Database;
    const background: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => background.push(p);

    expect((await state.get(db, waitUntil)).routes.get("a/b")).toBe("primary");
    now += 4_999;
    await state.get(db, waitUntil);
    expect(loads).toEqual([1_000_000 - 60_000]);

    now += 1; // stale: answered from the old snapshot, one refresh started
    const [a, b] = await Promise.all([state.get(db, waitUntil), state.get(db, waitUntil)]);
    expect([a.routes.get("a/b"), b.routes.get("a/b")]).toEqual(["primary", "primary"]);
    expect(background).toHaveLength(1);
    await Promise.all(background);
    expect((await state.get(db, waitUntil)).routes.get("a/b")).toBe("overflow");

    now += 30_000; // too old: loaded before answering
    await state.get(db, waitUntil);
    expect(loads).toHaveLength(3);
    expect(background).toHaveLength(1);
  });
});
