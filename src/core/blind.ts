// Blind detection: the guardrail cannot see (part of) the fleet. Counted in ticks, not minutes,
// so a slow cron never makes the guardrail think it is blind. Pure.
import type { Policy } from "../policy/index.ts";
import type { Alert, Level } from "./types.ts";

export interface BlindState {
  /** consecutive ticks, this one included, that failed to list at least one namespace */
  streak: number;
  /** when the streak started (ms), null when not failing */
  since: number | null;
  failedNamespaces: readonly string[];
}

export const isBlind = (b: BlindState | undefined, policy: Policy): boolean => (b?.streak ?? 0) >= policy.blind.after_ticks;

/** Fail safe applies when blind while the day is already over a threshold. */
export const escalates = (b: BlindState | undefined, policy: Policy, level: Level): boolean =>
  isBlind(b, policy) && policy.blind.on_blind === "fail_safe" && level >= 1;

export function blindAlert(day: string, b: BlindState, policy: Policy, level: Level): Alert {
  const escalate = escalates(b, policy, level);
  const since = b.since === null ? "" : ` since ${new Date(b.since).toISOString()}`;
  const what = escalate
    ? "Policy blind.on_blind is fail_safe and the day is over a threshold: non-critical endpoints it last saw are handled at the shutdown level."
    : level >= 1
      ? "The day is over a threshold and policy blind.on_blind is hold: the guardrail keeps what it did and waits."
      : "Spend of the unseen endpoints is not metered until they are seen again (then the gap is charged).";
  return {
    kind: "guardrail_blind",
    severity: level >= 1 || escalate ? "critical" : "warning",
    endpoint: null,
    dedupKey: `${day}:guardrail_blind`,
    title: `Guardrail blind: ${b.streak} ticks without seeing ${b.failedNamespaces.join(", ")}`,
    message:
      `The last ${b.streak} ticks could not list ${b.failedNamespaces.join(", ")}${since}. ${what} ` +
      "Check the HF token (HF_TOKEN), the namespaces in the policy and HF's status.",
    figures: { ticks: b.streak, namespaces: b.failedNamespaces.join(","), level, fail_safe: escalate ? 1 : 0 },
  };
}
