// Metering against the bill, in simulated time: every built-in scenario and a spiky wake-from-zero
// trace under the repository's guardrail.yaml (as enforce), a guard tick every minute for a budget
// day, the emulator billing as HF documents (per minute, initializing and running). For each: the
// worst gap between the guardrail's metered estimate and the bill once the bill passed $5, the error
// at the end of the day, the delay from the bill crossing each threshold to the guardrail acting, the
// pauses made before the bill reached 200 %, and the overshoot past 200 % against one tick of burn.
// Targets (issue 13): worst error <= 3 %, zero early pauses, overshoot <= one tick of burn.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LEVEL_NAMES, thresholdOf } from "../src/core/index.ts";
import { type Policy, parsePolicy } from "../src/policy/index.ts";
import { SCENARIOS, type Scenario, simulate, withScenarioSettings } from "../src/sim/index.ts";
import { type RunSample, runSamples, summarisePhases } from "../src/sim/run-phases.ts";
import { scenario } from "../src/sim/scenarios/kind.ts";
import { DAY_MINUTES, seeded } from "../src/sim/scenarios/shapes.ts";
import type { SummaryRow } from "./run.ts";

const MIN_BILL_MICRO = 5_000_000;
/** The fleets whose replicas start and stop every few minutes, where the pause's margin matters. */
const SWINGING = ["death-spiral", "spiky-wake-from-zero"];
/** A second reading point: a quarter of the $200 budget, where one replica-minute is a small share of the bill. */
const QUARTER_BILL_MICRO = 50_000_000;

/** Irregular bursts: one starts in a minute with probability `p`, lasts 1-4 minutes at 1-`peak` rps. */
function spiky(p: number, peak: number, random: () => number): number[] {
  const out = new Array<number>(DAY_MINUTES).fill(0);
  for (let m = 0; m < DAY_MINUTES; m++) {
    if (random() >= p) continue;
    const length = 1 + Math.floor(random() * 4);
    const rps = Math.round((1 + random() * (peak - 1)) * 100) / 100;
    for (let k = m; k < Math.min(DAY_MINUTES, m + length); k++) out[k] = Math.max(out[k] ?? 0, rps);
  }
  return out;
}

/**
 * A new user's own trace: two GPU endpoints that wake from zero every few minutes, all day. `day` 0 is
 * the table's day; another draws other bursts (the across-days study).
 */
export const wakeFromZeroOn = (day: number) =>
  scenario({
    name: "spiky-wake-from-zero",
    summary: "two GPU endpoints with min replicas 0 and a 1-minute scale-to-zero timeout, irregular bursts every few minutes",
    expected: "metered within a few % of the bill; no pause before the bill reaches 200 %",
    endpoints: [
      {
        name: "llm",
        hardware: "a100x8",
        minReplicas: 0,
        maxReplicas: 4,
        scaleToZeroMinutes: 1,
        capacityRps: 1,
        coldStartMinutes: 2,
        demand: spiky(0.12, 4, seeded(13 + 1000 * day)),
      },
      {
        name: "vision",
        hardware: "l4",
        minReplicas: 0,
        maxReplicas: 6,
        scaleToZeroMinutes: 1,
        capacityRps: 0.5,
        coldStartMinutes: 1,
        demand: spiky(0.2, 3, seeded(29 + 1000 * day)),
      },
    ],
  });
const wakeFromZero = wakeFromZeroOn(0);

