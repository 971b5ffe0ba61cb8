// The geometry of the spend chart, as plain numbers: scales, the spend line, the threshold lines,
// the forecast and the action markers over the budget day. Pure, so it is tested without a browser.
import type { SpendPoint } from "../../../src/store/index.ts";

export const WIDTH = 560;
export const HEIGHT = 300;
export const PAD = { left: 52, right: 48, top: 14, bottom: 30 };
/** More points than this are thinned: the line is cumulative, so every n-th point draws the same shape. */
export const MAX_POINTS = 360;

export interface ChartInput {
  /** the budget day [start, end) */
  start: number;
  end: number;
  now: number;
  budgetMicro: number;
  thresholds: { scale_down: number; reroute: number; shutdown: number };
  series: readonly SpendPoint[];
  /** end-of-day projection from the last tick; null for a past day or without ticks */
  forecast: { from: number; fromMicro: number; toMicro: number } | null;
  /** when actions happened, with what they were */
  actions: ReadonlyArray<{ at: number; kind: string; endpoint: string; status: string }>;
}

export interface ThresholdLine {
  name: "budget" | "scale_down" | "reroute" | "shutdown";
  ratio: number;
  y: number;
  /** where its label sits: at the line, or pushed up so labels of close lines do not overlap */
  labelY: number;
}

/** Vertical room one threshold label needs, in chart units. */
export const LABEL_GAP = 15;

export interface Marker {
  at: number;
  x: number;
  y: number;
  actions: ChartInput["actions"][number][];
}

export interface ChartGeometry {
  yMaxMicro: number;
  x: (t: number) => number;
  y: (micro: number) => number;
  spendPoints: Array<[number, number]>;
  thresholds: ThresholdLine[];
  forecast: { x1: number; y1: number; x2: number; y2: number } | null;
  markers: Marker[];
  nowX: number | null;
  hourTicks: Array<{ x: number; label: string }>;
  moneyTicks: Array<{ y: number; micro: number }>;
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `v`. */
export function niceCeil(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % step === 0);
  const last = points.at(-1);
  if (last !== undefined && out.at(-1) !== last) out.push(last);
  return out;
}

/** The day's spend at time `t`: after the last tick at or before `t` (0 before the first). */
function spendAt(series: readonly SpendPoint[], t: number): number {
  let micro = 0;
  for (const p of series) {
    if (p.at > t) break;
    micro = p.spendMicro;
  }
  return micro;
}

export function chartGeometry(input: ChartInput, hourLabel: (t: number) => string): ChartGeometry {
  const { start, end, budgetMicro, thresholds } = input;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const highest = Math.max(budgetMicro * thresholds.shutdown * 1.1, ...input.series.map((p) => p.spendMicro), input.forecast?.toMicro ?? 0);
  // Four or five gridlines at round dollar amounts.
  const stepMicro = niceCeil(highest / 4 / 1e6) * 1e6;
  const yMaxMicro = Math.ceil(highest / stepMicro) * stepMicro;
  const x = (t: number) => round(PAD.left + (plotW * (Math.min(Math.max(t, start), end) - start)) / (end - start));
  const y = (micro: number) => round(PAD.top + plotH * (1 - Math.min(micro, yMaxMicro) / yMaxMicro));

  const lines: ThresholdLine[] = (
    [
      ["budget", 1],
      ["scale_down", thresholds.scale_down],
      ["reroute", thresholds.reroute],
      ["shutdown", thresholds.shutdown],
    ] as const
  ).map(([name, ratio]) => ({ name, ratio, y: y(budgetMicro * ratio), labelY: y(budgetMicro * ratio) }));
  // Ratios rise, so each line is above the one before: push each label up past the previous one.
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1] as ThresholdLine;
    const line = lines[i] as ThresholdLine;
    line.labelY = Math.min(line.y, prev.labelY - LABEL_GAP);
  }

  const byTime = new Map<number, Marker>();
  for (const a of input.actions) {
    let m = byTime.get(a.at);
    if (!m) {
      m = { at: a.at, x: x(a.at), y: y(spendAt(input.series, a.at)), actions: [] };
      byTime.set(a.at, m);
    }
    m.actions.push(a);
  }

  const hourTicks: ChartGeometry["hourTicks"] = [];
  for (let h = 0; start + h * 3_600_000 <= end; h += 6) {
    const t = start + h * 3_600_000;
    hourTicks.push({ x: x(t), label: hourLabel(t) });
  }
  const moneyTicks: ChartGeometry["moneyTicks"] = [];
  for (let m = 0; m <= yMaxMicro + 1; m += stepMicro) moneyTicks.push({ y: y(m), micro: m });

  const f = input.forecast;
  return {
    yMaxMicro,
    x,
    y,
    spendPoints: thin(input.series, MAX_POINTS).map((p) => [x(p.at), y(p.spendMicro)]),
    thresholds: lines,
    forecast: f && { x1: x(f.from), y1: y(f.fromMicro), x2: x(end), y2: y(f.toMicro) },
    markers: [...byTime.values()].sort((a, b) => a.at - b.at),
    nowX: input.now >= start && input.now < end ? x(input.now) : null,
    hourTicks,
    moneyTicks,
  };
}

const round = (v: number) => Math.round(v * 10) / 10;
