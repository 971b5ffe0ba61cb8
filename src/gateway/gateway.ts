// The inference gateway: authenticates the caller, reads the routing state, decides (route.ts),
// forwards to the primary or the fallback with bodies streamed through, overflows on the
// policy's failure kinds, and counts everything into the in-isolate metrics aggregate. Answers of
// token-priced targets are metered from their `usage` on a copy of the body (tap.ts, usage.ts) and added
// to the day's spend at the next flush; past the shutdown level or a service's daily cap, a
// non-critical service's token-priced requests are refused with 429 budget_exhausted.
// One Gateway per isolate: its caches and counters are what make per-request work cheap.

import type { RouteMode } from "../core/index.ts";
import { budgetDayBounds } from "../core/index.ts";
import { ENDPOINT_KEY, routedEndpointOf, type ServiceConfig, type TargetConfig, type TargetPricing, targetLabel } from "../policy/index.ts";
import { addGatewayCounters, compactGatewayCounters, GATEWAY_RETENTION_MS } from "../store/index.ts";
import { callerAllowed, presentedKey } from "./caller-auth.ts";
import { type AttemptRecord, type CounterKey, isError, MetricsAggregate, minuteOf, type TargetRole } from "./counters.ts";
import { downstreamHeaders, send, upstreamHeaders, upstreamUrl } from "./forward.ts";
import { errorRate, PrimaryHealth } from "./health.ts";
import { type PriceList, PublishedPrices } from "./published-prices.ts";
import { type PreparedBody, prepareBody } from "./replay.ts";
import { decideRoute, type FallbackReason, overflowReason } from "./route.ts";
import { type RoutingSnapshot, RoutingState } from "./state.ts";
import { tap } from "./tap.ts";
import { priceMicro, UsageReader } from "./usage.ts";

export interface GatewayOptions {
  fetch?: typeof fetch;
  clock?: () => number;
  /** routing state younger than this is used without reading D1 (default 5 s) */
  stateTtlMs?: number;
  /** older state is used while it refreshes in the background, up to this age (default 30 s) */
  maxStaleMs?: number;
  /** counters are written to D1 at most this often (default 10 s) */
  flushIntervalMs?: number;
  /**
   * After an answer, counters not yet written wait at most this long for the flush interval to pass,
   * in the request's waitUntil (Cloudflare keeps it up to 30 s after the response), so the last answers
   * before a quiet spell reach D1 without another request; 0 turns that off (default 20 s: a flush
   * interval longer than this waits for the next request, as with the clock of a test)
   */
  trailingFlushMaxMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface GatewayCall {
  request: Request;
  /** the `{service}` path segment */
  service: string;
  /** the path after /v1/gateway/{service}: "" or starting with "/", still percent-encoded */
  rest: string;
  /** the request's query: "" or starting with "?" */
  search: string;
  services: Readonly<Record<string, ServiceConfig>>;
  /** a Worker secret or variable by name */
  secret: (name: string) => string | undefined;
  /** values of our own secrets (READ_TOKEN) that must never reach an upstream; the caller keys are added */
  withheld?: readonly string[];
  /** the policy's budget.timezone: where the budget day starts (default UTC) */
  timezone?: string;
  db: D1Database;
  waitUntil: (p: Promise<unknown>) => void;
}

export type GatewayError = {
  status: 401 | 404 | 429 | 502 | 503 | 504;
  code: string;
  message: string;
  /** seconds, for the Retry-After header of a 429 */
  retryAfter?: number;
};
export type GatewayOutcome = { ok: true; response: Response } | ({ ok: false } & GatewayError);

interface ResolvedTarget {
  role: TargetRole;
  url: string | null;
  state: string | null;
  /** metrics label: `ns/name`, or the URL without query */
  endpoint: string;
  token: string | null;
  /** token prices when the target bills per token (its answers are metered), else null */
  pricing: TargetPricing | null;
}

type DayBounds = { day: string; start: number; end: number };

/** The longest overflow window the policy allows; the routing state always loads this much. */
const STATE_WINDOW_MS = 3600_000;
const HOUR = 3600_000;
/**
 * The longest a flush waits in a request's waitUntil for the interval to pass: Cloudflare runs waitUntil
 * work for at most 30 s after the response (https://developers.cloudflare.com/workers/platform/limits/).
 */
const TRAILING_FLUSH_MAX_MS = 20_000;
/** a flush in flight for longer went with its request (its waitUntil ended): the next one may start */
const FLUSH_STUCK_MS = 30_000;

export class Gateway {
  readonly metrics = new MetricsAggregate();
  readonly health = new PrimaryHealth();
  private readonly state: RoutingState;
  private readonly fetcher: typeof fetch;
  private readonly clock: () => number;
  private readonly flushIntervalMs: number;
  private readonly log: (entry: Record<string, unknown>) => void;
  /** the first flush of a new isolate comes one interval after it starts */
  private lastFlush: number;
  private lastCompact = 0;
  /** when the flush in flight started (null: none); one older than FLUSH_STUCK_MS is taken as lost with its request */
  private flushingSince: number | null = null;
  private inFlight: Promise<void> | null = null;
  /** a flush is waiting for the interval to pass (one per isolate) */
  private trailing = false;
  private readonly trailingFlushMaxMs: number;
  /** per service: token-priced spend of this isolate not yet written to D1, micro-USD */
  private readonly unflushedSpend = new Map<string, number>();
  /** published token prices of targets whose pricing names a price list */
  private readonly published: PublishedPrices;
  /** the budget day of the last request, reused while the clock is inside it (Intl is the costly part) */
  private day: (DayBounds & { timezone: string }) | null = null;

