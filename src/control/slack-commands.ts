// Slack as a control surface: the `/guardrail` slash command's grammar (the buttons are in
// notify/slack-buttons.ts). Pure: no I/O here.

export type SlashCommand =
  | { kind: "help"; error?: string }
  | { kind: "status" }
  | { kind: "suspend"; endpoint: string; duration: string; reason: string }
  | { kind: "resume"; endpoint: string }
  | { kind: "raise"; budget?: string; budgetUsd?: number; percent?: number; duration: string; reason: string };

export const USAGE = [
  "`/guardrail status`: today's spend, level, overrides and actions waiting for approval",
  "`/guardrail suspend <namespace/name | *> <duration> [reason]`: no automatic actions until then (alerts continue)",
  "`/guardrail resume <namespace/name | *>`: end that suspension now",
  "`/guardrail raise [budget] <amount | percent> <duration> [reason]`: a higher budget for today, e.g. `raise 300 4h`, `raise 50% 2h` or `raise search 4000 4h` (a named budget)",
].join("\n");

const AMOUNT = /^\$?(\d+(?:\.\d+)?)(%|usd)?$/i;

/** Parses the text after `/guardrail`. */
export function parseSlashCommand(text: string): SlashCommand {
  const [word = "", ...rest] = text.trim().split(/\s+/).filter(Boolean);
  const sub = word.toLowerCase();
  if (sub === "" || sub === "help") return { kind: "help" };
  if (sub === "status") return { kind: "status" };
  if (sub === "suspend") {
    const [endpoint, duration, ...why] = rest;
    if (!endpoint || !duration) return { kind: "help", error: "suspend needs an endpoint and a duration, e.g. `suspend acme/llm 2h`" };
    return { kind: "suspend", endpoint, duration, reason: why.join(" ") || "suspended from Slack" };
  }
  if (sub === "resume") {
    const [endpoint] = rest;
    if (!endpoint || rest.length > 1) return { kind: "help", error: "resume needs one endpoint, e.g. `resume acme/llm`" };
    return { kind: "resume", endpoint };
  }
  if (sub === "raise") {
    // An optional budget name first: `raise search 4000 4h` (a budget name never reads as an amount).
    const named = rest.length > 1 && !AMOUNT.test(rest[0] ?? "") && AMOUNT.test(rest[1] ?? "");
    const [amount = "", duration, ...why] = named ? rest.slice(1) : rest;
    const budget = named ? { budget: rest[0] as string } : {};
    const m = AMOUNT.exec(amount);
    if (!m || !duration) return { kind: "help", error: "raise needs an amount and a duration, e.g. `raise 300 4h` or `raise 50% 2h`" };
    const n = Number(m[1]);
    const reason = why.join(" ") || "raised from Slack";
    return m[2] === "%"
      ? { kind: "raise", ...budget, percent: n, duration, reason }
      : { kind: "raise", ...budget, budgetUsd: n, duration, reason };
  }
  return { kind: "help", error: `unknown subcommand "${word}"` };
}
