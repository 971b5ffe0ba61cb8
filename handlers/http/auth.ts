// Read access: GET / and the read API need READ_TOKEN, sent as `Authorization: Bearer <token>` or
// as the guardrail_read cookie the login form sets, unless the policy says `status.public: true`.
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { sameSecret } from "../../src/security/index.ts";
import { loadConfig } from "../config.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

export const READ_COOKIE = "guardrail_read";

export function isPublic(env: Cloudflare.Env): boolean {
  const { policy } = loadConfig(env);
  return policy.ok && policy.policy.status.public;
}

/** True when `token` is the deployment's READ_TOKEN (false when none is set: fail closed). */
export async function isReadToken(env: Cloudflare.Env, token: string): Promise<boolean> {
  return Boolean(env.READ_TOKEN) && (await sameSecret(token, env.READ_TOKEN ?? ""));
}

function presentedToken(c: Context): string | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  return bearer?.[1] ?? getCookie(c, READ_COOKIE) ?? null;
}

export const requireReader: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isPublic(c.env)) return next();
  const token = presentedToken(c);
  if (token !== null && (await isReadToken(c.env, token))) return next();
  c.header("WWW-Authenticate", 'Bearer realm="budget-guardrail"');
  if (!c.env.READ_TOKEN) {
    return errorResponse(
      c,
      401,
      "unauthorized",
      "READ_TOKEN is not set: run `wrangler secret put READ_TOKEN`, or set `status.public: true` in the policy",
    );
  }
  return errorResponse(
    c,
    401,
    "unauthorized",
    token === null ? "send `Authorization: Bearer <READ_TOKEN>` or log in at /login" : "the read token is not valid",
  );
};
