// A local stand-in for api.endpoints.huggingface.cloud: the same routes and JSON, a fleet that scales and bills
// on a controllable clock, injectable faults, and a record of every call, so tests run the shipping HF client.
//
// HF routes (Bearer token required, as the real API; shapes per shared/reference/hf-endpoints-api.md):
//   GET  /v2/endpoint/{ns}?limit=&cursor=        {items, nextCursor?}   limit default 20, max 100
//   GET  /v2/endpoint/{ns}/{name}                 EndpointWithStatus
//   PUT  /v2/endpoint/{ns}/{name}                 deep-merges the body; scaling clamps the replicas
//   POST /v2/endpoint/{ns}/{name}/pause           paused, 0 replicas
//   POST /v2/endpoint/{ns}/{name}/resume          running (via initializing when startupMs > 0); 400 "already running"
//   POST /v2/endpoint/{ns}/{name}/scale-to-zero   scaledToZero, 0 replicas; wakes on demand
//   GET  /v2/provider/{ns}                        {vendors:[{name, regions:[{name, computes:[...]}]}]}
//   GET  /v2/endpoint/{ns}/{name}/open-metrics    OpenMetrics text driven by the endpoint's simulated traffic
//
// Hub routes (the same server stands in for https://huggingface.co; shapes per the Hub OpenAPI spec, see billingUsage):
//   GET  /api/organizations/{ns}/billing/usage    {usage: {Endpoints: [...]}, period}  the namespace's own bill
//   GET  /api/settings/billing/usage              the same for the namespace marked as the token's user
//
// Admin API (no auth; JSON in and out), so tests inside workerd can drive it with fetch:
//   POST /_emulator/{ns}/reset                      {endpoints: EndpointSpec[], prices?: PriceSpec[], startupMs?}
//   POST /_emulator/{ns}/endpoints/{name}/replicas  {replicas}  autoscaler demand, clamped to [min, max]
//   POST /_emulator/{ns}/endpoints/{name}           deep patch of raw fields: a person's change (stamps updatedBy)
//   POST /_emulator/{ns}/endpoints/{name}/traffic   {rps?, p95Ms?, errorRate?, pending?, usagePct?}  simulated traffic
//   POST /_emulator/{ns}/faults                     {faults: Fault[], clear?: true}  appended to the namespace's queue (emptied first with clear)
//   POST /_emulator/{ns}/clock                      {advanceMs}  moves this namespace's clock forward
//   GET  /_emulator/{ns}/calls                      {calls: RecordedCall[]}
//   GET  /_emulator/{ns}/cost                       CostReport
//   POST /_emulator/{ns}/billing                    {periodStart?, periodEnd? (ISO), user?: true}  the billing period; user: the token's own account
// State is per namespace, so parallel test files each own one and never see each other.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EndpointState } from "../providers/index.ts";
import { readBody } from "./http-body.ts";

/** The small description a test or scenario gives; the emulator builds the full HF object from it. */
export interface EndpointSpec {
  name: string;
  instanceType: string;
  instanceSize: string;
  vendor?: string;
  region?: string;
  accelerator?: string;
  minReplica: number;
  maxReplica: number;
  /** current demand; for running endpoints the replicas are this, clamped to [max(min, 1), max] */
  replicas: number;
  /** default: running when replicas > 0, else scaledToZero */
  state?: EndpointState;
  /** minutes */
  scaleToZeroTimeout?: number;
  tags?: string[];
  traffic?: Partial<Traffic>;
  /** this endpoint's start-up (cold start) time; default: the namespace's startupMs */
  startupMs?: number;
}

/**
 * What the endpoint's open-metrics export reports. Requests (and 5xx, `errorRate` of them) accrue
 * while replicas are ready, spread over them; the gauges are reported as set, per ready replica.
 */
export interface Traffic {
  /** requests per second the endpoint receives */
  rps: number;
  /** p95 latency in ms; null = no latency summary exported */
  p95Ms: number | null;
  /** fraction of requests answered 500, in [0, 1] */
  errorRate: number;
  /** requests waiting or in flight (the endpoint's total); null = not exported */
  pending: number | null;
  /** hardware usage percent of each replica; null = not exported */
  usagePct: number | null;
}

const NO_TRAFFIC: Traffic = { rps: 0, p95Ms: null, errorRate: 0, pending: null, usagePct: null };

export interface PriceSpec {
  vendor?: string;
  region?: string;
  instanceType: string;
  instanceSize: string;
  accelerator?: string;
  /** USD per replica-hour, as the catalog shows it */
  pricePerHour: number;
}

export interface Fault {
  /** any method when absent */
  method?: string;
  /** substring of the request path, e.g. "/pause" or "/v2/endpoint/ns" */
  path: string;
  /** answer with this status instead of the real handler; absent with delayMs = a slow but correct answer */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** wait this long before answering */
  delayMs?: number;
  /** answer 200 with a body that is not JSON */
  malformed?: boolean;
  /** how many matching requests it applies to; default 1 */
  times?: number;
  /**
   * Carry the request out first, then answer with the fault (status, or delayMs alone: a hang the
   * client times out on). HF's API sits behind a gateway: a 502/504 or a dropped connection says
   * nothing about whether the endpoint was already changed (RFC 9110 §15.6.3/§15.6.5; huggingface_hub
   * retries 500/502/503/504, shared/reference/hf-endpoints-api.md §6), so a change can land unacknowledged.
   */
  afterApply?: boolean;
}

export interface RecordedCall {
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  mutating: boolean;
  status: number;
  fault: boolean;
}

export interface CostReport {
  at: number;
  totalMicroUsd: number;
  endpoints: Record<string, { microUsd: number; replicaMinutes: number }>;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  now?: () => number;
  /** the bearer token the API accepts; default "hf_test_token" (the worker tests' HF_TOKEN) */
  token?: string;
  /** time a resumed or woken endpoint spends initializing; 0 (default) = running at once */
  startupMs?: number;
  /** keep every replica run that ended (`closedRuns`), for the simulator's analysis; off by default (it grows) */
  recordRuns?: boolean;
}

