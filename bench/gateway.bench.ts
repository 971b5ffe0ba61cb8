// Gateway benchmark: the latency the gateway adds over a bare proxy Worker, and over calling the
// upstream directly. Everything on loopback: a local upstream (the test fixture's JSON echo and SSE
// streams), and ONE workerd process (Miniflare, the runtime under `wrangler dev`) serving three
// Workers, each on its own socket: our Worker as `wrangler deploy` bundles it (a policy that declares
// two services on the upstream, one token-priced), and two copies of a 5-line Worker that only
// `fetch`es the upstream (bare A, bare B). Same runtime, same compatibility date and flags, same
// load. A bounded node:http client (keep-alive) sends the series interleaved: each round sends one
// request of every series, in a fresh random order, so drift in the machine's load falls on all alike.
//   direct              client -> upstream
//   worker_only         client -> our Worker answering itself (an unknown service's 404)
//   bare_proxy          client -> bare A -> upstream (JSON)
//   bare_proxy_b        client -> bare B -> upstream (JSON): with bare_proxy_b_sse, B carries what A does
//   gateway             client -> our Worker -> upstream (JSON)
//   bare_proxy_sse      client -> bare A -> upstream (16 SSE chunks and a final OpenAI usage chunk)
//   bare_proxy_b_sse    client -> bare B -> upstream (the same): the A/A control
//   gateway_sse         client -> our Worker -> a target without prices (SSE): bytes counted, no metering
//   gateway_metered_sse client -> our Worker -> token-priced target (SSE), usage metering on
// gateway_metered_sse - bare_proxy_sse is the gateway's own cost with metering (target: < 1 ms at p50);
// bare B - bare A is what the method reports for two identical Workers (the A/A control: should be ~0).
// Each difference of p50s comes with a 95 % bootstrap interval over rounds (a round keeps its requests
// together, so the interval carries the load they shared). Throughput runs one series at a time; the
// workerd process's CPU over it, per request, is that series' cost (read from /proc).
// Default export: run() returning a JSON-able result. `npm run bench:gateway` runs it alone and
// merges the result into bench/results.json under "gateway".
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { Miniflare } from "miniflare";
import { wranglerEnv } from "../scripts/wrangler-dev.ts";
import { seeded as random } from "../src/sim/scenarios/shapes.ts";
import { profilerSession } from "../src/sim/tick-host.ts";
import { startUpstream } from "../test/fixtures/upstream.ts";
import type { SummaryRow } from "./run.ts";

const CALLER_KEY = "bench-caller-key";
const BODY = JSON.stringify({
  model: "meta-llama/Llama-3.1-8B-Instruct",
  messages: [{ role: "user", content: "Summarise the budget guardrail in one sentence." }],
  max_tokens: 32,
});

export interface GatewayBenchOptions {
  /** rounds of the latency run: one sequential request of every series per round */
  latencyRequests?: number;
  /** requests per series for throughput, at `concurrency` */
  throughputRequests?: number;
  concurrency?: number;
  /** rounds sent before the measured ones */
  warmup?: number;
  /** the shuffle's seed, so a run can be repeated in the same order */
  seed?: number;
  /**
   * After the runs, profile our Worker's isolate (V8's CPU profiler) over this many metered streamed
   * requests and print its JavaScript CPU per request and the functions it ran; the Worker is then
   * built unminified so they have names. 0: no profile (the default).
   */
  profile?: number;
  /** a git ref (e.g. main): its Worker runs in the same workerd too, so a change is measured against it in one run */
  baseline?: string;
}

interface Series {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_rps: number;
  /** CPU ms the workerd process used per request during this series' throughput run (null: direct, or no /proc) */
  workerd_cpu_ms_per_request: number | null;
}

/** A difference of two series' p50s, with its 95 % bootstrap interval over rounds. */
export interface Difference {
  p50: number;
  ci95: [number, number];
  p99: number;
}

