// Approval mode in the tick: lets through the actions that need no approval or have it, stores
// new requests and timeouts, and returns the alerts that ask a person (once per action).
import { approvalExpiredAlert, approvalRequestedAlert, gateActions } from "../core/approvals.ts";
import type { Alert, PlannedAction } from "../core/types.ts";
import type { Policy } from "../policy/index.ts";
import { approvalsOfDay, recordApprovalChanges } from "../store/index.ts";

export async function gateApprovals(
  db: D1Database,
  policy: Policy,
  day: string,
  actions: readonly PlannedAction[],
  now: number,
): Promise<{ run: PlannedAction[]; alerts: Alert[] }> {
  const { scale_down, reroute, shutdown } = policy.approvals;
  // No rule, no D1 query: approval mode costs nothing when it is off.
  if (actions.length === 0 || (!scale_down && !reroute && !shutdown)) return { run: [...actions], alerts: [] };
  const records = new Map((await approvalsOfDay(db, day)).map((r) => [r.key, r]));
  const gate = gateActions(actions, policy.approvals, records, now);
  const fresh = await recordApprovalChanges(
    db,
    day,
    now,
    gate.request.map((r) => ({ action: r.action, deadline: r.deadline, onTimeout: r.rule.on_timeout })),
    gate.expired.map((e) => ({ key: e.action.key, status: e.outcome })),
  );
  return {
    run: gate.run,
    alerts: [
      ...gate.request.filter((r) => fresh.has(r.action.key)).map((r) => approvalRequestedAlert(day, r.action, r.rule)),
      ...gate.expired.map((e) => approvalExpiredAlert(day, e.action, e.rule, e.outcome)),
    ],
  };
}
