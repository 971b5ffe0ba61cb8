// Engine: one decision (the pure planner, `plan`) for 10, 100, 1,000 and 10,000 endpoints, median time.
// Two cases: a normal tick (spend under the first threshold) and the worst case (spend past 200 %, so
// every rung is evaluated and an action planned for every eligible endpoint). Target: 1,000 endpoints
// under 5 ms; growth close to linear.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BudgetsInput, evaluateBudgets, hourlyBurn, plan } from "../src/core/index.ts";
import type { Observation } from "../src/core/types.ts";
import { type BudgetSpec, budgetsOf, validatePolicy } from "../src/policy/index.ts";
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

interface SizeRow {
  endpoints: number;
  normal_ms: number;
  shutdown_ms: number;
  actions: number;
}

function measure(sizes: number[]): SizeRow[] {
  return sizes.map((n) => {
    const policy = policyFor(n);
    const base = {
      policy,
      day: "2026-04-14",
      observations: fleet(n),
      previousLevel: 0 as const,
      routes: new Map(),
      doneKeys: new Set<string>(),
    };
    const normal = median(() => plan({ ...base, spendMicro: 500_000_000 }));
    let actions = 0;
    const shutdown = median(() => {
      actions = plan({ ...base, spendMicro: 2_500_000_000 }).actions.length;
    });
    return { endpoints: n, normal_ms: Number(normal.ms.toFixed(4)), shutdown_ms: Number(shutdown.ms.toFixed(4)), actions };
  });
}

/**
 * The worst case again in a child Node with a 64 MB young generation: how much of its growth is V8's
 * collector copying the thousands of actions a decision keeps alive, rather than the planner's work.
 */
function measureWithLargeYoungGeneration(): SizeRow[] | null {
  const res = spawnSync(process.execPath, ["--max-semi-space-size=64", "--import", "tsx", fileURLToPath(import.meta.url), CHILD_FLAG], {
    encoding: "utf8",
    timeout: 300_000,
  });
  const line = res.stdout?.split("\n").find((l) => l.startsWith("["));
  return res.status === 0 && line ? (JSON.parse(line) as SizeRow[]) : null;
}

/**
 * Several budgets: the fleet budget and `budgets - 1` team budgets (month budgets by tag with each
 * pacing, day budgets by namespace, budgets by endpoint list), over a fleet whose endpoints carry team
 * tags, with the month's earlier days and the hourly-burn window as inputs: what a tick hands the core.
 */
function budgetsInput(n: number, count: number): BudgetsInput {
  const observations = fleet(n).map((o, i) => ({ ...o, tags: [`team-${i % 16}`, i % 2 === 0 ? "prod" : "dev"] }));
  const ids = observations.map((o) => o.id);
  const entries = Array.from({ length: count - 1 }, (_, k) => {
    const kind = k % 4;
    if (kind === 0 || kind === 1) {
      return {
        name: `month-${k}`,
        period: "month" as const,
        amount_usd: 20_000,
        timezone: "UTC",
        pacing: kind === 0 ? ("remaining" as const) : ("even" as const),
        ...(kind === 1 ? { rollover: true } : {}),
        scope: { tags: [`team-${k % 16}`] },
      };
    }
    if (kind === 2) return { name: `day-${k}`, period: "day" as const, amount_usd: 400, scope: { namespaces: [`org-${k % 3}`] } };
    return {
      name: `list-${k}`,
      period: "day" as const,
      amount_usd: 150,
      scope: { endpoints: ids.filter((_, i) => i % 20 === k % 20).slice(0, 50) },
    };
  });
  const res = validatePolicy({
    budget: { daily_usd: 1000, timezone: "UTC" },
    hf: { namespaces: ["org-0", "org-1", "org-2"] },
    budgets: entries,
  });
  if (!res.ok) throw new Error(JSON.stringify(res.issues));
  const budgets: BudgetSpec[] = budgetsOf(res.policy);
  const earlier = new Map(Array.from({ length: 13 }, (_, d) => [`2026-04-${String(d + 1).padStart(2, "0")}`, 900_000_000]));
  return {
    budgets,
    now: Date.UTC(2026, 3, 14, 15),
    endpoints: observations.map((o) => ({ id: o.id, tags: o.tags, burnMicroPerHour: hourlyBurn(o) })),
    todayByEndpoint: new Map(observations.map((o, i) => [o.id, 1_000_000 * (1 + (i % 30))])),
    earlierDays: new Map(budgets.filter((b) => b.period === "month").map((b) => [b.name, earlier])),
    window: { byEndpoint: new Map(observations.map((o) => [o.id, hourlyBurn(o)])), minutes: 60, budgetDivisor: 24 },
  };
}

interface BudgetRow {
  endpoints: number;
  budgets: number;
  ms: number;
}

