// Token-priced targets: usage read from JSON answers and from the last event of a stream as the
// chunks pass, priced per model from the policy; answers without usage are unpriced, never $0.
import { describe, expect, it } from "vitest";
import { parsePriceList, publishedRates } from "../../src/gateway/published-prices.ts";
import { priceMicro, SSE_TAIL_BYTES, UsageReader } from "../../src/gateway/usage.ts";
import type { TargetPricing } from "../../src/policy/index.ts";
import { validatePolicy } from "../../src/policy/index.ts";
import { ServiceTokenSpend, SIM_TOKENS_PER_REQUEST, tokenSpendOfStep } from "../../src/sim/simulate.ts";
import { policy } from "../fixtures/builders.ts";

const enc = new TextEncoder();
const read = (contentType: string, ...parts: string[]) => {
  const r = UsageReader.for(contentType);
  for (const p of parts) r.push(enc.encode(p));
  return r.finish();
};

describe("usage of an answer", () => {
  it("reads an OpenAI-compatible JSON answer's usage and model", () => {
    const body = JSON.stringify({
      model: "m1",
      choices: [{ message: { content: "hi" } }],
      usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 },
    });
    expect(read("application/json", body.slice(0, 10), body.slice(10))).toEqual({ model: "m1", inputTokens: 12, outputTokens: 34 });
  });

  it("reads the last event of a stream, however the chunks split its lines", () => {
    const events = [
      `data: ${JSON.stringify({ model: "m2", choices: [{ delta: { content: "a" } }], usage: null })}\n\n`,
      `data: ${JSON.stringify({ model: "m2", choices: [], usage: { prompt_tokens: 7, completion_tokens: 3 } })}\r\n\r\n`,
      "data: [DONE]\n\n",
    ].join("");
    for (const cut of [1, 17, 90, events.length - 20]) {
      expect(read("text/event-stream; charset=utf-8", events.slice(0, cut), events.slice(cut))).toEqual({
        model: "m2",
        inputTokens: 7,
        outputTokens: 3,
      });
    }
  });

  it("keeps only a stream's last bytes, and finds the usage event split across reads of any size", () => {
    const chunk = (i: number) =>
      `data: ${JSON.stringify({ model: "m3", choices: [{ delta: { content: `token ${i}` } }], usage: null })}\n\n`;
    const events = `${Array.from({ length: 2000 }, (_, i) => chunk(i)).join("")}data: ${JSON.stringify({
      model: "m3",
      choices: [],
      usage: { prompt_tokens: 900, completion_tokens: 2000 },
    })}\n\ndata: [DONE]\n\n`;
    expect(events.length).toBeGreaterThan(5 * SSE_TAIL_BYTES);
    for (const size of [1, 7, 1000, SSE_TAIL_BYTES + 3, events.length]) {
      const r = UsageReader.for("text/event-stream");
      const buffer = new Uint8Array(size);
      for (let at = 0; at < events.length; at += size) {
        // one reused buffer, as a BYOB read gives: the reader must copy what it keeps
        const part = enc.encode(events.slice(at, at + size));
        buffer.set(part);
        r.push(buffer.subarray(0, part.byteLength));
        buffer.fill(0);
      }
      expect(r.finish()).toEqual({ model: "m3", inputTokens: 900, outputTokens: 2000 });
    }
  });

  it("leaves a stream unpriced when its usage event is longer than the kept window", () => {
    const huge = `data: ${JSON.stringify({ model: "m4", pad: "x".repeat(SSE_TAIL_BYTES), usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\n`;
    expect(read("text/event-stream", huge, "data: [DONE]\n\n")).toBeNull();
  });

  it("gives null (unpriced) for a stream without a usage event, a JSON body without usage, or garbage", () => {
    expect(read("text/event-stream", 'data: {"choices":[],"usage":null}\n\n', "data: [DONE]\n\n")).toBeNull();
    expect(read("application/json", '{"generated_text":"hello"}')).toBeNull();
    expect(read("application/json", '{"usage":{"prompt_tokens":-1}}')).toBeNull();
    expect(read("application/json", "not json")).toBeNull();
    expect(read("application/json")).toBeNull();
  });
});

