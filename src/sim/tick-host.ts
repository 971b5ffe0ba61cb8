// Runs guard ticks inside workerd from Node: bundles src/sim/tick-worker.ts with esbuild, starts it in
// Miniflare with a fresh local D1 (the real migrations from infra/migrations applied) and points its
// HF client at the emulator. One request per tick. Why not Miniflare's D1 proxy from Node: a query
// through it took about 15 ms on the reference machine, against about 1.5 ms inside workerd.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GatewayCounterRow } from "../store/index.ts";
import type { SimTick } from "./tick-worker.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface TickHostOptions {
  hfBase: string;
  hfToken: string;
  /** attach V8's CPU profiler to the tick worker, so `profiledTick` can measure a tick's CPU time */
  profile?: boolean;
  /** keep the local D1 in this directory (SIM_PERSIST otherwise), so a later host, a fresh isolate, finds it */
  d1Persist?: string;
}

export interface TickHost {
  /** One guard tick at virtual time `now` under `policy` (validated inside, as the Worker does). */
  /** `gateway`: counters the gateway would have flushed since the last tick (token-priced spend) */
  tick(now: number, policy: unknown, gateway?: readonly GatewayCounterRow[]): Promise<SimTick>;
  /**
   * A tick under V8's CPU profiler (needs `profile: true`): `cpuMs` is the time the tick worker's isolate
   * ran JavaScript (`isolateCpu`). D1 runs in other isolates and HF calls are I/O, so neither counts, as on
   * Cloudflare, where a cron's CPU limit counts only the Worker's own execution.
   */
  profiledTick(now: number, policy: unknown): Promise<{ tick: SimTick; profile: CpuProfile } & CpuUse>;
  /**
   * Validates `policy` in the tick worker's isolate and keeps it, as the Worker does with its bundled
   * policy while the isolate starts (handlers/config.ts): a tick under the same policy then skips it.
   */
  preparePolicy(policy: unknown): Promise<void>;
  close(): Promise<void>;
}

const WORKER_NAME = "sim-tick";

export interface CpuUse {
  cpuMs: number;
  /** self time per function name, ms */
  selfMs: Record<string, number>;
  /** the profile's time deltas summed, as DevTools shows them: counts every wait on I/O as the next function's time */
  sampledMs: number;
  /** the sampling period the estimate used (ms) */
  periodMs: number;
}

/** The parts of a V8 CPU profile (`Profiler.stop`) the measurement reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url?: string; lineNumber?: number } }>;
  samples: number[];
  /** µs since the previous sample */
  timeDeltas: number[];
}

/**
 * The time an isolate ran JavaScript, from a V8 CPU profile. V8 samples an isolate only while a thread has
 * entered it (libsampler's `SamplerManager::DoSample` skips one not in use), and workerd enters it only to
 * run JavaScript: while the tick awaits D1 or a fetch the isolate is left and no sample is taken, so the
 * next sample's time delta spans the whole wait. Summing the deltas (what DevTools' self time does) counts
 * every wait as the function that ran next (`text`, `toJson`, `fetch`). Here a sample stands for its delta
 * while samples come at the sampling period (the interval plus the profiler's overhead), and for one period
 * after a longer gap: the isolate had been entered at most about a period before it was sampled. A gap
 * inside a run (the thread waiting for a CPU on a busy machine) counts one period too, so this also takes
 * out most of the wait for a CPU.
 *
 * The period is the lower quartile of the time deltas (`samplingPeriod`), and the host takes it over every
 * profile of its session (`periodMs`): one short tick's own deltas do not tell it. A 20-endpoint tick has
 * 15 to 50 samples, half or more of them after a wait; their median (what this used before) was often a
 * wait of about 1 ms, which then counted each wait as 1 ms and every delta up to 2 ms as running, and in
 * a tick with only 14 samples even their lower quartile was one.
 */
export function isolateCpu(
  profile: CpuProfile,
  options: { keyOf?: (node: CpuProfile["nodes"][number]) => string; periodMs?: number } = {},
): CpuUse {
  const keyOf = options.keyOf ?? nameOf;
  const names = new Map(profile.nodes.map((n) => [n.id, keyOf(n)]));
  const deltas = profile.timeDeltas.map((d) => d / 1000);
  const period = options.periodMs ?? samplingPeriod(deltas);
  const self = new Map<string, number>();
  let sampledMs = 0;
  profile.samples.forEach((id, i) => {
    const name = names.get(id) ?? "(unknown)";
    if (name === "(idle)") return;
    const dt = deltas[i] ?? 0;
    sampledMs += dt;
    self.set(name, (self.get(name) ?? 0) + (dt <= 2 * period ? dt : period));
  });
  return { cpuMs: [...self.values()].reduce((a, b) => a + b, 0), selfMs: Object.fromEntries(self), sampledMs, periodMs: period };
}

/** The sampling period of profiles from their time deltas (ms): the lower quartile, at least a quarter of the samples being consecutive. */
export function samplingPeriod(deltasMs: readonly number[]): number {
  return [...deltasMs].sort((a, b) => a - b)[Math.floor(deltasMs.length / 4)] ?? 0;
}

const nameOf = (node: CpuProfile["nodes"][number]) => node.callFrame.functionName || "(anonymous)";

