// Tick inside workerd against the emulator: the real runTick (bundled into a Worker, run by Miniflare
// with a real local D1 and the real migrations) observing 20, 100 and 1,000 endpoints through the real
// HF client over HTTP. Per tick: wall time, outbound subrequests (by kind), D1 queries and the requests
// they took, for a normal tick and for the heaviest one (spend past 200 %: every endpoint due an action,
// the blast radius deciding how many happen); for a normal tick also its CPU: workerd's (from /proc: an
// upper bound) and the tick isolate's own (V8 CPU profile: the time it ran JavaScript, waits on I/O and for
// a CPU excluded, see isolateCpu in src/sim/tick-host.ts), the figure Cloudflare's per-invocation CPU limit
// counts, against the Free plan's 10 ms; the same for a tick in a fresh isolate and for the next tick past
// 200 %; and where the isolate spends it (self time per function and source file).
//
// Order per fleet size: a first tick (host A, unprofiled), then host B on A's D1, a fresh isolate: its
// first tick under the profiler, STEADY_TICKS normal ticks for wall time and workerd's CPU, STEADY_TICKS
// normal ticks under the profiler (B's 12th onwards: "highest" is not a first tick), a tick past 200 %, and
// the next one past 200 % under the profiler.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, type EndpointSpec, startEmulator } from "../src/fakes/index.ts";
import { bundle, type CpuProfile, frameNamer, isolateCpu, startTickHost } from "../src/sim/tick-host.ts";
import type { SimTick } from "../src/sim/tick-worker.ts";
import type { SummaryRow } from "./run.ts";

/** `TICK_BENCH_SIZES=20,100` and `TICK_BENCH_TICKS=30` narrow or lengthen a run (profiling one change); the defaults are the doc's. */
const SIZES = process.env.TICK_BENCH_SIZES?.split(",").map(Number) ?? [20, 100, 1_000];
const STEADY_TICKS = Number(process.env.TICK_BENCH_TICKS ?? 10);
/** `TICK_PROFILE_DIR=dir npm run bench -- tick` also writes each profiled tick's V8 profile there (open in DevTools). */
const PROFILE_DIR = process.env.TICK_PROFILE_DIR;
/** The budget day's zone (`TICK_BENCH_TZ=America/New_York`: a zone with an offset, looked up through Intl). */
const TIMEZONE = process.env.TICK_BENCH_TZ ?? "UTC";
/** How many functions the per-frame self-time tables list. */
const TOP = 10;
const MIN = 60_000;
/** Workers limits per invocation (shared/reference/workers-platform.md §2). */
const LIMITS = { free: { subrequests: 50, d1: 50, cpu_ms: 10 }, paid: { subrequests: 10_000, d1: 1_000, cpu_ms: 30_000 } };
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

interface TickFigures {
  ms: number;
  subrequests: number;
  /** listing pages, price catalog, open-metrics reads, actions (HF); alerts (Slack, SNS) */
  by_kind: SimTick["subrequestsByKind"];
  d1_queries: number;
  /** requests to D1 (the queries a step issues together go as one batch) */
  d1_round_trips: number;
}

interface SizeRow {
  endpoints: number;
  /** the first tick: also fetches the price catalog (then cached for an hour) */
  first_tick: TickFigures;
  normal_tick: TickFigures & {
    wall_ms: number;
    workerd_cpu_ms: number | null;
    /**
     * the tick isolate's own CPU per tick: the time it ran JavaScript, from a V8 profile (waits on I/O and
     * for a CPU excluded: isolateCpu); median and highest of the ticks
     */
    isolate_cpu_ms: { median: number; max: number; per_tick: number[] };
    /** the profile's time deltas summed, median: what DevTools shows, every wait on D1 or HF counted as busy */
    isolate_sampled_ms: number;
    /** where the tick worker's isolate spends its time, as shares of the profiled busy time */
    hot_spots: Array<{ fn: string; share: number }>;
  };
  /** spend past 200 %: every endpoint is due an action; the blast radius decides how many happen */
  action_tick: TickFigures & { actions: number };
  /** the second tick, in a fresh isolate (the first one's D1), under the profiler: JIT warm-up and the catalog fetched again */
  fresh_isolate: { isolate_cpu_ms: number; catalog: number };
  /** the next tick past 200 %, under the profiler: its changes and the isolate's CPU (one tick) */
  acting_profiled: { actions: number; isolate_cpu_ms: number; top: Hot[] };
  /** the normal ticks' top functions by self time, with their source file in the bundle */
  normal_top: Hot[];
}

interface Hot {
  fn: string;
  /** ms per tick */
  ms: number;
  share: number;
}

function addSelf(into: Map<string, number>, selfMs: Record<string, number>) {
  for (const [fn, ms] of Object.entries(selfMs)) into.set(fn, (into.get(fn) ?? 0) + ms);
}