interface Row {
  scenario: string;
  bill_usd: number;
  metered_usd: number | null;
  worst_error_pct: number | null;
  /** the same once the bill passed $50 (a quarter of the budget) */
  worst_error_after_50_pct: number | null;
  end_of_day_error_pct: number | null;
  /** the same against the replica time charged continuously (without HF's per-minute rounding) */
  worst_error_continuous_pct: number | null;
  /** the worst error, in dollars, and the standard error the guardrail gave its estimate at that instant */
  worst_error_usd: number | null;
  standard_error_at_worst_usd: number | null;
  /** share of the ticks past $5 whose error lies within two of the guardrail's own standard errors */
  within_two_se_pct: number | null;
  /** root mean square of error / standard error past $5: 1 when the stated uncertainty is the true one */
  rms_error_over_se: number | null;
  end_of_day_error_continuous_pct: number | null;
  /** seconds from the bill crossing a threshold to the guardrail's crossing (negative: it acted before the bill got there) */
  delays_s: Record<string, number | null>;
  early_pauses: number;
  overshoot_usd: number | null;
  one_tick_of_burn_usd: number | null;
}

/**
 * The world the runs assume, for a measurement outside the table (docs/metering.md, "The world the
 * simulator assumes"): `METERING_PHASE=fixed` makes the fleet react at one instant of the minute all
 * day, `METERING_PARTIAL_MINUTE=prorated` the estimate's reading of the last minute. The table in
 * docs/benchmarks.md is always the default world; `--update-docs` refuses another.
 */
const PHASE = process.env.METERING_PHASE === "fixed" ? "fixed" : "per_step";
const PARTIAL_MINUTE: "prorated" | undefined = process.env.METERING_PARTIAL_MINUTE === "prorated" ? "prorated" : undefined;
if (process.argv.includes("--update-docs") && (PHASE !== "per_step" || PARTIAL_MINUTE !== undefined)) {
  throw new Error("METERING_PHASE / METERING_PARTIAL_MINUTE measure another world: run them without --update-docs");
}

async function simulateScenario(base: Policy, s: Scenario, reactionSeed?: number) {
  const policy = PARTIAL_MINUTE ? { ...base, metering: { ...base.metering, partial_minute: PARTIAL_MINUTE } } : base;
  const fleet = s.build({
    namespace: policy.hf.namespaces[0] as string,
    budgetUsd: policy.budget.daily_usd,
    timezone: policy.budget.timezone,
  });
  const merged = withScenarioSettings({ ...policy, mode: "enforce" }, fleet);
  if (!merged.ok) throw new Error(JSON.stringify(merged.issues));
  const sim = await simulate({
    policy: merged.policy,
    trace: fleet.trace,
    reactionPhase: PHASE,
    ...(reactionSeed === undefined ? {} : { reactionSeed }),
  });
  return { sim, policy: merged.policy, trace: fleet.trace };
}