describe("token prices", () => {
  const pricing: TargetPricing = {
    input_usd_per_million: 0.5,
    output_usd_per_million: 1.5,
    models: { "meta-llama/Llama-3.1-8B-Instruct": { input_usd_per_million: 0.1, output_usd_per_million: 0.2 } },
    published_prices: null,
  };

  it("prices per model, else at the target's default, in micro-USD (USD per million tokens = micro-USD per token)", () => {
    expect(priceMicro(pricing, { model: "meta-llama/Llama-3.1-8B-Instruct", inputTokens: 1000, outputTokens: 500 })).toBe(200);
    expect(priceMicro(pricing, { model: "other", inputTokens: 1000, outputTokens: 500 })).toBe(1250);
    expect(priceMicro(pricing, { model: null, inputTokens: 2_000_000, outputTokens: 0 })).toBe(1_000_000);
  });

  it("leaves a model unpriced when the target has no default price", () => {
    expect(
      priceMicro(
        { ...pricing, input_usd_per_million: null, output_usd_per_million: null },
        { model: "x", inputTokens: 1, outputTokens: 1 },
      ),
    ).toBeNull();
  });

  it("reads a published price list of the HF router's shape, skipping entries it cannot use", () => {
    const list = parsePriceList({
      data: [
        {
          id: "m",
          providers: [
            { provider: "a", pricing: { input: 1, output: 2 } },
            { provider: "b", pricing: { input: 3, output: 1 } },
          ],
        },
        { id: "bad", providers: "not a list" },
        { id: "none", providers: [{ provider: "c", status: "live" }] },
      ],
    });
    if (list === null) throw new Error("not read");
    expect(publishedRates(list, "m:a")).toEqual({ input_usd_per_million: 1, output_usd_per_million: 2 });
    expect(publishedRates(list, "m:cheapest")).toEqual({ input_usd_per_million: 3, output_usd_per_million: 2 }); // router's choice: highest of each
    expect(publishedRates(list, "m")).toEqual({ input_usd_per_million: 3, output_usd_per_million: 2 });
    expect(publishedRates(list, "none")).toBeNull();
    expect(publishedRates(list, null)).toBeNull();
    expect(parsePriceList({ models: [] })).toBeNull();
    const pricing: TargetPricing = {
      input_usd_per_million: 9,
      output_usd_per_million: 9,
      models: { m: { input_usd_per_million: 0, output_usd_per_million: 1 } },
      published_prices: "https://x",
    };
    expect(priceMicro(pricing, { model: "m", inputTokens: 10, outputTokens: 10 }, list)).toBe(10); // the policy's own price first
    expect(priceMicro(pricing, { model: "m:a", inputTokens: 10, outputTokens: 10 }, list)).toBe(30); // then the list
    expect(priceMicro(pricing, { model: "other", inputTokens: 10, outputTokens: 10 }, list)).toBe(180); // then the default
  });

  it("accepts the pricing and service budget keys, with their defaults", () => {
    const res = validatePolicy({
      budget: { daily_usd: 5 },
      hf: { namespaces: ["acme"] },
      services: {
        chat: {
          primary: { target: "acme/llm" },
          fallback: {
            target: "https://router.huggingface.co/v1",
            token: "HF_TOKEN",
            pricing: { input_usd_per_million: 0.5, output_usd_per_million: 1.5 },
          },
          callers: ["K"],
        },
      },
    });
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.services.chat?.fallback.pricing).toEqual({
      input_usd_per_million: 0.5,
      output_usd_per_million: 1.5,
      models: {},
      published_prices: null,
    });
    expect(res.policy.services.chat?.budget).toEqual({ on_exhausted: "refuse", daily_cap_usd: null, retry_after_seconds: null });
    const half = validatePolicy({
      budget: { daily_usd: 5 },
      hf: { namespaces: ["acme"] },
      services: {
        chat: { primary: { target: "acme/llm" }, fallback: { target: "acme/cpu", pricing: { input_usd_per_million: 1 } }, callers: ["K"] },
      },
    });
    expect(half.ok).toBe(false);
  });
});

describe("the simulator's token-priced fallback", () => {
  const pol = policy({
    services: {
      chat: {
        primary: { target: "acme/chat" },
        fallback: { target: "https://router.huggingface.co/v1", pricing: { input_usd_per_million: 0.2, output_usd_per_million: 0.6 } },
        callers: ["K"],
      },
    },
  });
  const figures = new Map([["acme/chat", { reroutedRps: 2 } as never]]);
  const routes = new Map([["acme/chat", { mode: "overflow" as const, fallback: "https://router.huggingface.co/v1" }]]);

  it("bills rerouted requests at the service's token prices, and nothing once the service is refused past 200 %", () => {
    const perRequest = SIM_TOKENS_PER_REQUEST.input * 0.2 + SIM_TOKENS_PER_REQUEST.output * 0.6;
    expect(tokenSpendOfStep(pol, routes, figures, 60_000, 2)).toBeCloseTo(2 * 60 * perRequest, 6);
    expect(tokenSpendOfStep(pol, routes, figures, 60_000, 3)).toBe(0);
  });

  it("stops billing a service at its daily cap, as the gateway's 429 does, and starts again the next budget day", () => {
    const perMinute = 2 * 60 * (SIM_TOKENS_PER_REQUEST.input * 0.2 + SIM_TOKENS_PER_REQUEST.output * 0.6);
    const capped = policy({
      services: {
        chat: {
          primary: { target: "acme/chat" },
          fallback: { target: "https://router.huggingface.co/v1", pricing: { input_usd_per_million: 0.2, output_usd_per_million: 0.6 } },
          callers: ["K"],
          budget: { daily_cap_usd: (2.5 * perMinute) / 1e6 },
        },
      },
    });
    const spend = new ServiceTokenSpend("UTC");
    const day = Date.UTC(2026, 0, 5);
    const minutes = [0, 1, 2, 3].map((m) => tokenSpendOfStep(capped, routes, figures, 60_000, 2, { spend, at: day + m * 60_000 }));
    expect(minutes[0]).toBeCloseTo(perMinute, 6);
    expect(minutes[1]).toBeCloseTo(perMinute, 6);
    expect(minutes[2]).toBeCloseTo(perMinute / 2, 6); // the cap is reached halfway through the third minute
    expect(minutes[3]).toBe(0);
    expect(tokenSpendOfStep(capped, routes, figures, 60_000, 2, { spend, at: day + 86_400_000 })).toBeCloseTo(perMinute, 6);
    // a critical service (on_exhausted: allow) is never refused
    const critical = policy({
      services: { chat: { ...capped.services.chat, budget: { daily_cap_usd: 0.000001, on_exhausted: "allow" } } } as never,
    });
    expect(tokenSpendOfStep(critical, routes, figures, 60_000, 2, { spend, at: day + 86_400_000 })).toBeCloseTo(perMinute, 6);
  });

  it("moves and bills nothing for an endpoint no service carries", () => {
    const other = new Map([["acme/other", { mode: "overflow" as const, fallback: "https://router.huggingface.co/v1" }]]);
    expect(tokenSpendOfStep(pol, other, new Map([["acme/other", { reroutedRps: 2 } as never]]), 60_000, 2)).toBe(0);
  });
});
