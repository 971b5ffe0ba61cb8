// Read access: GET /v1/status, /v1/events, /v1/overrides, /metrics and the status page need the
// READ_TOKEN secret, as `Authorization: Bearer <token>` or the `guardrail_read` cookie (set by the
// status page's login form), unless the policy says `status.public: true`. Compared in constant time.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { timingSafeEqual } from "hono/utils/buffer";
import { loadConfig } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

export const READ_COOKIE = "guardrail_read";

function presentedToken(c: Context<AppEnv>): string | undefined {
  const auth = c.req.header("Authorization");
  const bearer = auth && /^Bearer\s+(.+)$/i.exec(auth.trim())?.[1];
  return bearer || getCookie(c, READ_COOKIE) || undefined;
}

/** True when this request may read: status is public, or it carries READ_TOKEN. */
export async function mayRead(c: Context<AppEnv>): Promise<boolean> {
  const config = loadConfig(c.env);
  // An invalid policy cannot say status is public: fail closed.
  if (config.policy.ok && config.policy.policy.status.public) return true;
  const token = c.env.READ_TOKEN;
  const given = presentedToken(c);
  return Boolean(token && given && (await timingSafeEqual(given, token)));
}

export const requireReader: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (await mayRead(c)) return next();
  c.header("WWW-Authenticate", 'Bearer realm="budget-guardrail"');
  const message = c.env.READ_TOKEN
    ? "send the read token as `Authorization: Bearer <READ_TOKEN>` (or log in on the status page)"
    : "reading needs the READ_TOKEN secret, which is not set on this Worker: `wrangler secret put READ_TOKEN`, or set status.public: true in the policy";
  return errorResponse(c, 401, "unauthorized", message);
};
