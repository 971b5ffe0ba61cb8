// /v1/gateway/{service}/...: the inference gateway's HTTP edge. Reads the policy and secrets from
// the environment, hands the request to the isolate's Gateway and renders its errors in the
// JSON error shape; proxied responses leave untouched (bodies streamed).
import { Hono } from "hono";
import { Gateway } from "../../src/gateway/index.ts";
import type { AppEnv } from "./app.ts";
import { errorResponse } from "./errors.ts";

const PATH = /^\/v1\/gateway\/([^/]+)(\/.*)?$/;

export function gatewayRoutes(gateway: Gateway = new Gateway()) {
  return new Hono<AppEnv>().all("/:service/*", async (c) => {
    const config = c.get("runtime").config;
    if (!config.policy.ok) return errorResponse(c, 503, "policy_invalid", "the policy is invalid; see GET /v1/status");
    const url = new URL(c.req.url);
    const match = PATH.exec(url.pathname);
    const env = c.env as unknown as Record<string, unknown>;
    const outcome = await gateway.handle({
      request: c.req.raw,
      service: match?.[1] ?? "",
      rest: match?.[2] ?? "",
      search: url.search,
      services: config.policy.policy.services,
      secret: (name) => (typeof env[name] === "string" ? (env[name] as string) : undefined),
      withheld: c.env.READ_TOKEN ? [c.env.READ_TOKEN] : [],
      timezone: config.policy.policy.budget.timezone,
      db: c.env.DB,
      waitUntil: (p) => c.executionCtx.waitUntil(p),
    });
    if (outcome.ok) return outcome.response;
    const res = errorResponse(c, outcome.status, outcome.code, outcome.message);
    if (outcome.status === 401) res.headers.set("www-authenticate", 'Bearer realm="guardrail-gateway"');
    if (outcome.retryAfter !== undefined) res.headers.set("retry-after", String(outcome.retryAfter));
    return res;
  });
}
