// The sync run from the Worker (schedules.sync_from_worker): the first tick that sees a new set
// of desired schedules (a deploy or a GUARDRAIL_POLICY change) applies and prunes them, once;
// a failed sync is retried by later ticks (a few attempts) and alerted.
import type { Policy } from "../policy/index.ts";
import { claimScheduleSync, type EventRow, finishScheduleSync, type NewEvent } from "../store/index.ts";
import { type DesiredSchedule, desiredSchedules } from "./desired.ts";
import { renderResult } from "./render.ts";
import { applySync, planSync, pruneSync, type SchedulerApi, type SyncResult } from "./sync.ts";

export interface WorkerSyncDeps {
  db: D1Database;
  policy: Policy;
  now: number;
  /** null when the Worker has no AWS credentials: the sync fails with that reason */
  client: SchedulerApi | null;
  /** a sync left running longer than this is taken over; default 10 minutes */
  staleMs?: number;
  /** the Scheduler requests made so far by this sync (the client's), kept with its event */
  subrequests?: () => number;
}

export type WorkerSyncOutcome =
  | { outcome: "disabled" | "unchanged" }
  | { outcome: "done" | "failed"; hash: string; summary: string; events: EventRow[]; subrequests: number };

/** Identity of the desired state: what Scheduler should hold, independent of key order in the policy. */
export async function desiredHash(group: string, desired: readonly DesiredSchedule[]): Promise<string> {
  const canonical = JSON.stringify({
    group,
    schedules: desired.map((d) => [d.name, d.expression, d.timezone, d.state, d.description, d.target]).sort(),
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function syncFromWorker(deps: WorkerSyncDeps): Promise<WorkerSyncOutcome> {
  const { db, policy, now } = deps;
  if (!policy.schedules.sync_from_worker) return { outcome: "disabled" };
  const desired = desiredSchedules(policy);
  const group = policy.schedules.group;
  const hash = await desiredHash(group, desired);
  if (!(await claimScheduleSync(db, hash, now, now - (deps.staleMs ?? 600_000)))) return { outcome: "unchanged" };

  let result: SyncResult | null = null;
  let error: string | null = null;
  try {
    if (deps.client === null) throw new Error("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set");
    const plan = await planSync(deps.client, group, desired);
    const applied = await applySync(deps.client, plan);
    // Prune only after a clean apply, so a half-applied policy never loses the old schedules too.
    const pruned = applied.errors.length === 0 ? await pruneSync(deps.client, plan) : null;
    result = { ...applied, deleted: pruned?.deleted ?? [], errors: [...applied.errors, ...(pruned?.errors ?? [])] };
    if (result.errors.length > 0) error = renderResult({ ...result, created: [], updated: [], deleted: [], createdGroup: false });
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const summary = result ? renderResult(result) : `sync failed: ${error}`;
  const subrequests = deps.subrequests?.() ?? 0;
  const events: NewEvent[] = [
    {
      at: now,
      type: "action",
      kind: "schedule_sync",
      severity: null,
      endpoint: null,
      title: error === null ? `Synced the schedules of group ${group}` : `Schedule sync of group ${group} failed`,
      message: summary,
      data: { hash, group, schedules: desired.length, subrequests, ...(result ?? {}) },
      dedupKey: null,
    },
  ];
  if (error !== null) {
    events.push({
      at: now,
      type: "alert",
      kind: "schedule_sync_failed",
      severity: "warning",
      endpoint: null,
      title: `EventBridge Scheduler does not match the policy (group ${group})`,
      message: `${error}. The next ticks retry a few times; or run \`npm run schedules -- apply\` and \`prune\` with AWS credentials.`,
      data: { hash, group },
      dedupKey: `schedule_sync_failed:${hash}`,
    });
  }
  const recorded = await finishScheduleSync(db, hash, error === null ? "done" : "failed", summary, error, now, events);
  return { outcome: error === null ? "done" : "failed", hash, summary, events: recorded, subrequests };
}
