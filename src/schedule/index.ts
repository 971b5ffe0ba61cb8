// Predictive schedules: the policy's cron entries synced into EventBridge Scheduler, and the
// commands they publish when they fire.

export { type AwsCredentials, type SchedulerClientOptions, schedulerClient } from "./client.ts";
export {
  COMMAND_KIND,
  CONTEXT,
  commandTemplate,
  parseCommand,
  type ScheduledCommand,
  scheduledCommandSchema,
} from "./command.ts";
export { type CronSpec, instantsOf, nextFires, parseCron } from "./cron.ts";
export { type DeadLetter, deadLetterAlert, parseDeadLetter } from "./dead-letter.ts";
export { type DesiredSchedule, desiredSchedules, entryTimezone, schedulerRegion } from "./desired.ts";
export { renderPlan, renderResult } from "./render.ts";
export { type CommandDeps, type CommandOutcome, type CommandReport, mismatchWithPolicy, runScheduledCommand } from "./run-command.ts";
export {
  applySync,
  diffSchedule,
  type FieldChange,
  isInSync,
  planSync,
  pruneSync,
  type SchedulerApi,
  type SyncError,
  type SyncPlan,
  type SyncResult,
} from "./sync.ts";
export { desiredHash, syncFromWorker, type WorkerSyncDeps, type WorkerSyncOutcome } from "./worker-sync.ts";
