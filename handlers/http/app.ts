// The Hono app: one file per route group; every error leaves as the JSON error shape.
import { Hono } from "hono";
import { requireReader } from "./auth.ts";
import { errorResponse } from "./errors.ts";
import { eventsRoutes } from "./events.ts";
import { metricsRoutes } from "./metrics.ts";
import { overridesRoutes } from "./overrides.ts";
import { slackRoutes } from "./slack.ts";
import { statusRoutes } from "./status.ts";

export interface AppDeps {
  clock: () => number;
}

export type AppEnv = { Bindings: Cloudflare.Env; Variables: { clock: () => number } };

export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("clock", deps.clock);
    await next();
  });
  app.use("/v1/status/*", requireReader);
  app.use("/v1/events/*", requireReader);
  app.route("/v1/status", statusRoutes);
  app.route("/v1/events", eventsRoutes);
  app.route("/v1/overrides", overridesRoutes);
  app.route("/metrics", metricsRoutes);
  app.route("/slack", slackRoutes);
  app.get("/", (c) => c.redirect("/v1/status"));
  app.notFound((c) => errorResponse(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((err, c) => {
    console.error(JSON.stringify({ event: "http_error", path: new URL(c.req.url).pathname, message: err.message }));
    return errorResponse(c, 500, "internal", "internal error; see the Worker logs");
  });
  return app;
}