/** One replica's run, from the instant it was billed to the instant it stopped. */
export interface ClosedRun {
  namespace: string;
  name: string;
  start: number;
  end: number;
  /** the endpoint's billable replicas right after: 0 when the run ended with the endpoint at zero */
  replicasAfter: number;
}

export interface NamespaceSetup {
  endpoints: EndpointSpec[];
  /** merged over the default catalog (same vendor/region/type/size replaces the default price) */
  prices?: PriceSpec[];
  startupMs?: number;
}

export interface Emulator {
  url: string;
  token: string;
  close(): Promise<void>;
  reset(namespace: string, setup: NamespaceSetup): RawEndpoint[];
  setReplicas(namespace: string, name: string, replicas: number): RawEndpoint;
  patchEndpoint(namespace: string, name: string, patch: Record<string, unknown>): RawEndpoint;
  setTraffic(namespace: string, name: string, traffic: Partial<Traffic>): Traffic;
  addFaults(namespace: string, faults: Fault[]): void;
  calls(namespace: string): RecordedCall[];
  cost(namespace: string): CostReport;
  /** the replica runs that ended so far, in order (only with `recordRuns`) */
  closedRuns(): readonly ClosedRun[];
  endpoint(namespace: string, name: string): RawEndpoint | undefined;
  advance(namespace: string, ms: number): number;
  setBilling(namespace: string, input: { periodStart?: string; periodEnd?: string; user?: boolean }): unknown;
}

/**
 * The emulator's own model of an HF endpoint object (reference §2.2). Deliberately not the client's zod type:
 * a fake built from the client's schema would agree with the client's mistakes.
 */
export interface RawEndpoint {
  name: string;
  type: string;
  accountId: string | null;
  provider: { vendor: string; region: string };
  compute: {
    id: string;
    accelerator: string;
    instanceType: string;
    instanceSize: string;
    scaling: { minReplica: number; maxReplica: number; scaleToZeroTimeout?: number; measure?: Record<string, number> };
  };
  model: Record<string, unknown>;
  healthRoute: string;
  tags: string[];
  experimentalFeatures: Record<string, unknown>;
  notifications: Record<string, unknown>;
  status: {
    createdAt: string;
    createdBy: { id: string; name: string };
    updatedAt: string;
    updatedBy: { id: string; name: string };
    private: null;
    state: EndpointState;
    message: string;
    url?: string;
    readyReplica: number;
    targetReplica: number;
  };
  [key: string]: unknown;
}

/** Realistic list prices (HF pricing page, USD per replica-hour); tests may override per namespace. */
export const DEFAULT_PRICES: PriceSpec[] = [
  ...[
    ["intel-spr", "x1", 0.033],
    ["intel-spr", "x2", 0.067],
    ["intel-spr", "x4", 0.134],
    ["intel-spr", "x8", 0.268],
    ["intel-icl", "x1", 0.032],
    ["intel-icl", "x2", 0.064],
    ["nvidia-t4", "x1", 0.5],
    ["nvidia-t4", "x4", 3.0],
    ["nvidia-l4", "x1", 0.8],
    ["nvidia-l4", "x4", 3.8],
    ["nvidia-a10g", "x1", 1.0],
    ["nvidia-a10g", "x4", 5.0],
    ["nvidia-l40s", "x1", 1.8],
    ["nvidia-l40s", "x4", 8.3],
    ["nvidia-a100", "x1", 2.5],
    ["nvidia-a100", "x2", 5.0],
    ["nvidia-a100", "x4", 10.0],
    ["nvidia-a100", "x8", 20.0],
    ["nvidia-h200", "x1", 5.0],
    ["nvidia-h200", "x8", 40.0],
    ["inf2", "x1", 0.75],
    ["inf2", "x12", 12.0],
  ].map(([instanceType, instanceSize, pricePerHour]) => ({
    vendor: "aws",
    region: "us-east-1",
    instanceType: instanceType as string,
    instanceSize: instanceSize as string,
    pricePerHour: pricePerHour as number,
  })),
  { vendor: "gcp", region: "us-east4", instanceType: "nvidia-l4", instanceSize: "x1", pricePerHour: 0.7 },
  { vendor: "gcp", region: "us-east4", instanceType: "nvidia-a100", instanceSize: "x8", pricePerHour: 28.8 },
];

const DEFAULT_TOKEN = "hf_test_token";
const API_USER = { id: "6273f303f6d63a28483fde12", name: "guardrail-bot" };
const HUMAN_USER = { id: "64b7f0c2a1b2c3d4e5f60718", name: "a-person" };
/** States with replicas up; they are also exactly the states HF bills (support/pricing.md). */
const AWAKE: ReadonlySet<string> = new Set(["initializing", "running", "updating"]);
const MESSAGES: Record<EndpointState, string> = {
  pending: "Endpoint waiting to be scheduled",
  initializing: "Endpoint is initializing",
  updating: "Endpoint waiting for the update",
  updateFailed: "Endpoint update failed",
  running: "Endpoint is ready",
  paused: "Endpoint is paused",
  failed: "Endpoint failed to deploy",
  scaledToZero: "Endpoint is scaled to zero",
};

/** A failure to report as an HTTP answer (admin or API), with HF's error body. */
class EmulatorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Stored {
  raw: RawEndpoint;
  /** last autoscaler demand: what the replicas would be without min/max */
  demand: number;
  /** when replicas being started become ready (initializing/updating → running) */
  readyAt?: number;
  /** when demand last fell to 0: the start of the scale-to-zero idle timer */
  idleSince?: number;
  billedUntil: number;
  replicaMs: number;
  /** replicas being billed, each from when it started (at its price then), the latest last */
  runs: Array<{ start: number; microPerHour: number }>;
  /** what runs that ended were billed, in whole minutes */
  closedMicro: number;
  traffic: Traffic;
  /** ready replicas by id, with their cumulative request counters (fractions kept, floored when served) */
  replicas: Array<{ id: string; ok: number; errors: number }>;
  replicaSerial: number;
  /** per-endpoint cold start; undefined = the namespace's */
  startupMs?: number;
}

