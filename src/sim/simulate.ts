// The simulator: replays a trace against the emulator's fleet twice on a virtual clock, once with no
// guardrail and once with the real guard tick (runTick inside workerd, real D1, real HF client over
// HTTP) every tick interval, and summarises what the guardrail saved and did.

import type { Level } from "../core/index.ts";
import { budgetDay, LEVEL_NAMES, microToUsd, thresholdOf, usdToMicro } from "../core/index.ts";
import { type ClosedRun, type EndpointSpec, type PriceSpec, startEmulator } from "../fakes/index.ts";
import { type Policy, serviceFollowing } from "../policy/index.ts";
import { BudgetTracker } from "./budgets.ts";
import { endpointId, FleetModel, type RouteState, steadyReplicas, type TrafficFigures } from "./fleet-model.ts";
import type { SimulationResult } from "./result.ts";
import { seeded } from "./scenarios/shapes.ts";
import { startTickHost, type TickHost } from "./tick-host.ts";
import type { SimTick } from "./tick-worker.ts";
import { type Trace, type TraceEndpoint, traceProblems, traceStart, traceSteps } from "./trace.ts";

const SIM_TOKEN = "hf_sim_token";

/**
 * The instant inside each step at which the fleet reacts to that step's traffic, as a share of the step:
 * a wake follows the step's first request, a scale-down or the start of the idle timer its last, and
 * neither is aligned with the guardrail's cron, which fires on the minute. Drawn from a fixed seed, the
 * same for the run without and the run with the guardrail, so the two runs see the same world and a
 * simulation is repeatable. (Reacting right at the step's start, as the model once did, put every wake
 * just after a tick and every scale-to-zero on one: a worst case for any estimate made from two
 * observations a minute apart, not a property of HF; docs/metering.md.)
 */
export function reactionShares(steps: number, seed = 0x5eed): number[] {
  const random = seeded(seed);
  return Array.from({ length: steps }, () => random());
}

export interface SimulateOptions {
  policy: Policy;
  trace: Trace;
  /** minutes between guard ticks; default 1 (the cron runs every minute) */
  tickMinutes?: number;
  /** simulate only the first N steps of the trace */
  steps?: number;
  /**
   * seed of the instants inside each step at which the fleet reacts (reactionShares); another seed is
   * another day of the same traffic, as the bench does to measure across days. Default 0x5eed.
   */
  reactionSeed?: number;
  /**
   * When inside each step the fleet reacts. `per_step` (default): at an instant drawn anew for every
   * step. `fixed`: at one instant of the minute all day (drawn from `reactionSeed`), as a control loop
   * that runs "every minute" (HF's autoscaling guide) keeps its phase. In `fixed`, every replica run
   * lasts whole minutes, so per-minute rounding adds nothing; docs/metering.md, "The world the
   * simulator assumes", measures the estimate in both.
   */
  reactionPhase?: "per_step" | "fixed";
  /** called after each step of the run with the guardrail */
  onProgress?: (done: number, total: number) => void;
}

/** One run's state at the end of a step. */
export interface RunPoint {
  /** the bill since the trace started, micro-USD */
  billMicro: number;
  /** the bill of the current budget day so far, micro-USD */
  dayMicro: number;
  demandRps: number;
  servedRps: number;
  failedRps: number;
  billableReplicas: number;
  /** billable replicas per endpoint id */
  replicas: Record<string, number>;
}

export interface StepRecord {
  /** end of the step, ms */
  at: number;
  day: string;
  without: RunPoint;
  with: RunPoint;
  /** the guardrail's own view after its latest tick */
  meteredMicro: number | null;
  /** the standard error the guardrail gave that figure */
  standardErrorMicro: number | null;
  /** the spend its pause could act on after that tick (metering.pause_margin_sigmas standard errors below the estimate) */
  confirmedSpendMicro: number | null;
  /** the burn its latest observation showed, micro-USD per hour (the pause also needs one) */
  burnMicroPerHour: number | null;
  /** the budget day's replica time (with the guardrail) charged continuously, without per-minute rounding */
  continuousDayMicro: number;
  level: number;
}

