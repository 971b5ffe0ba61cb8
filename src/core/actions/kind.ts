// The shape every action kind implements: when it applies, what it changes, how it reads.
import type { EndpointSettings, Policy } from "../../policy/index.ts";
import type { ActionKindName, Change, EndpointConfig, Level, Observation } from "../types.ts";

export interface ActionContext {
  policy: Policy;
  settings: EndpointSettings;
  config: EndpointConfig;
  ratio: number;
  /** why a trigger asks for this action, with its figures (scale_up) */
  detail?: string;
  /** minReplica before today's first scale-up (scale_up_release puts it back) */
  floor?: number;
  /** what a restore puts back, and which parts of the configuration the guardrail had changed */
  restore?: import("../restore.ts").RestoreTarget;
}

export interface ActionKind {
  name: ActionKindName;
  /** the ladder level at which this kind is planned; 0 for kinds planned by triggers or restore */
  level: Level;
  /** verb shown in timelines, e.g. "cap replicas" */
  verb: string;
  /** true when the endpoint is eligible and not already in the target state */
  needed(o: Observation, ctx: ActionContext): boolean;
  change(o: Observation, ctx: ActionContext): Change;
  /** configuration expected after the change */
  after(o: Observation, ctx: ActionContext): EndpointConfig;
  reason(o: Observation, ctx: ActionContext): string;
}