async function run(policy: Policy, s: Scenario): Promise<Row> {
  const { sim } = await simulateScenario(policy, s);
  // A record's metered figure is the tick at the start of its step: it meters up to that instant, which
  // is where the previous step's bill stands.
  let worst: number | null = null;
  let worst50: number | null = null;
  let worstContinuous: number | null = null;
  let last: { metered: number; bill: number; continuous: number } | null = null;
  let worstAt: { usd: number; se: number | null } | null = null;
  let counted = 0;
  let within = 0;
  let z2 = 0;
  for (let k = 1; k < sim.records.length; k++) {
    const r = sim.records[k];
    const prev = sim.records[k - 1];
    if (!r || !prev || r.meteredMicro === null || r.day !== prev.day) continue;
    const bill = prev.with.dayMicro;
    const continuous = prev.continuousDayMicro;
    last = { metered: r.meteredMicro, bill, continuous };
    if (bill < MIN_BILL_MICRO) continue;
    const err = (r.meteredMicro - bill) / bill;
    const se = r.standardErrorMicro;
    if (worst === null || Math.abs(err) > Math.abs(worst)) {
      worst = err;
      worstAt = { usd: (r.meteredMicro - bill) / 1e6, se: se === null ? null : se / 1e6 };
    }
    if (se !== null && se > 0) {
      counted++;
      if (Math.abs(r.meteredMicro - bill) <= 2 * se) within++;
      z2 += ((r.meteredMicro - bill) / se) ** 2;
    }
    if (bill >= QUARTER_BILL_MICRO && (worst50 === null || Math.abs(err) > Math.abs(worst50))) worst50 = err;
    const errC = (r.meteredMicro - continuous) / continuous;
    if (worstContinuous === null || Math.abs(errC) > Math.abs(worstContinuous)) worstContinuous = errC;
  }
  const delays: Row["delays_s"] = {};
  for (const level of [1, 2, 3] as const) {
    const bill = sim.billCrossings.with.find((c) => c.level === level);
    const acted = sim.result.crossings.find((c) => c.level === LEVEL_NAMES[level]);
    const name = `${[120, 150, 200][level - 1]}%`;
    delays[name] =
      !bill && !acted
        ? null
        : bill && acted
          ? Math.round((Date.parse(acted.at) - bill.at) / 1000)
          : bill
            ? Number.POSITIVE_INFINITY
            : Number.NEGATIVE_INFINITY;
  }
  const crossed200 = sim.billCrossings.with.find((c) => c.level === 3)?.at ?? Number.POSITIVE_INFINITY;
  const early = sim.result.actions.filter((a) => a.action === "pause" && Date.parse(a.at) < crossed200 - sim.stepMs).length;
  const shutdown = sim.shutdowns[0];
  const pct = (x: number | null) => (x === null ? null : Number((x * 100).toFixed(2)));
  return {
    scenario: s.name,
    bill_usd: sim.result.spend_with_usd,
    metered_usd: last ? Math.round(last.metered / 10_000) / 100 : null,
    worst_error_pct: pct(worst),
    worst_error_after_50_pct: pct(worst50),
    end_of_day_error_pct: last && last.bill > 0 ? pct((last.metered - last.bill) / last.bill) : null,
    worst_error_continuous_pct: pct(worstContinuous),
    worst_error_usd: worstAt ? Number(worstAt.usd.toFixed(2)) : null,
    standard_error_at_worst_usd: worstAt?.se === null || worstAt === null ? null : Number(worstAt.se.toFixed(2)),
    within_two_se_pct: counted > 0 ? Number(((within / counted) * 100).toFixed(1)) : null,
    rms_error_over_se: counted > 0 ? Number(Math.sqrt(z2 / counted).toFixed(2)) : null,
    end_of_day_error_continuous_pct: last && last.continuous > 0 ? pct((last.metered - last.continuous) / last.continuous) : null,
    delays_s: delays,
    early_pauses: early,
    overshoot_usd: shutdown ? Number(shutdown.overshootUsd.toFixed(2)) : null,
    one_tick_of_burn_usd: shutdown ? Number(shutdown.tickBurnUsd.toFixed(2)) : null,
  };
}

/** Margins the across-days study reads off each day (metering.pause_margin_sigmas allows 0-4). */
const STUDY_MARGINS = [0, 0.5, 1, 1.5, 2, 2.5, 3];
/** The margin each study day runs at: every smaller margin's pause is read off the same run (below). */
const STUDY_RUN_MARGIN = 4;

interface MarginOutcome {
  sigmas: number;
  /** paused more than a step before the bill reached 200 % */
  early: boolean;
  /** seconds from the bill's crossing to the pause (negative: before it); null when neither came */
  delay_s: number | null;
  /** the bill past 200 % when the pause came, USD */
  overshoot_usd: number;
}

/**
 * One day of a swinging fleet, and where the pause would have come at each margin. A run at the largest
 * margin is the same world as a run at a smaller one up to the smaller one's pause (nothing before the
 * pause reads the margin), so each margin's pause is the first tick whose estimate less that many
 * standard errors (and less the gap and unconfirmed parts, as the tick reported them) reached 200 % with
 * the fleet burning. The table's day checks this against runs of their own.
 */
