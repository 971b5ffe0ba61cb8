// The shape every action kind implements: when it applies, what it changes, how it reads.
import type { EndpointSettings, Policy } from "../../policy/index.ts";
import type { ActionKindName, Change, EndpointConfig, Level, Observation } from "../types.ts";

export interface ActionContext {
  policy: Policy;
  settings: EndpointSettings;
  config: EndpointConfig;
  ratio: number;
}

export interface ActionKind {
  name: ActionKindName;
  /** the ladder level at which this kind is planned */
  level: Exclude<Level, 0>;
  /** verb shown in timelines, e.g. "cap replicas" */
  verb: string;
  /** true when the endpoint is eligible and not already in the target state */
  needed(o: Observation, ctx: ActionContext): boolean;
  change(o: Observation, ctx: ActionContext): Change;
  /** configuration expected after the change */
  after(o: Observation, ctx: ActionContext): EndpointConfig;
  reason(o: Observation, ctx: ActionContext): string;
}
