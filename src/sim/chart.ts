// The simulation as an SVG chart: the budget day's spend with and without the guardrail, the budget
// and the three threshold lines, and a marker for each action. Hand-written SVG: no dependency, and
// the file opens in any browser.
import { microToUsd } from "../core/index.ts";
import { localClock } from "./local-time.ts";
import type { Simulation } from "./simulate.ts";

export interface ChartOptions {
  title: string;
  timezone: string;
  budgetUsd: number;
  thresholds: { scale_down: number; reroute: number; shutdown: number };
}

const W = 960;
const H = 520;
const M = { top: 64, right: 190, bottom: 48, left: 72 };
const ACTION_COLOR: Record<string, string> = { scale_down: "#d97706", reroute: "#7c3aed", pause: "#dc2626" };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fixed = (n: number) => Number(n.toFixed(1));

/** A round step for about `count` ticks over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

export function renderChart(sim: Simulation, o: ChartOptions): string {
  const { records, start } = sim;
  const end = records.at(-1)?.at ?? start + 1;
  const lines = [
    { label: "budget", ratio: 1, color: "#111827", dash: "" },
    { label: `scale_down ${Math.round(o.thresholds.scale_down * 100)} %`, ratio: o.thresholds.scale_down, color: "#d97706", dash: "6 4" },
    { label: `reroute ${Math.round(o.thresholds.reroute * 100)} %`, ratio: o.thresholds.reroute, color: "#7c3aed", dash: "6 4" },
    { label: `shutdown ${Math.round(o.thresholds.shutdown * 100)} %`, ratio: o.thresholds.shutdown, color: "#dc2626", dash: "6 4" },
  ];
  const peak = Math.max(
    ...records.map((r) => microToUsd(Math.max(r.without.dayMicro, r.with.dayMicro))),
    o.budgetUsd * o.thresholds.shutdown,
  );
  const yStep = niceStep(peak * 1.05, 6);
  const yMax = Math.ceil((peak * 1.05) / yStep) * yStep;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (t: number) => fixed(M.left + ((t - start) / (end - start)) * pw);
  const y = (usd: number) => fixed(M.top + ph - (usd / yMax) * ph);
  const path = (run: "with" | "without") =>
    `M${x(start)},${y(0)} ` + records.map((r) => `L${x(r.at)},${y(microToUsd(r[run].dayMicro))}`).join(" ");

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="600">${esc(o.title)}</text>`,
  );
  // Legend.
  out.push(
    `<line x1="${M.left}" y1="44" x2="${M.left + 28}" y2="44" stroke="#9ca3af" stroke-width="2" stroke-dasharray="5 3"/>`,
    `<text x="${M.left + 34}" y="48">without guardrail</text>`,
    `<line x1="${M.left + 160}" y1="44" x2="${M.left + 188}" y2="44" stroke="#2563eb" stroke-width="2.5"/>`,
    `<text x="${M.left + 194}" y="48">with guardrail</text>`,
    `<text x="${M.left + 300}" y="48" fill="#374151">spend of the budget day (USD)</text>`,
  );
  // Axes and grid.
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(
      `<line x1="${M.left}" y1="${y(v)}" x2="${M.left + pw}" y2="${y(v)}" stroke="#e5e7eb"/>`,
      `<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end" fill="#374151">$${v.toLocaleString("en-US")}</text>`,
    );
  }
  const hourMs = 3_600_000;
  const spanHours = (end - start) / hourMs;
  const every = spanHours <= 6 ? 1 : spanHours <= 30 ? 3 : spanHours <= 80 ? 12 : 24;
  for (let t = start; t <= end; t += every * hourMs) {
    // Within a day, the closing midnight reads 24:00; longer spans carry the date.
    const label =
      spanHours <= 30 ? localClock(t, o.timezone).replace(/^00:00$/, t > start ? "24:00" : "00:00") : localClock(t, o.timezone, start);
    out.push(
      `<line x1="${x(t)}" y1="${M.top + ph}" x2="${x(t)}" y2="${M.top + ph + 5}" stroke="#6b7280"/>`,
      `<text x="${x(t)}" y="${M.top + ph + 20}" text-anchor="middle" fill="#374151">${esc(label)}</text>`,
    );
  }
  out.push(
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="#6b7280"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="#6b7280"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle" fill="#374151">time (${esc(o.timezone)})</text>`,
  );
  // Budget and thresholds.
  for (const l of lines) {
    const yy = y(o.budgetUsd * l.ratio);
    out.push(
      `<line x1="${M.left}" y1="${yy}" x2="${M.left + pw}" y2="${yy}" stroke="${l.color}" stroke-width="1.2"${l.dash ? ` stroke-dasharray="${l.dash}"` : ""}/>`,
      `<text x="${M.left + pw + 6}" y="${yy + 4}" fill="${l.color}">${esc(l.label)} $${(o.budgetUsd * l.ratio).toFixed(0)}</text>`,
    );
  }
  // Spend.
  out.push(
    `<path d="${path("without")}" fill="none" stroke="#9ca3af" stroke-width="2" stroke-dasharray="5 3"/>`,
    `<path d="${path("with")}" fill="none" stroke="#2563eb" stroke-width="2.5"/>`,
  );
  // Actions, on the line with the guardrail.
  for (const a of sim.result.actions) {
    const t = Date.parse(a.at);
    const r = sim.records.find((rec) => rec.at >= t) ?? sim.records.at(-1);
    const cx = x(t);
    const cy = y(microToUsd(r?.with.dayMicro ?? 0));
    const color = ACTION_COLOR[a.action] ?? "#111827";
    out.push(
      `<g><title>${esc(`${localClock(t, o.timezone, start)} ${a.action} ${a.endpoint}: ${a.reason}`)}</title>` +
        `<circle cx="${cx}" cy="${cy}" r="5.5" fill="${color}" stroke="#ffffff" stroke-width="1.5"/></g>`,
    );
  }
  const kinds = [...new Set(sim.result.actions.map((a) => a.action))];
  kinds.forEach((k, i) => {
    const lx = M.left + 500 + i * 100;
    out.push(`<circle cx="${lx}" cy="44" r="5" fill="${ACTION_COLOR[k] ?? "#111827"}"/>`, `<text x="${lx + 9}" y="48">${esc(k)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
