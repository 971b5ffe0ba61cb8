// The Hugging Face Inference Endpoints client: every HF HTTP call the guardrail makes goes through here.
//
// Routes, status codes and retry behaviour follow shared/reference/hf-endpoints-api.md (§1, §6), which copies
// huggingface_hub. Expected failures come back as `ProviderResult` values; nothing here throws on a bad answer.
import type * as z from "zod";
import type { MetricNames } from "../../policy/index.ts";
import type {
  BillingAccount,
  BillingUsage,
  ComputePrice,
  EndpointMetrics,
  EndpointProvider,
  EndpointSnapshot,
  EndpointUpdate,
  ListResult,
  PriceCatalog,
  ProviderError,
  ProviderErrorCode,
  ProviderResult,
} from "../types.ts";
import { billingUsageSchema, toBillingUsage } from "./billing.ts";
import { parseOpenMetrics, toEndpointMetrics } from "./open-metrics.ts";
import {
  endpointPageSchema,
  endpointWithStatusSchema,
  errorBodySchema,
  providerCatalogSchema,
  toComputePrices,
  toSnapshot,
} from "./schema.ts";

export interface HfClientOptions {
  /** e.g. https://api.endpoints.huggingface.cloud (no trailing /v2) */
  baseUrl: string;
  /** the Hub, for billing usage; default https://huggingface.co */
  hubBaseUrl?: string;
  token: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** in [0, 1), for backoff jitter */
  random?: () => number;
  /** ms since epoch, for the price cache and Retry-After dates */
  now?: () => number;
  /** per attempt, covering headers and body; default 10 000 */
  timeoutMs?: number;
  /** retries after the first attempt; default 3 */
  maxRetries?: number;
  /** `limit` sent when listing; default 20, the API's documented default */
  pageLimit?: number;
  /** default 1 h */
  priceCacheTtlMs?: number;
  /** longest wait the client accepts from Retry-After/RateLimit or backoff; default 30 000 */
  maxRetryWaitMs?: number;
  /** `now()` by which every call (attempts, timeouts and retry waits together) must have ended; see within() */
  deadlineAt?: number;
}

type Method = "GET" | "PUT" | "POST";

interface Call {
  method: Method;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /** `ns/name`, stamped on errors about one endpoint */
  endpoint?: string;
  /** Accept header and answer type for a non-JSON route (open-metrics is text) */
  text?: { accept: string };
  /** a Hub route (hubBaseUrl) rather than an Inference Endpoints one */
  hub?: boolean;
  /** retries after the first attempt for this call; default the client's */
  retries?: number;
}

type Sent = { ok: true; json: unknown } | { ok: false; error: ProviderError; bodyText: string };

type Attempt =
  | { kind: "response"; status: number; headers: Headers; text: string }
  | { kind: "timeout" }
  | { kind: "network"; message: string };

const BACKOFF_BASE_MS = 500;
/** One decoder for every answer (decode without `stream` keeps no state between calls). */
const utf8 = new TextDecoder();
/** Pages a listing may take before we call it a runaway cursor; far beyond any real namespace. */
const MAX_PAGES = 500;

export class HfClient implements EndpointProvider {
  private readonly baseUrl: string;
  private readonly hubBaseUrl: string;
  private readonly token: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly pageLimit: number;
  private readonly priceCacheTtlMs: number;
  private readonly maxRetryWaitMs: number;
  private readonly priceCache = new Map<string, { at: number; prices: ComputePrice[] }>();
  private readonly options: HfClientOptions;
  private readonly deadlineAt: number | null;

  constructor(options: HfClientOptions) {
    this.options = options;
    this.deadlineAt = options.deadlineAt ?? null;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.hubBaseUrl = (options.hubBaseUrl ?? "https://huggingface.co").replace(/\/+$/, "");
    this.token = options.token;
    // Wrapped, not stored bare: workerd throws "Illegal invocation" when fetch is called off its global.
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.pageLimit = options.pageLimit ?? 20;
    this.priceCacheTtlMs = options.priceCacheTtlMs ?? 3_600_000;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 30_000;
  }

