// The registry of action kinds, looked up by name by the planner and the executor.
import type { ActionKindName } from "../types.ts";
import { capReplicas } from "./cap-replicas.ts";
import type { ActionKind } from "./kind.ts";
import { pause } from "./pause.ts";
import { reroute } from "./reroute.ts";
import { restore } from "./restore.ts";
import { scaleDown } from "./scale-down.ts";
import { scaleUp, scaleUpRelease } from "./scale-up.ts";

export const ACTION_KINDS: Readonly<Record<ActionKindName, ActionKind>> = {
  scale_down: scaleDown,
  reroute,
  pause,
  scale_up: scaleUp,
  scale_up_release: scaleUpRelease,
  cap_replicas: capReplicas,
  restore,
};

/** In ladder order. */
export const LADDER: readonly ActionKind[] = [scaleDown, reroute, pause];

export type { ActionContext, ActionKind } from "./kind.ts";
export { isExpensive } from "./pause.ts";
export { holdReroutesOnSpentFallbacks, rerouteWithoutServiceAlert } from "./reroute.ts";
export { type ConfigPart, differingParts, restoreSteps } from "./restore.ts";
export {
  decideScheduledScale,
  type ScheduleDecision,
  type ScheduledScale,
  type ScheduleScaleInput,
  scheduleActionKey,
  scheduledTarget,
} from "./schedule-scale.ts";