  constructor(o: GatewayOptions = {}) {
    this.fetcher = o.fetch ?? ((input, init) => fetch(input, init));
    this.clock = o.clock ?? (() => Date.now());
    this.flushIntervalMs = o.flushIntervalMs ?? 10_000;
    // Cloudflare keeps a request's waitUntil up to 30 s after its response: the wait stays well inside it.
    this.trailingFlushMaxMs = Math.min(o.trailingFlushMaxMs ?? TRAILING_FLUSH_MAX_MS, TRAILING_FLUSH_MAX_MS);
    this.log = o.log ?? ((e) => console.log(JSON.stringify(e)));
    this.lastFlush = this.clock();
    this.published = new PublishedPrices(this.fetcher, this.clock, this.log);
    this.state = new RoutingState({
      clock: this.clock,
      ttlMs: o.stateTtlMs ?? 5_000,
      maxStaleMs: o.maxStaleMs ?? 30_000,
      windowMs: STATE_WINDOW_MS,
    });
  }

  async handle(call: GatewayCall): Promise<GatewayOutcome> {
    const svc = Object.hasOwn(call.services, call.service) ? call.services[call.service] : undefined;
    if (!svc) return fail(404, "unknown_service", `no gateway service "${call.service}" in the policy`);

    const keys = svc.callers.map(call.secret).filter((k): k is string => typeof k === "string" && k.length > 0);
    if (keys.length === 0) {
      return fail(503, "service_misconfigured", `none of the caller secrets (${svc.callers.join(", ")}) is set`);
    }
    if (!(await callerAllowed(presentedKey(call.request.headers), keys))) {
      return fail(401, "unauthorized", "send a caller key of this service as `Authorization: Bearer <key>`");
    }
    for (const t of [svc.primary, svc.fallback]) {
      if (t.token !== null && !call.secret(t.token)) return fail(503, "service_misconfigured", `secret ${t.token} is not set`);
    }

    const bounds = this.dayBounds(this.clock(), call.timezone ?? "UTC");
    const snap = await this.state.get(call.db, call.waitUntil, bounds.start);
    try {
      return await this.route({ ...call, withheld: [...(call.withheld ?? []), ...keys] }, svc, snap, bounds);
    } finally {
      this.maybeFlush(call.db, call.waitUntil);
    }
  }

