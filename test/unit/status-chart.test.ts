// The status page's chart geometry and figures, without a browser: where the ladder's lines, the
// spend line, the forecast and the markers land, and how money and ratios are written.
import { describe, expect, it } from "vitest";
import { type ChartInput, chartGeometry, HEIGHT, LABEL_GAP, MAX_POINTS, niceCeil, PAD } from "../../handlers/http/views/chart-geometry.ts";
import { localTimes, percent } from "../../handlers/http/views/format.ts";
import { formatUsd, runRateForecast } from "../../src/core/index.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 10);
const label = (t: number) => String((t - START) / HOUR);

function input(over: Partial<ChartInput> = {}): ChartInput {
  return {
    start: START,
    end: START + 24 * HOUR,
    now: START + 12 * HOUR,
    budgetMicro: 100e6,
    thresholds: { scale_down: 1.2, reroute: 1.5, shutdown: 2 },
    series: [
      { at: START + 8 * HOUR, spendMicro: 0, level: 0 },
      { at: START + 10 * HOUR, spendMicro: 60e6, level: 0 },
      { at: START + 12 * HOUR, spendMicro: 130e6, level: 1 },
    ],
    forecast: { from: START + 12 * HOUR, fromMicro: 130e6, toMicro: 190e6 },
    actions: [],
    ...over,
  };
}

describe("the spend chart", () => {
  it("draws the budget and the 120 / 150 / 200 % lines at their share of the budget, each higher ratio higher", () => {
    const g = chartGeometry(input(), label);
    expect(g.thresholds.map((l) => [l.name, l.ratio])).toEqual([
      ["budget", 1],
      ["scale_down", 1.2],
      ["reroute", 1.5],
      ["shutdown", 2],
    ]);
    for (const l of g.thresholds) expect(l.y).toBe(g.y(100e6 * l.ratio));
    const ys = g.thresholds.map((l) => l.y);
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    expect(g.y(0)).toBe(HEIGHT - PAD.bottom);
  });

  it("keeps the labels of close lines apart", () => {
    const g = chartGeometry(input({ thresholds: { scale_down: 1.05, reroute: 1.1, shutdown: 1.15 } }), label);
    const labels = g.thresholds.map((l) => l.labelY);
    for (let i = 1; i < labels.length; i++) expect((labels[i - 1] ?? 0) - (labels[i] ?? 0)).toBeGreaterThanOrEqual(LABEL_GAP);
  });

  it("scales the money axis to round amounts that hold the 200 % line and the day's spend", () => {
    // 200 % of $100 plus headroom is $220: gridlines every $100 up to $300.
    expect(chartGeometry(input(), label).moneyTicks.map((t) => t.micro)).toEqual([0, 100e6, 200e6, 300e6]);
    const spent = chartGeometry(input({ series: [{ at: START + 12 * HOUR, spendMicro: 520e6, level: 3 }], forecast: null }), label);
    expect(spent.yMaxMicro).toBeGreaterThanOrEqual(520e6);
    expect(spent.moneyTicks.at(-1)?.micro).toBe(spent.yMaxMicro);
    expect(spent.moneyTicks.length).toBeLessThanOrEqual(6);
  });

  it("does not let a runaway forecast flatten the day: the axis ignores it, the line is clipped at the top with its figure", () => {
    const calm = chartGeometry(input(), label);
    const g = chartGeometry(input({ forecast: { from: START + 12 * HOUR, fromMicro: 130e6, toMicro: 29_557e6 } }), label);
    // Same scale as without the forecast: spend and the ladder keep their height.
    expect(g.yMaxMicro).toBe(calm.yMaxMicro);
    expect(g.thresholds.map((l) => l.y)).toEqual(calm.thresholds.map((l) => l.y));
    expect(g.forecast).toMatchObject({ x1: g.x(START + 12 * HOUR), y1: g.y(130e6), y2: PAD.top, clipped: true, toMicro: 29_557e6 });
    // Its figure sits beside the exit point, in the chart, whichever side has room.
    const lbl = g.forecast?.label;
    expect(lbl?.text).toBe("forecast $29,557.00");
    const [from, to] =
      lbl?.anchor === "start" ? [lbl.x, lbl.x + lbl.text.length * 8.5] : [(lbl?.x ?? 0) - (lbl?.text.length ?? 0) * 8.5, lbl?.x ?? 0];
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeLessThanOrEqual(560);
    // It leaves the top where the straight line from $130 at noon to $29,557 at midnight crosses $300.
    const share = (300e6 - 130e6) / (29_557e6 - 130e6);
    expect(g.forecast?.x2).toBeCloseTo(g.x(START + 12 * HOUR) + share * (g.x(START + 24 * HOUR) - g.x(START + 12 * HOUR)), 0);
    // A forecast inside the scale runs to the end of the day, unclipped.
    expect(calm.forecast).toEqual({
      x1: g.x(START + 12 * HOUR),
      y1: g.y(130e6),
      x2: g.x(START + 24 * HOUR),
      y2: g.y(190e6),
      clipped: false,
      toMicro: 190e6,
      label: null,
    });
  });

  it("never clips a money label: the plot starts right of the widest one, $ included", () => {
    const big = chartGeometry(input({ budgetMicro: 5_000e6, series: [{ at: START + HOUR, spendMicro: 9_000e6, level: 1 }] }), label);
    const widest = Math.max(...big.moneyTicks.map((t) => t.label.length));
    expect(big.moneyTicks.map((t) => t.label)).toContain("$10,000");
    for (const t of big.moneyTicks) expect(t.label.startsWith("$")).toBe(true);
    // Each character of the 14 px axis font is at most 8.5 units wide; 6 units between label and plot.
    expect(big.left - 6).toBeGreaterThanOrEqual(widest * 8.5);
    expect(big.x(START)).toBe(big.left);
    const small = chartGeometry(input({ budgetMicro: 0.5e6, series: [] }), label);
    expect(small.moneyTicks.map((t) => t.label)).toEqual(["$0", "$0.50", "$1", "$1.50"]);
  });

  it("puts one marker on the spend line per tick that acted, holding all of that tick's actions", () => {
    const at = START + 12 * HOUR;
    const g = chartGeometry(
      input({
        actions: [
          { at, kind: "scale_down", endpoint: "acme/a", status: "done" },
          { at, kind: "scale_down", endpoint: "acme/b", status: "done" },
          { at: START + 10 * HOUR, kind: "reroute", endpoint: "acme/a", status: "dry_run" },
        ],
      }),
      label,
    );
    expect(g.markers.map((m) => [m.at, m.actions.length])).toEqual([
      [START + 10 * HOUR, 1],
      [at, 2],
    ]);
    expect(g.markers[1]).toMatchObject({ x: g.x(at), y: g.y(130e6) });
  });

  it("thins a full day of ticks to a bounded line that still ends at the last tick", () => {
    const series = Array.from({ length: 1440 }, (_, i) => ({ at: START + i * 60_000, spendMicro: i * 1000, level: 0 }));
    const g = chartGeometry(input({ series }), label);
    expect(g.spendPoints.length).toBeLessThanOrEqual(MAX_POINTS + 1);
    expect(g.spendPoints.at(-1)).toEqual([g.x(START + 1439 * 60_000), g.y(1439 * 1000)]);
  });

  it("labels the day every six hours", () => {
    expect(chartGeometry(input(), label).hourTicks.map((t) => t.label)).toEqual(["0", "6", "12", "18", "24"]);
  });
});

