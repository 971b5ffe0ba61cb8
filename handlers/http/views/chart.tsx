// The spend chart as inline SVG: today's spend, the budget and the ladder's lines, the forecast to
// the end of the day (clipped at the top, with its figure, when it runs off the scale) and a marker
// wherever the guardrail acted. No script, no library.
import { formatUsd, microToUsd } from "../../../src/core/index.ts";
import { type ChartInput, chartGeometry, HEIGHT, LABEL_MARGIN, PAD, WIDTH } from "./chart-geometry.ts";
import { clockTime, percent, words } from "./format.ts";

const LINE_LABEL = { budget: "budget", scale_down: "scale down", reroute: "reroute", shutdown: "shutdown" } as const;

export function SpendChart(props: { input: ChartInput; tz: string }) {
  const { input, tz } = props;
  const g = chartGeometry(input, (t) => clockTime(t, tz));
  const right = WIDTH - PAD.right;
  const bottom = HEIGHT - PAD.bottom;
  const budgetY = g.thresholds[0]?.y ?? bottom;
  const last = g.spendPoints.at(-1);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Spend today against the daily budget of ${formatUsd(input.budgetMicro)}`}
    >
      <rect class="over" x={g.left} y={PAD.top} width={right - g.left} height={Math.max(0, budgetY - PAD.top)} />
      {g.moneyTicks.map((t) => (
        <g>
          <line class="grid" x1={g.left} x2={right} y1={t.y} y2={t.y} />
          <text class="axis" x={g.left - LABEL_MARGIN} y={t.y + 4} text-anchor="end">
            {t.label}
          </text>
        </g>
      ))}
      {g.hourTicks.map((t) => (
        <text class="axis" x={t.x} y={bottom + 20} text-anchor="middle">
          {t.label}
        </text>
      ))}
      {g.thresholds.map((l) => (
        <g data-threshold={l.name} data-ratio={l.ratio}>
          <line class={`threshold ${l.name}`} x1={g.left} x2={right} y1={l.y} y2={l.y} />
          <text class={`threshold-label ${l.name}`} x={right + 4} y={l.labelY + 5}>
            {`${Math.round(l.ratio * 100)}%`}
          </text>
          <title>{`${LINE_LABEL[l.name]}: ${percent(l.ratio)} of the budget = ${formatUsd(input.budgetMicro * l.ratio)}`}</title>
        </g>
      ))}
      {g.nowX !== null && <line class="now" x1={g.nowX} x2={g.nowX} y1={PAD.top} y2={bottom} />}
      {g.forecast && (
        <line
          class="forecast"
          data-forecast-usd={microToUsd(g.forecast.toMicro).toFixed(2)}
          data-clipped={String(g.forecast.clipped)}
          x1={g.forecast.x1}
          y1={g.forecast.y1}
          x2={g.forecast.x2}
          y2={g.forecast.y2}
        >
          <title>{`forecast at the end of the day: ${formatUsd(g.forecast.toMicro)}`}</title>
        </line>
      )}
      {g.forecast?.label && (
        <g class="forecast-off" data-forecast-off={microToUsd(g.forecast.toMicro).toFixed(2)}>
          <path class="forecast-arrow" d={`M${g.forecast.x2} ${PAD.top - 9} l5 8 h-10 z`} />
          <text class="forecast-label" x={g.forecast.label.x} y={PAD.top - 8} text-anchor={g.forecast.label.anchor}>
            {g.forecast.label.text}
          </text>
        </g>
      )}
      {g.spendPoints.length > 0 && <polyline class="spend" points={g.spendPoints.map((p) => p.join(",")).join(" ")} />}
      {last && <circle class="spend-dot" cx={last[0]} cy={last[1]} r={4} />}
      {g.markers.map((m) => (
        <g class="marker" data-marker={m.at} data-kinds={[...new Set(m.actions.map((a) => a.kind))].join(" ")}>
          <line class="marker-stem" x1={m.x} x2={m.x} y1={m.y} y2={bottom} />
          <path class={`marker-head ${m.actions[0]?.kind ?? ""}`} d={`M${m.x} ${m.y - 9} l6 9 -6 9 -6 -9 z`} />
          <title>{m.actions.map((a) => `${clockTime(a.at, tz)} ${words(a.kind)} ${a.endpoint} (${words(a.status)})`).join("\n")}</title>
        </g>
      ))}
      {g.spendPoints.length === 0 && (
        <text class="empty" x={(g.left + right) / 2} y={(PAD.top + bottom) / 2} text-anchor="middle">
          no tick has run today yet
        </text>
      )}
    </svg>
  );
}
