// Gateway benchmark: the latency the gateway adds (p50, p99) and its throughput, against calling the
// same upstream directly, in one run. Everything on loopback: a local upstream (the test fixture's
// JSON echo), the Worker under `wrangler dev` with a policy that declares one service on it, and a
// bounded load generator (node:http, keep-alive). Four series, interleaved request by request:
//   direct       client -> upstream
//   worker_only  client -> wrangler dev -> our Worker answering itself (an unknown service's 404)
//   bare_proxy   client -> wrangler dev -> a 5-line Worker that only fetches the upstream (a second
//                wrangler dev): what any Worker in the path costs locally, runtime and outbound hop
//   gateway      client -> wrangler dev -> our Worker -> upstream
// gateway - direct is the added latency the issue asks for; gateway - bare_proxy is the share of it
// that is the gateway's own work (auth, routing state, header shaping, metrics).
// Two more series on a streamed answer (16 SSE chunks and a final OpenAI usage chunk):
//   bare_proxy_sse      client -> bare proxy Worker -> upstream (SSE)
//   gateway_sse         client -> our Worker -> a target without prices (SSE): no metering
//   gateway_metered_sse client -> our Worker -> token-priced target (SSE), usage metering on
// gateway_metered_sse - bare_proxy_sse is the gateway's own cost with metering (target: < 1 ms at p50).
// Latency on a shared machine swings with its load (printed); each series' workerd CPU per request,
// read from /proc over its throughput run (one series at a time), is the steadier figure of own work.
// Default export: run() returning a JSON-able result. `npm run bench:gateway` runs it alone and
// merges the result into bench/results.json under "gateway".
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { freePort, startWranglerDev, wranglerEnv } from "../scripts/wrangler-dev.ts";
import { startUpstream } from "../test/fixtures/upstream.ts";

const CALLER_KEY = "bench-caller-key";
const BODY = JSON.stringify({
  model: "meta-llama/Llama-3.1-8B-Instruct",
  messages: [{ role: "user", content: "Summarise the budget guardrail in one sentence." }],
  max_tokens: 32,
});

export interface GatewayBenchOptions {
  /** sequential requests per series for the latency figures */
  latencyRequests?: number;
  /** requests per series for throughput, at `concurrency` */
  throughputRequests?: number;
  concurrency?: number;
  warmup?: number;
}

interface Series {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  throughput_rps: number;
  /** CPU ms the Worker's workerd processes used per request during the throughput run (null: direct, or no /proc) */
  workerd_cpu_ms_per_request: number | null;
}