async function studyDay(
  policy: Policy,
  s: Scenario,
  reactionSeed: number,
): Promise<{
  outcomes: MarginOutcome[];
  tickBurnUsd: number | null;
  atCrossing: { error_usd: number; se_usd: number } | null;
  samples: RunSample[];
  leanUsd: number;
}> {
  const atMargin = { ...policy, metering: { ...policy.metering, pause_margin_sigmas: STUDY_RUN_MARGIN } };
  const { sim, policy: merged, trace } = await simulateScenario(atMargin, s, reactionSeed);
  // The fleet's own runs (the run without the guardrail): where in the minute they start and stop.
  const samples = runSamples(sim.runsWithout, sim.start, sim.tickMs);
  const pricePerMs = new Map(trace.endpoints.map((e) => [`${e.namespace}/${e.name}`, e.price_per_hour / 3_600_000]));
  const leanUsd = samples.reduce((sum, x) => sum + x.lean * sim.tickMs * (pricePerMs.get(x.endpoint) ?? 0), 0);
  const budgetMicro = merged.budget.daily_usd * 1e6;
  const line = thresholdOf(3, merged.thresholds) * budgetMicro;
  const crossing = sim.billCrossings.with.find((c) => c.level === 3);
  const firstDay = sim.records[0]?.day;
  const outcomes = STUDY_MARGINS.map((sigmas): MarginOutcome => {
    for (let k = 1; k < sim.records.length; k++) {
      const r = sim.records[k];
      const prev = sim.records[k - 1];
      if (!r || !prev || r.day !== firstDay || r.confirmedSpendMicro === null || r.meteredMicro === null) continue;
      const confirmed = r.confirmedSpendMicro + (STUDY_RUN_MARGIN - sigmas) * (r.standardErrorMicro ?? 0);
      if (r.meteredMicro < line || confirmed < line || (r.burnMicroPerHour ?? 0) <= 0) continue;
      // The tick ran at the start of record k's step, when the bill stood where record k - 1 left it.
      const at = r.at - sim.stepMs;
      return {
        sigmas,
        early: crossing === undefined || at < crossing.at - sim.stepMs,
        delay_s: crossing === undefined ? null : Math.round((at - crossing.at) / 1000),
        overshoot_usd: Math.max(0, prev.with.dayMicro - line) / 1e6,
      };
    }
    return {
      sigmas,
      early: false,
      delay_s: null,
      overshoot_usd: crossing ? Math.max(0, (sim.records.at(-1)?.with.dayMicro ?? line) - line) / 1e6 : 0,
    };
  });
  // The estimate's error where the bill reached a line: at 200 % it decides how early or late a pause can
  // come; at 120 % nothing has acted yet (the guardrail's own actions cannot be its cause).
  const errorAt = (lineMicro: number) => {
    const k = sim.records.findIndex((r, i) => i > 0 && r.day === firstDay && (sim.records[i - 1]?.with.dayMicro ?? 0) >= lineMicro);
    const r = sim.records[k];
    const prev = sim.records[k - 1];
    return k > 0 && r && prev && r.meteredMicro !== null
      ? { error_usd: (r.meteredMicro - prev.with.dayMicro) / 1e6, se_usd: (r.standardErrorMicro ?? 0) / 1e6 }
      : null;
  };
  const atCrossing = errorAt(line);
  const at120 = errorAt(thresholdOf(1, merged.thresholds) * budgetMicro);
  console.log(`  at the bill's 120 %: off $${at120?.error_usd.toFixed(2) ?? "-"}, standard error $${at120?.se_usd.toFixed(2) ?? "-"}`);
  return { outcomes, tickBurnUsd: sim.shutdowns[0]?.tickBurnUsd ?? null, atCrossing, samples, leanUsd };
}

const fmtDelay = (d: number | null | undefined) =>
  d === null || d === undefined
    ? "-"
    : d === Number.POSITIVE_INFINITY
      ? "never"
      : d === Number.NEGATIVE_INFINITY
        ? "no bill crossing"
        : `${d} s`;

