// The `/guardrail` grammar and the buttons the guardrail puts on Slack messages.
import { describe, expect, it } from "vitest";
import { parseSlashCommand } from "../../src/control/index.ts";
import type { Alert } from "../../src/core/types.ts";
import { ACTION_IDS, alertButtons } from "../../src/notify/index.ts";

describe("/guardrail", () => {
  it.each([
    ["", { kind: "help" }],
    ["help", { kind: "help" }],
    ["status", { kind: "status" }],
    ["  STATUS ", { kind: "status" }],
    ["suspend acme/llm 2h", { kind: "suspend", endpoint: "acme/llm", duration: "2h", reason: "suspended from Slack" }],
    ["suspend * 30m load test in progress", { kind: "suspend", endpoint: "*", duration: "30m", reason: "load test in progress" }],
    ["resume acme/llm", { kind: "resume", endpoint: "acme/llm" }],
    ["raise 300 4h", { kind: "raise", budgetUsd: 300, duration: "4h", reason: "raised from Slack" }],
    ["raise $250.50 1h launch day", { kind: "raise", budgetUsd: 250.5, duration: "1h", reason: "launch day" }],
    ["raise 50% 2h", { kind: "raise", percent: 50, duration: "2h", reason: "raised from Slack" }],
    ["raise search 4000 4h launch", { kind: "raise", budget: "search", budgetUsd: 4000, duration: "4h", reason: "launch" }],
    ["raise chat 50% 2h", { kind: "raise", budget: "chat", percent: 50, duration: "2h", reason: "raised from Slack" }],
  ])("reads %j", (text, expected) => {
    expect(parseSlashCommand(text)).toEqual(expected);
  });

  it.each([
    ["suspend acme/llm", "needs an endpoint and a duration"],
    ["resume", "needs one endpoint"],
    ["resume a/b c/d", "needs one endpoint"],
    ["raise lots 2h", "needs an amount"],
    ["raise 300", "needs an amount and a duration"],
    ["pause acme/llm", 'unknown subcommand "pause"'],
  ])("answers %j with help and the problem", (text, problem) => {
    const cmd = parseSlashCommand(text);
    expect(cmd.kind).toBe("help");
    expect(cmd.kind === "help" && cmd.error).toContain(problem);
  });
});

describe("buttons on alert messages", () => {
  const alert = (over: Partial<Alert>): Alert => ({
    kind: "budget_level",
    severity: "critical",
    endpoint: null,
    dedupKey: "2026-11-24:budget_level:3",
    title: "t",
    message: "m",
    figures: {},
    ...over,
  });

  it("offers Approve, Reject and Snooze 1h on an approval request, carrying the action key", () => {
    const block = alertButtons(
      alert({ kind: "approval_requested", endpoint: "acme/llm", figures: { key: "2026-11-24:pause:acme/llm", action: "pause" } }),
    );
    expect(block.elements.map((e) => [e.text.text, e.action_id, e.value])).toEqual([
      ["Approve pause", ACTION_IDS.approve, "2026-11-24:pause:acme/llm"],
      ["Reject", ACTION_IDS.reject, "2026-11-24:pause:acme/llm"],
      ["Snooze 1h", ACTION_IDS.snooze, JSON.stringify({ endpoint: "acme/llm", dedup_key: "2026-11-24:budget_level:3" })],
    ]);
  });

  it("offers Restore only when the alert is about one endpoint", () => {
    expect(alertButtons(alert({})).elements.map((e) => e.text.text)).toEqual(["Snooze 1h"]);
    expect(alertButtons(alert({ endpoint: "acme/llm" })).elements.map((e) => e.text.text)).toEqual(["Snooze 1h", "Restore"]);
  });
});