/** The billing period the Hub routes report (default: the calendar month, UTC, of the namespace's now). */
interface BillingPeriod {
  start?: number;
  end?: number;
}

interface Namespace {
  name: string;
  billing: BillingPeriod;
  endpoints: Map<string, Stored>;
  prices: PriceSpec[];
  faults: Fault[];
  calls: RecordedCall[];
  clockOffset: number;
  startupMs: number;
}

/** The fleet and its rules, without HTTP; the server below is a thin adapter over it. */
class Fleet {
  private readonly namespaces = new Map<string, Namespace>();

  constructor(
    private readonly clock: () => number,
    private readonly startupMs: number,
    readonly runLog?: ClosedRun[],
  ) {}

  ns(name: string): Namespace {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = {
        name,
        billing: {},
        endpoints: new Map(),
        prices: [...DEFAULT_PRICES],
        faults: [],
        calls: [],
        clockOffset: 0,
        startupMs: this.startupMs,
      };
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  now(ns: Namespace): number {
    return this.clock() + ns.clockOffset;
  }

  /** Replaces the namespace's fleet, faults and calls; a bad spec leaves the old state untouched. The clock keeps running. */
  reset(name: string, setup: NamespaceSetup): RawEndpoint[] {
    const ns: Namespace = {
      name,
      billing: this.namespaces.get(name)?.billing ?? {},
      endpoints: new Map(),
      prices: mergePrices(DEFAULT_PRICES, setup.prices ?? []),
      faults: [],
      calls: [],
      clockOffset: this.namespaces.get(name)?.clockOffset ?? 0,
      startupMs: setup.startupMs ?? this.startupMs,
    };
    const now = this.now(ns);
    for (const spec of setup.endpoints) {
      if (ns.endpoints.has(spec.name)) throw new EmulatorError(400, `duplicate endpoint ${spec.name}`);
      ns.endpoints.set(spec.name, this.build(ns, spec, now));
    }
    this.namespaces.set(name, ns);
    return [...ns.endpoints.values()].map((s) => s.raw);
  }

  /** Brings every endpoint of the namespace up to now: readiness, idle scale-to-zero, and cost. */
  settle(ns: Namespace): void {
    const now = this.now(ns);
    for (const stored of ns.endpoints.values()) {
      const { raw } = stored;
      if (stored.readyAt !== undefined && now >= stored.readyAt) {
        stored.readyAt = undefined;
        raw.status.readyReplica = raw.status.targetReplica;
        if (raw.status.state === "initializing" || raw.status.state === "updating") setState(raw, "running");
      }
      const idleDeadline = this.idleDeadline(stored);
      if (idleDeadline !== undefined && now >= idleDeadline) {
        this.accrue(ns, stored, Math.max(stored.billedUntil, idleDeadline));
        toZero(stored, "scaledToZero");
      }
      this.accrue(ns, stored, now);
    }
  }

  get(ns: Namespace, name: string): Stored {
    const stored = ns.endpoints.get(name);
    if (!stored) throw new EmulatorError(404, "Endpoint not found");
    return stored;
  }

  list(ns: Namespace, query: Record<string, string>): { items: RawEndpoint[]; nextCursor?: string } {
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new EmulatorError(400, "limit must be between 1 and 100");
    const offset = query.cursor === undefined ? 0 : decodeCursor(query.cursor);
    const all = [...ns.endpoints.values()].map((s) => s.raw);
    const items = all.slice(offset, offset + limit);
    return offset + limit < all.length ? { items, nextCursor: encodeCursor(offset + limit) } : { items };
  }

  update(ns: Namespace, stored: Stored, body: unknown): void {
    if (!isObject(body)) throw new EmulatorError(400, "Incorrect input");
    // name and status are server-owned; HF ignores or rejects them in an update.
    const { name: _name, status: _status, ...changes } = body;
    const next = deepMerge(stored.raw, changes) as RawEndpoint;
    const scaling = next.compute.scaling;
    if (!isCount(scaling.minReplica) || !isCount(scaling.maxReplica) || scaling.maxReplica < 1) {
      throw new EmulatorError(400, "Incorrect input: minReplica and maxReplica must be integers, maxReplica at least 1");
    }
    if (scaling.minReplica > scaling.maxReplica) throw new EmulatorError(400, "Incorrect input: minReplica must be <= maxReplica");
    const hardwareChanged =
      next.compute.instanceType !== stored.raw.compute.instanceType || next.compute.instanceSize !== stored.raw.compute.instanceSize;
    if (hardwareChanged) {
      if (!priceOf(ns, next)) throw new EmulatorError(400, `Incorrect input: ${computeId(next)} is not available`);
      next.compute.id = computeId(next);
    }
    stored.raw = next;
    stamp(next, this.now(ns), API_USER);
    if (hardwareChanged && AWAKE.has(next.status.state) && startupOf(ns, stored) > 0) {
      setState(next, "updating");
      next.status.readyReplica = 0;
      stored.readyAt = this.now(ns) + startupOf(ns, stored);
    }
    this.rescale(ns, stored);
  }

  pause(ns: Namespace, stored: Stored): void {
    toZero(stored, "paused");
    stamp(stored.raw, this.now(ns), API_USER);
  }

  resume(ns: Namespace, stored: Stored): void {
    if (AWAKE.has(stored.raw.status.state)) throw new EmulatorError(400, "Endpoint is already running");
    stored.demand = Math.max(stored.demand, 1);
    this.wake(ns, stored);
    stamp(stored.raw, this.now(ns), API_USER);
  }

  scaleToZero(ns: Namespace, stored: Stored): void {
    // A paused endpoint must stay paused: scaled-to-zero ones wake on traffic, paused ones never do.
    if (stored.raw.status.state === "paused") throw new EmulatorError(400, "Endpoint is paused");
    toZero(stored, "scaledToZero");
    stamp(stored.raw, this.now(ns), API_USER);
  }

  /** Autoscaler demand. Traffic wakes a scaled-to-zero endpoint; paused or failed ones ignore it. */
  setDemand(ns: Namespace, stored: Stored, replicas: number): void {
    if (!isCount(replicas)) throw new EmulatorError(400, "replicas must be a non-negative integer");
    stored.demand = replicas;
    const state = stored.raw.status.state;
    if (state === "scaledToZero" && replicas > 0) this.wake(ns, stored);
    else if (AWAKE.has(state)) this.rescale(ns, stored);
  }

  /** A person's change in the HF UI: raw fields merged as given, so tests can also plant invalid data. */
  patch(ns: Namespace, stored: Stored, patch: Record<string, unknown>): void {
    stored.raw = deepMerge(stored.raw, patch) as RawEndpoint;
    const statusPatch = isObject(patch.status) ? patch.status : {};
    if (!("updatedAt" in statusPatch)) stored.raw.status.updatedAt = iso(this.now(ns));
    if (!("updatedBy" in statusPatch)) stored.raw.status.updatedBy = { ...HUMAN_USER };
    // A status written by hand wins; otherwise a new min/max re-clamps the replicas as HF would.
    if (!("status" in patch) && "compute" in patch) this.rescale(ns, stored);
  }

  /** Requests over `elapsed` ms, spread over the replicas ready during it. Replicas that went away take their counters. */
  private serve(stored: Stored, elapsed: number): void {
    const { raw, traffic } = stored;
    const ready = AWAKE.has(raw.status.state) && Number.isInteger(raw.status.readyReplica) ? raw.status.readyReplica : 0;
    while (stored.replicas.length > ready) stored.replicas.pop();
    while (stored.replicas.length < ready) {
      const n = ++stored.replicaSerial;
      stored.replicas.push({ id: `${raw.name.slice(0, 8)}-${n.toString(36).padStart(5, "0")}`, ok: 0, errors: 0 });
    }
    if (ready === 0 || traffic.rps <= 0) return;
    const each = (traffic.rps * elapsed) / 1000 / ready;
    for (const r of stored.replicas) {
      r.errors += each * traffic.errorRate;
      r.ok += each * (1 - traffic.errorRate);
    }
  }

  setTraffic(stored: Stored, traffic: Partial<Traffic>): void {
    stored.traffic = checkTraffic({ ...stored.traffic, ...traffic });
  }

  /** The endpoint's open-metrics export, in the layout of HF's documented example. */
  openMetrics(stored: Stored): string {
    const { traffic } = stored;
    const out: string[] = [];
    if (traffic.p95Ms !== null) {
      const s = traffic.p95Ms / 1000;
      const count = Math.floor(stored.replicas.reduce((n, r) => n + r.ok + r.errors, 0));
      out.push("# HELP latency_distribution Latency distribution", "# TYPE latency_distribution summary");
      for (const [q, f] of [
        ["0.5", 0.6],
        ["0.9", 0.85],
        ["0.95", 1],
        ["0.99", 1.4],
      ] as const)
        out.push(`latency_distribution{quantile="${q}"} ${(s * f).toFixed(9)}`);
      out.push(`latency_distribution_count ${count}`, `latency_distribution_sum ${(count * s * 0.7).toFixed(9)}`);
    }
    out.push("# HELP http_requests HTTP requests by code and replicas", "# TYPE http_requests counter");
    for (const r of stored.replicas) {
      out.push(`http_requests{replica_id="${r.id}",status_code="200"} ${Math.floor(r.ok)}`);
      if (r.errors >= 1) out.push(`http_requests{replica_id="${r.id}",status_code="500"} ${Math.floor(r.errors)}`);
    }
    if (traffic.pending !== null) {
      out.push("# HELP pending_requests Requests waiting or in flight", "# TYPE pending_requests gauge");
      const n = Math.max(stored.replicas.length, 1);
      for (const r of stored.replicas.length ? stored.replicas : [{ id: "none" }]) {
        out.push(`pending_requests{replica_id="${r.id}"} ${traffic.pending / n}`);
      }
    }
    if (traffic.usagePct !== null) {
      const gauge = stored.raw.compute.accelerator === "cpu" ? "cpu_usage_percent" : "gpu_usage_percent";
      out.push(`# HELP ${gauge} Hardware usage`, `# TYPE ${gauge} gauge`, `# UNIT ${gauge} percent`);
      for (const r of stored.replicas) out.push(`${gauge}{replica_id="${r.id}"} ${traffic.usagePct}`);
    }
    out.push("# EOF");
    return `${out.join("\n")}\n`;
  }

  cost(ns: Namespace): CostReport {
    const endpoints: CostReport["endpoints"] = {};
    let total = 0;
    for (const [name, stored] of ns.endpoints) {
      // Runs still going are billed for the minutes they started so far.
      const micro = stored.closedMicro + stored.runs.reduce((sum, r) => sum + minuteCost(stored.billedUntil - r.start, r.microPerHour), 0);
      endpoints[name] = { microUsd: Math.round(micro), replicaMinutes: stored.replicaMs / 60_000 };
      total += micro;
    }
    return { at: this.now(ns), totalMicroUsd: Math.round(total), endpoints };
  }

  /**
   * The Hub's billing usage of the namespace (GET /api/organizations/{name}/billing/usage): its own bill
   * (cost above) as one Inference Endpoints item per endpoint. The shape is the Hub OpenAPI spec's
   * (https://huggingface.co/.well-known/openapi.json, operation "Get org usage for a given period", read
   * from tryAGI/HuggingFace src/libs/HuggingFace/openapi.json @ 6491d53d): `usage` keyed "Endpoints"
   * (or "Spaces"), items with entityId, label, product, quantity, productPrettyName, unitLabel,
   * totalCostMicroUSD, unitCostMicroUSD, active required; `period` with _id, entityId, entityType,
   * entityName, periodStart, periodEnd required. Unsourced, the emulator's own choices: label = the
   * endpoint's name, quantity in replica-minutes with unitLabel "minutes" (HF documents neither), and the
   * bill counting everything since the namespace's reset (put the reset inside the period).
   */
  billingUsage(ns: Namespace, entityType: "org" | "user"): unknown {
    const now = this.now(ns);
    const month = new Date(now);
    const start = ns.billing.start ?? Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1);
    const end = ns.billing.end ?? Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1);
    const bill = this.cost(ns);
    const items = [...ns.endpoints].map(([name, stored]) => {
      const { vendor } = stored.raw.provider;
      const { instanceType, instanceSize } = stored.raw.compute;
      const price = priceOf(ns, stored.raw);
      return {
        entityId: hexId(`${ns.name}/${name}`),
        label: name,
        product: `endpoints/${vendor}/${instanceType}/${instanceSize}`,
        productPrettyName: `Inference Endpoints · ${vendor} · ${instanceType} · ${instanceSize}`,
        quantity: bill.endpoints[name]?.replicaMinutes ?? 0,
        unitLabel: "minutes",
        unitCostMicroUSD: price ? Math.round((price.pricePerHour * 1e6) / 60) : 0,
        totalCostMicroUSD: bill.endpoints[name]?.microUsd ?? 0,
        freeGrant: false,
        active: AWAKE.has(stored.raw.status.state),
      };
    });
    return {
      usage: { Endpoints: items, Spaces: [] },
      period: {
        _id: hexId(`period/${ns.name}/${start}`),
        entityId: hexId(ns.name),
        entityType,
        entityName: ns.name,
        periodStart: new Date(start).toISOString(),
        periodEnd: new Date(end).toISOString(),
        invoice: { type: "no-invoice", id: "no-invoice" },
        charges: [],
      },
    };
  }

  catalog(ns: Namespace): unknown {
    const vendors = new Map<string, Map<string, PriceSpec[]>>();
    for (const price of ns.prices) {
      const vendor = price.vendor ?? "aws";
      const region = price.region ?? "us-east-1";
      const regions = vendors.get(vendor) ?? new Map<string, PriceSpec[]>();
      vendors.set(vendor, regions);
      regions.set(region, [...(regions.get(region) ?? []), price]);
    }
    return {
      vendors: [...vendors].map(([vendor, regions]) => ({
        name: vendor,
        status: "available",
        regions: [...regions].map(([region, computes]) => ({
          name: region,
          label: region,
          status: "available",
          computes: computes.map((c) => {
            const accelerators = Number(c.instanceSize.replace(/^x/, "")) || 1;
            const accelerator = c.accelerator ?? acceleratorOf(c.instanceType);
            return {
              id: `${vendor}-${region}-${c.instanceType}-${c.instanceSize}`,
              accelerator,
              numAccelerators: accelerators,
              memoryGb: accelerator === "cpu" ? 2 * accelerators : 30 * accelerators,
              gpuMemoryGb: accelerator === "gpu" ? 24 * accelerators : null,
              instanceType: c.instanceType,
              instanceSize: c.instanceSize,
              architecture: c.instanceType,
              status: "available",
              pricePerHour: c.pricePerHour,
              quota: { maxAccelerators: 64, usedAccelerators: 0 },
            };
          }),
        })),
      })),
    };
  }

  private build(ns: Namespace, spec: EndpointSpec, now: number): Stored {
    const vendor = spec.vendor ?? "aws";
    const region = spec.region ?? "us-east-1";
    const state = spec.state ?? (spec.replicas > 0 ? "running" : "scaledToZero");
    if (typeof spec.name !== "string" || typeof spec.instanceType !== "string" || typeof spec.instanceSize !== "string") {
      throw new EmulatorError(400, "an endpoint spec needs name, instanceType and instanceSize");
    }
    if (!isCount(spec.minReplica) || !isCount(spec.maxReplica) || !isCount(spec.replicas) || spec.minReplica > spec.maxReplica) {
      throw new EmulatorError(400, `endpoint ${spec.name}: replicas must be integers with minReplica <= maxReplica`);
    }
    const raw: RawEndpoint = {
      name: spec.name,
      type: "authenticated",
      accountId: null,
      provider: { vendor, region },
      compute: {
        id: `${vendor}-${region}-${spec.instanceType}-${spec.instanceSize}`,
        accelerator: spec.accelerator ?? acceleratorOf(spec.instanceType),
        instanceType: spec.instanceType,
        instanceSize: spec.instanceSize,
        scaling: {
          minReplica: spec.minReplica,
          maxReplica: spec.maxReplica,
          ...(spec.scaleToZeroTimeout === undefined ? {} : { scaleToZeroTimeout: spec.scaleToZeroTimeout }),
          measure: { pendingRequests: 1.5 },
        },
      },
      model: {
        repository: "meta-llama/Llama-3.1-8B-Instruct",
        revision: "0e9e39f249a16976918f6564b8830bc894c89659",
        task: "text-generation",
        framework: "pytorch",
        image: { vLLM: { url: "vllm/vllm-openai:v0.10.0", port: 8000, healthRoute: "/health" } },
        env: {},
        secrets: {},
      },
      healthRoute: "/health",
      tags: spec.tags ?? [],
      experimentalFeatures: {},
      notifications: {},
      status: {
        createdAt: iso(now),
        createdBy: { ...HUMAN_USER },
        updatedAt: iso(now),
        updatedBy: { ...HUMAN_USER },
        private: null,
        state,
        message: MESSAGES[state],
        url: `https://${spec.name}.${region}.${vendor}.endpoints.huggingface.cloud`,
        readyReplica: 0,
        targetReplica: 0,
      },
    };
    if (!priceOf(ns, raw)) throw new EmulatorError(400, `endpoint ${spec.name}: no price for ${raw.compute.id}; pass it in prices`);
    if (spec.startupMs !== undefined && !(Number.isFinite(spec.startupMs) && spec.startupMs >= 0)) {
      throw new EmulatorError(400, `endpoint ${spec.name}: startupMs must be a non-negative number`);
    }
    const stored: Stored = {
      raw,
      demand: spec.replicas,
      billedUntil: now,
      replicaMs: 0,
      runs: [],
      closedMicro: 0,
      traffic: checkTraffic({ ...NO_TRAFFIC, ...spec.traffic }),
      replicas: [],
      replicaSerial: 0,
      startupMs: spec.startupMs,
    };
    if (AWAKE.has(state)) {
      this.rescale(ns, stored);
      // A fleet described as running is already up; only an initializing one still waits for startupMs.
      if (state === "initializing") stored.readyAt = now + startupOf(ns, stored);
      else {
        raw.status.readyReplica = raw.status.targetReplica;
        stored.readyAt = undefined;
      }
    } else if (state !== "paused" && state !== "scaledToZero") raw.status.targetReplica = spec.replicas;
    return stored;
  }

  /** Replicas of an awake endpoint follow demand within [max(min, 1), max]; extra ones become ready after startupMs. */
  private rescale(ns: Namespace, stored: Stored): void {
    const { raw } = stored;
    if (!AWAKE.has(raw.status.state)) return;
    const { minReplica, maxReplica } = raw.compute.scaling;
    this.accrue(ns, stored, this.now(ns));
    const target = Math.min(Math.max(stored.demand, minReplica, 1), maxReplica);
    raw.status.targetReplica = target;
    if (target <= raw.status.readyReplica || startupOf(ns, stored) === 0) {
      if (stored.readyAt === undefined) raw.status.readyReplica = target;
      else raw.status.readyReplica = Math.min(raw.status.readyReplica, target);
    } else {
      stored.readyAt ??= this.now(ns) + startupOf(ns, stored);
    }
    if (stored.demand === 0) stored.idleSince ??= this.now(ns);
    else stored.idleSince = undefined;
  }

  private wake(ns: Namespace, stored: Stored): void {
    this.accrue(ns, stored, this.now(ns));
    stored.idleSince = undefined;
    if (startupOf(ns, stored) > 0) {
      setState(stored.raw, "initializing");
      stored.raw.status.readyReplica = 0;
      stored.readyAt = this.now(ns) + startupOf(ns, stored);
    } else {
      setState(stored.raw, "running");
    }
    this.rescale(ns, stored);
  }

  private idleDeadline(stored: Stored): number | undefined {
    const { raw } = stored;
    const timeout = raw.compute.scaling.scaleToZeroTimeout;
    if (raw.status.state !== "running" || stored.idleSince === undefined || stored.demand !== 0) return undefined;
    if (raw.compute.scaling.minReplica !== 0 || !timeout) return undefined;
    return stored.idleSince + timeout * 60_000;
  }

  /**
   * Bills target replicas at the catalog price for the time since the last accrual, if the state is
   * billable. The state held since the last accrual (every change settles first), so replicas that
   * appeared started then and replicas that went away stopped then. HF: "charged for the compute
   * resources used while ... Endpoints are initializing and in a running state ... While the prices are
   * shown by the hour, the actual cost is billed per minute" (hf-endpoints-documentation,
   * docs/source/support/pricing.md). Each replica's run is billed in whole minutes, a started minute
   * counted: the stricter reading of "per minute" (docs/metering.md says how far it moves the bill).
   */
  private accrue(ns: Namespace, stored: Stored, until: number): void {
    const elapsed = until - stored.billedUntil;
    if (elapsed <= 0) return;
    const { raw } = stored;
    // Hand-patched fields may hold anything; an unreadable count bills nothing rather than NaN.
    const replicas = AWAKE.has(raw.status.state) && Number.isFinite(raw.status.targetReplica) ? Math.max(0, raw.status.targetReplica) : 0;
    const microPerHour = (priceOf(ns, raw)?.pricePerHour ?? 0) * 1e6;
    while (stored.runs.length < replicas) stored.runs.push({ start: stored.billedUntil, microPerHour });
    while (stored.runs.length > replicas) {
      const run = stored.runs.pop() as { start: number; microPerHour: number };
      stored.closedMicro += minuteCost(stored.billedUntil - run.start, run.microPerHour);
      this.runLog?.push({ namespace: ns.name, name: raw.name, start: run.start, end: stored.billedUntil, replicasAfter: replicas });
    }
    stored.billedUntil = until;
    this.serve(stored, elapsed);
    stored.replicaMs += replicas * elapsed;
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.now ?? Date.now;
  const token = options.token ?? DEFAULT_TOKEN;
  const fleet = new Fleet(clock, options.startupMs ?? 0, options.recordRuns ? [] : undefined);
  const pending = new Set<ReturnType<typeof setTimeout>>();
  let requestCounter = 0;
  /** the namespace GET /api/settings/billing/usage answers for (the token's own user account) */
  let userNamespace: string | undefined;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        resolve();
      }, ms);
      pending.add(timer);
    });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof EmulatorError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      send(res, status, { error: message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const text = await readBody(req);
    res.setHeader("x-request-id", `emu-${++requestCounter}`);
    if (segments[0] === "_emulator") {
      const reply = admin(req.method ?? "GET", segments.slice(1), text);
      return send(res, reply.status, reply.payload);
    }
    if (segments[0] === "api") {
      const hub = hubNamespace(segments);
      if (hub === undefined) return send(res, 404, { error: "Not found" });
      return api(req, url, segments, text, res, hub);
    }
    if (segments[0] !== "v2" || segments[2] === undefined) return send(res, 404, { error: "Not found" });
    return api(req, url, segments, text, res, segments[2]);
  }

  /** The namespace a Hub billing route is about: the organisation named, or the one marked as the token's user. */
  function hubNamespace(segments: string[]): string | undefined {
    const [, scope, name, ...rest] = segments;
    if (scope === "organizations" && rest.join("/") === "billing/usage") return name;
    if (scope === "settings" && [name, ...rest].join("/") === "billing/usage") return userNamespace;
    return undefined;
  }

  async function api(req: IncomingMessage, url: URL, segments: string[], text: string, res: ServerResponse, nsName: string): Promise<void> {
    const method = req.method ?? "GET";
    const ns = fleet.ns(nsName);
    const body = parseJson(text);
    const call: RecordedCall = {
      at: fleet.now(ns),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: body.ok ? body.value : text || null,
      mutating: method !== "GET",
      status: 0,
      fault: false,
    };
    ns.calls.push(call);
    const taken = takeFault(ns, method, url.pathname);
    const late = taken?.afterApply ? taken : undefined;
    const fault = late ? undefined : taken;
    const answer = async (status: number, payload: unknown, headers?: Record<string, string>) => {
      if (late && status < 300) {
        if (late.delayMs) await delay(late.delayMs);
        if (late.status !== undefined) {
          call.fault = true;
          call.status = late.status;
          return send(res, late.status, late.body ?? { error: `emulated fault ${late.status}` }, late.headers);
        }
      }
      call.status = status;
      send(res, status, payload, headers);
    };

    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault && (fault.status !== undefined || fault.malformed)) {
      call.fault = true;
      call.status = fault.malformed ? 200 : (fault.status ?? 200);
      if (fault.malformed) return sendRaw(res, 200, '{"items": [{"name": ', fault.headers);
      return answer(call.status, fault.body ?? { error: `emulated fault ${call.status}` }, fault.headers);
    }

    if (req.headers.authorization !== `Bearer ${token}`) {
      return answer(401, { error: "A valid user or organization token, sent as a Bearer, is required" });
    }
    try {
      fleet.settle(ns);
      if (segments[0] === "api") {
        if (method !== "GET") return answer(405, { error: "Method not allowed" });
        return answer(200, fleet.billingUsage(ns, segments[1] === "settings" ? "user" : "org"));
      }
      const [, resource, , name, action] = segments;
      if (resource === "provider" && method === "GET" && name === undefined) return answer(200, fleet.catalog(ns));
      if (resource !== "endpoint") return answer(404, { error: "Not found" });
      if (name === undefined) {
        if (method === "GET") return answer(200, fleet.list(ns, call.query));
        return answer(405, { error: "Method not allowed" });
      }
      const stored = fleet.get(ns, name);
      if (method === "GET" && action === undefined) return answer(200, stored.raw);
      if (method === "GET" && action === "open-metrics") {
        call.status = 200;
        return sendRaw(res, 200, fleet.openMetrics(stored), {
          "content-type": "application/openmetrics-text; version=1.0.0; charset=utf-8",
        });
      }
      if (method === "PUT" && action === undefined) {
        if (!body.ok) throw new EmulatorError(400, "Incorrect input");
        fleet.update(ns, stored, body.value);
      } else if (method === "POST" && action === "pause") fleet.pause(ns, stored);
      else if (method === "POST" && action === "resume") fleet.resume(ns, stored);
      else if (method === "POST" && action === "scale-to-zero") fleet.scaleToZero(ns, stored);
      else return answer(404, { error: "Not found" });
      return answer(200, stored.raw);
    } catch (error) {
      if (error instanceof EmulatorError) return answer(error.status, { error: error.message });
      throw error;
    }
  }

  function admin(method: string, segments: string[], text: string): { status: number; payload: unknown } {
    const [namespace, resource, name, action] = segments;
    if (namespace === undefined) return { status: 404, payload: { error: "Not found" } };
    const body = parseJson(text);
    if (method === "POST" && text && !body.ok) throw new EmulatorError(400, "body is not JSON");
    const input = body.ok && isObject(body.value) ? body.value : {};
    const ok = (payload: unknown) => ({ status: 200, payload });
    switch (`${method} ${resource ?? ""}${action ? `/${action}` : ""}`) {
      case "POST reset":
        return ok({ endpoints: control.reset(namespace, input as unknown as NamespaceSetup) });
      case "POST endpoints/replicas":
        return ok(control.setReplicas(namespace, name ?? "", Number(input.replicas)));
      case "POST endpoints":
        return ok(control.patchEndpoint(namespace, name ?? "", input));
      case "POST endpoints/traffic":
        return ok({ traffic: control.setTraffic(namespace, name ?? "", input as Partial<Traffic>) });
      case "POST faults":
        if (input.clear === true) fleet.ns(namespace).faults.length = 0;
        control.addFaults(namespace, Array.isArray(input.faults) ? (input.faults as Fault[]) : []);
        return ok({ faults: fleet.ns(namespace).faults });
      case "POST clock":
        return ok({ now: control.advance(namespace, Number(input.advanceMs ?? 0)) });
      case "GET calls":
        return ok({ calls: control.calls(namespace) });
      case "GET cost":
        return ok(control.cost(namespace));
      case "POST billing":
        return ok(control.setBilling(namespace, input));
      default:
        return { status: 404, payload: { error: `no admin route ${method} /_emulator/${segments.join("/")}` } };
    }
  }

  const control = {
    reset: (namespace: string, setup: NamespaceSetup) => {
      if (!Array.isArray(setup.endpoints)) throw new EmulatorError(400, "reset needs {endpoints: [...]}");
      return fleet.reset(namespace, setup);
    },
    setReplicas: (namespace: string, name: string, replicas: number) => {
      const ns = fleet.ns(namespace);
      fleet.settle(ns);
      const stored = fleet.get(ns, name);
      fleet.setDemand(ns, stored, replicas);
      return stored.raw;
    },
    setTraffic: (namespace: string, name: string, traffic: Partial<Traffic>) => {
      const ns = fleet.ns(namespace);
      fleet.settle(ns);
      const stored = fleet.get(ns, name);
      fleet.setTraffic(stored, traffic);
      return stored.traffic;
    },
    patchEndpoint: (namespace: string, name: string, patch: Record<string, unknown>) => {
      const ns = fleet.ns(namespace);
      fleet.settle(ns);
      const stored = fleet.get(ns, name);
      fleet.patch(ns, stored, patch);
      return stored.raw;
    },
    addFaults: (namespace: string, faults: Fault[]) => {
      for (const fault of faults) {
        if (typeof fault.path !== "string") throw new EmulatorError(400, "a fault needs a path substring");
      }
      fleet.ns(namespace).faults.push(...faults.map((f) => ({ ...f, times: f.times ?? 1 })));
    },
    setBilling: (namespace: string, input: Record<string, unknown>) => {
      const at = (v: unknown) => {
        if (v === undefined) return undefined;
        const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
        if (Number.isNaN(ms)) throw new EmulatorError(400, "billing: periodStart and periodEnd are ISO date-times");
        return ms;
      };
      const ns = fleet.ns(namespace);
      ns.billing = { start: at(input.periodStart), end: at(input.periodEnd) };
      if (input.user === true) userNamespace = namespace;
      return { periodStart: ns.billing.start ?? null, periodEnd: ns.billing.end ?? null, user: userNamespace === namespace };
    },
    calls: (namespace: string) => [...fleet.ns(namespace).calls],
    cost: (namespace: string) => {
      const ns = fleet.ns(namespace);
      fleet.settle(ns);
      return fleet.cost(ns);
    },
    closedRuns: () => fleet.runLog ?? [],
    endpoint: (namespace: string, name: string) => {
      const ns = fleet.ns(namespace);
      fleet.settle(ns);
      return ns.endpoints.get(name)?.raw;
    },
    advance: (namespace: string, ms: number) => {
      if (!Number.isFinite(ms) || ms < 0) throw new EmulatorError(400, "advanceMs must be a non-negative number");
      const ns = fleet.ns(namespace);
      // Settle in steps so readiness and idle deadlines that fall inside the jump are billed at their own moment.
      fleet.settle(ns);
      ns.clockOffset += ms;
      fleet.settle(ns);
      return fleet.now(ns);
    },
  };

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    token,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
    ...control,
  };
}