/** The TOP functions by self time over `ticks` ticks of `busy` ms in all. */
function topOf(self: Map<string, number>, busy: number, ticks = 1): Hot[] {
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([fn, ms]) => ({ fn, ms: Number((ms / ticks).toFixed(2)), share: Number((ms / busy).toFixed(3)) }));
}

function saveProfile(name: string, profile: CpuProfile) {
  if (!PROFILE_DIR) return;
  mkdirSync(PROFILE_DIR, { recursive: true });
  writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
}

const figures = (t: SimTick): TickFigures => ({
  ms: t.ms,
  subrequests: t.subrequests,
  by_kind: t.subrequestsByKind,
  d1_queries: t.d1Queries,
  d1_round_trips: t.d1RoundTrips,
});
const kinds = (f: TickFigures) =>
  `${f.by_kind.list} list + ${f.by_kind.catalog} catalog + ${f.by_kind.metrics} metrics + ${f.by_kind.action} actions` +
  (f.by_kind.alert ? ` + ${f.by_kind.alert} alerts` : "");

async function measureSize(emulator: Emulator, clock: { now: number }, n: number): Promise<SizeRow> {
  const ns = `bench-${n}`;
  emulator.reset(ns, { endpoints: fleet(n) });
  const d1Persist = mkdtempSync(join(tmpdir(), `tick-bench-${n}-`));
  const options = { hfBase: emulator.url, hfToken: emulator.token, profile: true, d1Persist };
  let host = await startTickHost(options);
  const policy = (budget: number) => ({ mode: "enforce", budget: { daily_usd: budget, timezone: TIMEZONE }, hf: { namespaces: [ns] } });
  try {
    const first = await host.tick(clock.now, policy(1_000_000));
    // The next tick in a fresh isolate on the same D1, as a cron invocation that lands on a new isolate:
    // V8 compiles and optimises the code afresh and the price catalog is fetched again. The policy is
    // validated first, as the Worker validates its bundled policy in its global scope (startup, not the
    // invocation's CPU time; handlers/config.ts).
    await host.close();
    host = await startTickHost(options);
    await host.preparePolicy(policy(1_000_000));
    clock.now += MIN;
    const cold = await host.profiledTick(clock.now, policy(1_000_000));
    saveProfile(`tick-${n}-fresh-isolate`, cold.profile);
    const normal: Array<SimTick & { wall: number }> = [];
    const cpuBefore = workerdCpuMs();
    for (let i = 0; i < STEADY_TICKS; i++) {
      clock.now += MIN;
      const t = performance.now();
      const tick = await host.tick(clock.now, policy(1_000_000));
      normal.push({ ...tick, wall: performance.now() - t });
      if (tick.outcome !== "ok") throw new Error(`normal tick for ${n} endpoints: ${tick.outcome}`);
    }
    const cpuAfter = workerdCpuMs();
    // The same ticks again under the profiler, kept apart: profiling slows the isolate down.
    const namer = await frameNamer();
    const self = new Map<string, number>();
    const frames = new Map<string, number>();
    let busy = 0;
    const perTick: number[] = [];
    const sampled: number[] = [];
    for (let i = 0; i < STEADY_TICKS; i++) {
      clock.now += MIN;
      const p = await host.profiledTick(clock.now, policy(1_000_000));
      busy += p.cpuMs;
      perTick.push(p.cpuMs);
      sampled.push(p.sampledMs);
      for (const [fn, ms] of Object.entries(p.selfMs)) self.set(fn, (self.get(fn) ?? 0) + ms);
      addSelf(frames, isolateCpu(p.profile, { keyOf: namer, periodMs: p.periodMs }).selfMs);
      saveProfile(`tick-${n}-normal-${i + 1}`, p.profile);
    }
    // A budget of one cent: the next tick is past 200 %.
    clock.now += MIN;
    const heavy = await host.tick(clock.now, policy(0.01));
    // The tick after it, still past 200 %, under the profiler: the changes the blast radius left for it.
    clock.now += MIN;
    const acting = await host.profiledTick(clock.now, policy(0.01));
    saveProfile(`tick-${n}-acting`, acting.profile);
    const actingFrames = isolateCpu(acting.profile, { keyOf: namer, periodMs: acting.periodMs }).selfMs;
    const mid = [...normal].sort((a, b) => a.ms - b.ms)[Math.floor(normal.length / 2)] as SimTick;
    return {
      endpoints: n,
      first_tick: figures(first),
      normal_tick: {
        ...figures(mid),
        wall_ms: Number(median(normal.map((t) => t.wall)).toFixed(1)),
        workerd_cpu_ms: cpuBefore === null || cpuAfter === null ? null : Math.round((cpuAfter - cpuBefore) / STEADY_TICKS),
        isolate_cpu_ms: {
          median: Number(median(perTick).toFixed(1)),
          max: Number(Math.max(...perTick).toFixed(1)),
          per_tick: perTick.map((ms) => Number(ms.toFixed(1))),
        },
        isolate_sampled_ms: Number(median(sampled).toFixed(1)),
        hot_spots: [...self]
          .filter(([fn]) => !fn.startsWith("("))
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([fn, ms]) => ({ fn, share: Number((ms / busy).toFixed(2)) })),
      },
      action_tick: { ...figures(heavy), actions: heavy.actions.length },
      fresh_isolate: { isolate_cpu_ms: Number(cold.cpuMs.toFixed(1)), catalog: cold.tick.subrequestsByKind.catalog },
      acting_profiled: {
        actions: acting.tick.actions.length,
        isolate_cpu_ms: Number(acting.cpuMs.toFixed(1)),
        top: topOf(new Map(Object.entries(actingFrames)), acting.cpuMs),
      },
      normal_top: topOf(frames, busy, STEADY_TICKS),
    };
  } finally {
    await host.close();
    rmSync(d1Persist, { recursive: true, force: true });
  }
}