/**
 * A profile node's function with the source file it comes from in the tick worker's bundle (esbuild
 * marks each module with a `// path` line), e.g. `parseOpenMetrics (src/providers/hf/open-metrics.ts)`, or
 * the runtime's module, e.g. `toJson (cloudflare-internal:d1-api)`; V8's own entries (`(garbage collector)`,
 * `(program)`) and built-ins without a script (`fetch`) keep their name.
 */
export async function frameNamer(): Promise<(node: CpuProfile["nodes"][number]) => string> {
  return namerOf(await bundle());
}

/** frameNamer over a given bundle (one saved beside its profiles: the worker's code when they were taken). */
export function namerOf(script: string): (node: CpuProfile["nodes"][number]) => string {
  const lines = script.split("\n");
  const fileAt: string[] = [];
  let file = "";
  lines.forEach((line, i) => {
    const mark = /^\/\/ ((?:src|node_modules|handlers)\/\S+)$/.exec(line);
    if (mark) file = mark[1] as string;
    fileAt[i] = file;
  });
  return (node) => {
    const name = nameOf(node);
    const { url, lineNumber } = node.callFrame;
    if (/^\((root|program|idle|garbage collector)\)$/.test(name) || !url || lineNumber === undefined || lineNumber < 0) return name;
    // The bundle is the worker's only script (`script-0`); the runtime's own modules are `cloudflare-internal:...`.
    const source = /^script-\d+$/.test(url) ? fileAt[lineNumber] : undefined;
    return source ? `${name} (${source.replace(/^node_modules\/(\.pnpm\/)?/, "")})` : `${name} (${url.split("/").pop()})`;
  };
}

/** A Chrome DevTools Protocol session on one Worker's isolate (workerd's inspector): the tick worker's, or the gateway bench's. */
export async function profilerSession(inspector: URL, workerName = WORKER_NAME) {
  const { WebSocket } = await import("undici");
  const ws = new WebSocket(new URL(`/core:user:${workerName}`, inspector).href);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`cannot attach to the inspector of worker ${workerName}`)), { once: true });
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (event) => {
    const data = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (data.id !== undefined) waiting.get(data.id)?.(data.result);
  });
  const call = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = ++next;
      waiting.set(id, (result) => resolve(result as T));
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 100 });
  const pool: number[] = [];
  const POOL = 5_000;
  return {
    start: () => call("Profiler.start"),
    /** milliseconds the isolate ran since start, and the functions it ran (self time) */
    stop: async (): Promise<CpuUse & { profile: CpuProfile }> => {
      const { profile } = await call<{ profile: CpuProfile }>("Profiler.stop");
      // The session's deltas (the last few thousand) give the period, not this profile's alone (see isolateCpu).
      pool.push(...profile.timeDeltas.map((d) => d / 1000));
      if (pool.length > POOL) pool.splice(0, pool.length - POOL);
      return { ...isolateCpu(profile, { periodMs: samplingPeriod(pool) }), profile };
    },
    close: () => ws.close(),
  };
}

/** The compatibility date and flags the Worker deploys with, so the simulated tick runs under the same runtime. */
function runtimeOf(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(`${ROOT}wrangler.toml`, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { compatibilityDate: date, compatibilityFlags: [...(flags ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

let bundled: Promise<string> | undefined;

/** The tick worker as one ES module (built once per process). */
export function bundle(): Promise<string> {
  bundled ??= import("esbuild")
    .then(({ build }) =>
      build({
        entryPoints: [`${ROOT}src/sim/tick-worker.ts`],
        bundle: true,
        format: "esm",
        platform: "browser",
        conditions: ["workerd", "worker", "browser"],
        target: "es2022",
        write: false,
        logLevel: "silent",
      }),
    )
    .then((out) => out.outputFiles[0]?.text ?? "");
  return bundled;
}

export async function startTickHost(options: TickHostOptions): Promise<TickHost> {
  // Imported here, not at the top: they are heavy, and a CLI run that stops at a bad trace never needs them.
  const [{ Miniflare }, { readD1Migrations }] = await Promise.all([import("miniflare"), import("@cloudflare/vitest-pool-workers")]);
  const [script, migrations] = await Promise.all([bundle(), readD1Migrations(`${ROOT}infra/migrations`)]);
  const mf = new Miniflare({
    name: WORKER_NAME,
    ...(options.profile ? { inspectorPort: 0 } : {}),
    modules: true,
    script,
    ...runtimeOf(),
    d1Databases: ["DB"],
    ...(options.d1Persist || process.env.SIM_PERSIST ? { d1Persist: options.d1Persist ?? process.env.SIM_PERSIST } : {}),
    bindings: { HF_API_BASE: options.hfBase, HF_TOKEN: options.hfToken },
  });
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await mf.dispatchFetch(`http://sim${path}`, { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`tick worker ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  try {
    await post("/migrate", migrations);
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  const profiler = options.profile ? await profilerSession(await mf.getInspectorURL()) : undefined;
  return {
    tick: (now, policy, gateway = []) => post<SimTick>("/tick", { now, policy, gateway }),
    async profiledTick(now, policy) {
      if (!profiler) throw new Error("startTickHost({ profile: true }) to profile ticks");
      await profiler.start();
      const tick = await post<SimTick>("/tick", { now, policy });
      return { tick, ...(await profiler.stop()) };
    },
    preparePolicy: async (policy) => {
      await post("/policy", policy);
    },
    close: async () => {
      profiler?.close();
      await mf.dispose();
    },
  };
}
