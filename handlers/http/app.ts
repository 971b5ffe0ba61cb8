// The Hono app: one file per route group; every error leaves as the JSON error shape.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Gateway } from "../../src/gateway/index.ts";
import { loadConfig } from "../config.ts";
import { type Runtime, runtimeFor } from "../runtime.ts";
import { requireReader } from "./auth.ts";
import { errorJson, errorResponse } from "./errors.ts";
import { eventsRoutes } from "./events.ts";
import { gatewayFetch, gatewayPath } from "./gateway.ts";
import { metricsRoutes } from "./metrics.ts";
import { overridesRoutes } from "./overrides.ts";
import { pageRoutes } from "./page.tsx";
import { slackRoutes } from "./slack.ts";
import { type SnsHookDeps, snsHookRoutes } from "./sns-hook.ts";
import { statusRoutes } from "./status.ts";

const HTTP_CODES: Record<number, string> = { 400: "invalid_request", 401: "unauthorized", 403: "forbidden", 413: "too_large" };

export interface AppDeps {
  clock: () => number;
  /** the isolate's inference gateway (tests pass one with a short cache) */
  gateway?: Gateway;
  /** injected fetch and certificate cache of POST /v1/hooks/sns (tests); defaults otherwise */
  snsHook?: SnsHookDeps;
}

export type AppEnv = { Bindings: Cloudflare.Env; Variables: { clock: () => number; runtime: Runtime } };

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  // init: the runtime (config, HF client, clock) on the context, so no route wires its own.
  app.use("*", async (c, next) => {
    c.set("clock", deps.clock);
    c.set("runtime", runtimeFor(c.env, deps.clock));
    await next();
  });
  app.use("/v1/status/*", requireReader);
  app.use("/v1/events/*", requireReader);
  app.route("/v1/status", statusRoutes);
  app.route("/v1/events", eventsRoutes);
  app.route("/v1/overrides", overridesRoutes);
  app.route("/metrics", metricsRoutes);
  app.route("/slack", slackRoutes);
  app.route("/v1/hooks/sns", snsHookRoutes(deps.snsHook));
  app.route("/", pageRoutes);
  app.notFound((c) => errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    // Hono's own middleware (csrf, body limits) refuses requests by throwing these.
    if (err instanceof HTTPException && err.status < 500) {
      return errorResponse(c, err.status, HTTP_CODES[err.status] ?? "refused", err.message || "request refused");
    }
    return internalError(new URL(c.req.url), err);
  });
  // /v1/gateway/{service}/... goes to the gateway before Hono (gateway.ts says why), on the same
  // configuration the init middleware's runtime reads; everything else, app.request included, goes through Hono.
  const gateway = gatewayFetch(loadConfig, deps.gateway);
  const hono = app.fetch;
  app.fetch = async (request, env, ctx) => {
    const url = new URL(request.url);
    const at = gatewayPath(url);
    if (at === null) return hono(request, env, ctx);
    try {
      return await gateway(request, url, at, env as Cloudflare.Env, ctx as ExecutionContext);
    } catch (err) {
      return internalError(url, err);
    }
  };
  return app;
}

function internalError(url: URL, err: unknown): Response {
  const message = err instanceof Error ? err.message : String(err);
  console.error(JSON.stringify({ event: "http_error", path: url.pathname, message }));
  return errorJson(500, "internal", "internal error; see the Worker logs");
}