export default async function meteringBench() {
  const parsed = parsePolicy(readFileSync(fileURLToPath(new URL("../guardrail.yaml", import.meta.url)), "utf8"));
  if (!parsed.ok) throw new Error(`guardrail.yaml is invalid: ${JSON.stringify(parsed.issues)}`);
  const only = process.env.METERING_SCENARIOS?.split(",");
  const rows: Row[] = [];
  for (const s of [...SCENARIOS, wakeFromZero]) {
    if (only && !only.includes(s.name)) continue;
    const started = performance.now();
    const row = await run(parsed.policy, s);
    rows.push(row);
    console.log(
      `${row.scenario}: bill $${row.bill_usd}, worst error ${row.worst_error_pct ?? "-"} % (past $50: ${row.worst_error_after_50_pct ?? "-"} %), end of day ${row.end_of_day_error_pct ?? "-"} % ` +
        `(without per-minute rounding ${row.worst_error_continuous_pct ?? "-"} %, ${row.end_of_day_error_continuous_pct ?? "-"} %), ` +
        `delays 120 % ${fmtDelay(row.delays_s["120%"])}, 150 % ${fmtDelay(row.delays_s["150%"])}, 200 % ${fmtDelay(row.delays_s["200%"])}, ` +
        `worst $${row.worst_error_usd ?? "-"} against a standard error of $${row.standard_error_at_worst_usd ?? "-"}, within 2 SE ${row.within_two_se_pct ?? "-"} % of ticks, rms error/SE ${row.rms_error_over_se ?? "-"}, ` +
        `early pauses ${row.early_pauses}, overshoot ${row.overshoot_usd === null ? "-" : `$${row.overshoot_usd} (one tick $${row.one_tick_of_burn_usd})`} ` +
        `[${((performance.now() - started) / 1000).toFixed(0)} s]`,
    );
  }
  // The pause's margin against its speed (policy metering.pause_margin_sigmas) on the two fleets whose
  // estimate is unsure: the default's rows are above; each margin here is a run of its own.
  const margins: Array<{
    scenario: string;
    sigmas: number;
    early_pauses: number;
    delay_200_s: number | null;
    overshoot_usd: number | null;
  }> = [];
  for (const s of [...SCENARIOS, wakeFromZero].filter((x) => SWINGING.includes(x.name) && (!only || only.includes(x.name)))) {
    for (const sigmas of [0, 1]) {
      const policy = { ...parsed.policy, metering: { ...parsed.policy.metering, pause_margin_sigmas: sigmas } };
      const row = await run(policy, s);
      const d = row.delays_s["200%"];
      margins.push({ scenario: s.name, sigmas, early_pauses: row.early_pauses, delay_200_s: d ?? null, overshoot_usd: row.overshoot_usd });
      console.log(
        `${s.name} with metering.pause_margin_sigmas ${sigmas}: early pauses ${row.early_pauses}, delay 200 % ${fmtDelay(d)}, ` +
          `overshoot ${row.overshoot_usd === null ? "-" : `$${row.overshoot_usd} (one tick $${row.one_tick_of_burn_usd})`}`,
      );
    }
  }
  // Across days: one day is one draw of the estimate's error; the margin is about many. Each swinging
  // fleet on METERING_DAYS days (other bursts for the spiky trace, other instants inside each minute for
  // both), each margin's pause read off one run per day.
  const days = Number(process.env.METERING_DAYS ?? 10);
  const study: Array<{
    scenario: string;
    day: number;
    tick_burn_usd: number | null;
    at_crossing: { error_usd: number; se_usd: number } | null;
    outcomes: MarginOutcome[];
  }> = [];
  const phases = new Map<string, RunSample[]>();
  const leans = new Map<string, number>();
  for (const name of SWINGING.filter((x) => !only || only.includes(x))) {
    for (let day = 0; day < days; day++) {
      const s = name === wakeFromZero.name ? wakeFromZeroOn(day) : SCENARIOS.find((x) => x.name === name);
      if (!s) throw new Error(`no scenario ${name}`);
      const started = performance.now();
      const { outcomes, tickBurnUsd, atCrossing, samples, leanUsd } = await studyDay(parsed.policy, s, 0x5eed + day);
      phases.set(name, [...(phases.get(name) ?? []), ...samples]);
      leans.set(name, (leans.get(name) ?? 0) + leanUsd);
      study.push({ scenario: name, day, tick_burn_usd: tickBurnUsd, at_crossing: atCrossing, outcomes });
      console.log(
        `${name} day ${day}: ${outcomes.map((o) => `σ${o.sigmas} ${o.early ? "EARLY" : `$${o.overshoot_usd.toFixed(2)}`}`).join(", ")} ` +
          `(one tick $${tickBurnUsd?.toFixed(2) ?? "-"}; at the bill's 200 % the estimate was off $${atCrossing?.error_usd.toFixed(2) ?? "-"}, ` +
          `standard error $${atCrossing?.se_usd.toFixed(2) ?? "-"}) [${((performance.now() - started) / 1000).toFixed(0)} s]`,
      );
    }
  }
  const acrossDays = SWINGING.flatMap((name) => {
    const ofFleet = study.filter((d) => d.scenario === name);
    if (ofFleet.length === 0) return [];
    return STUDY_MARGINS.map((sigmas) => {
      const at = ofFleet.map((d) => ({ o: d.outcomes.find((o) => o.sigmas === sigmas) as MarginOutcome, tick: d.tick_burn_usd ?? 0 }));
      const late = at.filter((x) => !x.o.early).map((x) => x.o.overshoot_usd);
      return {
        scenario: name,
        sigmas,
        days: at.length,
        early_days: at.filter((x) => x.o.early).length,
        within_one_tick_days: at.filter((x) => !x.o.early && x.o.overshoot_usd <= x.tick + 0.005).length,
        mean_overshoot_usd: late.length ? Number((late.reduce((a, b) => a + b, 0) / late.length).toFixed(2)) : null,
        worst_overshoot_usd: late.length ? Number(Math.max(...late).toFixed(2)) : null,
      };
    });
  });
  for (const a of acrossDays) {
    console.log(
      `${a.scenario} margin ${a.sigmas} over ${a.days} days: early pauses on ${a.early_days}, within one tick on ${a.within_one_tick_days}, ` +
        `overshoot mean $${a.mean_overshoot_usd ?? "-"}, worst $${a.worst_overshoot_usd ?? "-"}`,
    );
  }
  const STUDY_TICK_MS = 60_000; // the bench ticks every minute, as the cron does
  // The world's own lean: a mean end phase above the start phase is replica time the estimate does not
  // charge, whatever estimator places changes it did not see at the middle of their interval.
  const runPhases = [...phases].map(([scenario, samples]) => {
    const p = summarisePhases(samples);
    const r3 = (x: number | null) => (x === null ? null : Number(x.toFixed(3)));
    return {
      scenario,
      days,
      runs: p.runs,
      start_phase: r3(p.startPhase),
      end_phase_scale_down: r3(p.endPhaseScaleDown),
      end_phase_to_zero: r3(p.endPhaseToZero),
      phase_se: r3(p.phaseSe),
      lean_minutes_per_run: r3((p.lean * STUDY_TICK_MS) / 60_000),
      lean_se_minutes: r3((p.leanSe * STUDY_TICK_MS) / 60_000),
      lean_usd_per_day: Number(((leans.get(scenario) ?? 0) / days).toFixed(2)),
      rounding_minutes_per_run: r3(p.roundingMinutes),
    };
  });
  for (const p of runPhases) {
    console.log(
      `${p.scenario}, the fleet's own ${p.runs} runs over ${p.days} days: start phase ${p.start_phase}, end phase ${p.end_phase_scale_down} (scale-downs) / ` +
        `${p.end_phase_to_zero} (to zero), each +-${p.phase_se}; lean ${p.lean_minutes_per_run} +- ${p.lean_se_minutes} replica-minutes per run ` +
        `($${p.lean_usd_per_day} a day); started minute billed in full adds ${p.rounding_minutes_per_run} min per run`,
    );
  }
  const worst = rows.reduce((m, r) => Math.max(m, Math.abs(r.worst_error_pct ?? 0)), 0);
  const early = rows.reduce((n, r) => n + r.early_pauses, 0);
  const overshootOk = rows.every(
    (r) => r.overshoot_usd === null || (r.one_tick_of_burn_usd !== null && r.overshoot_usd <= r.one_tick_of_burn_usd + 0.005),
  );
  const worstContinuous = rows.reduce((m, r) => Math.max(m, Math.abs(r.worst_error_continuous_pct ?? 0)), 0);
  const worst50 = rows.reduce((m, r) => Math.max(m, Math.abs(r.worst_error_after_50_pct ?? 0)), 0);
  const endOfDay = rows.reduce((m, r) => Math.max(m, Math.abs(r.end_of_day_error_pct ?? 0)), 0);
  const summary: SummaryRow[] = [
    {
      metric: "metered vs bill, worst error once the bill passed $5 (all scenarios)",
      value: `${worst.toFixed(2)} %`,
      target: "<= 3 %",
      ok: worst <= 3,
    },
    { metric: "metered vs bill, worst error once the bill passed $50 (a quarter of the budget)", value: `${worst50.toFixed(2)} %` },
    { metric: "metered vs bill, worst end-of-day error (all scenarios)", value: `${endOfDay.toFixed(2)} %` },
    { metric: "metered vs replica time without per-minute rounding, worst error once past $5", value: `${worstContinuous.toFixed(2)} %` },
    {
      metric: "the estimate's own uncertainty: rms error / standard error once past $5 (1 = stated right), per fleet that swings",
      value: rows
        .filter((r) => r.rms_error_over_se !== null)
        .map((r) => `${r.scenario} ${r.rms_error_over_se} (${r.within_two_se_pct} % within 2 SE)`)
        .join("; "),
    },
    { metric: "pauses before the bill reached 200 % (all scenarios)", value: String(early), target: "0", ok: early === 0 },
    {
      metric: "overshoot past 200 % (one tick of burn)",
      value: rows
        .filter((r) => r.overshoot_usd !== null)
        .map((r) => `${r.scenario} $${r.overshoot_usd} ($${r.one_tick_of_burn_usd})`)
        .join("; "),
      target: "<= one tick of burn",
      ok: overshootOk,
    },
  ];
  summary.push({
    metric: "the pause's margin against its speed: metering.pause_margin_sigmas 0 / 1 (early pauses, overshoot)",
    value: margins
      .map(
        (m) => `${m.scenario} σ${m.sigmas}: ${m.early_pauses} early, ${m.overshoot_usd === null ? "no crossing" : `$${m.overshoot_usd}`}`,
      )
      .join("; "),
  });
  if (acrossDays.length > 0)
    summary.push({
      metric: `the pause's margin across ${days} days (METERING_DAYS): early pauses, mean overshoot, per margin`,
      value: acrossDays
        .filter((a) => [0, 1, 2].includes(a.sigmas))
        .map((a) => `${a.scenario} σ${a.sigmas}: ${a.early_days}/${a.days} early, $${a.mean_overshoot_usd ?? "-"}`)
        .join("; "),
    });
  if (runPhases.length > 0)
    summary.push({
      metric: `the fleet's own runs across ${days} days: mean phase in the minute of starts / scale-down ends (uniform 0.5), the estimate's lean per run`,
      value: runPhases
        .map(
          (p) =>
            `${p.scenario}: ${p.start_phase} / ${p.end_phase_scale_down} (±${p.phase_se}), ${p.lean_minutes_per_run} ± ${p.lean_se_minutes} min/run, $${p.lean_usd_per_day}/day`,
        )
        .join("; "),
    });
  return { rows, margins, study, across_days: acrossDays, run_phases: runPhases, summary };
}
