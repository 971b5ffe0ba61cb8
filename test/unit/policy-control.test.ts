// The policy sections for human control: overrides, approvals, status.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/policy/index.ts";

const minimal = "budget: { daily_usd: 50 }\nhf: { namespaces: [acme] }\n";

describe("human control in the policy", () => {
  it("defaults to 24 h overrides, nobody on Slack, no approvals and a private status", () => {
    const res = parsePolicy(minimal);
    if (!res.ok) throw new Error(JSON.stringify(res.issues));
    expect(res.policy.overrides).toEqual({ max_duration_hours: 24, slack_users: [] });
    expect(res.policy.approvals).toEqual({ scale_down: null, reroute: null, shutdown: null });
    expect(res.policy.status).toEqual({ public: false });
  });

  it("accepts the commented example in guardrail.yaml once uncommented", () => {
    const text = readFileSync("guardrail.yaml", "utf8");
    // The block runs from its heading comment to the next blank line.
    const block = text.slice(text.indexOf("# Human control")).split("\n\n")[0] ?? "";
    const example = block.replace(/^# ?/gm, "").split("\n").slice(1).join("\n");
    const res = parsePolicy(`${minimal}${example}`);
    expect(res.ok, JSON.stringify(res)).toBe(true);
    if (!res.ok) return;
    expect(res.policy.approvals.shutdown).toEqual({ wait_minutes: 15, on_timeout: "hold" });
    expect(res.policy.overrides.slack_users).toEqual(["U2CERLKJA"]);
  });

  it.each([
    ["overrides: { slack_users: [alice] }", "overrides.slack_users[0]"],
    ["overrides: { max_duration_hours: 0 }", "overrides.max_duration_hours"],
    ["approvals: { shutdown: { wait_minutes: 15 } }", "approvals.shutdown.on_timeout"],
    ["approvals: { shutdown: { wait_minutes: 15, on_timeout: later } }", "approvals.shutdown.on_timeout"],
    ["approvals: { pause: { wait_minutes: 15, on_timeout: run } }", "approvals"],
    ["status: { public: yes please }", "status.public"],
  ])("refuses %s naming %s", (yaml, path) => {
    const res = parsePolicy(`${minimal}${yaml}\n`);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.issues[0]?.path).toBe(path);
  });
});