export interface BillCrossing {
  level: Exclude<Level, 0>;
  day: string;
  /** interpolated instant the budget day's bill reached the threshold */
  at: number;
}

export interface ShutdownResponse {
  day: string;
  /** when the bill crossed the shutdown threshold (interpolated within the step) */
  crossedAt: number;
  /** first pause carried out at or after the crossing; null if none */
  pausedAt: number | null;
  overshootUsd: number;
  /** burn at the crossing over one tick interval, USD: the overshoot target */
  tickBurnUsd: number;
}

export interface Simulation {
  result: SimulationResult;
  records: StepRecord[];
  start: number;
  stepMs: number;
  tickMs: number;
  ticks: number;
  billCrossings: { without: BillCrossing[]; with: BillCrossing[] };
  shutdowns: ShutdownResponse[];
  coldStartsWithout: number;
  /** every replica run of the fleet alone (the run without the guardrail) that ended: when it started and stopped */
  runsWithout: readonly ClosedRun[];
  /** ticks whose outcome was not ok (policy invalid, blind, partial, error), with the first such outcome */
  tickProblems: Array<{ at: number; outcome: string }>;
  tickStats: { maxSubrequests: number; maxD1Queries: number; medianMs: number };
}

function initialReplicas(e: TraceEndpoint): number {
  const demand = e.demand_rps[0] ?? 0;
  if (demand === 0 && e.min_replicas === 0 && e.scale_to_zero_timeout_minutes !== null) return 0;
  return steadyReplicas(demand, e.capacity_rps_per_replica, e.min_replicas, e.max_replicas);
}

function specOf(e: TraceEndpoint): EndpointSpec {
  return {
    name: e.name,
    instanceType: e.instance_type,
    instanceSize: e.instance_size,
    minReplica: e.min_replicas,
    maxReplica: e.max_replicas,
    replicas: initialReplicas(e),
    ...(e.scale_to_zero_timeout_minutes === null ? {} : { scaleToZeroTimeout: e.scale_to_zero_timeout_minutes }),
    ...(e.tags ? { tags: e.tags } : {}),
    startupMs: e.cold_start_minutes * 60_000,
  };
}

/** One run: an emulator on its own virtual clock, the fleet model, and (with the guardrail) the tick host. */
async function startRun(trace: Trace, start: number, lead: number, recordRuns = false) {
  // The fleet is up a moment (`lead` ms, less than a minute) before the first tick, so its replicas'
  // minutes do not start exactly on the guardrail's cron either; the bill counts from `start`.
  const clock = { now: start - lead };
  const emulator = await startEmulator({ now: () => clock.now, token: SIM_TOKEN, recordRuns });
  const namespaces = [...new Set(trace.endpoints.map((e) => e.namespace))];
  const prices: PriceSpec[] = trace.endpoints.map((e) => ({
    instanceType: e.instance_type,
    instanceSize: e.instance_size,
    pricePerHour: e.price_per_hour,
  }));
  for (const ns of namespaces) {
    emulator.reset(ns, { endpoints: trace.endpoints.filter((e) => e.namespace === ns).map(specOf), prices });
  }
  const model = new FleetModel(
    emulator,
    trace.endpoints.map((e) => ({ namespace: e.namespace, name: e.name, capacityRps: e.capacity_rps_per_replica })),
  );
  const totalBill = () => namespaces.reduce((sum, ns) => sum + emulator.cost(ns).totalMicroUsd, 0);
  // The same replica time charged continuously, without HF's per-minute rounding: how much of a gap
  // between the metered figure and the bill is the rounding's.
  const price = new Map(trace.endpoints.map((e) => [`${e.namespace}/${e.name}`, e.price_per_hour * 1e6]));
  const totalContinuous = () =>
    namespaces.reduce((sum, ns) => {
      const c = emulator.cost(ns);
      return sum + Object.entries(c.endpoints).reduce((s, [name, x]) => s + (x.replicaMinutes / 60) * (price.get(`${ns}/${name}`) ?? 0), 0);
    }, 0);
  /** each endpoint's bill so far, by namespace/name */
  const totalBills = () =>
    new Map(
      namespaces.flatMap((ns) => Object.entries(emulator.cost(ns).endpoints).map(([name, c]) => [`${ns}/${name}`, c.microUsd] as const)),
    );
  clock.now = start;
  const [bill0, continuous0, bills0] = [totalBill(), totalContinuous(), totalBills()];
  const bill = () => totalBill() - bill0;
  const continuous = () => totalContinuous() - continuous0;
  const bills = () => new Map([...totalBills()].map(([id, micro]) => [id, micro - (bills0.get(id) ?? 0)]));
  return { clock, emulator, model, bill, continuous, bills };
}