function takeFault(ns: Namespace, method: string, path: string): Fault | undefined {
  const index = ns.faults.findIndex((f) => (f.method === undefined || f.method.toUpperCase() === method) && path.includes(f.path));
  if (index < 0) return undefined;
  const fault = ns.faults[index] as Fault;
  fault.times = (fault.times ?? 1) - 1;
  if (fault.times <= 0) ns.faults.splice(index, 1);
  return fault;
}

function checkTraffic(t: Traffic): Traffic {
  const nonNeg = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
  const ok =
    nonNeg(t.rps) &&
    nonNeg(t.errorRate) &&
    t.errorRate <= 1 &&
    (t.p95Ms === null || nonNeg(t.p95Ms)) &&
    (t.pending === null || nonNeg(t.pending)) &&
    (t.usagePct === null || nonNeg(t.usagePct));
  if (!ok) throw new EmulatorError(400, "traffic: rps, p95Ms, pending, usagePct are non-negative numbers (or null); errorRate in [0, 1]");
  return { rps: t.rps, p95Ms: t.p95Ms, errorRate: t.errorRate, pending: t.pending, usagePct: t.usagePct };
}
const startupOf = (ns: Namespace, stored: Stored): number => stored.startupMs ?? ns.startupMs;

/** A replica's run of `ms` billed per minute, a started minute counted. */
const minuteCost = (ms: number, microPerHour: number): number => (Math.ceil(ms / 60_000) * microPerHour) / 60;

