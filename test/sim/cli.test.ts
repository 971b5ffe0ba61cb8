// `npm run simulate` as a user runs it: the JSON summary's exact shape, the CSV and SVG of --out, the
// table, and the refusals (a bad trace with the path of the error, a namespace the policy does not guard).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulationResultSchema } from "../../src/sim/result.ts";
import { trace, traceEndpoint } from "../fixtures/traces.ts";

const run = promisify(execFile);
let dir: string;

/** `npm run simulate -- ARGS`, without npm: its exit code, stdout and stderr. */
async function simulateCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/simulate.ts", ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

// 90 minutes of four A100 replicas ($10/h) against a $10 budget: 120 % at 72 minutes; capped to one
// replica there, the fleet then burns $2.50/h and ends the run at $12.75, short of 150 %.
const POLICY = `mode: dry_run
budget:
  daily_usd: 10
  timezone: Europe/Paris
hf:
  namespaces: [acme]
`;
const TRACE = trace([traceEndpoint({ min_replicas: 4, max_replicas: 4, demand_rps: new Array<number>(90).fill(3) })], {
  start: "2026-04-14T00:00:00+02:00",
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-sim-"));
  writeFileSync(join(dir, "policy.yaml"), POLICY);
  writeFileSync(join(dir, "trace.json"), JSON.stringify(TRACE));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm run simulate", () => {
  it("prints one JSON object with exactly the documented keys, and writes the CSV and the SVG", async () => {
    const out = join(dir, "out");
    // A tick every 3 minutes keeps the test quick; 72 minutes is still a tick.
    const res = await simulateCli(
      "--policy",
      join(dir, "policy.yaml"),
      "--trace",
      join(dir, "trace.json"),
      "--json",
      "--out",
      out,
      "--tick-minutes",
      "3",
    );
    expect(res.code, res.stderr).toBe(0);
    const result = simulationResultSchema.parse(JSON.parse(res.stdout));
    expect(Object.keys(result)).toEqual([
      "spend_without_usd",
      "spend_with_usd",
      "budget_usd",
      "peak_ratio",
      "crossings",
      "actions",
      "alerts",
      "overshoot_usd",
      "cold_starts",
      "budgets",
    ]);
    expect(result.budget_usd).toBe(10);
    // Without budgets: in the policy, the one budget is the fleet's, with the same figures as the top level.
    expect(result.budgets).toEqual([
      {
        name: "fleet",
        period: "day",
        amount_usd: 10,
        members: ["acme/llm"],
        spend_without_usd: 15,
        spend_with_usd: 12.75,
        peak_ratio: result.peak_ratio,
        crossings: result.crossings,
      },
    ]);
    expect(result.spend_without_usd).toBe(15);
    expect(result.spend_with_usd).toBe(12.75);
    expect(result.crossings).toEqual([{ level: "scale_down", at: "2026-04-13T23:12:00.000Z" }]);
    expect(result.actions).toEqual([
      { at: "2026-04-13T23:12:00.000Z", action: "scale_down", endpoint: "acme/llm", reason: expect.stringContaining("maxReplica 4 -> 1") },
    ]);
    expect(result.alerts).toContainEqual({ at: "2026-04-13T23:12:00.000Z", kind: "budget_level", endpoint: null });
    // The first tick already forecasts the day: $10/h for the 22 hours left is far past every threshold.
    expect(result.alerts[0]).toEqual({ at: "2026-04-13T22:00:00.000Z", kind: "forecast", endpoint: null });

    const csv = readFileSync(join(out, "simulation.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe(
      "time,spend_without_usd,spend_with_usd,metered_usd,level,replicas_without,replicas_with,demand_rps,served_rps_without,served_rps_with," +
        "failed_rps_without,failed_rps_with,replicas_with:acme/llm",
    );
    expect(csv).toHaveLength(91);
    expect(csv[1]?.startsWith("2026-04-14T00:01:00+02:00,")).toBe(true);
    const svg = readFileSync(join(out, "simulation.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("shutdown 200 %");
    expect(svg.match(/<circle cx=[^>]*r="5.5"/g)).toHaveLength(result.actions.length);
  });

  it("simulates the policy's dry run as enforce unless told to keep it, and says so in the table", async () => {
    const res = await simulateCli(
      "--policy",
      join(dir, "policy.yaml"),
      "--trace",
      join(dir, "trace.json"),
      "--hours",
      "1.25",
      "--tick-minutes",
      "6",
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(
      "mode enforce (simulated as enforce to show what it would change; the policy says dry_run, --keep-mode keeps it)",
    );
    expect(res.stdout).toMatch(/spend\s+\$12\.50\s+\$\d+\.\d\d\s+saved \$/);
    expect(res.stdout).toMatch(/scale_down 120 %\s+01:12\s+01:12\s+01:12/);
  });

  it("rejects a bad trace with the path of each error, exit code 1, and runs nothing", async () => {
    const bad = { ...TRACE, endpoints: [{ ...TRACE.endpoints[0], demand_rps: [1, -2, 3], max_replicas: 0 }] };
    writeFileSync(join(dir, "bad.json"), JSON.stringify(bad));
    const res = await simulateCli("--policy", join(dir, "policy.yaml"), "--trace", join(dir, "bad.json"), "--json");
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain(`trace ${join(dir, "bad.json")} is invalid:`);
    expect(res.stderr).toContain("endpoints[0].max_replicas: ");
    expect(res.stderr).toContain("endpoints[0].demand_rps[1]: ");
  });

  it("refuses a trace in a namespace the policy does not guard", async () => {
    writeFileSync(join(dir, "other.json"), JSON.stringify({ ...TRACE, endpoints: [{ ...TRACE.endpoints[0], namespace: "other" }] }));
    const res = await simulateCli("--policy", join(dir, "policy.yaml"), "--trace", join(dir, "other.json"));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`the trace's namespace "other" is not in the policy's hf.namespaces (acme)`);
  });

  it("explains its usage when given both a scenario and a trace", async () => {
    const res = await simulateCli("--scenario", "steady", "--trace", "x.json");
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("give exactly one of --scenario and --trace");
  });
});
