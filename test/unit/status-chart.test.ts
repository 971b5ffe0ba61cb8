// The status page's chart geometry and figures, without a browser: where the ladder's lines, the
// spend line, the forecast and the markers land, and how money and ratios are written.
import { describe, expect, it } from "vitest";
import { type ChartInput, chartGeometry, HEIGHT, LABEL_GAP, MAX_POINTS, niceCeil, PAD } from "../../handlers/http/views/chart-geometry.ts";
import { percent, usd } from "../../handlers/http/views/format.ts";
import { runRateForecast } from "../../src/core/index.ts";

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

  it("scales the money axis to round amounts that hold the 200 % line and the forecast", () => {
    // 200 % of $100 plus headroom is $220: gridlines every $100 up to $300.
    expect(chartGeometry(input(), label).moneyTicks.map((t) => t.micro)).toEqual([0, 100e6, 200e6, 300e6]);
    const g = chartGeometry(input({ forecast: { from: START + 12 * HOUR, fromMicro: 130e6, toMicro: 910e6 } }), label);
    expect(g.yMaxMicro).toBeGreaterThanOrEqual(910e6);
    expect(g.moneyTicks.at(-1)?.micro).toBe(g.yMaxMicro);
    expect(g.moneyTicks.length).toBeLessThanOrEqual(6);
    expect(g.forecast).toEqual({ x1: g.x(START + 12 * HOUR), y1: g.y(130e6), x2: g.x(START + 24 * HOUR), y2: g.y(910e6) });
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
  it("writes dollars with cents and thousands, and four decimals below ten cents", () => {
    expect(usd(1234.5)).toBe("$1,234.50");
    expect(usd(0.0456)).toBe("$0.0456");
    expect(usd(0)).toBe("$0.00");
  });

  it("writes ratios as percent with one decimal", () => {
    expect(percent(2.1754)).toBe("217.5 %");
  });

  it("rounds axis maxima to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([0.3, 7, 12, 60, 210].map(niceCeil)).toEqual([0.5, 10, 20, 100, 250]);
  });
});
