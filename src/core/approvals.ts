// Approval mode: actions at a level the policy names wait for a person. Approved, they run;
// rejected, they do not (that day); unanswered past the wait, the policy's on_timeout decides.
// Pure: the shell loads the day's approval records and stores what this returns.
import type { ApprovalRule, ApprovalsPolicy } from "../policy/index.ts";
import { levelName } from "./ladder.ts";
import { formatUsd } from "./money.ts";
import type { Alert, PlannedAction } from "./types.ts";

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired_run" | "expired_hold";

export interface ApprovalRecord {
  key: string;
  status: ApprovalStatus;
  deadline: number;
}

export interface ApprovalGate {
  /** actions that may run now */
  run: PlannedAction[];
  /** new requests to store (status pending), each with its deadline */
  request: Array<{ action: PlannedAction; rule: ApprovalRule; deadline: number }>;
  /** pending requests whose wait ran out this tick, with what the policy decided */
  expired: Array<{ action: PlannedAction; rule: ApprovalRule; outcome: "expired_run" | "expired_hold" }>;
  /** waiting for an answer, or refused (rejected / held): not run */
  held: PlannedAction[];
}

export function ruleFor(policy: ApprovalsPolicy, level: number): ApprovalRule | null {
  if (level < 1 || level > 3) return null;
  return policy[levelName(level as 1 | 2 | 3) as "scale_down" | "reroute" | "shutdown"];
}

export function gateActions(
  actions: readonly PlannedAction[],
  policy: ApprovalsPolicy,
  records: ReadonlyMap<string, ApprovalRecord>,
  now: number,
): ApprovalGate {
  const gate: ApprovalGate = { run: [], request: [], expired: [], held: [] };
  for (const action of actions) {
    const rule = ruleFor(policy, action.level);
    const record = records.get(action.key);
    if (!rule) {
      gate.run.push(action);
    } else if (!record) {
      gate.request.push({ action, rule, deadline: now + rule.wait_minutes * 60_000 });
      gate.held.push(action);
    } else if (record.status === "approved" || record.status === "expired_run") {
      gate.run.push(action);
    } else if (record.status === "pending" && now >= record.deadline) {
      const outcome = rule.on_timeout === "run" ? "expired_run" : "expired_hold";
      gate.expired.push({ action, rule, outcome });
      (outcome === "expired_run" ? gate.run : gate.held).push(action);
    } else {
      gate.held.push(action);
    }
  }
  return gate;
}

/** In dry run a person is still asked (a rehearsal), and told that the answer changes nothing. */
const DRY_RUN_TITLE = "[dry run] ";
const DRY_RUN_NOTE = " (dry run: approved or not, nothing changes; the journal records what it would do)";

export function approvalRequestedAlert(day: string, a: PlannedAction, rule: ApprovalRule, dryRun = false): Alert {
  const then = rule.on_timeout === "run" ? "it runs anyway" : "it is held for the rest of the day";
  return {
    kind: "approval_requested",
    severity: a.level >= 3 ? "critical" : "warning",
    endpoint: a.endpoint,
    dedupKey: `${day}:approval_requested:${a.key}`,
    title: `${dryRun ? DRY_RUN_TITLE : ""}Approve ${a.kind.replace("_", " ")} of ${a.endpoint}?`,
    message:
      `The guardrail wants to ${a.kind.replace("_", " ")} ${a.endpoint} (${a.reason}; ${formatUsd(a.hourlyMicro)}/h). ` +
      `The policy asks a person first: approve or reject within ${rule.wait_minutes} min, otherwise ${then}${dryRun ? DRY_RUN_NOTE : ""}.`,
    figures: { action: a.kind, key: a.key, level: a.level, wait_minutes: rule.wait_minutes, on_timeout: rule.on_timeout },
  };
}

export function approvalExpiredAlert(
  day: string,
  a: PlannedAction,
  rule: ApprovalRule,
  outcome: "expired_run" | "expired_hold",
  dryRun = false,
): Alert {
  const ran = outcome === "expired_run";
  return {
    kind: "approval_expired",
    severity: "warning",
    endpoint: a.endpoint,
    dedupKey: `${day}:approval_expired:${a.key}`,
    title: `${dryRun ? DRY_RUN_TITLE : ""}No answer in ${rule.wait_minutes} min: ${ran ? "running" : "holding"} ${a.kind.replace("_", " ")} of ${a.endpoint}`,
    message: ran
      ? `Nobody approved or rejected it, and the policy says run on timeout. ${a.reason}.`
      : `Nobody approved or rejected it, and the policy says hold on timeout: it will not run today unless approved.`,
    figures: { action: a.kind, key: a.key, level: a.level, on_timeout: rule.on_timeout },
  };
}
