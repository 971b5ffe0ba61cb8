// `npm run simulate`: what the guardrail would have done to a day of traffic, before you deploy it.
//   npm run simulate -- --policy guardrail.yaml (--scenario NAME | --trace FILE) [--json] [--out DIR]
// Exit codes: 0 done, 1 invalid policy or trace, 2 bad command line.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Policy, parsePolicy } from "../src/policy/index.ts";
import {
  parseTrace,
  renderChart,
  renderCsv,
  renderTable,
  SCENARIOS,
  type Simulation,
  scenarioNamed,
  simulate,
  type Trace,
  traceProblems,
  withScenarioSettings,
} from "../src/sim/index.ts";

const USAGE = `usage: npm run simulate -- --policy FILE (--scenario NAME | --trace FILE) [options]

  --policy FILE       the policy to simulate (default guardrail.yaml)
  --scenario NAME     a built-in scenario (see --list), sized to the policy's budget and first namespace
  --trace FILE        a trace file (JSON; format in the README, "Simulate a day before you deploy")
  --json              print one JSON object instead of the table
  --out DIR           also write DIR/simulation.csv (per step) and DIR/simulation.svg (chart)
  --tick-minutes N    minutes between guard ticks (default 1, as the cron)
  --hours N           simulate only the first N hours of the trace
  --keep-mode         simulate the policy's mode as written (default: enforce, to show what it would change)
  --list              list the built-in scenarios
`;

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(2, `--${name} must be a positive number (got ${value})\n\n${USAGE}`);
  return n;
}

/** A progress bar on stderr, redrawn at most ten times a second; silent when stderr is not a terminal. */
function progressBar(label: string): { update(done: number, total: number): void; done(): void } {
  if (!process.stderr.isTTY) return { update() {}, done() {} };
  const started = Date.now();
  let drawn = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - drawn < 100 && done < total) return;
      drawn = now;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const elapsed = (now - started) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
      process.stderr.write(
        `\r${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.floor((done / total) * 100)
          .toString()
          .padStart(3)}% ${done}/${total} steps, ${elapsed.toFixed(0)} s${done < total ? `, about ${eta.toFixed(0)} s left` : ""}   `,
      );
    },
    done() {
      process.stderr.write("\n");
    },
  };
}

async function main() {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        policy: { type: "string", default: "guardrail.yaml" },
        scenario: { type: "string" },
        trace: { type: "string" },
        json: { type: "boolean", default: false },
        out: { type: "string" },
        "tick-minutes": { type: "string" },
        hours: { type: "string" },
        "keep-mode": { type: "boolean", default: false },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
  try {
    args = parse();
  } catch (error) {
    fail(2, `${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
  const opts = args.values;
  if (opts.help) return void process.stdout.write(USAGE);
  if (opts.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(22)}${s.summary}\n${"".padEnd(22)}expected: ${s.expected}\n`);
    return;
  }
  if ((opts.scenario === undefined) === (opts.trace === undefined)) fail(2, `give exactly one of --scenario and --trace\n\n${USAGE}`);
  const tickMinutes = positive("tick-minutes", opts["tick-minutes"]);
  const hours = positive("hours", opts.hours);

  let policyText: string;
  try {
    policyText = readFileSync(opts.policy, "utf8");
  } catch (error) {
    fail(1, `cannot read the policy ${opts.policy}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = parsePolicy(policyText);
  if (!parsed.ok) fail(1, `policy ${opts.policy} is invalid:\n${parsed.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
  let policy: Policy = parsed.policy;

  let trace: Trace;
  let title: string;
  let summary: string | undefined;
  let expected: string | undefined;
  if (opts.scenario !== undefined) {
    const scenario = scenarioNamed(opts.scenario);
    if (!scenario) fail(2, `no scenario "${opts.scenario}"; the scenarios are: ${SCENARIOS.map((s) => s.name).join(", ")}`);
    const fleet = scenario.build({
      namespace: policy.hf.namespaces[0] as string,
      budgetUsd: policy.budget.daily_usd,
      timezone: policy.budget.timezone,
    });
    // The scenario's own endpoints get its settings (a fallback, an expected max); the policy's entries win.
    const merged = withScenarioSettings(policy, fleet);
    if (!merged.ok) fail(1, `scenario settings do not fit the policy: ${merged.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    policy = merged.policy;
    trace = fleet.trace;
    title = `scenario ${scenario.name}`;
    summary = scenario.summary;
    expected = scenario.expected;
  } else {
    const file = opts.trace as string;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      fail(1, `cannot read the trace ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const result = parseTrace(text);
    if (!result.ok) fail(1, `trace ${file} is invalid:\n${result.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
    trace = result.trace;
    title = `trace ${file}`;
  }

  let modeNote: string | undefined;
  if (!opts["keep-mode"] && policy.mode !== "enforce") {
    modeNote = `simulated as enforce to show what it would change; the policy says ${policy.mode}, --keep-mode keeps it`;
    policy = { ...policy, mode: "enforce" };
  }
  const problems = traceProblems(trace, policy);
  if (problems.length > 0) fail(1, problems.join("\n"));

  const steps = hours === undefined ? undefined : Math.max(1, Math.round((hours * 3600) / trace.step_seconds));
  const bar = progressBar("simulating");
  let sim: Simulation;
  try {
    sim = await simulate({ policy, trace, tickMinutes, steps, onProgress: (d, t) => bar.update(d, t) });
  } finally {
    bar.done();
  }

  if (opts.json) process.stdout.write(`${JSON.stringify(sim.result, null, 2)}\n`);
  else process.stdout.write(renderTable(sim, { title, summary, expected, policy, policySource: opts.policy, modeNote }));

  if (opts.out !== undefined) {
    mkdirSync(opts.out, { recursive: true });
    const csv = join(opts.out, "simulation.csv");
    const svg = join(opts.out, "simulation.svg");
    writeFileSync(csv, renderCsv(sim, policy));
    writeFileSync(
      svg,
      renderChart(sim, {
        title: `${title}: spend with and without the guardrail`,
        timezone: policy.budget.timezone,
        budgetUsd: policy.budget.daily_usd,
        thresholds: policy.thresholds,
      }),
    );
    (opts.json ? process.stderr : process.stdout).write(`wrote ${csv} and ${svg}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`simulate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
