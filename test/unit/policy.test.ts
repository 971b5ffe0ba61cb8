import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy, settingsFor } from "../../src/policy/index.ts";

const minimal = "budget: { daily_usd: 50 }\nhf: { namespaces: [acme] }\n";

describe("policy", () => {
  it("accepts the shipped guardrail.yaml and the demo policy", () => {
    for (const file of ["guardrail.yaml", "scripts/demo-policy.yaml"]) {
      const res = parsePolicy(readFileSync(file, "utf8"));
      expect(res.ok, `${file}: ${JSON.stringify(res)}`).toBe(true);
    }
  });

  it("fills the documented defaults", () => {
    const res = parsePolicy(minimal);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.mode).toBe("dry_run");
    expect(res.policy.thresholds).toEqual({ scale_down: 1.2, reroute: 1.5, shutdown: 2.0 });
    expect(res.policy.expensive_usd_per_hour).toBe(0.5);
    expect(res.policy.budget.timezone).toBe("UTC");
  });

  it("names the path and the allowed values of a bad enum", () => {
    const res = parsePolicy(`mode: enforced\n${minimal}`);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues[0]).toMatchObject({ path: "mode", allowed: ["enforce", "dry_run"] });
  });

  it("rejects unknown keys, bad time zones, bad endpoint keys and thresholds out of order", () => {
    const res = parsePolicy(
      "budget: { daily_usd: 50, timezone: Mars/Olympus }\nhf: { namespaces: [acme] }\nthresholds: { scale_down: 2, reroute: 1.5, shutdown: 3 }\n" +
        "endpoints: { NotAKey: { critical: true }, acme/x: { critcal: true } }\nbudgett: 1\n",
    );
    expect(res.ok).toBe(false);
    if (res.ok) return;
    const paths = res.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["budget.timezone", "thresholds", "endpoints.NotAKey", 'endpoints["acme/x"]', "(root)"]));
  });

  it("reports YAML syntax errors with their line", () => {
    const res = parsePolicy("budget: [\n");
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.issues[0]?.path).toMatch(/^line \d+/);
  });

  it("merges an endpoint's settings over the defaults entry", () => {
    const res = parsePolicy(
      `${minimal}endpoints:\n  defaults: { critical: true, expected_max_replicas: 3 }\n  acme/llm: { critical: false }\n` +
        "services:\n  chat: { primary: { target: acme/llm }, fallback: { target: acme/llm-cpu }, callers: [K] }\n",
    );
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(settingsFor(res.policy, "acme/llm")).toEqual({ critical: false, fallback: "acme/llm-cpu", expected_max_replicas: 3 });
    expect(settingsFor(res.policy, "acme/other")).toEqual({ critical: true, fallback: null, expected_max_replicas: 3 });
  });
});
