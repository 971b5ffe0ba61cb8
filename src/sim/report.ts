// How a simulation reads: the table `npm run simulate` prints, and the per-step CSV `--out` writes.
import { formatUsd, LEVEL_NAMES, microToUsd, usdToMicro } from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import { isoInZone, localClock } from "./local-time.ts";
import type { RunPoint, Simulation } from "./simulate.ts";

export interface ReportContext {
  /** "scenario budget-blowout" or "trace day.json" */
  title: string;
  summary?: string;
  expected?: string;
  policy: Policy;
  policySource: string;
  /** a line about the mode, when the simulation did not use the policy's own */
  modeNote?: string;
}

const usd = (dollars: number) => formatUsd(usdToMicro(dollars));
const count = (n: number) => Math.round(n).toLocaleString("en-US");
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

/** Requests that failed over the whole run (paused endpoint, or waited beyond the hold time). */
function failedRequests(sim: Simulation, run: "with" | "without"): number {
  return sim.records.reduce((sum, r) => sum + (r[run] as RunPoint).failedRps * (sim.stepMs / 1000), 0);
}

export function renderTable(sim: Simulation, ctx: ReportContext): string {
  const { policy } = ctx;
  const tz = policy.budget.timezone;
  const r = sim.result;
  const end = sim.records.at(-1)?.at ?? sim.start;
  const at = (ms: number) => localClock(ms, tz, sim.start);
  const atIso = (iso: string) => at(Date.parse(iso));
  const lines: string[] = [];
  lines.push(`${ctx.title}${ctx.summary ? `: ${ctx.summary}` : ""}`);
  if (ctx.expected) lines.push(`expected: ${ctx.expected}`);
  lines.push(
    `policy ${ctx.policySource} · mode ${policy.mode}${ctx.modeNote ? ` (${ctx.modeNote})` : ""} · budget ${usd(policy.budget.daily_usd)}/day · ${tz}`,
    `span ${isoInZone(sim.start, tz).slice(0, 16).replace("T", " ")} to ${isoInZone(end, tz).slice(0, 16).replace("T", " ")} · ` +
      `${count(sim.records.length)} steps of ${sim.stepMs / 1000} s · ${count(sim.ticks)} guard ticks, one every ${sim.tickMs / 60_000} min`,
    "",
  );
  const saved = r.spend_without_usd - r.spend_with_usd;
  const peakReplicas = (run: "with" | "without") => Math.max(0, ...sim.records.map((x) => x[run].billableReplicas));
  const peakWithout = microToUsd(Math.max(0, ...sim.records.map((x) => x.without.dayMicro))) / policy.budget.daily_usd;
  const rows: Array<[string, string, string, string?]> = [
    [
      "spend",
      usd(r.spend_without_usd),
      usd(r.spend_with_usd),
      saved > 0 ? `saved ${usd(saved)} (${Math.round((saved / r.spend_without_usd) * 100)} %)` : "",
    ],
    ["peak ratio", peakWithout.toFixed(2), r.peak_ratio.toFixed(2)],
    ["peak billed replicas", String(peakReplicas("without")), String(peakReplicas("with"))],
    ["cold starts", count(sim.coldStartsWithout), count(r.cold_starts)],
    ["failed requests", count(failedRequests(sim, "without")), count(failedRequests(sim, "with"))],
  ];
  lines.push(`  ${pad("", 22)}${lpad("without guardrail", 18)}${lpad("with guardrail", 18)}`);
  for (const [label, a, b, note] of rows) lines.push(`  ${pad(label, 22)}${lpad(a, 18)}${lpad(b, 18)}${note ? `   ${note}` : ""}`);

  lines.push("", "  ladder                bill crossed (without)   bill crossed (with)   guardrail acted");
  for (const level of [1, 2, 3] as const) {
    const name = LEVEL_NAMES[level];
    const threshold = [0, policy.thresholds.scale_down, policy.thresholds.reroute, policy.thresholds.shutdown][level] as number;
    const label = `${name} ${Math.round(threshold * 100)} %`;
    const cell = (xs: Array<{ level: number; at: number }>) =>
      xs
        .filter((c) => c.level === level)
        .map((c) => at(c.at))
        .join(", ") || "-";
    const acted = r.crossings.filter((c) => c.level === name).map((c) => atIso(c.at));
    lines.push(
      `  ${pad(label, 22)}${pad(cell(sim.billCrossings.without), 25)}${pad(cell(sim.billCrossings.with), 22)}${acted.join(", ") || "-"}`,
    );
  }

  // One line per budget, when the policy has named budgets beside the fleet's.
  if (r.budgets.length > 1) {
    lines.push(
      "",
      `  ${pad("budgets", 16)}${pad("period", 7)}${lpad("amount", 11)}  ${pad("members", 12)}${lpad("without", 11)}${lpad("with", 11)}${lpad("peak", 7)}   guardrail acted`,
    );
    for (const b of r.budgets) {
      const members = `${b.members.length} endpoint${b.members.length === 1 ? "" : "s"}`;
      const acted = b.crossings.map((c) => `${c.level} ${atIso(c.at)}`).join(", ") || "-";
      lines.push(
        `  ${pad(b.name, 16)}${pad(b.period, 7)}${lpad(usd(b.amount_usd), 11)}  ${pad(members, 12)}${lpad(usd(b.spend_without_usd), 11)}` +
          `${lpad(usd(b.spend_with_usd), 11)}${lpad(b.peak_ratio.toFixed(2), 7)}   ${acted}`,
      );
    }
  }

  lines.push("", `  actions (${r.actions.length})`);
  if (r.actions.length === 0) lines.push("    none");
  for (const a of r.actions) lines.push(`    ${atIso(a.at)}  ${pad(a.action, 11)} ${pad(a.endpoint, 28)} ${a.reason}`);
  lines.push("", `  alerts (${r.alerts.length})`);
  if (r.alerts.length === 0) lines.push("    none");
  for (const a of r.alerts) lines.push(`    ${atIso(a.at)}  ${pad(a.kind, 26)} ${a.endpoint ?? "(fleet)"}`);

  if (sim.shutdowns.length > 0) {
    lines.push("");
    for (const s of sim.shutdowns) {
      const paused =
        s.pausedAt === null
          ? "nothing was paused after it"
          : `paused at ${at(s.pausedAt)}, ${Math.max(0, (s.pausedAt - s.crossedAt) / 1000).toFixed(0)} s later`;
      lines.push(
        `  overshoot after ${Math.round(policy.thresholds.shutdown * 100)} % (${s.day}): ${usd(s.overshootUsd)}; the bill crossed at ` +
          `${localClock(s.crossedAt, tz)}:${String(new Date(s.crossedAt).getUTCSeconds()).padStart(2, "0")}, ${paused}; ` +
          `one tick of burn is ${usd(s.tickBurnUsd)}`,
      );
    }
  }
  if (sim.tickProblems.length > 0) {
    const first = sim.tickProblems[0] as { at: number; outcome: string };
    lines.push("", `  ${sim.tickProblems.length} tick(s) did not end ok; the first at ${at(first.at)}: ${first.outcome}`);
  }
  return `${lines.join("\n")}\n`;
}