  private async route(call: GatewayCall, svc: ServiceConfig, snap: RoutingSnapshot, bounds: DayBounds): Promise<GatewayOutcome> {
    const routed = routedEndpointOf(svc);
    const primary = resolve("primary", svc.primary, snap, call.secret, routed);
    const fallback = resolve("fallback", svc.fallback, snap, call.secret, null);
    const mode: RouteMode = (routed && snap.routes.get(routed)) || "primary";
    const now = this.clock();
    const limits = svc.overflow;
    const windowStart = now - limits.window_seconds * 1000;
    const remote = (snap.recent.get(primary.endpoint) ?? [])
      .filter((m) => m.minute >= minuteOf(windowStart))
      .reduce((a, m) => ({ requests: a.requests + m.requests, errors: a.errors + m.errors }), { requests: 0, errors: 0 });
    const local = this.health.recent(primary.endpoint, now, limits.window_seconds);
    const rates = [errorRate(local, limits.min_requests), errorRate(remote, limits.min_requests)].filter((r): r is number => r !== null);

    const decision = decideRoute({
      mode,
      primary: { url: primary.url, state: primary.state },
      fallbackUrl: fallback.url,
      fallbackState: fallback.state,
      queue: this.health.queued(primary.endpoint),
      errorRate: rates.length ? Math.max(...rates) : null,
      limits,
    });
    const req = call.request;
    const search = call.search;
    const declared = req.headers.get("content-length");

    if (decision.first === "none") return fail(503, "no_target", decision.message);
    // Rerouting cannot carry spend past the budget: token-priced traffic is refused, or not overflowed to.
    const refusal = this.refusal(call.service, svc, snap, bounds, now);
    const refused = (t: ResolvedTarget): GatewayOutcome | null => {
      if (refusal === null || t.pricing === null) return null;
      this.metrics.add(this.keyOf(call.service, t, now), "refused:budget_exhausted", 1);
      return { ok: false, ...refusal };
    };
    const firstTarget = decision.first === "fallback" ? fallback : primary;
    const stop = refused(firstTarget);
    if (stop) return stop;
    const mayOverflow = decision.first === "primary" && decision.overflow && (refusal === null || fallback.pricing === null);
    if (decision.first === "fallback") {
      return this.divert(call, primary, fallback, decision.reason, req.body, Number(declared ?? 0), svc.timeout_ms, search, now);
    }
    if (!mayOverflow) {
      return this.finish(call, await this.attempt(call, primary, req.body, Number(declared ?? 0), svc.timeout_ms, search, now), null);
    }
    const body: PreparedBody = hasNoBody(req.method)
      ? { replayable: true, body: null }
      : await prepareBody(req.body, declared === null ? null : Number(declared), limits.replay_limit_bytes);
    const size = body.body instanceof Uint8Array ? body.body.byteLength : Number(declared ?? 0);
    const first = await this.attempt(call, primary, body.body, size, limits.primary_timeout_ms, search, now);
    const reason = overflowReason(first.ok ? first.response.status : null, first.ok ? null : first.failure, limits);
    if (reason === null || !body.replayable) return this.finish(call, first, null);
    if (first.ok) await first.response.body?.cancel().catch(() => undefined);
    return this.divert(call, primary, fallback, reason, body.body, size, svc.timeout_ms, search, this.clock());
  }

  private dayBounds(now: number, timezone: string): DayBounds {
    const d = this.day;
    if (d !== null && d.timezone === timezone && now >= d.start && now < d.end) return d;
    this.day = { ...budgetDayBounds(now, timezone), timezone };
    return this.day;
  }

  /**
   * 429 budget_exhausted when the service refuses at exhaustion and either the day reached the
   * shutdown level or the service's token-priced spend today (flushed by every isolate, plus this
   * isolate's unflushed part) reached its daily cap; else null.
   */
  private refusal(service: string, svc: ServiceConfig, snap: RoutingSnapshot, bounds: DayBounds, now: number): GatewayError | null {
    const b = svc.budget;
    if (b.on_exhausted === "allow") return null;
    const retryAfter = b.retry_after_seconds ?? Math.max(1, Math.ceil((bounds.end - now) / 1000));
    if (snap.budget !== null && snap.budget.day === bounds.day && snap.budget.level >= 3) {
      return {
        status: 429,
        code: "budget_exhausted",
        message: `today's spend is past the shutdown level: token-priced requests of service "${service}" are refused until the budget day ends or a person raises the budget`,
        retryAfter,
      };
    }
    if (b.daily_cap_usd !== null) {
      const spent = (snap.serviceSpend.get(service) ?? 0) + (this.unflushedSpend.get(service) ?? 0);
      if (spent >= Math.round(b.daily_cap_usd * 1e6)) {
        return {
          status: 429,
          code: "budget_exhausted",
          message: `service "${service}" spent $${(spent / 1e6).toFixed(4)} on token-priced targets today, its daily cap is $${b.daily_cap_usd}`,
          retryAfter,
        };
      }
    }
    return null;
  }

  /** Sends to the fallback, counting the diversion on the primary's row. */
  private async divert(
    call: GatewayCall,
    primary: ResolvedTarget,
    fallback: ResolvedTarget,
    reason: FallbackReason,
    body: BodyInit | null,
    size: number,
    timeoutMs: number,
    search: string,
    now: number,
  ): Promise<GatewayOutcome> {
    this.metrics.add(this.keyOf(call.service, primary, now), `fallback:${reason}`, 1);
    return this.finish(call, await this.attempt(call, fallback, body, size, timeoutMs, search, now), reason);
  }