export interface GatewayBenchResult {
  what: string;
  machine: { cpu: string; cores: number; node: string; os: string; wrangler: string };
  requests: { latency_per_series: number; throughput_per_series: number; concurrency: number; body_bytes: number };
  direct: Series;
  worker_only: Series;
  bare_proxy: Series;
  gateway: Series;
  added_ms: { p50: number; p99: number };
  added_over_bare_proxy_ms: { p50: number; p99: number };
  bare_proxy_sse: Series;
  gateway_sse: Series;
  gateway_metered_sse: Series;
  metered_stream_over_bare_proxy_ms: { p50: number; p99: number };
  /** workerd CPU per request: metered stream through the gateway minus the same stream through the bare proxy */
  metered_stream_over_bare_proxy_cpu_ms: number | null;
  load_average: { start: number; end: number };
  target_metered_over_bare_p50_ms: number;
  met_metered_target: boolean;
  target_p50_added_ms: number;
  met_target: boolean;
  at: string;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round = (n: number) => Math.round(n * 1000) / 1000;

interface Target {
  port: number;
  path: string;
  headers: Record<string, string>;
  expect: number;
}

/** One request, body read to the end; resolves with the milliseconds it took. */
function once(agent: Agent, t: Target): Promise<number> {
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

interface Dev {
  port: number;
  /** the process group wrangler dev and its workerd run in */
  group: number;
  stop(): void;
}

/**
 * CPU milliseconds (user + system) the workerd processes of a process group used so far, from
 * /proc (Linux). Less sensitive to a busy machine than latency: a request's own work is counted,
 * not the time it waited for a core. Null where /proc or pgrep is missing.
 */
function workerdCpuMs(group: number): Map<string, number> | null {
  try {
    const pids = execFileSync("pgrep", ["-g", String(group), "workerd"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter(Boolean);
    const out = new Map<string, number>();
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      out.set(pid, (Number(fields[11]) + Number(fields[12])) * 10); // utime + stime, clock ticks of 10 ms
    }
    return out;
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

/** The bare proxy Worker under its own `wrangler dev`, up once it answers. */
async function startBareProxy(dir: string, upstream: string): Promise<Dev> {
  mkdirSync(dir);
  writeFileSync(path.join(dir, "worker.js"), BARE_PROXY);
  writeFileSync(path.join(dir, "wrangler.toml"), 'name = "bare-proxy"\nmain = "worker.js"\ncompatibility_date = "2026-05-01"\n');
  const port = await freePort();
  const args = [
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    "--var",
    `UPSTREAM:${upstream}`,
  ];
  const child = spawn(path.resolve("node_modules/.bin/wrangler"), args, { cwd: dir, env: wranglerEnv, detached: true, stdio: "ignore" });
  const stop = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  for (const deadline = Date.now() + 90_000; Date.now() < deadline && child.exitCode === null; ) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return { port, group: child.pid ?? 0, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  stop();
  throw new Error("the bare proxy Worker did not come up under wrangler dev");
}

type SeriesName = "direct" | "worker_only" | "bare_proxy" | "gateway" | "bare_proxy_sse" | "gateway_sse" | "gateway_metered_sse";

/** The upstream fixture's directive for a streamed OpenAI-compatible answer ending with its usage. */
const SSE = { "x-upstream-bench": "sse=16,usage=120:48" };

export default async function run(o: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const latencyRequests = o.latencyRequests ?? 2000;
  const throughputRequests = o.throughputRequests ?? 3000;
  const concurrency = o.concurrency ?? 8;
  const warmup = o.warmup ?? 300;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "guardrail-bench-"));
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
    status: { public: true }, // loopback only; lets the start-up probe read /v1/status
  };
  const devs: Dev[] = [];
  let finished = false;
  try {
    const ours = await startWranglerDev({
      stateDir: path.join(stateDir, "state"),
      logFile: path.join(stateDir, "wrangler.log"),
      vars: { BENCH_CALLER_KEY: CALLER_KEY, GUARDRAIL_POLICY: JSON.stringify(policy), HF_TOKEN: "unused" },
    });
    devs.push({ port: Number(new URL(ours.base).port), group: ours.process.pid ?? 0, stop: ours.stop });
    await ours.ready;
    const bare = await startBareProxy(path.join(stateDir, "bare"), upstream.url);
    devs.push(bare);

    const targets: Record<SeriesName, Target> = {
      direct: { port: upstreamPort, path: "/v1/chat/completions", headers: {}, expect: 200 },
      worker_only: { port: Number(new URL(ours.base).port), path: "/v1/gateway/none/v1/chat/completions", headers: {}, expect: 404 },
      bare_proxy: { port: bare.port, path: "/v1/chat/completions", headers: {}, expect: 200 },
      gateway: {
        port: Number(new URL(ours.base).port),
        path: "/v1/gateway/bench/v1/chat/completions",
        headers: { authorization: `Bearer ${CALLER_KEY}` },
        expect: 200,
      },
      bare_proxy_sse: { port: bare.port, path: "/v1/chat/completions", headers: SSE, expect: 200 },
      gateway_sse: {
        port: Number(new URL(ours.base).port),
        path: "/v1/gateway/bench/v1/chat/completions",
        headers: { authorization: `Bearer ${CALLER_KEY}`, ...SSE },
        expect: 200,
      },
      gateway_metered_sse: {
        port: Number(new URL(ours.base).port),
        path: "/v1/gateway/metered/v1/chat/completions",
        headers: { authorization: `Bearer ${CALLER_KEY}`, ...SSE },
        expect: 200,
      },
    };
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const names = Object.keys(targets) as SeriesName[];
    for (let i = 0; i < warmup; i++) for (const n of names) await once(agent, targets[n]);

    const samples: Record<SeriesName, number[]> = {
      direct: [],
      worker_only: [],
      bare_proxy: [],
      gateway: [],
      bare_proxy_sse: [],
      gateway_sse: [],
      gateway_metered_sse: [],
    };
    for (let i = 0; i < latencyRequests; i++) {
      // rotate the order so no series always runs right after another
      for (let j = 0; j < names.length; j++) {
        const n = names[(i + j) % names.length] as SeriesName;
        samples[n].push(await once(agent, targets[n]));
      }
    }
    const rps: Partial<Record<SeriesName, number>> = {};
    const cpu: Partial<Record<SeriesName, number | null>> = {};
    for (const n of names) {
      // The throughput run sends one series at a time: the CPU its Worker process used meanwhile is that series' cost.
      const group = targets[n].port === bare.port ? bare.group : Number(devs[0]?.group);
      const before = workerdCpuMs(group);
      rps[n] = await throughput(agent, targets[n], throughputRequests, concurrency);
      const used = cpuBetween(before, workerdCpuMs(group));
      cpu[n] = used === null || n === "direct" ? null : round(used / throughputRequests);
    }
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
    const direct = series("direct");
    const gateway = series("gateway");
    const bareProxy = series("bare_proxy");
    const bareSse = series("bare_proxy_sse");
    const meteredSse = series("gateway_metered_sse");
    const cpus = os.cpus();
    const wranglerVersion = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")).version as string;
    const result: GatewayBenchResult = {
      what: "POST /v1/chat/completions (JSON echo upstream) on loopback; latency = full response, sequential; throughput at the given concurrency",
      machine: {
        cpu: cpus[0]?.model ?? "unknown",
        cores: cpus.length,
        node: process.version,
        os: `${os.type()} ${os.release()}`,
        wrangler: wranglerVersion,
      },
      requests: {
        latency_per_series: latencyRequests,
        throughput_per_series: throughputRequests,
        concurrency,
        body_bytes: Buffer.byteLength(BODY),
      },
      direct,
      worker_only: series("worker_only"),
      bare_proxy: bareProxy,
      gateway,
      added_ms: { p50: round(gateway.p50_ms - direct.p50_ms), p99: round(gateway.p99_ms - direct.p99_ms) },
      added_over_bare_proxy_ms: { p50: round(gateway.p50_ms - bareProxy.p50_ms), p99: round(gateway.p99_ms - bareProxy.p99_ms) },
      bare_proxy_sse: bareSse,
      gateway_sse: series("gateway_sse"),
      gateway_metered_sse: meteredSse,
      metered_stream_over_bare_proxy_ms: { p50: round(meteredSse.p50_ms - bareSse.p50_ms), p99: round(meteredSse.p99_ms - bareSse.p99_ms) },
      metered_stream_over_bare_proxy_cpu_ms:
        meteredSse.workerd_cpu_ms_per_request === null || bareSse.workerd_cpu_ms_per_request === null
          ? null
          : round(meteredSse.workerd_cpu_ms_per_request - bareSse.workerd_cpu_ms_per_request),
      load_average: { start: round(loadStart), end: round(os.loadavg()[0] ?? 0) },
      target_metered_over_bare_p50_ms: 1,
      met_metered_target: meteredSse.p50_ms - bareSse.p50_ms < 1,
      target_p50_added_ms: 2,
      met_target: gateway.p50_ms - direct.p50_ms < 2,
      at: new Date().toISOString(),
    };
    printTable(result);
    finished = true;
    return result;
  } finally {
    for (const d of devs) d.stop();
    await upstream.close();
    if (finished) rmSync(stateDir, { recursive: true, force: true });
    else console.error(`benchmark failed; wrangler's output and state are kept in ${stateDir}`);
  }
}

function printTable(r: GatewayBenchResult): void {
  const row = (name: string, s: Series) =>
    `${name.padEnd(12)}${s.p50_ms.toFixed(3).padStart(10)}${s.p99_ms.toFixed(3).padStart(10)}${s.mean_ms.toFixed(3).padStart(10)}${String(s.throughput_rps).padStart(12)}${(s.workerd_cpu_ms_per_request?.toFixed(2) ?? "-").padStart(10)}`;
  console.log(`gateway benchmark (${r.machine.cores} x ${r.machine.cpu}, node ${r.machine.node}, wrangler ${r.machine.wrangler})`);
  console.log(`load average ${r.load_average.start} at the start, ${r.load_average.end} at the end`);
  console.log(
    `${"series".padEnd(12)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"mean ms".padStart(10)}${"req/s".padStart(12)}${"cpu ms".padStart(10)}`,
  );
  console.log(row("direct", r.direct));
  console.log(row("worker only", r.worker_only));
  console.log(row("bare proxy", r.bare_proxy));
  console.log(row("gateway", r.gateway));
  console.log(row("bare sse", r.bare_proxy_sse));
  console.log(row("gateway sse", r.gateway_sse));
  console.log(row("metered sse", r.gateway_metered_sse));
  console.log(
    `added by the gateway vs direct: p50 ${r.added_ms.p50} ms, p99 ${r.added_ms.p99} ms (target p50 < ${r.target_p50_added_ms} ms: ${r.met_target ? "met" : "NOT met"}); ` +
      `the gateway's own share (vs a bare proxy Worker): p50 ${r.added_over_bare_proxy_ms.p50} ms, p99 ${r.added_over_bare_proxy_ms.p99} ms`,
  );
  console.log(
    `streamed answer with usage metering, gateway over a bare proxy Worker: p50 ${r.metered_stream_over_bare_proxy_ms.p50} ms, ` +
      `p99 ${r.metered_stream_over_bare_proxy_ms.p99} ms (target p50 < ${r.target_metered_over_bare_p50_ms} ms: ${r.met_metered_target ? "met" : "NOT met"}); ` +
      `workerd CPU per request ${r.metered_stream_over_bare_proxy_cpu_ms ?? "-"} ms more`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // GATEWAY_BENCH_REQUESTS=500: a shorter run (latency requests per series; throughput 1.5x that)
  const n = Number(process.env.GATEWAY_BENCH_REQUESTS ?? 0);
  const result = await run(n > 0 ? { latencyRequests: n, throughputRequests: Math.round(n * 1.5), warmup: Math.min(300, n) } : {});
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