export interface GatewayBenchResult {
  what: string;
  method: string;
  machine: { cpu: string; cores: number; node: string; os: string; wrangler: string };
  requests: { latency_rounds: number; warmup_rounds: number; throughput_per_series: number; concurrency: number; body_bytes: number };
  direct: Series;
  worker_only: Series;
  bare_proxy: Series;
  bare_proxy_b: Series;
  gateway: Series;
  bare_proxy_sse: Series;
  bare_proxy_b_sse: Series;
  gateway_sse: Series;
  gateway_metered_sse: Series;
  added_ms: Difference;
  added_over_bare_proxy_ms: Difference;
  /** the A/A control: bare B over bare A, the same Worker twice, on JSON and on the stream */
  bare_b_over_bare_a_ms: Difference;
  bare_b_over_bare_a_sse_ms: Difference;
  stream_over_bare_proxy_ms: Difference;
  metered_stream_over_bare_proxy_ms: Difference;
  /** with a baseline ref: that ref's Worker in the same workerd, and this Worker over it */
  baseline?: { ref: string; gateway: Series; gateway_metered_sse: Series };
  over_baseline_ms?: { gateway: Difference; gateway_metered_sse: Difference };
  /** workerd CPU per request: metered stream through the gateway minus the same stream through the bare proxy */
  metered_stream_over_bare_proxy_cpu_ms: number | null;
  /** metered streamed answers sent before the last flush, and the `priced` counter D1 holds after it */
  metered_answers: { sent: number; priced_in_d1: number };
  /** statements that wrote D1 during the latency run, the requests our Worker served, and how long it took */
  d1_writes: { statements: number; worker_requests: number; seconds: number };
  load_average: { start: number; end: number };
  target_metered_over_bare_p50_ms: number;
  /** met: the whole 95 % interval of the metered stream's p50 over the bare proxy is under the target */
  met_metered_target: boolean;
  target_p50_added_ms: number;
  met_target: boolean;
  at: string;
  /** rows of `npm run bench`'s combined table */
  summary: SummaryRow[];
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round = (n: number) => Math.round(n * 1000) / 1000;
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

export function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * p50(b) - p50(a) over the same rounds, and its 95 % interval from 2,000 bootstrap resamples of
 * whole rounds (a resampled round brings both of its requests, as they shared the machine's load).
 */
export function difference(a: number[], b: number[], rand: () => number): Difference {
  const n = Math.min(a.length, b.length);
  const stats: number[] = [];
  const ra = new Array<number>(n);
  const rb = new Array<number>(n);
  for (let k = 0; k < 2000; k++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      ra[i] = a[j] as number;
      rb[i] = b[j] as number;
    }
    stats.push(median(rb) - median(ra));
  }
  stats.sort((x, y) => x - y);
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return {
    p50: round(quantile(sb, 0.5) - quantile(sa, 0.5)),
    ci95: [round(quantile(stats, 0.025)), round(quantile(stats, 0.975))],
    p99: round(quantile(sb, 0.99) - quantile(sa, 0.99)),
  };
}

export interface Target {
  port: number;
  path: string;
  headers: Record<string, string>;
  expect: number;
}

/** One request, body read to the end; resolves with the milliseconds it took. */
export function once(agent: Agent, t: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request(
      {
        agent,
        host: "127.0.0.1",
        port: t.port,
        path: t.path,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(BODY), ...t.headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode !== t.expect) reject(new Error(`${t.path}: status ${res.statusCode}, expected ${t.expect}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on("error", reject);
    req.end(BODY);
  });
}

async function throughput(agent: Agent, t: Target, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await once(agent, t);
      }
    }),
  );
  return total / (Number(process.hrtime.bigint() - started) / 1e9);
}

const BARE_PROXY = `export default {
  async fetch(req, env) {
    const u = new URL(req.url);
    return fetch(env.UPSTREAM + u.pathname + u.search, { method: req.method, headers: req.headers, body: req.body });
  },
};
`;

/**
 * CPU milliseconds (user + system) the workerd processes this process started used so far, from
 * /proc (Linux). Less sensitive to a busy machine than latency: a request's own work is counted,
 * not the time it waited for a core. Null where /proc or pgrep is missing.
 */
function workerdCpuMs(): Map<string, number> | null {
  try {
    const pids = execFileSync("pgrep", ["-P", String(process.pid), "workerd"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean);
    const out = new Map<string, number>();
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, clock ticks of 10 ms
    }
    return out.size > 0 ? out : null;
  } catch {
    return null;
  }
}

/** CPU ms used between two samples, per process (a process that ended in between is left out). */
function cpuBetween(before: Map<string, number> | null, after: Map<string, number> | null): number | null {
  if (before === null || after === null) return null;
  let ms = 0;
  for (const [pid, t] of after) ms += t - (before.get(pid) ?? 0);
  return ms;
}

/** The compatibility date and flags the Worker deploys with; the bare proxies get the same. */
export function runtimeOf(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync("wrangler.toml", "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

/** Our Worker as `wrangler deploy` would upload it (bundled, minified, guardrail.yaml as a text module). */
function buildWorker(outdir: string, minify: boolean, cwd = "."): Array<{ type: "ESModule" | "Text"; path: string; contents: string }> {
  const args = ["wrangler", "deploy", "--dry-run", "--outdir", path.resolve(outdir), ...(minify ? [] : ["--no-minify"])];
  const res = spawnSync("npx", args, { cwd, env: wranglerEnv, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${res.stdout}\n${res.stderr}`);
  const files = readdirSync(outdir).filter((f) => f.endsWith(".js") || f.endsWith(".yaml"));
  // The entry module first: Miniflare runs the first module.
  files.sort((a, b) => Number(b === "worker.js") - Number(a === "worker.js"));
  return files.map((f) => ({
    type: f.endsWith(".js") ? "ESModule" : "Text",
    path: path.join(outdir, f),
    contents: readFileSync(path.join(outdir, f), "utf8"),
  }));
}

interface Workers {
  ours: number;
  bareA: number;
  bareB: number;
  /** the baseline ref's Worker, when asked for */
  baseline: number | null;
  /** statements that wrote gateway counters so far: the gateway's D1 writes */
  d1Writes(): Promise<number>;
  /** the `priced` counters in D1: metered answers flushed so far */
  priced(): Promise<number>;
  /** the inspector (when profiling) */
  inspector(): Promise<URL>;
  close(): Promise<void>;
}

/**
 * Counts the statements that write gateway_counters: every row a statement inserts or updates is
 * logged with the statement's time ('now' is fixed within one statement in SQLite), so the distinct
 * times are the writes (a flush is one statement; flushes are seconds apart).
 */
const COUNT_WRITES = [
  "CREATE TABLE bench_writes (at TEXT NOT NULL)",
  "CREATE TRIGGER bench_insert AFTER INSERT ON gateway_counters BEGIN INSERT INTO bench_writes VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now')); END",
  "CREATE TRIGGER bench_update AFTER UPDATE ON gateway_counters BEGIN INSERT INTO bench_writes VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now')); END",
];

/** The source tree of git ref `ref` in `dir` (this checkout's node_modules linked in), to build an earlier Worker. */
function checkout(ref: string, dir: string): string {
  const src = path.join(dir, "baseline-src");
  mkdirSync(src);
  execFileSync("sh", ["-c", `git archive "$1" | tar -x -C "$2"`, "sh", ref, src]);
  symlinkSync(path.resolve("node_modules"), path.join(src, "node_modules"));
  return src;
}

/**
 * One workerd: our Worker and two bare proxies (and, given a git ref, that ref's Worker with its own
 * D1), each on its own loopback socket; D1 migrated.
 */
async function startWorkers(
  dir: string,
  upstream: string,
  vars: Record<string, string>,
  o: { profile: boolean; baseline: string | null },
): Promise<Workers> {
  const runtime = runtimeOf();
  const direct = [{ host: "127.0.0.1", port: 0 }];
  const bare = (name: string) => ({
    name,
    modules: true,
    script: BARE_PROXY,
    ...runtime,
    bindings: { UPSTREAM: upstream },
    unsafeDirectSockets: direct,
  });
  const guardrail = (name: string, cwd: string) => {
    const out = path.join(dir, `dist-${name}`);
    return {
      name,
      modules: buildWorker(out, !o.profile, cwd),
      modulesRoot: out,
      ...runtime,
      d1Databases: { DB: `${name}-db` },
      bindings: vars,
      unsafeDirectSockets: direct,
    };
  };
  const mf = new Miniflare({
    ...(o.profile ? { inspectorPort: 0 } : {}),
    workers: [
      guardrail("guardrail", "."),
      bare("bare-a"),
      bare("bare-b"),
      ...(o.baseline === null ? [] : [guardrail("baseline", checkout(o.baseline, dir))]),
    ],
  });
  const port = async (name: string) => Number((await mf.unsafeGetDirectURL(name)).port);
  const migrations = await readD1Migrations("infra/migrations");
  const migrate = async (name: string) => {
    const db = await mf.getD1Database("DB", name);
    for (const m of migrations) await db.batch(m.queries.map((q) => db.prepare(q)));
    return db;
  };
  const db = await migrate("guardrail");
  await db.batch(COUNT_WRITES.map((q) => db.prepare(q)));
  if (o.baseline !== null) await migrate("baseline");
  return {
    ours: await port("guardrail"),
    bareA: await port("bare-a"),
    bareB: await port("bare-b"),
    baseline: o.baseline === null ? null : await port("baseline"),
    d1Writes: async () => (await db.prepare("SELECT COUNT(DISTINCT at) AS n FROM bench_writes").first<{ n: number }>())?.n ?? 0,
    priced: async () =>
      (await db.prepare("SELECT COALESCE(SUM(value), 0) AS n FROM gateway_counters WHERE name = 'priced'").first<{ n: number }>())?.n ?? 0,
    inspector: () => mf.getInspectorURL(),
    close: () => mf.dispose(),
  };
}

type SeriesName =
  | "direct"
  | "worker_only"
  | "bare_proxy"
  | "gateway"
  | "bare_proxy_sse"
  | "bare_proxy_b_sse"
  | "bare_proxy_b"
  | "gateway_sse"
  | "gateway_metered_sse"
  | "baseline_worker_only"
  | "baseline"
  | "baseline_sse"
  | "baseline_metered_sse";

/** The upstream fixture's directive for a streamed OpenAI-compatible answer ending with its usage. */
const SSE = { "x-upstream-bench": "sse=16,usage=120:48" };

export default async function run(o: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const rounds = o.latencyRequests ?? 2000;
  const throughputRequests = o.throughputRequests ?? 3000;
  const concurrency = o.concurrency ?? 8;
  const warmup = o.warmup ?? 300;
  const rand = random(o.seed ?? 14);
  const profileRequests = o.profile ?? 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), "guardrail-bench-"));
  const loadStart = os.loadavg()[0] ?? 0;
  const upstream = await startUpstream({ name: "bench", record: false });
  const upstreamPort = Number(new URL(upstream.url).port);
  const policy = {
    mode: "dry_run",
    budget: { daily_usd: 100 },
    hf: { namespaces: ["bench"] },
    services: {
      bench: { primary: { target: upstream.url }, fallback: { target: upstream.url }, callers: ["BENCH_CALLER_KEY"] },
      metered: {
        primary: { target: upstream.url, pricing: { input_usd_per_million: 0.5, output_usd_per_million: 1.5 } },
        fallback: { target: upstream.url },
        callers: ["BENCH_CALLER_KEY"],
      },
    },
  };
  let workers: Workers | undefined;
  try {
    workers = await startWorkers(
      dir,
      upstream.url,
      {
        BENCH_CALLER_KEY: CALLER_KEY,
        GUARDRAIL_POLICY: JSON.stringify(policy),
        HF_TOKEN: "unused",
        HF_API_BASE: upstream.url,
        HF_HUB_BASE: upstream.url,
      },
      { profile: profileRequests > 0, baseline: o.baseline ?? null },
    );
    const ours = workers.ours;
    const gatewayTo = (service: string, headers: Record<string, string> = {}, port = ours): Target => ({
      port,
      path: `/v1/gateway/${service}/v1/chat/completions`,
      headers: { authorization: `Bearer ${CALLER_KEY}`, ...headers },
      expect: 200,
    });
    const baselinePort = workers.baseline;
    // The baseline carries the same four series as our Worker: two copies of a Worker differ by a few
    // hundredths of a millisecond when one of them serves more of the traffic.
    const baselines: Partial<Record<SeriesName, Target>> =
      baselinePort === null
        ? {}
        : {
            baseline_worker_only: { port: baselinePort, path: "/v1/gateway/none/v1/chat/completions", headers: {}, expect: 404 },
            baseline: gatewayTo("bench", {}, baselinePort),
            baseline_sse: gatewayTo("bench", SSE, baselinePort),
            baseline_metered_sse: gatewayTo("metered", SSE, baselinePort),
          };
    const targets: Record<Exclude<SeriesName, `baseline${string}`>, Target> & Partial<Record<SeriesName, Target>> = {
      direct: { port: upstreamPort, path: "/v1/chat/completions", headers: {}, expect: 200 },
      worker_only: { port: ours, path: "/v1/gateway/none/v1/chat/completions", headers: {}, expect: 404 },
      bare_proxy: { port: workers.bareA, path: "/v1/chat/completions", headers: {}, expect: 200 },
      bare_proxy_b: { port: workers.bareB, path: "/v1/chat/completions", headers: {}, expect: 200 },
      gateway: gatewayTo("bench"),
      bare_proxy_sse: { port: workers.bareA, path: "/v1/chat/completions", headers: SSE, expect: 200 },
      bare_proxy_b_sse: { port: workers.bareB, path: "/v1/chat/completions", headers: SSE, expect: 200 },
      gateway_sse: gatewayTo("bench", SSE),
      gateway_metered_sse: gatewayTo("metered", SSE),
      ...baselines,
    };
    const target = (n: SeriesName): Target => targets[n] as Target;
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const names = Object.keys(targets) as SeriesName[];
    for (let i = 0; i < warmup; i++) for (const n of shuffled(names, rand)) await once(agent, target(n));

    const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<SeriesName, number[]>;
    const writesBefore = await workers.d1Writes();
    const started = Date.now();
    for (let i = 0; i < rounds; i++) {
      for (const n of shuffled(names, rand)) samples[n].push(await once(agent, target(n)));
    }
    const d1Writes = (await workers.d1Writes()) - writesBefore;
    const seconds = (Date.now() - started) / 1000;
    const rps: Partial<Record<SeriesName, number>> = {};
    const cpu: Partial<Record<SeriesName, number | null>> = {};
    for (const n of names) {
      // One series at a time: the CPU the workerd process used meanwhile is that series' cost.
      const before = workerdCpuMs();
      rps[n] = await throughput(agent, target(n), throughputRequests, concurrency);
      const used = cpuBetween(before, workerdCpuMs());
      cpu[n] = used === null || n === "direct" ? null : round(used / throughputRequests);
    }
    // Metering was on: once the flush interval (10 s) has passed, one more request flushes every answer metered so far.
    const meteredSent = warmup + rounds + throughputRequests;
    await new Promise((r) => setTimeout(r, 10_500));
    await once(agent, targets.gateway_metered_sse);
    await new Promise((r) => setTimeout(r, 500));
    const priced = await workers.priced();
    if (profileRequests > 0) await printProfile(await workers.inspector(), agent, targets.gateway_metered_sse, profileRequests);
    agent.destroy();

    const series = (n: SeriesName): Series => {
      const s = [...samples[n]].sort((a, b) => a - b);
      return {
        p50_ms: round(quantile(s, 0.5)),
        p99_ms: round(quantile(s, 0.99)),
        mean_ms: round(s.reduce((a, b) => a + b, 0) / s.length),
        throughput_rps: Math.round(rps[n] ?? 0),
        workerd_cpu_ms_per_request: cpu[n] ?? null,
      };
    };
    const over = (b: SeriesName, a: SeriesName) => difference(samples[a], samples[b], rand);
    const metered = over("gateway_metered_sse", "bare_proxy_sse");
    const meteredCpu = cpu.gateway_metered_sse;
    const bareCpu = cpu.bare_proxy_sse;
    const added = over("gateway", "direct");
    const cpus = os.cpus();
    const wranglerVersion = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")).version as string;
    const result: GatewayBenchResult = {
      what: "POST /v1/chat/completions (JSON echo, or 16 SSE chunks and a usage chunk) on loopback; latency = full response, sequential; throughput at the given concurrency",
      method:
        "one workerd (Miniflare) serving our Worker (wrangler's deploy bundle) and two identical bare proxy Workers on their own sockets; " +
        "series interleaved, each round in a random order; p50 differences with a 95 % bootstrap interval over rounds; " +
        "bare B over bare A is the A/A control",
      machine: {
        cpu: cpus[0]?.model ?? "unknown",
        cores: cpus.length,
        node: process.version,
        os: `${os.type()} ${os.release()}`,
        wrangler: wranglerVersion,
      },
      requests: {
        latency_rounds: rounds,
        warmup_rounds: warmup,
        throughput_per_series: throughputRequests,
        concurrency,
        body_bytes: Buffer.byteLength(BODY),
      },
      direct: series("direct"),
      worker_only: series("worker_only"),
      bare_proxy: series("bare_proxy"),
      bare_proxy_b: series("bare_proxy_b"),
      gateway: series("gateway"),
      bare_proxy_sse: series("bare_proxy_sse"),
      bare_proxy_b_sse: series("bare_proxy_b_sse"),
      gateway_sse: series("gateway_sse"),
      gateway_metered_sse: series("gateway_metered_sse"),
      added_ms: added,
      added_over_bare_proxy_ms: over("gateway", "bare_proxy"),
      bare_b_over_bare_a_ms: over("bare_proxy_b", "bare_proxy"),
      bare_b_over_bare_a_sse_ms: over("bare_proxy_b_sse", "bare_proxy_sse"),
      stream_over_bare_proxy_ms: over("gateway_sse", "bare_proxy_sse"),
      metered_stream_over_bare_proxy_ms: metered,
      ...(baselinePort === null
        ? {}
        : {
            baseline: { ref: o.baseline ?? "", gateway: series("baseline"), gateway_metered_sse: series("baseline_metered_sse") },
            over_baseline_ms: {
              gateway: over("gateway", "baseline"),
              gateway_metered_sse: over("gateway_metered_sse", "baseline_metered_sse"),
            },
          }),
      metered_stream_over_bare_proxy_cpu_ms: meteredCpu == null || bareCpu == null ? null : round(meteredCpu - bareCpu),
      metered_answers: { sent: meteredSent, priced_in_d1: priced },
      d1_writes: { statements: d1Writes, worker_requests: rounds * 4, seconds: Math.round(seconds) },
      load_average: { start: round(loadStart), end: round(os.loadavg()[0] ?? 0) },
      target_metered_over_bare_p50_ms: 1,
      met_metered_target: metered.ci95[1] < 1,
      target_p50_added_ms: 2,
      met_target: added.p50 < 2,
      at: new Date().toISOString(),
      summary: [],
    };
    result.summary = summaryOf(result);
    printTable(result);
    return result;
  } finally {
    await workers?.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Our Worker's JavaScript CPU per request over `n` requests to `t`, and the functions that ran longest (self time). */
async function printProfile(inspector: URL, agent: Agent, t: Target, n: number): Promise<void> {
  const profiler = await profilerSession(inspector, "guardrail");
  await profiler.start();
  for (let i = 0; i < n; i++) await once(agent, t);
  const cpu = await profiler.stop();
  profiler.close();
  console.log(
    `profile of our Worker's isolate over ${n} metered streamed requests: ${(cpu.cpuMs / n).toFixed(3)} ms of JavaScript per request`,
  );
  // Self time per function and place (many of the Worker's functions are anonymous arrows).
  type Frame = { functionName: string; url: string; lineNumber: number };
  const nodes = new Map(cpu.profile.nodes.map((node) => [node.id, node.callFrame as Frame]));
  const period = median(cpu.profile.timeDeltas) / 1000;
  const self = new Map<string, number>();
  cpu.profile.samples.forEach((id, i) => {
    const f = nodes.get(id);
    if (!f || f.functionName === "(idle)") return;
    const dt = (cpu.profile.timeDeltas[i] ?? 0) / 1000;
    const where = f.url ? ` ${path.basename(f.url)}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + (dt <= 2 * period ? dt : period));
  });
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30);
  for (const [name, ms] of top) console.log(`  ${(ms / n).toFixed(4).padStart(8)} ms  ${name}`);
}

function summaryOf(r: GatewayBenchResult): SummaryRow[] {
  const d = (x: Difference) => `${x.p50.toFixed(2)} ms (95 % interval ${x.ci95[0].toFixed(2)} to ${x.ci95[1].toFixed(2)})`;
  const load = `load ${r.load_average.start.toFixed(1)} -> ${r.load_average.end.toFixed(1)}`;
  return [
    {
      metric: `streamed answer (16 SSE chunks + usage), usage metered: gateway over a bare proxy Worker, p50 (one workerd, ${load})`,
      value: d(r.metered_stream_over_bare_proxy_ms),
      target: `< ${r.target_metered_over_bare_p50_ms} ms, the whole interval`,
      ok: r.met_metered_target,
    },
    { metric: "JSON answer: gateway over a bare proxy Worker, p50", value: d(r.added_over_bare_proxy_ms) },
    {
      metric: "JSON answer: gateway over calling the upstream directly, p50",
      value: d(r.added_ms),
      target: `< ${r.target_p50_added_ms} ms`,
      ok: r.met_target,
    },
    {
      metric: "A/A control: bare proxy B over bare proxy A, p50 (JSON; stream)",
      value: `${r.bare_b_over_bare_a_ms.p50.toFixed(3)}; ${r.bare_b_over_bare_a_sse_ms.p50.toFixed(3)} ms`,
    },
    {
      metric: "D1 writes during the latency run; metered answers priced in D1",
      value: `${r.d1_writes.statements} for ${r.d1_writes.worker_requests.toLocaleString("en-US")} requests (${r.d1_writes.seconds} s); ${r.metered_answers.priced_in_d1} of ${r.metered_answers.sent}`,
      target: "no write per request",
      ok: r.d1_writes.statements <= Math.ceil(r.d1_writes.seconds / 10) + 1,
    },
  ];
}

function printTable(r: GatewayBenchResult): void {
  const row = (name: string, s: Series) =>
    `${name.padEnd(14)}${s.p50_ms.toFixed(3).padStart(10)}${s.p99_ms.toFixed(3).padStart(10)}${s.mean_ms.toFixed(3).padStart(10)}${String(s.throughput_rps).padStart(12)}${(s.workerd_cpu_ms_per_request?.toFixed(2) ?? "-").padStart(10)}`;
  const diff = (d: Difference) => `p50 ${d.p50} ms (95 % interval ${d.ci95[0]} to ${d.ci95[1]}), p99 ${d.p99} ms`;
  console.log(`gateway benchmark (${r.machine.cores} x ${r.machine.cpu}, node ${r.machine.node}, wrangler ${r.machine.wrangler})`);
  console.log(`${r.method}; ${r.requests.latency_rounds} rounds after ${r.requests.warmup_rounds} warm-up rounds`);
  console.log(`load average ${r.load_average.start} at the start, ${r.load_average.end} at the end`);
  console.log(
    `${"series".padEnd(14)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"mean ms".padStart(10)}${"req/s".padStart(12)}${"cpu ms".padStart(10)}`,
  );
  console.log(row("direct", r.direct));
  console.log(row("worker only", r.worker_only));
  console.log(row("bare proxy", r.bare_proxy));
  console.log(row("bare B", r.bare_proxy_b));
  console.log(row("gateway", r.gateway));
  console.log(row("bare sse", r.bare_proxy_sse));
  console.log(row("bare B sse", r.bare_proxy_b_sse));
  console.log(row("gateway sse", r.gateway_sse));
  console.log(row("metered sse", r.gateway_metered_sse));
  console.log(`A/A control, bare B over bare A: JSON ${diff(r.bare_b_over_bare_a_ms)}; stream ${diff(r.bare_b_over_bare_a_sse_ms)}`);
  console.log(
    `added by the gateway vs direct: ${diff(r.added_ms)} (target p50 < ${r.target_p50_added_ms} ms: ${r.met_target ? "met" : "NOT met"})`,
  );
  console.log(`the gateway's own share on JSON (vs the bare proxy): ${diff(r.added_over_bare_proxy_ms)}`);
  console.log(`stream, bytes counted, over the bare proxy: ${diff(r.stream_over_bare_proxy_ms)}`);
  console.log(
    `stream with usage metering over the bare proxy: ${diff(r.metered_stream_over_bare_proxy_ms)} ` +
      `(target p50 < ${r.target_metered_over_bare_p50_ms} ms, the whole interval under it: ${r.met_metered_target ? "met" : "NOT met"}); ` +
      `workerd CPU per request ${r.metered_stream_over_bare_proxy_cpu_ms ?? "-"} ms more`,
  );
  if (r.baseline && r.over_baseline_ms) {
    console.log(row(`${r.baseline.ref} gateway`.slice(0, 13), r.baseline.gateway));
    console.log(row(`${r.baseline.ref} metered`.slice(0, 13), r.baseline.gateway_metered_sse));
    console.log(
      `this Worker over ${r.baseline.ref}'s: JSON ${diff(r.over_baseline_ms.gateway)}; metered stream ${diff(r.over_baseline_ms.gateway_metered_sse)}`,
    );
  }
  console.log(`metered answers: ${r.metered_answers.sent} sent, ${r.metered_answers.priced_in_d1} priced in D1 after the last flush`);
  console.log(
    `D1 writes during the latency run: ${r.d1_writes.statements} statements for ${r.d1_writes.worker_requests} requests to our Worker in ${r.d1_writes.seconds} s`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // GATEWAY_BENCH_REQUESTS=500: a shorter run (latency rounds; throughput 1.5x that per series)
  const n = Number(process.env.GATEWAY_BENCH_REQUESTS ?? 0);
  // GATEWAY_BENCH_BASELINE=main: also run main's Worker in the same workerd and compare against it
  // GATEWAY_BENCH_PROFILE=500: also profile our Worker over 500 metered streamed requests
  const profile = Number(process.env.GATEWAY_BENCH_PROFILE ?? 0);
  const result = await run({
    ...(n > 0 ? { latencyRequests: n, throughputRequests: Math.round(n * 1.5), warmup: Math.min(300, n) } : {}),
    profile,
    ...(process.env.GATEWAY_BENCH_BASELINE ? { baseline: process.env.GATEWAY_BENCH_BASELINE } : {}),
  });
  const file = "bench/results.json";
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    // first result
  }
  writeFileSync(file, `${JSON.stringify({ ...all, gateway: result }, null, 2)}\n`);
  console.log(`merged into ${file} under "gateway"`);
}