  async listEndpoints(namespace: string): Promise<ProviderResult<ListResult>> {
    const endpoints: EndpointSnapshot[] = [];
    const invalid: ProviderError[] = [];
    const counter = { requests: 0 };
    const seenCursors = new Set<string>();
    let cursor: string | undefined;

    for (let page = 0; page < MAX_PAGES; page++) {
      const query: Record<string, string> = { limit: String(this.pageLimit) };
      if (cursor) query.cursor = cursor;
      const sent = await this.send({ method: "GET", path: `/v2/endpoint/${enc(namespace)}`, query }, counter);
      if (!sent.ok) return fail(sent.error);
      const parsed = endpointPageSchema.safeParse(sent.json);
      if (!parsed.success) return fail(this.invalidResponse(`endpoint list of ${namespace}`, parsed.error));

      for (const item of parsed.data.items) {
        const one = endpointWithStatusSchema.safeParse(item);
        if (one.success) endpoints.push(toSnapshot(one.data, namespace));
        else invalid.push(this.invalidItem(namespace, item, one.error));
      }

      const next = parsed.data.nextCursor;
      if (!next || parsed.data.items.length === 0) return { ok: true, value: { endpoints, invalid, requests: counter.requests } };
      if (seenCursors.has(next)) {
        // A cursor we already followed would loop forever; a partial fleet would under-meter spend, so fail.
        return fail({ code: "invalid_response", message: `endpoint list of ${namespace}: cursor loop at page ${page + 2}` });
      }
      seenCursors.add(next);
      cursor = next;
    }
    return fail({ code: "invalid_response", message: `endpoint list of ${namespace}: more than ${MAX_PAGES} pages` });
  }

  /**
   * The same client, with every call bounded to end within `ms` from now: the executor passes what
   * is left of the lease, so a slow HF (45-130 s with retries) can never outlive it and let the next
   * tick run the same change again.
   */
  within(ms: number): HfClient {
    return new HfClient({ ...this.options, deadlineAt: Math.min(this.now() + ms, this.deadlineAt ?? Number.POSITIVE_INFINITY) });
  }

  private leftMs(): number {
    return this.deadlineAt === null ? Number.POSITIVE_INFINITY : this.deadlineAt - this.now();
  }

  getEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>> {
    return this.endpointCall(namespace, name, "GET", "");
  }

  // PUT merges on HF, so sending the same partial body twice gives the same endpoint: retrying is safe.
  updateEndpoint(namespace: string, name: string, update: EndpointUpdate): Promise<ProviderResult<EndpointSnapshot>> {
    return this.endpointCall(namespace, name, "PUT", "", prune(update) ?? {});
  }

  // Pausing a paused endpoint leaves it paused: safe to retry after a timeout whose first try may have landed.
  pauseEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>> {
    return this.endpointCall(namespace, name, "POST", "/pause");
  }