function pointOf(figures: Map<string, TrafficFigures>, billMicro: number, dayMicro: number): RunPoint {
  const p: RunPoint = { billMicro, dayMicro, demandRps: 0, servedRps: 0, failedRps: 0, billableReplicas: 0, replicas: {} };
  for (const [id, f] of figures) {
    p.demandRps += f.demandRps;
    p.servedRps += f.servedRps;
    p.failedRps += f.failedRps;
    p.billableReplicas += f.billableReplicas;
    p.replicas[id] = f.billableReplicas;
  }
  return p;
}

/**
 * Prompt and completion tokens of one rerouted request, for a token-priced fallback outside the fleet
 * (HF Inference Providers): a short chat turn. Only the simulator assumes it; the gateway reads real usage.
 */
export const SIM_TOKENS_PER_REQUEST = { input: 500, output: 200 } as const;

/**
 * Each service's token-priced spend in the current budget day, as the gateway's cap check reads it
 * (`services.<name>.budget.daily_cap_usd`); a new budget day starts from zero.
 */
export class ServiceTokenSpend {
  private day = "";
  private readonly micro = new Map<string, number>();

  constructor(private readonly timezone: string) {}

  /** spend of `service` in the budget day of the step starting at `at` */
  spent(service: string, at: number): number {
    this.roll(at);
    return this.micro.get(service) ?? 0;
  }

  add(service: string, at: number, micro: number): void {
    this.roll(at);
    this.micro.set(service, (this.micro.get(service) ?? 0) + micro);
  }

  private roll(at: number): void {
    const day = budgetDay(at, this.timezone);
    if (day === this.day) return;
    this.day = day;
    this.micro.clear();
  }
}

/**
 * Micro-USD a step's rerouted traffic costs at token-priced fallbacks outside the fleet: traffic
 * moves only where a service carries it (the planner reroutes nothing else), and is billed. As the
 * gateway does, a service that refuses at exhaustion gets 429 past the shutdown level, and past its
 * own daily cap once `caps` says what it spent today (the step's spend stops at the cap).
 */
export function tokenSpendOfStep(
  policy: Policy,
  routes: ReadonlyMap<string, RouteState>,
  figures: ReadonlyMap<string, TrafficFigures>,
  stepMs: number,
  level: number,
  caps?: { spend: ServiceTokenSpend; at: number },
): number {
  let micro = 0;
  for (const [id, route] of routes) {
    if (route.mode === "primary" || !route.fallback || figures.has(route.fallback)) continue;
    const followed = serviceFollowing(policy.services, id);
    const service = followed?.service;
    // Past the shutdown level the gateway refuses a non-critical service's token-priced traffic (429).
    if (!followed || !service || (level >= 3 && service.budget.on_exhausted === "refuse")) continue;
    const pricing = service.fallback.pricing;
    const rerouted = figures.get(id)?.reroutedRps ?? 0;
    if (!pricing || pricing.input_usd_per_million === null || pricing.output_usd_per_million === null || rerouted <= 0) continue;
    const perRequest =
      SIM_TOKENS_PER_REQUEST.input * pricing.input_usd_per_million + SIM_TOKENS_PER_REQUEST.output * pricing.output_usd_per_million;
    let step = rerouted * (stepMs / 1000) * perRequest;
    const cap = service.budget.daily_cap_usd;
    if (caps && cap !== null && service.budget.on_exhausted === "refuse") {
      // Past its daily cap the service's token-priced requests get 429 budget_exhausted.
      step = Math.max(0, Math.min(step, usdToMicro(cap) - caps.spend.spent(followed.name, caps.at)));
    }
    if (caps) caps.spend.add(followed.name, caps.at, step);
    micro += step;
  }
  return micro;
}

