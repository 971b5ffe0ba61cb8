// /v1/gateway/{service}/...: the inference gateway's HTTP edge. Reads the policy and secrets from
// the environment, hands the request to the isolate's Gateway and renders its errors in the
// JSON error shape; proxied responses leave untouched (bodies streamed).
//
// A plain fetch handler, not a Hono route: the app (app.ts) sends these paths here before Hono,
// whose routing, context and middleware cost about 0.1 ms a request, a tenth of the gateway's
// budget on a streamed answer (docs/benchmarks.md). It needs only the configuration (loadConfig, kept
// per environment object), not a runtime: no HF client or notifier is built for a proxied request.
import { Gateway } from "../../src/gateway/index.ts";
import type { Config } from "../config.ts";
import { errorJson } from "./errors.ts";

const PATH = /^\/v1\/gateway\/([^/]+)(\/.*)?$/;

/** The service and the rest of the path of a gateway request, or null when `url` is not one. */
export function gatewayPath(url: URL): { service: string; rest: string } | null {
  const match = PATH.exec(url.pathname);
  return match ? { service: match[1] ?? "", rest: match[2] ?? "" } : null;
}

/** The handler of gateway requests (`at`: their gatewayPath), on the isolate's Gateway. */
export function gatewayFetch(configOf: (env: Cloudflare.Env) => Config, gateway: Gateway = new Gateway()) {
  return async (request: Request, url: URL, at: { service: string; rest: string }, env: Cloudflare.Env, ctx: ExecutionContext) => {
    const config = configOf(env);
    if (!config.policy.ok) return errorJson(503, "policy_invalid", "the policy is invalid; see GET /v1/status");
    const vars = env as unknown as Record<string, unknown>;
    const outcome = await gateway.handle({
      request,
      service: at.service,
      rest: at.rest,
      search: url.search,
      services: config.policy.policy.services,
      secret: (name) => (typeof vars[name] === "string" ? (vars[name] as string) : undefined),
      withheld: env.READ_TOKEN ? [env.READ_TOKEN] : [],
      timezone: config.policy.policy.budget.timezone,
      db: env.DB,
      waitUntil: (p) => ctx.waitUntil(p),
    });
    if (outcome.ok) return outcome.response;
    const res = errorJson(outcome.status, outcome.code, outcome.message);
    if (outcome.status === 401) res.headers.set("www-authenticate", 'Bearer realm="guardrail-gateway"');
    if (outcome.retryAfter !== undefined) res.headers.set("retry-after", String(outcome.retryAfter));
    return res;
  };
}