function setState(raw: RawEndpoint, state: EndpointState): void {
  raw.status.state = state;
  raw.status.message = MESSAGES[state];
}

function toZero(stored: Stored, state: "paused" | "scaledToZero"): void {
  setState(stored.raw, state);
  stored.raw.status.readyReplica = 0;
  stored.raw.status.targetReplica = 0;
  stored.readyAt = undefined;
  stored.idleSince = undefined;
  if (state === "paused") stored.demand = 0;
}

function stamp(raw: RawEndpoint, now: number, user: { id: string; name: string }): void {
  raw.status.updatedAt = iso(now);
  raw.status.updatedBy = { ...user };
}

/** A stable 24-hex id (the Hub's object id format, `^[0-9a-f]{24}$` in the spec) for `seed`. */
const hexId = (seed: string): string => createHash("sha256").update(seed).digest("hex").slice(0, 24);

function priceOf(ns: Namespace, raw: RawEndpoint): PriceSpec | undefined {
  return ns.prices.find(
    (p) =>
      (p.vendor ?? "aws") === raw.provider.vendor &&
      (p.region ?? "us-east-1") === raw.provider.region &&
      p.instanceType === raw.compute.instanceType &&
      p.instanceSize === raw.compute.instanceSize,
  );
}

function computeId(raw: RawEndpoint): string {
  return `${raw.provider.vendor}-${raw.provider.region}-${raw.compute.instanceType}-${raw.compute.instanceSize}`;
}

