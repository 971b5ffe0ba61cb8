// The simulator's report per budget: each budget of the policy (the fleet's first), its members in the
// trace, what its members were billed in its period with and without the guardrail, its peak ratio, and
// when the guardrail's ticks raised its levels. A month budget's month-to-date starts with the trace:
// a simulation has no earlier days in its ledger.
import { LEVEL_NAMES, membership, periodBounds } from "../core/index.ts";
import { budgetsOf, type Policy } from "../policy/index.ts";
import type { SimulationResult } from "./result.ts";
import type { SimEvent } from "./tick-worker.ts";
import type { Trace } from "./trace.ts";

type BudgetReport = SimulationResult["budgets"][number];

const usd = (micro: number) => Math.round(micro / 10_000) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

/** One run's per-period spend of one budget. */
class PeriodMeter {
  private period = "";
  private base = 0;
  private last = 0;
  peak = 0;
  total = 0;
  add(period: string, billMicro: number): void {
    if (period !== this.period) {
      this.period = period;
      this.base = this.last;
    }
    this.last = billMicro;
    this.total = billMicro;
    this.peak = Math.max(this.peak, billMicro - this.base);
  }
}

export class BudgetTracker {
  private readonly budgets;
  private readonly members: string[][];
  private readonly meters: Array<{ with: PeriodMeter; without: PeriodMeter }>;
  private readonly crossings: Array<BudgetReport["crossings"]>;
  private readonly reached: Array<Map<string, number>>;

  constructor(policy: Policy, trace: Trace) {
    this.budgets = budgetsOf(policy);
    const endpoints = trace.endpoints.map((e) => ({ id: `${e.namespace}/${e.name}`, tags: e.tags }));
    const of = membership(this.budgets, endpoints);
    this.members = this.budgets.map((_, b) => endpoints.filter((e) => of.get(e.id)?.includes(b)).map((e) => e.id));
    this.meters = this.budgets.map(() => ({ with: new PeriodMeter(), without: new PeriodMeter() }));
    this.crossings = this.budgets.map(() => []);
    this.reached = this.budgets.map(() => new Map());
  }

  /** After a step ending at `at` (a point at midnight closes the period before it): each endpoint's bill so far per run. */
  step(at: number, bills: { with: ReadonlyMap<string, number>; without: ReadonlyMap<string, number> }): void {
    this.budgets.forEach((b, i) => {
      const period = periodBounds(b.period, at - 1, b.timezone).period;
      const sum = (m: ReadonlyMap<string, number>) => (this.members[i] as string[]).reduce((s, id) => s + (m.get(id) ?? 0), 0);
      const meter = this.meters[i] as { with: PeriodMeter; without: PeriodMeter };
      meter.with.add(period, sum(bills.with));
      meter.without.add(period, sum(bills.without));
    });
  }

  /** A tick's events: a named budget's budget_level alert (the fleet's are the ones without a budget) is a crossing. */
  absorb(now: number, events: readonly SimEvent[]): void {
    for (const e of events) {
      if (e.type !== "alert" || e.kind !== "budget_level" || e.level === null) continue;
      const i = this.budgets.findIndex((b, j) => (e.budget === null ? j === 0 : b.name === e.budget));
      if (i < 0) continue;
      const b = this.budgets[i] as (typeof this.budgets)[number];
      const period = periodBounds(b.period, now, b.timezone).period;
      const reached = this.reached[i] as Map<string, number>;
      if (e.level <= (reached.get(period) ?? 0)) continue;
      reached.set(period, e.level);
      (this.crossings[i] as BudgetReport["crossings"]).push({ level: LEVEL_NAMES[e.level] as string, at: iso(now) });
    }
  }

  report(): BudgetReport[] {
    return this.budgets.map((b, i) => {
      const m = this.meters[i] as { with: PeriodMeter; without: PeriodMeter };
      const amount = b.amountUsd * 1e6;
      return {
        name: b.name,
        period: b.period,
        amount_usd: b.amountUsd,
        members: this.members[i] as string[],
        spend_without_usd: usd(m.without.total),
        spend_with_usd: usd(m.with.total),
        peak_ratio: Number((m.with.peak / amount).toFixed(4)),
        crossings: this.crossings[i] as BudgetReport["crossings"],
      };
    });
  }
}