/** Keeps a budget day's bill: the bill minus what it was when the day began. */
function dayMeter(tz: string, start: number) {
  let day = budgetDay(start, tz);
  let base = 0;
  let last = 0;
  return (at: number, bill: number): { day: string; dayMicro: number } => {
    // A point at exactly midnight closes the previous day.
    const d = budgetDay(at - 1, tz);
    if (d !== day) {
      day = d;
      base = last;
    }
    last = bill;
    return { day, dayMicro: bill - base };
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What the guardrail's ticks saw and did, gathered tick by tick. */
class TickLog {
  readonly crossings: SimulationResult["crossings"] = [];
  readonly actions: SimulationResult["actions"] = [];
  readonly alerts: SimulationResult["alerts"] = [];
  /** instants of pauses carried out */
  readonly pauses: number[] = [];
  readonly problems: Simulation["tickProblems"] = [];
  /** the guardrail's reroutes, which the fleet model applies to the traffic */
  readonly routes = new Map<string, RouteState>();
  private readonly durations: number[] = [];
  private readonly dayLevels = new Map<string, number>();
  ticks = 0;
  maxSubrequests = 0;
  maxD1Queries = 0;
  /** the guardrail's own figure for today's spend, after its latest tick */
  metered: number | null = null;
  /** its standard error */
  standardError: number | null = null;
  /** the spend its pause could act on, and the burn it saw */
  confirmed: number | null = null;
  burn: number | null = null;
  /** the level reached today, after the latest tick */
  level = 0;

  constructor(private readonly tz: string) {}

  absorb(now: number, tick: SimTick): void {
    this.ticks++;
    this.durations.push(tick.ms);
    this.maxSubrequests = Math.max(this.maxSubrequests, tick.subrequests);
    this.maxD1Queries = Math.max(this.maxD1Queries, tick.d1Queries);
    if (tick.outcome !== "ok" && tick.outcome !== "skipped") this.problems.push({ at: now, outcome: tick.outcome });
    this.metered = tick.spendMicro;
    this.standardError = tick.standardErrorMicro;
    this.confirmed = tick.confirmedSpendMicro;
    this.burn = tick.burnMicroPerHour;
    const day = budgetDay(now, this.tz);
    const before = this.dayLevels.get(day) ?? 0;
    if (tick.level !== null && tick.level > before) {
      for (let l = before + 1; l <= tick.level; l++) this.crossings.push({ level: LEVEL_NAMES[l] as string, at: iso(now) });
      this.dayLevels.set(day, tick.level);
    }
    this.level = this.dayLevels.get(day) ?? 0;
    for (const a of tick.actions) {
      this.actions.push({ at: iso(now), action: a.kind, endpoint: a.endpoint, reason: a.reason });
      if (a.status !== "applied") continue;
      if (a.kind === "pause") this.pauses.push(now);
      const change = a.change as { type?: string; mode?: RouteState["mode"]; fallback?: string | null };
      if (change.type === "route" && change.mode) this.routes.set(a.endpoint, { mode: change.mode, fallback: change.fallback ?? null });
    }
    for (const e of tick.events) if (e.type === "alert") this.alerts.push({ at: iso(now), kind: e.kind, endpoint: e.endpoint });
  }

  medianMs(): number {
    const sorted = [...this.durations].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  }
}

export async function simulate(options: SimulateOptions): Promise<Simulation> {
  const { trace } = options;
  // A gap is five missed ticks (docs/metering.md): at a coarser tick than the cron's minute, the gap
  // grows with it, or every interval would be a gap and the pause would never be confirmed.
  const tickMinutes = options.tickMinutes ?? 1;
  const gap = Math.max(options.policy.metering.gap_minutes, Math.min(1440, Math.ceil(5 * tickMinutes)));
  const policy: Policy = { ...options.policy, metering: { ...options.policy.metering, gap_minutes: gap } };
  const problems = traceProblems(trace, policy);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const start = traceStart(trace);
  const stepMs = trace.step_seconds * 1000;
  const total = Math.min(options.steps ?? traceSteps(trace), traceSteps(trace));
  const tickMs = Math.max((options.tickMinutes ?? 1) * 60_000, 1);
  const tz = policy.budget.timezone;
  const budgetMicro = usdToMicro(policy.budget.daily_usd);
  const demandAt = (k: number) => new Map(trace.endpoints.map((e) => [endpointId(e), e.demand_rps[k] ?? 0]));

  // Without the guardrail: the fleet alone.
  const reaction = reactionShares(total + 1, options.reactionSeed);
  const shareOf = (k: number) => reaction[options.reactionPhase === "fixed" ? 1 : k + 1] ?? 0;
  const reactAt = (k: number) => start + k * stepMs + Math.floor(shareOf(k) * stepMs);
  // In the `fixed` world the fleet came up at the same instant of its minute as everything it does after.
  const leadStep = Math.min(stepMs, 60_000);
  const lead =
    options.reactionPhase === "fixed"
      ? Math.max(1, leadStep - Math.floor(shareOf(0) * leadStep))
      : Math.max(1, Math.floor((reaction[0] ?? 0) * leadStep));
  const bare = await startRun(trace, start, lead, true);
  const bareDay = dayMeter(tz, start);
  const withoutPoints: RunPoint[] = [];
  const withoutBills: Array<Map<string, number>> = [];
  try {
    for (let k = 0; k < total; k++) {
      // The model keeps its cadence on the step grid; the emulator sees its changes at the reaction instant.
      bare.clock.now = reactAt(k);
      const figures = bare.model.step(start + k * stepMs, stepMs, demandAt(k));
      bare.clock.now = start + (k + 1) * stepMs;
      withoutBills.push(bare.bills());
      const bill = bare.bill();
      withoutPoints.push(pointOf(figures, bill, bareDay(bare.clock.now, bill).dayMicro));
    }
  } finally {
    await bare.emulator.close();
  }

  // With the guardrail: the same fleet, and a guard tick every tickMs (at the step's start, as the cron
  // fires on the minute; the fleet reacts to the step's traffic later in the step).
  const run = await startRun(trace, start, lead);
  const log = new TickLog(tz);
  const budgets = new BudgetTracker(policy, trace);
  const records: StepRecord[] = [];
  let host: TickHost | undefined;
  try {
    host = await startTickHost({ hfBase: run.emulator.url, hfToken: SIM_TOKEN });
    const withDay = dayMeter(tz, start);
    const continuousDay = dayMeter(tz, start);
    let nextTick = start;
    /** what rerouted traffic cost at token-priced fallbacks so far: billed with the fleet */
    let tokenMicro = 0;
    let tokenFlushed = 0;
    const serviceSpend = new ServiceTokenSpend(tz);
    for (let k = 0; k < total; k++) {
      const now = start + k * stepMs;
      if (now >= nextTick) {
        // What the gateway would have flushed since the last tick: the guardrail's ledger sees it, as in production.
        const flushed = Math.floor(tokenMicro) - tokenFlushed;
        tokenFlushed += flushed;
        const rows =
          flushed > 0
            ? [
                {
                  minute: now - (now % 60_000) - 60_000,
                  service: "sim",
                  target: "fallback",
                  endpoint: "sim",
                  name: "spend_micro:sim",
                  value: flushed,
                },
              ]
            : [];
        const tick = await host.tick(now, policy, rows);
        log.absorb(now, tick);
        budgets.absorb(now, tick.events);
        nextTick = now + tickMs;
      }
      run.clock.now = reactAt(k);
      const figures = run.model.step(now, stepMs, demandAt(k), log.routes);
      run.clock.now = now + stepMs;
      tokenMicro += tokenSpendOfStep(policy, log.routes, figures, stepMs, log.level, { spend: serviceSpend, at: now });
      const bill = run.bill() + Math.round(tokenMicro);
      const { day, dayMicro } = withDay(run.clock.now, bill);
      budgets.step(run.clock.now, { with: run.bills(), without: withoutBills[k] as Map<string, number> });
      const without = withoutPoints[k] as RunPoint;
      records.push({
        at: run.clock.now,
        day,
        without,
        with: pointOf(figures, bill, dayMicro),
        meteredMicro: log.metered,
        standardErrorMicro: log.standardError,
        confirmedSpendMicro: log.confirmed,
        burnMicroPerHour: log.burn,
        continuousDayMicro: continuousDay(run.clock.now, run.continuous()).dayMicro,
        level: log.level,
      });
      options.onProgress?.(k + 1, total);
    }
  } finally {
    await host?.close();
    await run.emulator.close();
  }

  const billCrossings = {
    without: crossingsOf(records, "without", start, policy, budgetMicro),
    with: crossingsOf(records, "with", start, policy, budgetMicro),
  };
  const shutdowns = shutdownResponses(records, billCrossings.with, log.pauses, budgetMicro, policy, stepMs, tickMs);
  const last = records.at(-1);
  const peakDay = records.reduce((m, r) => Math.max(m, r.with.dayMicro), 0);
  return {
    result: {
      spend_without_usd: usd(last?.without.billMicro ?? 0),
      spend_with_usd: usd(last?.with.billMicro ?? 0),
      budget_usd: policy.budget.daily_usd,
      peak_ratio: Number((peakDay / budgetMicro).toFixed(4)),
      crossings: log.crossings,
      actions: log.actions,
      alerts: log.alerts,
      overshoot_usd: usd(shutdowns.reduce((s, x) => s + usdToMicro(x.overshootUsd), 0)),
      cold_starts: run.model.coldStarts(),
      budgets: budgets.report(),
    },
    records,
    start,
    stepMs,
    tickMs,
    ticks: log.ticks,
    billCrossings,
    shutdowns,
    coldStartsWithout: bare.model.coldStarts(),
    runsWithout: bare.emulator.closedRuns(),
    tickProblems: log.problems,
    tickStats: { maxSubrequests: log.maxSubrequests, maxD1Queries: log.maxD1Queries, medianMs: log.medianMs() },
  };
}

const usd = (micro: number) => Math.round(micro / 10_000) / 100;

/** The instants each budget day's bill reached each threshold, interpolated within the step. */
function crossingsOf(records: StepRecord[], run: "with" | "without", start: number, policy: Policy, budgetMicro: number): BillCrossing[] {
  const out: BillCrossing[] = [];
  let prev = { at: start, dayMicro: 0, day: records[0]?.day ?? "" };
  for (const r of records) {
    const cur = { at: r.at, dayMicro: r[run].dayMicro, day: r.day };
    const from = cur.day === prev.day ? prev : { at: prev.at, dayMicro: 0, day: cur.day };
    for (const level of [1, 2, 3] as const) {
      const line = thresholdOf(level, policy.thresholds) * budgetMicro;
      if (from.dayMicro < line && cur.dayMicro >= line) {
        const share = (line - from.dayMicro) / (cur.dayMicro - from.dayMicro);
        out.push({ level, day: cur.day, at: Math.round(from.at + share * (cur.at - from.at)) });
      }
    }
    prev = cur;
  }
  return out;
}

function shutdownResponses(
  records: StepRecord[],
  crossings: BillCrossing[],
  pauses: number[],
  budgetMicro: number,
  policy: Policy,
  stepMs: number,
  tickMs: number,
): ShutdownResponse[] {
  const line = policy.thresholds.shutdown * budgetMicro;
  return crossings
    .filter((c) => c.level === 3)
    .map((c) => {
      const ofDay = records.filter((r) => r.day === c.day);
      const final = ofDay.at(-1)?.with.dayMicro ?? line;
      // Burn at the crossing: the bill's slope over the step that crossed.
      const i = records.findIndex((r) => r.at >= c.at);
      const prevBill = i > 0 ? (records[i - 1]?.with.billMicro ?? 0) : 0;
      const slopePerMs = ((records[i]?.with.billMicro ?? 0) - prevBill) / stepMs;
      // The tick at the start of the crossing step may already have paused (metering errs high).
      const pausedAt = pauses.find((p) => p >= c.at - stepMs) ?? null;
      return {
        day: c.day,
        crossedAt: c.at,
        pausedAt,
        overshootUsd: microToUsd(Math.max(0, final - line)),
        tickBurnUsd: microToUsd(slopePerMs * tickMs),
      };
    });
}
