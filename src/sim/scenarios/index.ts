// The built-in scenarios, by name, in the order the README lists them.
import { budgetBlowout } from "./budget-blowout.ts";
import { deathSpiral } from "./death-spiral.ts";
import { gpuForSmallModel } from "./gpu-for-small-model.ts";
import type { Scenario } from "./kind.ts";
import { runawayScaling } from "./runaway-scaling.ts";
import { steady } from "./steady.ts";
import { trafficSpike } from "./traffic-spike.ts";

export const SCENARIOS: readonly Scenario[] = [steady, deathSpiral, runawayScaling, trafficSpike, gpuForSmallModel, budgetBlowout];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export {
  REFERENCE_BUDGET_USD,
  SCENARIO_DAY,
  type Scenario,
  type ScenarioContext,
  type ScenarioFleet,
  withScenarioSettings,
} from "./kind.ts";