/** One row per step: the budget day's spend both ways, the guardrail's view, replicas and traffic. */
export function renderCsv(sim: Simulation, policy: Policy): string {
  const tz = policy.budget.timezone;
  const ids = Object.keys(sim.records[0]?.with.replicas ?? {});
  const head = [
    "time",
    "spend_without_usd",
    "spend_with_usd",
    "metered_usd",
    "level",
    "replicas_without",
    "replicas_with",
    "demand_rps",
    "served_rps_without",
    "served_rps_with",
    "failed_rps_without",
    "failed_rps_with",
    ...ids.map((id) => `replicas_with:${id}`),
  ];
  const n = (v: number, digits = 4) => String(Number(v.toFixed(digits)));
  const rows = sim.records.map((r) =>
    [
      isoInZone(r.at, tz),
      n(microToUsd(r.without.dayMicro)),
      n(microToUsd(r.with.dayMicro)),
      r.meteredMicro === null ? "" : n(microToUsd(r.meteredMicro)),
      LEVEL_NAMES[r.level] ?? String(r.level),
      String(r.without.billableReplicas),
      String(r.with.billableReplicas),
      n(r.without.demandRps, 3),
      n(r.without.servedRps, 3),
      n(r.with.servedRps, 3),
      n(r.without.failedRps, 3),
      n(r.with.failedRps, 3),
      ...ids.map((id) => String(r.with.replicas[id] ?? 0)),
    ].join(","),
  );
  return `${[head.join(","), ...rows].join("\n")}\n`;
}