  async resumeEndpoint(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>> {
    const counter = { requests: 0 };
    const endpoint = `${namespace}/${name}`;
    const sent = await this.send({ method: "POST", path: `${endpointPath(namespace, name)}/resume`, endpoint }, counter);
    // HF answers 400 "... already running" when there is nothing to resume (huggingface_hub `running_ok`).
    // That is the outcome we wanted, so report the endpoint as it is now. It also makes a retried resume safe.
    if (!sent.ok && sent.error.status === 400 && /already running/i.test(sent.bodyText)) {
      return this.getEndpoint(namespace, name);
    }
    return this.toEndpointResult(sent, namespace, endpoint);
  }

  // Same argument as pause: scaling to zero twice is scaling to zero once.
  scaleToZero(namespace: string, name: string): Promise<ProviderResult<EndpointSnapshot>> {
    return this.endpointCall(namespace, name, "POST", "/scale-to-zero");
  }

  async listPrices(namespace: string, now = this.now()): Promise<ProviderResult<PriceCatalog>> {
    const cached = this.priceCache.get(namespace);
    if (cached && now - cached.at < this.priceCacheTtlMs && now >= cached.at) {
      return { ok: true, value: { prices: cached.prices, fetchedAt: cached.at } };
    }

    const sent = await this.send({ method: "GET", path: `/v2/provider/${enc(namespace)}` }, { requests: 0 });
    if (!sent.ok) return fail(sent.error);
    const parsed = providerCatalogSchema.safeParse(sent.json);
    if (!parsed.success) return fail(this.invalidResponse(`provider catalog of ${namespace}`, parsed.error));
    const prices = toComputePrices(parsed.data);
    this.priceCache.set(namespace, { at: now, prices });
    return { ok: true, value: { prices, fetchedAt: now } };
  }

  /** One read of the endpoint's open-metrics export (HF Team/Enterprise; 401/403/404 otherwise). */
  async getOpenMetrics(namespace: string, name: string, names?: MetricNames): Promise<ProviderResult<EndpointMetrics>> {
    const endpoint = `${namespace}/${name}`;
    const accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const sent = await this.send(
      { method: "GET", path: `${endpointPath(namespace, name)}/open-metrics`, endpoint, text: { accept } },
      {
        requests: 0,
      },
    );
    if (!sent.ok) return fail(sent.error);
    const parsed = parseOpenMetrics(String(sent.json));
    if (!parsed.ok) {
      return fail({ code: "invalid_response", message: this.redact(`open-metrics of ${endpoint}: ${parsed.error}`), endpoint });
    }
    return { ok: true, value: toEndpointMetrics(parsed.value, names) };
  }

  /**
   * The current billing period's usage of an organisation (`/api/organizations/{name}/billing/usage`) or of
   * the token's own user (`/api/settings/billing/usage`), from the Hub (billing.ts cites the shape). One
   * attempt, no retry: the tick reads it once an hour and counts it as one subrequest; a failure waits
   * for the next hour. 401/403 means the token may not read this account's billing.
   */
  async getBillingUsage(account: BillingAccount): Promise<ProviderResult<BillingUsage>> {
    const path = account.kind === "user" ? "/api/settings/billing/usage" : `/api/organizations/${enc(account.namespace)}/billing/usage`;
    const sent = await this.send({ method: "GET", path, hub: true, retries: 0 }, { requests: 0 });
    if (!sent.ok) return fail(sent.error);
    const parsed = billingUsageSchema.safeParse(sent.json);
    if (!parsed.success) return fail(this.invalidResponse(`billing usage of ${account.namespace}`, parsed.error));
    return { ok: true, value: toBillingUsage(parsed.data) };
  }

  private async endpointCall(
    namespace: string,
    name: string,
    method: Method,
    suffix: string,
    body?: unknown,
  ): Promise<ProviderResult<EndpointSnapshot>> {
    const endpoint = `${namespace}/${name}`;
    const sent = await this.send({ method, path: endpointPath(namespace, name) + suffix, body, endpoint }, { requests: 0 });
    return this.toEndpointResult(sent, namespace, endpoint);
  }

  private toEndpointResult(sent: Sent, namespace: string, endpoint: string): ProviderResult<EndpointSnapshot> {
    if (!sent.ok) return fail(sent.error);
    const parsed = endpointWithStatusSchema.safeParse(sent.json);
    if (!parsed.success) return fail({ ...this.invalidResponse(`endpoint ${endpoint}`, parsed.error), endpoint });
    return { ok: true, value: toSnapshot(parsed.data, namespace) };
  }

  /** One logical call: attempts with retries, ending in parsed JSON or a typed error. */
  private async send(call: Call, counter: { requests: number }): Promise<Sent> {
    const what = `${call.method} ${call.path}`;
    for (let attempt = 0; ; attempt++) {
      if (this.leftMs() <= 0) {
        const out: ProviderError = { code: "timeout", message: `${what}: not sent, no time left before the deadline` };
        if (call.endpoint) out.endpoint = call.endpoint;
        return { ok: false, error: out, bodyText: "" };
      }
      const result = await this.attempt(call);
      counter.requests++;

      if (result.kind === "response" && result.status >= 200 && result.status < 300) {
        if (call.text) return { ok: true, json: result.text };
        try {
          return { ok: true, json: JSON.parse(result.text) };
        } catch {
          return this.failed(call, { code: "invalid_response", message: `${what}: answer is not JSON`, status: result.status }, result);
        }
      }

      const failure = this.describe(call, result);
      if (!isRetryable(result)) return this.failed(call, failure, result);

      const asked = result.kind === "response" ? this.requestedWaitMs(result) : undefined;
      if (asked !== undefined && asked > this.maxRetryWaitMs) {
        // Sleeping minutes would stall the whole tick; the next tick tries again instead.
        const message = `${failure.message}; server asks to wait ${Math.ceil(asked / 1000)} s, more than the ${this.maxRetryWaitMs / 1000} s cap`;
        return this.failed(call, { ...failure, message }, result);
      }
      const wait = asked ?? this.backoffMs(attempt);
      if (attempt >= (call.retries ?? this.maxRetries) || wait >= this.leftMs()) {
        return this.failed(call, { ...failure, message: `${failure.message} (after ${attempt + 1} attempts)` }, result);
      }
      await this.sleep(wait);
    }
  }

  private async attempt(call: Call): Promise<Attempt> {
    // The path's segments are encoded (enc); the query as URLSearchParams writes it. No URL object: fetch parses the string anyway.
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : "";
    const url = (call.hub ? this.hubBaseUrl : this.baseUrl) + call.path + query;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: call.text?.accept ?? "application/json" };
    if (call.body !== undefined) headers["content-type"] = "application/json";

    // One native timer per attempt (no AbortController and setTimeout/clearTimeout pair): the tick makes 20 or more calls.
    const signal = AbortSignal.timeout(Math.max(0, Math.ceil(Math.min(this.timeoutMs, this.leftMs()))));
    try {
      const response = await this.fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal,
      });
      // The body is read under the same timer: a server that stalls mid-body is as slow as one that never answers.
      // Decoded by hand: workerd warns on .text() for types it does not know as text (open-metrics).
      const text = utf8.decode(await response.arrayBuffer());
      return { kind: "response", status: response.status, headers: response.headers, text };
    } catch (error) {
      if (signal.aborted) return { kind: "timeout" };
      return { kind: "network", message: error instanceof Error ? error.message : String(error) };
    }
  }

  private describe(call: Call, result: Attempt): ProviderError {
    const what = `${call.method} ${call.path}`;
    if (result.kind === "timeout") return { code: "timeout", message: `${what}: no answer within ${this.timeoutMs} ms` };
    if (result.kind === "network") return { code: "network", message: `${what}: ${result.message}` };
    const detail = errorDetail(result);
    return {
      code: codeForStatus(result.status),
      status: result.status,
      message: `${what}: HTTP ${result.status}${detail ? ` ${detail}` : ""}`,
    };
  }

  private failed(call: Call, error: ProviderError, result: Attempt): { ok: false; error: ProviderError; bodyText: string } {
    const out: ProviderError = { ...error, message: this.redact(error.message) };
    if (call.endpoint) out.endpoint = call.endpoint;
    if (result.kind === "response") {
      const requestId = requestIdOf(result.headers);
      if (requestId) out.requestId = requestId;
    }
    return { ok: false, error: out, bodyText: result.kind === "response" ? result.text : "" };
  }

  /** What the server asked us to wait, in ms: RateLimit's `t` + 1 s on 429 (as huggingface_hub does), else Retry-After. */
  private requestedWaitMs(result: { status: number; headers: Headers }): number | undefined {
    if (result.status === 429) {
      const reset = /(?:^|;)\s*t=(\d+(?:\.\d+)?)/.exec(result.headers.get("ratelimit") ?? "")?.[1];
      if (reset !== undefined) return (Number(reset) + 1) * 1000;
    }
    const retryAfter = result.headers.get("retry-after")?.trim();
    if (!retryAfter) return undefined;
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    return Number.isNaN(date) ? undefined : Math.max(0, date - this.now());
  }

  /** Exponential backoff with jitter (half fixed, half random) so retrying ticks do not arrive in step. */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.maxRetryWaitMs, BACKOFF_BASE_MS * 2 ** attempt);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  private invalidResponse(what: string, error: z.ZodError): ProviderError {
    return { code: "invalid_response", message: this.redact(`${what} does not match the schema: ${summarise(error)}`) };
  }

  private invalidItem(namespace: string, item: unknown, error: z.ZodError): ProviderError {
    const name = typeof item === "object" && item !== null && "name" in item && typeof item.name === "string" ? item.name : undefined;
    const label = name ? `endpoint ${namespace}/${name}` : `an unnamed endpoint in ${namespace}`;
    const out = this.invalidResponse(label, error);
    return name ? { ...out, endpoint: `${namespace}/${name}` } : out;
  }

  /** The token must never reach a log or an alert, even if a server echoes it back. */
  private redact(message: string): string {
    return this.token ? message.split(this.token).join("[redacted]") : message;
  }
}