  private async attempt(
    call: GatewayCall,
    target: ResolvedTarget,
    body: BodyInit | null,
    bytesIn: number,
    timeoutMs: number,
    search: string,
    at: number,
  ): Promise<Attempt> {
    const url = upstreamUrl(target.url ?? "", call.rest, search);
    const headers = upstreamHeaders(call.request.headers, target.token, call.withheld);
    const release = target.role === "primary" ? this.health.enqueue(target.endpoint) : () => {};
    const started = this.clock();
    const res = await send(this.fetcher, url, { method: call.request.method, headers, body }, timeoutMs).finally(release);
    const latencyMs = this.clock() - started;
    const status = res.ok ? res.response.status : null;
    const failure = res.ok ? null : res.failure;
    const length = res.ok ? Number(res.response.headers.get("content-length") ?? 0) : 0;
    const record: AttemptRecord = {
      at,
      service: call.service,
      target: target.role,
      endpoint: target.endpoint,
      status,
      failure,
      latencyMs,
      bytesIn: Number.isFinite(bytesIn) ? bytesIn : 0,
      bytesOut: Number.isFinite(length) ? length : 0,
    };
    this.metrics.recordAttempt(record);
    if (target.role === "primary") this.health.record(target.endpoint, at, isError(status, failure));
    return res.ok
      ? { ok: true, response: res.response, target, record }
      : { ok: false, failure: res.failure, message: res.message, target };
  }

  private finish(call: GatewayCall, a: Attempt, reason: FallbackReason | null): GatewayOutcome {
    if (!a.ok) {
      const where = `${a.target.role} ${a.target.endpoint}`;
      return a.failure === "timeout"
        ? fail(504, "upstream_timeout", `${where}: ${a.message}`)
        : fail(502, "upstream_unreachable", `${where}: request failed`);
    }
    const up = a.response;
    const extra: Record<string, string> = { "x-guardrail-target": a.target.role };
    if (reason) extra["x-guardrail-reason"] = reason;
    let body = up.body;
    const key = this.keyOf(call.service, a.target, a.record.at);
    const metered = a.target.pricing !== null && up.status >= 200 && up.status < 300;
    const streamed = !up.headers.has("content-length");
    if (metered && !body) this.metrics.add(key, "unpriced", 1);
    if (body && (metered || streamed)) {
      // The caller's bytes pass natively; a copy is read in the background for bytes (streamed bodies) and usage (token-priced targets).
      const usage = metered ? UsageReader.for(up.headers.get("content-type")) : null;
      const pricing = a.target.pricing;
      body = tap(
        body,
        {
          look: (bytes) => usage?.push(bytes),
          end: async (bytes, complete) => {
            if (streamed) this.metrics.add(key, "bytes_out", bytes);
            if (!usage || !pricing) return;
            const found = complete ? usage.finish() : null;
            // The published price list is read here, after the answer ended: never in front of a request.
            const list = found && pricing.published_prices !== null ? await this.published.get(pricing.published_prices) : null;
            this.meter(call.service, key, pricing, found, list);
            this.maybeFlush(call.db, call.waitUntil);
          },
        },
        call.waitUntil,
      );
    }
    return {
      ok: true,
      response: new Response(body, { status: up.status, statusText: up.statusText, headers: downstreamHeaders(up.headers, extra) }),
    };
  }

  /** Adds one answer's tokens and price to the counters; an answer without usage (or unpriced model) counts as unpriced. */
  private meter(
    service: string,
    key: CounterKey,
    pricing: TargetPricing,
    usage: ReturnType<UsageReader["finish"]>,
    list: PriceList | null,
  ): void {
    const micro = usage ? priceMicro(pricing, usage, list) : null;
    if (usage) {
      const model = usage.model ?? "unknown";
      this.metrics.add(key, `tokens_in:${model}`, usage.inputTokens);
      this.metrics.add(key, `tokens_out:${model}`, usage.outputTokens);
      if (micro !== null) this.metrics.add(key, `spend_micro:${model}`, micro);
    }
    if (micro === null) {
      this.metrics.add(key, "unpriced", 1);
      return;
    }
    this.metrics.add(key, "priced", 1);
    this.unflushedSpend.set(service, (this.unflushedSpend.get(service) ?? 0) + micro);
  }

