// Detection to action, in simulated time: the budget-blowout scenario under the repository's
// guardrail.yaml (as enforce), a guard tick every minute for a whole budget day. From the instant the
// bill crosses 200 % of the budget to the pause call, and the overshoot: what is still spent after the
// crossing. Target: the overshoot is at most one tick of burn.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parsePolicy } from "../src/policy/index.ts";
import { localClock, scenarioNamed, simulate, withScenarioSettings } from "../src/sim/index.ts";
import type { SummaryRow } from "./run.ts";

export default async function detectionBench() {
  const parsed = parsePolicy(readFileSync(fileURLToPath(new URL("../guardrail.yaml", import.meta.url)), "utf8"));
  if (!parsed.ok) throw new Error(`guardrail.yaml is invalid: ${JSON.stringify(parsed.issues)}`);
  const scenario = scenarioNamed("budget-blowout");
  if (!scenario) throw new Error("no budget-blowout scenario");
  const tz = parsed.policy.budget.timezone;
  const fleet = scenario.build({
    namespace: parsed.policy.hf.namespaces[0] as string,
    budgetUsd: parsed.policy.budget.daily_usd,
    timezone: tz,
  });
  const merged = withScenarioSettings({ ...parsed.policy, mode: "enforce" }, fleet);
  if (!merged.ok) throw new Error(JSON.stringify(merged.issues));

  let shown = 0;
  const started = performance.now();
  const sim = await simulate({
    policy: merged.policy,
    trace: fleet.trace,
    onProgress: (done, total) => {
      if (done - shown >= 240 || done === total) {
        shown = done;
        process.stdout.write(`  ${done}/${total} minutes simulated\n`);
      }
    },
  });
  const wallS = (performance.now() - started) / 1000;
  const s = sim.shutdowns[0];
  if (!s) throw new Error("budget-blowout never crossed the shutdown threshold");
  const delayS = s.pausedAt === null ? null : Math.max(0, (s.pausedAt - s.crossedAt) / 1000);
  const result = {
    budget_usd: sim.result.budget_usd,
    spend_without_usd: sim.result.spend_without_usd,
    spend_with_usd: sim.result.spend_with_usd,
    bill_crossed_200_at: new Date(s.crossedAt).toISOString(),
    paused_at: s.pausedAt === null ? null : new Date(s.pausedAt).toISOString(),
    detection_to_action_s: delayS,
    overshoot_usd: Number(s.overshootUsd.toFixed(2)),
    one_tick_of_burn_usd: Number(s.tickBurnUsd.toFixed(2)),
    ticks: sim.ticks,
    tick_median_ms: sim.tickStats.medianMs,
    simulation_wall_s: Number(wallS.toFixed(1)),
  };
  console.log(
    `budget $${result.budget_usd}/day; the bill crossed 200 % at ${localClock(s.crossedAt, tz)}:${String(new Date(s.crossedAt).getUTCSeconds()).padStart(2, "0")} ` +
      `(${tz}); pause call at ${s.pausedAt === null ? "never" : localClock(s.pausedAt, tz)}: ${delayS === null ? "-" : `${delayS.toFixed(0)} s`} later`,
  );
  console.log(
    `overshoot $${result.overshoot_usd} against one tick of burn $${result.one_tick_of_burn_usd}; ${sim.ticks} ticks in ${result.simulation_wall_s} s`,
  );
  const summary: SummaryRow[] = [
    {
      metric: "budget-blowout: bill crosses 200 % -> pause call (simulated time)",
      value: delayS === null ? "no pause" : `${delayS.toFixed(0)} s`,
    },
    {
      metric: "budget-blowout: overshoot after 200 % (one tick of burn)",
      value: `$${result.overshoot_usd.toFixed(2)} ($${result.one_tick_of_burn_usd.toFixed(2)})`,
      target: "<= one tick of burn",
      ok: s.overshootUsd <= s.tickBurnUsd + 1e-6,
    },
    {
      metric: "simulate: a budget day, a tick a minute (wall time; median tick)",
      value: `${result.simulation_wall_s} s; ${result.tick_median_ms} ms`,
    },
  ];
  return { ...result, summary };
}