export default async function tickBench() {
  // The profiles' line numbers point into this bundle: kept beside them, DevTools and frameNamer read them against it.
  if (PROFILE_DIR) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, "tick-worker.js"), await bundle());
  }
  const clock = { now: Date.UTC(2026, 3, 14, 12, 0) };
  const emulator = await startEmulator({ now: () => clock.now });
  const rows: SizeRow[] = [];
  try {
    for (const n of SIZES) rows.push(await measureSize(emulator, clock, n));
  } finally {
    await emulator.close();
  }

  console.log(
    "endpoints   tick        wall     subrequests                                              D1 queries (requests)   workerd CPU",
  );
  for (const r of rows) {
    for (const [label, f] of [
      ["first", r.first_tick],
      ["normal", r.normal_tick],
      ["past 200 %", r.action_tick],
    ] as const) {
      const cpu = f === r.normal_tick ? `<= ${r.normal_tick.workerd_cpu_ms ?? "?"} ms` : "";
      console.log(
        `${String(r.endpoints).padStart(9)}   ${label.padEnd(10)}  ${`${f.ms} ms`.padStart(8)} ${`${f.subrequests} (${kinds(f)})`.padEnd(56)} ${`${f.d1_queries} (${f.d1_round_trips})`.padStart(21)}   ${cpu}`,
      );
    }
  }
  for (const r of rows) {
    const c = r.normal_tick.isolate_cpu_ms;
    console.log(
      `tick isolate CPU per normal tick of ${r.endpoints} endpoints (V8 profile, waits excluded): median ${c.median} ms, ` +
        `highest ${c.max} ms (Free allows ${LIMITS.free.cpu_ms} ms; ticks in order: ${c.per_tick.join(", ")}); the profile's deltas summed, waits on I/O included: ${r.normal_tick.isolate_sampled_ms} ms`,
    );
  }
  for (const r of rows) {
    console.log(
      `where a normal tick of ${r.endpoints} endpoints spends its CPU (self time, V8 profile): ` +
        r.normal_tick.hot_spots.map((h) => `${h.fn} ${Math.round(h.share * 100)} %`).join(", "),
    );
  }

  for (const r of rows) {
    console.log(
      `tick isolate CPU of a tick of ${r.endpoints} endpoints in a fresh isolate (one profiled tick, JIT warm-up, catalog fetched): ${r.fresh_isolate.isolate_cpu_ms} ms`,
    );
  }
  for (const r of rows) {
    const a = r.acting_profiled;
    console.log(
      `tick isolate CPU of the next tick past 200 % for ${r.endpoints} endpoints (${a.actions} changes, one profiled tick): ${a.isolate_cpu_ms} ms`,
    );
  }
  for (const r of rows) {
    for (const [label, top] of [
      [`normal tick of ${r.endpoints} endpoints, ms per tick`, r.normal_top],
      [`tick past 200 % of ${r.endpoints} endpoints, ms`, r.acting_profiled.top],
    ] as const) {
      console.log(`top ${TOP} by self time, ${label}:`);
      for (const h of top) console.log(`  ${h.ms.toFixed(2).padStart(6)}  ${(h.share * 100).toFixed(1).padStart(5)} %  ${h.fn}`);
    }
  }

  // Where the Workers limits bind, from what was measured on the largest fleet.
  const big = rows.at(-1) as SizeRow;
  const metrics = big.normal_tick.by_kind.metrics;
  const actions = big.action_tick.actions;
  const perAction = (big.action_tick.d1_queries - big.normal_tick.d1_queries) / Math.max(1, actions);
  const observable = (budget: number) => Math.max(0, budget - metrics - actions - 1) * PAGE;
  const limits = {
    metrics_reads_per_tick: metrics,
    actions_per_tick: actions,
    d1_queries_normal_tick: big.normal_tick.d1_queries,
    d1_queries_per_action: Number(perAction.toFixed(2)),
    d1_queries_action_tick: big.action_tick.d1_queries,
    free_max_endpoints_one_namespace: observable(LIMITS.free.subrequests),
    paid_max_endpoints_one_namespace: observable(LIMITS.paid.subrequests),
  };
  console.log(
    `limits: a tick reads at most ${metrics} open-metrics and makes at most ${actions} changes (the blast radius), so with one namespace and no ` +
      `retries Free's ${LIMITS.free.subrequests} subrequests leave room for ${limits.free_max_endpoints_one_namespace} endpoints ` +
      `(pages of ${PAGE}), Paid's ${LIMITS.paid.subrequests.toLocaleString("en-US")} for ${limits.paid_max_endpoints_one_namespace.toLocaleString("en-US")}; ` +
      `D1: ${limits.d1_queries_normal_tick} queries, ${limits.d1_queries_per_action} more per action, ${limits.d1_queries_action_tick} in a full action tick ` +
      `(Free ${LIMITS.free.d1}, Paid ${LIMITS.paid.d1.toLocaleString("en-US")}).`,
  );

  const summary: SummaryRow[] = rows.flatMap((r) => [
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints, normal: wall time; subrequests; D1 queries (requests); workerd CPU (upper bound)`,
      value: `${r.normal_tick.ms} ms; ${r.normal_tick.subrequests} (${kinds(r.normal_tick)}); ${r.normal_tick.d1_queries} (${r.normal_tick.d1_round_trips}); <= ${r.normal_tick.workerd_cpu_ms ?? "?"} ms`,
      // Listing is paged: observing must cost a page per PAGE endpoints, not a request per endpoint.
      target: `<= ${Math.ceil(r.endpoints / PAGE) + 1} listing subrequests (paged)`,
      ok: Math.max(r.normal_tick.by_kind.list, r.first_tick.by_kind.list) <= Math.ceil(r.endpoints / PAGE) + 1,
    },
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints, past 200 %: wall time; actions; subrequests; D1 queries (requests)`,
      value: `${r.action_tick.ms} ms; ${r.action_tick.actions}; ${r.action_tick.subrequests}; ${r.action_tick.d1_queries} (${r.action_tick.d1_round_trips})`,
    },
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints, normal: the tick isolate's own CPU (V8 profile, waits on I/O and for a CPU excluded; median / highest of ${STEADY_TICKS} ticks of a warm isolate)`,
      value: `${r.normal_tick.isolate_cpu_ms.median} / ${r.normal_tick.isolate_cpu_ms.max} ms`,
      target: `<= ${LIMITS.free.cpu_ms} ms (Free)`,
      ok: r.normal_tick.isolate_cpu_ms.max <= LIMITS.free.cpu_ms,
    },
    {
      metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints: the tick isolate's CPU in a fresh isolate (its first tick: JIT, catalog fetched) / in the next tick past 200 % (${r.acting_profiled.actions} changes)`,
      value: `${r.fresh_isolate.isolate_cpu_ms} / ${r.acting_profiled.isolate_cpu_ms} ms`,
      target: `<= ${LIMITS.free.cpu_ms} ms (Free)`,
      ok: Math.max(r.fresh_isolate.isolate_cpu_ms, r.acting_profiled.isolate_cpu_ms) <= LIMITS.free.cpu_ms,
    },
  ]);
  const hot = (r: SizeRow) =>
    r.normal_top
      .filter((h) => !h.fn.startsWith("("))
      .slice(0, 3)
      .map((h) => `${h.fn.replace(/ \(.*\)$/, "")} ${Math.round(h.share * 100)} %`)
      .join(", ");
  summary.push(
    ...[rows[0], big]
      .filter((r, i, all): r is SizeRow => r !== undefined && all.indexOf(r) === i)
      .map((r) => ({
        metric: `tick, ${r.endpoints.toLocaleString("en-US")} endpoints, normal: where the CPU goes (V8 profile, self time)`,
        value: hot(r),
      })),
    {
      metric: "endpoints one namespace may hold within the subrequest limit, Free / Paid (full metrics and action tick, no retries)",
      value: `${limits.free_max_endpoints_one_namespace} / ${limits.paid_max_endpoints_one_namespace.toLocaleString("en-US")}`,
    },
    {
      metric: "D1 queries in a full action tick (Free allows 50, Paid 1,000)",
      value: String(limits.d1_queries_action_tick),
      target: "<= 50 (Free)",
      ok: limits.d1_queries_action_tick <= LIMITS.free.d1,
    },
  );
  return { sizes: rows, limits, page_size: PAGE, workers_limits: LIMITS, summary };
}
