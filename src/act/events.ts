// What the executor and reconciliation tell the timeline: one action event per change carried out
// (or recorded in dry run, or failed), and one alert when a change failed its last attempt; and
// any alert as its timeline event (the tick's and a scheduled command's).
import type { Alert, PlannedAction } from "../core/index.ts";
import type { NewEvent } from "../store/index.ts";
import type { Outcome } from "./execute.ts";

const DONE_VERB: Record<PlannedAction["kind"], string> = {
  scale_down: "Capped",
  reroute: "Rerouted",
  pause: "Paused",
  scale_up: "Added a replica to",
  scale_up_release: "Released the scale-up floor of",
  cap_replicas: "Capped at expected max",
  restore: "Restored",
  schedule_scale: "Scaled",
};

const verb = (kind: string) => kind.replace("_", " ");

/** The one alert for a change that could not be made: keyed by the action's own day, so it is sent once. */
export function failedAlert(now: number, key: string, kind: string, endpoint: string, day: string, error: string | null): NewEvent {
  return {
    at: now,
    type: "alert",
    kind: "action_failed",
    severity: "critical",
    endpoint,
    title: `Could not ${verb(kind)} ${endpoint}`,
    message: `${error}. The guardrail tried ${kind === "restore" ? "to put it back" : "it"} on several ticks and HF does not show the change; act by hand if spend keeps rising.`,
    data: { key },
    dedupKey: `${day}:action_failed:${key}`,
  };
}

/** The timeline events of carried-out actions: the executor writes them with each result. */
export function actionEvents(now: number, day: string, executed: readonly Outcome[]): NewEvent[] {
  const out: NewEvent[] = [];
  for (const x of executed) {
    if (x.status === "skipped") continue;
    const a = x.action;
    const title =
      x.status === "dry_run"
        ? `[dry run] would ${verb(a.kind)} ${a.endpoint}`
        : x.status === "failed"
          ? `Failed to ${verb(a.kind)} ${a.endpoint}`
          : `${DONE_VERB[a.kind]} ${a.endpoint}${x.confirmed ? " (confirmed by reading it back after an error)" : ""}`;
    out.push({
      at: now,
      type: "action",
      kind: a.kind,
      severity: null,
      endpoint: a.endpoint,
      title,
      message: a.reason,
      data: {
        key: a.key,
        status: x.status,
        level: a.level,
        change: a.change,
        before: a.before,
        after: x.after,
        error: x.error,
        budget: a.budget ?? null,
      },
      dedupKey: null,
    });
    if (x.status === "failed" && x.final) out.push(failedAlert(now, a.key, a.kind, a.endpoint, day, x.error));
  }
  return out;
}

/** An alert as its timeline event (the outbox sends it from there). */
export const alertEvent = (now: number, a: Alert): NewEvent => ({
  at: now,
  type: "alert",
  kind: a.kind,
  severity: a.severity,
  endpoint: a.endpoint,
  title: a.title,
  message: a.message,
  data: a.figures,
  dedupKey: a.dedupKey,
});
