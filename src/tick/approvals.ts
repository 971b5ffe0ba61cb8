// Approval mode in the tick: the planner gated the actions (core/approvals.ts via plan()); this
// loads the day's records before planning and stores new requests and timeouts after, returning
// the alerts that ask a person (once per action), each in the same transaction as its row.

import { alertEvent } from "../act/index.ts";
import { type ApprovalGate, type ApprovalRecord, approvalExpiredAlert, approvalRequestedAlert } from "../core/index.ts";
import type { Policy } from "../policy/index.ts";
import { approvalsOfDay, type EventRow, recordApprovalChanges } from "../store/index.ts";

/** Today's approval records, or undefined when no rule asks for approval (then no D1 query). */
export async function loadApprovals(db: D1Database, policy: Policy, day: string): Promise<Map<string, ApprovalRecord> | undefined> {
  const { scale_down, reroute, shutdown } = policy.approvals;
  if (!scale_down && !reroute && !shutdown) return undefined;
  return new Map((await approvalsOfDay(db, day)).map((r) => [r.key, r]));
}

/**
 * Stores this tick's new requests and timeouts with their alerts (one transaction, store/approvals.ts) and
 * returns the alerts' events that were new: a request is alerted once, with its row.
 */
export async function recordApprovals(db: D1Database, day: string, gate: ApprovalGate, now: number, dryRun: boolean): Promise<EventRow[]> {
  if (gate.request.length === 0 && gate.expired.length === 0) return [];
  return recordApprovalChanges(
    db,
    day,
    now,
    gate.request.map((r) => ({
      action: r.action,
      deadline: r.deadline,
      onTimeout: r.rule.on_timeout,
      event: alertEvent(now, approvalRequestedAlert(day, r.action, r.rule, dryRun)),
    })),
    gate.expired.map((e) => ({
      key: e.action.key,
      status: e.outcome,
      event: alertEvent(now, approvalExpiredAlert(day, e.action, e.rule, e.outcome, dryRun)),
    })),
  );
}