function mergePrices(base: PriceSpec[], overrides: PriceSpec[]): PriceSpec[] {
  const key = (p: PriceSpec) => `${p.vendor ?? "aws"}|${p.region ?? "us-east-1"}|${p.instanceType}|${p.instanceSize}`;
  const merged = new Map(base.map((p) => [key(p), p]));
  for (const p of overrides) merged.set(key(p), p);
  return [...merged.values()];
}

function acceleratorOf(instanceType: string): string {
  if (instanceType.startsWith("nvidia-")) return "gpu";
  if (instanceType.startsWith("inf")) return "neuron";
  return "cpu";
}

/** Opaque to clients, as HF's cursors are; an offset underneath. */
function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

function decodeCursor(cursor: string): number {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString());
  if (!match) throw new EmulatorError(400, "Invalid cursor");
  return Number(match[1]);
}

function deepMerge(target: unknown, patch: unknown): unknown {
  if (!isObject(target) || !isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(target);
  for (const [key, value] of Object.entries(patch)) out[key] = deepMerge(out[key], value);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!text) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function send(res: ServerResponse, status: number, payload: unknown, headers?: Record<string, string>): void {
  sendRaw(res, status, JSON.stringify(payload), headers);
}

function sendRaw(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  // The client may have given up (a timeout test); writing to its closed socket would only raise noise.
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}
