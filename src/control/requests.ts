// The override webhook's request bodies, one zod schema per operation. Shapes only: whether the
// endpoint exists, the duration fits the policy and the budget is a raise is checked in service.ts.
import * as z from "zod";
import { FORCE_ACTIONS } from "../core/index.ts";
import { ENDPOINT_KEY } from "../policy/index.ts";

export const MAX_BODY_BYTES = 8 * 1024;

const endpoint = z.string().max(200).regex(ENDPOINT_KEY, 'expected "namespace/name" as HF spells it');
const endpointOrAll = z.union([z.literal("*"), endpoint], { error: 'expected "namespace/name" or "*" for every endpoint' });

const common = {
  reason: z.string().trim().min(1, "required: say why").max(500),
  actor: z.string().trim().min(1, "required: who asks").max(100),
  duration: z.string().max(20).optional().describe("how long it lasts: 30m, 2h, 1h30m, 1d"),
  until: z.iso.datetime({ offset: true, error: "expected an ISO 8601 time with offset, e.g. 2026-05-01T18:00:00Z" }).optional(),
};

export const suspendRequest = z.object({ op: z.literal("suspend"), endpoint: endpointOrAll, ...common }).strict();

export const raiseRequest = z
  .object({
    op: z.literal("raise_budget"),
    budget_usd: z.number().positive().max(10_000_000).optional().describe("today's budget in USD (absolute)"),
    percent: z.number().positive().max(10_000).optional().describe("today's budget = policy budget x (1 + percent/100)"),
    budget: z
      .string()
      .max(63)
      .optional()
      .describe('the budget it raises: a name from `budgets:` (absent or "fleet": the fleet budget, `budget:`)'),
    ...common,
  })
  .strict();

export const forceRequest = z
  .object({ op: z.literal("force"), endpoint: endpointOrAll, action: z.enum(FORCE_ACTIONS), ...common })
  .strict();

export const ackRequest = z
  .object({
    op: z.literal("ack"),
    dedup_key: z.string().min(3).max(300).describe("the alert's dedup key, with or without its leading budget day"),
    ...common,
  })
  .strict();

export const decisionRequest = z
  .object({
    op: z.enum(["approve", "reject"]),
    endpoint,
    action: z.enum(["scale_down", "reroute", "pause"]),
    reason: common.reason,
    actor: common.actor,
  })
  .strict();

export const overrideRequestSchema = z.discriminatedUnion("op", [suspendRequest, raiseRequest, forceRequest, ackRequest, decisionRequest]);
export type OverrideRequest = z.infer<typeof overrideRequestSchema>;
export type DecisionRequest = z.infer<typeof decisionRequest>;
export type CreateRequest = Exclude<OverrideRequest, DecisionRequest>;
export const isDecision = (r: OverrideRequest): r is DecisionRequest => r.op === "approve" || r.op === "reject";

/** DELETE /v1/overrides/{id}: the body names the id again, so the signature covers which override ends. */
export const endRequestSchema = z
  .object({ id: z.string().min(1).max(64), actor: common.actor, reason: z.string().trim().max(500).optional() })
  .strict();
export type EndRequest = z.infer<typeof endRequestSchema>;
