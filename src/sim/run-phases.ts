// Where inside the guardrail's tick interval a fleet's replica runs start and stop, and what that does
// to the metering estimate, which places every change it did not see at the middle of its interval
// (src/core/metering.ts): unbiased only if changes are as likely early as late in their interval. The
// bench measures the simulated fleet's own runs with this (docs/metering.md, "The world the simulator
// assumes"); it is the check that a lean of the estimate is, or is not, the world's.
import type { ClosedRun } from "../fakes/index.ts";

/** One run seen against the tick grid. Phases are shares of the tick interval, 0 (on a tick) to 1. */
export interface RunSample {
  endpoint: string;
  startPhase: number;
  endPhase: number;
  /** the run ended with the endpoint at zero (scale-to-zero, pause) rather than by a scale-down */
  toZero: boolean;
  /**
   * estimate minus true replica time, tick intervals: start phase - end phase for a run whose start and end
   * fall in different intervals (each end placed at its interval's middle); the whole run, negated, for a run
   * that starts and stops inside one interval (no observation sees it)
   */
  lean: number;
  /** what billing the run's started minute in full adds to its replica time, minutes: ceil(L) - L */
  roundingMinutes: number;
}

/** The samples of runs that ended, against ticks at `origin + k x tickMs`. */
export function runSamples(runs: readonly ClosedRun[], origin: number, tickMs: number): RunSample[] {
  const phase = (t: number) => ((((t - origin) % tickMs) + tickMs) % tickMs) / tickMs;
  const interval = (t: number) => Math.floor((t - origin) / tickMs);
  return runs
    .filter((r) => r.end > r.start)
    .map((r) => {
      const minutes = (r.end - r.start) / 60_000;
      const startPhase = phase(r.start);
      const endPhase = phase(r.end);
      const inside = interval(r.start) === interval(r.end);
      return {
        endpoint: `${r.namespace}/${r.name}`,
        startPhase,
        endPhase,
        toZero: r.replicasAfter === 0,
        lean: inside ? -(r.end - r.start) / tickMs : startPhase - endPhase,
        roundingMinutes: Math.ceil(minutes - 1e-9) - minutes,
      };
    });
}

export interface PhaseSummary {
  runs: number;
  /** mean start and end phase, with the standard error of a mean of uniform phases (sqrt(1/12n)) */
  startPhase: number;
  endPhase: number;
  phaseSe: number;
  /** mean end phase of the runs that ended at zero and of those a scale-down ended */
  endPhaseToZero: number | null;
  endPhaseScaleDown: number | null;
  /** mean lean per run, tick intervals, with its standard error (from the samples' own spread) */
  lean: number;
  leanSe: number;
  /** mean ceil(L) - L per run, minutes: the estimate's `rounded_up` allowance assumes 0.5 */
  roundingMinutes: number;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length);

export function summarisePhases(samples: readonly RunSample[]): PhaseSummary {
  const n = samples.length;
  const leans = samples.map((s) => s.lean);
  const leanMean = mean(leans);
  const variance = n > 1 ? leans.reduce((s, x) => s + (x - leanMean) ** 2, 0) / (n - 1) : Number.NaN;
  const toZero = samples.filter((s) => s.toZero).map((s) => s.endPhase);
  const down = samples.filter((s) => !s.toZero).map((s) => s.endPhase);
  return {
    runs: n,
    startPhase: mean(samples.map((s) => s.startPhase)),
    endPhase: mean(samples.map((s) => s.endPhase)),
    phaseSe: n > 0 ? Math.sqrt(1 / 12 / n) : Number.NaN,
    endPhaseToZero: toZero.length > 0 ? mean(toZero) : null,
    endPhaseScaleDown: down.length > 0 ? mean(down) : null,
    lean: leanMean,
    leanSe: Math.sqrt(variance / n),
    roundingMinutes: mean(samples.map((s) => s.roundingMinutes)),
  };
}
