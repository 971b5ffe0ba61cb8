// The override webhook: POST /v1/overrides (create, or approve/reject a waiting action),
// DELETE /v1/overrides/{id} (end early), both signed; GET /v1/overrides (active ones and pending
// approvals) for readers. Unsigned, badly signed, stale or replayed requests get 401 and change nothing.
import { type Context, Hono } from "hono";
import type * as z from "zod";
import {
  type ControlDeps,
  createOverride,
  decide,
  endOverride,
  endRequestSchema,
  isDecision,
  MAX_BODY_BYTES,
  overrideJson,
  overrideRequestSchema,
} from "../../src/control/index.ts";
import { budgetDay } from "../../src/core/index.ts";
import { OVERRIDE_SIGNATURE_HEADER, verifyOverrideSignature } from "../../src/security/index.ts";
import { type ApprovalRow, activeOverrides, approvalsOfDay, claimSignature } from "../../src/store/index.ts";
import type { ExecutedAction } from "../../src/tick/index.ts";
import type { AppEnv } from "./app.ts";
import { requireReader } from "./auth.ts";
import { controlError, limitBody } from "./body.ts";
import { errorResponse, invalidInput } from "./errors.ts";

type Signed<T> = { ok: true; data: T; deps: ControlDeps } | { ok: false; res: Response };

/**
 * A signed request's body, parsed: verifies the signature over the raw body, refuses a replay,
 * loads the policy, then parses JSON and the schema. Every failure is an answer naming the field.
 */
async function signedBody<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<Signed<T>> {
  const secret = c.env.OVERRIDE_SIGNING_SECRET;
  if (!secret) {
    return {
      ok: false,
      res: errorResponse(
        c,
        503,
        "not_configured",
        "overrides are off: set the OVERRIDE_SIGNING_SECRET secret (`wrangler secret put OVERRIDE_SIGNING_SECRET`)",
      ),
    };
  }
  const raw = await c.req.text();
  const now = c.get("clock")();
  const check = await verifyOverrideSignature({
    secret,
    header: c.req.header(OVERRIDE_SIGNATURE_HEADER),
    body: raw,
    nowSeconds: now / 1000,
  });
  if (!check.ok)
    return {
      ok: false,
      res: errorResponse(c, 401, "unauthorized", check.message, [{ path: OVERRIDE_SIGNATURE_HEADER, message: check.reason }]),
    };
  if (!(await claimSignature(c.env.DB, check.signature, now))) {
    return {
      ok: false,
      res: errorResponse(c, 401, "unauthorized", "this signature was already used: sign every request afresh", [
        { path: OVERRIDE_SIGNATURE_HEADER, message: "replayed" },
      ]),
    };
  }
  const config = c.var.runtime.config;
  if (!config.policy.ok) {
    return {
      ok: false,
      res: errorResponse(
        c,
        503,
        "policy_invalid",
        "the policy is invalid, so overrides cannot be checked; see /v1/status",
        config.policy.issues,
      ),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    const why = err instanceof Error ? err.message : "not JSON";
    return { ok: false, res: errorResponse(c, 400, "invalid_json", `body: not valid JSON (${why})`, [{ path: "body", message: why }]) };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, res: invalidInput(c, parsed.error) };
  return { ok: true, data: parsed.data, deps: { db: c.env.DB, policy: config.policy.policy, provider: c.var.runtime.provider, now } };
}

const actionJson = (x: ExecutedAction) => ({
  kind: x.action.kind,
  endpoint: x.action.endpoint,
  status: x.status,
  reason: x.action.reason,
  before: x.action.before,
  after: x.after,
  error: x.error,
});

export const approvalJson = (a: ApprovalRow) => ({
  key: a.key,
  action: a.kind,
  endpoint: a.endpoint,
  level: a.level,
  reason: a.reason,
  status: a.status,
  requested_at: new Date(a.requestedAt).toISOString(),
  deadline: new Date(a.deadline).toISOString(),
  on_timeout: a.onTimeout,
  decided_by: a.decidedBy,
  decided_at: a.decidedAt === null ? null : new Date(a.decidedAt).toISOString(),
});

export const overridesRoutes = new Hono<AppEnv>()
  .get("/", requireReader, async (c) => {
    const now = c.get("clock")();
    const config = c.var.runtime.config;
    const day = budgetDay(now, config.policy.ok ? config.policy.policy.budget.timezone : "UTC");
    const [overrides, approvals] = await Promise.all([activeOverrides(c.env.DB, now), approvalsOfDay(c.env.DB, day)]);
    return c.json({
      overrides: overrides.map(overrideJson),
      approvals_pending: approvals.filter((a) => a.status === "pending").map(approvalJson),
    });
  })
  .post("/", limitBody(MAX_BODY_BYTES), async (c) => {
    const signed = await signedBody(c, overrideRequestSchema);
    if (!signed.ok) return signed.res;
    const { data: req, deps } = signed;
    if (isDecision(req)) {
      const res = await decide(deps, req);
      return res.ok ? c.json({ approval: approvalJson(res.value) }) : controlError(c, res.error);
    }
    const res = await createOverride(deps, req, "webhook");
    if (!res.ok) return controlError(c, res.error);
    return c.json({ override: overrideJson(res.value.override), actions: res.value.executed.map(actionJson) }, 201);
  })
  .delete("/:id", limitBody(MAX_BODY_BYTES), async (c) => {
    const signed = await signedBody(c, endRequestSchema);
    if (!signed.ok) return signed.res;
    const { data: body, deps } = signed;
    const id = c.req.param("id");
    if (body.id !== id) {
      return errorResponse(c, 400, "invalid_request", `id: the body names ${body.id}, the path ${id}`, [
        { path: "id", message: "must match the path" },
      ]);
    }
    const res = await endOverride(deps, id, body.actor, body.reason);
    if (!res.ok) return controlError(c, res.error);
    return c.json({ override: overrideJson(res.value), ended_at: new Date(deps.now).toISOString(), ended_by: body.actor });
  });
