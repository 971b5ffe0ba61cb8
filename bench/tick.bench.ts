// Tick inside workerd against the emulator: the real runTick (bundled into a Worker, run by Miniflare
// with a real local D1 and the real migrations) observing 10, 100 and 1,000 endpoints through the real
// HF client over HTTP. Per tick: wall time, outbound subrequests and D1 queries, for a normal tick and
// for the heaviest one (spend past 200 %: an action on every endpoint); for a normal tick also its CPU
// (workerd's, from /proc: an upper bound) and where the Worker's isolate spends it (V8 profile).
import { readdirSync, readFileSync } from "node:fs";
import { type EndpointSpec, startEmulator } from "../src/sim/emulator.ts";
import { startTickHost } from "../src/sim/tick-host.ts";
import type { SimTick } from "../src/sim/tick-worker.ts";
import type { SummaryRow } from "./run.ts";

const SIZES = [10, 100, 1_000];
const STEADY_TICKS = 10;
const MIN = 60_000;
/** Workers limits per invocation (shared/reference/workers-platform.md §2). */
const LIMITS = { free: { subrequests: 50, d1: 50 }, paid: { subrequests: 10_000, d1: 1_000 } };
/** HfClient's page size (`limit`, the API's documented default). */
const PAGE = 20;
const HARDWARE: Array<[string, string]> = [
  ["nvidia-a100", "x1"],
  ["nvidia-l4", "x1"],
  ["nvidia-a10g", "x1"],
  ["intel-spr", "x2"],
];

function fleet(n: number): EndpointSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const [instanceType, instanceSize] = HARDWARE[i % HARDWARE.length] as [string, string];
    return { name: `e-${i}`, instanceType, instanceSize, minReplica: 1, maxReplica: 4, replicas: 1 + (i % 3) };
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * CPU time (user + system, ms) of the workerd processes this process started, from /proc (Linux; null
 * elsewhere). A true CPU clock, unlike the profiler's wall-clock sampling, but an upper bound of the tick's
 * CPU: it includes Miniflare's own workers and the local D1's SQLite work, which on Cloudflare run outside
 * the Worker and do not count against its CPU limit.
 */
