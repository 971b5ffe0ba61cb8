// The alert kinds, a public contract (subscribers filter on them; the README documents each one).
// A condition is raised on every tick while it holds, under a dedup key stable for that condition,
// so an outbox can tell when it clears; an event is raised once, when it happens.
import type { AlertKind } from "./types.ts";

export type AlertNature = "condition" | "event";

export const ALERT_KINDS = {
  budget_level: "condition",
  forecast: "condition",
  hourly_burn: "condition",
  runaway_scaling: "condition",
  request_spike: "condition",
  spend_spike: "condition",
  cold_starts: "condition",
  underutilized: "condition",
  scale_up: "condition",
  scale_up_held: "condition",
  error_rate: "condition",
  guardrail_blind: "condition",
  critical_endpoint_spared: "condition",
  reroute_without_service: "condition",
  reroute_held: "condition",
  unpriced_endpoint: "condition",
  prices_stale: "condition",
  channel_misconfigured: "event",
  schedule_dead_letter: "event",
  policy_invalid: "condition",
  restore: "event",
  restore_skipped: "event",
  action_failed: "event",
  approval_requested: "event",
  approval_expired: "event",
  schedule_held: "event",
  schedule_sync_failed: "event",
} as const satisfies Record<AlertKind, AlertNature>;
