// Engine: one decision (the pure planner, `plan`) for 10, 100, 1,000 and 10,000 endpoints, median time.
// Two cases: a normal tick (spend under the first threshold) and the worst case (spend past 200 %, so
// every rung is evaluated and an action planned for every eligible endpoint). Target: 1,000 endpoints
// under 5 ms; growth close to linear.
import { plan } from "../src/core/index.ts";
import type { Observation } from "../src/core/types.ts";
import { validatePolicy } from "../src/policy/index.ts";
import type { SummaryRow } from "./run.ts";

const SIZES = [10, 100, 1_000, 10_000];
const HARDWARE = [
  { instanceType: "nvidia-a100", price: 2_500_000, accelerator: "gpu" },
  { instanceType: "nvidia-l4", price: 800_000, accelerator: "gpu" },
  { instanceType: "nvidia-a10g", price: 1_000_000, accelerator: "gpu" },
  { instanceType: "intel-spr", price: 67_000, accelerator: "cpu" },
];

function fleet(n: number): Observation[] {
  return Array.from({ length: n }, (_, i) => {
    const hw = HARDWARE[i % HARDWARE.length] as (typeof HARDWARE)[number];
    const replicas = 1 + (i % 4);
    return {
      namespace: `org-${i % 3}`,
      name: `endpoint-${i}`,
      id: `org-${i % 3}/endpoint-${i}`,
      state: "running",
      readyReplica: replicas,
      targetReplica: replicas,
      minReplica: 1,
      maxReplica: 6,
      scaleToZeroTimeout: null,
      vendor: "aws",
      region: "us-east-1",
      accelerator: hw.accelerator,
      instanceType: hw.instanceType,
      instanceSize: "x1",
      computeId: null,
      url: null,
      updatedAt: null,
      updatedBy: null,
      priceMicroPerHour: hw.price,
    };
  });
}

function policyFor(n: number) {
  const endpoints: Record<string, { critical?: boolean; fallback?: string }> = { defaults: { critical: false } };
  // One in ten critical, one in five with a fallback: the planner's per-endpoint settings lookups are exercised.
  for (let i = 0; i < n; i += 10) endpoints[`org-${i % 3}/endpoint-${i}`] = { critical: true };
  for (let i = 5; i < n; i += 5) endpoints[`org-${i % 3}/endpoint-${i}`] = { fallback: "https://fallback.example/v1" };
  const res = validatePolicy({
    mode: "enforce",
    budget: { daily_usd: 1000, timezone: "UTC" },
    hf: { namespaces: ["org-0", "org-1", "org-2"] },
    endpoints,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  return res.policy;
}

/** Median wall time of repeated runs: at least 15 samples and about 300 ms of work, after a warm-up. */
function median(fn: () => void): { ms: number; samples: number } {
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  const until = performance.now() + 300;
  while (times.length < 15 || (performance.now() < until && times.length < 500)) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] as number, samples: times.length };
}

export default async function engineBench() {
  const rows: Array<{ endpoints: number; normal_ms: number; shutdown_ms: number; actions: number; us_per_endpoint: number }> = [];
  for (const n of SIZES) {
    const policy = policyFor(n);
    const observations = fleet(n);
    const base = { policy, day: "2026-04-14", observations, previousLevel: 0 as const, routes: new Map(), doneKeys: new Set<string>() };
    const normal = median(() => plan({ ...base, spendMicro: 500_000_000 }));
    let actions = 0;
    const shutdown = median(() => {
      actions = plan({ ...base, spendMicro: 2_500_000_000 }).actions.length;
    });
    rows.push({
      endpoints: n,
      normal_ms: Number(normal.ms.toFixed(4)),
      shutdown_ms: Number(shutdown.ms.toFixed(4)),
      actions,
      us_per_endpoint: Number(((shutdown.ms * 1000) / n).toFixed(3)),
    });
  }
  console.log("endpoints   normal tick   past 200 %   actions planned   µs per endpoint (past 200 %)");
  for (const r of rows) {
    console.log(
      `${String(r.endpoints).padStart(9)}   ${`${r.normal_ms.toFixed(3)} ms`.padStart(11)}   ${`${r.shutdown_ms.toFixed(3)} ms`.padStart(10)}   ${String(r.actions).padStart(15)}   ${r.us_per_endpoint.toFixed(2)}`,
    );
  }
  const at = (n: number) => rows.find((r) => r.endpoints === n) as (typeof rows)[number];
  const growth = at(10_000).shutdown_ms / at(1_000).shutdown_ms;
  const worst1000 = Math.max(at(1_000).normal_ms, at(1_000).shutdown_ms);
  console.log(`growth from 1,000 to 10,000 endpoints: x${growth.toFixed(1)} (linear: x10)`);
  const summary: SummaryRow[] = [
    ...rows.map((r) => ({
      metric: `decision, ${r.endpoints.toLocaleString("en-US")} endpoints (median; normal / past 200 %)`,
      value: `${r.normal_ms.toFixed(3)} / ${r.shutdown_ms.toFixed(3)} ms`,
      ...(r.endpoints === 1_000 ? { target: "< 5 ms", ok: worst1000 < 5 } : {}),
    })),
    {
      metric: "decision growth, 1,000 -> 10,000 endpoints",
      value: `x${growth.toFixed(1)}`,
      target: "close to x10 (linear)",
      ok: growth < 15,
    },
  ];
  return { sizes: rows, growth_1000_to_10000: Number(growth.toFixed(2)), summary };
}
