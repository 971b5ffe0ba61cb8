// Token usage of an answer from a token-priced target (HF Inference Providers, any OpenAI-compatible
// API), read from a copy of the body as it passes (gateway/tap.ts), never in front of the caller, and its price.
//
// Shapes, from the OpenAI chat completion object and its streaming chunks
// (https://platform.openai.com/docs/api-reference/chat/object, .../chat/streaming; the HF router
// https://router.huggingface.co/v1 speaks the same protocol, https://huggingface.co/docs/inference-providers):
//   JSON:  {"model": "...", "choices": [...], "usage": {"prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46}}
//   SSE:   data: {"model": "...", "choices": [...], "usage": null}  ...every chunk...
//          data: {"model": "...", "choices": [], "usage": {...}}     the extra last chunk when the request sets
//          data: [DONE]                                               stream_options: {include_usage: true}
// "If the stream is interrupted, you may not receive the final usage chunk": such an answer is unpriced.
import * as z from "zod";
import type { TargetPricing, TokenPrice } from "../policy/index.ts";
import { type PriceList, publishedRates } from "./published-prices.ts";

export interface TokenUsage {
  model: string | null;
  inputTokens: number;
  outputTokens: number;
}

const usageSchema = z.object({
  model: z.string().min(1).max(200).optional().catch(undefined),
  usage: z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0).default(0) }),
});

function usageOf(value: unknown): TokenUsage | null {
  const parsed = usageSchema.safeParse(value);
  if (!parsed.success) return null;
  return {
    model: parsed.data.model ?? null,
    inputTokens: parsed.data.usage.prompt_tokens,
    outputTokens: parsed.data.usage.completion_tokens,
  };
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/** A JSON body is kept (only to read its usage once it ends) up to this size; a larger one is unpriced. */
export const MAX_JSON_BYTES = 1024 * 1024;
/**
 * Of a stream only its last bytes are kept: the usage event is the last `data:` event before
 * `data: [DONE]`, a few hundred bytes. A usage event longer than this leaves the answer unpriced.
 */
export const SSE_TAIL_BYTES = 16 * 1024;

const decoder = new TextDecoder();

/**
 * Reads the usage of one answer from its bytes; `finish` gives it, or null when the answer carried
 * none. Nothing is decoded until the end: a stream keeps a window of its last bytes, a JSON body
 * its bytes. `push` copies what it keeps, so the caller may reuse the chunk's buffer.
 */
export class UsageReader {
  private kept: Uint8Array;
  private length = 0;
  private total = 0;

  constructor(private readonly kind: "json" | "sse") {
    // Grown as bytes come (a short answer needs a few KiB), up to the JSON or tail bound.
    this.kept = new Uint8Array(0);
  }

  static for(contentType: string | null): UsageReader {
    return new UsageReader((contentType ?? "").toLowerCase().includes("text/event-stream") ? "sse" : "json");
  }

  push(chunk: Uint8Array): void {
    this.total += chunk.byteLength;
    if (this.kind === "json") {
      if (this.total > MAX_JSON_BYTES) return;
      this.room(this.total, MAX_JSON_BYTES);
      this.kept.set(chunk, this.length);
      this.length += chunk.byteLength;
      return;
    }
    const room = SSE_TAIL_BYTES;
    if (chunk.byteLength >= room) {
      this.room(room, room);
      this.kept.set(chunk.subarray(chunk.byteLength - room));
      this.length = room;
      return;
    }
    this.room(this.length + chunk.byteLength, room);
    const drop = Math.max(0, this.length + chunk.byteLength - room);
    if (drop > 0) {
      this.kept.copyWithin(0, drop, this.length);
      this.length -= drop;
    }
    this.kept.set(chunk, this.length);
    this.length += chunk.byteLength;
  }

  /** Grows the kept bytes to hold `need` (at most `max`), keeping what they hold. */
  private room(need: number, max: number): void {
    if (need <= this.kept.byteLength || this.kept.byteLength >= max) return;
    const grown = new Uint8Array(Math.min(max, Math.max(need, this.kept.byteLength * 2, 4096)));
    grown.set(this.kept.subarray(0, this.length));
    this.kept = grown;
  }

  finish(): TokenUsage | null {
    if (this.total === 0) return null;
    if (this.kind === "json")
      return this.total > MAX_JSON_BYTES ? null : usageOf(parseJson(decoder.decode(this.kept.subarray(0, this.length))));
    const text = decoder.decode(this.kept.subarray(0, this.length));
    // When the window does not start at the stream's start, its first line is cut: skip it.
    const from = this.total > this.length ? text.indexOf("\n") + 1 : 0;
    let end = text.length;
    while (end > from) {
      const nl = text.lastIndexOf("\n", end - 1);
      const start = Math.max(nl + 1, from);
      const usage = usageOfLine(text.slice(start, end));
      if (usage) return usage;
      if (nl < from) break;
      end = nl;
    }
    return null;
  }
}

/** Only a `data:` line with a usage object is parsed; the last such line of the window wins. */
function usageOfLine(raw: string): TokenUsage | null {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  if (!line.startsWith("data:") || !line.includes('"usage"') || /"usage"\s*:\s*null/.test(line)) return null;
  return usageOf(parseJson(line.slice(5).trim()));
}

/**
 * The per-million-token rates for `model`: its entry in the policy's map, else its published rates
 * (`published`: the target's published price list, when it has one), else the target's default;
 * null: unpriced.
 */
export function ratesFor(pricing: TargetPricing, model: string | null, published: PriceList | null = null): TokenPrice | null {
  const own = model !== null && Object.hasOwn(pricing.models, model) ? pricing.models[model] : undefined;
  if (own) return own;
  const listed = published === null ? null : publishedRates(published, model);
  if (listed) return listed;
  if (pricing.input_usd_per_million === null || pricing.output_usd_per_million === null) return null;
  return { input_usd_per_million: pricing.input_usd_per_million, output_usd_per_million: pricing.output_usd_per_million };
}

/** Micro-USD of an answer's tokens: USD per million tokens is micro-USD per token. Null when unpriced. */
export function priceMicro(pricing: TargetPricing, usage: TokenUsage, published: PriceList | null = null): number | null {
  const r = ratesFor(pricing, usage.model, published);
  if (r === null) return null;
  return Math.round(usage.inputTokens * r.input_usd_per_million + usage.outputTokens * r.output_usd_per_million);
}
