// The geometry of the spend chart, as plain numbers: scales, the spend line, the threshold lines,
// the forecast and the action markers over the budget day. Pure, so it is tested without a browser.
// The money axis holds the day's spend and the ladder, never the forecast: a runaway forecast is
// clipped at the top edge with its figure, so it cannot squash the day into the bottom pixel.
import { formatUsd } from "../../../src/core/index.ts";
import type { SpendPoint } from "../../../src/store/index.ts";

export const WIDTH = 560;
export const HEIGHT = 300;
/** `left` is the least room for the money labels; the plot moves right when a label needs more. */
export const PAD = { left: 52, right: 48, top: 26, bottom: 30 };
/** Widest a character of the 14 px axis font gets (digits are about 0.55 em), and the gap to the plot. */
export const CHAR_WIDTH = 8.5;
export const LABEL_MARGIN = 6;
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
  /** the plot's left edge: right of the widest money label */
  left: number;
  x: (t: number) => number;
  y: (micro: number) => number;
  spendPoints: Array<[number, number]>;
  thresholds: ThresholdLine[];
  /** the forecast line; `clipped` when it leaves the top of the scale before the end of the day */
  forecast: {
    x1: number;
    y1: number;
    x2: number;
    y2: number;
    clipped: boolean;
    toMicro: number;
    /** where a clipped forecast's figure goes: in the top margin beside the exit point, inside the chart */
    label: { x: number; anchor: "start" | "end"; text: string } | null;
  } | null;
  markers: Marker[];
  nowX: number | null;
  hourTicks: Array<{ x: number; label: string }>;
  moneyTicks: Array<{ y: number; micro: number; label: string }>;
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

/** An axis amount in the page's money format, without zero cents: `$10,000`, `$1.50`, `$0.05`. */
const axisLabel = (micro: number) =>
  formatUsd(micro)
    .replace(/(\.\d\d)00$/, "$1")
    .replace(/\.00$/, "");

export function chartGeometry(input: ChartInput, hourLabel: (t: number) => string): ChartGeometry {
  const { start, end, budgetMicro, thresholds } = input;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const highest = Math.max(budgetMicro * thresholds.shutdown * 1.1, ...input.series.map((p) => p.spendMicro));
  // Four or five gridlines at round dollar amounts.
  const stepMicro = niceCeil(highest / 4 / 1e6) * 1e6;
  const yMaxMicro = Math.ceil(highest / stepMicro) * stepMicro;
  const ticks: number[] = [];
  for (let m = 0; m <= yMaxMicro + 1; m += stepMicro) ticks.push(m);
  const labels = ticks.map(axisLabel);
  const left = Math.max(PAD.left, Math.ceil(Math.max(...labels.map((l) => l.length)) * CHAR_WIDTH + LABEL_MARGIN));
  const plotW = WIDTH - left - PAD.right;
  const x = (t: number) => round(left + (plotW * (Math.min(Math.max(t, start), end) - start)) / (end - start));
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
  const moneyTicks = ticks.map((m, i) => ({ y: y(m), micro: m, label: labels[i] ?? "" }));

  return {
    yMaxMicro,
    left,
    x,
    y,
    spendPoints: thin(input.series, MAX_POINTS).map((p) => [x(p.at), y(p.spendMicro)]),
    thresholds: lines,
    forecast: forecastLine(input.forecast, end, yMaxMicro, x, y),
    markers: [...byTime.values()].sort((a, b) => a.at - b.at),
    nowX: input.now >= start && input.now < end ? x(input.now) : null,
    hourTicks,
    moneyTicks,
  };
}

/** From the last tick to the end of the day, or to where it leaves the top of the scale. */
function forecastLine(
  f: ChartInput["forecast"],
  end: number,
  yMaxMicro: number,
  x: (t: number) => number,
  y: (micro: number) => number,
): ChartGeometry["forecast"] {
  if (!f) return null;
  const clipped = f.toMicro > yMaxMicro && f.toMicro > f.fromMicro;
  const until = clipped ? f.from + ((end - f.from) * (yMaxMicro - f.fromMicro)) / (f.toMicro - f.fromMicro) : end;
  const x2 = x(until);
  const text = `forecast ${formatUsd(f.toMicro)}`;
  // Beside the exit point, on whichever side has room for the text (the left one when neither does).
  const fitsRight = x2 + LABEL_MARGIN + text.length * CHAR_WIDTH <= WIDTH;
  const label = clipped
    ? { x: fitsRight ? x2 + LABEL_MARGIN : x2 - LABEL_MARGIN, anchor: fitsRight ? ("start" as const) : ("end" as const), text }
    : null;
  return { x1: x(f.from), y1: y(f.fromMicro), x2, y2: y(Math.min(f.toMicro, yMaxMicro)), clipped, toMicro: f.toMicro, label };
}

const round = (v: number) => Math.round(v * 10) / 10;
