// Values the core works on: what was observed, what is planned, what is alerted.

import type { MicroUsd } from "./money.ts";
import type { EndpointSnapshot } from "./observation.ts";

/** One endpoint as seen in one tick, with its price resolved from the catalog. */
export interface Observation extends EndpointSnapshot {
  /** `namespace/name` */
  id: string;
  /** micro-USD per replica-hour; null when the catalog has no price for its hardware */
  priceMicroPerHour: number | null;
}

/** What the ledger remembers of an endpoint's last observation, to meter the next interval. */
export interface MeterPoint {
  at: number;
  billableReplicas: number;
  priceMicroPerHour: number | null;
  /** replicas that were initializing (billed, not serving) at `at`; absent: none known */
  initializing?: number;
  /** the hardware (`hardwareKey`) observed at `at`: the price holds for it only; absent: not known */
  hardware?: string;
}

export type Level = 0 | 1 | 2 | 3;
export const LEVEL_NAMES = ["normal", "scale_down", "reroute", "shutdown"] as const;
export type LevelName = (typeof LEVEL_NAMES)[number];

export type Severity = "info" | "warning" | "critical";

/** Public contract: subscribers filter on these. Documented in the README. */
export type AlertKind =
  | "budget_level"
  | "forecast"
  | "hourly_burn"
  | "runaway_scaling"
  | "request_spike"
  | "spend_spike"
  | "cold_starts"
  | "underutilized"
  | "scale_up"
  | "scale_up_held"
  | "error_rate"
  | "guardrail_blind"
  | "critical_endpoint_spared"
  | "reroute_without_service"
  | "reroute_held"
  | "restore"
  | "restore_skipped"
  | "action_failed"
  | "unpriced_endpoint"
  | "prices_stale"
  | "channel_misconfigured"
  | "schedule_dead_letter"
  | "policy_invalid"
  | "approval_requested"
  | "approval_expired"
  | "schedule_held"
  | "schedule_sync_failed";

export interface Alert {
  kind: AlertKind;
  severity: Severity;
  endpoint: string | null;
  /** one notification per condition per budget day: `${day}:${kind}:${endpoint}:${detail}` */
  dedupKey: string;
  title: string;
  /** what happened, with the figures, and what a person should do */
  message: string;
  figures: Record<string, number | string | null>;
}

export type RouteMode = "primary" | "overflow" | "fallback";

/** A change to the world, as data: the executor at the edge carries it out. */
export type Change =
  | { type: "hf_update"; body: import("./observation.ts").EndpointUpdate }
  | { type: "hf_pause" }
  | { type: "hf_resume" }
  | { type: "route"; mode: RouteMode; fallback: string | null }
  /** several changes to one endpoint, carried out in order (a restore puts back scaling, state and route) */
  | { type: "sequence"; steps: Change[] };

export type ActionKindName = "scale_down" | "reroute" | "pause" | "scale_up" | "scale_up_release" | "cap_replicas" | "restore";

/** Actions commanded from outside the ladder (a predictive schedule firing), journaled like the others. */
export type CommandKindName = "schedule_scale";

/** The configuration the guardrail may change, saved before and after each action so it can be undone. */
export interface EndpointConfig {
  state: string;
  minReplica: number;
  maxReplica: number;
  scaleToZeroTimeout: number | null;
  route: RouteMode;
  fallback: string | null;
}

export interface PlannedAction {
  kind: ActionKindName | CommandKindName;
  endpoint: string;
  /** idempotency key: one action of a kind per endpoint per budget day */
  key: string;
  level: Level;
  change: Change;
  before: EndpointConfig;
  /** expected configuration once the change took effect */
  after: EndpointConfig;
  reason: string;
  /** hourly cost this action stops or caps, for ordering (most expensive first) */
  hourlyMicro: MicroUsd;
  /** the named budget (`budgets:`) whose level called for it; absent: the fleet budget's */
  budget?: string;
}

export interface Plan {
  day: string;
  spendMicro: MicroUsd;
  budgetMicro: MicroUsd;
  ratio: number;
  /** highest level reached today, including this tick */
  level: Level;
  /** the level reached before this tick (to tell a new crossing) */
  previousLevel: Level;
  burnMicroPerHour: MicroUsd;
  actions: PlannedAction[];
  alerts: Alert[];
  /** alerts an `ack` override silences: not recorded or sent, but their conditions still hold */
  acked?: Alert[];
  /** actions over the blast radius, left for the next tick (most expensive ones were kept) */
  deferred?: PlannedAction[];
  /** journal keys of earlier days' actions that this tick settles without an action (restore skipped, or nothing to put back) */
  restoreSettled?: import("./restore.ts").RestoreMark[];
  /** per restore action key of this plan, the journal keys it settles once applied */
  restoreSettles?: Record<string, string[]>;
  /** what approval gating decided (new requests, timeouts, held actions), when approvals were given */
  approval?: import("./approvals.ts").ApprovalGate;
  /** end-of-day projection from the current burn, when the tick's time was known */
  forecast?: import("./forecast.ts").Forecast;
}
