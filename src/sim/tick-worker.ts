// A Worker that runs one guard tick per request, inside workerd with a real D1, for the simulator and
// the benchmarks. It builds the Worker's own runtime (src/runtime: the HF client over HTTP, one per
// isolate so the price cache lives across ticks, and the notifier with its outbox) and runs the tick as
// the cron does, except that the policy comes with the request and "now" is the simulator's virtual
// clock. It also counts outbound subrequests and D1 queries per tick.
import * as z from "zod";
import { type PolicyResult, validatePolicy } from "../policy/index.ts";
import { configOf, createRuntime, runGuardTick } from "../runtime/index.ts";
import { addGatewayCounters } from "../store/index.ts";

interface Env {
  DB: D1Database;
  HF_API_BASE: string;
  HF_TOKEN: string;
}

/** Gateway counters to add before the tick, as the gateway's flush would (token-priced spend of rerouted traffic). */
const gatewayRowSchema = z
  .object({
    minute: z.number().int().positive(),
    service: z.string(),
    target: z.string(),
    endpoint: z.string(),
    name: z.string(),
    value: z.number().int(),
  })
  .strict();
const tickRequestSchema = z
  .object({ now: z.number().int().nonnegative(), policy: z.unknown(), gateway: z.array(gatewayRowSchema).default([]) })
  .strict();
const migrationsSchema = z.array(z.object({ name: z.string(), queries: z.array(z.string()) }));

export interface SimAction {
  kind: string;
  endpoint: string;
  status: string;
  reason: string;
  error: string | null;
  change: unknown;
}

export interface SimEvent {
  type: string;
  kind: string;
  severity: string | null;
  endpoint: string | null;
  title: string;
  /** a named budget's alert: its name (`figures.budget`) and level */
  budget: string | null;
  level: number | null;
}

/** What one simulated tick reports back to Node. */
export interface SimTick {
  ran: boolean;
  outcome: string;
  level: number | null;
  ratio: number | null;
  spendMicro: number | null;
  /** the estimate's standard error today (null when nothing was planned) */
  standardErrorMicro: number | null;
  /** the spend the pause may act on, at the policy's metering.pause_margin_sigmas (null when nothing was planned) */
  confirmedSpendMicro: number | null;
  budgetMicro: number | null;
  burnMicroPerHour: number | null;
  actions: SimAction[];
  /** events recorded by this tick (alerts already seen today are not repeated) */
  events: SimEvent[];
  subrequests: number;
  subrequestsByKind: Record<SubrequestKind, number>;
  d1Queries: number;
  /** the requests to D1 those queries took (a batch is one) */
  d1RoundTrips: number;
  /** the tick's own duration inside workerd */
  ms: number;
}

// The virtual time of the tick being run; the client's price cache ages on it, as it would on the wall clock.
let virtualNow = 0;
/** What an outbound request was for: listing, the price catalog, open-metrics or an action (HF), or an alert (Slack, SNS). */
export type SubrequestKind = "list" | "catalog" | "metrics" | "action" | "alert";

function kindOf(input: RequestInfo | URL, init?: RequestInit): Exclude<SubrequestKind, "alert"> {
  const url = input instanceof Request ? input.url : String(input);
  const path = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split("?")[0] ?? "";
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (path.endsWith("/open-metrics")) return "metrics";
  if (path.startsWith("/v2/provider/")) return "catalog";
  if (method === "GET" && /^\/v2\/endpoint\/[^/]+\/?$/.test(path)) return "list";
  return "action";
}

/** The HF client's requests by kind (the runtime counts every request, alerts included). */
const hfKinds = { list: 0, catalog: 0, metrics: 0, action: 0 };
const countingFetch: typeof fetch = (input, init) => {
  hfKinds[kindOf(input, init)]++;
  return fetch(input, init);
};

let policyCache: { text: string; result: PolicyResult } | undefined;

function policyOf(value: unknown): PolicyResult {
  const text = JSON.stringify(value);
  if (policyCache?.text !== text) policyCache = { text, result: validatePolicy(value) };
  return policyCache.result;
}

/**
 * A D1Database that counts the queries made through it (`n`: each statement of a batch counts, as D1's
 * limit does) and the requests to D1 they took (`trips`: a batch is one).
 */
export function countingDb(inner: D1Database, counter: { n: number; trips: number }): D1Database {
  const innerOf = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const counted = <T>(f: () => T): T => {
      counter.n++;
      counter.trips++;
      return f();
    };
    const wrapped = {
      bind: (...values: unknown[]) => wrap(stmt.bind(...values)),
      first: (column?: string) => counted(() => (column === undefined ? stmt.first() : stmt.first(column))),
      run: () => counted(() => stmt.run()),
      all: () => counted(() => stmt.all()),
      raw: (options?: { columnNames?: boolean }) => counted(() => stmt.raw(options as { columnNames: true })),
    } as unknown as D1PreparedStatement;
    innerOf.set(wrapped, stmt);
    return wrapped;
  };
  return {
    prepare: (sql: string) => wrap(inner.prepare(sql)),
    batch: (statements: D1PreparedStatement[]) => {
      counter.n += statements.length;
      counter.trips++;
      return inner.batch(statements.map((s) => innerOf.get(s) ?? s));
    },
    exec: (query: string) => {
      counter.n++;
      counter.trips++;
      return inner.exec(query);
    },
    dump: () => inner.dump(),
    withSession: () => {
      throw new Error("sessions are not used by the tick");
    },
  } as unknown as D1Database;
}