function fail(error: ProviderError): { ok: false; error: ProviderError } {
  return { ok: false, error };
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

function endpointPath(namespace: string, name: string): string {
  return `/v2/endpoint/${enc(namespace)}/${enc(name)}`;
}

function isRetryable(result: Attempt): boolean {
  if (result.kind !== "response") return true;
  const { status } = result;
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return "unauthorized";
  if (status === 404) return "not_found";
  if (status === 408) return "timeout";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server_error";
  return "bad_request";
}

/** HF's message for an error answer: the JSON `error`, else X-Error-Message, else the start of the body. */
function errorDetail(result: { headers: Headers; text: string }): string {
  let fromBody: string | undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(result.text));
    if (parsed.success) fromBody = parsed.data.error;
  } catch {
    // Not JSON: fall through to the header or the raw text.
  }
  const detail = fromBody ?? result.headers.get("x-error-message") ?? result.text.trim();
  return detail.length > 300 ? `${detail.slice(0, 300)}…` : detail;
}

function requestIdOf(headers: Headers): string | undefined {
  return headers.get("x-request-id") ?? headers.get("x-amzn-trace-id") ?? headers.get("x-amz-cf-id") ?? undefined;
}

function summarise(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}

/** Drops undefined values and empty objects so the PUT body holds only the keys being changed. */
function prune(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const kept = prune(inner);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
