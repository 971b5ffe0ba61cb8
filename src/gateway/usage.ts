// Token usage of an answer from a token-priced target (HF Inference Providers, any OpenAI-compatible
// API), read as the body passes through, never buffered in front of the caller, and its price.
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
/** An SSE line longer than this is skipped, not kept, so a hostile stream cannot grow memory. */
const MAX_SSE_LINE = 256 * 1024;

/** Reads the usage of one answer from its chunks; `finish` gives it, or null when the answer carried none. */
export class UsageReader {
  private readonly decoder = new TextDecoder();
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private line = "";
  private found: TokenUsage | null = null;

  constructor(private readonly kind: "json" | "sse") {}

  static for(contentType: string | null): UsageReader {
    return new UsageReader((contentType ?? "").toLowerCase().includes("text/event-stream") ? "sse" : "json");
  }

  push(chunk: Uint8Array): void {
    if (this.kind === "json") {
      this.bytes += chunk.byteLength;
      if (this.bytes <= MAX_JSON_BYTES) this.chunks.push(chunk);
      return;
    }
    const text = this.line + this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      this.sseLine(text.slice(start, nl));
      start = nl + 1;
    }
    this.line = text.length - start > MAX_SSE_LINE ? "" : text.slice(start);
  }

  finish(): TokenUsage | null {
    if (this.kind === "sse") {
      this.sseLine(this.line + this.decoder.decode());
      return this.found;
    }
    if (this.bytes > MAX_JSON_BYTES || this.bytes === 0) return null;
    const all = new Uint8Array(this.bytes);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.byteLength;
    }
    return usageOf(parseJson(this.decoder.decode(all)));
  }

  /** Only a `data:` line with a usage object is parsed: the other chunks cost a substring search. */
  private sseLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (!line.startsWith("data:") || !line.includes('"usage"') || /"usage"\s*:\s*null/.test(line)) return;
    const usage = usageOf(parseJson(line.slice(5).trim()));
    if (usage) this.found = usage;
  }
}

/** The per-million-token rates for `model`: its entry in the map, else the target's default; null: unpriced. */
export function ratesFor(pricing: TargetPricing, model: string | null): TokenPrice | null {
  const own = model !== null && Object.hasOwn(pricing.models, model) ? pricing.models[model] : undefined;
  if (own) return own;
  if (pricing.input_usd_per_million === null || pricing.output_usd_per_million === null) return null;
  return { input_usd_per_million: pricing.input_usd_per_million, output_usd_per_million: pricing.output_usd_per_million };
}

/** Micro-USD of an answer's tokens: USD per million tokens is micro-USD per token. Null when unpriced. */
export function priceMicro(pricing: TargetPricing, usage: TokenUsage): number | null {
  const r = ratesFor(pricing, usage.model);
  if (r === null) return null;
  return Math.round(usage.inputTokens * r.input_usd_per_million + usage.outputTokens * r.output_usd_per_million);
}