function subrequestsSince(total: number, start: typeof hfKinds): Record<SubrequestKind, number> {
  const hf = {
    list: hfKinds.list - start.list,
    catalog: hfKinds.catalog - start.catalog,
    metrics: hfKinds.metrics - start.metrics,
    action: hfKinds.action - start.action,
  };
  return { ...hf, alert: total - hf.list - hf.catalog - hf.metrics - hf.action };
}

async function tick(env: Env, body: z.infer<typeof tickRequestSchema>): Promise<SimTick> {
  virtualNow = body.now;
  // Outside the counted queries: in production the gateway writes these, not the tick.
  await addGatewayCounters(env.DB, body.gateway);
  const runtime = createRuntime(env, configOf(env, policyOf(body.policy), "simulator"), {
    clock: () => Date.now(),
    fetch: countingFetch,
    hfNow: () => virtualNow,
    // The emulator also serves the Hub's billing routes, so billing.reconcile never reaches the real Hub from here.
    hubBaseUrl: env.HF_API_BASE,
  });
  const startCount = runtime.requests.n;
  const startKinds = { ...hfKinds };
  const queries = { n: 0, trips: 0 };
  const started = Date.now();
  const report = await runGuardTick(runtime, { db: countingDb(env.DB, queries), now: body.now, holder: `sim-${body.now}`, log: () => {} });
  const plan = report.plan;
  return {
    ran: report.ran,
    outcome: report.outcome,
    level: plan?.level ?? null,
    ratio: plan?.ratio ?? null,
    spendMicro: plan?.spendMicro ?? null,
    standardErrorMicro: report.metering?.standardErrorMicro ?? null,
    confirmedSpendMicro: report.metering?.confirmedSpendMicro ?? null,
    budgetMicro: plan?.budgetMicro ?? null,
    burnMicroPerHour: plan?.burnMicroPerHour ?? null,
    actions: report.executed
      .filter((x) => x.status !== "skipped")
      .map((x) => ({
        kind: x.action.kind,
        endpoint: x.action.endpoint,
        status: x.status,
        reason: x.action.reason,
        error: x.error,
        change: x.action.change,
      })),
    events: report.events.map((e) => ({
      type: e.type,
      kind: e.kind,
      severity: e.severity,
      endpoint: e.endpoint,
      title: e.title,
      budget: typeof e.data.budget === "string" ? e.data.budget : null,
      level: typeof e.data.level === "number" ? e.data.level : null,
    })),
    subrequests: runtime.requests.n - startCount,
    subrequestsByKind: subrequestsSince(runtime.requests.n - startCount, startKinds),
    d1Queries: queries.n,
    d1RoundTrips: queries.trips,
    ms: Date.now() - started,
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    const body: unknown = await request.json().catch(() => undefined);
    if (request.method === "POST" && pathname === "/migrate") {
      // Each migration once per database, so a persisted D1 (a second host on it: a fresh isolate) is kept as it is.
      const migrations = migrationsSchema.parse(body);
      await env.DB.prepare("CREATE TABLE IF NOT EXISTS sim_migrations (name TEXT PRIMARY KEY)").run();
      const { results } = await env.DB.prepare("SELECT name FROM sim_migrations").all<{ name: string }>();
      const done = new Set(results.map((r) => r.name));
      const applied = migrations.filter((m) => !done.has(m.name));
      for (const m of applied) {
        const record = env.DB.prepare("INSERT INTO sim_migrations (name) VALUES (?1)").bind(m.name);
        await env.DB.batch([...m.queries.map((q) => env.DB.prepare(q)), record]);
      }
      return Response.json({ applied: applied.map((m) => m.name) });
    }
    if (request.method === "POST" && pathname === "/policy") {
      // The Worker validates its bundled policy while its isolate starts (handlers/config.ts), outside any
      // invocation's CPU time; a host stands in for that here before a fresh isolate's first tick.
      const result = policyOf(body);
      return Response.json({ ok: result.ok });
    }
    if (request.method === "POST" && pathname === "/tick") {
      const parsed = tickRequestSchema.safeParse(body);
      if (!parsed.success) return Response.json({ error: parsed.error.issues }, { status: 400 });
      return Response.json(await tick(env, parsed.data));
    }
    return Response.json({ error: "POST /migrate, /policy or /tick" }, { status: 404 });
  },
} satisfies ExportedHandler<Env>;
