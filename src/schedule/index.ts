// Predictive schedules: the policy's cron entries synced into EventBridge Scheduler, and the
// commands they publish when they fire.

export { type CronSpec, parseCron } from "../policy/index.ts";
export { type AwsCredentials, type SchedulerClientOptions, schedulerClient } from "./client.ts";
export {
  COMMAND_KIND,
  CONTEXT,
  commandTemplate,
  parseCommand,
  type ScheduledCommand,
  scheduledCommandSchema,
} from "./command.ts";
export { type DeadLetter, deadLetterAlert, parseDeadLetter } from "./dead-letter.ts";
export { type DesiredSchedule, desiredSchedules, entryTimezone, schedulerRegion } from "./desired.ts";
export { instantsOf, nextFires } from "./fire-times.ts";
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
