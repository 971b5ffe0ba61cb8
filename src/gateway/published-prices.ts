// Prices a provider publishes through an API: the HF router's model list
// (GET https://router.huggingface.co/v1/models, documented in huggingface/hub-docs
// docs/inference-providers/hub-api.md "List OpenAI-compatible models"): per model, per provider,
// `pricing.input` / `pricing.output` in USD per million tokens "when available", and `is_free`
// while a provider runs a promotion. Read lazily after an answer ends (never before a request is
// forwarded), kept an hour per isolate, retried after 5 minutes when a read fails.
import * as z from "zod";
import type { TokenPrice } from "../policy/index.ts";
import { send } from "./forward.ts";

const providerSchema = z.object({
  provider: z.string().min(1),
  status: z.string().optional(),
  pricing: z.object({ input: z.number().min(0), output: z.number().min(0) }).optional(),
  is_free: z.boolean().optional(),
});
const listSchema = z.object({ data: z.array(z.unknown()) });
const modelSchema = z.object({ id: z.string().min(1), providers: z.array(z.unknown()).default([]) });

/** model id -> provider -> rates */
export type PriceList = ReadonlyMap<string, ReadonlyMap<string, TokenPrice>>;

/** The list's priced entries; entries of another shape are skipped, not fatal. Null: not a model list. */
export function parsePriceList(body: unknown): PriceList | null {
  const list = listSchema.safeParse(body);
  if (!list.success) return null;
  const out = new Map<string, Map<string, TokenPrice>>();
  for (const raw of list.data.data) {
    const model = modelSchema.safeParse(raw);
    if (!model.success) continue;
    const rates = new Map<string, TokenPrice>();
    for (const p of model.data.providers) {
      const provider = providerSchema.safeParse(p);
      if (!provider.success || provider.data.status === "error") continue;
      if (provider.data.is_free) rates.set(provider.data.provider, { input_usd_per_million: 0, output_usd_per_million: 0 });
      else if (provider.data.pricing) {
        rates.set(provider.data.provider, {
          input_usd_per_million: provider.data.pricing.input,
          output_usd_per_million: provider.data.pricing.output,
        });
      }
    }
    if (rates.size > 0) out.set(model.data.id, rates);
  }
  return out;
}

/**
 * The rates for the `model` an answer names. `repo:provider` is that provider's rates. Without a
 * provider (or with a policy suffix such as `:fastest`) the router chose one, and the answer does
 * not say which in any documented field: the highest listed input and output rates of that model
 * are used, an upper bound, so a reroute never looks cheaper than it was. Null: not listed.
 */
export function publishedRates(list: PriceList, model: string | null): TokenPrice | null {
  if (model === null) return null;
  const colon = model.lastIndexOf(":");
  const repo = colon > 0 ? model.slice(0, colon) : model;
  const byProvider = list.get(repo) ?? list.get(model);
  if (!byProvider) return null;
  const own = colon > 0 ? byProvider.get(model.slice(colon + 1)) : undefined;
  if (own) return own;
  let input = 0;
  let output = 0;
  for (const r of byProvider.values()) {
    input = Math.max(input, r.input_usd_per_million);
    output = Math.max(output, r.output_usd_per_million);
  }
  return { input_usd_per_million: input, output_usd_per_million: output };
}

const HOUR = 3600_000;
const RETRY_MS = 5 * 60_000;
const READ_TIMEOUT_MS = 5_000;

interface Entry {
  list: PriceList | null;
  /** when the list was read, or the last read failed */
  at: number;
  ok: boolean;
  /** when a read began that has not ended (a read lost with its request counts as ended after 30 s) */
  readingSince: number | null;
}

const LOST_READ_MS = 30_000;

/** The isolate's published price lists, by URL. */
export class PublishedPrices {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetcher: typeof fetch,
    private readonly clock: () => number,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {}

  /**
   * The list at `url`: the kept one while it is younger than an hour (after a failed read, for 5
   * minutes). Else this call reads it (it runs after an answer ended, in the background), unless
   * another read is under way and a list is kept. Workers do not let one request wait on another's
   * I/O, so a call never waits for another call's read. Null while it cannot be read.
   */
  async get(url: string): Promise<PriceList | null> {
    const now = this.clock();
    const e = this.entries.get(url);
    const reading = e?.readingSince != null && now - e.readingSince < LOST_READ_MS;
    if (e && (now - e.at < (e.ok ? HOUR : RETRY_MS) || (reading && e.list !== null))) return e.list;
    return this.read(url, e?.list ?? null);
  }

  private async read(url: string, kept: PriceList | null): Promise<PriceList | null> {
    const entry = this.entries.get(url) ?? { list: kept, at: 0, ok: false, readingSince: null };
    entry.readingSince = this.clock();
    this.entries.set(url, entry);
    const res = await send(
      this.fetcher,
      url,
      { method: "GET", headers: new Headers({ accept: "application/json" }), body: null },
      READ_TIMEOUT_MS,
    );
    let list: PriceList | null = null;
    let problem = "";
    if (!res.ok) problem = res.message;
    else if (!res.response.ok) {
      problem = `status ${res.response.status}`;
      await res.response.body?.cancel();
    } else {
      list = parsePriceList(await res.response.json().catch(() => null));
      if (list === null) problem = "not a model list ({data: [...]})";
    }
    entry.readingSince = null;
    entry.at = this.clock();
    entry.ok = list !== null;
    if (list !== null) entry.list = list;
    else this.log({ event: "published_prices_unreadable", url, problem });
    return entry.list;
  }
}