describe("the run-rate forecast", () => {
  it("adds the current burn for the rest of the day to the spend so far", () => {
    expect(runRateForecast(64e6, 8.5e6, START + 10 * HOUR, START + 24 * HOUR)).toBe(64e6 + 14 * 8.5e6);
  });

  it("adds nothing once the day is over", () => {
    expect(runRateForecast(64e6, 8.5e6, START + 25 * HOUR, START + 24 * HOUR)).toBe(64e6);
  });
});

describe("figures on the page", () => {
  it("writes dollars with cents and thousands, and four decimals below ten cents, everywhere (one formatter)", () => {
    expect(formatUsd(1_234_500_000)).toBe("$1,234.50");
    expect(formatUsd(45_600)).toBe("$0.0456");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(-3_100_000)).toBe("-$3.10");
  });

  it("shows the UTC times written into event messages in the budget's zone", () => {
    const tz = "America/Los_Angeles";
    expect(localTimes("No longer seen after 42 min (since 2026-03-10 22:05 UTC).", tz, "2026-03-10")).toBe(
      "No longer seen after 42 min (since 15:05).",
    );
    expect(localTimes("budget raised to $300.00 until 2026-03-11T17:30:00.000Z", tz, "2026-03-10")).toBe(
      "budget raised to $300.00 until 2026-03-11 10:30",
    );
    expect(localTimes("Slack rate limit reached: alerts held back until 15:00 UTC", tz, "2026-03-10")).toBe(
      "Slack rate limit reached: alerts held back until 15:00 UTC",
    );
  });

  it("writes ratios as percent with one decimal", () => {
    expect(percent(2.1754)).toBe("217.5 %");
  });

  it("rounds axis maxima to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([0.3, 7, 12, 60, 210].map(niceCeil)).toEqual([0.5, 10, 20, 100, 250]);
  });
});
