// The simulator's public surface, for scripts/simulate.ts and the benchmarks. The wire fakes it
// runs against are in src/fakes.
export { renderChart } from "./chart.ts";
export { AUTOSCALER, FleetModel } from "./fleet-model.ts";
export { isoInZone, localClock } from "./local-time.ts";
export { renderCsv, renderTable } from "./report.ts";
export { type SimulationResult, simulationResultSchema } from "./result.ts";
export { SCENARIOS, type Scenario, scenarioNamed, withScenarioSettings } from "./scenarios/index.ts";
export { type Simulation, simulate } from "./simulate.ts";
export { startTickHost, type TickHost } from "./tick-host.ts";
export { parseTrace, type Trace, traceProblems, validateTrace } from "./trace.ts";