function workerdCpuMs(): number | null {
  try {
    let ticks = 0;
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      const close = stat.lastIndexOf(")");
      const fields = stat.slice(close + 2).split(" ");
      if (stat.slice(stat.indexOf("(") + 1, close) === "workerd" && Number(fields[1]) === process.pid) {
        ticks += Number(fields[11]) + Number(fields[12]);
      }
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

export default async function tickBench() {
  const T0 = Date.UTC(2026, 3, 14, 12, 0);
  let now = T0;
  const emulator = await startEmulator({ now: () => now });
  const rows: Array<{
    endpoints: number;
    first_tick: { ms: number; subrequests: number; d1_queries: number };
    steady_tick: {
      ms: number;
      wall_ms: number;
      workerd_cpu_ms: number | null;
      subrequests: number;
      d1_queries: number;
      /** where the tick worker's isolate spends its time, as shares of the profiled busy time */
      hot_spots: Array<{ fn: string; share: number }>;
    };
    action_tick: { ms: number; actions: number; subrequests: number; d1_queries: number };
  }> = [];
  try {
    for (const n of SIZES) {
      const ns = `bench-${n}`;
      now = T0;
      emulator.reset(ns, { endpoints: fleet(n) });
      const host = await startTickHost({ hfBase: emulator.url, hfToken: emulator.token, profile: true });
      try {
        const policy = (budget: number) => ({ mode: "enforce", budget: { daily_usd: budget, timezone: "UTC" }, hf: { namespaces: [ns] } });
        const first = await host.tick(now, policy(1_000_000));
        const steady: Array<SimTick & { wall: number }> = [];
        const cpuBefore = workerdCpuMs();
        for (let i = 0; i < STEADY_TICKS; i++) {
          now += MIN;
          const t = performance.now();
          const tick = await host.tick(now, policy(1_000_000));
          steady.push({ ...tick, wall: performance.now() - t });
          if (tick.outcome !== "ok") throw new Error(`steady tick for ${n} endpoints: ${tick.outcome}`);
        }
        const cpuAfter = workerdCpuMs();
        // The same ticks again under the profiler (kept apart: profiling slows the isolate down).
        const profiled: Array<{ cpuMs: number; selfMs: Record<string, number> }> = [];
        for (let i = 0; i < STEADY_TICKS; i++) {
          now += MIN;
          profiled.push(await host.profiledTick(now, policy(1_000_000)));
        }
        const self = new Map<string, number>();
        for (const p of profiled) for (const [fn, ms] of Object.entries(p.selfMs)) self.set(fn, (self.get(fn) ?? 0) + ms);
        const busy = profiled.reduce((sum, p) => sum + p.cpuMs, 0);
        // A budget of one cent: the next tick is past 200 % and acts on every endpoint.
        now += MIN;
        const heavy = await host.tick(now, policy(0.01));
        rows.push({
          endpoints: n,
          first_tick: { ms: first.ms, subrequests: first.subrequests, d1_queries: first.d1Queries },
          steady_tick: {
            ms: median(steady.map((s) => s.ms)),
            wall_ms: Number(median(steady.map((s) => s.wall)).toFixed(1)),
            workerd_cpu_ms: cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) / STEADY_TICKS),
            subrequests: median(steady.map((s) => s.subrequests)),
            d1_queries: median(steady.map((s) => s.d1Queries)),
            hot_spots: [...self]
              .filter(([fn]) => !fn.startsWith("("))
              .sort((a, b) => b[1] - a[1])
              .slice(0, 3)
              .map(([fn, ms]) => ({ fn, share: Number((ms / busy).toFixed(2)) })),
          },
          action_tick: { ms: heavy.ms, actions: heavy.actions.length, subrequests: heavy.subrequests, d1_queries: heavy.d1Queries },
        });
      } finally {
        await host.close();
      }
    }
  } finally {
    await emulator.close();
  }

  console.log(
    "endpoints   first tick (ms, subreq, D1)   normal tick (ms, subreq, D1)   past 200 % (ms, actions, subreq, D1)   normal tick, workerd CPU",
  );
  for (const r of rows) {
    const f = r.first_tick;
    const s = r.steady_tick;
    const a = r.action_tick;
    console.log(
      `${String(r.endpoints).padStart(9)}   ${`${f.ms} ms, ${f.subrequests}, ${f.d1_queries}`.padEnd(28)}  ${`${s.ms} ms, ${s.subrequests}, ${s.d1_queries}`.padEnd(29)}  ${`${a.ms} ms, ${a.actions}, ${a.subrequests}, ${a.d1_queries}`.padEnd(36)}  <= ${s.workerd_cpu_ms ?? "?"} ms`,
    );
  }
  const base = rows[0]?.steady_tick.d1_queries ?? 0;
  const perAction =
    rows.length > 0 ? ((rows.at(-1)?.action_tick.d1_queries ?? 0) - base) / Math.max(1, rows.at(-1)?.action_tick.actions ?? 1) : 0;
  const limits = {
    observe_free_max_endpoints: (LIMITS.free.subrequests - 1) * PAGE,
    observe_paid_max_endpoints: (LIMITS.paid.subrequests - 1) * PAGE,
    d1_queries_per_action: Number(perAction.toFixed(2)),
    actions_per_tick_free: Math.floor((LIMITS.free.d1 - base) / perAction),
    actions_per_tick_paid: Math.floor((LIMITS.paid.d1 - base) / perAction),
  };
  console.log(
    `observation: one subrequest per page of ${PAGE} endpoints (plus the price catalog once an hour): Free's ${LIMITS.free.subrequests} ` +
      `subrequests cover ${limits.observe_free_max_endpoints} endpoints, Paid's ${LIMITS.paid.subrequests.toLocaleString("en-US")} cover ${limits.observe_paid_max_endpoints.toLocaleString("en-US")}.`,
  );
  console.log(
    `acting: ${limits.d1_queries_per_action} D1 queries and one HF call per action on top of ${base} queries: Free's ${LIMITS.free.d1} D1 queries allow ` +
      `${limits.actions_per_tick_free} actions in a tick, Paid's ${LIMITS.paid.d1.toLocaleString("en-US")} allow ${limits.actions_per_tick_paid}.`,
  );
  for (const r of rows) {
    console.log(
      `where a normal tick of ${r.endpoints} endpoints spends its CPU (self time, V8 profile): ` +
        r.steady_tick.hot_spots.map((h) => `${h.fn} ${Math.round(h.share * 100)} %`).join(", "),
    );
  }
  const at = (n: number) => rows.find((r) => r.endpoints === n);
  const summary: SummaryRow[] = rows.flatMap((r) => [
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints (normal): wall time, subrequests, D1 queries; workerd CPU (upper bound)`,
      value: `${r.steady_tick.ms} ms, ${r.steady_tick.subrequests}, ${r.steady_tick.d1_queries}; <= ${r.steady_tick.workerd_cpu_ms ?? "?"} ms`,
      // Listing is paged: observation must cost a page per PAGE endpoints, not a request per endpoint.
      target: `<= ${Math.ceil(r.endpoints / PAGE) + 1} subrequests (paged)`,
      ok: Math.max(r.steady_tick.subrequests, r.first_tick.subrequests) <= Math.ceil(r.endpoints / PAGE) + 1,
    },
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints past 200 %: wall time, actions, subrequests, D1 queries`,
      value: `${r.action_tick.ms} ms, ${r.action_tick.actions}, ${r.action_tick.subrequests}, ${r.action_tick.d1_queries}`,
    },
  ]);
  const largest = rows.at(-1);
  if (largest) {
    summary.push({
      metric: `tick, ${largest.endpoints.toLocaleString("en-US")} endpoints (normal): where the CPU goes (V8 profile, self time)`,
      value: largest.steady_tick.hot_spots.map((h) => `${h.fn} ${Math.round(h.share * 100)} %`).join(", "),
    });
  }
  summary.push({
    metric: "Workers limits (Free / Paid): endpoints observable per tick; actions per tick before the D1 query limit",
    value: `${limits.observe_free_max_endpoints} / ${limits.observe_paid_max_endpoints.toLocaleString("en-US")}; ${limits.actions_per_tick_free} / ${limits.actions_per_tick_paid}`,
  });
  return { sizes: rows, limits, page_size: PAGE, workers_limits: LIMITS, summary, steady_1000_ms: at(1_000)?.steady_tick.ms ?? null };
}