function measureBudgets(): BudgetRow[] {
  return [
    [1_000, 20],
    [10_000, 20],
    [1_000, 200],
  ].map(([n, count]) => {
    const input = budgetsInput(n as number, count as number);
    return { endpoints: n as number, budgets: count as number, ms: Number(median(() => evaluateBudgets(input)).ms.toFixed(4)) };
  });
}

const CHILD_FLAG = "--engine-bench-child";
/** Close to linear: ten times the endpoints cost at most twenty times the time (sorting the plan alone is n log n: x13). */
const LINEAR = { max: 20, label: "<= x20 (linear: x10)" };
if (process.argv.includes(CHILD_FLAG)) console.log(JSON.stringify(measure([1_000, 10_000])));

export default async function engineBench() {
  const rows = measure(SIZES);
  console.log("endpoints   normal tick   past 200 %   actions planned   µs per endpoint (past 200 %)");
  for (const r of rows) {
    console.log(
      `${String(r.endpoints).padStart(9)}   ${`${r.normal_ms.toFixed(3)} ms`.padStart(11)}   ${`${r.shutdown_ms.toFixed(3)} ms`.padStart(10)}   ${String(r.actions).padStart(15)}   ${((r.shutdown_ms * 1000) / r.endpoints).toFixed(2)}`,
    );
  }
  const at = (xs: SizeRow[], n: number) => xs.find((r) => r.endpoints === n) as SizeRow;
  const growth = (xs: SizeRow[], key: "normal_ms" | "shutdown_ms") => at(xs, 10_000)[key] / at(xs, 1_000)[key];
  const large = measureWithLargeYoungGeneration();
  const gcAside = large ? growth(large, "shutdown_ms") : null;
  console.log(
    `growth from 1,000 to 10,000 endpoints (linear: x10): normal x${growth(rows, "normal_ms").toFixed(1)}, past 200 % ` +
      `x${growth(rows, "shutdown_ms").toFixed(1)}, past 200 % with a 64 MB young generation x${gcAside?.toFixed(1) ?? "?"}`,
  );
  const budgetRows = measureBudgets();
  const budgetAt = (n: number, count: number) => budgetRows.find((r) => r.endpoints === n && r.budgets === count) as BudgetRow;
  const base = budgetAt(1_000, 20);
  const byEndpoints = budgetAt(10_000, 20).ms / base.ms;
  const byBudgets = budgetAt(1_000, 200).ms / base.ms;
  console.log("endpoints   budgets   budget decision   ns per endpoint x budget");
  for (const r of budgetRows) {
    console.log(
      `${String(r.endpoints).padStart(9)}   ${String(r.budgets).padStart(7)}   ${`${r.ms.toFixed(3)} ms`.padStart(15)}   ${((r.ms * 1e6) / (r.endpoints * r.budgets)).toFixed(1)}`,
    );
  }
  const summary: SummaryRow[] = [
    {
      metric: "budget decision (evaluateBudgets), 1,000 endpoints in 20 budgets (median)",
      value: `${base.ms.toFixed(3)} ms`,
      target: "< 5 ms",
      ok: base.ms < 5,
    },
    {
      metric: "budget decision growth, x10 endpoints / x10 budgets (from 1,000 x 20)",
      value: `x${byEndpoints.toFixed(1)} / x${byBudgets.toFixed(1)}`,
      target: LINEAR.label,
      ok: byEndpoints <= LINEAR.max && byBudgets <= LINEAR.max,
    },
    ...rows.map((r) => ({
      metric: `decision, ${r.endpoints.toLocaleString("en-US")} endpoints (median; normal / past 200 %)`,
      value: `${r.normal_ms.toFixed(3)} / ${r.shutdown_ms.toFixed(3)} ms`,
      ...(r.endpoints === 1_000 ? { target: "< 5 ms, both", ok: r.normal_ms < 5 && r.shutdown_ms < 5 } : {}),
    })),
    {
      metric: "decision growth, 1,000 -> 10,000 endpoints: normal",
      value: `x${growth(rows, "normal_ms").toFixed(1)}`,
      target: LINEAR.label,
      ok: growth(rows, "normal_ms") <= LINEAR.max,
    },
    {
      metric: "decision growth, 1,000 -> 10,000 endpoints: past 200 % (with a 64 MB young generation)",
      value: `x${growth(rows, "shutdown_ms").toFixed(1)} (x${gcAside?.toFixed(1) ?? "?"})`,
      target: LINEAR.label,
      ok: gcAside !== null && gcAside <= LINEAR.max,
    },
  ];
  return {
    sizes: rows,
    budgets: budgetRows,
    growth_normal: Number(growth(rows, "normal_ms").toFixed(2)),
    growth_past_200: Number(growth(rows, "shutdown_ms").toFixed(2)),
    growth_past_200_large_young_generation: gcAside === null ? null : Number(gcAside.toFixed(2)),
    large_young_generation: large,
    summary,
  };
}
