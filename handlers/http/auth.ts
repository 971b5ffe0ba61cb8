// Read access: the status page (GET /) needs the READ_TOKEN secret, as `Authorization: Bearer
// <token>` or the `guardrail_read` cookie set by the page's login form, unless the policy says
// `status.public: true`. Compared in constant time.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { bearerToken, matchesAnySecret } from "../../src/security/index.ts";
import type { Config } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

export const READ_COOKIE = "guardrail_read";

/** Whether the policy opens reading to anyone; an invalid policy cannot, so it fails closed. */
export function statusIsPublic({ policy }: Config): boolean {
  return policy.ok && policy.policy.status.public;
}

/** True when `given` is this Worker's READ_TOKEN (never when none is set). */
export async function isReadToken(env: Cloudflare.Env, given: string | undefined): Promise<boolean> {
  return matchesAnySecret(given, env.READ_TOKEN ? [env.READ_TOKEN] : []);
}

function presentedToken(c: Context<AppEnv>): string | undefined {
  return bearerToken(c.req.raw.headers) ?? getCookie(c, READ_COOKIE) ?? undefined;
}

/** True when this request may read: status is public, or it carries READ_TOKEN. */
export async function mayRead(c: Context<AppEnv>): Promise<boolean> {
  return statusIsPublic(c.var.runtime.config) || (await isReadToken(c.env, presentedToken(c)));
}

export const requireReader: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (await mayRead(c)) return next();
  c.header("WWW-Authenticate", 'Bearer realm="budget-guardrail"');
  const message = c.env.READ_TOKEN
    ? "send the read token as `Authorization: Bearer <READ_TOKEN>` (or log in at /login)"
    : "reading needs the READ_TOKEN secret, which is not set on this Worker: `wrangler secret put READ_TOKEN`, or set status.public: true in the policy";
  return errorResponse(c, 401, "unauthorized", message);
};