  private keyOf(service: string, t: ResolvedTarget, at: number): CounterKey {
    return { minute: minuteOf(at), service, target: t.role, endpoint: t.endpoint };
  }

  /**
   * Writes pending counters to D1 when the flush interval has passed (in the background); before that,
   * leaves one flush waiting for it in `waitUntil`, so spend metered just before the traffic stops is not
   * held until a next request that may never come (or lost with the isolate).
   */
  private maybeFlush(db: D1Database, waitUntil: (p: Promise<unknown>) => void): void {
    if (this.metrics.size === 0) return;
    const wait = this.lastFlush + this.flushIntervalMs - this.clock();
    if (wait <= 0) {
      if (this.isFlushing()) return;
      this.lastFlush = this.clock();
      waitUntil(this.flush(db));
      return;
    }
    if (this.trailing || wait > this.trailingFlushMaxMs) return;
    this.trailing = true;
    const from = this.lastFlush;
    waitUntil(
      new Promise((resolve) => setTimeout(resolve, wait)).then(async () => {
        this.trailing = false;
        if (this.isFlushing()) await this.inFlight;
        if (this.metrics.size === 0) return;
        // A flush ran meanwhile: what it did not take waits for the interval from that flush.
        if (this.lastFlush !== from) return this.maybeFlush(db, waitUntil);
        // Else the timer measured the wait: flush now, whatever the clock says (no second wait).
        this.lastFlush = this.clock();
        await this.flush(db);
      }),
    );
  }

  private isFlushing(): boolean {
    return this.flushingSince !== null && this.clock() - this.flushingSince < FLUSH_STUCK_MS;
  }

  /**
   * Writes pending counters now (and folds old minutes at most hourly). Never throws; rows whose
   * write fails go back into the aggregate for the next flush. One flush at a time per isolate.
   */
  flush(db: D1Database): Promise<void> {
    // One at a time: after the one in flight, what it did not take.
    if (this.isFlushing() && this.inFlight) return this.inFlight.then(() => this.flush(db));
    const since = this.clock();
    this.flushingSince = since;
    const run = this.write(db, since);
    this.inFlight = run;
    return run;
  }

  private async write(db: D1Database, since: number): Promise<void> {
    const rows = this.metrics.drain();
    const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
    try {
      await addGatewayCounters(db, rows);
      for (const r of rows) {
        if (!r.name.startsWith("spend_micro:")) continue;
        const left = (this.unflushedSpend.get(r.service) ?? 0) - r.value;
        if (left > 0) this.unflushedSpend.set(r.service, left);
        else this.unflushedSpend.delete(r.service);
      }
      const now = this.clock();
      if (now - this.lastCompact >= HOUR) {
        this.lastCompact = now;
        await compactGatewayCounters(db, now - GATEWAY_RETENTION_MS).catch((err) =>
          this.log({ event: "gateway_compact_failed", message: message(err) }),
        );
      }
    } catch (err) {
      this.metrics.restore(rows);
      this.log({ event: "gateway_flush_failed", rows: rows.length, message: message(err) });
    } finally {
      // (A flush taken as lost that ends after all leaves the newer one's marks alone.)
      if (this.flushingSince === since) {
        this.flushingSince = null;
        this.inFlight = null;
      }
    }
  }
}

type Attempt =
  | { ok: true; response: Response; target: ResolvedTarget; record: AttemptRecord }
  | { ok: false; failure: "timeout" | "network"; message: string; target: ResolvedTarget };

const fail = (status: GatewayError["status"], code: string, message: string): GatewayOutcome => ({ ok: false, status, code, message });

const hasNoBody = (method: string) => method === "GET" || method === "HEAD";

/** `follows`: for a URL primary, the guarded endpoint the service follows; its observed state (paused) applies. */
function resolve(
  role: TargetRole,
  t: TargetConfig,
  snap: RoutingSnapshot,
  secret: (name: string) => string | undefined,
  follows: string | null,
): ResolvedTarget {
  const token = t.token === null ? null : (secret(t.token) ?? null);
  const pricing = t.pricing;
  if (ENDPOINT_KEY.test(t.target)) {
    const seen = snap.endpoints.get(t.target);
    return { role, url: seen?.url ?? null, state: seen?.state ?? null, endpoint: t.target, token, pricing };
  }
  const state = follows === null ? null : (snap.endpoints.get(follows)?.state ?? null);
  return { role, url: t.target, state, endpoint: targetLabel(t.target), token, pricing };
}
