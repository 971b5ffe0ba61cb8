// Human control: overrides, approvals and forced actions, shared by the override webhook and Slack.
export { decisionEvent, describeOverride, overrideCreatedEvent, overrideJson, overridesEndedEvent } from "./events.ts";
export {
  type CreateRequest,
  type DecisionRequest,
  type EndRequest,
  endRequestSchema,
  isDecision,
  MAX_BODY_BYTES,
  type OverrideRequest,
  overrideRequestSchema,
} from "./requests.ts";
export {
  type ControlDeps,
  type ControlError,
  type ControlResult,
  type Created,
  createOverride,
  decide,
  endOverride,
  newOverrideId,
  resolveUntil,
  resumeEndpoint,
} from "./service.ts";
export { parseSlashCommand, type SlashCommand, USAGE } from "./slack-commands.ts";
